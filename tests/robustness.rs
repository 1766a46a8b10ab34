//! The parser never panics and never hangs, and every range it reports lies inside the text on
//! character boundaries: random datafiles built from datafile-like pieces, and mutated corpus files.

mod common;

use proptest::prelude::*;
use syntax::{self, tree::parse_tree, Dialect, FileKind};

const PIECES: &[&str] = &[
    "NODE ",
    "SQL >",
    "SQL",
    ">",
    "SCHEMA >",
    "TYPE ",
    "materialized",
    "endpoint",
    "DATASOURCE ",
    "ENGINE ",
    "ENGINE_SORTING_KEY ",
    "\"MergeTree\"",
    "INDEXES >",
    "TOKEN ",
    "READ",
    "INCLUDE ",
    "\"x.incl\"",
    "DESCRIPTION >",
    "FORWARD_QUERY >",
    "TAGS ",
    "VERSION ",
    "SETTINGS ",
    "    ",
    "\t",
    "\n",
    "\r\n",
    "#",
    "--",
    "`",
    "`json:$.a`",
    "'",
    "\"",
    ",",
    "(",
    ")",
    "{{",
    "}}",
    "{%",
    "%}",
    "% ",
    "if",
    "end",
    "DEFAULT ",
    "CODEC(",
    "Nullable(",
    "String",
    "Int32",
    "a",
    "é",
    "😀",
    "FROM ",
    "from",
    "SELECT 1",
    "$VAR",
    "${X}",
    "=",
    "INDEX ",
    "TYPE",
    "GRANULARITY 1",
];

fn check_all(text: &str) {
    let loader = |_: &str| Some("NODE inc\nSQL >\n    SELECT 1\n".to_string());
    let no = |_: &str| false;
    for dialect in [Dialect::Classic, Dialect::Forward] {
        for kind in [
            FileKind::Datasource,
            FileKind::Pipe,
            FileKind::Include,
            FileKind::Connection,
        ] {
            for fragment in [false, true] {
                let p = syntax::parse(
                    text,
                    &syntax::ParseOptions {
                        dialect,
                        kind,
                        base_dir: "",
                        loader: Some(&loader),
                        secret_defined: &no,
                        fragment,
                    },
                );
                for d in &p.diagnostics {
                    assert!(
                        d.range.start <= d.range.end && d.range.end <= text.len(),
                        "{d:?}"
                    );
                    assert!(
                        text.is_char_boundary(d.range.start) && text.is_char_boundary(d.range.end),
                        "{d:?}"
                    );
                }
            }
        }
    }
    let tree = parse_tree(text, None).expect("tree-sitter parses any text");
    assert_eq!(
        tree.root_node().end_byte().max(text.len()),
        text.len().max(tree.root_node().end_byte())
    );
}

/// SQL pieces, template tags included, for the SQL layer.
const SQL_PIECES: &[&str] = &[
    "SELECT ",
    "FROM ",
    "WHERE ",
    " AND ",
    "(",
    ")",
    "[",
    "]",
    ",",
    "'",
    "\"",
    "`",
    "x",
    "t.a",
    " AS ",
    "{{ ",
    " }}",
    "{% if defined(x) %}",
    "{% else %}",
    "{% end %}",
    "{% for a in b %}",
    "%\n",
    "--",
    "/*",
    "*/",
    "WITH c AS ",
    " IN ",
    "JOIN ",
    " ON ",
    "count()",
    "sumIfState(",
    "::",
    "->",
    "?",
    ":",
    "INTERVAL 1 DAY",
    "UNION ALL ",
    "{{ table('t') }}",
    "é",
    "\n",
    "$$",
    "CASE WHEN ",
    " THEN ",
    " END",
    "1e",
    ".5",
    "#",
    "{x:String}",
];

/// The SQL layer on any text: no panic, every range inside the text and on char boundaries.
fn check_sql(text: &str) {
    let a = syntax::sql::analyze(text);
    let ok = |r: syntax::text::TextRange| {
        r.start <= r.end
            && r.end <= text.len()
            && text.is_char_boundary(r.start)
            && text.is_char_boundary(r.end)
    };
    for t in &a.tables {
        assert!(ok(t.range), "{t:?} in {text:?}");
    }
    for e in &syntax::sql::check_syntax(text) {
        assert!(ok(e.range), "{e:?} in {text:?}");
    }
    if let Some(m) = &a.main {
        for i in &m.items {
            assert!(ok(i.range), "{i:?} in {text:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn random_sql(parts in prop::collection::vec(prop::sample::select(SQL_PIECES), 0..60)) {
        check_sql(&parts.concat());
    }

    #[test]
    fn arbitrary_sql_text(text in "\\PC{0,200}") {
        check_sql(&text);
    }

    #[test]
    fn random_datafiles(parts in prop::collection::vec(prop::sample::select(PIECES), 0..80)) {
        check_all(&parts.concat());
    }

    #[test]
    fn arbitrary_text(text in "\\PC{0,300}") {
        check_all(&text);
    }

    #[test]
    fn mutated_corpus_files(file in 0usize..400, edits in prop::collection::vec((0usize..5000, prop::sample::select(PIECES)), 1..6)) {
        let corpus = common::shared().join("corpus");
        let mut paths: Vec<_> = std::fs::read_to_string(corpus.join("VERDICTS.jsonl")).unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["file"].as_str().unwrap().to_string())
            .collect();
        paths.sort();
        let mut text = std::fs::read_to_string(corpus.join(&paths[file % paths.len()])).unwrap();
        for (at, piece) in edits {
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) { at -= 1; }
            if at.is_multiple_of(2) {
                text.insert_str(at, piece);
            } else {
                let mut end = (at + piece.len()).min(text.len());
                while !text.is_char_boundary(end) { end += 1; }
                text.replace_range(at..end, "");
            }
        }
        check_all(&text);
    }
}
