//! Stress test of text synchronisation: thousands of random incremental edits (multi-byte
//! text, emoji, CRLF and lone CR line endings) sent as fast as possible, mixed with requests,
//! to several documents at once. At the end the server's text of every document must equal the
//! client's, its incrementally re-parsed tree must equal a fresh parse, and the last
//! diagnostics published for each document must belong to its last version.
//!
//! The client's model of the text is independent of the server's code: positions are computed
//! here from the LSP rules (lines end at \n, \r\n or \r; columns in UTF-16 units or UTF-8
//! bytes).

#[path = "support/lsp_client.rs"]
mod lsp_client;

use lsp_client::{client_caps, project, uri, LspClient};
use serde_json::{json, Value};
use std::time::Duration;

const PIECES: &[&str] = &[
    "a",
    "é",
    "😀",
    "日本",
    " ",
    "\n",
    "\r\n",
    "\r",
    "\t",
    "SELECT ",
    "FROM events",
    "NODE n\n",
    "SQL >\n    ",
    "{% if defined(x) %}",
    "{{ String(x) }}",
    "`col` String,\n",
    "ENGINE \"MergeTree\"\n",
    "''",
    "'",
    "(",
    ")",
    "--",
    "#",
    "👍🏽",
    "\u{200d}",
    "Ω",
];

/// A small deterministic generator (xorshift64*), so failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `lo..hi` (`hi` exclusive).
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo) as u64) as usize
    }
    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

/// (line, column) of byte offset `at` in `text`, by the LSP rules.
fn position(text: &str, at: usize, utf8: bool) -> (usize, usize) {
    let mut line = 0;
    let mut line_start = 0;
    let b = text.as_bytes();
    let mut i = 0;
    while i < at {
        if b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n')) {
            line += 1;
            line_start = i + 1;
        }
        i += 1;
    }
    let col = if utf8 {
        at - line_start
    } else {
        text[line_start..at].encode_utf16().count()
    };
    (line, col)
}

/// A random offset on a char boundary that is not between the \r and \n of a CRLF (not a
/// position LSP can name).
fn random_offset(rng: &mut Rng, text: &str) -> usize {
    loop {
        let mut at = rng.range(0, text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let b = text.as_bytes();
        if at > 0 && b[at - 1] == b'\r' && b.get(at) == Some(&b'\n') {
            continue;
        }
        return at;
    }
}

fn run(utf8: bool, edits: usize, seed: u8) {
    let initial = [
        "NODE n\r\nSQL >\r\n    SELECT 'é' FROM events\r\n",
        "SCHEMA >\n    `ts` DateTime,\n    `name` String\n\nENGINE \"MergeTree\"\n",
        "NODE a\nSQL >\n    %\n    SELECT 1 {% if defined(x) %} , 2 {% end %}\n",
    ];
    let names = [
        "pipes/a.pipe",
        "datasources/events.datasource",
        "pipes/b.pipe",
    ];
    let dir = project(
        &names
            .iter()
            .zip(initial)
            .map(|(n, t)| (*n, t))
            .collect::<Vec<_>>(),
    );
    let mut c = LspClient::spawn(&[]);
    c.initialize(
        dir.path(),
        client_caps(utf8),
        json!({"diagnostics": {"debounceMs": 5}}),
    );
    let uris: Vec<String> = names.iter().map(|n| uri(&dir.path().join(n))).collect();
    let mut texts: Vec<String> = initial.iter().map(|t| t.to_string()).collect();
    let mut versions = [1i64; 3];
    for i in 0..3 {
        c.open(&dir.path().join(names[i]), &texts[i], 1);
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed as u64);
    for n in 0..edits {
        let d = rng.range(0, 3);
        // One to three changes per notification, each against the text after the previous.
        let mut changes = Vec::new();
        for _ in 0..rng.range(1, 4) {
            let text = &mut texts[d];
            let a = random_offset(&mut rng, text);
            let b = if rng.coin() {
                a
            } else {
                let span = rng.range(0, 12).min(text.len() - a);
                let mut b = a + span;
                while !text.is_char_boundary(b) {
                    b -= 1;
                }
                if b > 0
                    && text.as_bytes()[b - 1] == b'\r'
                    && text.as_bytes().get(b) == Some(&b'\n')
                {
                    b -= 1;
                }
                b.max(a)
            };
            let insert: String = (0..rng.range(0, 4))
                .map(|_| PIECES[rng.range(0, PIECES.len())])
                .collect();
            let (sl, sc) = position(text, a, utf8);
            let (el, ec) = position(text, b, utf8);
            text.replace_range(a..b, &insert);
            changes.push(json!({
                "range": {"start": {"line": sl, "character": sc}, "end": {"line": el, "character": ec}},
                "text": insert,
            }));
        }
        // Now and then the whole text at once, as some clients do.
        if n % 500 == 499 {
            changes = vec![json!({"text": texts[d]})];
        }
        versions[d] += 1;
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uris[d], "version": versions[d]}, "contentChanges": changes}),
        );
        // Requests mixed in, not waited for.
        if n % 37 == 0 {
            c.request_async(
                "textDocument/foldingRange",
                json!({"textDocument": {"uri": uris[d]}}),
            );
        }
        if n % 101 == 0 {
            c.request_async("tinybird/debug/document", json!({"uri": uris[d]}));
        }
    }
    for d in 0..3 {
        let r = c.request("tinybird/debug/document", json!({"uri": uris[d]}));
        let got = r["result"]["text"].as_str().expect("document text");
        assert!(
            got == texts[d],
            "document {d} differs after {edits} edits (utf8={utf8})"
        );
        assert_eq!(r["result"]["version"], versions[d]);
        assert_eq!(
            r["result"]["treeMatchesFreshParse"], true,
            "incremental tree of {d}"
        );
    }
    // Let the last analyses publish, then check every document's last publish.
    c.drain(Duration::from_millis(800));
    for d in 0..3 {
        let last = c.last_diagnostics(&uris[d]).expect("diagnostics published");
        assert_eq!(
            last["version"], versions[d],
            "last diagnostics of document {d} are stale"
        );
    }
    // Every request was answered, none with an error.
    let errors: Vec<&Value> = c
        .received
        .iter()
        .filter(|m| m.get("error").is_some())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let r = c.request("shutdown", Value::Null);
    assert!(r.get("error").is_none());
}

#[test]
fn random_edits_utf16() {
    run(false, 3000, 7);
}

#[test]
fn random_edits_utf8() {
    run(true, 3000, 11);
}

/// The server's resident and peak memory (kB) from /proc, Linux only.
#[cfg(target_os = "linux")]
fn memory_kb(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// An edit storm: 10,000 whole-text edits of a pipe as fast as the pipe allows, a hover
/// request every tenth edit (never waited for), then silence. The last diagnostics published
/// are the last version's, and memory does not grow with the number of edits: the resident
/// size after 10,000 edits stays within 64 MiB of the size after the first 1,000.
#[cfg(target_os = "linux")]
#[test]
fn an_edit_storm_keeps_memory_bounded_and_ends_on_the_last_version() {
    let good = "NODE n\nSQL >\n    SELECT count() FROM events\n";
    let bad = "NODE n\nSQL >\n    SELECT count() FROM evnts\n";
    let dir = project(&[
        (
            "datasources/events.datasource",
            "SCHEMA >\n    `ts` DateTime\n\nENGINE \"MergeTree\"\n",
        ),
        ("pipes/p.pipe", good),
    ]);
    let path = dir.path().join("pipes/p.pipe");
    let u = uri(&path);
    let mut c = LspClient::spawn(&[]);
    c.initialize(
        dir.path(),
        client_caps(false),
        json!({"diagnostics": {"debounceMs": 0}}),
    );
    c.open(&path, good, 1);
    let mut after_1000 = 0;
    let total = 10_000;
    for v in 2..=total + 1 {
        // Ends on the broken text, so the last diagnostics are not empty.
        let text = if v % 2 == 0 { good } else { bad };
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": u, "version": v}, "contentChanges": [{"text": text}]}),
        );
        if v % 10 == 0 {
            c.request_async(
                "textDocument/hover",
                json!({"textDocument": {"uri": u}, "position": {"line": 2, "character": 24}}),
            );
        }
        if v == 1_001 {
            c.drain(Duration::from_millis(300));
            after_1000 = memory_kb(c.pid()).0;
        }
    }
    let last = (total + 1) as i64;
    let d = c.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == u.as_str()
            && m["params"]["version"] == last
    });
    let codes: Vec<&str> = d["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert_eq!(codes, ["unknown-table"], "the last version's diagnostics");
    c.drain(Duration::from_millis(500));
    // Nothing published after that belongs to an older version.
    let stale = c
        .seen()
        .iter()
        .rev()
        .take_while(|m| !(m["params"]["version"] == last))
        .any(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == u.as_str()
                && m["params"]["version"].as_i64().is_some_and(|v| v < last)
        });
    assert!(!stale, "stale diagnostics after the last version's");
    let (rss, peak) = memory_kb(c.pid());
    println!(
        "after 1,000 edits: {after_1000} kB resident; after {total}: {rss} kB (peak {peak} kB)"
    );
    assert!(
        rss < after_1000 + 64 * 1024,
        "memory grows with edits: {after_1000} kB after 1,000, {rss} kB after {total}"
    );
    let r = c.request("shutdown", Value::Null);
    assert!(r.get("error").is_none());
}
