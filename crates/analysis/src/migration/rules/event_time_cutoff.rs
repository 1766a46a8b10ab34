//! `migration-event-time-cutoff`: the live side cuts on a time taken from the event payload
//! (`json:$.timestamp`). An event that arrives late, after the backfill ran, with a time
//! before the cutoff, reaches neither side.

use super::{push_at, Ctx};
use crate::migration::columns;
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::{ResourceKind, Target};
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Hint;

pub const RULE: Rule = Rule {
    name: "event_time_cutoff",
    scope: Scope::Project,
    check: Check::Migration(check),
    codes: &[Code::new(
        "migration-event-time-cutoff",
        Hint,
        "A cutoff on the event's own time",
    )],
    examples: &[
        Example::reported(
            "migration-event-time-cutoff",
            concat!(
                migrated!(),
                r#"
        //- datasources/hits.datasource
        SCHEMA >
            `ts` DateTime `json:$.ts`,
            `session_id` String `json:$.session_id`,
            `device` String `json:$.device`,
            `env` String `json:$.env`
        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "ts"
        "#
            ),
        ),
        Example::not_reported("migration-event-time-cutoff", migrated!()),
    ],
};

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    let p = cx.p;
    for m in &cx.m.migrations {
        if m.legacy.is_none() && m.backfills.is_empty() {
            continue; // a view that starts at a date, not a migration
        }
        for &li in &m.live {
            let live = &cx.m.writers[li];
            let Some(source) = live.source.as_deref() else {
                continue;
            };
            let Target::Resource(s) = p.resolve(source, Some(live.pipe)) else {
                continue;
            };
            if p.resources[s].kind != ResourceKind::Datasource {
                continue;
            }
            let cols = columns(p, s);
            for b in live.lower().filter(|b| b.instant().is_some()) {
                let Some(col) = cols.iter().find(|c| c.name == b.column) else {
                    continue;
                };
                if col.jsonpath.is_none() || col.default.is_some() {
                    continue;
                }
                let ingestion = cols
                    .iter()
                    .find(|c| {
                        c.default.as_ref().is_some_and(|d| d.text.contains("now()"))
                            || matches!(
                                c.name.as_str(),
                                "ingested_at" | "inserted_at" | "__timestamp"
                            )
                    })
                    .map(|c| format!(" Cut on `{}`, which records when rows arrive.", c.name))
                    .unwrap_or_else(|| {
                        " Run the backfill only after the latest lateness you expect.".to_string()
                    });
                let d = Diagnostic::hint(
                    "migration-event-time-cutoff",
                    b.range,
                    format!(
                        "`{}` comes from the event (`json:{}`): an event that arrives after the backfill ran with a time before the cutoff reaches neither side and is lost.{ingestion}",
                        col.name,
                        col.jsonpath.as_ref().map_or("", |j| j.text.as_str())
                    ),
                );
                push_at(out, &live.path, d, b.included.as_ref());
            }
        }
    }
}
