//! Small multi-file projects written inline, for the tests beside each rule and action (in
//! the style of rust-analyzer's fixtures):
//!
//! ```text
//! //- dialect: forward
//! //- now: 2026-01-01 00:00:00
//! //- datasources/events.datasource
//! SCHEMA >
//!     `ts` DateTime
//! //- pipes/p.pipe
//! NODE n
//! SQL >
//!     SELECT * FROM ⟦evnts⟧
//! ```
//!
//! `//- <path>` starts a file; `//- dialect:` and `//- now:` (UTC) before the first file set
//! the dialect and the clock; `//- unreadable: <path>` and `//- large: <path>` add a file that
//! cannot be read and one too large to analyse. A file given twice is the later text (so
//! fixtures can be built from shared pieces and override one file). The text is dedented by its smallest indentation, so a fixture
//! can be indented like the code around it. `⟦…⟧` marks ranges (removed from the text):
//! where a diagnostic is expected, or where a cursor is.
//!
//! `//- base: <path>` starts the deployed version's text of a file: the base the deploy rules
//! compare with is the project's files but for those, and but for the files named by
//! `//- added: <path>` (files the base does not have).

use crate::db::{Analysis, ProjectDb};
use crate::deploy::Base;
use crate::registry::{self, Example};
use std::collections::BTreeSet;
use std::sync::Arc;
use syntax::text::TextRange;
use syntax::Dialect;

/// A parsed fixture.
#[derive(Clone, Debug, Default)]
pub struct Fixture {
    /// (path, text) in the order written.
    pub files: Vec<(String, String)>,
    pub dialect: Option<Dialect>,
    /// Seconds since the epoch, UTC.
    pub now: Option<i64>,
    /// The marked ranges, by file.
    pub marks: Vec<(String, TextRange)>,
    /// Files that cannot be read (`//- unreadable: <path>`): a FIFO, a device, a file gone.
    pub unreadable: Vec<String>,
    /// The deployed version's texts of the files that differ (`//- base: <path>`).
    pub base_files: Vec<(String, String)>,
    /// Files the deployed version does not have (`//- added: <path>`).
    pub added: Vec<String>,
}

/// Removes the smallest indentation of the non-blank lines from every line (`//-` header
/// lines do not count: they may come from pieces indented otherwise).
pub fn trim_indent(text: &str) -> String {
    let text = text.strip_prefix('\n').unwrap_or(text);
    let indent = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("//- "))
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with("//- ") {
            out.push_str(line.trim_start());
            continue;
        }
        out.push_str(line.get(indent..).unwrap_or(line.trim_start_matches(' ')));
    }
    out
}

impl Fixture {
    pub fn parse(text: &str) -> Fixture {
        let mut f = Fixture::default();
        let mut current: Option<(String, String)> = None;
        // The file being read is a base file.
        let mut in_base = false;
        for line in trim_indent(text).split_inclusive('\n') {
            if let Some(header) = line.trim_start().strip_prefix("//- ") {
                let header = header.trim();
                if let Some(d) = header.strip_prefix("dialect:") {
                    f.dialect = match d.trim() {
                        "forward" => Some(Dialect::Forward),
                        "classic" => Some(Dialect::Classic),
                        other => panic!("fixture: unknown dialect `{other}`"),
                    };
                } else if let Some(t) = header.strip_prefix("now:") {
                    f.now =
                        Some(parse_utc(t.trim()).unwrap_or_else(|| {
                            panic!("fixture: `now` must be YYYY-MM-DD HH:MM:SS")
                        }));
                } else if let Some(path) = header.strip_prefix("unreadable:") {
                    f.unreadable.push(path.trim().to_string());
                } else if let Some(path) = header.strip_prefix("large:") {
                    // A file over the size the database analyses.
                    let line = "# a comment line to make the file large\n";
                    let n = crate::db::MAX_FILE_BYTES / line.len() + 1;
                    f.files.push((path.trim().to_string(), line.repeat(n)));
                } else if let Some(path) = header.strip_prefix("added:") {
                    f.added.push(path.trim().to_string());
                } else {
                    let done = current.take();
                    if in_base {
                        f.base_files.extend(done);
                    } else {
                        f.files.extend(done);
                    }
                    in_base = header.starts_with("base:");
                    let path = header.strip_prefix("base:").unwrap_or(header).trim();
                    current = Some((path.to_string(), String::new()));
                }
                continue;
            }
            match &mut current {
                Some((_, text)) => text.push_str(line),
                None if line.trim().is_empty() => {}
                None => panic!("fixture: text before the first `//- path` line: {line:?}"),
            }
        }
        if in_base {
            f.base_files.extend(current);
        } else {
            f.files.extend(current);
        }
        // A later file of the same path replaces an earlier one (fixtures built from pieces).
        let mut seen = std::collections::HashSet::new();
        let mut files: Vec<(String, String)> = f
            .files
            .drain(..)
            .rev()
            .filter(|(path, _)| seen.insert(path.clone()))
            .collect();
        files.reverse();
        f.files = files;
        for (path, text) in &mut f.files {
            let (clean, marks) = take_marks(text);
            *text = clean;
            f.marks.extend(marks.into_iter().map(|r| (path.clone(), r)));
        }
        f
    }

    /// The project analysed as `check` would (INCLUDE paths resolve among the fixture's files),
    /// against its base when it has one.
    pub fn analyze(&self) -> Analysis {
        let mut db = self.db();
        db.set_base(self.base());
        let files = self.files.clone();
        db.analyze(&move |p: &str| {
            let p = p.trim_start_matches("/fixture/");
            files.iter().find(|(f, _)| f == p).map(|(_, t)| t.clone())
        });
        db.take_analysis().expect("an analysis was just made")
    }

    /// The deployed version, analysed, when the fixture gives one (`//- base:`, `//- added:`).
    pub fn base(&self) -> Option<Arc<Base>> {
        if self.base_files.is_empty() && self.added.is_empty() {
            return None;
        }
        let mut files: Vec<(String, String)> = self
            .files
            .iter()
            .filter(|(p, _)| {
                !self.added.contains(p) && !self.base_files.iter().any(|(b, _)| b == p)
            })
            .cloned()
            .collect();
        files.extend(
            self.base_files
                .iter()
                .map(|(p, t)| (p.clone(), take_marks(t).0)),
        );
        let base = Fixture {
            files,
            dialect: self.dialect,
            now: self.now,
            ..Fixture::default()
        };
        Some(Arc::new(Base::from_analysis("base", base.analyze())))
    }

    /// A database holding the fixture's files (root `/fixture`), not analysed yet.
    pub fn db(&self) -> ProjectDb {
        let mut db = ProjectDb::new("/fixture", self.dialect);
        db.set_now(self.now);
        for (path, text) in &self.files {
            db.set_file(path, Arc::from(text.as_str()));
        }
        for path in &self.unreadable {
            db.set_unreadable(path, "it is a FIFO".to_string());
        }
        db
    }

    /// The text of a file of the fixture.
    pub fn text(&self, path: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, t)| t.as_str())
    }
}

/// Removes `⟦` and `⟧` from a text and returns the ranges they enclosed.
fn take_marks(text: &str) -> (String, Vec<TextRange>) {
    let mut out = String::with_capacity(text.len());
    let mut marks = Vec::new();
    let mut open = Vec::new();
    for c in text.chars() {
        match c {
            '⟦' => open.push(out.len()),
            '⟧' => {
                let start = open.pop().expect("fixture: `⟧` without `⟦`");
                marks.push(TextRange::new(start, out.len()));
            }
            _ => out.push(c),
        }
    }
    assert!(open.is_empty(), "fixture: `⟦` without `⟧`");
    (out, marks)
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) as seconds since the epoch.
fn parse_utc(s: &str) -> Option<i64> {
    let (instant, _, _) = crate::migration::instant::parse_datetime(s)?;
    Some(instant)
}

/// Checks one example of the registry: a reported example gets its code exactly at its
/// marks (at least once when it has none), with the code's severity; a not-reported example
/// does not get it at all.
pub fn check_example(e: &Example) -> Result<(), String> {
    let f = Fixture::parse(e.fixture);
    let a = f.analyze();
    let found: Vec<(String, TextRange, syntax::diagnostics::Severity, String)> = a
        .diagnostics
        .iter()
        .flat_map(|(path, ds)| {
            ds.iter()
                .filter(|d| d.code == e.code)
                .map(move |d| (path.clone(), d.range, d.severity, d.message.clone()))
        })
        .collect();
    let describe = |found: &[(String, TextRange, _, String)]| {
        found
            .iter()
            .map(|(p, r, _, m)| {
                let text = f.text(p).unwrap_or("");
                format!(
                    "  {p} {:?} `{}`: {m}",
                    r,
                    text.get(r.start..r.end).unwrap_or("?")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    if !e.reported {
        return if found.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "reported where it must not be:\n{}",
                describe(&found)
            ))
        };
    }
    if found.is_empty() {
        let all: Vec<String> = a
            .diagnostics
            .iter()
            .flat_map(|(p, ds)| {
                ds.iter()
                    .map(move |d| format!("  {p}: {} {}", d.code, d.message))
            })
            .collect();
        return Err(format!(
            "not reported; the project has:\n{}",
            if all.is_empty() {
                "  (no diagnostic)".to_string()
            } else {
                all.join("\n")
            }
        ));
    }
    if !f.marks.is_empty() {
        let want: BTreeSet<(String, TextRange)> = f.marks.iter().cloned().collect();
        let got: BTreeSet<(String, TextRange)> =
            found.iter().map(|(p, r, _, _)| (p.clone(), *r)).collect();
        if want != got {
            return Err(format!(
                "reported at other places than the marks {want:?}:\n{}",
                describe(&found)
            ));
        }
    }
    let code = registry::code(e.code).ok_or("the code is not in the registry")?;
    // Every fix, applied alone, takes its diagnostic away (and breaks no file: the fixed project
    // has no error the example did not have).
    for (path, ds) in &a.diagnostics {
        for d in ds.iter().filter(|d| d.code == e.code) {
            for fix in &d.fixes {
                let mut fixed = f.clone();
                // Every range is one of the text before the fix (as in an LSP WorkspaceEdit):
                // the last first, so that each applies where it was computed.
                let mut edits: Vec<_> = fix.edits.iter().collect();
                edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
                for edit in edits {
                    let target = edit.path.as_deref().unwrap_or(path);
                    let Some(slot) = fixed.files.iter_mut().find(|(p, _)| p == target) else {
                        fixed
                            .files
                            .push((target.to_string(), edit.new_text.clone()));
                        continue;
                    };
                    if edit.range.end > slot.1.len() {
                        return Err(format!(
                            "the fix `{}` edits past the end of {target}",
                            fix.title
                        ));
                    }
                    slot.1
                        .replace_range(edit.range.start..edit.range.end, &edit.new_text);
                }
                let after = fixed.analyze();
                let left: Vec<String> = after
                    .diagnostics
                    .get(path)
                    .into_iter()
                    .flatten()
                    .filter(|o| o.code == e.code && o.range.start == d.range.start)
                    .map(|o| o.message.clone())
                    .collect();
                if !left.is_empty() {
                    return Err(format!(
                        "the fix `{}` leaves its diagnostic: {}",
                        fix.title,
                        left.join("; ")
                    ));
                }
                let errors = |a: &Analysis| {
                    a.diagnostics
                        .values()
                        .flatten()
                        .filter(|d| d.severity == syntax::diagnostics::Severity::Error)
                        .count()
                };
                if errors(&after) > errors(&a) {
                    return Err(format!(
                        "the fix `{}` makes an error: {:?}",
                        fix.title,
                        after
                            .diagnostics
                            .values()
                            .flatten()
                            .filter(|d| d.severity == syntax::diagnostics::Severity::Error)
                            .map(|d| &d.message)
                            .collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
    if code.varies.is_none() {
        if let Some((p, r, s, _)) = found.iter().find(|(_, _, s, _)| *s != code.severity) {
            return Err(format!(
                "reported as {s:?} at {p} {r:?}, but the registry says {:?}",
                code.severity
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_files_headers_and_marks() {
        let f = Fixture::parse(
            "
            //- dialect: forward
            //- now: 2026-01-02 03:04:05
            //- datasources/a.datasource
            SCHEMA >
                `x` String
            //- pipes/p.pipe
            NODE n
            SQL >
                SELECT x FROM ⟦a⟧
            ",
        );
        assert_eq!(f.dialect, Some(Dialect::Forward));
        assert_eq!(f.now, Some(1_767_323_045));
        assert_eq!(f.files.len(), 2);
        assert_eq!(f.files[0].1, "SCHEMA >\n    `x` String\n");
        let text = f.text("pipes/p.pipe").unwrap();
        assert_eq!(text, "NODE n\nSQL >\n    SELECT x FROM a\n");
        let (path, r) = &f.marks[0];
        assert_eq!(path, "pipes/p.pipe");
        assert_eq!(&text[r.start..r.end], "a");
    }
}
