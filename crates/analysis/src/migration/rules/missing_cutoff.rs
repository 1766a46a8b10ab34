//! `migration-missing-cutoff`: a materialized node writes into a datasource that another node
//! backfills up to a cutoff, but has no lower bound on that column itself: every row up to the
//! cutoff that arrives while both are in place is written twice.

use super::{push, Ctx};
use crate::migration::BoundValue;
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::EdgeKind;
use syntax::diagnostics::Severity::Warning;
use syntax::diagnostics::{Diagnostic, TextEdit};
use syntax::sql::facts::CompareOp;
use syntax::text::TextRange;

pub const RULE: Rule = Rule {
    name: "missing_cutoff",
    scope: Scope::Project,
    check: Check::Migration(check),
    codes: &[Code::new(
        "migration-missing-cutoff",
        Warning,
        "A second writer without the cutoff",
    )],
    examples: &[
        Example::reported(
            "migration-missing-cutoff",
            concat!(
                base!(),
                new_target!(),
                backfill!(),
                r#"
        //- pipes/sessions_2_mv.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device,
                anySimpleState(env) AS env, countState() AS hits
            FROM hits
            GROUP BY date, session_id
        TYPE materialized
        DATASOURCE sessions_2
        "#
            ),
        ),
        Example::not_reported("migration-missing-cutoff", migrated!()),
    ],
};

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    for ws in cx.m.by_target.values() {
        for &li in ws {
            let live = &cx.m.writers[li];
            if live.kind != EdgeKind::MaterializesInto || live.opaque || live.is_bounded_backfill()
            {
                continue;
            }
            for &bi in ws {
                let b = &cx.m.writers[bi];
                if bi == li {
                    continue;
                }
                let Some(upper) = b.upper().next() else {
                    continue;
                };
                // Any lower bound is a cutoff; whether it meets this bound is
                // migration-boundary-mismatch's question (a backfill of whole days from the
                // legacy target cuts on another column, rightly).
                if live.lower().next().is_some() {
                    continue;
                }
                let range = live.source_range.unwrap_or(live.target_range);
                let value = match &upper.value {
                    BoundValue::Instant(i) => format!("'{i}'"),
                    BoundValue::Parameter(p) => p.clone(),
                };
                let complement = if upper.op == CompareOp::Lt { ">=" } else { ">" };
                let d = Diagnostic::warning(
                    "migration-missing-cutoff",
                    range,
                    format!(
                        "`{}` materializes every new row into `{}`, while `{}` writes the rows with `{} {} {value}` into it too: the rows up to the cutoff that arrive while both are deployed are written twice. Add `WHERE {} {complement} {value}` here.",
                        cx.name(live),
                        cx.ds(live.target),
                        cx.name(b),
                        upper.column_expr(),
                        upper.op.as_str(),
                        upper.column_expr(),
                    ),
                )
                .with_related(Some(b.path.to_string()), upper.range, "the backfill's bound");
                let condition = upper
                    .column_text
                    .as_ref()
                    .map(|c| format!("{c} {complement} {}", upper.value_text));
                let d = match condition
                    .as_ref()
                    .and_then(|c| Some((c, live.condition_edits(c)?)))
                {
                    Some((condition, edits)) => d.with_fix(
                        format!("Add cutoff filter `{condition}`"),
                        edits
                            .into_iter()
                            .map(|(at, text)| TextEdit {
                                path: None,
                                range: TextRange::empty(at),
                                new_text: text,
                            })
                            .collect(),
                    ),
                    None => d,
                };
                push(out, &live.path, d);
                break;
            }
        }
    }
}
