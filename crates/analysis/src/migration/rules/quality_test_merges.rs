//! `quality-test-merge-mismatch`: a test compares the legacy and new targets of a migration
//! with different `-Merge` functions on the two sides (`countMerge(hits)` of one against
//! `sumMerge(hits)` of the other): the comparison proves nothing about the backfill.
//! `quality-test-no-lag-window`: such a test compares all rows, with no window that leaves out
//! the rows still arriving, so it fails now and then while ingestion runs.

use super::{push, Ctx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::{EdgeKind, ResourceId, Source, Target};
use std::collections::BTreeSet;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::{Hint, Warning};
use syntax::sql::lexer::{tokenize, TokenKind};

/// Per subquery of a test's SQL: the table after its FROM and the `-Merge` functions it calls.
fn merges_by_table(sql: &str) -> Vec<(String, BTreeSet<String>)> {
    let toks = tokenize(sql);
    let text = |i: usize| toks[i].text(sql);
    // Spans of `( SELECT …)` and of the whole query.
    let mut spans = vec![(0, toks.len())];
    let mut stack = Vec::new();
    for i in 0..toks.len() {
        match toks[i].kind {
            TokenKind::LParen => stack.push(i),
            TokenKind::RParen => {
                if let Some(open) = stack.pop() {
                    if open + 1 < toks.len() && text(open + 1).eq_ignore_ascii_case("select") {
                        spans.push((open + 1, i));
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for &(start, end) in &spans {
        // Skip tokens inside nested subqueries of this span.
        let nested: Vec<(usize, usize)> = spans
            .iter()
            .copied()
            .filter(|&(s, e)| s > start && e <= end && (s, e) != (start, end))
            .collect();
        let inside = |i: usize| !nested.iter().any(|&(s, e)| i >= s && i < e);
        let mut table = None;
        let mut merges = BTreeSet::new();
        for i in start..end {
            if !inside(i) || toks[i].kind != TokenKind::Word {
                continue;
            }
            let w = text(i);
            if w.eq_ignore_ascii_case("from") && table.is_none() {
                if let Some(t) = toks
                    .get(i + 1)
                    .filter(|t| matches!(t.kind, TokenKind::Word | TokenKind::QuotedIdent))
                {
                    table = Some(t.text(sql).trim_matches(['`', '"']).to_string());
                }
            } else if w.ends_with("Merge")
                && toks.get(i + 1).is_some_and(|t| t.kind == TokenKind::LParen)
            {
                merges.insert(w.to_string());
            }
        }
        if let Some(t) = table {
            if !merges.is_empty() {
                out.push((t, merges));
            }
        }
    }
    out
}

/// Whether a test's SQL bounds the rows it compares in time: an `INTERVAL`, a `now()` call,
/// or an upper bound `< '…'` / `<= '…'`, read from the SQL's tokens (a comment or a string
/// holding "interval" is not a window).
fn has_lag_window(sql: &str) -> bool {
    use syntax::sql::lexer::{tokenize, TokenKind};
    let tokens = tokenize(sql);
    let text = |i: usize| {
        tokens.get(i).map_or("", |t: &syntax::sql::lexer::Token| {
            &sql[t.range.start..t.range.end]
        })
    };
    (0..tokens.len()).any(|i| {
        let t = &tokens[i];
        match t.kind {
            TokenKind::Word => {
                let w = text(i);
                w.eq_ignore_ascii_case("interval")
                    || (w.eq_ignore_ascii_case("now")
                        && tokens
                            .get(i + 1)
                            .is_some_and(|n| n.kind == TokenKind::LParen))
            }
            TokenKind::Op => {
                matches!(text(i), "<" | "<=")
                    && tokens
                        .get(i + 1)
                        .is_some_and(|n| n.kind == TokenKind::String)
            }
            _ => false,
        }
    })
}

pub const RULE: Rule = Rule {
    name: "quality_test_merges",
    scope: Scope::Project,
    check: Check::Migration(check),
    codes: &[
        Code::new(
            "quality-test-merge-mismatch",
            Warning,
            "A quality test comparing different measures",
        ),
        Code::new(
            "quality-test-no-lag-window",
            Hint,
            "A quality test without a lag window",
        ),
    ],
    examples: &[
        Example::reported(
            "quality-test-merge-mismatch",
            concat!(
                migrated!(),
                r#"
        //- tests/sessions_2.yaml
        - totals_match:
            max_bytes_read: null
            max_time: null
            sql: |
              SELECT
                (SELECT countMerge(hits) FROM sessions WHERE date < '2026-01-01') AS legacy,
                (SELECT sumMerge(hits) FROM sessions_2 WHERE date < '2026-01-01') AS new
              WHERE legacy != new
        "#
            ),
        ),
        Example::not_reported("quality-test-merge-mismatch", migrated!()),
        Example::reported(
            "quality-test-no-lag-window",
            concat!(
                migrated!(),
                r#"
        //- tests/sessions_2.yaml
        - totals_match:
            max_bytes_read: null
            max_time: null
            sql: |
              SELECT
                (SELECT countMerge(hits) FROM sessions) AS legacy,
                (SELECT countMerge(hits) FROM sessions_2) AS new
              WHERE legacy != new
        "#
            ),
        ),
        Example::not_reported("quality-test-no-lag-window", migrated!()),
    ],
};

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    let p = cx.p;
    for m in &cx.m.migrations {
        let Some(legacy) = m.legacy else { continue };
        let (l, n) = (cx.ds(legacy), cx.ds(m.new));
        for (ti, t) in p.tests.iter_enumerated() {
            for case in &t.file.cases {
                let reads = |target: ResourceId| {
                    p.edges.iter().find(|e| {
                        e.kind == EdgeKind::TestReads
                            && e.from == Source::Test(ti)
                            && e.from_node.as_deref() == Some(case.name.as_str())
                            && e.target == Target::Resource(target)
                    })
                };
                let (Some(_), Some(new_ref)) = (reads(legacy), reads(m.new)) else {
                    continue;
                };
                let Some(sql) = &case.sql else { continue };
                if !has_lag_window(&sql.text) {
                    let d = Diagnostic::hint(
                        "quality-test-no-lag-window",
                        new_ref.range,
                        format!(
                            "The test `{}` compares `{l}` and `{n}` over all their rows: while ingestion runs, rows still arriving make the totals differ now and then (a flaky test). Compare only rows older than a few seconds on both sides (`WHERE ts <= now() - INTERVAL 10 SECOND`), or the buckets before the cutoff.",
                            case.name
                        ),
                    );
                    push(out, &t.file.path, d);
                }
                let found = merges_by_table(&sql.text);
                let side = |name: &str| -> BTreeSet<String> {
                    found
                        .iter()
                        .filter(|(t, _)| t == name)
                        .flat_map(|(_, m)| m.iter().cloned())
                        .collect()
                };
                let (ml, mn) = (side(l), side(n));
                if ml.is_empty() || mn.is_empty() || ml == mn {
                    continue;
                }
                let list = |s: &BTreeSet<String>| {
                    s.iter()
                        .map(|f| format!("`{f}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let d = Diagnostic::warning(
                    "quality-test-merge-mismatch",
                    new_ref.range,
                    format!(
                        "The test `{}` reads `{l}` with {} but `{n}` with {}: the two sides are not the same measure, so the comparison proves nothing about the backfill. Use the same merge on both.",
                        case.name,
                        list(&ml),
                        list(&mn)
                    ),
                );
                push(out, &t.file.path, d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{has_lag_window, merges_by_table};

    #[test]
    fn finds_merges_per_subquery() {
        let sql = "WITH (SELECT countMerge(hits) FROM a) AS x, (SELECT sumMerge(hits) FROM `b`) AS y SELECT x - y AS d WHERE d != 0";
        let found = merges_by_table(sql);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, "a");
        assert!(found[0].1.contains("countMerge"));
        assert_eq!(found[1].0, "b");
        assert!(found[1].1.contains("sumMerge"));
    }

    #[test]
    fn lag_windows_are_read_from_the_sql_not_its_text() {
        assert!(has_lag_window(
            "SELECT 1 FROM t WHERE ts <= now() - INTERVAL 10 SECOND"
        ));
        assert!(has_lag_window("SELECT 1 FROM t WHERE day <= '2024-01-01'"));
        assert!(has_lag_window("SELECT 1 FROM t WHERE ts < NOW ()"));
        assert!(!has_lag_window("SELECT 1 FROM t -- no interval here\n"));
        assert!(!has_lag_window(
            "SELECT 'interval' AS x, 'now()' AS y FROM t"
        ));
        assert!(!has_lag_window("SELECT 1 FROM t /* < '2024-01-01' */"));
    }
}
