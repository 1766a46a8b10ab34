//! `unknown-function`: a node's SQL calls a function ClickHouse does not have (names resolved
//! as ClickHouse resolves them: exact case, or any case for the case-insensitive functions, or
//! an aggregate followed by combinators), in any template branch. The facts are ClickHouse's
//! own `system.functions` (`syntax::sql::functions`); `tests/functions_chdb.rs` checks the
//! verdicts against ClickHouse.

use super::{push_node_calls, FileDiagnostics, ProjectCtx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use syntax::diagnostics::Severity::Warning;
use syntax::sql::functions::function_like;

pub const RULE: Rule = Rule {
    name: "unknown_function",
    scope: Scope::Project,
    check: Check::Project(check),
    codes: &[Code::new(
        "unknown-function",
        Warning,
        "A function ClickHouse does not have",
    )],
    examples: &[
        Example::reported(
            "unknown-function",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `user_id` String
            //- pipes/p.pipe
            NODE n
            SQL >
                %
                SELECT ⟦toStartOfDya⟧(ts) AS day, ⟦uniqExcatIf⟧(user_id, 1) AS users
                FROM events
                {% if defined(x) %} WHERE ⟦lenght⟧(user_id) > 2 {% end %}
                GROUP BY day
        "#,
        ),
        Example::not_reported(
            "unknown-function",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `user_id` String
            //- pipes/p.pipe
            NODE n
            SQL >
                SELECT toStartOfDay(ts) AS day, COUNT() AS c, uniqExactIfState(user_id, 1) AS s,
                    quantile(0.9)(length(user_id)) AS q, arrayMap(x -> x + 1, [1, 2]) AS a,
                    CAST(day AS Date) AS d, row_number() OVER (ORDER BY day) AS rn
                FROM events, numbers(10)
                GROUP BY day
        "#,
        ),
    ],
};

pub fn check(cx: &ProjectCtx, out: &mut FileDiagnostics) {
    push_node_calls(cx, out, |sql| {
        sql.unknown_calls
            .iter()
            .map(|c| {
                let mut msg = format!(
                    "`{}` is not a ClickHouse function: Tinybird rejects the query",
                    c.name
                );
                if let Some(s) = function_like(&c.name) {
                    msg.push_str(&format!(" (did you mean `{s}`?)"));
                }
                (c, "unknown-function", msg)
            })
            .collect()
    });
}
