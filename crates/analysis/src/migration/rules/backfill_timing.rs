//! `migration-backfill-too-early`: a backfill exists while the cutoff is still in the future:
//! run now, it misses the rows that arrive before the cutoff (the live side skips them too).
//! `migration-cutoff-in-past`: a live side whose cutoff has passed and that has no backfill
//! yet: if it is not deployed yet, the rows between the cutoff and its deployment are lost.

use super::{push_at, Ctx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::EdgeKind;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::{Info, Warning};

pub const RULE: Rule = Rule {
    name: "backfill_timing",
    scope: Scope::Project,
    check: Check::Migration(check),
    codes: &[
        Code::new(
            "migration-backfill-too-early",
            Warning,
            "Backfill before the cutoff has passed",
        ),
        Code::new(
            "migration-cutoff-in-past",
            Info,
            "Live side cut at an instant that has passed",
        ),
    ],
    examples: &[
        Example::reported(
            "migration-backfill-too-early",
            concat!("//- now: 2025-12-31 00:00:00\n", migrated!()),
        ),
        Example::not_reported(
            "migration-backfill-too-early",
            concat!("//- now: 2026-01-02 00:00:00\n", migrated!()),
        ),
        Example::reported(
            "migration-cutoff-in-past",
            concat!(
                "//- now: 2026-01-02 00:00:00\n",
                base!(),
                new_target!(),
                live!()
            ),
        ),
        Example::not_reported(
            "migration-cutoff-in-past",
            concat!(
                "//- now: 2025-12-31 00:00:00\n",
                base!(),
                new_target!(),
                live!()
            ),
        ),
    ],
};

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    let Some(now) = cx.now else { return };
    for m in &cx.m.migrations {
        for &bi in &m.backfills {
            let b = &cx.m.writers[bi];
            for up in b.upper() {
                let Some(t) = up.instant() else { continue };
                let Some(at) = t.utc_seconds(up.column_zone.as_deref()) else {
                    continue;
                };
                if at > now {
                    // A materialized backfill is not run once: while attached, its trigger
                    // writes the rows up to the cutoff as they arrive (see
                    // `migration-materialized-backfill`).
                    let what = if b.kind == EdgeKind::MaterializesInto {
                        format!(
                            "`{}` is a materialized view, so until then its trigger writes the rows with `{}` up to '{t}' as they arrive, and a populate run before the cutoff reads the rows its trigger has already written (they are written twice); removed before the cutoff, it misses the rows that arrive after, and the live side skips them too (lost). Populate it after the cutoff has passed.",
                            cx.name(b),
                            up.column_expr()
                        )
                    } else {
                        format!(
                            "a backfill run now misses every row with `{}` up to '{t}' that arrives after it runs (the live side skips them too), so they are lost. Deploy and run `{}` after the cutoff has passed.",
                            up.column_expr(),
                            cx.name(b)
                        )
                    };
                    let d = Diagnostic::warning(
                        "migration-backfill-too-early",
                        up.range,
                        format!("The cutoff '{t}' is still in the future: {what}"),
                    );
                    push_at(out, &b.path, d, up.included.as_ref());
                }
            }
        }
        if !m.backfills.is_empty() || m.legacy.is_none() {
            continue;
        }
        for &li in &m.live {
            let live = &cx.m.writers[li];
            for low in live.lower() {
                let Some(t) = low.instant() else { continue };
                let Some(at) = t.utc_seconds(low.column_zone.as_deref()) else {
                    continue;
                };
                if at < now {
                    let d = Diagnostic::info(
                        "migration-cutoff-in-past",
                        low.value_range,
                        format!(
                            "The cutoff '{t}' has passed: if `{}` is not deployed yet, the rows after the cutoff that arrive before it is deployed reach neither it nor the backfill, and are lost. Choose a cutoff after the deployment.",
                            cx.name(live)
                        ),
                    );
                    push_at(out, &live.path, d, low.value_included.as_ref());
                }
            }
        }
    }
}
