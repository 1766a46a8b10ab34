//! The official line algorithm (datafile-spec Appendix A): every line is a command, opens a
//! `KEYWORD >` block, or is content of the open block. Blank and `#` lines vanish, even inside
//! blocks. A block ends only at a column-0 line whose first word is a keyword of this dialect
//! and file kind (Classic never ends a block at a line starting with `from`).
//!
//! Classic `INCLUDE` is textual: the included file's lines are spliced in place (after `$KEY`
//! substitution with the include's arguments) and read as if they were part of this file.

use super::keywords::is_keyword;
use super::shlex::{self, Token};
use super::{Dialect, FileKind};
use crate::diagnostics::Diagnostic;
use crate::text::TextRange;

/// One physical line, from this file or from an included file.
#[derive(Clone, Debug)]
pub struct Line {
    /// The line's text without its line break (and without a `\r` before it).
    pub text: String,
    /// Where the line is in this file. For an included line: the INCLUDE line.
    pub range: TextRange,
    /// For an included line: which include (index into [`Read::includes`]) and where in it.
    pub origin: Option<LineOrigin>,
}

#[derive(Clone, Copy, Debug)]
pub struct LineOrigin {
    pub include: usize,
    pub range: TextRange,
    /// The line is the included file's line as written (no `$VAR` of the INCLUDE changed it).
    pub exact: bool,
}

impl Line {
    fn is_indented(&self) -> bool {
        self.text.starts_with([' ', '\t'])
    }
    /// Absolute range of a token of this line (the whole INCLUDE line for included lines).
    pub fn token_range(&self, t: &Token) -> TextRange {
        match self.origin {
            Some(_) => self.range,
            None => t.range.shift(self.range.start),
        }
    }
}

/// A token with its absolute range.
#[derive(Clone, Debug)]
pub struct Word {
    pub text: String,
    pub range: TextRange,
}

#[derive(Clone, Debug)]
pub enum Statement {
    Command {
        line: usize,
        keyword: Word,
        args: Vec<Word>,
    },
    Block {
        /// The `KEYWORD >` line.
        line: usize,
        keyword: Word,
        /// Content lines, in order (blank and `#` lines are already gone).
        body: Vec<usize>,
        /// The line that closed the block, if any (else the end of the file closed it).
        closed_by: Option<usize>,
    },
}

#[derive(Clone, Debug)]
pub struct IncludeFile {
    /// The path as written (unquoted).
    pub path: String,
    /// The path resolved against the top-level file's folder.
    pub resolved: String,
    /// The INCLUDE line in this file.
    pub range: TextRange,
    /// The path as written (with its quotes) in this file; the line for a nested INCLUDE.
    pub path_range: TextRange,
    pub args: Vec<(String, String)>,
    pub found: bool,
    /// 1 for an INCLUDE in the file itself, 2 for one inside an included file, ...
    pub depth: usize,
}

#[derive(Debug, Default)]
pub struct Read {
    pub lines: Vec<Line>,
    pub statements: Vec<Statement>,
    pub includes: Vec<IncludeFile>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Loads an included file by its resolved path (relative paths are relative to the top-level
/// file's folder, joined by the caller's convention). Pure core: the caller does the I/O.
pub type IncludeLoader<'a> = &'a dyn Fn(&str) -> Option<String>;

pub struct ReadOptions<'a> {
    pub dialect: Dialect,
    pub kind: FileKind,
    /// Folder of the top-level file, as a path prefix ("" for the current folder).
    pub base_dir: &'a str,
    pub loader: Option<IncludeLoader<'a>>,
}

const MAX_INCLUDE_DEPTH: usize = 16;

pub fn split_lines(text: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    while start < text.len() {
        let end = text[start..]
            .find('\n')
            .map(|i| start + i)
            .unwrap_or(text.len());
        let mut text_end = end;
        if text_end > start && bytes[text_end - 1] == b'\r' {
            text_end -= 1;
        }
        lines.push(Line {
            text: text[start..text_end].to_string(),
            range: TextRange::new(start, text_end),
            origin: None,
        });
        start = end + 1;
    }
    lines
}

pub fn tokenize(line: &Line) -> Vec<Word> {
    match shlex::split(&line.text) {
        Ok(tokens) => tokens
            .iter()
            .map(|t| Word {
                text: t.text.clone(),
                range: line.token_range(t),
            })
            .collect(),
        Err(_) => {
            // shlex.quote(line): one token that can never be a keyword.
            let trimmed = line.text.trim_start();
            let start = line.text.len() - trimmed.len();
            let range = match line.origin {
                Some(_) => line.range,
                None => TextRange::new(line.range.start + start, line.range.end),
            };
            vec![Word {
                text: format!("'{}'", line.text),
                range,
            }]
        }
    }
}

pub fn unquote(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2 && matches!(b[0], b'"' | b'\'') && matches!(b[b.len() - 1], b'"' | b'\'') {
        &s[1..s.len() - 1]
    } else if b.len() == 1 && matches!(b[0], b'"' | b'\'') {
        ""
    } else {
        s
    }
}

/// Python's `string.Template(text).safe_substitute(vars)`.
pub fn template_substitute(text: &str, vars: &[(String, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(stripped) = after.strip_prefix('$') {
            out.push('$');
            rest = stripped;
            continue;
        }
        let (name, consumed) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(j) => (&inner[..j], j + 2),
                None => ("", 0),
            }
        } else {
            let n = after
                .char_indices()
                .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
                .count();
            let name = &after[..n];
            if name.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                ("", 0)
            } else {
                (name, n)
            }
        };
        match vars.iter().find(|(k, _)| k == name) {
            Some((_, v)) if consumed > 0 => {
                out.push_str(v);
                rest = &after[consumed..];
            }
            _ => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `base/rel` with `.` and `..` segments folded (`pipes/../includes/x.incl` is
/// `includes/x.incl`), so that one file has one resolved path whichever folder includes it.
pub fn join_path(base: &str, rel: &str) -> String {
    let joined = if rel.starts_with('/') || base.is_empty() {
        rel.to_string()
    } else {
        format!("{}/{}", base.trim_end_matches('/'), rel)
    };
    normalize_path(&joined)
}

fn normalize_path(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            // Above the root of an absolute path is the root.
            ".." if absolute => {}
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_string()
    } else {
        joined
    }
}

pub fn read(text: &str, opts: &ReadOptions) -> Read {
    let mut r = Read {
        lines: split_lines(text),
        ..Read::default()
    };
    let classic = opts.dialect == Dialect::Classic;
    let mut open: Option<(usize, Word, Vec<usize>)> = None;
    let mut i = 0;
    while i < r.lines.len() {
        let words = tokenize(&r.lines[i]);
        if words.is_empty() {
            i += 1;
            continue;
        }
        let cmd = words[0].text.to_lowercase();
        let line = &r.lines[i];
        if open.is_some()
            && is_keyword(opts.dialect, opts.kind, &cmd)
            && !line.is_indented()
            && !(classic && line.text.to_lowercase().starts_with("from"))
        {
            let (start, keyword, body) = open.take().unwrap();
            r.statements.push(Statement::Block {
                line: start,
                keyword,
                body,
                closed_by: Some(i),
            });
        }
        if let Some((_, _, body)) = open.as_mut() {
            body.push(i);
            i += 1;
            continue;
        }
        let mut words = words;
        let keyword = words.remove(0);
        if words.first().is_some_and(|w| w.text == ">") {
            open = Some((i, keyword, Vec::new()));
        } else if classic && cmd == "include" {
            let depth = r.lines[i].origin.map_or(0, |o| r.includes[o.include].depth);
            if depth >= MAX_INCLUDE_DEPTH {
                r.diagnostics.push(Diagnostic::error(
                    "include-cycle",
                    r.lines[i].range,
                    "INCLUDE nests too deeply: the included files include each other in a cycle",
                ));
            } else if let Some(spliced) = expand_include(&mut r, i, &keyword, &words, opts) {
                r.lines.splice(i + 1..i + 1, spliced);
            }
            r.statements.push(Statement::Command {
                line: i,
                keyword,
                args: words,
            });
        } else {
            r.statements.push(Statement::Command {
                line: i,
                keyword,
                args: words,
            });
        }
        i += 1;
    }
    if let Some((start, keyword, body)) = open.take() {
        r.statements.push(Statement::Block {
            line: start,
            keyword,
            body,
            closed_by: None,
        });
    }
    r
}

fn expand_include(
    r: &mut Read,
    at: usize,
    keyword: &Word,
    args: &[Word],
    opts: &ReadOptions,
) -> Option<Vec<Line>> {
    let line_range = r.lines[at].range;
    let parent_origin = r.lines[at].origin;
    let Some(path_word) = args.first() else {
        r.diagnostics.push(Diagnostic::error(
            "missing-value",
            keyword.range,
            "INCLUDE needs the path of the file to include",
        ));
        return None;
    };
    let path = unquote(&path_word.text).to_string();
    let vars: Vec<(String, String)> = args[1..]
        .iter()
        .filter_map(|a| {
            let v = unquote(&a.text);
            v.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        })
        .collect();
    let resolved = join_path(opts.base_dir, &path);
    let content = opts.loader.and_then(|load| load(&resolved));
    let index = r.includes.len();
    r.includes.push(IncludeFile {
        path: path.clone(),
        resolved: resolved.clone(),
        range: line_range,
        path_range: if parent_origin.is_none() {
            path_word.range
        } else {
            line_range
        },
        args: vars.clone(),
        found: content.is_some(),
        depth: parent_origin.map_or(1, |o| r.includes[o.include].depth + 1),
    });
    let Some(content) = content else {
        r.diagnostics.push(Diagnostic::error(
            "include-not-found",
            path_word.range,
            format!("Included file `{path}` was not found (paths are relative to the folder of the file being read, not to the .incl file)"),
        ));
        return None;
    };
    let substituted = template_substitute(&content, &vars);
    // Offsets of the substituted text are only approximately those of the .incl file when a
    // variable changed a line's length; ranges into the .incl are kept per line.
    let original_lines = split_lines(&content);
    // The official parser replaces the INCLUDE line with ["", *included lines]: the INCLUDE
    // line itself plays the part of the blank line, so line numbers match the official ones.
    let mut out = Vec::new();
    for (n, l) in split_lines(&substituted).into_iter().enumerate() {
        let original = original_lines.get(n);
        let incl_range = original.map_or(l.range, |o| o.range);
        let exact = original.is_some_and(|o| o.text == l.text);
        out.push(Line {
            text: l.text,
            range: line_range,
            origin: Some(LineOrigin {
                include: index,
                range: incl_range,
                exact,
            }),
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_paths_resolve_to_one_spelling() {
        assert_eq!(
            join_path("/p/pipes", "../includes/x.incl"),
            "/p/includes/x.incl"
        );
        assert_eq!(
            join_path("/p/endpoints/", "./../includes/x.incl"),
            "/p/includes/x.incl"
        );
        assert_eq!(join_path("pipes", "../x.incl"), "x.incl");
        assert_eq!(join_path("pipes", "../../x.incl"), "../x.incl");
        assert_eq!(join_path("/p", "../../x.incl"), "/x.incl");
        assert_eq!(join_path("", "includes/x.incl"), "includes/x.incl");
        assert_eq!(join_path("/p", "/abs/x.incl"), "/abs/x.incl");
    }

    #[test]
    fn template_substitution_like_python() {
        let vars = vec![("A".to_string(), "x".to_string())];
        assert_eq!(
            template_substitute("$A ${A} $$A $B $", &vars),
            "x x $A $B $"
        );
    }

    #[test]
    fn unquote_needs_quotes_at_both_ends() {
        assert_eq!(unquote("\"a\""), "a");
        assert_eq!(unquote("'a\""), "a");
        assert_eq!(unquote("\"a\" + 1"), "\"a\" + 1");
    }
}
