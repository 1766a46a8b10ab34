//! `needs-forward-query`: a Forward datasource whose column changes type (other than to
//! Nullable) against the deployed version, with no FORWARD_QUERY: Tinybird cannot ALTER it in
//! place and the deployment fails with a schema mismatch (deploy-plan.md §1, §3). The fix adds
//! the FORWARD_QUERY that carries every deployed row over: each column in SCHEMA order, the
//! retyped ones through `accurateCastOrDefault`, new ones with their default.

use super::{push, Ctx};
use crate::deploy::table::What;
use crate::deploy::ChangeKind;
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::ResourceKind;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;
use syntax::Dialect;

pub const RULE: Rule = Rule {
    name: "needs_forward_query",
    scope: Scope::Project,
    check: Check::Deploy(check),
    codes: &[Code::new(
        "needs-forward-query",
        Warning,
        "A column type change the deployment cannot apply without a FORWARD_QUERY",
    )],
    examples: &[
        Example::reported(
            "needs-forward-query",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `country` ⟦LowCardinality(String)⟧
            //- base: datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `country` String
        "#,
        ),
        Example::not_reported(
            "needs-forward-query",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `country` LowCardinality(String)

            FORWARD_QUERY >
                SELECT ts, CAST(accurateCastOrDefault(country, 'String') AS LowCardinality(String)) AS country
            //- base: datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `country` String
        "#,
        ),
        Example::not_reported(
            "needs-forward-query",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `country` Nullable(String)
            //- base: datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `country` String
        "#,
        ),
    ],
};

fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    if cx.head.dialect != Dialect::Forward {
        return;
    }
    for c in &cx.plan.changes {
        if c.kind != ResourceKind::Datasource || c.change != ChangeKind::Changed {
            continue;
        }
        let (Some(df), Some(base)) = (cx.datafile(c), cx.base_datafile(c)) else {
            continue;
        };
        if df.forward_query.is_some() {
            continue;
        }
        let fix = super::append_forward_query(cx, c, base, df);
        for d in c.details.iter().filter(|d| d.what == What::ColumnRetyped) {
            let Some(range) = d.range else { continue };
            let mut diag = Diagnostic::warning(
                "needs-forward-query",
                range,
                format!(
                    "{} against the deployed version ({}): Tinybird cannot change this type in place, and without a FORWARD_QUERY the deployment fails with a schema mismatch",
                    syntax::text::capitalise(&d.text),
                    cx.base_label()
                ),
            );
            if let Some(edit) = &fix {
                diag = diag.with_fix(
                    "Add a FORWARD_QUERY that carries the deployed rows over",
                    vec![edit.clone()],
                );
            }
            push(out, &c.path, diag);
        }
    }
}
