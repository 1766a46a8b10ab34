//! `ungrouped-column`: in a SELECT that aggregates (a GROUP BY, or an aggregate call), a column
//! read outside every aggregate call and every grouping key: ClickHouse refuses the query
//! (NOT_AN_AGGREGATE, code 215), and Tinybird with it. Judged as `unknown-column` is, through
//! the SQL scopes ([`syntax::sql::scopes`]) in every template rendering, only where the SELECT's
//! tables are all known and the name is a column of them (not an alias, a `WITH` name or a
//! lambda parameter); keys compare leniently (`t.a` is `a`, function names in any case), and
//! `GROUP BY ALL`, ROLLUP, CUBE, GROUPING SETS and positional keys are not judged.
//! `tests/column_scopes_chdb.rs` and `tests/unknown_column_chdb.rs` hold the verdicts against
//! ClickHouse.

use super::{FileDiagnostics, ProjectCtx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::push_at;
use project::model::ResourceKind;
use syntax::diagnostics::Diagnostic;
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
    ],
};

pub fn check(cx: &ProjectCtx, out: &mut FileDiagnostics) {
    let p = cx.p;
    for (ri, r) in p.resources.iter_enumerated() {
        if r.kind != ResourceKind::Pipe
            || !r.defined_by_file()
            || !r.seen_by_cli
            || p.files[r.file].rejected
        {
            continue;
        }
        let facts = cx.pipe_columns(ri);
        for (ni, read) in &facts.ungrouped {
            let n = &r.nodes[*ni];
            {
                let Some(site) = n.written_at(&r.path, read.range) else {
                    continue;
                };
                let branch = read
                    .branch
                    .as_ref()
                    .filter(|b| !b.taken_by_official)
                    .map(|b| format!(", in the template branch `{}`", b.label))
                    .unwrap_or_default();
                let name = &read.name;
                let d = Diagnostic::warning(
                    "ungrouped-column",
                    n.file_range(read.range),
                    format!(
                        "`{name}` is neither in GROUP BY nor inside an aggregate function: ClickHouse refuses the query (NOT_AN_AGGREGATE){branch}; group by it, or aggregate it (`any({name})`)"
                    ),
                );
                let included = (*site.path != *r.path).then_some(&site);
                push_at(out, &r.path, d, included);
            }
        }
    }
}
