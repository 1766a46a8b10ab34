//! An in-process editing session (server::testing::Session) fed a fuzzed sequence of steps:
//! incremental edits at any LSP position (out of the document, inside a UTF-16 pair, inverted),
//! whole-text replacements, every editor request, renames to any name, saves, close and reopen,
//! analysis. The session checks after each step that the document holds what the edits make,
//! that published diagnostics lie inside their version of the document, and that no workspace
//! edit leaves the project; any break, panic or hang is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use server::testing::{Session, Step};

const DS: &str = "SCHEMA >\n    `ts` DateTime,\n    `user_id` String,\n    `path` String\n\nENGINE MergeTree\nENGINE_SORTING_KEY ts\n";
const TARGET: &str = "SCHEMA >\n    `day` Date,\n    `hits` AggregateFunction(count)\n\nENGINE AggregatingMergeTree\nENGINE_SORTING_KEY day\n";
const MV: &str = "NODE n\nSQL >\n    SELECT toDate(ts) AS day, countState() AS hits, user_id FROM events\n    WHERE ts > '2026-01-01 00:00:00'\n    GROUP BY day\n\nTYPE materialized\nDATASOURCE daily\n";
const READER: &str = "NODE r\nSQL >\n    %\n    SELECT day, countMerge(hits) FROM daily WHERE day > {{ Date(d, '2026-01-01') }} GROUP BY day\n\nTYPE endpoint\n";

/// Reads bytes off the front of the input.
struct Input<'a>(&'a [u8]);
impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*b)
    }
    fn pos(&mut self) -> Option<(u32, u32)> {
        Some((self.byte()? as u32 % 24, self.byte()? as u32))
    }
    fn text(&mut self) -> Option<String> {
        let n = (self.byte()? as usize) % 48;
        let n = n.min(self.0.len());
        let (t, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(String::from_utf8_lossy(t).into_owned())
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let Some(flags) = input.byte() else { return };
    let mut s = Session::new(
        &[
            ("datasources/events.datasource", DS),
            ("datasources/daily.datasource", TARGET),
            ("pipes/daily_mv.pipe", MV),
            ("pipes/reader.pipe", READER),
        ],
        flags & 1 == 1,
        serde_json::json!({"migration": {"now": "2026-01-02 00:00:00"}}),
    );
    let mut steps = 0;
    while let Some(op) = input.byte() {
        steps += 1;
        if steps > 200 {
            break;
        }
        let Some(doc) = input.byte().map(usize::from) else { break };
        let step = match op % 9 {
            0..=2 => {
                let (Some(start), Some(end), Some(text)) = (input.pos(), input.pos(), input.text())
                else {
                    break;
                };
                Step::Edit { doc, start, end, text }
            }
            3 | 4 => {
                let (Some(kind), Some(at)) = (input.byte(), input.pos()) else { break };
                Step::Request { doc, kind, at }
            }
            5 => {
                let (Some(at), Some(name)) = (input.pos(), input.text()) else { break };
                Step::Rename { doc, at, name }
            }
            6 => {
                let Some(text) = input.text() else { break };
                Step::Replace { doc, text }
            }
            7 => match doc % 2 {
                0 => Step::Save,
                _ => Step::Reopen { doc },
            },
            _ => Step::Analyse,
        };
        if let Err(b) = s.step(&step) {
            panic!("{step:?}: {}", b.0);
        }
    }
    if let Err(b) = s.step(&Step::Analyse) {
        panic!("final analysis: {}", b.0);
    }
});
