//! `aggregating-key-mismatch`: an AggregatingMergeTree target merges the rows that share its
//! sorting key. A GROUP BY key of the materializing node that is not in the sorting key is
//! merged away: rows that differ only in it are combined into one when parts merge.

use super::{push, Ctx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::{EdgeKind, ResourceKind};
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;
use syntax::text::TextRange;

/// The columns of a sorting key expression: `date, session_id`, `(a, b)`, `tuple(a)`.
pub fn key_columns(key: &str) -> Vec<String> {
    let k = key.trim();
    let k = k
        .strip_prefix("tuple(")
        .or_else(|| k.strip_prefix('('))
        .and_then(|k| k.strip_suffix(')'))
        .unwrap_or(k);
    let out = crate::migration::instant::split_args(k);
    out.iter()
        .map(|s| s.trim().trim_matches('`').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

pub const RULE: Rule = Rule {
    name: "sorting_key_group_by",
    scope: Scope::Pipe,
    check: Check::Pipe(check),
    codes: &[Code::new(
        "aggregating-key-mismatch",
        Warning,
        "GROUP BY keys outside the sorting key",
    )],
    examples: &[
        Example::reported(
            "aggregating-key-mismatch",
            concat!(
                base!(),
                r#"
        //- datasources/sessions.datasource
        SCHEMA >
            `date` Date,
            `session_id` String,
            `device` SimpleAggregateFunction(any, String),
            `hits` AggregateFunction(count)
        ENGINE "AggregatingMergeTree"
        ENGINE_SORTING_KEY "date"
        "#
            ),
        ),
        Example::not_reported("aggregating-key-mismatch", base!()),
    ],
};

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    let p = cx.p;
    for w in cx.scoped_writers() {
        if w.kind != EdgeKind::MaterializesInto || w.opaque {
            continue;
        }
        let t = &p.resources[w.target];
        if t.kind != ResourceKind::Datasource || !t.defined_by_file() {
            continue;
        }
        let df = &p.files[t.file].datafile;
        let Some(engine) = df.engine() else { continue };
        if !engine
            .name
            .as_ref()
            .is_some_and(|n| n.text.contains("AggregatingMergeTree"))
        {
            continue;
        }
        let Some(key) = engine.param("sorting_key") else {
            continue;
        };
        let keys = key_columns(&key.text);
        let node = &p.resources[w.pipe].nodes[w.node];
        let Some(sql) = &node.sql else { continue };
        let Some(main) = &sql.main else { continue };
        if main.group_by.is_empty() || sql.templated {
            continue;
        }
        let text = node.sql_map.text.as_str();
        let slice = |r: TextRange| text.get(r.start..r.end).unwrap_or("").trim().to_string();
        let mut unmerged = Vec::new();
        for g in &main.group_by {
            let expr = slice(*g);
            // A GROUP BY on an expression counts as its alias in the SELECT.
            let name = main
                .items
                .iter()
                .find(|i| {
                    // The item's expression, exactly (`toDate(ts) AS day` for `toDate(ts)`,
                    // not `toDate(ts) + 1 AS next_day`).
                    i.alias.is_some() && {
                        let item = slice(i.range);
                        item.to_ascii_lowercase()
                            .rfind(" as ")
                            .is_some_and(|at| item[..at].trim() == expr.trim())
                    }
                })
                .map(|i| i.output_name.clone())
                .unwrap_or(expr.clone());
            let bare = name.trim_matches('`').to_string();
            if !keys.contains(&bare) && !keys.contains(&expr) {
                unmerged.push((bare, *g));
            }
        }
        for (name, range) in unmerged {
            let d = Diagnostic::warning(
                "aggregating-key-mismatch",
                node.file_range(range),
                format!(
                    "`{}` groups by `{name}`, but `{}` (AggregatingMergeTree) merges rows by its sorting key `{}`: rows that differ only in `{name}` are combined into one when parts merge (recent ClickHouse, 26.9 here, refuses to create such a table: code 36). Add `{name}` to ENGINE_SORTING_KEY or remove it from the GROUP BY.",
                    cx.name(w),
                    t.name,
                    key.text
                ),
            )
            .with_related(Some(t.path.to_string()), key.range, "the sorting key");
            push(out, &w.path, d);
        }
    }
}
