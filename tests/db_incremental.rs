//! The project database updates its model in place after edits that keep the project's
//! structure. This checks, on the fixture projects and every corpus project, that after each of
//! many edits the incremental result (diagnostics and graph) equals a fresh analysis of the
//! same texts.

use analysis::db::ProjectDb;
use disk::{disk_loader, load_project, walk};
use project::graph::Graph;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

/// Diagnostics and graph edges, order-independent.
fn fingerprint(db: &mut ProjectDb) -> (String, BTreeSet<String>) {
    let a = db.analyze(&disk_loader);
    let diags = format!("{:?}", a.diagnostics);
    let g = Graph::of(&a.project);
    let edges = g
        .edges
        .iter()
        .map(|e| format!("{} -{}-> {}", e.from, e.kind, e.to))
        .collect();
    (diags, edges)
}

fn check_project(root: &Path) -> usize {
    let files = walk(root);
    let Ok(mut db) = load_project(root, &files, &[], None) else {
        return 0;
    };
    fingerprint(&mut db);
    let datafiles: Vec<String> = db
        .paths()
        .filter(|p| p.ends_with(".pipe") || p.ends_with(".datasource"))
        .map(str::to_string)
        .collect();
    let mut checked = 0;
    for (k, rel) in datafiles.iter().enumerate() {
        let text = db.text(rel).unwrap().to_string();
        let lines: Vec<&str> = text.lines().collect();
        // Edits that keep the resource: drop a line, duplicate one, rename tables and nodes.
        let mut edits = vec![
            lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != (k * 7) % lines.len().max(1))
                .map(|(_, l)| *l)
                .collect::<Vec<_>>()
                .join("\n"),
            text.replacen("FROM ", "FROM x_", 1),
            text.replacen("NODE ", "NODE renamed_", 1),
            text.replacen("TYPE materialized", "TYPE endpoint", 1),
            format!(
                "{text}\nTYPE materialized\nDATASOURCE {}\n",
                datafiles[0]
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .split('.')
                    .next()
                    .unwrap()
            ),
        ];
        edits.push(text.clone());
        for edit in edits {
            db.set_file(rel, Arc::from(edit.as_str()));
            let incremental = fingerprint(&mut db);
            // The same texts analysed from scratch.
            let mut fresh = ProjectDb::new(db.root(), None);
            for p in db.paths().map(str::to_string).collect::<Vec<_>>() {
                fresh.set_file(&p, db.text(&p).unwrap());
            }
            // Files that only tell the dialect (`.tinyenv`, ...).
            for p in files.iter().filter(|p| !db.contains(p)) {
                fresh.set_file(p, Arc::from(""));
            }
            let full = fingerprint(&mut fresh);
            assert_eq!(
                incremental.0,
                full.0,
                "diagnostics differ after editing {rel} in {}",
                root.display()
            );
            assert_eq!(
                incremental.1,
                full.1,
                "graph differs after editing {rel} in {}",
                root.display()
            );
            checked += 1;
        }
    }
    checked
}

#[test]
fn incremental_analysis_equals_a_fresh_one() {
    let mut checked = 0;
    for fixture in [
        "tests/fixtures/check/project-graph",
        "tests/fixtures/check/broken-classic",
    ] {
        checked += check_project(Path::new(fixture));
    }
    let corpus = Path::new("../shared/corpus");
    if corpus.exists() {
        for e in std::fs::read_dir(corpus).unwrap().flatten() {
            if e.path().is_dir() {
                checked += check_project(&e.path());
            }
        }
    }
    assert!(checked > 100, "only {checked} edits checked");
    eprintln!("{checked} edits: incremental == fresh");
}

/// The column rules' per-pipe results are kept across edits while what they were read from
/// stays: a column removed two tables upstream (through a `SELECT *` pipe) is reported in the
/// pipe reading it, and reported no more once it is back.
#[test]
fn column_results_follow_upstream_edits() {
    let ds = |cols: &str| {
        format!("SCHEMA >\n{cols}\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"a\"\n")
    };
    let mut db = ProjectDb::new("/nonexistent-root", None);
    db.set_file(
        "datasources/ds.datasource",
        Arc::from(ds("    `a` String,\n    `b` String").as_str()),
    );
    db.set_file(
        "pipes/all.pipe",
        Arc::from("NODE n\nSQL >\n    SELECT * FROM ds\n\nTYPE endpoint\n"),
    );
    db.set_file(
        "pipes/reader.pipe",
        Arc::from("NODE n\nSQL >\n    SELECT b FROM all\n\nTYPE endpoint\n"),
    );
    let unknown = |db: &mut ProjectDb| -> Vec<String> {
        db.analyze(&|_: &str| None)
            .diagnostics
            .iter()
            .flat_map(|(f, ds)| {
                ds.iter()
                    .filter(|d| d.code == "unknown-column")
                    .map(move |d| format!("{f}: {}", d.message))
            })
            .collect()
    };
    assert!(unknown(&mut db).is_empty());
    db.set_file(
        "datasources/ds.datasource",
        Arc::from(ds("    `a` String").as_str()),
    );
    let after = unknown(&mut db);
    assert!(
        after.len() == 1 && after[0].starts_with("pipes/reader.pipe: `b`"),
        "{after:?}"
    );
    db.set_file(
        "datasources/ds.datasource",
        Arc::from(ds("    `a` String,\n    `b` String").as_str()),
    );
    assert!(unknown(&mut db).is_empty());
}
