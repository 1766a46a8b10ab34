//! `destructive-change`: a Forward datasource loses a column the deployed version has, or gets
//! a TTL it did not have: deploying drops the column's data, or the rows already older than
//! the TTL, for good (an ALTER in place, nothing to roll back to; chdb shows the rows go in
//! tests/deploy_plan.rs). Informational: dropping data is often the point; the message says
//! what goes.

use super::{push, Ctx};
use crate::deploy::table::What;
use crate::deploy::ChangeKind;
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::ResourceKind;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Info;
use syntax::text::TextRange;
use syntax::Dialect;

pub const RULE: Rule = Rule {
    name: "destructive_change",
    scope: Scope::Project,
    check: Check::Deploy(check),
    codes: &[Code::new(
        "destructive-change",
        Info,
        "A deployed column removed, with its data",
    )],
    examples: &[
        Example::reported(
            "destructive-change",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            ⟦SCHEMA⟧ >
                `ts` DateTime
            //- base: datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `referrer` String
        "#,
        ),
        Example::not_reported(
            "destructive-change",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `referrer` String
            //- base: datasources/events.datasource
            SCHEMA >
                `ts` DateTime
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
        let removed: Vec<&str> = c
            .details
            .iter()
            .filter(|d| d.what == What::ColumnRemoved)
            .map(|d| d.text.as_str())
            .collect();
        for d in c
            .details
            .iter()
            .filter(|d| d.what == What::TtlChanged && d.text.starts_with("ENGINE_TTL added"))
        {
            let Some(range) = d.range else { continue };
            push(
                out,
                &c.path,
                Diagnostic::info(
                    "destructive-change",
                    range,
                    format!(
                        "The deployed version ({}) has no TTL: deploying this one deletes every row already older than it",
                        cx.base_label()
                    ),
                ),
            );
        }
        if removed.is_empty() {
            continue;
        }
        let Some(schema) = cx.datafile(c).and_then(|df| df.schema()) else {
            continue;
        };
        let at = TextRange::new(schema.range.start, schema.range.start + "SCHEMA".len());
        push(
            out,
            &c.path,
            Diagnostic::info(
                "destructive-change",
                at,
                format!(
                    "Against the deployed version ({}): {}. Deploying drops the data of {} for good",
                    cx.base_label(),
                    removed.join("; "),
                    if removed.len() == 1 { "this column" } else { "these columns" }
                ),
            ),
        );
    }
}
