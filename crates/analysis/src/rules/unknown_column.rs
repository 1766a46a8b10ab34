//! `unknown-column`: a node's SQL reads a name that is no column of the one table it reads, nor
//! an alias of the query: ClickHouse rejects it (UNKNOWN_IDENTIFIER, code 47), and Tinybird
//! with it. Reported only where every name in scope is known for certain: a node without
//! templates whose one SELECT reads one table (no JOIN, ARRAY JOIN, UNION, WITH or subquery)
//! whose columns are all known ([`crate::columns::complete_columns`]). Lambda parameters,
//! virtual columns (`_part`, Kafka's `__timestamp`...) and the words ClickHouse reads as
//! something else (interval units in `EXTRACT`, `inf`, `nan`, `ALL`) are never reported.
//! `tests/unknown_column_chdb.rs` holds every verdict against ClickHouse on the corpora.

use super::{FileDiagnostics, ProjectCtx};
use crate::columns::complete_columns;
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::push_at;
use project::model::ResourceKind;
use syntax::diagnostics::Diagnostic;
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
        // Templates and joins: what is in scope is not certain: nothing is said.
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
                %
                SELECT {{ column(c, 'user_id') }}, nope FROM events
            NODE b
            SQL >
                SELECT nope FROM events AS x JOIN events AS y USING user_id
        "#,
        ),
    ],
};

/// Words ClickHouse reads as no column where a name stands: interval units (`EXTRACT(DAY
/// FROM ts)`), the float literals, `ALL` (`GROUP BY ALL`).
fn not_a_column(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "nanosecond",
        "microsecond",
        "millisecond",
        "second",
        "minute",
        "hour",
        "day",
        "week",
        "month",
        "quarter",
        "year",
        "inf",
        "nan",
        "infinity",
        "all",
    ];
    let lower = name.to_ascii_lowercase();
    name.starts_with('_')
        || WORDS.contains(&lower.as_str())
        || WORDS.contains(&lower.trim_end_matches('s'))
}

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
        for (ni, n) in r.nodes.iter().enumerate() {
            let Some(cr) = n.sql.as_ref().and_then(|s| s.column_reads.as_ref()) else {
                continue;
            };
            let Some(columns) = complete_columns(p, &cr.table, Some(ri), Some(ni), 0) else {
                continue;
            };
            let known: Vec<&str> = columns
                .iter()
                .map(String::as_str)
                .chain(cr.aliases.iter().map(String::as_str))
                .collect();
            let name = &cr.table;
            for (name_read, range) in &cr.reads {
                if known.contains(&name_read.as_str()) || not_a_column(name_read) {
                    continue;
                }
                let hint = crate::columns::closest(name_read, known.iter().copied())
                    .map(|k| format!(" (did you mean `{k}`?)"))
                    .unwrap_or_default();
                let Some(site) = n.written_at(&r.path, *range) else {
                    continue;
                };
                let d = Diagnostic::warning(
                    "unknown-column",
                    n.file_range(*range),
                    format!(
                        "`{name_read}` is no column of `{}`{hint}: ClickHouse rejects the query (UNKNOWN_IDENTIFIER)",
                        name,
                    ),
                );
                let included = (*site.path != *r.path).then_some(&site);
                push_at(out, &r.path, d, included);
            }
        }
    }
}
