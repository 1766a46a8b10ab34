//! Formatting of the datafile layer that loses nothing and never changes what the official
//! parsers read:
//!
//! - keywords upper-case, one space between a keyword and its value, no trailing white space
//!   on keyword lines, keyword lines at column 0;
//! - single-line values without quotes where the parsers read them the same without
//!   (`ENGINE "MergeTree"` → `ENGINE MergeTree`, as `tb fmt` writes them);
//! - SCHEMA, INDEXES and plain (non-template) SQL blocks indented by four spaces: the block's
//!   common margin is replaced, so the dedented text the parser reads is unchanged; template
//!   SQL (`%`) and every other block are left exactly as written;
//! - at most one blank line in a row, one blank line before a NODE and between a block and
//!   the setting after it, none at the start, one line break at the end (the file's own line
//!   breaks, LF or CRLF);
//! - comments stay where they are.
//!
//! Blank and `#` lines vanish when the parsers read a file (even inside blocks), which is why
//! blank lines and comment indentation can be changed safely. SQL is left alone: it is the
//! user's, and ClickHouse is the authority on it.

use syntax::block::common_margin;
use syntax::keywords::is_keyword;
use syntax::reader::{self, ReadOptions, Statement};
use syntax::{Dialect, FileKind};

const INDENT: &str = "    ";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Blank,
    Comment,
    Statement { block: bool, node: bool },
    Content,
}

/// What the formatter may change besides the datafile layer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FormatOptions {
    /// ClickHouse keywords of plain SQL in upper case ([`super::sql_case`]).
    pub sql_keywords: bool,
}

/// The formatted text (equal to `text` when it is already formatted).
pub fn format(text: &str, dialect: Dialect, kind: FileKind) -> String {
    format_with(text, dialect, kind, FormatOptions::default())
}

/// [`format`], with SQL changes when asked for.
pub fn format_with(text: &str, dialect: Dialect, kind: FileKind, opts: FormatOptions) -> String {
    let read = reader::read(
        text,
        &ReadOptions {
            dialect,
            kind,
            base_dir: "",
            loader: None,
        },
    );
    let mut read = read;
    if opts.sql_keywords {
        sql_keywords_upper(&mut read);
    }
    let lines = &read.lines;
    let n = lines.len();
    let mut roles: Vec<Role> = lines
        .iter()
        .map(|l| {
            let t = l.text.trim();
            if t.is_empty() {
                Role::Blank
            } else if t.starts_with('#') {
                Role::Comment
            } else {
                Role::Content
            }
        })
        .collect();
    let mut new_text: Vec<Option<String>> = vec![None; n];
    let mut after_block = vec![false; n];
    let mut last_block_end: Option<usize> = None;
    for st in &read.statements {
        let (line, keyword, block) = match st {
            Statement::Command { line, keyword, .. } => (*line, keyword, false),
            Statement::Block { line, keyword, .. } => (*line, keyword, true),
        };
        let Some(l) = lines.get(line) else { continue };
        let lower = keyword.text.to_lowercase();
        let known = is_keyword(dialect, kind, &lower);
        // A blank line after a block, unless another block follows (DESCRIPTION then SQL).
        if let Some(end) = last_block_end.take() {
            if line > end && !block {
                after_block[line] = true;
            }
        }
        roles[line] = Role::Statement {
            block,
            node: lower == "node",
        };
        if known {
            let start = keyword.range.start.saturating_sub(l.range.start);
            let rest = l
                .text
                .get(start + keyword.text.len()..)
                .unwrap_or("")
                .trim();
            let mut s = keyword.text.to_ascii_uppercase();
            if !rest.is_empty() {
                s.push(' ');
                s.push_str(if block { rest } else { unquoted(&lower, rest) });
            }
            new_text[line] = Some(s);
        }
        if let Statement::Block { body, .. } = st {
            if let Some(&last) = body.last() {
                last_block_end = Some(last);
                reindent_block(&lower, body, lines, &roles, &mut new_text, line, last);
            } else {
                last_block_end = Some(line);
            }
        }
    }
    // A blank line before a NODE and before the statement after a block, above the comments
    // that lead into it.
    let mut blank_before = vec![false; n];
    for i in 0..n {
        let wants = match roles[i] {
            Role::Statement { node, .. } => node || after_block[i],
            _ => false,
        };
        if wants {
            let mut j = i;
            while j > 0
                && roles[j - 1] == Role::Comment
                && !lines[j - 1].text.starts_with([' ', '\t'])
            {
                j -= 1;
            }
            blank_before[j] = true;
        }
    }
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut out: Vec<String> = Vec::with_capacity(n + 8);
    for i in 0..n {
        let blank_last = out.last().is_none_or(|l: &String| l.is_empty());
        if roles[i] == Role::Blank {
            if !blank_last {
                out.push(String::new());
            }
            continue;
        }
        if blank_before[i] && !blank_last {
            out.push(String::new());
        }
        let line = match &new_text[i] {
            Some(t) => t.clone(),
            None if roles[i] == Role::Comment => lines[i].text.trim_end().to_string(),
            None => lines[i].text.clone(),
        };
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    if out.is_empty() {
        return String::new();
    }
    let mut s = out.join(eol);
    s.push_str(eol);
    s
}

/// Upper-cases the keywords of every plain SQL block, line by line (lengths are kept).
fn sql_keywords_upper(read: &mut reader::Read) {
    let mut changes: Vec<(usize, String)> = Vec::new();
    for st in &read.statements {
        let Statement::Block { keyword, body, .. } = st else {
            continue;
        };
        if !matches!(
            keyword.text.to_ascii_lowercase().as_str(),
            "sql" | "forward_query"
        ) {
            continue;
        }
        let sql: Vec<&str> = body.iter().map(|&i| read.lines[i].text.as_str()).collect();
        if let Some(upper) = super::sql_case::upper_keywords(&sql.join("\n")) {
            changes.extend(
                body.iter()
                    .copied()
                    .zip(upper.split('\n').map(str::to_string)),
            );
        }
    }
    for (i, text) in changes {
        if text.len() == read.lines[i].text.len() {
            read.lines[i].text = text;
        }
    }
}

/// Keywords whose value is not read as `_unquote(" ".join(args))`: their quotes matter.
const KEEPS_QUOTES: &[&str] = &[
    "description",
    "token",
    "node",
    "scope",
    "include",
    "sql",
    "schema",
    "indexes",
    "indices",
    "forward_query",
    "shared_with",
];

/// A single-line value without the quotes around it when the parsers read both the same
/// (`ENGINE "MergeTree"` → `ENGINE MergeTree`): the quotes hold no quote, `#` (a comment
/// without them), backslash, run of white space (collapsed without them), white space at
/// either end, or leading `>` (a block without them), and are not empty.
fn unquoted<'a>(keyword: &str, value: &'a str) -> &'a str {
    if KEEPS_QUOTES.contains(&keyword) || value.len() < 3 {
        return value;
    }
    let q = value.as_bytes()[0];
    if !matches!(q, b'"' | b'\'') || value.as_bytes()[value.len() - 1] != q {
        return value;
    }
    let inner = &value[1..value.len() - 1];
    let safe = !inner.contains(['"', '\'', '#', '\\', '\t', '\r', '\n'])
        && !inner.contains("  ")
        && inner.trim() == inner
        && !inner.starts_with('>');
    if safe {
        inner
    } else {
        value
    }
}

/// Re-indents a SCHEMA, INDEXES or plain SQL block (and the comments inside it) to four spaces
/// by replacing the block's common margin.
fn reindent_block(
    keyword: &str,
    body: &[usize],
    lines: &[reader::Line],
    roles: &[Role],
    new_text: &mut [Option<String>],
    header: usize,
    last: usize,
) {
    let texts: Vec<&str> = body.iter().map(|&i| lines[i].text.as_str()).collect();
    let sql = matches!(keyword, "sql" | "forward_query");
    if !(sql || matches!(keyword, "schema" | "indexes" | "indices")) {
        return;
    }
    if sql
        && texts
            .iter()
            .find_map(|t| t.trim_start().chars().next())
            .is_some_and(|c| c == '%')
    {
        return; // a template: its text is read as written
    }
    let margin = common_margin(texts.iter().copied());
    if margin == INDENT || margin.contains('\t') {
        return;
    }
    for i in header + 1..=last {
        let reindent = match roles[i] {
            Role::Content => body.contains(&i),
            Role::Comment => lines[i].text.starts_with(margin),
            _ => false,
        };
        if reindent {
            if let Some(rest) = lines[i].text.strip_prefix(margin) {
                let rest = if roles[i] == Role::Comment {
                    rest.trim_end()
                } else {
                    rest
                };
                new_text[i] = Some(format!("{INDENT}{rest}"));
            }
        }
    }
}

/// The smallest replacement turning `old` into `new`: (start, end) in `old` and the text.
pub fn minimal_edit(old: &str, new: &str) -> Option<(usize, usize, String)> {
    if old == new {
        return None;
    }
    let prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let mut prefix = prefix;
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = (old.len() - prefix).min(new.len() - prefix);
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    Some((
        prefix,
        old.len() - suffix,
        new[prefix..new.len() - suffix].to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(text: &str) -> String {
        format(text, Dialect::Classic, FileKind::Pipe)
    }

    #[test]
    fn normalises_the_datafile_layer_and_keeps_comments() {
        let text = "\n\n# a pipe\nnode  a\nsql >\n  SELECT 1\n  # inside\n  FROM t\ntype   endpoint   \n\n\n\n# next\nNODE b\nSQL >\n    %\n      SELECT {{ x }}\n";
        let want = "# a pipe\nNODE a\nSQL >\n    SELECT 1\n    # inside\n    FROM t\n\nTYPE endpoint\n\n# next\nNODE b\nSQL >\n    %\n      SELECT {{ x }}\n";
        assert_eq!(fmt(text), want);
        assert_eq!(fmt(want), want, "idempotent");
    }

    #[test]
    fn unquotes_values_only_where_the_parsers_read_the_same() {
        let ds = |t: &str| format(t, Dialect::Classic, FileKind::Datasource);
        let text = "SCHEMA >\n    `a` Int32\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY 'a'\n\
                    ENGINE_TTL \"toDate(a)  + 1\"\nENGINE_PARTITION_KEY \"toString(a, 'UTC')\"\n\
                    ENGINE_SETTINGS \"x=1\" # why\nENGINE_VER \"\"\nTAGS \"> x\"\n";
        let want = "SCHEMA >\n    `a` Int32\n\nENGINE MergeTree\nENGINE_SORTING_KEY a\n\
                    ENGINE_TTL \"toDate(a)  + 1\"\nENGINE_PARTITION_KEY \"toString(a, 'UTC')\"\n\
                    ENGINE_SETTINGS \"x=1\" # why\nENGINE_VER \"\"\nTAGS \"> x\"\n";
        assert_eq!(ds(text), want);
        // DESCRIPTION, TOKEN and NODE keep their quotes: the parsers store them.
        let pipe = "DESCRIPTION \"x\"\n\nTOKEN \"read\" READ\n\nNODE \"n\"\nSQL >\n    SELECT 1\n";
        assert_eq!(fmt(pipe), pipe);
    }

    #[test]
    fn keeps_crlf_and_unknown_lines() {
        let text = "DESCRIPTION >\r\n  keep   me\r\nFOO  bar\r\n";
        // `FOO` is not a keyword: it is part of the DESCRIPTION block, kept as written.
        assert_eq!(fmt(text), text);
    }

    #[test]
    fn minimal_edits() {
        assert_eq!(minimal_edit("abc", "abc"), None);
        assert_eq!(minimal_edit("aXc", "aYYc"), Some((1, 2, "YY".into())));
        assert_eq!(minimal_edit("é1", "é2"), Some((2, 3, "2".into())));
    }
}
