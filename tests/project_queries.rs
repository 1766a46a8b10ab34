//! The questions the project model answers, on tests/fixtures/check/project-graph: who reads X,
//! what feeds X, which node materializes into X, which endpoints are downstream of X.

use cli::check::{check_path, CheckOptions};
use project::model::{Edge, Project};
use std::path::Path;

fn project() -> Project {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check/project-graph");
    check_path(&root, CheckOptions::default())
        .unwrap()
        .projects
        .remove(0)
        .project
}

fn sources(p: &Project, edges: Vec<&Edge>) -> Vec<String> {
    let mut v: Vec<String> = edges
        .iter()
        .map(|e| {
            format!(
                "{}/{}",
                p.source_name(&e.from),
                e.from_node.clone().unwrap_or_default()
            )
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn who_reads_what_feeds_and_what_is_downstream() {
    let p = project();
    assert_eq!(
        sources(&p, p.readers_of("daily_mv")),
        vec!["tests/quality.yaml/totals_match"]
    );
    assert_eq!(
        sources(&p, p.readers_of("events")),
        vec![
            "bad_sql/bad",
            "copy/copy_node",
            "daily/daily_node",
            "unknown/second",
            "wrong_target/wrong_node"
        ]
    );
    assert_eq!(
        sources(&p, p.feeders_of("daily_mv")),
        vec!["copy/copy_node", "daily/daily_node"]
    );
    assert_eq!(
        sources(&p, p.materializers_of("daily_mv")),
        vec!["daily/daily_node"]
    );
    let endpoints: Vec<&str> = p
        .downstream_endpoints("events")
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(endpoints, vec!["reads_mat", "unknown"]);
    // The branch a reference came from is kept, and whether the official CLI renders it.
    let missing = p.edges.iter().find(|e| &*e.to == "missing_ds").unwrap();
    let branch = missing.branch.as_ref().unwrap();
    assert_eq!(branch.label, "if defined(legacy)");
    assert!(!branch.taken_by_official);
}
