//! `forward-query-columns`: a Forward datasource's FORWARD_QUERY does not output the columns of
//! its SCHEMA: Tinybird rejects the deployment ("FORWARD_QUERY columns don't match datasource
//! schema", maple#568: new columns missing from it). Names are compared; a FORWARD_QUERY whose
//! columns cannot be known (a star, a template) is left alone.

use super::{FileDiagnostics, ProjectCtx};
use crate::deploy::forward_query::outputs;
use crate::deploy::forward_query::schema_items;
use crate::registry::{Check, Code, Example, Rule, Scope};
use project::model::ResourceKind;
use syntax::chtype::unwanted_loss;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::{Hint, Warning};
use syntax::diagnostics::TextEdit;
use syntax::model::Datafile;
use syntax::model::Schema;
use syntax::sql::types::expr_type;
use syntax::Dialect;

pub const RULE: Rule = Rule {
    name: "forward_query_columns",
    scope: Scope::Project,
    check: Check::Project(check),
    codes: &[
        Code::new(
            "forward-query-columns",
            Warning,
            "A FORWARD_QUERY that does not output the SCHEMA's columns",
        ),
        Code::new(
            "forward-query-order",
            Hint,
            "A FORWARD_QUERY whose columns are not in SCHEMA order",
        ),
        Code::new(
            "forward-query-type",
            Warning,
            "A FORWARD_QUERY column whose type converts to SCHEMA's with loss or failure",
        ),
    ],
    examples: &[
        Example::reported(
            "forward-query-columns",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `country` LowCardinality(String),
                `city` String

            ⟦FORWARD_QUERY⟧ >
                SELECT ts, CAST(accurateCastOrDefault(country, 'String') AS LowCardinality(String)) AS country
        "#,
        ),
        Example::not_reported(
            "forward-query-columns",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `country` LowCardinality(String)

            FORWARD_QUERY >
                SELECT ts, CAST(accurateCastOrDefault(country, 'String') AS LowCardinality(String)) AS country
        "#,
        ),
        Example::reported(
            "forward-query-order",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `country` String

            FORWARD_QUERY >
                SELECT ⟦country⟧, ts
        "#,
        ),
        Example::not_reported(
            "forward-query-order",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `country` String

            FORWARD_QUERY >
                SELECT ts, country
        "#,
        ),
        Example::reported(
            "forward-query-type",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `n` UInt32,
                `code` UInt16

            FORWARD_QUERY >
                SELECT ts, ⟦CAST(n, 'Int64') AS n⟧, ⟦CAST(code, 'String') AS code⟧
        "#,
        ),
        Example::not_reported(
            "forward-query-type",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `day` Date,
                `user_id` Nullable(UInt64),
                `n` UInt8,
                `country` LowCardinality(String),
                `city` String

            FORWARD_QUERY >
                SELECT ts, toDate(ts) AS day, toUInt32(7) AS user_id, '7' AS n, 'ES' AS country,
                    CAST(city, 'Nullable(String)') AS city
        "#,
        ),
    ],
};

fn check(cx: &ProjectCtx, out: &mut FileDiagnostics) {
    let p = cx.p;
    if p.dialect != Dialect::Forward {
        return;
    }
    for r in p.resources.iter() {
        if r.kind != ResourceKind::Datasource || !r.defined_by_file() || !r.seen_by_cli {
            continue;
        }
        let df = &p.files[r.file].datafile;
        let (Some(fq), Some(schema)) = (&df.forward_query, df.schema()) else {
            continue;
        };
        lossy_types(df, schema, &r.path, out);
        let Some(outs) = outputs(df) else { continue };
        let names: Vec<&str> = outs.iter().map(|(n, _)| n.as_str()).collect();
        let missing: Vec<String> = schema
            .columns
            .iter()
            .filter(|c| !names.contains(&c.name.as_str()))
            .map(|c| format!("`{}`", c.name))
            .collect();
        let extra: Vec<String> = names
            .iter()
            .filter(|n| !schema.columns.iter().any(|c| c.name == **n))
            .map(|n| format!("`{n}`"))
            .collect();
        if missing.is_empty() && extra.is_empty() {
            in_schema_order(fq, &outs, schema, &r.path, out);
            continue;
        }
        let mut parts = vec![];
        if !missing.is_empty() {
            parts.push(format!(
                "SCHEMA columns it does not output: {}",
                missing.join(", ")
            ));
        }
        if !extra.is_empty() {
            parts.push(format!(
                "columns it outputs that SCHEMA does not have: {}",
                extra.join(", ")
            ));
        }
        super::push(
            out,
            &r.path,
            Diagnostic::warning(
                "forward-query-columns",
                fq.keyword_range,
                format!(
                    "The FORWARD_QUERY must output every column of SCHEMA, by name: {}. Tinybird rejects the deployment",
                    parts.join("; ")
                ),
            ),
        );
    }
}

/// `forward-query-order`: the FORWARD_QUERY outputs SCHEMA's columns, each once, in another
/// order. Reported on the first column out of place, with a fix that puts every column in
/// SCHEMA order (offered when each column is written on one line).
fn in_schema_order(
    fq: &syntax::model::Sql,
    outs: &[(String, syntax::text::TextRange)],
    schema: &Schema,
    path: &str,
    out: &mut FileDiagnostics,
) {
    if outs.len() != schema.columns.len() {
        return; // a column twice: not a question of order
    }
    let Some(first) = outs
        .iter()
        .zip(&schema.columns)
        .position(|((n, _), c)| *n != c.name)
    else {
        return;
    };
    let sql = syntax::sql::analyze(&fq.text.text);
    let Some(items) = sql.main.as_ref().map(|m| &m.items) else {
        return;
    };
    let texts: Vec<&str> = items
        .iter()
        .filter_map(|i| fq.text.text.get(i.range.start..i.range.end))
        .collect();
    let diag = Diagnostic::hint(
        "forward-query-order",
        outs[first].1,
        format!(
            "The FORWARD_QUERY gives `{}` where SCHEMA has `{}`: its columns are not in SCHEMA order. Listing them in SCHEMA order keeps the query right however its columns are matched to the table's (by name or by position)",
            outs[first].0, schema.columns[first].name
        ),
    );
    let edits: Option<Vec<TextEdit>> = (texts.len() == outs.len()
        && texts.iter().all(|t| !t.contains('\n')))
    .then(|| {
        schema
            .columns
            .iter()
            .zip(outs)
            .map(|(c, (_, range))| {
                let from = outs.iter().position(|(n, _)| *n == c.name)?;
                Some(TextEdit {
                    path: None,
                    range: *range,
                    new_text: texts[from].to_string(),
                })
            })
            .collect()
    })
    .flatten();
    let diag = match edits {
        Some(edits) => diag.with_fix("Put the columns in SCHEMA order", edits),
        None => diag,
    };
    super::push(out, path, diag);
}

/// `forward-query-type`: a FORWARD_QUERY column whose type is certain and converts to the
/// SCHEMA column's type with a loss no change of type asks for ([`unwanted_loss`]: a value
/// that does not parse, an integer out of range). Only items that read a column: a constant's
/// value is known, and whether it converts is not a question of types.
fn lossy_types(df: &Datafile, schema: &Schema, path: &str, out: &mut FileDiagnostics) {
    let Some(fq) = &df.forward_query else { return };
    // The live table's columns are not known here: only what a cast or a literal fixes.
    let unknown = |_: Option<&str>, _: &str| None;
    schema_items(fq, schema, |text, item, col, want| {
        if !reads_a_column(item) {
            return;
        }
        let Some(got) = expr_type(text, item, &unknown) else {
            return;
        };
        let Some(why) = unwanted_loss(&got, &want).map(|l| l.why()) else {
            return;
        };
        super::push(
            out,
            path,
            Diagnostic::warning(
                "forward-query-type",
                fq.text.range_to_file(item.range),
                format!(
                    "The FORWARD_QUERY gives `{}` as `{got}`, and SCHEMA declares `{want}`: {why}. Convert it yourself, e.g. `accurateCastOrDefault(…, '{want}')`, or fix the SCHEMA type",
                    col.name
                ),
            ),
        );
    });
}

/// Whether `e` reads a column (a name, not only constants).
fn reads_a_column(e: &syntax::sql::ast::Expr) -> bool {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        if matches!(e.kind, syntax::sql::ast::ExprKind::Ident(_)) {
            return true;
        }
        stack.extend(e.children().0);
    }
    false
}
