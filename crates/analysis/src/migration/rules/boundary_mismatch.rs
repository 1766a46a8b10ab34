//! `migration-boundary-mismatch`: the live side's lower bound and a backfill's upper bound on
//! the same target do not meet exactly: different columns or conversions, different
//! timezones, different instants, or operators that count the rows at the cutoff twice
//! (`>=` with `<=`) or never (`>` with `<`).

use super::{push, Ctx};
use crate::migration::instant::{Granularity, Instant};
use crate::migration::Bound;
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use syntax::diagnostics::Severity::Warning;
use syntax::diagnostics::{Diagnostic, Severity, TextEdit};
use syntax::sql::facts::CompareOp;

/// A backfill from the legacy target cut on its `Date` bucket (`date < '2024-05-28'`) against
/// a live side on the raw time column (`ts >= '2024-05-28 00:00:00'`): exact only when the
/// backfill's last bucket ends where the live side starts. `None` when it is exact.
fn bucket_mismatch(lo: &Bound, up: &Bound) -> Option<(Severity, String)> {
    let (a, b) = (lo.instant()?, up.instant()?);
    // The instant where the backfill's days end (exclusive).
    let day_start = b.local_seconds.div_euclid(86_400) * 86_400;
    let end = match up.op {
        CompareOp::Lt if b.local_seconds == day_start => day_start,
        CompareOp::Lt | CompareOp::Le => day_start + 86_400,
        _ => return None,
    };
    let end_text = Instant {
        local_seconds: end,
        nanos: 0,
        granularity: Granularity::Second,
        zone: None,
        form: String::new(),
    };
    let start = a.local_seconds;
    if end == start && a.nanos == 0 {
        return (lo.op == CompareOp::Gt).then(|| (Severity::Warning, format!(
            "this backfill's days end at '{end_text}', and the live side starts after '{a}' (`>`): rows at exactly '{a}' are lost. Use `>=` on the live side."
        )));
    }
    if !a.is_midnight() {
        return Some((Severity::Warning, format!(
            "this backfill reads whole days of the legacy target (`{}`), so it cannot stop at '{a}': rows between '{}' and '{end_text}' are {}. Put the cutoff on a day boundary, with `>=` on the live side and `{} <` that day here.",
            up.column_expr(),
            if end > start { a.to_string() } else { end_text.to_string() },
            if end > start { "written twice" } else { "lost" },
            up.column_expr()
        )));
    }
    Some((
        Severity::Warning,
        if end > start {
            format!("this backfill's days run to '{end_text}', past the live side's cutoff '{a}': rows in between are written twice. Use `{} < '{}'` here.", up.column_expr(), &a.to_string()[..10])
        } else {
            format!("this backfill's days end at '{end_text}', before the live side's cutoff '{a}': rows in between are lost. Use `{} < '{}'` here.", up.column_expr(), &a.to_string()[..10])
        },
    ))
}

/// What is wrong between a lower bound `lo` (live) and an upper bound `up` (backfill).
fn mismatch(lo: &Bound, up: &Bound) -> Option<(Severity, String)> {
    let (Some(a), Some(b)) = (lo.instant(), up.instant()) else {
        return None;
    };
    if lo.column_expr() != up.column_expr() {
        return Some((Severity::Warning, format!(
            "the live side cuts on `{}` and this backfill on `{}`: rows between the two readings of the cutoff are written twice or never. Filter the same raw column on both sides.",
            lo.column_expr(),
            up.column_expr()
        )));
    }
    let (za, zb) = (lo.zone().unwrap_or("UTC"), up.zone().unwrap_or("UTC"));
    if za != zb {
        return Some((Severity::Warning, format!(
            "the live side reads '{a}' in {za} and this backfill reads '{b}' in {zb}: the rows in the hours between the two instants are lost or written twice. Write both as `toDateTime('…', 'UTC')`."
        )));
    }
    if a.local_seconds != b.local_seconds || a.nanos != b.nanos {
        let effect = if (a.local_seconds, a.nanos) < (b.local_seconds, b.nanos) {
            format!("rows between '{a}' and '{b}' are written by both: counted twice")
        } else {
            format!("rows between '{b}' and '{a}' are written by neither: lost")
        };
        return Some((
            Severity::Warning,
            format!("the live side cuts at '{a}' and this backfill at '{b}': {effect}. Use one cutoff on both sides."),
        ));
    }
    match (lo.op, up.op) {
        (CompareOp::Gt, CompareOp::Le) => None,
        (CompareOp::Ge, CompareOp::Le) => Some((Severity::Warning, format!(
            "`>=` on the live side and `<=` here both include '{a}': rows at exactly the cutoff are written twice. Use `>` on the live side (or `<` here)."
        ))),
        (CompareOp::Gt, CompareOp::Lt) => Some((Severity::Warning, format!(
            "`>` on the live side and `<` here both exclude '{a}': rows at exactly the cutoff are lost. Use `<=` here."
        ))),
        (CompareOp::Ge, CompareOp::Lt) => {
            let aligned = a.is_midnight() || a.is_hour();
            (!aligned).then(|| (Severity::Info, format!(
                "`>=` with `<` is exact only when no row at exactly '{a}' was stored before the live side was deployed; `>` on the live side with `<=` here is exact in every case."
            )))
        }
        _ => None,
    }
}

pub const RULE: Rule = Rule {
    name: "boundary_mismatch",
    scope: Scope::Project,
    check: Check::Migration(check),
    codes: &[Code::new(
        "migration-boundary-mismatch",
        Warning,
        "Live and backfill bounds that do not meet",
    )],
    examples: &[
        Example::reported(
            "migration-boundary-mismatch",
            concat!(
                base!(),
                new_target!(),
                live!(),
                quality_test!(),
                r#"
        //- pipes/sessions_2_backfill.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device,
                anySimpleState(env) AS env, countState() AS hits
            FROM hits
            WHERE ts < '2026-01-01 00:00:00'
            GROUP BY date, session_id
        TYPE copy
        TARGET_DATASOURCE sessions_2
        "#
            ),
        ),
        Example::not_reported("migration-boundary-mismatch", migrated!()),
    ],
};

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    for m in &cx.m.migrations {
        for &li in &m.live {
            let live = &cx.m.writers[li];
            for &bi in &m.backfills {
                let back = &cx.m.writers[bi];
                for up in back.upper() {
                    // Compare with the live bound on the same column, else the first one.
                    let Some(lo) = live
                        .lower()
                        .filter(|l| l.instant().is_some())
                        .find(|l| l.column == up.column)
                        .or_else(|| live.lower().find(|l| l.instant().is_some()))
                    else {
                        continue;
                    };
                    // Backfilling whole days from the legacy target (migration-strategies C5).
                    let by_bucket = up.column_granularity == Some(Granularity::Date)
                        && lo.column_granularity != Some(Granularity::Date)
                        && m.legacy
                            .is_some_and(|l| back.source.as_deref() == Some(cx.ds(l)));
                    let found = if by_bucket {
                        bucket_mismatch(lo, up)
                    } else {
                        mismatch(lo, up)
                    };
                    let Some((severity, why)) = found else {
                        continue;
                    };
                    let d = Diagnostic::new(
                        severity,
                        "migration-boundary-mismatch",
                        up.range,
                        format!(
                            "`{}` and `{}` do not meet at one instant: {why}",
                            cx.name(back),
                            cx.name(live)
                        ),
                    )
                    .with_related(
                        Some(live.path.to_string()),
                        lo.range,
                        "the live side's cutoff",
                    );
                    // The exact pair: `>` on the live side, `<=` here, the live side's column
                    // and value on both.
                    // Only comparisons written in the pipes themselves are edited (one in an
                    // included `.incl` maps to the INCLUDE line).
                    let editable = up.written_here && lo.written_here;
                    let d = match (&lo.column_text, up.between || by_bucket || !editable) {
                        (Some(column), false) => {
                            let backfill = format!("{column} <= {}", lo.value_text);
                            let mut edits = vec![TextEdit {
                                path: None,
                                range: up.range,
                                new_text: backfill.clone(),
                            }];
                            let title = if lo.op == CompareOp::Gt {
                                format!("Align cutoff boundary: `{backfill}`")
                            } else {
                                edits.push(TextEdit {
                                    path: Some(live.path.to_string()),
                                    range: lo.range,
                                    new_text: format!("{column} > {}", lo.value_text),
                                });
                                format!(
                                    "Align cutoff boundary at {}: `>` live, `<=` backfill",
                                    lo.value_text
                                )
                            };
                            d.with_fix(title, edits)
                        }
                        _ => d,
                    };
                    push(out, &back.path, d);
                }
            }
        }
    }
}
