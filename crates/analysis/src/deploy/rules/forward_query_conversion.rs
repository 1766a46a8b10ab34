//! `forward-query-conversion`: a changed Forward datasource whose FORWARD_QUERY gives a column,
//! computed from the deployed table's columns, in a type whose conversion to the new SCHEMA's
//! no change of type asks for: Tinybird inserts its rows into the new table, converting each
//! value as ClickHouse does, so a `String` that does not parse fails the deploy and an integer
//! out of the new range wraps around ([`syntax::chtype::unwanted_loss`]). Dropping NULLs, a
//! fraction or the time of day is what the new type means, and is left alone. The types come
//! from the base's SCHEMA; an item whose type needs no column is `forward-query-type`'s. The
//! fix converts the item with `accurateCastOrDefault`, as the generated FORWARD_QUERY does.

use super::{push, Ctx};
use crate::deploy::forward_query::{cast, quoted, schema_items};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::ResourceKind;
use syntax::chtype::{unwanted_loss, Type};
use syntax::diagnostics::Severity::Warning;
use syntax::diagnostics::{Diagnostic, TextEdit};
use syntax::sql::types::expr_type;
use syntax::Dialect;

pub const RULE: Rule = Rule {
    name: "forward_query_conversion",
    scope: Scope::Project,
    check: Check::Deploy(check),
    codes: &[Code::new(
        "forward-query-conversion",
        Warning,
        "A FORWARD_QUERY column that converts the deployed values with loss or failure",
    )],
    examples: &[
        Example::reported(
            "forward-query-conversion",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `n` UInt32

            FORWARD_QUERY >
                SELECT ts, ⟦n⟧
            //- base: datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `n` String
        "#,
        ),
        Example::not_reported(
            "forward-query-conversion",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `n` UInt32

            FORWARD_QUERY >
                SELECT ts, accurateCastOrDefault(n, 'UInt32') AS n
            //- base: datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `n` String
        "#,
        ),
        // What the new type means: the time of day dropped, NULLs become defaults.
        Example::not_reported(
            "forward-query-conversion",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` Date,
                `n` UInt32

            FORWARD_QUERY >
                SELECT ts, n
            //- base: datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `n` Nullable(UInt32)
        "#,
        ),
        // Widening: every deployed value fits.
        Example::not_reported(
            "forward-query-conversion",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime64(3),
                `n` Int64

            FORWARD_QUERY >
                SELECT ts, n
            //- base: datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `n` UInt32
        "#,
        ),
    ],
};

fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    if cx.head.dialect != Dialect::Forward {
        return;
    }
    for c in &cx.plan.changes {
        if c.kind != ResourceKind::Datasource {
            continue;
        }
        let (Some(df), Some(base)) = (cx.datafile(c), cx.base_datafile(c)) else {
            continue;
        };
        let (Some(fq), Some(schema), Some(base_schema)) =
            (&df.forward_query, df.schema(), base.schema())
        else {
            continue;
        };
        // The live table: the deployed SCHEMA, read unqualified or through the resource's name.
        let deployed = |table: Option<&str>, name: &str| -> Option<Type> {
            if table.is_some_and(|t| t != c.resource) {
                return None;
            }
            let col = base_schema.columns.iter().find(|b| b.name == name)?;
            col.parsed.clone()
        };
        let nothing = |_: Option<&str>, _: &str| None;
        schema_items(fq, schema, |text, item, col, want| {
            // Typed without the table: `forward-query-type` reports it.
            if expr_type(text, item, &nothing).is_some() {
                return;
            }
            let Some(got) = expr_type(text, item, &deployed) else {
                return;
            };
            let Some(why) = unwanted_loss(&got, &want).map(|l| l.why()) else {
                return;
            };
            let name = &col.name;
            let range = fq.text.range_to_file(item.range);
            let expr = item.unaliased();
            let expr_text = &text[expr.range.start..expr.range.end];
            let diag = Diagnostic::warning(
                "forward-query-conversion",
                range,
                format!(
                    "The FORWARD_QUERY gives `{name}` as `{got}` from the deployed table (base {}), and the new SCHEMA declares `{want}`: {why}",
                    cx.base_label()
                ),
            );
            let fix = TextEdit {
                path: None,
                range,
                new_text: format!("{} AS {}", cast(expr_text, col), quoted(name)),
            };
            let title = format!("Convert `{name}` to `{want}`");
            push(out, &c.path, diag.with_fix(title, vec![fix]));
        });
    }
}
