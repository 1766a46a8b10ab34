//! Our SQL layer against ClickHouse's own parser on every node of ../shared/corpus.
//!
//! * Table references: the official verdicts (VERDICTS.jsonl) hold, per node, the tables
//!   ClickHouse's AST walker (chtoolset `query.tables()`) finds in the SQL the official CLI
//!   renders. Our set must be equal on every node.
//! * Select aliases: ClickHouse (chdb `EXPLAIN AST`, tests/support/chdb_ast.py) gives the alias of
//!   each item of the first SELECT; ours must be the same list.
//! * Syntax errors: every error we report, on the corpus SQL and on mutations of it, ClickHouse
//!   reports too.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};
use syntax::sql::{self, facts::RefContext};
use syntax::Dialect;

/// Nodes where our table set may differ from ClickHouse's: (file, node, reason).
const EXPECTED_DIFFERENCES: &[(&str, &str, &str)] = &[];

/// The Python that has chdb (scripts/ensure-chdb installs it).
pub fn chdb_python() -> String {
    let p = std::env::var("CHDB_PYTHON").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/tinybird-lsp/venv/bin/python")
    });
    assert!(
        std::path::Path::new(&p).exists(),
        "chdb's Python is missing at {p}: run scripts/ensure-chdb (or set CHDB_PYTHON)"
    );
    p
}

/// Runs ClickHouse's parser on each query.
fn clickhouse(queries: &[String]) -> Vec<Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/chdb_ast.py");
    let mut child = Command::new(chdb_python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run chdb");
    let input = serde_json::to_vec(queries).unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "chdb_ast.py failed");
    let v: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.len(), queries.len());
    v
}

struct NodeCase {
    file: String,
    node: String,
    sql: String,
    tables: BTreeSet<String>,
}

/// Every node the official Classic parser accepted, with the SQL it analysed (the test-mode
/// rendering for templates) and ClickHouse's tables.
fn corpus_nodes() -> Vec<NodeCase> {
    let corpus = shared().join("corpus");
    let verdicts = std::fs::read_to_string(corpus.join("VERDICTS.jsonl")).unwrap();
    let mut out = Vec::new();
    for line in verdicts.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let file = v["file"].as_str().unwrap().to_string();
        let c = &v["classic"];
        let Some(per_node) = c["deps"]["per_node"].as_array() else {
            continue;
        };
        let parsed = parse_file(&corpus.join(&file), Dialect::Classic).unwrap();
        for pn in per_node {
            let node = pn["node"].as_str().unwrap().to_string();
            let sql = match pn["rendered_sql"].as_str() {
                Some(r) => r.to_string(),
                None => {
                    let Some(n) = parsed.datafile.nodes.iter().find(|n| n.name == node) else {
                        panic!("{file}: node {node} not found by our parser");
                    };
                    n.sql
                        .as_ref()
                        .map(|s| s.text.text.clone())
                        .unwrap_or_default()
                }
            };
            let tables = pn["tables_raw"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|t| t[2].as_str() == Some(""))
                .map(|t| {
                    let db = t[0].as_str().unwrap();
                    let name = t[1].as_str().unwrap();
                    if db.is_empty() {
                        name.to_string()
                    } else {
                        format!("{db}.{name}")
                    }
                })
                .collect();
            out.push(NodeCase {
                file: file.clone(),
                node,
                sql,
                tables,
            });
        }
    }
    out
}

#[test]
fn table_references_and_aliases_match_clickhouse() {
    let nodes = corpus_nodes();
    assert!(nodes.len() > 400, "only {} corpus nodes", nodes.len());
    let ch = clickhouse(&nodes.iter().map(|n| n.sql.clone()).collect::<Vec<_>>());
    let mut table_diffs = Vec::new();
    let mut alias_diffs = Vec::new();
    let mut parsed_by_clickhouse = 0;
    for (n, ch) in nodes.iter().zip(&ch) {
        let a = sql::analyze(&n.sql);
        let ours: BTreeSet<String> = a
            .tables
            .iter()
            .filter(|t| t.context != RefContext::TemplateTable)
            .map(|t| t.full_name())
            .collect();
        let expected = EXPECTED_DIFFERENCES
            .iter()
            .any(|(f, node, _)| *f == n.file && *node == n.node);
        if ours != n.tables && !expected {
            table_diffs.push(format!(
                "{} / {}: ours {:?}, ClickHouse {:?}",
                n.file, n.node, ours, n.tables
            ));
        }
        if ch["ok"] == Value::Bool(true) {
            parsed_by_clickhouse += 1;
            let theirs: Vec<Option<String>> = ch["aliases"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().map(str::to_string))
                .collect();
            let ours: Vec<Option<String>> = a
                .main
                .as_ref()
                .map(|m| m.items.iter().map(|i| i.alias.clone()).collect())
                .unwrap_or_default();
            if ours != theirs {
                alias_diffs.push(format!(
                    "{} / {}: ours {:?}, ClickHouse {:?}",
                    n.file, n.node, ours, theirs
                ));
            }
        }
    }
    assert!(
        parsed_by_clickhouse > 400,
        "ClickHouse parsed only {parsed_by_clickhouse} nodes"
    );
    assert!(
        table_diffs.is_empty() && alias_diffs.is_empty(),
        "{} table differences:\n{}\n\n{} alias differences:\n{}",
        table_diffs.len(),
        table_diffs.join("\n"),
        alias_diffs.len(),
        alias_diffs.join("\n")
    );
}

/// Mutations of corpus SQL: each token dropped in turn (bounded per node), plus the SQL cut in
/// half. Whenever we report a syntax error, ClickHouse must reject the query too.
#[test]
fn every_syntax_error_we_report_clickhouse_reports() {
    let nodes = corpus_nodes();
    let mut cases: Vec<String> = Vec::new();
    for n in &nodes {
        if !sql::check_syntax(&n.sql).is_empty() {
            cases.push(n.sql.clone());
        }
        let toks = sql::lexer::tokenize(&n.sql);
        for t in toks.iter().step_by(7) {
            let mut m = n.sql.clone();
            m.replace_range(t.range.start..t.range.end, "");
            if !sql::check_syntax(&m).is_empty() {
                cases.push(m);
            }
        }
        let mut half = n.sql.len() / 2;
        while !n.sql.is_char_boundary(half) {
            half -= 1;
        }
        let cut = n.sql[..half].to_string();
        if !sql::check_syntax(&cut).is_empty() {
            cases.push(cut);
        }
    }
    assert!(cases.len() > 100, "too few error cases: {}", cases.len());
    let ch = clickhouse(&cases);
    let accepted: Vec<&String> = cases
        .iter()
        .zip(&ch)
        .filter(|(_, r)| r["ok"] == Value::Bool(true))
        .map(|(c, _)| c)
        .collect();
    assert!(
        accepted.is_empty(),
        "we report a syntax error on {} queries ClickHouse accepts, e.g.:\n{}",
        accepted.len(),
        accepted
            .iter()
            .take(5)
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n----\n")
    );
}

/// ClickHouse reads any word where a table goes (`FROM settings`, `JOIN order`), keyword or not;
/// so must we: every word our parser treats as a clause keyword, as a table in the places a
/// query names one.
#[test]
fn reserved_words_name_tables_as_in_clickhouse() {
    let words = [
        "all",
        "and",
        "any",
        "array",
        "as",
        "asof",
        "between",
        "by",
        "cross",
        "desc",
        "else",
        "end",
        "except",
        "final",
        "format",
        "from",
        "full",
        "global",
        "group",
        "having",
        "in",
        "inner",
        "intersect",
        "into",
        "join",
        "left",
        "like",
        "limit",
        "not",
        "offset",
        "on",
        "or",
        "order",
        "outer",
        "prewhere",
        "right",
        "sample",
        "semi",
        "settings",
        "then",
        "union",
        "using",
        "when",
        "where",
        "window",
        "with",
    ];
    let queries: Vec<String> = words
        .iter()
        .flat_map(|w| {
            [
                format!("SELECT v FROM {w}"),
                format!("SELECT v FROM {w} WHERE v > 1"),
                format!("WITH (SELECT max(v) FROM {w}) AS m SELECT m FROM events"),
                format!("SELECT v FROM events AS e JOIN {w} AS x USING v"),
                format!("SELECT v FROM events WHERE v IN (SELECT v FROM {w}) AND 1"),
                format!("SELECT v FROM events, {w}"),
            ]
        })
        .collect();
    let verdicts = clickhouse(&queries);
    let mut failures = Vec::new();
    for (q, v) in queries.iter().zip(&verdicts) {
        if v["ok"] != true {
            continue; // ClickHouse does not read it as a query: nothing to agree on
        }
        let theirs: BTreeSet<String> = v["tables"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect();
        let ours: BTreeSet<String> = sql::analyze(q)
            .tables
            .iter()
            .map(|t| t.full_name())
            .collect();
        if ours != theirs {
            failures.push(format!("{q}\n  ClickHouse: {theirs:?}\n  ours: {ours:?}"));
        }
    }
    assert!(verdicts.iter().filter(|v| v["ok"] == true).count() > words.len() * 4);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
