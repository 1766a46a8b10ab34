//! `removed-column-read`: a datasource loses a column the deployed version has while a pipe of
//! the project still reads it from that datasource. Once deployed, ClickHouse rejects the
//! pipe's query (UNKNOWN_IDENTIFIER, code 47): the deploy fails on a materialized or copy
//! pipe, an endpoint fails when it is called. Said on the datasource, where the column goes,
//! naming each reader; the read itself is `unknown-column` in the pipe. Reads are those
//! `unknown-column` judges ([`crate::columns::unknown_reads`]): only where every table in scope
//! is known.

use super::{push, Ctx};
use crate::deploy::ChangeKind;
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::ResourceKind;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;
use syntax::text::TextRange;

pub const RULE: Rule = Rule {
    name: "removed_column_read",
    scope: Scope::Project,
    check: Check::Deploy(check),
    codes: &[Code::new(
        "removed-column-read",
        Warning,
        "A deployed column removed while a pipe still reads it",
    )],
    examples: &[
        Example::reported(
            "removed-column-read",
            r#"
            //- datasources/events.datasource
            ⟦SCHEMA⟧ >
                `ts` DateTime,
                `user_id` String

            ENGINE "MergeTree"
            ENGINE_SORTING_KEY "ts"
            //- pipes/top_referrers.pipe
            NODE top
            SQL >
                SELECT referrer, count() AS hits FROM events GROUP BY referrer
            TYPE endpoint
            //- base: datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `user_id` String,
                `referrer` String

            ENGINE "MergeTree"
            ENGINE_SORTING_KEY "ts"
        "#,
        ),
        // The pipe reads `referrer` from another table, or no pipe reads it.
        Example::not_reported(
            "removed-column-read",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `user_id` String

            ENGINE "MergeTree"
            ENGINE_SORTING_KEY "ts"
            //- datasources/visits.datasource
            SCHEMA >
                `user_id` String,
                `referrer` String

            ENGINE "MergeTree"
            ENGINE_SORTING_KEY "user_id"
            //- pipes/top_referrers.pipe
            NODE top
            SQL >
                SELECT v.referrer, count() AS hits
                FROM events AS e JOIN visits AS v ON v.user_id = e.user_id
                GROUP BY v.referrer
            TYPE endpoint
            //- base: datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `user_id` String,
                `referrer` String

            ENGINE "MergeTree"
            ENGINE_SORTING_KEY "ts"
        "#,
        ),
    ],
};

fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    let p = cx.head;
    // Every node's unknown reads, found once when a datasource loses a column.
    let reads = std::cell::OnceCell::new();
    let all_reads = || {
        let columns = crate::columns::Columns::new(p);
        let mut all = vec![];
        for (ri, r) in p.resources.iter_enumerated() {
            if r.kind != ResourceKind::Pipe || !r.defined_by_file() {
                continue;
            }
            for (ni, n) in r.nodes.iter().enumerate() {
                for u in columns.unknown_reads(ri, ni) {
                    all.push((format!("{} (node `{}`)", r.path, n.name), u));
                }
            }
        }
        all
    };
    for c in &cx.plan.changes {
        if c.kind != ResourceKind::Datasource || c.change != ChangeKind::Changed {
            continue;
        }
        let (Some(head), Some(base)) = (cx.datafile(c), cx.base_datafile(c)) else {
            continue;
        };
        let (Some(schema), Some(base_schema)) = (head.schema(), base.schema()) else {
            continue;
        };
        let removed: Vec<&str> = base_schema
            .columns
            .iter()
            .map(|b| b.name.as_str())
            .filter(|b| !schema.columns.iter().any(|h| h.name == *b))
            .collect();
        if removed.is_empty() {
            continue;
        }
        let mut readers: Vec<(String, Vec<String>)> = vec![];
        for (place, u) in reads.get_or_init(all_reads) {
            if !removed.contains(&u.read.name.as_str()) || !u.tables.contains(&c.resource) {
                continue;
            }
            match readers.iter_mut().find(|(col, _)| *col == u.read.name) {
                Some((_, places)) if !places.contains(place) => places.push(place.clone()),
                Some(_) => {}
                None => readers.push((u.read.name.clone(), vec![place.clone()])),
            }
        }
        let at = TextRange::new(schema.range.start, schema.range.start + "SCHEMA".len());
        for (column, places) in readers {
            push(
                out,
                &c.path,
                Diagnostic::warning(
                    "removed-column-read",
                    at,
                    format!(
                        "`{column}` is removed from `{}` (the deployed version, {}, has it), but {} still {} it: once deployed, ClickHouse rejects that query (UNKNOWN_IDENTIFIER)",
                        c.resource,
                        cx.base_label(),
                        places.join(", "),
                        if places.len() == 1 { "reads" } else { "read" }
                    ),
                ),
            );
        }
    }
}
