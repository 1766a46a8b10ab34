//! Every editor feature at a fuzzed position of a fuzzed node in a small project: hover,
//! definition, references, highlights, rename, completion, semantic tokens, symbols, lenses.
//! The first two bytes choose the position; the rest is the node's SQL.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

const EVENTS: &str = "SCHEMA >\n    `ts` DateTime,\n    `user_id` String,\n    `path` String\n\nENGINE MergeTree\nENGINE_SORTING_KEY ts\n";

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let at = u16::from_le_bytes([data[0], data[1]]) as usize;
    let sql = String::from_utf8_lossy(&data[2..]).replace('\n', "\n    ");
    let pipe = format!("NODE first\nSQL >\n    SELECT user_id, path FROM events\n\nNODE second\nSQL >\n    {sql}\n");
    let mut db = analysis::db::ProjectDb::new("/fuzz", None);
    db.set_file("datasources/events.datasource", Arc::from(EVENTS));
    db.set_file("pipes/p.pipe", Arc::from(pipe.as_str()));
    db.analyze(&|_: &str| None);
    let Some(a) = db.take_analysis() else { return };
    let p = &a.project;
    let path = "pipes/p.pipe";
    let mut offset = at % (pipe.len() + 1);
    while !pipe.is_char_boundary(offset) {
        offset -= 1;
    }
    let _ = ide::completion::complete(p, path, &pipe, offset);
    if let Some(l) = ide::locate::locate(p, path, &pipe, offset) {
        let _ = ide::hover::hover(p, path, &l);
        let _ = ide::navigation::definition(p, &l);
        let _ = ide::navigation::references(p, path, &l);
        let _ = ide::navigation::highlights(p, path, &l);
        if ide::rename::prepare(p, &l).is_ok() {
            let _ = ide::rename::rename(p, path, &l, "renamed");
        }
    }
    if let Some(l) = ide::locate::locate_for_rename(p, path, &pipe, offset) {
        let _ = ide::rename::prepare(p, &l);
    }
    let _ = ide::semantic_tokens::semantic_tokens(p, path, &pipe);
    let _ = ide::symbols::document_symbols(p, path);
    let _ = ide::code_lens::code_lens(p, path);
});
