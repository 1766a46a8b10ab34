//! `# tinybird-lsp: …` comments in datafiles: the markers the migration steps write.

use syntax::text::TextRange;

/// The `# tinybird-lsp: replaces <name>` marker in a datafile's text, with the name's range.
pub fn replaces_marker(text: &str) -> Option<(String, TextRange)> {
    marker(text, "replaces")
}

/// The `# tinybird-lsp: check for <name>` marker that the backfill step writes at the top of
/// the quality-check pipe it creates: the only pipe reading both targets that is the
/// migration's own (Finish deletes it; any other reader of the legacy target is a dependent).
pub fn check_marker(text: &str) -> Option<String> {
    marker(text, "check for").map(|(n, _)| n)
}

/// A `# tinybird-lsp: <key> <name>` line: the name and its range.
fn marker(text: &str, key: &str) -> Option<(String, TextRange)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed
            .strip_prefix('#')
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix("tinybird-lsp:"))
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix(key))
        {
            let name = rest.trim();
            let name = name
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_matches('`');
            if !name.is_empty() {
                let start = offset + line.find(name).unwrap_or(0);
                return Some((name.to_string(), TextRange::new(start, start + name.len())));
            }
        }
        offset += line.len();
    }
    None
}
