//! ClickHouse SQL tokens (the lexical rules of ClickHouse's `Lexer.cpp`, enough to parse the SQL
//! of datafiles). The lexer never fails: an unterminated literal or comment becomes an
//! [`TokenKind::Unterminated`] token that runs to the end of the text.
//!
//! Outside quotes ClickHouse reads ASCII only, save for the Unicode white space it skips (the
//! generated list `data/unicode_whitespace.txt`). Other non-ASCII letters stay in the word they
//! are written in, so that the analysis reads `count() AS número` as an alias all the same;
//! [`first_refused`] finds them for the syntax check.

use crate::text::TextRange;
use std::sync::OnceLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A bare word: identifier or keyword (compare keywords case-insensitively).
    Word,
    /// `"name"` or `` `name` ``.
    QuotedIdent,
    /// `'text'` or a heredoc `$tag$text$tag$`.
    String,
    Number,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Dot,
    Semicolon,
    /// Any operator: `+ - * / % = == != <> < > <= >= || -> :: ? : ^ !` ...
    Op,
    /// A string, quoted identifier or block comment that never ends.
    Unterminated,
    /// A character ClickHouse does not accept.
    Unknown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub range: TextRange,
}

impl Token {
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        &src[self.range.start..self.range.end]
    }
}

/// Splits `src` into tokens, dropping white space and comments.
pub fn tokenize(src: &str) -> Vec<Token> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let c = b[i];
        let kind = match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                i += 1;
                continue;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = line_end(b, i);
                continue;
            }
            b'#' if matches!(b.get(i + 1), Some(b' ' | b'!')) => {
                i = line_end(b, i);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => match block_comment_end(b, i) {
                Some(e) => {
                    i = e;
                    continue;
                }
                None => {
                    i = b.len();
                    TokenKind::Unterminated
                }
            },
            b'\'' | b'"' | b'`' => {
                let (end, closed) = quoted_end(b, i);
                i = end;
                match (closed, c) {
                    (false, _) => TokenKind::Unterminated,
                    (true, b'\'') => TokenKind::String,
                    (true, _) => TokenKind::QuotedIdent,
                }
            }
            b'0'..=b'9' => {
                i = number_end(b, i);
                TokenKind::Number
            }
            // As ClickHouse's lexer: after an operand (the previous significant token, white
            // space or not: `t .3` is `tupleElement(t, 3)`), a dot is tuple access.
            b'.' if b.get(i + 1).is_some_and(u8::is_ascii_digit)
                && !out.last().is_some_and(|t: &Token| ends_operand(t.kind)) =>
            {
                i = number_end(b, i);
                TokenKind::Number
            }
            b'$' => match heredoc_end(src, i) {
                Some(e) => {
                    i = e;
                    TokenKind::String
                }
                None => {
                    i = word_end(src, i + 1);
                    TokenKind::Word
                }
            },
            // ClickHouse reads `‘text’` as a string, `“name”` as a quoted identifier (no
            // escapes inside: they end at the first closing quote) and `−` as a minus.
            0xE2 if UNICODE_QUOTES.iter().any(|(o, _)| src[i..].starts_with(*o)) => {
                let (open, close) = *UNICODE_QUOTES
                    .iter()
                    .find(|(o, _)| src[i..].starts_with(*o))
                    .expect("the guard found it");
                let kind = if open == UNICODE_QUOTES[0].0 {
                    TokenKind::String
                } else {
                    TokenKind::QuotedIdent
                };
                let body = i + open.len_utf8();
                match src[body..].find(close) {
                    Some(k) => {
                        i = body + k + close.len_utf8();
                        kind
                    }
                    None => {
                        i = b.len();
                        TokenKind::Unterminated
                    }
                }
            }
            0xE2 if src[i..].starts_with('\u{2212}') => {
                i += '\u{2212}'.len_utf8();
                TokenKind::Op
            }
            c if c >= 0x80 && unicode_space_len(src, i) > 0 => {
                i += unicode_space_len(src, i);
                continue;
            }
            c if c == b'_' || c.is_ascii_alphabetic() || c >= 0x80 => {
                i = word_end(src, i);
                TokenKind::Word
            }
            b'(' => single(&mut i, TokenKind::LParen),
            b')' => single(&mut i, TokenKind::RParen),
            b'[' => single(&mut i, TokenKind::LBracket),
            b']' => single(&mut i, TokenKind::RBracket),
            b'{' => single(&mut i, TokenKind::LBrace),
            b'}' => single(&mut i, TokenKind::RBrace),
            b',' => single(&mut i, TokenKind::Comma),
            b'.' => single(&mut i, TokenKind::Dot),
            b';' => single(&mut i, TokenKind::Semicolon),
            _ => {
                const TWO: &[&[u8]] = &[
                    b"<=", b">=", b"!=", b"<>", b"==", b"||", b"->", b"::", b"<=>",
                ];
                if let Some(op) = TWO.iter().rev().find(|op| b[i..].starts_with(op)) {
                    i += op.len();
                    TokenKind::Op
                } else if b"+-*/%=<>?:^!@&|~".contains(&c) {
                    i += 1;
                    TokenKind::Op
                } else {
                    // One whole character, even when it is several bytes.
                    i += src[i..].chars().next().map_or(1, char::len_utf8);
                    TokenKind::Unknown
                }
            }
        };
        out.push(Token {
            kind,
            range: TextRange::new(start, i),
        });
    }
    out
}

fn single(i: &mut usize, kind: TokenKind) -> TokenKind {
    *i += 1;
    kind
}

fn ends_operand(kind: TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::Word
            | TokenKind::QuotedIdent
            | TokenKind::RParen
            | TokenKind::RBracket
            | TokenKind::Number
    )
}

fn line_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i] != b'\n' {
        i += 1;
    }
    i
}

/// ClickHouse block comments nest.
fn block_comment_end(b: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0;
    while i < b.len() {
        if b[i..].starts_with(b"/*") {
            depth += 1;
            i += 2;
        } else if b[i..].starts_with(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return Some(i);
            }
        } else {
            i += 1;
        }
    }
    None
}

/// The end of a quoted token starting at `i`, and whether it was closed. Backslash escapes the
/// next byte; a doubled quote is an escaped quote.
fn quoted_end(b: &[u8], i: usize) -> (usize, bool) {
    let q = b[i];
    let mut j = i + 1;
    while j < b.len() {
        if b[j] == b'\\' {
            j += 2;
            continue;
        }
        if b[j] == q {
            if b.get(j + 1) == Some(&q) {
                j += 2;
                continue;
            }
            return (j + 1, true);
        }
        j += 1;
    }
    (b.len(), false)
}

fn number_end(b: &[u8], mut i: usize) -> usize {
    if b[i] == b'0' && matches!(b.get(i + 1), Some(b'x' | b'X' | b'b' | b'B')) {
        i += 2;
        while i < b.len() && (b[i].is_ascii_hexdigit() || b[i] == b'_') {
            i += 1;
        }
        return i;
    }
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        let mut j = i + 1;
        if j < b.len() && matches!(b[j], b'+' | b'-') {
            j += 1;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            i = j;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    // `1a` lexes as one bad number in ClickHouse; keep the letters with it.
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
        i += 1;
    }
    i
}

/// The end of a word: ASCII letters, digits, `_` and `$`, and (for the analysis' sake, see the
/// module's doc) any non-ASCII character ClickHouse does not read as white space.
fn word_end(src: &str, mut i: usize) -> usize {
    let b = src.as_bytes();
    while i < b.len() {
        match b[i] {
            b'_' | b'$' => i += 1,
            c if c.is_ascii_alphanumeric() => i += 1,
            c if c >= 0x80 && src.is_char_boundary(i) => {
                if unicode_space_len(src, i) > 0 || src[i..].starts_with(UNICODE_TOKENS) {
                    break;
                }
                i += src[i..].chars().next().map_or(1, char::len_utf8);
            }
            _ => break,
        }
    }
    i
}

/// ClickHouse's Unicode quotes, opening and closing: a string, an identifier.
pub const UNICODE_QUOTES: [(char, char); 2] = [('\u{2018}', '\u{2019}'), ('\u{201C}', '\u{201D}')];

/// The non-ASCII characters that start a token of ClickHouse's: `‘string’`, `“identifier”`,
/// `−` (minus). Checked against ClickHouse's list (`data/unicode_tokens.txt`) by a test.
pub const UNICODE_TOKENS: [char; 3] = ['\u{2018}', '\u{201C}', '\u{2212}'];

/// The range of a string's or quoted identifier's text inside its quotes (ASCII or Unicode);
/// the token's range when it is not quoted.
pub fn inner_range(src: &str, t: &Token) -> TextRange {
    let text = t.text(src);
    if !matches!(t.kind, TokenKind::String | TokenKind::QuotedIdent) || text.starts_with('$') {
        return t.range;
    }
    let open = text.chars().next().map_or(0, char::len_utf8);
    let close = text.chars().next_back().map_or(0, char::len_utf8);
    if open + close > text.len() {
        return t.range;
    }
    TextRange::new(t.range.start + open, t.range.end - close)
}

/// The non-ASCII characters ClickHouse's lexer skips as white space (generated from ClickHouse
/// by scripts/gen-sql-data.py: every code point tried outside quotes).
fn unicode_whitespace() -> &'static [char] {
    static CELL: OnceLock<Vec<char>> = OnceLock::new();
    CELL.get_or_init(|| {
        include_str!("data/unicode_whitespace.txt")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .filter_map(|l| u32::from_str_radix(l.trim().trim_start_matches("U+"), 16).ok())
            .filter_map(char::from_u32)
            .collect()
    })
}

/// The length in bytes of the Unicode white space at `i`, 0 when there is none.
fn unicode_space_len(src: &str, i: usize) -> usize {
    match src.get(i..).and_then(|s| s.chars().next()) {
        Some(c) if !c.is_ascii() && unicode_whitespace().contains(&c) => c.len_utf8(),
        _ => 0,
    }
}

/// The first character of a token that ClickHouse's lexer refuses ("Unrecognized token"),
/// with its range: any [`TokenKind::Unknown`] (a control character, `\`, `#` that starts no
/// comment), `&`, `!` outside `!=`, and a non-ASCII character in a word.
pub fn first_refused(src: &str, t: &Token) -> Option<(TextRange, char)> {
    let text = t.text(src);
    let at = match t.kind {
        TokenKind::Unknown => 0,
        TokenKind::Op if text == "&" || text == "!" => 0,
        TokenKind::Word => text.find(|c: char| !c.is_ascii())?,
        _ => return None,
    };
    let c = text[at..].chars().next()?;
    let start = t.range.start + at;
    Some((TextRange::new(start, start + c.len_utf8()), c))
}

/// `$tag$ … $tag$` (the tag may be empty).
fn heredoc_end(src: &str, i: usize) -> Option<usize> {
    let b = src.as_bytes();
    let mut j = i + 1;
    while j < b.len() && (b[j] == b'_' || b[j].is_ascii_alphanumeric()) {
        j += 1;
    }
    if b.get(j) != Some(&b'$') {
        return None;
    }
    let tag = &src[i..=j];
    let body = j + 1;
    src[body..].find(tag).map(|k| body + k + tag.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(TokenKind, &str)> {
        tokenize(s).iter().map(|t| (t.kind, t.text(s))).collect()
    }

    #[test]
    fn tokens_of_a_query() {
        use TokenKind::*;
        assert_eq!(
            kinds("SELECT a.b, 'x''y' -- c\n FROM `t` WHERE x>=1.5e3 /* a /* b */ */"),
            vec![
                (Word, "SELECT"),
                (Word, "a"),
                (Dot, "."),
                (Word, "b"),
                (Comma, ","),
                (String, "'x''y'"),
                (Word, "FROM"),
                (QuotedIdent, "`t`"),
                (Word, "WHERE"),
                (Word, "x"),
                (Op, ">="),
                (Number, "1.5e3"),
            ]
        );
    }

    #[test]
    fn tuple_access_is_not_a_number() {
        use TokenKind::*;
        assert_eq!(
            kinds("t.1 .5"),
            vec![
                (Word, "t"),
                (Dot, "."),
                (Number, "1"),
                (Dot, "."),
                (Number, "5")
            ]
        );
        assert_eq!(
            kinds("1 + .5"),
            vec![(Number, "1"), (Op, "+"), (Number, ".5")]
        );
    }

    #[test]
    fn unicode_white_space_separates_and_letters_stay_in_words() {
        use TokenKind::*;
        assert_eq!(
            kinds("SELECT\u{a0}a,\u{3000}número$1 \u{1680}"),
            vec![
                (Word, "SELECT"),
                (Word, "a"),
                (Comma, ","),
                (Word, "número$1"),
                (Word, "\u{1680}")
            ]
        );
        let src = "SELECT número & 1 \\ #x #y";
        let refused: Vec<&str> = tokenize(src)
            .iter()
            .filter_map(|t| first_refused(src, t))
            .map(|(r, _)| &src[r.start..r.end])
            .collect();
        assert_eq!(refused, ["ú", "&", "\\", "#", "#"]);
    }

    #[test]
    fn the_unicode_tokens_are_clickhouse_s() {
        for line in include_str!("data/unicode_tokens.txt").lines() {
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let code = line.split_whitespace().next().unwrap();
            let c = char::from_u32(u32::from_str_radix(&code[2..], 16).unwrap()).unwrap();
            assert!(UNICODE_TOKENS.contains(&c), "{line}");
        }
    }

    #[test]
    fn unicode_quotes_and_minus() {
        use TokenKind::*;
        let src = "SELECT ‘it\\’s’, “a b”−1, x−y FROM t WHERE s = ‘open";
        assert_eq!(
            kinds(src),
            vec![
                (Word, "SELECT"),
                (String, "‘it\\’"),
                (Word, "s’"),
                (Comma, ","),
                (QuotedIdent, "“a b”"),
                (Op, "−"),
                (Number, "1"),
                (Comma, ","),
                (Word, "x"),
                (Op, "−"),
                (Word, "y"),
                (Word, "FROM"),
                (Word, "t"),
                (Word, "WHERE"),
                (Word, "s"),
                (Op, "="),
                (Unterminated, "‘open"),
            ]
        );
        let tokens = tokenize(src);
        let inner = |t: &Token| {
            let r = inner_range(src, t);
            &src[r.start..r.end]
        };
        assert_eq!(inner(&tokens[1]), "it\\");
        assert_eq!(inner(&tokens[4]), "a b");
        assert_eq!(inner(&tokens[8]), "x");
    }

    #[test]
    fn unterminated_tokens() {
        assert_eq!(
            tokenize("'abc").last().unwrap().kind,
            TokenKind::Unterminated
        );
        assert_eq!(
            tokenize("/* abc").last().unwrap().kind,
            TokenKind::Unterminated
        );
        assert_eq!(tokenize("$$ x $$")[0].kind, TokenKind::String);
    }
}
