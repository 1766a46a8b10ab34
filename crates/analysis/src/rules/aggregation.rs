//! `illegal-aggregation` and `window-function-misuse`: aggregate and window function calls
//! ClickHouse refuses where they are written, whatever the tables hold: an aggregate inside
//! another aggregate's arguments, an aggregate or window function in WHERE, PREWHERE or GROUP
//! BY, a window-only function (`row_number`, `lagInFrame`…) without `OVER`. Found by the SQL
//! analysis in every template branch (`syntax::sql::facts::misplaced_calls`);
//! `tests/aggregation_chdb.rs` checks each verdict on ClickHouse.

use super::{push_node_calls, FileDiagnostics, ProjectCtx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use syntax::diagnostics::Severity::Warning;

pub const RULE: Rule = Rule {
    name: "aggregation",
    scope: Scope::Project,
    check: Check::Project(check),
    codes: &[
        Code::new(
            "illegal-aggregation",
            Warning,
            "An aggregate inside an aggregate, or in WHERE or GROUP BY",
        ),
        Code::new(
            "window-function-misuse",
            Warning,
            "A window function without OVER, or in WHERE or GROUP BY",
        ),
    ],
    examples: &[
        Example::reported(
            "illegal-aggregation",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `user_id` String
            //- pipes/p.pipe
            NODE n
            SQL >
                %
                SELECT user_id, sum(⟦count⟧()) AS c FROM events
                WHERE {% if defined(x) %} ⟦max⟧(ts) > now() {% else %} 1 {% end %}
                GROUP BY user_id
        "#,
        ),
        Example::not_reported(
            "illegal-aggregation",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `user_id` String
            //- pipes/p.pipe
            NODE n
            SQL >
                SELECT user_id, count() AS c, sum(count()) OVER () AS total,
                    sumIf(1, ts > (SELECT max(ts) FROM events)) AS recent
                FROM events
                WHERE ts > (SELECT max(ts) - 3600 FROM events) AND user_id = any(SELECT user_id FROM events)
                GROUP BY user_id
                HAVING count() > 1
        "#,
        ),
        Example::reported(
            "window-function-misuse",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime
            //- pipes/p.pipe
            NODE n
            SQL >
                SELECT ts, ⟦row_number⟧() AS n FROM events
        "#,
        ),
        Example::not_reported(
            "window-function-misuse",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime
            //- pipes/p.pipe
            NODE n
            SQL >
                SELECT ts, row_number() OVER (ORDER BY ts) AS n, lagInFrame(ts) OVER w AS previous
                FROM events
                WINDOW w AS (ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
        "#,
        ),
    ],
};

pub fn check(cx: &ProjectCtx, out: &mut FileDiagnostics) {
    push_node_calls(cx, out, |sql| {
        sql.misplaced_calls
            .iter()
            .map(|m| (&m.call, m.code, m.message.clone()))
            .collect()
    });
}
