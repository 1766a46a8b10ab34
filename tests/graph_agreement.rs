//! Our dependency graph against the official Classic CLI's (`tb_oracle.py --graph`, stored in
//! tests/fixtures/oracle-graph by scripts/gen-oracle-graphs.sh) on every corpus project: every
//! edge it has, we have; an extra edge of ours comes only from a template branch its test-mode
//! rendering skips, or points at a file the Classic CLI does not read.

mod common;

use cli::check::{check_path, CheckOptions};
use common::*;
use project::model::{EdgeKind, Source, Target};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use syntax::Dialect;

#[test]
fn every_official_edge_is_ours_and_extra_edges_are_explained() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/oracle-graph");
    let mut compared = 0;
    let mut official_edges = 0;
    let mut problems = Vec::new();
    let mut fixtures: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    fixtures.sort_by_key(|e| e.path());
    for entry in fixtures {
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(entry.path()).unwrap()).unwrap();
        if v["ok"] != Value::Bool(true) {
            continue; // the official graph build failed on a file it rejects
        }
        let root_rel = v["root"].as_str().unwrap();
        let root = shared().join("corpus").join(root_rel);
        // The official graph is Classic's; read the project as Classic too.
        let report = check_path(
            &root,
            CheckOptions {
                dialect: Some(Dialect::Classic),
                ..Default::default()
            },
        )
        .unwrap();
        let project = &report
            .projects
            .iter()
            .find(|p| p.root == root)
            .unwrap_or_else(|| panic!("{root_rel}: not read as one project"))
            .project;
        compared += 1;
        let official: BTreeMap<String, BTreeSet<String>> = v["dep_map"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, deps)| {
                (
                    k.clone(),
                    deps.as_array()
                        .unwrap()
                        .iter()
                        .map(|d| d.as_str().unwrap().to_string())
                        .collect(),
                )
            })
            .collect();
        // Our edges between resources, by source name.
        let mut ours: BTreeMap<String, Vec<(String, bool)>> = BTreeMap::new();
        for e in &project.edges {
            let (Source::Resource(from), Target::Resource(to)) = (&e.from, &e.target) else {
                continue;
            };
            if e.kind == EdgeKind::TestReads || e.kind == EdgeKind::Sinks {
                continue;
            }
            let to_r = &project.resources[*to];
            let explained = !e.seen_by_official() || !to_r.seen_by_cli;
            ours.entry(project.resources[*from].name.clone())
                .or_default()
                .push((to_r.name.clone(), explained));
        }
        for (r, deps) in &official {
            let mine = ours.get(r).cloned().unwrap_or_default();
            for d in deps {
                official_edges += 1;
                if !mine.iter().any(|(n, _)| n == d) {
                    problems.push(format!("{root_rel}: missing edge {r} → {d}"));
                }
            }
            for (n, explained) in &mine {
                if n != r
                    && !deps.contains(n)
                    && !mine.iter().any(|(m, e)| m == n && *e)
                    && !*explained
                {
                    problems.push(format!(
                        "{root_rel}: extra edge {r} → {n} (not from a template branch)"
                    ));
                }
            }
        }
    }
    assert!(compared >= 20, "only {compared} projects compared");
    assert!(official_edges > 100, "only {official_edges} official edges");
    problems.sort();
    problems.dedup();
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
