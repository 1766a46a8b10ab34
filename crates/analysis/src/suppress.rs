//! Inline suppression in SQL, which survives `tb fmt` (it deletes `#` comments, not SQL ones):
//! `-- tinybird-lsp: ignore[code, code] reason` on its own line ignores those codes on the next
//! line of SQL; at the end of a line, on that line. An ignore that suppresses nothing, or names
//! no diagnostic code, is reported itself (`unused-ignore`, a hint), so stale ones do not pile
//! up. Pure: it reads the file's text and its diagnostics.

use crate::registry::{Check, Code, Example, Rule, Scope};
use syntax::diagnostics::{Diagnostic, Severity};
use syntax::text::{LineIndex, TextRange};

pub const RULE: Rule = Rule {
    name: "suppress",
    scope: Scope::File,
    check: Check::Files,
    codes: &[Code::new(
        "unused-ignore",
        Severity::Hint,
        "An inline ignore that suppresses nothing",
    )],
    examples: &[
        Example::reported(
            "unused-ignore",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime
            //- pipes/p.pipe
            NODE n
            SQL >
                -- tinybird-lsp: ignore[⟦unknown-table⟧] the table is created by hand
                SELECT count() FROM events
                -- tinybird-lsp: ignore[⟦unknwn-table⟧]
                UNION ALL SELECT count() FROM legacy
        "#,
        ),
        Example::not_reported(
            "unused-ignore",
            r#"
            //- pipes/p.pipe
            NODE n
            SQL >
                -- tinybird-lsp: ignore[unknown-table] created outside the files
                SELECT count() FROM legacy
                UNION ALL SELECT count() FROM other -- tinybird-lsp: ignore[unknown-table]
        "#,
        ),
    ],
};

const MARKER: &str = "tinybird-lsp:";

/// One `-- tinybird-lsp: ignore[...]` comment.
#[derive(Debug, PartialEq)]
struct Ignore {
    /// The 0-based line it applies to.
    line: usize,
    /// Each code named, with its range in the file.
    codes: Vec<(String, TextRange)>,
}

/// Every ignore comment of `text`.
fn ignores(text: &str) -> Vec<Ignore> {
    let lines: Vec<(usize, &str)> = {
        let mut out = Vec::new();
        let mut start = 0;
        for l in text.split_inclusive('\n') {
            out.push((start, l.trim_end_matches(['\n', '\r'])));
            start += l.len();
        }
        out
    };
    let mut out = Vec::new();
    for (i, &(start, line)) in lines.iter().enumerate() {
        let Some(at) = comment_start(line) else {
            continue;
        };
        let rest = line[at + 2..].trim_start();
        let Some(rest) = rest.strip_prefix(MARKER) else {
            continue;
        };
        let rest_at = line.len() - rest.len();
        let body = rest.trim_start();
        let Some(list) = body.strip_prefix("ignore[") else {
            continue;
        };
        let Some(close) = list.find(']') else {
            continue;
        };
        let list_at = start + rest_at + (rest.len() - body.len()) + "ignore[".len();
        let mut codes = Vec::new();
        let mut offset = 0;
        for part in list[..close].split(',') {
            let lead = part.len() - part.trim_start().len();
            let code = part.trim();
            if !code.is_empty() {
                let s = list_at + offset + lead;
                codes.push((code.to_string(), TextRange::new(s, s + code.len())));
            }
            offset += part.len() + 1;
        }
        let own_line = line[..at].trim().is_empty();
        let target = if own_line {
            // The next line of SQL (not blank, not another comment).
            lines[i + 1..]
                .iter()
                .position(|(_, l)| {
                    let t = l.trim_start();
                    !t.is_empty() && !t.starts_with("--")
                })
                .map(|k| i + 1 + k)
        } else {
            Some(i)
        };
        if let Some(line) = target {
            out.push(Ignore { line, codes });
        }
    }
    out
}

/// Where a `--` comment starts in a line of SQL, outside string literals and quoted names:
/// after the last token ClickHouse's lexical rules read on the line (the lexer drops comments,
/// and a line comment runs to the end of the line).
fn comment_start(line: &str) -> Option<usize> {
    let end = syntax::sql::lexer::tokenize(line)
        .last()
        .map_or(0, |t| t.range.end);
    line[end..].find("--").map(|i| end + i)
}

/// Whether `text` may hold an ignore comment (a cheap test before [`apply`]).
pub fn has_ignores(text: &str) -> bool {
    text.contains(MARKER)
}

/// `list` without the diagnostics an ignore of `text` suppresses, plus an `unused-ignore` hint
/// for each code of an ignore that suppresses nothing.
pub fn apply(text: &str, list: Vec<Diagnostic>) -> Vec<Diagnostic> {
    if !has_ignores(text) {
        return list;
    }
    let ignores = ignores(text);
    if ignores.is_empty() {
        return list;
    }
    let index = LineIndex::new(text);
    let mut used = vec![false; ignores.iter().map(|i| i.codes.len()).sum()];
    let mut kept = Vec::with_capacity(list.len());
    for d in list {
        let line = index
            .position(text, d.range.start, syntax::text::Encoding::Utf8)
            .line as usize;
        let mut suppressed = false;
        let mut k = 0;
        for ig in &ignores {
            for (code, _) in &ig.codes {
                if ig.line == line && code == d.code {
                    used[k] = true;
                    suppressed = true;
                }
                k += 1;
            }
        }
        if !suppressed {
            kept.push(d);
        }
    }
    let mut k = 0;
    for ig in &ignores {
        for (code, range) in &ig.codes {
            if !used[k] {
                let message = if crate::registry::code(code).is_none() {
                    let mut m = format!("`{code}` is no diagnostic code of tinybird-lsp");
                    if let Some(s) = crate::registry::code_like(code) {
                        m.push_str(&format!(" (did you mean `{s}`?)"));
                    }
                    m
                } else {
                    format!(
                        "Nothing reports `{code}` on line {}: this ignore suppresses nothing (remove it)",
                        ig.line + 1
                    )
                };
                kept.push(Diagnostic::new(
                    Severity::Hint,
                    "unused-ignore",
                    *range,
                    message,
                ));
            }
            k += 1;
        }
    }
    kept.sort_by_key(|d| (d.range.start, d.range.end));
    kept
}

/// The quick fix that ignores `d` inline: a `-- tinybird-lsp: ignore[code]` line above the
/// diagnostic's line, indented like it, when that line is SQL (`sql`: the ranges of the
/// file's SQL blocks, keyword lines excluded). `None` elsewhere (datafile lines belong to the
/// configuration file's ignores).
pub fn ignore_fix(
    text: &str,
    sql: &[TextRange],
    d: &Diagnostic,
) -> Option<syntax::diagnostics::Fix> {
    if d.code == "unused-ignore" || !sql.iter().any(|r| r.contains(d.range.start)) {
        return None;
    }
    let line_start = text[..d.range.start.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let indent: String = text[line_start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    Some(syntax::diagnostics::Fix {
        title: format!("Ignore `{}` on this line (-- tinybird-lsp: ignore)", d.code),
        edits: vec![syntax::diagnostics::TextEdit {
            path: None,
            range: TextRange::new(line_start, line_start),
            new_text: format!("{indent}-- {MARKER} ignore[{}] \n", d.code),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quick_fix_ignores_the_line_it_is_offered_on() {
        let text = "NODE n\nSQL >\n    SELECT 1\n    FROM evnts\n";
        let at = text.find("evnts").unwrap();
        let d = Diagnostic::new(
            Severity::Warning,
            "unknown-table",
            TextRange::new(at, at + 5),
            "x",
        );
        let sql = [TextRange::new(text.find("SELECT").unwrap(), text.len())];
        let fix = ignore_fix(text, &sql, &d).unwrap();
        let e = &fix.edits[0];
        let fixed = format!(
            "{}{}{}",
            &text[..e.range.start],
            e.new_text,
            &text[e.range.end..]
        );
        assert!(
            fixed.contains(
                "    SELECT 1\n    -- tinybird-lsp: ignore[unknown-table] \n    FROM evnts"
            ),
            "{fixed}"
        );
        let shift = e.new_text.len();
        let moved = Diagnostic::new(
            Severity::Warning,
            "unknown-table",
            TextRange::new(at + shift, at + shift + 5),
            "x",
        );
        assert!(
            apply(&fixed, vec![moved]).is_empty(),
            "suppressed, and no unused-ignore"
        );
        // Not on datafile lines.
        let node = Diagnostic::new(Severity::Warning, "x", TextRange::new(0, 4), "x");
        assert!(ignore_fix(text, &sql, &node).is_none());
    }

    #[test]
    fn reads_own_line_and_trailing_ignores() {
        let text = "SQL >\n    -- tinybird-lsp: ignore[a, b] why\n\n    SELECT 1\n    SELECT '--' -- tinybird-lsp: ignore[c]\n    SELECT '-- tinybird-lsp: ignore[d]'\n";
        let found = ignores(text);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].line, 3);
        let names: Vec<&str> = found[0].codes.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        let (_, r) = &found[0].codes[1];
        assert_eq!(&text[r.start..r.end], "b");
        assert_eq!(found[1].line, 4);
    }
}
