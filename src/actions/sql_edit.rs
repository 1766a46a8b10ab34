//! Edits of datafile text the actions share: a SELECT item appended to a node, a condition
//! merged into its WHERE, keyword lines replaced, the type a SELECT expression produces.

use super::ActionError;
use crate::migration::Writer;
use crate::project::model::Project;
use crate::sql::facts::SelectItem;
use crate::sql::template::Template;
use crate::text::TextRange;

/// The line holding `offset`: from its first byte to its end (without the line break).
pub fn line_at(text: &str, offset: usize) -> TextRange {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let end = if end > start && text.as_bytes()[end - 1] == b'\r' {
        end - 1
    } else {
        end
    };
    TextRange::new(start, end)
}

/// The line holding `offset` with its line break (to delete the whole line).
pub fn whole_line_at(text: &str, offset: usize) -> TextRange {
    let l = line_at(text, offset);
    let end = text[l.end..]
        .find('\n')
        .map_or(text.len(), |i| l.end + i + 1);
    TextRange::new(l.start, end)
}

/// The edit appending `item` (`expr AS name`) to the SELECT list of a pipe's node, on its own
/// line when the items are one per line.
pub fn append_select_item(
    p: &Project,
    pipe: usize,
    node: usize,
    file_text: &str,
    item: &str,
) -> Result<(TextRange, String), ActionError> {
    let n = &p.resources[pipe].nodes[node];
    let main = n
        .sql
        .as_ref()
        .and_then(|s| s.main.as_ref())
        .ok_or_else(|| {
            ActionError::new(format!("the SELECT of node `{}` could not be read", n.name))
        })?;
    if main
        .items
        .iter()
        .any(|i| i.output_name == "*" || i.output_name.ends_with(".*"))
    {
        return Err(ActionError::new(format!(
            "node `{}` selects `*`: list its columns first (the new column needs its own expression)",
            n.name
        )));
    }
    let last = main
        .items
        .last()
        .ok_or_else(|| ActionError::new(format!("node `{}` selects nothing", n.name)))?;
    if Template::of_sql(&n.sql_map.text).is_some_and(|t| t.inside_branch(last.range.end)) {
        return Err(ActionError::new(format!(
            "the last SELECT item of node `{}` is inside a template branch: add the column by hand",
            n.name
        )));
    }
    let first = main.items.first().map_or(last.range, |i| i.range);
    let last_file = n.file_range(last.range);
    let first_file = n.file_range(first);
    let line = line_at(file_text, last_file.start);
    let before = &file_text[line.start..last_file.start];
    let one_per_line = before.trim().is_empty() && line_at(file_text, first_file.start) != line
        || (main.items.len() == 1 && before.trim().is_empty());
    let text = if one_per_line {
        format!(",\n{before}{item}")
    } else {
        format!(", {item}")
    };
    Ok((TextRange::empty(last_file.end), text))
}

/// The edits that add `condition` to a writer's WHERE (ANDed to an existing WHERE, which is
/// parenthesised when its top level is an OR; or a new WHERE before GROUP BY).
pub fn add_condition(w: &Writer, condition: &str) -> Result<Vec<(TextRange, String)>, ActionError> {
    w.condition_edits(condition)
        .map(|edits| {
            edits
                .into_iter()
                .map(|(at, t)| (TextRange::empty(at), t))
                .collect()
        })
        .ok_or_else(|| {
            ActionError::new(format!(
                "the WHERE of `{}` ends inside a template branch: add `{condition}` by hand",
                w.path
            ))
        })
}

/// The edit that removes a SELECT item together with the comma that separates it from the
/// previous one (or the next one).
pub fn remove_select_item(file_text: &str, item: TextRange) -> TextRange {
    let before = &file_text[..item.start];
    let trimmed = before.trim_end();
    if trimmed.ends_with(',') {
        return TextRange::new(trimmed.len() - 1, item.end);
    }
    let after = &file_text[item.end..];
    let t = after.trim_start();
    if t.starts_with(',') {
        let comma = item.end + (after.len() - t.len());
        let rest = &file_text[comma + 1..];
        let ws = rest.len() - rest.trim_start().len();
        return TextRange::new(item.start, comma + 1 + ws);
    }
    item
}

/// A SELECT item's expression: its text without ` AS alias`, trimmed.
pub fn item_expression<'a>(text: &'a str, item: &SelectItem) -> Option<&'a str> {
    match item.alias {
        Some(_) => Some(text[..text.to_ascii_lowercase().rfind(" as ")?].trim()),
        None => Some(text.trim()),
    }
}

/// The type of `expr` (the expression of `item`) when it is one call of a function with a
/// fixed result type ([`RETURN_TYPES`]).
pub fn fixed_return_type(item: &SelectItem, expr: &str) -> Option<&'static str> {
    let f = item.functions.first()?;
    let args = expr.strip_prefix(f.name.as_str())?;
    (args.trim_start().starts_with('(') && outer_call_closes_at_end(args))
        .then(|| return_type(&f.name))
        .flatten()
}

/// Functions whose result type does not depend on their arguments' types, with arguments
/// for an example call (the tests check each type on ClickHouse with `toTypeName`).
pub const RETURN_TYPES: &[(&str, &str, &str)] = &[
    ("JSONExtractString", "String", "'{}', 'a'"),
    ("JSONExtractRaw", "String", "'{}', 'a'"),
    ("JSONExtractInt", "Int64", "'{}', 'a'"),
    ("JSONExtractUInt", "UInt64", "'{}', 'a'"),
    ("JSONExtractFloat", "Float64", "'{}', 'a'"),
    ("JSONExtractBool", "UInt8", "'{}', 'a'"),
    ("toString", "String", "1"),
    ("lower", "String", "'A'"),
    ("upper", "String", "'a'"),
    ("concat", "String", "'a', 'b'"),
    ("domain", "String", "'https://a.b/c'"),
    ("path", "String", "'https://a.b/c'"),
    ("length", "UInt64", "'abc'"),
    ("toDate", "Date", "now()"),
    ("toDate32", "Date32", "now()"),
    ("toDateTime", "DateTime", "now()"),
    ("toStartOfMonth", "Date", "now()"),
    ("toStartOfWeek", "Date", "now()"),
    ("toStartOfDay", "DateTime", "now()"),
    ("toStartOfHour", "DateTime", "now()"),
    ("toInt32", "Int32", "1"),
    ("toInt64", "Int64", "1"),
    ("toUInt32", "UInt32", "1"),
    ("toUInt64", "UInt64", "1"),
    ("toFloat64", "Float64", "1"),
];

/// The result type of a call of `function`, when it is fixed (function names are
/// case-sensitive in ClickHouse, but these also answer to their lower-case spelling).
pub fn return_type(function: &str) -> Option<&'static str> {
    RETURN_TYPES
        .iter()
        .find(|(f, _, _)| *f == function || f.eq_ignore_ascii_case(function))
        .map(|(_, t, _)| *t)
}

/// Whether the parenthesis opening `args` (`(…)`) closes at its very end, quotes respected.
fn outer_call_closes_at_end(args: &str) -> bool {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let trimmed = args.trim();
    for (i, c) in trimmed.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                '(' => depth += 1,
                ')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return i + 1 == trimmed.len();
                    }
                }
                _ => {}
            },
        }
    }
    false
}

/// The type of a scalar subquery (`(SELECT x FROM t)`) whose column has type `ty`: ClickHouse
/// makes it Nullable (the subquery may return no row) where the type can be inside Nullable.
pub fn scalar_subquery_type(ty: &str) -> String {
    const NOT_NULLABLE: [&str; 7] = [
        "Nullable(",
        "LowCardinality(",
        "Array(",
        "Map(",
        "AggregateFunction(",
        "Variant(",
        "Dynamic",
    ];
    if NOT_NULLABLE.iter().any(|p| ty.starts_with(p)) {
        ty.to_string()
    } else {
        format!("Nullable({ty})")
    }
}

/// The ClickHouse type a SELECT item produces, where it follows from the expression and the
/// source's column types: `anySimpleState(x)` with `x String` is
/// `SimpleAggregateFunction(any, String)`, `countState()` is `AggregateFunction(count)`.
pub fn infer_type(
    item: &SelectItem,
    expr: &str,
    column_type: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    let Some(f) = item.functions.first() else {
        let e = expr.trim();
        if e.starts_with('\'') && e.ends_with('\'') {
            return Some("String".to_string());
        }
        return column_type(e.trim_matches('`'));
    };
    // The outermost call must be the whole expression.
    if !expr.trim_start().starts_with(f.name.as_str()) {
        return None;
    }
    let arg_types: Option<Vec<String>> =
        f.column_args.iter().map(|(c, _)| column_type(c)).collect();
    let arg_types = arg_types?;
    let widened = |agg: &str, t: &str| -> String {
        let plain = t.trim();
        if agg.eq_ignore_ascii_case("sum") {
            if plain.starts_with("UInt") {
                return "UInt64".into();
            }
            if plain.starts_with("Int") {
                return "Int64".into();
            }
            if plain.starts_with("Float") {
                return "Float64".into();
            }
        }
        plain.to_string()
    };
    match (&f.aggregate, f.combinators.as_slice()) {
        (Some(agg), [c]) if c == "SimpleState" => {
            let [t] = arg_types.as_slice() else {
                return None;
            };
            Some(format!(
                "SimpleAggregateFunction({agg}, {})",
                widened(agg, t)
            ))
        }
        (Some(agg), [c]) if c == "State" => {
            if expr.contains(")(") {
                return None; // parametric (quantilesState(0.5)(x)): written by hand
            }
            if arg_types.is_empty() && !expr.contains("()") {
                return None; // arguments that are not plain columns
            }
            let mut parts = vec![agg.clone()];
            parts.extend(arg_types);
            Some(format!("AggregateFunction({})", parts.join(", ")))
        }
        // `xMerge(state)`: the aggregate's result over the state's argument types.
        (Some(agg), [c, rest @ ..]) if c == "Merge" && rest.iter().all(|r| r == "If") => {
            let [t] = arg_types.as_slice() else {
                return None;
            };
            let inner = t
                .trim()
                .strip_prefix("AggregateFunction(")?
                .strip_suffix(')')?;
            let mut parts: Vec<String> = crate::migration::instant::split_args(inner)
                .iter()
                .map(|a| a.trim().to_string())
                .collect();
            let state_of = parts.first().map(|s| s.trim().to_string())?;
            if !state_of.eq_ignore_ascii_case(agg) {
                return None;
            }
            parts.remove(0);
            aggregate_result(agg, &parts, widened)
        }
        (Some(agg), cs) if cs.iter().all(|c| c == "If") => {
            aggregate_result(agg, &arg_types, widened)
        }
        (None, _) => match f.name.to_ascii_lowercase().as_str() {
            "todate" => Some("Date".into()),
            "tostartofhour" | "tostartofday" | "tostartofminute" | "tostartoffifteenminutes" => {
                Some("DateTime".into())
            }
            "tostring" | "jsonextractstring" | "lower" | "upper" | "concat" => {
                Some("String".into())
            }
            _ => None,
        },
        _ => None,
    }
}

/// What a plain call of aggregate `agg` returns over arguments of `args` types, where it
/// follows from them.
fn aggregate_result(
    agg: &str,
    args: &[impl AsRef<str>],
    widened: impl Fn(&str, &str) -> String,
) -> Option<String> {
    let first = args.first().map(|t| t.as_ref().trim().to_string());
    match agg.to_ascii_lowercase().as_str() {
        "count" | "uniq" | "uniqexact" | "uniqcombined" | "uniqcombined64" | "uniqhll12"
        | "uniqtheta" => Some("UInt64".into()),
        "any" | "anylast" | "min" | "max" | "argmin" | "argmax" => first,
        "sum" => first
            .filter(|t| !t.starts_with("Nullable") && !t.starts_with("Decimal"))
            .map(|t| widened(agg, &t)),
        "avg" => first
            .filter(|t| !t.starts_with("Nullable") && !t.starts_with("Decimal"))
            .map(|_| "Float64".into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item_of(sql: &str) -> (SelectItem, String) {
        let a = crate::sql::analyze(sql);
        let main = a.main.unwrap();
        let item = main.items[0].clone();
        let text = sql[item.range.start..item.range.end].to_string();
        let expr = text
            .rsplit_once(" AS ")
            .map_or(text.clone(), |(e, _)| e.to_string());
        (item, expr)
    }

    #[test]
    fn infers_state_types() {
        let types = |c: &str| match c {
            "environment" => Some("String".to_string()),
            "n" => Some("UInt32".to_string()),
            "ts" => Some("DateTime".to_string()),
            _ => None,
        };
        for (sql, want) in [
            (
                "SELECT anySimpleState(environment) AS environment FROM t",
                Some("SimpleAggregateFunction(any, String)"),
            ),
            (
                "SELECT countState() AS hits FROM t",
                Some("AggregateFunction(count)"),
            ),
            (
                "SELECT uniqState(environment) AS u FROM t",
                Some("AggregateFunction(uniq, String)"),
            ),
            (
                "SELECT sumSimpleState(n) AS s FROM t",
                Some("SimpleAggregateFunction(sum, UInt64)"),
            ),
            ("SELECT toDate(ts) AS d FROM t", Some("Date")),
            ("SELECT environment FROM t", Some("String")),
            ("SELECT quantilesState(0.5)(n) AS q FROM t", None),
            ("SELECT anySimpleState(unknown) AS x FROM t", None),
        ] {
            let (item, expr) = item_of(sql);
            assert_eq!(infer_type(&item, &expr, types).as_deref(), want, "{sql}");
        }
    }

    #[test]
    fn removes_items_with_their_comma() {
        let t = "SELECT a,\n  b AS x,\n  c";
        let b = t.find("b AS x").unwrap();
        let r = remove_select_item(t, TextRange::new(b, b + 6));
        assert_eq!(
            crate::actions::apply_edits(t, &[(r, String::new())]),
            "SELECT a,\n  c"
        );
        let c = t.find("  c").unwrap() + 2;
        let r = remove_select_item(t, TextRange::new(c, c + 1));
        assert_eq!(
            crate::actions::apply_edits(t, &[(r, String::new())]),
            "SELECT a,\n  b AS x"
        );
    }
}
