//! `forward-query-columns`: a Forward datasource's FORWARD_QUERY does not output the columns of
//! its SCHEMA: Tinybird rejects the deployment ("FORWARD_QUERY columns don't match datasource
//! schema", maple#568: new columns missing from it). Names are compared; a FORWARD_QUERY whose
//! columns cannot be known (a star, a template) is left alone.

use super::{FileDiagnostics, ProjectCtx};
use crate::deploy::forward_query::outputs;
use crate::registry::{Check, Code, Example, Rule, Scope};
use project::model::ResourceKind;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;
use syntax::Dialect;

pub const RULE: Rule = Rule {
    name: "forward_query_columns",
    scope: Scope::Project,
    check: Check::Project(check),
    codes: &[Code::new(
        "forward-query-columns",
        Warning,
        "A FORWARD_QUERY that does not output the SCHEMA's columns",
    )],
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
