//! The `VERSION` of a Classic `.tinyenv` (a shell file the CLI sources): found as the shell
//! reads it (`VERSION=…` or `export VERSION=…`, quoted or not, comments and other variables
//! around it; the last assignment wins) and bumped by editing only the value, so `export`,
//! quotes and comments stay as written.

use syntax::text::TextRange;

/// The last `VERSION=` assignment: its value and the value's byte range (inside the quotes).
#[derive(Debug, PartialEq, Eq)]
pub struct VersionLine {
    pub value: String,
    pub range: TextRange,
}

pub fn version(text: &str) -> Option<VersionLine> {
    let mut found = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start().len();
        let mut rest = &body[indent..];
        let mut at = start + indent;
        if rest.starts_with('#') {
            continue;
        }
        if let Some(r) = rest.strip_prefix("export") {
            if r.starts_with([' ', '\t']) {
                let trimmed = r.trim_start();
                at += rest.len() - trimmed.len();
                rest = trimmed;
            }
        }
        let Some(after) = rest.strip_prefix("VERSION=") else {
            continue;
        };
        at += "VERSION=".len();
        let (value, value_at) = match after.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let inner = &after[1..];
                let end = inner.find(q).unwrap_or(inner.len());
                (&inner[..end], at + 1)
            }
            _ => {
                let end = after.find([' ', '\t', '#', ';']).unwrap_or(after.len());
                (&after[..end], at)
            }
        };
        found = Some(VersionLine {
            value: value.to_string(),
            range: TextRange::new(value_at, value_at + value.len()),
        });
    }
    found
}

/// The next version: the last number in it plus one (`0.0.1` → `0.0.2`, `1.2.3-rc1` →
/// `1.2.3-rc2`); a version without a number gets `.1` appended. Never lower than `v` in the
/// order the CLI compares them, and never slicing inside a character.
pub fn bump(v: &str) -> String {
    let v = v.trim();
    if v.is_empty() {
        return "0.0.1".to_string();
    }
    let bytes = v.as_bytes();
    let Some(end) = bytes.iter().rposition(u8::is_ascii_digit).map(|i| i + 1) else {
        return format!("{v}.1");
    };
    let start = bytes[..end]
        .iter()
        .rposition(|b| !b.is_ascii_digit())
        .map_or(0, |i| i + 1);
    // ASCII digits: both ends are character boundaries.
    let digits = &v[start..end];
    let next = match digits.parse::<u128>() {
        Ok(n) => (n + 1).to_string(),
        Err(_) => format!("{digits}1"),
    };
    format!("{}{next}{}", &v[..start], &v[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Option<String> {
        version(text).map(|v| {
            assert_eq!(&text[v.range.start..v.range.end], v.value);
            v.value
        })
    }

    #[test]
    fn finds_the_version_as_the_shell_does() {
        assert_eq!(value("VERSION=0.0.1\n").as_deref(), Some("0.0.1"));
        assert_eq!(value("export VERSION=1.2.3\n").as_deref(), Some("1.2.3"));
        assert_eq!(
            value("FOO=1\n  VERSION=\"2.0.0\" # current\n").as_deref(),
            Some("2.0.0")
        );
        assert_eq!(
            value("# VERSION=9.9.9\nVERSION='0.1.0'\n").as_deref(),
            Some("0.1.0")
        );
        assert_eq!(value("MY_VERSION=5\nTB_VERSION_X=3\n"), None);
        assert_eq!(value("VERSION=1\nVERSION=2\n").as_deref(), Some("2"));
        assert_eq!(value("é=ü\r\nVERSION=0.0.3\r\n").as_deref(), Some("0.0.3"));
    }

    #[test]
    fn bumps_never_down() {
        assert_eq!(bump("0.0.0"), "0.0.1");
        assert_eq!(bump("1.2.9"), "1.2.10");
        assert_eq!(bump("1.2.3-rc1"), "1.2.3-rc2");
        assert_eq!(bump("release"), "release.1");
        assert_eq!(bump(""), "0.0.1");
        assert_eq!(bump("ü9"), "ü10");
    }
}
