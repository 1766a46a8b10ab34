//! The ClickHouse type a SELECT expression produces, where it follows from the expression and
//! the types of the columns it reads: functions with a fixed result type ([`RETURN_TYPES`]),
//! aggregates and their -State, -SimpleState, -If and -Merge combinators, scalar subqueries.
//! Each rule is checked against `toTypeName` on ClickHouse (tests/migration_actions.rs and
//! tests/sql_differential.rs run them on chdb).

use syntax::sql::facts::SelectItem;

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
            let mut parts: Vec<String> = syntax::chtype::split_top(inner)
                .iter()
                .filter(|a| !a.trim().is_empty())
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
        let a = syntax::sql::analyze(sql);
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
}
