//! `rewrite-source-ttl` (Forward): the deploy rewrites a datasource by replaying the
//! materialized pipes that write it over their sources, and a source keeps less history (its
//! ENGINE_TTL) than the datasource: the replay can only rebuild the rows the source still has,
//! so the older ones are gone after the deploy. Tinybird warns at deploy time ("add a
//! FORWARD_QUERY or accept the loss", deploy-plan.md §1); this says it before. The fix adds the
//! FORWARD_QUERY that carries the live rows over instead.

use super::{append_forward_query, push, Ctx};
use crate::deploy::Backfill;
use crate::migration::rules::backfill_source_retention::{human, keeps_less, retention};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::{EdgeKind, ResourceKind, Target};
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;
use syntax::text::TextRange;
use syntax::Dialect;

pub const RULE: Rule = Rule {
    name: "rewrite_source_ttl",
    scope: Scope::Project,
    check: Check::Deploy(check),
    codes: &[Code::new(
        "rewrite-source-ttl",
        Warning,
        "A rewrite replayed from a source that keeps less history",
    )],
    examples: &[
        Example::reported(
            "rewrite-source-ttl",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `country` String
            ENGINE "MergeTree"
            ENGINE_SORTING_KEY "ts"
            ENGINE_TTL "ts + toIntervalDay(30)"
            //- datasources/daily.datasource
            ⟦SCHEMA⟧ >
                `d` Date,
                `country` String,
                `n` UInt64
            ENGINE "SummingMergeTree"
            ENGINE_SORTING_KEY "country, d"
            //- pipes/daily_mv.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d, country, count() AS n FROM events GROUP BY d, country
            TYPE materialized
            DATASOURCE daily
            //- base: datasources/daily.datasource
            SCHEMA >
                `d` Date,
                `country` String,
                `n` UInt64
            ENGINE "SummingMergeTree"
            ENGINE_SORTING_KEY "d, country"
        "#,
        ),
        // The source keeps everything: the replay rebuilds every row.
        Example::not_reported(
            "rewrite-source-ttl",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `country` String
            ENGINE "MergeTree"
            ENGINE_SORTING_KEY "ts"
            //- datasources/daily.datasource
            SCHEMA >
                `d` Date,
                `country` String,
                `n` UInt64
            ENGINE "SummingMergeTree"
            ENGINE_SORTING_KEY "country, d"
            //- pipes/daily_mv.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d, country, count() AS n FROM events GROUP BY d, country
            TYPE materialized
            DATASOURCE daily
            //- base: datasources/daily.datasource
            SCHEMA >
                `d` Date,
                `country` String,
                `n` UInt64
            ENGINE "SummingMergeTree"
            ENGINE_SORTING_KEY "d, country"
        "#,
        ),
        // The target keeps no longer than the source: nothing the replay cannot rebuild.
        Example::not_reported(
            "rewrite-source-ttl",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `country` String
            ENGINE "MergeTree"
            ENGINE_SORTING_KEY "ts"
            ENGINE_TTL "ts + toIntervalDay(30)"
            //- datasources/daily.datasource
            SCHEMA >
                `d` Date,
                `country` String,
                `n` UInt64
            ENGINE "SummingMergeTree"
            ENGINE_SORTING_KEY "country, d"
            ENGINE_TTL "d + toIntervalDay(7)"
            //- pipes/daily_mv.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d, country, count() AS n FROM events GROUP BY d, country
            TYPE materialized
            DATASOURCE daily
            //- base: datasources/daily.datasource
            SCHEMA >
                `d` Date,
                `country` String,
                `n` UInt64
            ENGINE "SummingMergeTree"
            ENGINE_SORTING_KEY "d, country"
            ENGINE_TTL "d + toIntervalDay(7)"
        "#,
        ),
    ],
};

fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    if cx.head.dialect != Dialect::Forward {
        return;
    }
    let p = cx.head;
    for c in &cx.plan.changes {
        let Some(Backfill::Replay { pipes }) = &c.backfill else {
            continue;
        };
        if c.kind != ResourceKind::Datasource {
            continue;
        }
        let Some((target, _)) = p
            .named(&c.resource)
            .find(|(_, r)| r.kind == ResourceKind::Datasource && r.defined_by_file())
        else {
            continue;
        };
        let target_keeps = retention(p, target);
        // The sources the replay reads that keep less than the target.
        let mut short: Vec<(String, i64)> = vec![];
        for w in cx.migrations.writers_into(target) {
            if w.kind != EdgeKind::MaterializesInto || !pipes.contains(&p.resources[w.pipe].name) {
                continue;
            }
            let Some(source) = w.source.as_deref() else {
                continue;
            };
            let Target::Resource(s) = p.resolve(source, Some(w.pipe)) else {
                continue;
            };
            if p.resources[s].kind != ResourceKind::Datasource {
                continue;
            }
            let keeps = retention(p, s);
            if let Some(k) = keeps.filter(|_| keeps_less(keeps, target_keeps)) {
                let name = p.resources[s].name.clone();
                if !short.iter().any(|(n, _)| *n == name) {
                    short.push((name, k));
                }
            }
        }
        if short.is_empty() {
            continue;
        }
        let Some(df) = cx.datafile(c) else { continue };
        let Some(schema) = df.schema() else { continue };
        let at = TextRange::new(schema.range.start, schema.range.start + "SCHEMA".len());
        let sources = short
            .iter()
            .map(|(n, k)| format!("`{n}` keeps only {}", human(*k)))
            .collect::<Vec<_>>()
            .join(", ");
        let holds = match target_keeps {
            Some(t) => format!("keeps {}", human(t)),
            None => "keeps every row (no TTL)".to_string(),
        };
        let mut d = Diagnostic::warning(
            "rewrite-source-ttl",
            at,
            format!(
                "Against the deployed version ({}), this deploy rewrites `{}` by replaying {} over {}: {sources}, while `{}` {holds}. Its rows older than that cannot be rebuilt and are gone after the deploy. A FORWARD_QUERY carries the live rows over instead",
                cx.base_label(),
                c.resource,
                pipes.join(", "),
                if short.len() == 1 { "its source" } else { "its sources" },
                c.resource
            ),
        );
        if df.forward_query.is_none() {
            if let Some(edit) = cx
                .base_datafile(c)
                .and_then(|base| append_forward_query(cx, c, base, df))
            {
                d = d.with_fix(
                    "Add a FORWARD_QUERY that carries the deployed rows over",
                    vec![edit],
                );
            }
        }
        push(out, &c.path, d);
    }
}
