//! Whole-project analysis on a synthetic project: `cargo bench --bench analyze [-- FILES]`.
//! Generates FILES datafiles (default 10,000) in groups of five — a raw datasource, an
//! aggregated datasource, a materialized pipe between them, a templated endpoint and a copy
//! pipe — then times parsing, the project model (SQL analysis of every node and the graph),
//! every project rule, and the graph rendering, and reports the peak resident memory.

use std::time::Instant;
use tinybird_lsp::project::graph::Graph;
use tinybird_lsp::project::model::{Project, SourceFile};
use tinybird_lsp::project::rules;
use tinybird_lsp::syntax::{self, Dialect, FileKind};

fn files(n: usize) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(n);
    for k in 0..n.div_ceil(5) {
        let prev = k.saturating_sub(1);
        out.push((
            format!("datasources/events_{k}.datasource"),
            "SCHEMA >\n    `timestamp` DateTime `json:$.timestamp`,\n    `session_id` String `json:$.session_id`,\n    `action` LowCardinality(String) `json:$.action`,\n    `amount` Float64 `json:$.amount`\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"timestamp, session_id\"\n".to_string(),
        ));
        out.push((
            format!("datasources/sessions_{k}.datasource"),
            "SCHEMA >\n    `date` Date,\n    `session_id` String,\n    `hits` AggregateFunction(count)\n\nENGINE \"AggregatingMergeTree\"\nENGINE_SORTING_KEY \"date, session_id\"\n".to_string(),
        ));
        out.push((
            format!("pipes/mat_{k}.pipe"),
            format!("NODE aggregate\nSQL >\n    SELECT toDate(timestamp) AS date, session_id, countState() AS hits\n    FROM events_{k}\n    WHERE timestamp > '2024-01-01 00:00:00'\n    GROUP BY date, session_id\n\nTYPE materialized\nDATASOURCE sessions_{k}\n"),
        ));
        out.push((
            format!("pipes/api_{k}.pipe"),
            format!("NODE filtered\nSQL >\n    %\n    SELECT date, session_id, countMerge(hits) AS hits\n    FROM sessions_{k}\n    WHERE 1\n    {{% if defined(day) %}} AND date = {{{{ Date(day) }}}} {{% end %}}\n    {{% if defined(compare) %}} AND session_id IN (SELECT session_id FROM events_{prev}) {{% end %}}\n    GROUP BY date, session_id\n\nNODE endpoint\nSQL >\n    SELECT * FROM filtered ORDER BY hits DESC LIMIT {{{{ Int32(limit, 10) }}}}\n\nTYPE endpoint\n"),
        ));
        out.push((
            format!("pipes/copy_{k}.pipe"),
            format!("NODE snapshot\nSQL >\n    WITH recent AS (SELECT * FROM events_{k} WHERE timestamp > now() - INTERVAL 1 DAY)\n    SELECT toDate(timestamp) AS date, session_id, countState() AS hits FROM recent GROUP BY date, session_id\n\nTYPE copy\nTARGET_DATASOURCE sessions_{k}\n"),
        ));
    }
    out.truncate(n);
    out
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let inputs = files(n);
    let bytes: usize = inputs.iter().map(|(_, t)| t.len()).sum();
    let no = |_: &str| false;

    let t = Instant::now();
    let sources: Vec<SourceFile> = inputs
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
            SourceFile {
                path: path.clone(),
                datafile: parsed.datafile,
                seen_by_cli: true,
            }
        })
        .collect();
    let parse = t.elapsed();

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
    println!("model (SQL + graph)      {:>8.3} s", model.as_secs_f64());
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
        (parse + model + rules_time + graph_time).as_secs_f64()
    );
    if let Some(mib) = peak_rss_mib() {
        println!("peak resident memory     {mib:>8.1} MiB");
    }
}
