//! `migration-boundary-mismatch`: the live side's lower bound and a backfill's upper bound on
//! the same target do not meet exactly: different columns or conversions, different
//! timezones, different instants, or operators that count the rows at the cutoff twice
//! (`>=` with `<=`) or never (`>` with `<`).

use super::{push, Ctx};
use crate::diagnostics::{Diagnostic, Severity, TextEdit};
use crate::migration::Bound;
use crate::project::rules::FileDiagnostics;
use crate::sql::facts::CompareOp;

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
        let (first, second) = if (a.local_seconds, a.nanos) < (b.local_seconds, b.nanos) {
            ("live side", "backfill")
        } else {
            ("backfill", "live side")
        };
        let effect = if first == "live side" {
            format!("rows between '{a}' and '{b}' are written by both: counted twice")
        } else {
            format!("rows between '{b}' and '{a}' are written by neither: lost")
        };
        let _ = second;
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
                    let Some((severity, why)) = mismatch(lo, up) else {
                        continue;
                    };
                    let d = Diagnostic {
                        severity,
                        ..Diagnostic::error(
                            "migration-boundary-mismatch",
                            up.range,
                            format!(
                                "`{}` and `{}` do not meet at one instant: {why}",
                                cx.name(back),
                                cx.name(live)
                            ),
                        )
                    }
                    .with_related(
                        Some(live.path.to_string()),
                        lo.range,
                        "the live side's cutoff",
                    );
                    // The exact pair: `>` on the live side, `<=` here, the live side's column
                    // and value on both.
                    let d = match (&lo.column_text, up.between) {
                        (Some(column), false) => {
                            let backfill = format!("{column} <= {}", lo.value_text);
                            let mut edits = vec![TextEdit {
                                path: None,
                                range: up.range,
                                new_text: backfill.clone(),
                            }];
                            let title = if lo.op == CompareOp::Gt {
                                format!("Align with the live side: `{backfill}`")
                            } else {
                                edits.push(TextEdit {
                                    path: Some(live.path.to_string()),
                                    range: lo.range,
                                    new_text: format!("{column} > {}", lo.value_text),
                                });
                                format!(
                                    "Cut both sides at {}: `>` live, `<=` backfill",
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
