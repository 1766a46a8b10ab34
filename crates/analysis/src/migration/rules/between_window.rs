//! `backfill-between-window`: a backfill windowed with `BETWEEN {{start}} AND {{end}}`:
//! BETWEEN includes both ends, so consecutive windows (one's end is the next one's start)
//! write the rows at each boundary twice.

use super::{push_at, Ctx};
use crate::migration::BoundValue;
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;

pub const RULE: Rule = Rule {
    name: "between_window",
    scope: Scope::Pipe,
    check: Check::Pipe(check),
    codes: &[Code::new(
        "backfill-between-window",
        Warning,
        "BETWEEN windows in a chunked backfill",
    )],
    examples: &[
        Example::reported(
            "backfill-between-window",
            concat!(
                base!(),
                new_target!(),
                live!(),
                r#"
        //- pipes/sessions_2_backfill.pipe
        NODE n
        SQL >
            %
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device,
                anySimpleState(env) AS env, countState() AS hits
            FROM hits
            WHERE ts BETWEEN {{ DateTime(start) }} AND {{ DateTime(end) }}
            GROUP BY date, session_id
        TYPE copy
        TARGET_DATASOURCE sessions_2
        "#
            ),
        ),
        Example::not_reported(
            "backfill-between-window",
            concat!(
                base!(),
                new_target!(),
                live!(),
                r#"
        //- pipes/sessions_2_backfill.pipe
        NODE n
        SQL >
            %
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device,
                anySimpleState(env) AS env, countState() AS hits
            FROM hits
            WHERE ts >= {{ DateTime(start) }} AND ts < {{ DateTime(end) }}
            GROUP BY date, session_id
        TYPE copy
        TARGET_DATASOURCE sessions_2
        "#
            ),
        ),
    ],
};

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
        push_at(out, &w.path, d, up.included.as_ref());
    }
}
