//! `unknown-column`: a node's SQL reads a name that no table in scope has and no alias or
//! `WITH` name of the query defines: ClickHouse rejects it (UNKNOWN_IDENTIFIER, code 47), and
//! Tinybird with it. Scopes come from [`syntax::sql::scopes`] (JOINs, CTEs, FROM and expression
//! subqueries, UNION branches, ARRAY JOIN, lambdas), in every rendering of a template; a read is
//! judged only where every table in its scope has columns known for certain
//! ([`crate::columns::complete_columns`]). Lambda parameters, virtual columns (`_part`, Kafka's
//! `__timestamp`...) and the words ClickHouse reads as something else (interval units in
//! `EXTRACT`, `inf`, `nan`, `ALL`) are never reported.
//! `tests/unknown_column_chdb.rs` holds every verdict against ClickHouse on the corpora.

use super::{push_column_reads, FileDiagnostics, ProjectCtx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use syntax::diagnostics::Severity::Warning;

pub const RULE: Rule = Rule {
    name: "unknown_column",
    scope: Scope::Project,
    check: Check::Project(check),
    codes: &[Code::new(
        "unknown-column",
        Warning,
        "A name that is no column of the table the query reads",
    )],
    examples: &[
        Example::reported(
            "unknown-column",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `user_id` String,
                `referer` String
            //- pipes/p.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS day, ⟦referrer⟧, count() AS hits
                FROM events
                WHERE ⟦userid⟧ != ''
                GROUP BY day, ⟦referrer⟧
        "#,
        ),
        Example::not_reported(
            "unknown-column",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `user_id` String,
                `tags` Array(String)
            //- pipes/p.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS day, EXTRACT(DAY FROM ts) AS d, arrayMap(t -> upper(t), tags) AS up,
                    count() AS hits, _part
                FROM events AS e
                WHERE e.user_id != '' AND day > today() - 7 AND hits > -inf
                GROUP BY ALL
        "#,
        ),
        // A datasource file with an error may define fewer columns than meant: nothing said.
        Example::not_reported(
            "unknown-column",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `user_id` Strng
            //- pipes/p.pipe
            NODE n
            SQL >
                SELECT referrer FROM events
        "#,
        ),
        // JOINs, CTEs, subqueries and every template branch: each scope judged.
        Example::reported(
            "unknown-column",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `user_id` String
            //- datasources/users.datasource
            SCHEMA >
                `id` String,
                `country` String
            //- pipes/p.pipe
            NODE joined
            SQL >
                WITH recent AS (SELECT user_id, max(ts) AS last FROM events GROUP BY user_id)
                SELECT r.user_id, u.country, r.⟦lst⟧
                FROM recent AS r JOIN users AS u ON u.id = r.user_id
                WHERE u.⟦contry⟧ != ''
            NODE templated
            SQL >
                %
                SELECT user_id, count() AS hits FROM joined
                {% if defined(country) %} WHERE ⟦countr⟧ = {{ String(country) }} {% end %}
                GROUP BY user_id
        "#,
        ),
        // Where a table's columns are not known (a table function, a table of another
        // workspace, a name a template writes), or a template branch defines the name: nothing.
        Example::not_reported(
            "unknown-column",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `user_id` String
            //- pipes/p.pipe
            NODE a
            SQL >
                SELECT nope FROM events JOIN numbers(10) AS n ON n.number = 1
            NODE b
            SQL >
                SELECT nope FROM other_workspace.events
            NODE c
            SQL >
                %
                SELECT {% if defined(d) %} toDate(ts) AS day, {% end %} user_id
                FROM {{ TABLE(t, 'events') }}
                WHERE nope = 1
            NODE d
            SQL >
                %
                SELECT {% if defined(g) %} toDate(ts) AS day {% else %} ts {% end %}
                FROM events
                {% if defined(g) %} GROUP BY day {% end %}
        "#,
        ),
        // Forward, in a template branch reading an endpoint's output.
        Example::reported(
            "unknown-column",
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
                SELECT toDate(ts) AS day, country, count() AS hits FROM events GROUP BY day, country
            TYPE endpoint
            //- endpoints/top.pipe
            NODE top
            SQL >
                %
                SELECT day, sum(hits) AS hits FROM daily
                {% if defined(c) %} WHERE ⟦contry⟧ = {{ String(c) }} {% end %}
                GROUP BY day
            TYPE endpoint
        "#,
        ),
    ],
};

pub fn check(cx: &ProjectCtx, out: &mut FileDiagnostics) {
    push_column_reads(cx, out, "unknown-column", |facts| {
        facts
            .unknown
            .iter()
            .map(|(ni, u)| {
                let read = &u.read.name;
                let hint = crate::columns::closest(read, u.known.iter().map(String::as_str))
                    .map(|k| format!(" (did you mean `{k}`?)"))
                    .unwrap_or_default();
                let of = match &u.table {
                    Some(t) => format!("no column of `{t}`"),
                    None => "no column of the tables the query reads".to_string(),
                };
                (
                    *ni,
                    u.read.range,
                    u.read.branch.as_ref(),
                    format!(
                        "`{read}` is {of}{hint}: ClickHouse rejects the query (UNKNOWN_IDENTIFIER)"
                    ),
                )
            })
            .collect()
    });
}
