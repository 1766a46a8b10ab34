//! Formatting on every datafile of ../shared/corpus: formatting twice gives the text of
//! formatting once, and the official parser (../shared/tools/tb-oracle, the project's dialect)
//! reads the formatted file exactly as it reads the original: same verdict, same parsed
//! document.

#[path = "support/chdb_project.rs"]
mod chdb_project;
mod common;

use cli::check::{check_path, CheckOptions};
use ide::format::format;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use syntax::{Dialect, FileKind};

struct Formatted {
    /// Relative to the corpus folder.
    path: String,
    dialect: Dialect,
    original: String,
    formatted: String,
}

fn corpus_files() -> Vec<Formatted> {
    let corpus = common::shared().join("corpus");
    let mut out = Vec::new();
    let mut projects: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    projects.sort();
    for dir in projects {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let report = check_path(&dir, CheckOptions::default()).unwrap();
        for project in &report.projects {
            for f in &project.files {
                let Some(kind) = FileKind::detect(&f.path, &f.text) else {
                    continue;
                };
                let dialect = project.dialect.dialect;
                out.push(Formatted {
                    path: format!("{name}/{}", f.path),
                    dialect,
                    original: f.text.clone(),
                    formatted: format(&f.text, dialect, kind),
                });
            }
        }
    }
    out
}

#[test]
fn formatting_the_corpus_is_idempotent() {
    let files = corpus_files();
    assert!(files.len() > 300, "corpus has {} datafiles", files.len());
    let mut bad = Vec::new();
    for f in &files {
        let kind = FileKind::detect(&f.path, &f.formatted).unwrap();
        let again = format(&f.formatted, f.dialect, kind);
        if again != f.formatted {
            bad.push(f.path.clone());
        }
    }
    assert!(bad.is_empty(), "not idempotent: {bad:#?}");
    let changed = files.iter().filter(|f| f.formatted != f.original).count();
    assert!(
        changed > 0,
        "the corpus has unformatted files: formatting must change some"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// The official parser's verdicts for files (one per line of the batch), by path relative to
/// `root`, with `root` taken out of every message.
fn oracle(root: &Path, paths: &[&str], cli: &str) -> BTreeMap<String, Value> {
    let abs: Vec<String> = paths
        .iter()
        .map(|p| root.join(p).display().to_string())
        .collect();
    let prefix = format!("{}/", root.display());
    let mut verdicts = BTreeMap::new();
    for v in common::tb_oracle(&abs, cli) {
        let file = v["file"].as_str().unwrap_or("").replace(&prefix, "");
        let verdict = v[cli].to_string().replace(&prefix, "");
        verdicts.insert(file, serde_json::from_str(&verdict).unwrap());
    }
    verdicts
}

/// Equal verdicts. A file the parser rejects must be rejected with the same error; its line
/// numbers and the white space it quotes may move (blank lines were removed, a block
/// re-indented).
fn same_reading(a: Option<&Value>, b: Option<&Value>) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return false;
    };
    if a == b {
        return true;
    }
    let rejected = |v: &Value| v["ok"].as_bool() == Some(false);
    let error = |v: &Value| -> String {
        let m = format!("{} {}", v["error"]["type"], v["error"]["message"]);
        m.chars()
            .filter(|c| !c.is_ascii_digit() && !c.is_whitespace())
            .collect()
    };
    rejected(a) && rejected(b) && error(a) == error(b)
}

#[test]
fn the_official_parser_reads_formatted_files_as_the_originals() {
    let files = corpus_files();
    let tmp = tempfile::tempdir().unwrap();
    let (before, after) = (tmp.path().join("before"), tmp.path().join("after"));
    copy_dir(&common::shared().join("corpus"), &before);
    copy_dir(&common::shared().join("corpus"), &after);
    let changed: Vec<&Formatted> = files.iter().filter(|f| f.formatted != f.original).collect();
    for f in &changed {
        std::fs::write(after.join(&f.path), &f.formatted).unwrap();
    }
    let mut differences = Vec::new();
    for (dialect, cli) in common::dialects() {
        let paths: Vec<&str> = changed
            .iter()
            .filter(|f| f.dialect == dialect)
            .map(|f| f.path.as_str())
            .collect();
        if paths.is_empty() {
            continue;
        }
        let a = oracle(&before, &paths, cli);
        let b = oracle(&after, &paths, cli);
        for p in &paths {
            if !same_reading(a.get(*p), b.get(*p)) {
                differences.push(format!(
                    "{p} ({cli}):\n  original:  {}\n  formatted: {}",
                    a.get(*p).map(|v| v.to_string()).unwrap_or_default(),
                    b.get(*p).map(|v| v.to_string()).unwrap_or_default()
                ));
            }
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {} formatted files read differently:\n{}",
        differences.len(),
        changed.len(),
        differences.join("\n")
    );
}

/// The plain SQL texts of a datafile (nodes and FORWARD_QUERY), in order.
fn plain_sql(text: &str, dialect: Dialect, kind: FileKind) -> Vec<String> {
    let parsed = syntax::parse(
        text,
        &syntax::ParseOptions {
            dialect,
            kind,
            base_dir: "",
            loader: None,
            secret_defined: &|_| true,
            fragment: kind == FileKind::Include,
        },
    );
    let df = parsed.datafile;
    df.nodes
        .iter()
        .filter_map(|n| n.sql.as_ref())
        .chain(df.forward_query.as_ref())
        .map(|s| s.text.text.clone())
        .filter(|s| !s.trim_start().starts_with('%'))
        .collect()
}

/// `fmt --sql` on the corpus: the datafile layer is what plain formatting gives, and every SQL
/// query it changes is the same query for ClickHouse (chdb's `EXPLAIN AST` before and after is
/// identical, or both fail).
#[test]
fn sql_keyword_case_keeps_clickhouses_reading() {
    use ide::format::{format_with, FormatOptions};
    let opts = FormatOptions { sql_keywords: true };
    let mut pairs: Vec<(String, String, String)> = Vec::new();
    for f in corpus_files() {
        let kind = FileKind::detect(&f.path, &f.original).unwrap();
        let with_sql = format_with(&f.original, f.dialect, kind, opts);
        assert_eq!(
            format_with(&with_sql, f.dialect, kind, opts),
            with_sql,
            "{}: not idempotent",
            f.path
        );
        let before = plain_sql(&f.formatted, f.dialect, kind);
        let after = plain_sql(&with_sql, f.dialect, kind);
        assert_eq!(before.len(), after.len(), "{}", f.path);
        for (b, a) in before.into_iter().zip(after) {
            if a != b {
                assert_eq!(
                    a.to_lowercase(),
                    b.to_lowercase(),
                    "{}: only case changes",
                    f.path
                );
                pairs.push((f.path.clone(), b, a));
            }
        }
    }
    assert!(
        pairs.len() > 50,
        "the corpus has lower-case keywords: {}",
        pairs.len()
    );
    eprintln!("{} SQL queries of the corpus change case", pairs.len());
    let statements: Vec<(String, bool)> = pairs
        .iter()
        .flat_map(|(_, b, a)| [b, a])
        .map(|q| (format!("EXPLAIN AST {q}"), true))
        .collect();
    let outcomes = chdb_project::run(&statements);
    let mut differences = Vec::new();
    for (i, (path, b, a)) in pairs.iter().enumerate() {
        let (ob, oa) = (&outcomes[2 * i], &outcomes[2 * i + 1]);
        let same = if ob.ok {
            oa.ok && !ob.rows.is_empty() && ob.rows == oa.rows
        } else {
            !oa.ok
        };
        if !same {
            differences.push(format!(
                "{path}:\n{b}\n--- became ---\n{a}\n{} / {}",
                ob.error, oa.error
            ));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n\n"));
}
