//! `invalid-date-literal`: a comparison with a date or date-time literal whose day is not in
//! the calendar (`ts > '2024-02-31 00:00:00'`). ClickHouse refuses it as a DateTime (code 41:
//! a materialized view comparing with it cannot be created, and a query fails), and reads it
//! as a later day as a Date (`'2024-02-31'` is 2024-03-02): a cutoff written so is never the
//! instant it says.

use super::{push_at, Ctx};
use crate::migration::instant::{civil_from_days, days_from_civil, impossible_value};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::ResourceKind;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;

pub const RULE: Rule = Rule {
    name: "invalid_date_literal",
    scope: Scope::Pipe,
    check: Check::Pipe(check),
    codes: &[Code::new(
        "invalid-date-literal",
        Warning,
        "A date that is not in the calendar",
    )],
    examples: &[
        Example::reported(
            "invalid-date-literal",
            concat!(
                base!(),
                new_target!(),
                r#"
        //- pipes/sessions_2_mv.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device,
                anySimpleState(env) AS env, countState() AS hits
            FROM hits
            WHERE ts > ⟦'2025-02-29 00:00:00'⟧
            GROUP BY date, session_id
        TYPE materialized
        DATASOURCE sessions_2
        "#
            ),
        ),
        Example::not_reported(
            "invalid-date-literal",
            concat!(
                base!(),
                new_target!(),
                r#"
        //- pipes/sessions_2_mv.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device,
                anySimpleState(env) AS env, countState() AS hits
            FROM hits
            WHERE ts > '2024-02-29 00:00:00'
            GROUP BY date, session_id
        TYPE materialized
        DATASOURCE sessions_2
        "#
            ),
        ),
    ],
};

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    let p = cx.p;
    for ri in cx.scoped_resources() {
        let r = &p.resources[ri];
        if r.kind != ResourceKind::Pipe {
            continue;
        }
        for node in r.nodes.iter() {
            let Some(main) = node.sql.as_ref().and_then(|s| s.main.as_ref()) else {
                continue;
            };
            for cmp in main
                .prewhere
                .iter()
                .chain(&main.where_)
                .flat_map(|c| &c.comparisons)
            {
                let Some((text, (y, m, d))) = impossible_value(&cmp.value) else {
                    continue;
                };
                // The day ClickHouse makes of it as a Date: the overflow carried into the
                // next month.
                let (ry, rm, rd) = civil_from_days(days_from_civil(y, m, 1) + d as i64 - 1);
                let d = Diagnostic::warning(
                    "invalid-date-literal",
                    node.file_range(cmp.value_range),
                    format!(
                        "'{text}' is not a day of the calendar: ClickHouse refuses it as a DateTime (code 41: a materialized view comparing with it cannot be created, a query fails), and reads it as {ry:04}-{rm:02}-{rd:02} as a Date."
                    ),
                );
                push_at(
                    out,
                    &r.path,
                    d,
                    node.included_site(cmp.value_range).as_ref(),
                );
            }
        }
    }
}
