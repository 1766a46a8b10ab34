//! `unknown-function`: a node's SQL calls a function ClickHouse does not have (names resolved
//! as ClickHouse resolves them: exact case, or any case for the case-insensitive functions, or
//! an aggregate followed by combinators), in any template branch. The facts are ClickHouse's
//! own `system.functions` (`syntax::sql::functions`); `tests/functions_chdb.rs` checks the
//! verdicts against ClickHouse.

use super::{push_at, FileDiagnostics, ProjectCtx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use std::collections::HashSet;
use syntax::diagnostics::Diagnostic;
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
    let p = cx.p;
    // A call written in an `.incl` that several pipes include is reported there once.
    let mut seen: HashSet<(std::sync::Arc<str>, syntax::text::TextRange)> = HashSet::new();
    for r in p.resources.iter() {
        if !r.defined_by_file() || !r.seen_by_cli || p.files[r.file].rejected {
            continue;
        }
        for n in r.nodes.iter() {
            let Some(sql) = &n.sql else { continue };
            for c in &sql.unknown_calls {
                let Some(site) = n.written_at(&r.path, c.range) else {
                    continue;
                };
                if !seen.insert((site.path.clone(), site.range)) {
                    continue;
                }
                let mut msg = format!(
                    "`{}` is not a ClickHouse function: Tinybird rejects the query",
                    c.name
                );
                if let Some(s) = function_like(&c.name) {
                    msg.push_str(&format!(" (did you mean `{s}`?)"));
                }
                if let Some(b) = c.branch.as_ref().filter(|b| !b.taken_by_official) {
                    msg.push_str(&format!(
                        "; called in the template branch `{}`, when it renders",
                        b.label
                    ));
                }
                let file_range = n.file_range(c.range);
                let d = Diagnostic::warning("unknown-function", file_range, msg);
                let included = (*site.path != *r.path).then_some(&site);
                push_at(out, &r.path, d, included);
            }
        }
    }
}
