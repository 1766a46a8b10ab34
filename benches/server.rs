//! Language server benchmark: `cargo bench --bench server [-- FILES...]` (default 1,000 and
//! 10,000). Writes a synthetic project (benches/common/synthetic.rs; one endpoint in ten reads
//! a misspelt table, so some files have diagnostics) to a temporary folder, starts the real
//! `tinybird-lsp serve` binary and measures over stdio:
//!
//! - indexing: from sending `initialize` to the last expected `publishDiagnostics`;
//! - edit-to-publish latency with the debounce set to 0: a `didChange` on an open pipe that
//!   alternately breaks and fixes a table name, until the diagnostics of that version arrive
//!   (p50 and p99 over 300 edits);
//! - code-action latency: `textDocument/codeAction` over the materializing node of a pipe
//!   (the migration steps offered there) and over a target's SCHEMA (p50 and p99 over 100
//!   requests each), with and without `codeAction/resolve` support;
//! - the server's peak resident memory (VmHWM).

#[path = "../tests/support/lsp_client.rs"]
mod lsp_client;
#[path = "common/synthetic.rs"]
mod synthetic;

use lsp_client::{client_caps, uri, LspClient};
use serde_json::json;
use std::time::Instant;

fn bench(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let files = synthetic::files(n);
    let mut broken = 0;
    for (i, (path, text)) in files.iter().enumerate() {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        // Every tenth endpoint reads a table that does not exist.
        let text = if path.contains("/api_") && (i / 5) % 10 == 0 {
            broken += 1;
            text.replacen("FROM sessions_", "FROM sesions_", 1)
        } else {
            text.clone()
        };
        std::fs::write(p, text).unwrap();
    }
    // The group whose code actions are timed: its copy pipe writes a datasource of its own, so
    // `sessions_2` has one writer and the migration steps are offered (add-column refuses a
    // target two pipes write).
    if n > 14 {
        std::fs::write(
            dir.path().join("pipes/copy_2.pipe"),
            "NODE snapshot\nSQL >\n    SELECT toDate(timestamp) AS date, session_id, countState() AS hits FROM events_2 GROUP BY date, session_id\n\nTYPE copy\nTARGET_DATASOURCE snapshots_2\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("datasources/snapshots_2.datasource"),
            "SCHEMA >\n    `date` Date,\n    `session_id` String,\n    `hits` AggregateFunction(count)\n\nENGINE \"AggregatingMergeTree\"\nENGINE_SORTING_KEY \"date, session_id\"\n",
        )
        .unwrap();
    }
    let log = std::env::var("TINYBIRD_LSP_LOG").unwrap_or_else(|_| "warn".into());
    let mut c = LspClient::spawn(&[("TINYBIRD_LSP_LOG", &log)]);
    let t = Instant::now();
    // An editor that applies file operations (so the migration steps are offered whole).
    let mut caps = client_caps(false);
    caps["workspace"]["workspaceEdit"] =
        json!({"documentChanges": true, "resourceOperations": ["create", "rename", "delete"]});
    c.initialize(dir.path(), caps, json!({"diagnostics": {"debounceMs": 0}}));
    let mut published = 0;
    while published < broken {
        c.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && !m["params"]["diagnostics"].as_array().unwrap().is_empty()
        });
        published += 1;
    }
    let index = t.elapsed();

    // Edit-to-publish on one open pipe.
    let path = dir.path().join("pipes/api_1.pipe");
    let u = uri(&path);
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("FROM sessions_"))
        .unwrap();
    let col = text.lines().nth(line).unwrap().find("sessions_").unwrap();
    c.open(&path, &text, 1);
    c.wait_for(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == u);
    let mut times = Vec::new();
    for v in 2..302 {
        // Alternately delete the first `s` of the table name and put it back.
        let change = if v % 2 == 0 {
            json!({"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col + 1}}, "text": ""})
        } else {
            json!({"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col}}, "text": "s"})
        };
        let t = Instant::now();
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": u, "version": v}, "contentChanges": [change]}),
        );
        c.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == u
                && m["params"]["version"] == v
        });
        times.push(t.elapsed());
    }
    times.sort();
    let p = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];

    // Code actions on a materializing node and on a target's SCHEMA.
    let mut action_times = Vec::new();
    let mut offered = 0;
    for (file, needle) in [
        ("pipes/mat_2.pipe", "countState()"),
        ("datasources/sessions_2.datasource", "`hits`"),
    ] {
        let path = dir.path().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let line = text.lines().position(|l| l.contains(needle)).unwrap();
        for _ in 0..100 {
            let t = Instant::now();
            let r = c.request(
                "textDocument/codeAction",
                json!({
                    "textDocument": {"uri": uri(&path)},
                    "range": {"start": {"line": line, "character": 4}, "end": {"line": line, "character": 4}},
                    "context": {"diagnostics": []}
                }),
            );
            action_times.push(t.elapsed());
            offered = offered.max(r["result"].as_array().map_or(0, Vec::len));
        }
    }
    action_times.sort();
    let ap = |q: f64| {
        action_times[((action_times.len() as f64 * q) as usize).min(action_times.len() - 1)]
    };
    let rss = synthetic::peak_rss_mib_of(&c.pid().to_string()).unwrap_or(f64::NAN);
    println!(
        "{n:>6} files: index to all diagnostics {:>7.1} ms | edit-to-publish p50 {:>5.2} ms, p99 {:>5.2} ms, max {:>5.2} ms | code actions ({offered} offered) p50 {:>5.2} ms, p99 {:>5.2} ms | peak RSS {rss:.0} MiB",
        index.as_secs_f64() * 1000.0,
        p(0.5).as_secs_f64() * 1000.0,
        p(0.99).as_secs_f64() * 1000.0,
        times[times.len() - 1].as_secs_f64() * 1000.0,
        ap(0.5).as_secs_f64() * 1000.0,
        ap(0.99).as_secs_f64() * 1000.0,
    );
    c.request("shutdown", serde_json::Value::Null);
    c.notify("exit", serde_json::Value::Null);
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000, 10_000]
    } else {
        sizes
    };
    for n in sizes {
        bench(n);
    }
}
