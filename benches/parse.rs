//! Parsing throughput on a synthetic project: `cargo bench --bench parse [-- FILES]`.
//! Generates FILES datafiles (default 10,000; a third datasources, the rest pipes) in memory,
//! then times the model parse (reader + builder + checks) and the tree-sitter parse separately.

use std::time::Instant;
use syntax::{self, tree::parse_tree, Dialect, FileKind};

fn datasource(i: usize) -> String {
    format!(
        "DESCRIPTION >\n    Events of shard {i}\n\nSCHEMA >\n    `timestamp` DateTime `json:$.timestamp`,\n    `session_id` String `json:$.session_id`,\n    `action` LowCardinality(String) `json:$.action`,\n    `payload` String `json:$.payload`,\n    `amount` Nullable(Float64) `json:$.amount`\n\nENGINE \"MergeTree\"\nENGINE_PARTITION_KEY \"toYYYYMM(timestamp)\"\nENGINE_SORTING_KEY \"timestamp, session_id\"\nENGINE_TTL \"timestamp + toIntervalDay(60)\"\n"
    )
}

fn pipe(i: usize) -> String {
    format!(
        "DESCRIPTION >\n    Pipe {i}\n\nNODE filtered_{i}\nSQL >\n    %\n    SELECT timestamp, session_id, action\n    FROM events_{d}\n    WHERE 1\n    {{% if defined(action) %}} AND action = {{{{ String(action) }}}} {{% end %}}\n\nNODE aggregated_{i}\nSQL >\n    SELECT toDate(timestamp) AS date, session_id, countState() AS hits\n    FROM filtered_{i}\n    GROUP BY date, session_id\n\nTYPE materialized\nDATASOURCE sessions_{d}\n",
        d = i / 3
    )
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let files: Vec<(FileKind, String)> = (0..n)
        .map(|i| {
            if i % 3 == 0 {
                (FileKind::Datasource, datasource(i))
            } else {
                (FileKind::Pipe, pipe(i))
            }
        })
        .collect();
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    let no = |_: &str| false;
    for dialect in [Dialect::Classic, Dialect::Forward] {
        let t = Instant::now();
        let mut diags = 0;
        for (kind, text) in &files {
            let p = syntax::parse(
                text,
                &syntax::ParseOptions {
                    dialect,
                    kind: *kind,
                    base_dir: "",
                    loader: None,
                    secret_defined: &no,
                    fragment: false,
                },
            );
            diags += p.diagnostics.len();
        }
        let s = t.elapsed().as_secs_f64();
        println!(
            "model parse ({}): {n} files, {:.1} MB in {:.3} s = {:.0} files/s, {:.1} MB/s ({diags} diagnostics)",
            dialect.name(),
            bytes as f64 / 1e6,
            s,
            n as f64 / s,
            bytes as f64 / 1e6 / s
        );
    }
    let t = Instant::now();
    for (_, text) in &files {
        parse_tree(text, None).expect("tree");
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "tree-sitter parse: {n} files in {:.3} s = {:.0} files/s, {:.1} MB/s",
        s,
        n as f64 / s,
        bytes as f64 / 1e6 / s
    );
}
