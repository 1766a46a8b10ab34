//! `materialization-schema-mismatch`: a materialized or copy node's SELECT against its
//! target's SCHEMA. Materialized views map columns by name: a target column the SELECT does not
//! produce gets its default in every row; a produced column the target lacks is not stored.
//! Aggregate columns need the matching state: `xState` for `AggregateFunction(x, …)`,
//! `xSimpleState` (or plain `x`) for `SimpleAggregateFunction(x, …)`, and no state for a plain
//! column.

use super::{push, Ctx};
use crate::diagnostics::Diagnostic;
use crate::migration::columns;
use crate::project::model::EdgeKind;
use crate::project::rules::FileDiagnostics;
use crate::sql::facts::SelectItem;
use crate::syntax::model::Column;

/// The aggregate kind a column type asks for.
enum Wanted {
    State(String),
    Simple(String),
    Plain,
}

fn wanted(ty: &str) -> Wanted {
    let t = ty.trim();
    let t = t
        .strip_prefix("LowCardinality(")
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or(t);
    let func = |inner: &str| {
        inner
            .split([',', '(', ')'])
            .next()
            .unwrap_or("")
            .trim()
            .to_string()
    };
    if let Some(inner) = t.strip_prefix("AggregateFunction(") {
        Wanted::State(func(inner))
    } else if let Some(inner) = t.strip_prefix("SimpleAggregateFunction(") {
        Wanted::Simple(func(inner))
    } else {
        Wanted::Plain
    }
}

/// The item's outermost call when it is an aggregate: (function with combinators other than
/// State/SimpleState, the state combinator if any, the name as written).
fn produced(item: &SelectItem) -> Option<(String, Option<&'static str>, &str)> {
    let f = item.functions.first()?;
    let agg = f.aggregate.as_ref()?;
    let mut name = agg.clone();
    let mut state = None;
    for c in &f.combinators {
        match c.as_str() {
            "State" => state = Some("State"),
            "SimpleState" => state = Some("SimpleState"),
            other => name.push_str(other),
        }
    }
    Some((name, state, &f.name))
}

/// A type family, for conservative compatibility checks.
#[derive(PartialEq, Eq, Debug)]
enum Family {
    Text,
    Number,
    Time,
    Other,
}

fn plain(ty: &str) -> &str {
    let mut t = ty.trim();
    for wrapper in ["LowCardinality(", "Nullable("] {
        if let Some(inner) = t.strip_prefix(wrapper).and_then(|i| i.strip_suffix(')')) {
            t = inner.trim();
        }
    }
    t
}

fn family(ty: &str) -> Family {
    let t = plain(ty);
    if t == "String" || t.starts_with("FixedString") || t == "UUID" {
        Family::Text
    } else if t.starts_with("Int")
        || t.starts_with("UInt")
        || t.starts_with("Float")
        || t.starts_with("Decimal")
    {
        Family::Number
    } else if t.starts_with("Date") {
        Family::Time
    } else {
        Family::Other
    }
}

/// A type the target cannot take, where it can be inferred: a source column stored as it is
/// into a column of another family, or an aggregate state over an argument of another type
/// than the target's `AggregateFunction(f, T)`.
fn type_problem(item: &SelectItem, target: &str, source_cols: &[Column]) -> Option<String> {
    let source = |name: &str| {
        source_cols
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.ty.as_str())
    };
    if item.functions.is_empty() && item.alias.is_none() {
        let from = source(&item.output_name)?;
        let (a, b) = (family(from), family(target));
        return (a != b && a != Family::Other && b != Family::Other).then(|| {
            format!(
                "`{}` is `{from}` in the source but `{target}` in the target",
                item.output_name
            )
        });
    }
    let f = item.functions.first()?;
    if !f.combinators.iter().any(|c| c == "State") || f.column_args.len() != 1 {
        return None;
    }
    let inner = target
        .trim()
        .strip_prefix("AggregateFunction(")?
        .strip_suffix(')')?;
    let mut parts = inner.splitn(2, ',');
    let _func = parts.next()?;
    let arg_type = parts.next()?.trim();
    if arg_type.contains(',') {
        return None; // several arguments (an -If condition, …)
    }
    let from = source(&f.column_args[0].0)?;
    (plain(from) != plain(arg_type)).then(|| {
        format!(
            "`{}` makes a state over `{from}` (`{}`), but `{}` holds states over `{arg_type}`",
            f.name, f.column_args[0].0, item.output_name
        )
    })
}

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    let p = cx.p;
    for w in cx.scoped_writers() {
        let cols = columns(p, w.target);
        if cols.is_empty() || w.opaque {
            continue;
        }
        let node = &p.resources[w.pipe].nodes[w.node];
        let Some(main) = node.sql.as_ref().and_then(|s| s.main.as_ref()) else {
            continue;
        };
        if node.sql.as_ref().is_some_and(|s| s.templated) {
            continue; // the column list may depend on parameters
        }
        let star = main
            .items
            .iter()
            .any(|i| i.output_name == "*" || i.output_name.ends_with(".*"));
        let target = cx.ds(w.target);
        if let Some(item) = main
            .items
            .iter()
            .find(|i| i.output_name == "*" || i.output_name.ends_with(".*"))
        {
            let d = Diagnostic::hint(
                "materialization-select-star",
                node.file_range(item.range),
                format!(
                    "`SELECT *` into `{target}`: which target columns get values depends on the source's columns at each deployment (a column added to the source flows in or breaks the pipe; a target column the source lacks gets its default). List the columns, in the target's order."
                ),
            );
            push(out, &w.path, d);
        }
        let verb = if w.kind == EdgeKind::CopiesInto {
            "copies"
        } else {
            "materializes"
        };
        if !star {
            let missing: Vec<&str> = cols
                .iter()
                .filter(|c| c.default.is_none() && c.materialized.is_none())
                .filter(|c| !main.items.iter().any(|i| i.output_name == c.name))
                .map(|c| c.name.as_str())
                .collect();
            if !missing.is_empty() {
                let list = missing
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let d = Diagnostic::warning(
                    "materialization-schema-mismatch",
                    w.target_range,
                    format!(
                        "`{}` {verb} into `{target}` without {list}: columns are matched by name, so {} the type's default in every row it writes.",
                        cx.name(w),
                        if missing.len() == 1 { "that column gets" } else { "those columns get" }
                    ),
                );
                push(out, &w.path, d);
            }
            for item in &main.items {
                if cols.iter().any(|c| c.name == item.output_name) {
                    continue;
                }
                let d = Diagnostic::warning(
                    "materialization-schema-mismatch",
                    node.file_range(item.range),
                    format!(
                        "`{}` is not a column of `{target}`: what this expression computes is not stored. Name it after a target column (`AS name`) or add the column to the SCHEMA.",
                        item.output_name
                    ),
                );
                push(out, &w.path, d);
            }
        }
        // The source's columns, to infer the types of plain column reads and state arguments.
        let source_cols = w
            .source
            .as_deref()
            .and_then(|s| {
                p.named(s)
                    .find(|(_, r)| r.kind == crate::project::model::ResourceKind::Datasource)
            })
            .map_or(&[][..], |(i, _)| columns(p, i));
        // A SELECT item at odds with its target column, related to that column.
        let against_column = |item: &SelectItem, col: &Column, message: String| {
            Diagnostic::warning(
                "materialization-schema-mismatch",
                node.file_range(item.range),
                message,
            )
            .with_related(
                Some(p.resources[w.target].path.to_string()),
                col.type_range,
                "the target column",
            )
        };
        for item in &main.items {
            let Some(col) = cols.iter().find(|c| c.name == item.output_name) else {
                continue;
            };
            if let Some(problem) = type_problem(item, &col.ty, source_cols) {
                let d = against_column(
                    item,
                    col,
                    format!("{problem}: ClickHouse cannot store it as the target's type."),
                );
                push(out, &w.path, d);
                continue;
            }
            let Some((func, state, written)) = produced(item) else {
                continue;
            };
            let problem = match (wanted(&col.ty), state) {
                (Wanted::State(f), Some("State")) if !f.eq_ignore_ascii_case(&func) => Some(format!(
                    "`{written}` makes a `{func}` state but `{}` holds `{f}` states (`{}`): `{f}State` is needed",
                    col.name, col.ty
                )),
                (Wanted::State(f), Some("SimpleState")) => Some(format!(
                    "`{written}` makes a simple state, but `{}` is `{}`: use `{f}State`",
                    col.name, col.ty
                )),
                (Wanted::State(f), None) => Some(format!(
                    "`{written}` returns a finished value, but `{}` is `{}` and needs a state: use `{f}State`",
                    col.name, col.ty
                )),
                (Wanted::Simple(f), Some("State")) => Some(format!(
                    "`{written}` makes an aggregate state, but `{}` is `{}`, which stores plain values: use `{f}SimpleState`",
                    col.name, col.ty
                )),
                (Wanted::Simple(f), _) if !f.eq_ignore_ascii_case(&func) => Some(format!(
                    "`{written}` aggregates with `{func}` but `{}` is merged with `{f}` (`{}`): use `{f}SimpleState`",
                    col.name, col.ty
                )),
                (Wanted::Plain, Some(s)) => Some(format!(
                    "`{written}` makes an aggregate {} but `{}` is a plain `{}` column: store it in `{}` or finish the aggregate",
                    if s == "State" { "state" } else { "simple state" },
                    col.name,
                    col.ty,
                    if s == "State" {
                        format!("AggregateFunction({func}, …)")
                    } else {
                        format!("SimpleAggregateFunction({func}, …)")
                    }
                )),
                _ => None,
            };
            if let Some(problem) = problem {
                let d = against_column(
                    item,
                    col,
                    format!("{problem}. The target's rows would merge wrongly or be rejected."),
                );
                push(out, &w.path, d);
            }
        }
    }
}
