//! Whole-project analysis on a synthetic project: `cargo bench --bench analyze [-- FILES]`.
//! Generates FILES datafiles (default 10,000) in groups of five — a raw datasource, an
//! aggregated datasource, a materialized pipe between them, a templated endpoint and a copy
//! pipe — then times parsing, the project model (SQL analysis of every node and the graph),
//! every project rule, and the graph rendering, and reports the peak resident memory.

use analysis::db::ProjectDb;
use analysis::rules;
use project::graph::Graph;
use project::model::{Project, SourceFile};
use std::sync::Arc;
use std::time::Instant;
use syntax::{self, Dialect, FileKind};

#[path = "common/synthetic.rs"]
mod synthetic;
use synthetic::{files, peak_rss_mib};

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let inputs = files(n);
    let bytes: usize = inputs.iter().map(|(_, t)| t.len()).sum();
    let no = |_: &str| false;

    let t = Instant::now();
    let parsed: Vec<(String, syntax::model::Datafile)> = inputs
        .iter()
        .map(|(path, text)| {
            let kind = FileKind::from_path(path).expect("datafile");
            let parsed = syntax::parse(
                text,
                &syntax::ParseOptions {
                    dialect: Dialect::Classic,
                    kind,
                    base_dir: "",
                    loader: None,
                    secret_defined: &no,
                    fragment: false,
                },
            );
            (path.clone(), parsed.datafile)
        })
        .collect();
    let parse = t.elapsed();

    let t = Instant::now();
    let sources: Vec<Arc<SourceFile>> = parsed
        .into_iter()
        .map(|(path, datafile)| Arc::new(SourceFile::new(path, datafile, true)))
        .collect();
    let sql_time = t.elapsed();

    let t = Instant::now();
    let project = Project::build(Dialect::Classic, sources, &[]);
    let model = t.elapsed();

    let t = Instant::now();
    let diagnostics = rules::check(&project);
    let rules_time = t.elapsed();

    let t = Instant::now();
    let graph = Graph::of(&project);
    let json = graph.to_json();
    let graph_time = t.elapsed();

    let warnings: usize = diagnostics.values().map(Vec::len).sum();
    println!(
        "{n} files ({:.1} MiB), {} resources, {} edges, {warnings} diagnostics",
        bytes as f64 / 1048576.0,
        project.resources.len(),
        project.edges.len()
    );
    println!("parse datafiles          {:>8.3} s", parse.as_secs_f64());
    println!("SQL analysis             {:>8.3} s", sql_time.as_secs_f64());
    println!("project model (graph)    {:>8.3} s", model.as_secs_f64());
    println!(
        "project rules            {:>8.3} s",
        rules_time.as_secs_f64()
    );
    println!(
        "graph JSON ({:>5.1} MiB)   {:>8.3} s",
        json.len() as f64 / 1048576.0,
        graph_time.as_secs_f64()
    );
    println!(
        "total                    {:>8.3} s",
        (parse + sql_time + model + rules_time + graph_time).as_secs_f64()
    );

    // What the language server does after an edit: the database re-parses the edited file,
    // updates the model in place (same resource, so no rebuild) and re-runs the rules.
    let mut db = ProjectDb::new("", Some(Dialect::Classic));
    for (path, text) in &inputs {
        db.set_file(path, Arc::from(text.as_str()));
    }
    let loader = |_: &str| None;
    let t = Instant::now();
    db.analyze(&loader);
    let cold = t.elapsed();
    let edits: usize = std::env::var("BENCH_EDITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    // Edits to pipes (SQL: the common case) and to datasources (which re-check every pipe).
    for (label, ext) in [("pipe", ".pipe"), ("datasource", ".datasource")] {
        let targets: Vec<&(String, String)> =
            inputs.iter().filter(|(p, _)| p.ends_with(ext)).collect();
        let mut times = Vec::new();
        for i in 0..edits {
            let (path, text) = targets[(i * 7919) % targets.len()];
            db.set_file(path, Arc::from(format!("{text}\n# edit {i}\n")));
            let t = Instant::now();
            db.analyze(&loader);
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "db: after a {label} edit {:>8.3} s p50, {:.3} s max ({edits} edits)",
            times[times.len() / 2].as_secs_f64(),
            times[times.len() - 1].as_secs_f64()
        );
    }
    // An edit that changes what a pipe reads (a table name broken, then fixed), as the
    // server benchmark does.
    let endpoints: Vec<&(String, String)> =
        inputs.iter().filter(|(p, _)| p.contains("/api_")).collect();
    let mut times = Vec::new();
    for i in 0..edits {
        let (path, text) = endpoints[(i * 7919) % endpoints.len()];
        let broken = text.replacen("FROM sessions_", "FROM sesions_", 1);
        for t in [broken.as_str(), text.as_str()] {
            db.set_file(path, Arc::from(t));
            let start = Instant::now();
            db.analyze(&loader);
            times.push(start.elapsed());
        }
    }
    times.sort();
    println!(
        "db: after a table renamed {:>8.3} s p50, {:.3} s max ({} edits)",
        times[times.len() / 2].as_secs_f64(),
        times[times.len() - 1].as_secs_f64(),
        times.len()
    );
    println!("db: cold analysis           {:>8.3} s", cold.as_secs_f64());
    if let Some(mib) = peak_rss_mib() {
        println!("peak resident memory     {mib:>8.1} MiB");
    }
}
