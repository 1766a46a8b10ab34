//! `materialization-schema-mismatch`: a materialized or copy node's SELECT against its
//! target's SCHEMA. Materialized views map columns by name: a target column the SELECT does not
//! produce gets its default in every row; a produced column the target lacks is not stored.
//! An aggregate written into a column is judged by what ClickHouse did with the same pair
//! (`state_facts`, generated on ClickHouse): a view ClickHouse refuses, inserts it fails, or
//! rows that do not merge to the aggregate are reported; a pair ClickHouse accepts, or one it
//! was not asked about, is not.

use super::{push, push_at, Ctx};
use crate::migration::columns;
use crate::migration::state_facts::{self, AggregateItem, Verdict};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::EdgeKind;
use syntax::chtype::Type;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::{Hint, Warning};
use syntax::model::Column;
use syntax::sql::ast::ExprKind;
use syntax::sql::facts::SelectItem;
use syntax::text::TextRange;

/// The item's aggregate as the ClickHouse facts key it, with its value arguments' types when
/// they are all known: `typed` gives the arguments' types as the node's query types them (in
/// the order of [`argument_ranges`]), and a plain column of the source is read from the
/// source's SCHEMA.
fn aggregate_item(
    item: &SelectItem,
    expr: &str,
    source_cols: &[Column],
    typed: &[Option<Type>],
) -> Option<(AggregateItem, Option<Vec<Type>>)> {
    let aggregate = match item.functions.first() {
        Some(f) => AggregateItem::of(expr, &f.name, f.aggregate.as_ref()?, &f.combinators)?,
        // A source column written as it is.
        None => AggregateItem::column(expr)?,
    };
    let types: Option<Vec<Type>> = aggregate
        .args
        .iter()
        .enumerate()
        .map(|(i, a)| {
            typed.get(i).cloned().flatten().or_else(|| {
                let name = a.trim_matches('`');
                let c = source_cols.iter().find(|c| c.name == name)?;
                c.parsed.clone()
            })
        })
        .collect();
    Some((aggregate, types))
}

/// The ranges (shifted by `at`) of the arguments of the call `expr`, or of `expr` itself when
/// it is no call (a column written as it is).
fn argument_ranges(expr: &str, at: usize) -> Vec<TextRange> {
    const PREFIX: &str = "SELECT ";
    let parsed = syntax::sql::parser::parse(&format!("{PREFIX}{expr}"));
    let Some(item) = parsed
        .queries
        .first()
        .and_then(|q| q.selects.first())
        .and_then(|s| s.items.first())
    else {
        return vec![];
    };
    let shift =
        |r: TextRange| TextRange::new(at + r.start - PREFIX.len(), at + r.end - PREFIX.len());
    match &item.kind {
        ExprKind::Function(f) => f.args.iter().map(|a| shift(a.range)).collect(),
        _ => vec![shift(item.range)],
    }
}

/// The expression of a SELECT item as written (without its alias).
fn expression<'a>(sql: &'a str, item: &SelectItem) -> Option<&'a str> {
    let text = sql.get(item.range.start..item.range.end)?;
    match &item.alias {
        Some(_) => Some(text[..text.to_ascii_lowercase().rfind(" as ")?].trim()),
        None => Some(text.trim()),
    }
}

pub const RULE: Rule = Rule {
    name: "schema_mismatch",
    scope: Scope::Pipe,
    check: Check::Pipe(check),
    codes: &[
        Code::new(
            "materialization-schema-mismatch",
            Warning,
            "SELECT against the target SCHEMA",
        ),
        Code::new(
            "materialization-select-star",
            Hint,
            "SELECT * into a target",
        ),
    ],
    examples: &[
        Example::reported(
            "materialization-schema-mismatch",
            concat!(
                base!(),
                new_target!(),
                r#"
        //- pipes/sessions_2_mv.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device,
                anySimpleState(env) AS environment, countState() AS hits
            FROM hits
            WHERE ts > '2026-01-01 00:00:00'
            GROUP BY date, session_id
        TYPE materialized
        DATASOURCE sessions_2
        "#
            ),
        ),
        Example::not_reported("materialization-schema-mismatch", migrated!()),
        // A state of an expression: its type is the expression's (`toUInt32`), not the
        // source column's.
        Example::reported(
            "materialization-schema-mismatch",
            r#"
        //- datasources/sales.datasource
        SCHEMA >
            `ts` DateTime,
            `amount` Float64
        //- datasources/daily.datasource
        SCHEMA >
            `date` Date,
            `total` AggregateFunction(sum, UInt64)
        ENGINE "AggregatingMergeTree"
        ENGINE_SORTING_KEY "date"
        //- pipes/daily_mv.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, ⟦sumState(toUInt32(amount)) AS total⟧
            FROM sales
            GROUP BY date
        TYPE materialized
        DATASOURCE daily
        "#,
        ),
        Example::not_reported(
            "materialization-schema-mismatch",
            r#"
        //- datasources/sales.datasource
        SCHEMA >
            `ts` DateTime,
            `amount` Float64
        //- datasources/daily.datasource
        SCHEMA >
            `date` Date,
            `total` AggregateFunction(sum, UInt64)
        ENGINE "AggregatingMergeTree"
        ENGINE_SORTING_KEY "date"
        //- pipes/daily_mv.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, sumState(toUInt64(amount)) AS total
            FROM sales
            GROUP BY date
        TYPE materialized
        DATASOURCE daily
        "#,
        ),
        Example::reported(
            "materialization-select-star",
            concat!(
                base!(),
                r#"
        //- datasources/hits_copy.datasource
        SCHEMA >
            `ts` DateTime,
            `session_id` String,
            `device` String,
            `env` String
        //- pipes/hits_copy_mv.pipe
        NODE n
        SQL >
            SELECT ⟦*⟧ FROM hits
        TYPE materialized
        DATASOURCE hits_copy
        "#
            ),
        ),
        Example::not_reported(
            "materialization-select-star",
            concat!(
                base!(),
                r#"
        //- datasources/hits_copy.datasource
        SCHEMA >
            `ts` DateTime,
            `session_id` String,
            `device` String,
            `env` String
        //- pipes/hits_copy_mv.pipe
        NODE n
        SQL >
            SELECT ts, session_id, device, env FROM hits
        TYPE materialized
        DATASOURCE hits_copy
        "#
            ),
        ),
    ],
};

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
            push_at(out, &w.path, d, node.included_site(item.range).as_ref());
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
                push_at(out, &w.path, d, node.included_site(item.range).as_ref());
            }
        }
        // The source's columns, to infer the types of plain column reads and state arguments.
        let source_cols = w
            .source
            .as_deref()
            .and_then(|s| {
                p.named(s)
                    .find(|(_, r)| r.kind == project::model::ResourceKind::Datasource)
            })
            .map_or(&[][..], |(i, _)| columns(p, i));
        let typed = crate::columns::Columns::new(p);
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
        // The items written into a typed target column, with their expressions and the ranges
        // of their arguments in the node's text; the arguments typed in one pass.
        let sql = &node.sql_map.text;
        let written: Vec<(&SelectItem, &Column, Type, &str, Vec<TextRange>)> = main
            .items
            .iter()
            .filter_map(|item| {
                let col = cols.iter().find(|c| c.name == item.output_name)?;
                let declared = col.parsed.clone()?;
                let expr = expression(sql, item)?;
                let at = expr.as_ptr() as usize - sql.as_ptr() as usize;
                Some((item, col, declared, expr, argument_ranges(expr, at)))
            })
            .collect();
        let all: Vec<TextRange> = written.iter().flat_map(|w| w.4.iter().copied()).collect();
        let mut types = typed.types_of(w.pipe, w.node, &all).into_iter();
        for (item, col, declared, expr, ranges) in written {
            let arg_types: Vec<Option<Type>> = types.by_ref().take(ranges.len()).collect();
            let Some((aggregate, arg_types)) = aggregate_item(item, expr, source_cols, &arg_types)
            else {
                continue;
            };
            let written = item.functions.first().map_or(expr, |f| f.name.as_str());
            let produced = arg_types
                .as_deref()
                .and_then(|t| state_facts::produced_type(&aggregate, t));
            let what = match produced {
                Some(t) => format!("`{written}` produces `{t}`"),
                None => format!("`{written}`"),
            };
            let both_states = produced
                .is_none_or(|t| matches!(Type::parse(t), Some(Type::AggregateFunction { .. })))
                && aggregate.form.contains("State")
                && !aggregate.form.contains("SimpleState")
                && matches!(declared, Type::AggregateFunction { .. });
            let problem = match state_facts::verdict(&aggregate, arg_types.as_deref(), &declared) {
                Some(Verdict::Rejected(code)) => format!(
                    "{what}, which ClickHouse cannot convert to `{}` (`{}`): it refuses to create the view (code {code}), so the deploy fails",
                    col.name, col.ty
                ),
                Some(Verdict::Insert(code)) => format!(
                    "{what}, which ClickHouse cannot write into `{}` (`{}`): the view is created but every insert into its source fails (code {code})",
                    col.name, col.ty
                ),
                // Two states of one representation (a median state in a quantiles column):
                // stored and merged; how it reads is the reader's business.
                Some(Verdict::Wrong)
                    if aggregate.form.contains("State")
                        && !aggregate.form.contains("SimpleState")
                        && !matches!(declared, Type::AggregateFunction { .. }) =>
                {
                    let fix = match declared.aggregate_function() {
                        Some(g) => format!("`{g}SimpleState` (or `{g}`)"),
                        None => format!("the finished aggregate (`{}`)", aggregate.base),
                    };
                    format!(
                        "`{written}` makes aggregate states, but `{}` is `{}`, which holds plain values: ClickHouse stores each state's bytes as a value, so the column holds wrong values (ClickHouse shows it). Use {fix}",
                        col.name, col.ty
                    )
                }
                Some(Verdict::Wrong) if !both_states && !aggregate.is_column() => {
                    let merged_with = declared.aggregate_function().unwrap_or("");
                    format!(
                        "`{written}` is computed per inserted block, but `{}` (`{}`) merges blocks with `{merged_with}`: after parts merge it holds the `{merged_with}` of the partial `{}` results, not `{}` over all rows (ClickHouse shows it). Use the function the column merges with, or declare the column for `{}`",
                        col.name, col.ty, aggregate.base, aggregate.base, aggregate.base
                    )
                }
                _ => continue,
            };
            let d = against_column(item, col, format!("{problem}."));
            push_at(out, &w.path, d, node.included_site(item.range).as_ref());
        }
    }
}
