//! `ungrouped-column`: in a SELECT that aggregates (a GROUP BY, or an aggregate call), a column
//! read outside every aggregate call and every grouping key: ClickHouse refuses the query
//! (NOT_AN_AGGREGATE, code 215), and Tinybird with it. Judged as `unknown-column` is, through
//! the SQL scopes ([`syntax::sql::scopes`]) in every template rendering, only where the SELECT's
//! tables are all known and the name is a column of them (not an alias, a `WITH` name or a
//! lambda parameter); keys compare leniently (`t.a` is `a`, function names in any case), and
//! `GROUP BY ALL`, ROLLUP, CUBE, GROUPING SETS and positional keys are not judged.
//! `tests/column_scopes_chdb.rs` and `tests/unknown_column_chdb.rs` hold the verdicts against
//! ClickHouse.

use super::{push_column_reads, FileDiagnostics, ProjectCtx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use syntax::diagnostics::Severity::Warning;

pub const RULE: Rule = Rule {
    name: "ungrouped_column",
    scope: Scope::Project,
    check: Check::Project(check),
    codes: &[Code::new(
        "ungrouped-column",
        Warning,
        "A column neither grouped nor aggregated in a query that aggregates",
    )],
    examples: &[
        Example::reported(
            "ungrouped-column",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `user_id` String,
                `referrer` String
            //- pipes/p.pipe
            NODE daily
            SQL >
                SELECT toDate(ts) AS day, ⟦referrer⟧, count() AS hits
                FROM events
                GROUP BY day
            NODE totals
            SQL >
                %
                SELECT count() AS visits
                {% if defined(by_user) %}, ⟦user_id⟧ {% end %}
                FROM events
        "#,
        ),
        Example::not_reported(
            "ungrouped-column",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `user_id` String,
                `referrer` String
            //- pipes/p.pipe
            NODE daily
            SQL >
                SELECT toDate(ts) AS day, e.referrer, upper(referrer) AS r, count() AS hits,
                    any(user_id) AS someone, arrayMap(x -> x, groupArray(user_id)) AS users,
                    row_number() OVER (ORDER BY count()) AS rank
                FROM events AS e
                GROUP BY day, referrer
                HAVING hits > 1
                ORDER BY day
            NODE all_keys
            SQL >
                SELECT user_id, referrer, count() AS hits FROM events GROUP BY ALL
        "#,
        ),
        // Forward, in a template branch.
        Example::reported(
            "ungrouped-column",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime `json:$.ts`,
                `country` String `json:$.country`

            ENGINE "MergeTree"
            ENGINE_SORTING_KEY "ts"
            //- endpoints/daily.pipe
            NODE daily
            SQL >
                %
                SELECT toDate(ts) AS day, count() AS hits
                {% if defined(by_country) %}, ⟦country⟧ {% end %}
                FROM events
                GROUP BY day
            TYPE endpoint
        "#,
        ),
    ],
};

pub fn check(cx: &ProjectCtx, out: &mut FileDiagnostics) {
    push_column_reads(cx, out, "ungrouped-column", |facts| {
        facts
            .ungrouped
            .iter()
            .map(|(ni, read)| {
                let name = &read.name;
                (
                    *ni,
                    read.range,
                    read.branch.as_ref(),
                    format!(
                        "`{name}` is neither in GROUP BY nor inside an aggregate function: ClickHouse refuses the query (NOT_AN_AGGREGATE); group by it, or aggregate it (`any({name})`)"
                    ),
                )
            })
            .collect()
    });
}
