//! The SCHEMA column grammar of both dialects (datafile-spec §4.1):
//! `name [type] [`json:path`] [DEFAULT expr] [CODEC(...)]`, columns separated by commas,
//! `--` comments, newlines are white space.

use super::block::MappedText;
use super::model::{Column, Value};
use super::types::check_type;
use super::Dialect;
use crate::diagnostics::Diagnostic;
use crate::text::TextRange;

pub struct SchemaParse {
    pub columns: Vec<Column>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Replaces `--` comments (outside backticks and quotes) with spaces, keeping offsets.
fn strip_comments(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
            }
            None => {
                if c == b'`' || c == b'\'' || c == b'"' {
                    quote = Some(c);
                } else if c == b'-' && b.get(i + 1) == Some(&b'-') {
                    while i < b.len() && b[i] != b'\n' {
                        out[i] = b' ';
                        i += 1;
                    }
                    continue;
                }
            }
        }
        if c == b'\n' {
            quote = None;
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

const PART_KEYWORDS: &[&str] = &[
    "DEFAULT",
    "CODEC",
    "MATERIALIZED",
    "ALIAS",
    "TTL",
    "NULL",
    "NOT",
];

/// The characters of an unquoted column name (the official parsers' `valid_chars_name`: a
/// backtick inside a name is part of it, `` b` Int32 `` is a column named `` b` ``).
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '`' | '*' | '<' | '>' | '+' | '-' | '\'')
}

struct P<'a> {
    s: &'a str,
    pos: usize,
    map: &'a MappedText,
    diags: Vec<Diagnostic>,
}

impl<'a> P<'a> {
    fn range(&self, start: usize, end: usize) -> TextRange {
        self.map.range_to_file(TextRange::new(start, end))
    }
    fn error(&mut self, code: &'static str, start: usize, end: usize, msg: impl Into<String>) {
        let r = self.range(start, end);
        self.diags.push(Diagnostic::error(code, r, msg));
    }
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }
    fn skip_ws(&mut self) {
        let r = self.rest();
        self.pos += r.len() - r.trim_start().len();
    }
    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }
    /// A keyword of the column grammar at the current position (case-insensitive, whole word).
    fn part_keyword(&self) -> Option<&'static str> {
        self.keyword_in(PART_KEYWORDS)
    }
    fn keyword_in(&self, set: &[&'static str]) -> Option<&'static str> {
        let r = self.rest();
        set.iter().copied().find(|k| {
            r.get(..k.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(k))
                && !r[k.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    }
    /// Reads an expression up to a top-level comma, backtick path, or column keyword.
    fn expression(&mut self, stop_at: &[&'static str]) -> (usize, usize) {
        let start = self.pos;
        let mut depth = 0usize;
        let mut end = self.pos;
        while let Some(c) = self.peek() {
            if depth == 0 {
                if c == ',' || c == '`' {
                    break;
                }
                let at_word_start = self.pos == start
                    || !self.s[..self.pos]
                        .chars()
                        .next_back()
                        .is_some_and(|p| p.is_ascii_alphanumeric() || p == '_');
                if at_word_start && self.keyword_in(stop_at).is_some() {
                    break;
                }
            }
            match c {
                '(' | '[' => depth += 1,
                ')' | ']' => depth = depth.saturating_sub(1),
                '\'' | '"' => {
                    let close = self.rest()[1..].find(c).map(|i| self.pos + 1 + i + 1);
                    self.pos = close.unwrap_or(self.s.len());
                    end = self.pos;
                    continue;
                }
                _ => {}
            }
            self.pos += c.len_utf8();
            if !c.is_whitespace() {
                end = self.pos;
            }
        }
        (start, end)
    }
    fn value(&self, start: usize, end: usize) -> Value {
        Value {
            text: self.s[start..end].to_string(),
            range: self.range(start, end),
        }
    }
}

fn normalize_type(t: &str) -> String {
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn parse_schema(map: &MappedText, dialect: Dialect) -> SchemaParse {
    let stripped = strip_comments(&map.text);
    let mut p = P {
        s: &stripped,
        pos: 0,
        map,
        diags: Vec::new(),
    };
    let classic = dialect == Dialect::Classic;
    let mut columns = Vec::new();
    let mut last_comma: Option<usize> = None;
    loop {
        p.skip_ws();
        if p.pos >= p.s.len() {
            if let (Some(comma), true) = (last_comma, classic) {
                p.error(
                    "schema-trailing-comma",
                    comma,
                    comma + 1,
                    "Trailing comma after the last column: Tinybird Classic expects another column here",
                );
            }
            break;
        }
        let col_start = p.pos;
        let r = p.rest();
        if r.get(..6).is_some_and(|h| h.eq_ignore_ascii_case("INDEX ")) {
            let end = p.pos + r.find('\n').unwrap_or(r.len());
            if classic {
                // Classic silently ignores INDEX lines inside SCHEMA.
                p.pos = end;
                last_comma = None;
                if p.peek() == Some(',') {
                    p.pos += 1;
                }
            } else {
                p.error(
                    "schema-index",
                    col_start,
                    end,
                    "Indexes are not allowed in SCHEMA: move this line to an INDEXES block",
                );
                return SchemaParse {
                    columns,
                    diagnostics: p.diags,
                };
            }
            continue;
        }
        // Column name.
        let (name, name_start, name_end);
        if let Some(after_tick) = r.strip_prefix('`') {
            let close = after_tick.find(['`', '\n']).map(|i| i + 1);
            let inner_end = match close {
                Some(i) if r.as_bytes()[i] == b'`' => i,
                _ => {
                    p.error(
                        "schema-syntax",
                        p.pos,
                        p.pos + r.find('\n').unwrap_or(r.len()),
                        "This backtick-quoted column name is never closed",
                    );
                    break;
                }
            };
            let inner = &r[1..inner_end];
            if !classic && inner.contains(char::is_whitespace) {
                p.error(
                    "schema-syntax",
                    p.pos,
                    p.pos + inner_end + 1,
                    "Tinybird Forward does not accept white space in column names, even inside backticks",
                );
                break;
            }
            name = inner.to_string();
            name_start = p.pos;
            name_end = p.pos + inner_end + 1;
        } else {
            let n: usize = r
                .chars()
                .take_while(|c| is_name_char(*c))
                .map(char::len_utf8)
                .sum();
            // The official parsers end an unquoted name at a space, tab or line break only:
            // anything else there (a comma too) is "wrong value".
            let bad = r[n..]
                .chars()
                .next()
                .filter(|c| !matches!(c, ' ' | '\t' | '\r' | '\n'));
            if n == 0 || bad.is_some() {
                let at = p.pos + n;
                let c = r[n..].chars().next().unwrap_or(' ');
                let message = if c == ',' && n > 0 {
                    format!("Column `{}` has no type: write its type before the comma (Tinybird rejects a comma right after an unquoted name)", &r[..n])
                } else {
                    format!("Column names cannot contain `{c}`: quote the name in backticks, or use letters, digits and `_`")
                };
                p.error("schema-syntax", at, at + c.len_utf8(), message);
                break;
            }
            name = r[..n].to_string();
            name_start = p.pos;
            name_end = p.pos + n;
        }
        p.pos = name_end;
        let mut ty: Option<(usize, usize)> = None;
        let mut jsonpath: Option<Value> = None;
        let mut default: Option<Value> = None;
        let mut codec: Option<Value> = None;
        let mut materialized: Option<Value> = None;
        let mut failed = false;
        loop {
            p.skip_ws();
            let Some(c) = p.peek() else { break };
            if c == ',' {
                break;
            }
            let part_start = p.pos;
            if p.rest().starts_with("`json:") {
                let close = p.rest()[1..].find('`').map(|i| p.pos + 1 + i + 1);
                let Some(end) = close else {
                    let line_end = p.pos + p.rest().find('\n').unwrap_or(p.rest().len());
                    p.error(
                        "schema-syntax",
                        part_start,
                        line_end,
                        "This `json:` path is never closed with a backtick",
                    );
                    failed = true;
                    break;
                };
                if classic && default.is_some() {
                    p.error(
                        "schema-order",
                        part_start,
                        end,
                        "Tinybird Classic needs the `json:` path before DEFAULT",
                    );
                    failed = true;
                    break;
                }
                // Forward reads a backticked token up to white space: a path with a space
                // (`json:$.['a b']`) is "Expected closing backtick" there.
                if !classic {
                    if let Some(ws) = p.s[part_start..end].find([' ', '\t', '\r', '\n']) {
                        p.error(
                            "schema-syntax",
                            part_start + ws,
                            end,
                            "Tinybird Forward does not accept white space inside a `json:` path (its parser expects the closing backtick there)",
                        );
                        failed = true;
                        break;
                    }
                }
                jsonpath = Some(p.value(part_start + 6, end - 1));
                p.pos = end;
                continue;
            }
            if c == '`' {
                let line_end = p.pos + p.rest().find(['\n', ',']).unwrap_or(p.rest().len());
                p.error(
                    "schema-syntax",
                    part_start,
                    line_end,
                    "Unexpected backtick: a column has one name, then its type",
                );
                failed = true;
                break;
            }
            match p.part_keyword() {
                Some(kw @ ("DEFAULT" | "MATERIALIZED")) => {
                    p.pos += kw.len();
                    p.skip_ws();
                    let (s, e) = p.expression(&PART_KEYWORDS[..5]);
                    if s == e {
                        p.error(
                            "schema-syntax",
                            part_start,
                            part_start + kw.len(),
                            format!("{kw} needs an expression"),
                        );
                        failed = true;
                        break;
                    }
                    if kw == "MATERIALIZED" {
                        if !classic {
                            p.error(
                                "schema-unsupported",
                                part_start,
                                e,
                                "Tinybird Forward does not support MATERIALIZED columns",
                            );
                            failed = true;
                            break;
                        }
                        materialized = Some(p.value(s, e));
                    } else {
                        default = Some(p.value(s, e));
                    }
                }
                Some("CODEC") => {
                    p.pos += 5;
                    p.skip_ws();
                    if p.peek() != Some('(') {
                        p.error(
                            "schema-syntax",
                            part_start,
                            p.pos,
                            "CODEC needs its arguments in parentheses, e.g. CODEC(ZSTD(1))",
                        );
                        failed = true;
                        break;
                    }
                    let (s, e) = p.expression(PART_KEYWORDS);
                    codec = Some(p.value(s, e));
                }
                Some(kw) => {
                    let what = match kw {
                        "ALIAS" => "ALIAS columns",
                        "TTL" => "column TTL",
                        "NOT" => "NOT NULL columns",
                        _ => "NULL columns",
                    };
                    let hint = if kw == "NULL" || kw == "NOT" {
                        ": use Nullable(T) as the type"
                    } else {
                        ""
                    };
                    p.error(
                        "schema-unsupported",
                        part_start,
                        part_start + kw.len(),
                        format!("Tinybird does not support {what}{hint}"),
                    );
                    failed = true;
                    break;
                }
                None => {
                    if ty.is_some() || jsonpath.is_some() || default.is_some() || codec.is_some() {
                        let (s, e) = p.expression(PART_KEYWORDS);
                        let after = if jsonpath.is_some() {
                            "the `json:` path"
                        } else if ty.is_some() {
                            "the type"
                        } else {
                            "DEFAULT"
                        };
                        p.error(
                            "schema-order",
                            s,
                            e.max(s + 1).min(p.s.len()),
                            format!("Unexpected text after {after}: is a comma missing before the next column?"),
                        );
                        failed = true;
                        break;
                    }
                    let (s, e) = p.expression(PART_KEYWORDS);
                    if s == e {
                        p.pos += c.len_utf8();
                        continue;
                    }
                    ty = Some((s, e));
                }
            }
        }
        if failed {
            break;
        }
        let (ty_text, type_range) = match ty {
            Some((s, e)) => (p.s[s..e].to_string(), p.range(s, e)),
            None => (String::new(), p.range(name_end, name_end)),
        };
        if let Some((s, _)) = ty {
            if let Err(te) = check_type(&ty_text, dialect) {
                p.error(
                    "schema-type",
                    s + te.start,
                    s + te.end.max(te.start + 1).min(ty_text.len()),
                    te.message,
                );
                break;
            }
        } else if !classic && default.is_none() {
            p.error(
                "schema-syntax",
                name_start,
                name_end,
                format!("Column `{name}` needs a type (or a DEFAULT)"),
            );
            break;
        }
        let normalized = normalize_type(&ty_text);
        let parsed = crate::chtype::Type::parse(&normalized);
        let (ty_final, nullable) = match normalized
            .strip_prefix("Nullable(")
            .and_then(|t| t.strip_suffix(')'))
        {
            Some(inner) => (inner.to_string(), true),
            None => (normalized, false),
        };
        columns.push(Column {
            name,
            name_range: p.range(name_start, name_end),
            ty: ty_final,
            parsed,
            type_range,
            nullable,
            jsonpath,
            default,
            codec,
            materialized,
            range: p.range(col_start, p.pos),
        });
        p.skip_ws();
        if p.peek() == Some(',') {
            last_comma = Some(p.pos);
            p.pos += 1;
        } else {
            last_comma = None;
        }
    }
    SchemaParse {
        columns,
        diagnostics: p.diags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::split_lines;

    fn parse(text: &str, d: Dialect) -> SchemaParse {
        let lines = split_lines(text);
        parse_schema(&MappedText::from_lines(lines.iter()), d)
    }

    #[test]
    fn columns_with_every_part() {
        let s = parse(
            "    `a` String `json:$.a--b`, -- c\n    `b` Nullable(Int32) DEFAULT NULL,\n    `e` Map(String, String) `json:$.e` DEFAULT map() CODEC(ZSTD(1))",
            Dialect::Classic,
        );
        assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
        let names: Vec<_> = s
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.ty.as_str(), c.nullable))
            .collect();
        assert_eq!(
            names,
            [
                ("a", "String", false),
                ("b", "Int32", true),
                ("e", "Map(String, String)", false)
            ]
        );
        assert_eq!(s.columns[0].jsonpath.as_ref().unwrap().text, "$.a--b");
    }

    #[test]
    fn trailing_comma_differs_by_dialect() {
        assert!(parse("a Int32,\nb String,", Dialect::Forward)
            .diagnostics
            .is_empty());
        assert_eq!(
            parse("a Int32,\nb String,", Dialect::Classic)
                .diagnostics
                .len(),
            1
        );
    }
}
