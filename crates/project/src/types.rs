//! The ClickHouse type a SELECT expression produces, where it follows from the expression and
//! the types of the columns it reads: functions with a fixed result type ([`RETURN_TYPES`]),
//! aggregates and their -State, -SimpleState, -If and -Merge combinators, scalar subqueries.
//! Each rule is checked against `toTypeName` on ClickHouse (tests/migration_actions.rs and
//! tests/sql_differential.rs run them on chdb).

use syntax::chtype::Type;
use syntax::sql::facts::SelectItem;

/// A SELECT item's expression: its text without ` AS alias`, trimmed.
pub fn item_expression<'a>(text: &'a str, item: &SelectItem) -> Option<&'a str> {
    let Some(alias) = &item.alias else {
        return Some(text.trim());
    };
    // The alias as written last (`… AS date`, `… date`, `` … `date` ``), then an `AS` before it.
    let t = text.trim_end();
    let rest = [format!("`{alias}`"), format!("\"{alias}\""), alias.clone()]
        .iter()
        .find_map(|a| t.strip_suffix(a.as_str()))?;
    if !rest.ends_with(|c: char| c.is_whitespace() || c == ')') {
        return None; // the alias is the tail of a longer word
    }
    let rest = rest.trim_end();
    let expr = match rest.len().checked_sub(2) {
        Some(i)
            if rest.is_char_boundary(i)
                && rest[i..].eq_ignore_ascii_case("as")
                && rest[..i].ends_with(|c: char| c.is_whitespace() || c == ')') =>
        {
            &rest[..i]
        }
        _ => rest,
    };
    Some(expr.trim()).filter(|e| !e.is_empty())
}

/// The type of `expr` (the expression of `item`) when it is one call of a function with a
/// fixed result type ([`RETURN_TYPES`]).
pub fn fixed_return_type(item: &SelectItem, expr: &str) -> Option<Type> {
    let f = item.functions.first()?;
    let args = expr.strip_prefix(f.name.as_str())?;
    (args.trim_start().starts_with('(') && outer_call_closes_at_end(args))
        .then(|| return_type(&f.name))
        .flatten()
        .and_then(Type::parse)
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
pub fn scalar_subquery_type(ty: &Type) -> Type {
    let cannot_be_nullable = match ty {
        Type::Nullable(_) | Type::LowCardinality(_) | Type::AggregateFunction { .. } => true,
        Type::Other { name, .. } => {
            matches!(name.as_str(), "Array" | "Map" | "Variant" | "Dynamic")
        }
        _ => false,
    };
    if cannot_be_nullable {
        ty.clone()
    } else {
        Type::Nullable(Box::new(ty.clone()))
    }
}

/// `sum` widens integers and floats to their 64-bit type.
fn widened(agg: &str, t: &Type) -> Type {
    if agg.eq_ignore_ascii_case("sum") {
        if let Type::Other { name, args } = t {
            if args.is_empty() {
                let wide = if name.starts_with("UInt") {
                    Some("UInt64")
                } else if name.starts_with("Int") {
                    Some("Int64")
                } else if name.starts_with("Float") {
                    Some("Float64")
                } else {
                    None
                };
                if let Some(w) = wide {
                    return named(w);
                }
            }
        }
    }
    t.clone()
}

/// A type without arguments.
fn named(name: &str) -> Type {
    Type::Other {
        name: name.to_string(),
        args: Vec::new(),
    }
}

/// The ClickHouse type a SELECT item produces, where it follows from the expression and the
/// source's column types: `anySimpleState(x)` with `x String` is
/// `SimpleAggregateFunction(any, String)`, `countState()` is `AggregateFunction(count)`.
pub fn infer_type(
    item: &SelectItem,
    expr: &str,
    column_type: impl Fn(&str) -> Option<Type>,
) -> Option<Type> {
    let Some(f) = item.functions.first() else {
        let e = expr.trim();
        if e.starts_with('\'') && e.ends_with('\'') {
            return Some(named("String"));
        }
        return column_type(e.trim_matches('`'));
    };
    // The outermost call must be the whole expression.
    if !expr.trim_start().starts_with(f.name.as_str()) {
        return None;
    }
    let arg_types: Option<Vec<Type>> = f.column_args.iter().map(|(c, _)| column_type(c)).collect();
    let arg_types = arg_types?;
    match (&f.aggregate, f.combinators.as_slice()) {
        (Some(agg), [c]) if c == "SimpleState" => {
            let [t] = arg_types.as_slice() else {
                return None;
            };
            Some(Type::SimpleAggregateFunction {
                function: agg.clone(),
                arg: Box::new(widened(agg, t)),
            })
        }
        (Some(agg), [c]) if c == "State" => {
            if expr.contains(")(") {
                return None; // parametric (quantilesState(0.5)(x)): written by hand
            }
            if arg_types.is_empty() && !expr.contains("()") {
                return None; // arguments that are not plain columns
            }
            Some(Type::AggregateFunction {
                function: agg.clone(),
                args: arg_types,
            })
        }
        // `xMerge(state)`: the aggregate's result over the state's argument types.
        (Some(agg), [c, rest @ ..]) if c == "Merge" && rest.iter().all(|r| r == "If") => {
            let [Type::AggregateFunction { function, args }] = arg_types.as_slice() else {
                return None;
            };
            if !function.eq_ignore_ascii_case(agg) {
                return None;
            }
            aggregate_result(agg, args)
        }
        (Some(agg), cs) if cs.iter().all(|c| c == "If") => aggregate_result(agg, &arg_types),
        (None, _) => match f.name.to_ascii_lowercase().as_str() {
            "todate" => Some(named("Date")),
            "tostartofhour" | "tostartofday" | "tostartofminute" | "tostartoffifteenminutes" => {
                Some(Type::DateTime { zone: None })
            }
            "tostring" | "jsonextractstring" | "lower" | "upper" | "concat" => {
                Some(named("String"))
            }
            _ => None,
        },
        _ => None,
    }
}

/// What a plain call of aggregate `agg` returns over arguments of `args` types, where it
/// follows from them.
fn aggregate_result(agg: &str, args: &[Type]) -> Option<Type> {
    let first = args.first();
    let plain_number = |t: &&Type| {
        !matches!(t, Type::Nullable(_) | Type::Decimal { .. })
            && !matches!(t, Type::Other { name, .. } if name.starts_with("Decimal"))
    };
    match agg.to_ascii_lowercase().as_str() {
        "count" | "uniq" | "uniqexact" | "uniqcombined" | "uniqcombined64" | "uniqhll12"
        | "uniqtheta" => Some(named("UInt64")),
        "any" | "anylast" | "min" | "max" | "argmin" | "argmax" => first.cloned(),
        "sum" => first.filter(plain_number).map(|t| widened(agg, t)),
        "avg" => first.filter(plain_number).map(|_| named("Float64")),
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
    fn the_expression_of_an_item_without_its_alias() {
        let expr = |sql: &str| {
            let a = syntax::sql::analyze(sql);
            let item = a.main.unwrap().items[0].clone();
            item_expression(&sql[item.range.start..item.range.end], &item).map(str::to_string)
        };
        let hour = Some("CAST(toStartOfHour(ts), 'DateTime')".to_string());
        assert_eq!(
            expr("SELECT CAST(toStartOfHour(ts), 'DateTime') date FROM t"),
            hour
        );
        assert_eq!(
            expr("SELECT CAST(toStartOfHour(ts), 'DateTime') AS date FROM t"),
            hour
        );
        assert_eq!(
            expr("SELECT CAST(toStartOfHour(ts), 'DateTime') as `date` FROM t"),
            hour
        );
        assert_eq!(
            expr("SELECT CAST(x AS String) AS s FROM t").as_deref(),
            Some("CAST(x AS String)")
        );
        assert_eq!(expr("SELECT count()c FROM t").as_deref(), Some("count()"));
        assert_eq!(expr("SELECT ts FROM t").as_deref(), Some("ts"));
    }

    #[test]
    fn infers_state_types() {
        let types = |c: &str| match c {
            "environment" => Type::parse("String"),
            "n" => Type::parse("UInt32"),
            "ts" => Type::parse("DateTime"),
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
            assert_eq!(
                infer_type(&item, &expr, types)
                    .map(|t| t.to_string())
                    .as_deref(),
                want,
                "{sql}"
            );
        }
    }
}
