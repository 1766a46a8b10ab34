//! Latency of the editor features on a synthetic project: `cargo bench --bench ide [-- FILES]`
//! (default 10,000 files, the generator of benches/common/synthetic.rs). The project is
//! analysed once, as the server holds it; then hover and completion are asked at positions of
//! every kind (a table name, a column, a function, a template parameter, a node name, a SCHEMA
//! column; after FROM, in a select list with a prefix, inside `{{ }}`, at a keyword position,
//! a column type) in files spread over the project, and each request is timed: p50, p99, max.
//! Also references and rename of a column (the whole project is searched).

use analysis::db::ProjectDb;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "common/synthetic.rs"]
mod synthetic;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{name:<28} n={:<5} p50 {:>8.3} ms   p99 {:>8.3} ms   max {:>8.3} ms",
        times.len(),
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3
    );
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let files = synthetic::files(n);
    let mut db = ProjectDb::new("", None);
    for (path, text) in &files {
        db.set_file(path, Arc::from(text.as_str()));
    }
    let t = Instant::now();
    db.analyze(&|_| None);
    println!(
        "{n} files analysed in {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let p = &db.analysis().unwrap().project;
    let texts: std::collections::HashMap<&str, &str> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let groups = n / 5;
    let sample: Vec<usize> = (0..200).map(|i| i * groups.max(1) / 200).collect();
    // (file pattern, needle, offset into the needle)
    let hovers: &[(&str, &str, usize)] = &[
        ("pipes/mat_{k}.pipe", "FROM events_", 6),
        ("pipes/mat_{k}.pipe", "session_id,", 2),
        ("pipes/mat_{k}.pipe", "countState", 3),
        ("pipes/api_{k}.pipe", "Date(day)", 6),
        ("pipes/api_{k}.pipe", "FROM filtered", 7),
        ("pipes/api_{k}.pipe", "NODE endpoint", 6),
        ("datasources/events_{k}.datasource", "`amount`", 2),
        ("pipes/copy_{k}.pipe", "TARGET_DATASOURCE sessions", 20),
    ];
    let completions: &[(&str, &str, usize)] = &[
        ("pipes/mat_{k}.pipe", "FROM events_", 5),
        ("pipes/mat_{k}.pipe", "SELECT toDate", 9),
        ("pipes/api_{k}.pipe", "Date(day)", 2),
        ("pipes/api_{k}.pipe", "SELECT date", 8),
        ("pipes/api_{k}.pipe", "TYPE endpoint", 2),
        ("datasources/events_{k}.datasource", "` Float64", 2),
    ];
    let at = |pattern: &str, needle: &str, delta: usize, k: usize| {
        let path = pattern.replace("{k}", &k.to_string());
        let text = texts[path.as_str()];
        let offset = text.find(needle).expect("needle") + delta;
        (path, text, offset)
    };
    let mut hover_times = Vec::new();
    let mut found = 0;
    for &k in &sample {
        for (pattern, needle, delta) in hovers {
            let (path, text, offset) = at(pattern, needle, *delta, k);
            let t = Instant::now();
            let h = ide::locate::locate(p, &path, text, offset)
                .and_then(|l| ide::hover::hover(p, &path, &l));
            hover_times.push(t.elapsed());
            found += h.is_some() as usize;
        }
    }
    assert_eq!(found, hover_times.len(), "every hover answers");
    report("hover", hover_times);
    let mut completion_times = Vec::new();
    for &k in &sample {
        for (pattern, needle, delta) in completions {
            let (path, text, offset) = at(pattern, needle, *delta, k);
            let t = Instant::now();
            let c = ide::completion::complete(p, &path, text, offset);
            completion_times.push(t.elapsed());
            assert!(!c.items.is_empty(), "completion at {path}:{offset}");
        }
    }
    report("completion", completion_times);
    let mut references = Vec::new();
    let mut renames = Vec::new();
    for &k in sample.iter().take(50) {
        let (path, text, offset) = at("datasources/events_{k}.datasource", "`session_id`", 2, k);
        let t = Instant::now();
        let l = ide::locate::locate(p, &path, text, offset).unwrap();
        let refs = ide::navigation::references(p, &path, &l);
        references.push(t.elapsed());
        assert!(refs.len() > 1);
        let t = Instant::now();
        let r = ide::rename::rename(p, &path, &l, "sid");
        renames.push(t.elapsed());
        assert!(r.is_ok());
    }
    report("references (column)", references);
    report("rename (column)", renames);
}
