//! One INDEXES line: `[INDEX] name expr TYPE type[(args)] [GRANULARITY n]` (datafile-spec §4.2).

use super::model::{Index, Value};
use crate::text::TextRange;

const USAGE: &str = "Write indexes one per line as `name expression TYPE type GRANULARITY n`, e.g. `idx_user user_id TYPE bloom_filter(0.01) GRANULARITY 4`";

/// Parses one line of an INDEXES block. `Ok(None)` for a line with nothing on it.
pub fn parse_index_line(text: &str, range: TextRange) -> Result<Option<Index>, String> {
    let line = text.trim().trim_end_matches(',').trim_end();
    if line.is_empty() {
        return Ok(None);
    }
    if line.matches("TYPE").count() != 1 {
        return Err(format!("Invalid index: {USAGE}"));
    }
    let line = line.strip_prefix("INDEX ").map_or(line, str::trim_start);
    let (before, after) = line.split_once("TYPE").expect("counted above");
    let mut head = before.trim().splitn(2, char::is_whitespace);
    let name = head.next().unwrap_or("").trim();
    let expr = head.next().unwrap_or("").trim();
    if name.is_empty() || expr.is_empty() || !before.ends_with(char::is_whitespace) {
        return Err(format!("Invalid index: {USAGE}"));
    }
    let after = after.trim();
    let (type_full, granularity) = match after.rsplit_once("GRANULARITY") {
        Some((t, g)) => {
            let g = g.trim();
            if g.parse::<u64>().is_err() {
                return Err(format!("Invalid index granularity `{g}`: {USAGE}"));
            }
            (t.trim(), Some(g))
        }
        None => (after, None),
    };
    if type_full.is_empty() {
        return Err(format!("Invalid index: {USAGE}"));
    }
    let v = |t: &str| Value {
        text: t.to_string(),
        range,
    };
    Ok(Some(Index {
        name: v(name),
        expr: v(expr),
        type_full: v(type_full),
        granularity: granularity.map(v),
        range,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms() {
        let r = TextRange::default();
        let a = parse_index_line("    idx_a a TYPE bloom_filter(0.01) GRANULARITY 4", r)
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                a.name.text.as_str(),
                a.expr.text.as_str(),
                a.type_full.text.as_str()
            ),
            ("idx_a", "a", "bloom_filter(0.01)")
        );
        let b = parse_index_line("INDEX idx_b lower(b) TYPE minmax GRANULARITY 1,", r)
            .unwrap()
            .unwrap();
        assert_eq!(b.expr.text, "lower(b)");
        assert!(parse_index_line("idx_a a bloom_filter GRANULARITY 4", r).is_err());
    }
}
