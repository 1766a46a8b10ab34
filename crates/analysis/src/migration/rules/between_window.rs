//! `backfill-between-window`: a backfill windowed with `BETWEEN {{start}} AND {{end}}`:
//! BETWEEN includes both ends, so consecutive windows (one's end is the next one's start)
//! write the rows at each boundary twice.

use super::{push, Ctx};
use crate::migration::BoundValue;
use crate::rules::FileDiagnostics;
use syntax::diagnostics::Diagnostic;

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    for w in cx.scoped_writers() {
        let Some(up) = w
            .bounds
            .iter()
            .find(|b| b.between && b.is_upper() && matches!(b.value, BoundValue::Parameter(_)))
        else {
            continue;
        };
        let d = Diagnostic::warning(
            "backfill-between-window",
            up.range,
            format!(
                "BETWEEN includes both ends: when `{}` runs over consecutive windows, the rows at each boundary are written twice. Use a half-open window: `{col} >= {{{{start}}}} AND {col} < {{{{end}}}}`.",
                cx.name(w),
                col = up.column_expr()
            ),
        );
        push(out, &w.path, d);
    }
}
