//! `migration-missing-cutoff`: a materialized node writes into a datasource that another node
//! backfills up to a cutoff, but has no lower bound on that column itself: every row up to the
//! cutoff that arrives while both are in place is written twice.

use super::{push, Ctx};
use crate::migration::bucket::{Bucket, Repr, Unit};
use crate::migration::instant::cutoff_literal;
use crate::migration::{columns, BoundValue, Writer};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::{EdgeKind, ResourceKind};
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;
use syntax::sql::facts::CompareOp;

pub const RULE: Rule = Rule {
    name: "missing_cutoff",
    scope: Scope::Project,
    check: Check::Migration(check),
    codes: &[Code::new(
        "migration-missing-cutoff",
        Warning,
        "A second writer without the cutoff",
    )],
    examples: &[
        Example::reported(
            "migration-missing-cutoff",
            concat!(
                base!(),
                new_target!(),
                backfill!(),
                r#"
        //- pipes/sessions_2_mv.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device,
                anySimpleState(env) AS env, countState() AS hits
            FROM hits
            GROUP BY date, session_id
        TYPE materialized
        DATASOURCE sessions_2
        "#
            ),
        ),
        Example::not_reported("migration-missing-cutoff", migrated!()),
        // Step 1 without a cutoff, before any backfill: the fix places one an hour ahead.
        Example::reported(
            "migration-missing-cutoff",
            concat!(
                "//- now: 2026-01-01 10:20:00\n",
                base!(),
                new_target!(),
                r#"
        //- pipes/sessions_2_mv.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device,
                anySimpleState(env) AS env, countState() AS hits
            FROM ⟦hits⟧
            GROUP BY date, session_id
        TYPE materialized
        DATASOURCE sessions_2
        "#
            ),
        ),
        // A second view of the same source with more columns, named as a view of its own: no
        // migration.
        Example::not_reported(
            "migration-missing-cutoff",
            concat!(
                "//- now: 2026-01-01 10:20:00\n",
                base!(),
                r#"
        //- datasources/sessions_by_env.datasource
        SCHEMA >
            `date` Date,
            `session_id` String,
            `device` SimpleAggregateFunction(any, String),
            `env` SimpleAggregateFunction(any, String),
            `hits` AggregateFunction(count)
        ENGINE "AggregatingMergeTree"
        ENGINE_SORTING_KEY "date, session_id"
        //- pipes/sessions_by_env_mv.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device,
                anySimpleState(env) AS env, countState() AS hits
            FROM hits
            GROUP BY date, session_id
        TYPE materialized
        DATASOURCE sessions_by_env
        "#
            ),
        ),
    ],
};

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    for ws in cx.m.by_target.values() {
        for &li in ws {
            let live = &cx.m.writers[li];
            if live.kind != EdgeKind::MaterializesInto || live.opaque || live.is_bounded_backfill()
            {
                continue;
            }
            for &bi in ws {
                let b = &cx.m.writers[bi];
                if bi == li {
                    continue;
                }
                let Some(upper) = b.upper().next() else {
                    continue;
                };
                // Any lower bound is a cutoff; whether it meets this bound is
                // migration-boundary-mismatch's question (a backfill of whole days from the
                // legacy target cuts on another column, rightly).
                if live.lower().next().is_some() {
                    continue;
                }
                let range = live.source_range.unwrap_or(live.target_range);
                let value = match &upper.value {
                    BoundValue::Instant(i) => format!("'{i}'"),
                    BoundValue::Parameter(p) => p.clone(),
                };
                let complement = if upper.op == CompareOp::Lt { ">=" } else { ">" };
                let d = Diagnostic::warning(
                    "migration-missing-cutoff",
                    range,
                    format!(
                        "`{}` materializes every new row into `{}`, while `{}` writes the rows with `{} {} {value}` into it too: the rows up to the cutoff that arrive while both are deployed are written twice. Add `WHERE {} {complement} {value}` here.",
                        cx.name(live),
                        cx.ds(live.target),
                        cx.name(b),
                        upper.column_expr(),
                        upper.op.as_str(),
                        upper.column_expr(),
                    ),
                )
                .with_related(
                    Some(upper.written_at(&b.path).0),
                    upper.written_at(&b.path).1,
                    "the backfill's bound",
                );
                let condition = upper
                    .column_text
                    .as_ref()
                    .map(|c| format!("{c} {complement} {}", upper.value_text));
                let d = match condition
                    .as_ref()
                    .and_then(|c| Some((c, super::condition_fix(cx, live, c)?)))
                {
                    Some((condition, edits)) => {
                        d.with_fix(format!("Add cutoff filter `{condition}`"), edits)
                    }
                    None => d,
                };
                push(out, &live.path, d);
                break;
            }
        }
    }
    // Step 1 done without a cutoff: the backfill to come cannot be bounded.
    for (new, legacy) in cx.m.unstarted(cx.p) {
        for live in cx.m.writers_into(new) {
            let range = live.source_range.unwrap_or(live.target_range);
            let cut = suggested_cutoff(cx, live);
            let suggestion = cut
                .as_ref()
                .map(|c| format!(": add `WHERE {c}`, an instant after it is deployed"))
                .unwrap_or_else(|| {
                    ": add a lower bound on its time column, at an instant after it is deployed"
                        .to_string()
                });
            let d = Diagnostic::warning(
                "migration-missing-cutoff",
                range,
                format!(
                    "`{}` writes every row into `{}`, which replaces `{}`, and it has no cutoff: a backfill of the history into `{}` would overlap the rows it writes (counted twice) or leave a gap (lost). Cut it before deploying it{suggestion}.",
                    cx.name(live),
                    cx.ds(new),
                    cx.ds(legacy),
                    cx.ds(new),
                ),
            );
            let d = match cut
                .as_ref()
                .and_then(|c| Some((c, super::condition_fix(cx, live, c)?)))
            {
                Some((condition, edits)) => {
                    d.with_fix(format!("Add cutoff filter `{condition}`"), edits)
                }
                None => d,
            };
            push(out, &live.path, d);
        }
    }
}

/// A cutoff for a live side that has none, as the add-column step places one: on the time
/// column its SELECT buckets (`toDate(ts)` → `ts`), an hour after now rounded up to the next
/// hour (a day for a Date column), `>`. `None` without a clock or a time column.
fn suggested_cutoff(cx: &Ctx, live: &Writer) -> Option<String> {
    let now = cx.now?;
    let node = &cx.p.resources[live.pipe].nodes[live.node];
    let main = node.sql.as_ref()?.main.as_ref()?;
    let source = live.source.as_deref()?;
    let (ds, _) =
        cx.p.named(source)
            .find(|(_, r)| r.kind == ResourceKind::Datasource)?;
    let cols = columns(cx.p, ds);
    let column = main.items.iter().find_map(|item| {
        let text = node.sql_map.text.get(item.range.start..item.range.end)?;
        let (col, bucket) = Bucket::of_item(item, text)?;
        let c = cols.iter().find(|c| c.name == col)?;
        (bucket.unit != Unit::Second && c.parsed.as_ref().is_some_and(|t| t.is_time())).then_some(c)
    })?;
    let ty = column.parsed.as_ref()?;
    let grid = if ty.is_date() {
        Bucket::new(Unit::Day, Repr::Date)
    } else {
        Bucket::new(Unit::Hour, Repr::DateTime)
    };
    let at = grid.round_up(now + 3600, ty.zone().unwrap_or("UTC"))?;
    Some(format!(
        "{} > {}",
        column.name,
        cutoff_literal(Some(ty), at)
    ))
}

#[cfg(test)]
mod tests {
    use crate::fixture::Fixture;

    /// The live pipe's SQL written in an `.incl`.
    fn included_live(extra: &str) -> String {
        format!(
            "{}{}{}{}{extra}",
            base!(),
            new_target!(),
            backfill!(),
            r#"
        //- includes/sessions_2.incl
        NODE n
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device,
                anySimpleState(env) AS env, countState() AS hits
            FROM hits
            GROUP BY date, session_id
        //- pipes/sessions_2_mv.pipe
        INCLUDE "../includes/sessions_2.incl"

        TYPE materialized
        DATASOURCE sessions_2
            "#
        )
    }

    fn cutoff_fixes(fixture: &str) -> Vec<(Option<String>, String)> {
        let a = Fixture::parse(fixture).analyze();
        let d = a.diagnostics["pipes/sessions_2_mv.pipe"]
            .iter()
            .find(|d| d.code == "migration-missing-cutoff")
            .expect("missing cutoff reported")
            .clone();
        d.fixes
            .iter()
            .flat_map(|f| &f.edits)
            .map(|e| (e.path.clone(), e.new_text.clone()))
            .collect()
    }

    /// The WHERE goes into the `.incl` the SQL is written in, never onto the INCLUDE line.
    #[test]
    fn the_cutoff_goes_into_the_included_file_it_is_written_in() {
        let edits = cutoff_fixes(&included_live(""));
        assert_eq!(edits.len(), 1, "{edits:?}");
        assert_eq!(edits[0].0.as_deref(), Some("includes/sessions_2.incl"));
        assert!(
            edits[0].1.contains("WHERE ts > '2026-01-01 00:00:00'"),
            "{edits:?}"
        );
    }

    /// An `.incl` another pipe includes too is not edited: the cutoff would filter that pipe.
    #[test]
    fn no_cutoff_fix_in_an_included_file_another_pipe_shares() {
        let shared = r#"
        //- pipes/other.pipe
        INCLUDE "../includes/sessions_2.incl"
            "#;
        assert!(cutoff_fixes(&included_live(shared)).is_empty());
    }
}
