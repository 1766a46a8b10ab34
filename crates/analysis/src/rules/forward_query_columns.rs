//! `forward-query-columns`: a Forward datasource's FORWARD_QUERY does not output the columns of
//! its SCHEMA: Tinybird rejects the deployment ("FORWARD_QUERY columns don't match datasource
//! schema", maple#568: new columns missing from it). Names are compared; a FORWARD_QUERY whose
//! columns cannot be known (a star, a template) is left alone.

use super::{FileDiagnostics, ProjectCtx};
use crate::deploy::forward_query::full_type;
use crate::deploy::forward_query::outputs;
use crate::registry::{Check, Code, Example, Rule, Scope};
use project::model::ResourceKind;
use syntax::chtype::Type;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;
use syntax::model::Datafile;
use syntax::model::Schema;
use syntax::sql::ast::ExprKind;
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
            "forward-query-type",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `country` String

            FORWARD_QUERY >
                SELECT ts, ⟦CAST(country, 'Nullable(String)') AS country⟧
        "#,
        ),
        Example::not_reported(
            "forward-query-type",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `user_id` Nullable(UInt64),
                `country` LowCardinality(String)

            FORWARD_QUERY >
                SELECT ts, toUInt32(7) AS user_id, 'ES' AS country
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

/// `forward-query-type`: a FORWARD_QUERY column whose type is certain and converts to the
/// SCHEMA column's type with loss or failure ([`lossy`]). Widening conversions are left alone.
fn lossy_types(df: &Datafile, schema: &Schema, path: &str, out: &mut FileDiagnostics) {
    let Some(fq) = &df.forward_query else { return };
    if fq.is_template() {
        return;
    }
    let text = &fq.text.text;
    let parsed = syntax::sql::parser::parse(text);
    let Some(select) = parsed.queries.first().and_then(|q| q.selects.first()) else {
        return;
    };
    if !select.from.is_empty() {
        return;
    }
    // The live table's columns are not known here: only what a cast or a literal fixes.
    let unknown = |_: Option<&str>, _: &str| None;
    for item in &select.items {
        let name = match (&item.kind, item.alias()) {
            (_, Some(a)) => &a.name,
            (ExprKind::Ident(parts), None) => match parts.last() {
                Some(p) => &p.name,
                None => continue,
            },
            _ => continue,
        };
        let Some(c) = schema.columns.iter().find(|c| c.name == *name) else {
            continue;
        };
        let Some(want) = Type::parse(&full_type(c)) else {
            continue;
        };
        let Some(got) = expr_type(text, item, &unknown) else {
            continue;
        };
        let Some(why) = lossy(&got, &want) else {
            continue;
        };
        super::push(
            out,
            path,
            Diagnostic::warning(
                "forward-query-type",
                fq.text.range_to_file(item.range),
                format!(
                    "The FORWARD_QUERY gives `{name}` as `{got}`, and SCHEMA declares `{want}`: {why}. Convert it yourself, e.g. `accurateCastOrDefault(…, '{want}')`, or fix the SCHEMA type"
                ),
            ),
        );
    }
}

/// Why converting values of type `from` to `to` can fail the deploy or change values, where
/// it surely can: text to numbers, dates or UUIDs (a value that does not parse), NULL into a
/// non-Nullable column, an integer into a narrower or differently signed one, a float into
/// an integer, a date-time into a date or a coarser precision.
pub(crate) fn lossy(from: &Type, to: &Type) -> Option<&'static str> {
    let strip_lc = |t: &Type| match t {
        Type::LowCardinality(i) => (**i).clone(),
        t => t.clone(),
    };
    let (from, to) = (strip_lc(from), strip_lc(to));
    if from == to {
        return None;
    }
    if let Type::Nullable(f) = &from {
        return match &to {
            Type::Nullable(t) => lossy(f, t),
            _ => Some("its NULLs become the type's default value"),
        };
    }
    let to = match &to {
        Type::Nullable(t) => strip_lc(t),
        t => t.clone(),
    };
    let int_width = |t: &Type| -> Option<(bool, u32)> {
        if !t.is_integer() {
            return None;
        }
        let n = t.name();
        let signed = n.starts_with("Int");
        let bits = n.trim_start_matches(char::is_alphabetic).parse().ok()?;
        Some((signed, bits))
    };
    let text = matches!(from.name(), "String" | "FixedString");
    if text && (to.is_numeric() || to.is_time() || matches!(to.name(), "UUID" | "Bool")) {
        return Some("a value that does not parse as one fails the deploy");
    }
    if let (Some((fs, fb)), Some((ts, tb))) = (int_width(&from), int_width(&to)) {
        let fits = if fs == ts {
            tb >= fb
        } else {
            !fs && ts && tb > fb
        };
        return (!fits).then_some("values out of its range wrap around silently");
    }
    if from.is_float() && to.is_integer() {
        return Some("the fractional part is dropped and out-of-range values change");
    }
    if from.is_datetime() && to.is_date() {
        return Some("the time of day is dropped");
    }
    let precision = |t: &Type| match t {
        Type::DateTime { .. } => Some(0),
        Type::DateTime64 { precision, .. } => Some(*precision),
        _ => None,
    };
    if let (Some(f), Some(t)) = (precision(&from), precision(&to)) {
        if t < f {
            return Some("the sub-second precision is cut");
        }
    }
    None
}
