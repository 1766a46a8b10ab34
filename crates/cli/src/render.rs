//! Rendering diagnostics for people (like a compiler) and for machines (JSON).

use super::check::CheckReport;
use serde_json::json;
use syntax::diagnostics::Severity;
use syntax::text::{Encoding, LineIndex};

pub(crate) fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
        Severity::Hint => "hint",
    }
}

pub fn human(report: &CheckReport, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    for f in report.files() {
        let index = LineIndex::new(&f.text);
        for d in &f.diagnostics {
            let start = index.position(&f.text, d.range.start, Encoding::Chars);
            let sev = severity_name(d.severity);
            let sev_colored = match d.severity {
                Severity::Error => paint("1;31", sev),
                Severity::Warning => paint("1;33", sev),
                _ => paint("1;36", sev),
            };
            out.push_str(&format!(
                "{}:{}:{}: {}[{}]: {}\n",
                f.path,
                start.line + 1,
                start.col + 1,
                sev_colored,
                d.code,
                d.message
            ));
            let line_range = index.line_range(&f.text, start.line as usize);
            let line_text = &f.text[line_range.start..line_range.end];
            let end = d.range.end.min(line_range.end).max(d.range.start);
            let width = f.text[d.range.start.min(end)..end].chars().count().max(1);
            let gutter = format!("{}", start.line + 1);
            out.push_str(&format!("{} |\n", " ".repeat(gutter.len())));
            out.push_str(&format!("{gutter} | {}\n", line_text.replace('\t', " ")));
            out.push_str(&format!(
                "{} | {}{}\n",
                " ".repeat(gutter.len()),
                " ".repeat(start.col as usize),
                paint("1;31", &"^".repeat(width))
            ));
            for r in &d.related {
                let (path, text) = match &r.path {
                    None => (f.path.as_str(), f.text.as_str()),
                    Some(p) => (p.as_str(), ""),
                };
                let pos = if text.is_empty() {
                    String::new()
                } else {
                    let p = index.position(text, r.range.start, Encoding::Chars);
                    format!(":{}:{}", p.line + 1, p.col + 1)
                };
                out.push_str(&format!("  note: {path}{pos}: {}\n", r.message));
            }
            for fix in &d.fixes {
                out.push_str(&format!("  fix: {}\n", fix.title));
            }
            out.push('\n');
        }
    }
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    let files = report.files().count();
    let dialects: Vec<String> = report
        .projects
        .iter()
        .map(|p| {
            let name = p
                .root
                .file_name()
                .map_or(".".into(), |n| n.to_string_lossy().to_string());
            format!(
                "{name}: {} ({})",
                p.dialect.dialect.name(),
                p.dialect.reason
            )
        })
        .collect();
    out.push_str(&format!(
        "{} file{} checked [{}]: {} error{}, {} warning{}\n",
        files,
        if files == 1 { "" } else { "s" },
        dialects.join("; "),
        errors,
        if errors == 1 { "" } else { "s" },
        warnings,
        if warnings == 1 { "" } else { "s" },
    ));
    out
}

pub fn json(report: &CheckReport) -> serde_json::Value {
    let mut diags = Vec::new();
    for f in report.files() {
        let index = LineIndex::new(&f.text);
        let range = |r: syntax::text::TextRange| {
            json!({
                "start": index.position(&f.text, r.start, Encoding::Utf16),
                "end": index.position(&f.text, r.end, Encoding::Utf16),
            })
        };
        for d in &f.diagnostics {
            let related: Vec<_> = d
                .related
                .iter()
                .map(|r| {
                    json!({
                        "path": r.path.clone().unwrap_or_else(|| f.path.clone()),
                        "range": if r.path.is_none() { range(r.range) } else { json!({"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}) },
                        "message": r.message,
                    })
                })
                .collect();
            diags.push(json!({
                "path": f.path,
                "range": range(d.range),
                "severity": severity_name(d.severity),
                "code": d.code,
                "message": d.message,
                "related": related,
                "fixes": d.fixes.iter().map(|f| f.title.as_str()).collect::<Vec<_>>(),
            }));
        }
    }
    let projects: Vec<_> = report
        .projects
        .iter()
        .map(|p| json!({"root": p.root.to_string_lossy(), "dialect": p.dialect.dialect.name(), "reason": p.dialect.reason}))
        .collect();
    json!({
        "files": report.files().count(),
        "projects": projects,
        "diagnostics": diags,
    })
}
