//! `check` output for CI systems: GitHub workflow commands (annotations), SARIF 2.1.0 (code
//! scanning), JUnit XML (test reports) and GitLab Code Quality JSON. Positions are 1-based
//! lines and columns counted in characters; paths are relative to the folder `check` was run
//! from when the checked path is below it.

use super::check::{CheckReport, FileReport};
use super::render::severity_name;
use serde_json::{json, Value};
use syntax::diagnostics::{Diagnostic, Severity};
use syntax::text::{Encoding, LineIndex};

/// One diagnostic with its file's path and 1-based positions.
struct Located<'a> {
    path: String,
    d: &'a Diagnostic,
    /// (line, column) of the start and the end, 1-based.
    start: (u32, u32),
    end: (u32, u32),
    /// The text the diagnostic covers (for fingerprints).
    covered: &'a str,
}

fn located<'a>(report: &'a CheckReport, prefix: &str) -> Vec<Located<'a>> {
    let mut out = Vec::new();
    for f in report.files() {
        let index = LineIndex::new(&f.text);
        for d in &f.diagnostics {
            let pos = |o: usize| {
                let p = index.position(&f.text, o, Encoding::Chars);
                (p.line + 1, p.col + 1)
            };
            out.push(Located {
                path: file_path(prefix, f),
                d,
                start: pos(d.range.start),
                end: pos(d.range.end),
                covered: f.text.get(d.range.start..d.range.end).unwrap_or_default(),
            });
        }
    }
    out
}

fn file_path(prefix: &str, f: &FileReport) -> String {
    format!("{prefix}{}", f.path)
}

/// GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` line per diagnostic,
/// which GitHub shows as annotations on the pull request's files.
pub fn github(report: &CheckReport, prefix: &str) -> String {
    // Values escape `%`, CR and LF; properties also `:` and `,`.
    let data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let property = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    let mut out = String::new();
    for l in located(report, prefix) {
        let level = match l.d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info | Severity::Hint => "notice",
        };
        out.push_str(&format!(
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            property(&l.path),
            l.start.0,
            l.start.1,
            l.end.0,
            l.end.1,
            property(l.d.code),
            data(&l.d.message)
        ));
    }
    out
}

/// SARIF 2.1.0: the tool and every rule of the registry (with its page), the results with
/// their physical locations, related locations and fixes.
pub fn sarif(report: &CheckReport, prefix: &str, docs_url: Option<&str>) -> Value {
    let codes: Vec<&analysis::registry::Code> = analysis::registry::codes().collect();
    let rules: Vec<Value> = codes
        .iter()
        .map(|c| {
            let mut rule = json!({
                "id": c.name,
                "shortDescription": {"text": c.summary},
                "help": {"text": format!("{}: see docs/rules/{} of tinybird-lsp", c.summary, c.doc_path())},
                "defaultConfiguration": {"level": sarif_level(c.severity)},
            });
            if let Some(base) = docs_url {
                rule["helpUri"] = json!(format!("{base}{}", c.doc_path()));
            }
            rule
        })
        .collect();
    let mut results = Vec::new();
    for f in report.files() {
        let index = LineIndex::new(&f.text);
        let region = |r: syntax::text::TextRange| {
            let s = index.position(&f.text, r.start, Encoding::Chars);
            let e = index.position(&f.text, r.end, Encoding::Chars);
            json!({
                "startLine": s.line + 1,
                "startColumn": s.col + 1,
                "endLine": e.line + 1,
                "endColumn": e.col + 1,
            })
        };
        let uri = artifact_uri(&file_path(prefix, f));
        for d in &f.diagnostics {
            let mut result = json!({
                "ruleId": d.code,
                "ruleIndex": codes.iter().position(|c| c.name == d.code),
                "level": sarif_level(d.severity),
                "message": {"text": d.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri},
                        "region": region(d.range),
                    }
                }],
            });
            let related: Vec<Value> = d
                .related
                .iter()
                .filter(|r| r.path.is_none())
                .map(|r| {
                    json!({
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri},
                            "region": region(r.range),
                        },
                        "message": {"text": r.message},
                    })
                })
                .collect();
            if !related.is_empty() {
                result["relatedLocations"] = json!(related);
            }
            // Fixes that edit this file only (a region of another file is not at hand).
            let fixes: Vec<Value> = d
                .fixes
                .iter()
                .filter(|fix| fix.edits.iter().all(|e| e.path.is_none()))
                .map(|fix| {
                    json!({
                        "description": {"text": fix.title},
                        "artifactChanges": [{
                            "artifactLocation": {"uri": uri},
                            "replacements": fix.edits.iter().map(|e| json!({
                                "deletedRegion": region(e.range),
                                "insertedContent": {"text": e.new_text},
                            })).collect::<Vec<_>>(),
                        }],
                    })
                })
                .collect();
            if !fixes.is_empty() {
                result["fixes"] = json!(fixes);
            }
            results.push(result);
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "tinybird-lsp",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://www.tinybird.co/docs",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

/// A SARIF artifact URI: a relative reference for a relative path, a `file://` URI for an
/// absolute one, with the characters URIs reserve escaped.
fn artifact_uri(path: &str) -> String {
    let mut out = String::new();
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for c in path.chars() {
        match c {
            '%' => out.push_str("%25"),
            ' ' => out.push_str("%20"),
            '#' => out.push_str("%23"),
            '?' => out.push_str("%3F"),
            c => out.push(c),
        }
    }
    out
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Hint => "note",
    }
}

/// JUnit XML: a test suite per file, a failing test case per diagnostic (a passing one for a
/// file without any), as CI test-report views read it.
pub fn junit(report: &CheckReport, prefix: &str) -> String {
    let mut suites = String::new();
    let (mut tests, mut failures) = (0, 0);
    for f in report.files() {
        let path = file_path(prefix, f);
        let index = LineIndex::new(&f.text);
        let mut cases = String::new();
        for d in &f.diagnostics {
            let p = index.position(&f.text, d.range.start, Encoding::Chars);
            let at = format!("{}:{}", p.line + 1, p.col + 1);
            cases.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{} at {at}\" file=\"{}\" line=\"{}\">\n      <failure type=\"{}\" message=\"{}\">{}:{at}: {}</failure>\n    </testcase>\n",
                xml(&path),
                xml(d.code),
                xml(&path),
                p.line + 1,
                severity_name(d.severity),
                xml(&d.message),
                xml(&path),
                xml(&d.message),
            ));
        }
        let n = f.diagnostics.len();
        if n == 0 {
            cases.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"no problems\" file=\"{}\"/>\n",
                xml(&path),
                xml(&path)
            ));
        }
        tests += n.max(1);
        failures += n;
        suites.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{n}\" errors=\"0\" skipped=\"0\">\n{cases}  </testsuite>\n",
            xml(&path),
            n.max(1)
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"tinybird-lsp check\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">\n{suites}</testsuites>\n"
    )
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 has no other control characters.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// GitLab Code Quality: one issue per diagnostic with a fingerprint that stays the same while
/// the problem stays (the path, the code, the message and the text it covers, and which
/// occurrence of those it is), not when lines move.
pub fn gitlab(report: &CheckReport, prefix: &str) -> Value {
    let mut seen: std::collections::HashMap<u64, u32> = std::collections::HashMap::new();
    let issues: Vec<Value> = located(report, prefix)
        .into_iter()
        .map(|l| {
            let key = fnv1a(&[&l.path, l.d.code, &l.d.message, l.covered]);
            let n = seen.entry(key).or_default();
            *n += 1;
            let fingerprint = format!("{:016x}{:08x}", key, *n);
            json!({
                "description": format!("{}: {}", l.d.code, l.d.message),
                "check_name": l.d.code,
                "fingerprint": fingerprint,
                "severity": match l.d.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                    Severity::Info | Severity::Hint => "info",
                },
                "location": {
                    "path": l.path,
                    "positions": {
                        "begin": {"line": l.start.0, "column": l.start.1},
                        "end": {"line": l.end.0, "column": l.end.1},
                    },
                },
            })
        })
        .collect();
    json!(issues)
}

/// FNV-1a over the parts, each followed by a separator byte.
fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_do_not_depend_on_positions() {
        assert_eq!(fnv1a(&["a", "b"]), fnv1a(&["a", "b"]));
        assert_ne!(fnv1a(&["ab", ""]), fnv1a(&["a", "b"]));
    }

    #[test]
    fn xml_escapes_markup_and_control_characters() {
        assert_eq!(xml("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot; ");
    }
}
