//! A few files analysed together: the input is split at 0xFF bytes into a datasource, two
//! pipes, an include and a test file; the whole analysis (every rule, migrations, the
//! configuration's and inline ignores) must not panic, and every diagnostic lies in its file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

const PATHS: &[&str] = &[
    "datasources/events.datasource",
    "pipes/a.pipe",
    "pipes/b.pipe",
    "includes/common.incl",
    "tests/a.yaml",
    "tinybird-lsp.toml",
];

fuzz_target!(|data: &[u8]| {
    let mut db = analysis::db::ProjectDb::new("/fuzz", None);
    let mut texts = std::collections::HashMap::new();
    for (part, path) in data.split(|b| *b == 0xFF).zip(PATHS) {
        let text = String::from_utf8_lossy(part).to_string();
        if path.ends_with(".toml") {
            let (config, _) = analysis::config::Config::parse(&text);
            db.set_config(Some(Arc::new(config)));
            continue;
        }
        db.set_file(path, Arc::from(text.as_str()));
        texts.insert(path.to_string(), text);
    }
    let loader = |p: &str| {
        let rel = p.trim_start_matches("/fuzz/");
        texts.get(rel).cloned()
    };
    let a = db.analyze(&loader);
    for (path, list) in &a.diagnostics {
        if let Some(text) = texts.get(path) {
            for d in list {
                assert!(d.range.end <= text.len() && text.is_char_boundary(d.range.start));
            }
        }
    }
});
