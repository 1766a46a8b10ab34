//! Just enough of Tornado templates to find the datafile-level template errors of the official
//! parsers: `{{`/`{%` in SQL that does not start with `%`, blocks that are never closed, the
//! `{{ }}` allowlist, and the first error the official template reader raises
//! ([`reader_error`]: its `_parse` loop, operators and expressions Python cannot read).
//! (The full template-aware SQL layer lives with the SQL analysis.)

use crate::pyexpr::DefaultValue;
use crate::text::TextRange;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    /// Byte range in the SQL text.
    pub range: TextRange,
    pub message: String,
}

/// Byte ranges of `{{ … }}`, `{% … %}` and `{# … #}` tags, with their inner text. An unclosed tag
/// runs to the end of the text.
pub fn tags(sql: &str) -> Vec<(TextRange, char, &str)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = sql[i..].find('{') {
        let start = i + off;
        let kind = match sql[start + 1..].chars().next() {
            Some(c @ ('{' | '%' | '#')) => c,
            _ => {
                i = start + 1;
                continue;
            }
        };
        let close = match kind {
            '{' => "}}",
            '%' => "%}",
            _ => "#}",
        };
        let inner_start = start + 2;
        let end = sql[inner_start..]
            .find(close)
            .map(|j| inner_start + j + 2)
            .unwrap_or(sql.len());
        let inner_end = if end == sql.len() && !sql.ends_with(close) {
            end
        } else {
            end - 2
        };
        out.push((
            TextRange::new(start, end),
            kind,
            &sql[inner_start..inner_end.max(inner_start)],
        ));
        i = end.max(start + 2);
    }
    out
}

/// Positions of SQL string literals and comments, where `{{` is not a template.
fn in_literal_or_comment(sql: &str) -> Vec<TextRange> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        match b[i] {
            b'\'' | b'"' | b'`' => {
                let q = b[i];
                i += 1;
                while i < b.len() && b[i] != q {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i = (i + 1).min(b.len());
                out.push(TextRange::new(start, i));
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                out.push(TextRange::new(start, i));
            }
            _ => i += 1,
        }
    }
    out
}

/// Template syntax in SQL that is not a template (does not start with `%`).
pub fn template_without_percent(sql: &str) -> Option<TextRange> {
    let quoted = in_literal_or_comment(sql);
    tags(sql)
        .into_iter()
        .map(|(r, _, _)| r)
        .find(|r| !quoted.iter().any(|q| q.contains(r.start)))
}

/// Python's keywords that are never a value (`None`, `True` and `False` are).
const PYTHON_KEYWORDS: &[&str] = &[
    "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif",
    "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda",
    "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
];

/// Template expressions are Python: a Python keyword written where a name goes (a whole
/// `{{ … }}` expression, or a whole argument: `{{ DateTime(from) }}`) is a syntax error the
/// official parsers report (`"from" is a forbidden word`, `invalid syntax`).
pub fn keyword_names(sql: &str) -> Vec<TemplateError> {
    let mut out = Vec::new();
    for (range, kind, inner) in tags(sql) {
        if kind == '#' || !sql[..range.end].ends_with(if kind == '{' { "}}" } else { "%}" }) {
            continue;
        }
        let base = range.start + 2;
        let b = inner.as_bytes();
        let mut i = 0;
        let mut quote: Option<u8> = None;
        while i < b.len() {
            let c = b[i];
            if let Some(q) = quote {
                if c == b'\\' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
                i += 1;
                continue;
            }
            if c == b'\'' || c == b'"' {
                quote = Some(c);
                i += 1;
                continue;
            }
            if c.is_ascii_alphabetic() || c == b'_' {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                let word = &inner[start..i];
                if !PYTHON_KEYWORDS.contains(&word) {
                    continue;
                }
                let before = inner[..start].trim_end();
                let after = inner[i..].trim_start();
                let whole = kind == '{' && before.is_empty() && after.is_empty();
                let argument = (before.ends_with('(') || before.ends_with(','))
                    && (after.starts_with(')') || after.starts_with(','));
                if whole || argument {
                    let official = if word == "from" {
                        format!("\"{word}\" is a forbidden word")
                    } else {
                        "invalid syntax".to_string()
                    };
                    out.push(TemplateError {
                        range: TextRange::new(base + start, base + i),
                        message: format!(
                            "`{word}` is a Python keyword: template expressions are Python, so it cannot name a parameter or value and the official parsers reject the node ({official}). Rename it (e.g. `{word}_`)"
                        ),
                    });
                }
                continue;
            }
            i += 1;
        }
    }
    out
}

/// `{{ … }}` expressions the official parsers' allowlist rejects ([`crate::pyexpr`]): a call of a
/// function that is no template function, a method other than `split`/`get`/`join`/`replace`,
/// a comparison, `and`/`or`, `/`, an attribute... Each tag is checked, in every branch (the
/// official parser compiles the whole template), and reported at the part it rejects.
pub fn expression_errors(sql: &str) -> Vec<TemplateError> {
    let mut out = Vec::new();
    for (range, kind, inner) in tags(sql) {
        if kind != '{' || inner.starts_with('!') || !sql[..range.end].ends_with("}}") {
            continue;
        }
        let (base, expr) = stripped(range, inner);
        let Some(r) = crate::pyexpr::rejection(expr) else {
            continue;
        };
        let at = TextRange::new(base + r.range.start, base + r.range.end);
        let meaning = match &r.name {
            Some(name) if r.message.starts_with("Invalid function name") => {
                let mut m = format!("`{name}` is not a template function");
                if let Some(s) = similar(name, crate::pyexpr::TEMPLATE_FUNCTIONS) {
                    m.push_str(&format!(" (did you mean `{s}`?)"));
                }
                m
            }
            Some(name) => format!(
                "`.{name}()` is not a method templates may call: only `split`, `get`, `join` and `replace`"
            ),
            None => format!(
                "`{}` is not allowed in a `{{{{ }}}}` expression, which takes template function calls, names, constants, `+`, `-`, `*`, `not`, subscripts, lists, dicts and `x if c else y`",
                &expr[r.range.start..r.range.end]
            ),
        };
        out.push(TemplateError {
            range: at,
            message: format!(
                "{meaning}: the official parsers reject the node (Template Syntax Error: {})",
                r.message
            ),
        });
    }
    out
}

/// `{{ Type(param, default) }}` tags the official rendering evaluates whose literal default the
/// type's validator refuses (`Int32(x, 1e5)`, `DateTime(t, '2026-01-01')`): in test mode an
/// undefined parameter takes its default when the default is truthy, `str(default)` must pass
/// the type's tester (datatypes.py `testers`), and both official parsers reject the node with
/// "Error validating '…' to type …". Only tags outside every `{% %}` block are checked (the
/// official rendering evaluates them whatever the conditions), and only parameters no
/// `{% set %}` or `{% for %}` of the node names; a default the reader cannot be sure of gives no
/// verdict.
pub fn default_errors(sql: &str) -> Vec<TemplateError> {
    let tags = tags(sql);
    let assigned: Vec<&str> = tags
        .iter()
        .filter(|(_, kind, inner)| {
            *kind == '%' && matches!(inner.split_whitespace().next(), Some("set" | "for"))
        })
        .map(|(_, _, inner)| *inner)
        .collect();
    // The tags outside every block: the template model's top-level expressions.
    let start = sql.find('%').map_or(0, |p| p + 1);
    let template = crate::sql::template::Template::parse(sql, start);
    let mut out = Vec::new();
    for piece in &template.pieces {
        let crate::sql::template::Piece::Expr { range, inner } = piece else {
            continue;
        };
        if !sql[..range.end].ends_with("}}") {
            continue;
        }
        let (base, expr) = stripped(*range, &sql[inner.start..inner.end]);
        if crate::pyexpr::rejection(expr).is_some() {
            continue; // reported by expression_errors
        }
        let Some(d) = crate::pyexpr::typed_default(expr) else {
            continue;
        };
        let named = |t: &str| {
            t.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|w| w == d.param)
        };
        if assigned.iter().any(|t| named(t)) {
            continue;
        }
        let Some((tester, shown)) = refused_default(&d.function, &d.value) else {
            continue;
        };
        let literal = &expr[d.literal.start..d.literal.end];
        let official = match shown {
            Some(s) => format!("Error validating '{s}' to type {tester}"),
            None => format!("Error validating … to type {tester}"),
        };
        out.push(TemplateError {
            range: TextRange::new(base + d.literal.start, base + d.literal.end),
            message: format!(
                "`{literal}` is not a valid {tester} default for `{}`: the official parsers render the node with it and reject it (Template Syntax Error: {official})",
                d.param
            ),
        });
    }
    out
}

/// A `{{ }}` tag's expression as the official reader takes it, stripped with Python's
/// `str.strip()` (Unicode white space, U+000B and U+001C-U+001F included), and the offset of
/// its first character.
fn stripped(range: TextRange, inner: &str) -> (usize, &str) {
    let lead = inner.len() - inner.trim_start_matches(py_space).len();
    (range.start + 2 + lead, inner.trim_matches(py_space))
}

/// When the tester of `function`'s type refuses `value`: the tester's name and `str(value)`
/// when it is known exactly. `None` when it accepts it, when the value is falsy (the
/// placeholder is used instead) or when unsure.
fn refused_default(function: &str, value: &DefaultValue) -> Option<(&'static str, Option<String>)> {
    let tester = TESTED
        .iter()
        .find(|(f, _)| *f == function)
        .map(|(_, t)| *t)?;
    let text = match value {
        DefaultValue::Float { zero: true } => return None,
        DefaultValue::Float { zero: false } => {
            // str() of a float holds `.`, `e`, `inf` or `nan`: no integer, date or date-time.
            return (!tester.starts_with("Float")).then_some((tester, None));
        }
        DefaultValue::Int { digits, .. } if digits == "0" => return None,
        DefaultValue::Int { negative, digits } => {
            format!("{}{digits}", if *negative { "-" } else { "" })
        }
        DefaultValue::Str(s) if s.is_empty() => return None,
        DefaultValue::Str(s) => s.clone(),
        DefaultValue::True => "True".to_string(),
    };
    // Python's `\d`, `\s` and str.strip() read Unicode; only ASCII is judged.
    if !text.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return None;
    }
    let accepted = match tester {
        "Date" | "DateTime" | "DateTime64" => date_pattern(tester)?.is_match(&text),
        "Float32" | "Float64" => !text.contains('_') && python_float(&text),
        int => int_accepts(int, &text)?,
    };
    (!accepted).then_some((tester, Some(text)))
}

/// The typed parameter functions and their testers (sql_template.py `get_transform_types`).
const TESTED: &[(&str, &str)] = &[
    ("Date", "Date"),
    ("DateTime", "DateTime"),
    ("DateTime64", "DateTime64"),
    ("Float32", "Float32"),
    ("Float64", "Float64"),
    ("Int", "Int32"),
    ("Integer", "Int32"),
    ("Int8", "Int8"),
    ("Int16", "Int16"),
    ("Int32", "Int32"),
    ("Int64", "Int64"),
    ("Int128", "Int128"),
    ("Int256", "Int256"),
    ("UInt8", "UInt8"),
    ("UInt16", "UInt16"),
    ("UInt32", "UInt32"),
    ("UInt64", "UInt64"),
    ("UInt128", "UInt128"),
    ("UInt256", "UInt256"),
];

/// datatypes.py's date and date-time patterns, matched from the start as `re.match` does.
fn date_pattern(tester: &str) -> Option<&'static regex::Regex> {
    static PATTERNS: std::sync::OnceLock<Vec<(&str, regex::Regex)>> = std::sync::OnceLock::new();
    let all = PATTERNS.get_or_init(|| {
        [
            ("Date", r"^\d\d\d\d-\d\d-\d\d$"),
            (
                "DateTime",
                r"^(?:\d\d\d\d.\d\d.\d\d(?:T|\s)\d\d:\d\d:\d\d|\d\d.\d\d.\d\d\d\d.\d{1,2}:\d{1,2}:\d{1,2})",
            ),
            (
                "DateTime64",
                r"^(?:\d\d\d\d.\d\d.\d\d(?:T|\s)\d\d:\d\d:\d\d.\d\d\d|\d\d.\d\d.\d\d\d\d.\d{1,2}:\d{1,2}:\d{1,2}.\d{1,3})",
            ),
        ]
        .into_iter()
        .map(|(t, p)| (t, regex::Regex::new(p).expect("a valid pattern")))
        .collect()
    });
    all.iter().find(|(t, _)| *t == tester).map(|(_, r)| r)
}

/// Python's `float(s)` succeeds, for printable ASCII `s` without `_`.
fn python_float(s: &str) -> bool {
    let t = s.trim_matches(' ');
    let t = t.strip_prefix(['+', '-']).unwrap_or(t);
    if matches!(t.to_ascii_lowercase().as_str(), "inf" | "infinity" | "nan") {
        return true;
    }
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// The integer testers (`^[+-]?\d+$` or `^\d+$`, then the range); `None` when unsure (a
/// 256-bit range beyond what 128 bits hold).
fn int_accepts(tester: &str, s: &str) -> Option<bool> {
    let (signed, bits) = match tester.strip_prefix("UInt") {
        Some(b) => (false, b),
        None => (true, tester.strip_prefix("Int")?),
    };
    let bits: u32 = bits.parse().ok()?;
    let (negative, mag) = match s.as_bytes().first() {
        Some(b'-') if signed => (true, &s[1..]),
        Some(b'+') if signed => (false, &s[1..]),
        _ => (false, s),
    };
    if mag.is_empty() || !mag.bytes().all(|b| b.is_ascii_digit()) {
        return Some(false);
    }
    let Ok(v) = mag.parse::<u128>() else {
        return if bits == 256 { None } else { Some(false) };
    };
    Some(match (signed, bits) {
        (_, 256) => true,
        (false, 128) => true,
        (false, b) => v < 1u128 << b,
        (true, b) => {
            let half = 1u128 << (b - 1);
            if negative {
                v <= half
            } else {
                v < half
            }
        }
    })
}

/// Python's white space (`str.strip`): Unicode white space and the separators U+001C-U+001F.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// The first template error the official reader (`tornado_template._parse`, the same loop in
/// both CLIs) raises that [`block_errors`] and [`expression_errors`] do not report: an unknown
/// or forbidden `{% %}` operator, an empty tag, `{% %}` or `{# #}` never closed, `else`/`elif`/
/// `except`/`finally` attached to the wrong block, `break`/`continue` outside a loop, an
/// invalid `{% whitespace %}` mode, and `{{ }}` expressions Python cannot read for certain
/// (brackets that do not pair, a string never closed, a character Python never takes). The
/// reader stops at its first error, so at most one is reported. `sql` is a node's SQL with its
/// leading `%`.
pub fn reader_error(sql: &str) -> Option<TemplateError> {
    let start = sql.find('%')? + 1;
    let mut r = Reader {
        text: sql,
        pos: start,
        code: Vec::new(),
    };
    match r.parse(None, None) {
        Err(Some(e)) => Some(e),
        Err(None) => None,
        // Read whole: the generated Python is compiled, and a name character Python refuses
        // in a `{% if/elif/for/while/set %}` fails it.
        Ok(()) => r.code.iter().find_map(|&(at, end)| {
            let (range, why) = invalid_name_character(&sql[at..end])?;
            Some(TemplateError {
                range: TextRange::new(at + range.start, at + range.end),
                message: format!("Python cannot read this `{{% %}}` tag: {why}, and the official parsers reject the node"),
            })
        }),
    }
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
    /// The Python of the `{% %}` tags read (`if`, `elif`, `for`, `while`, `set`), as ranges.
    code: Vec<(usize, usize)>,
}

/// `Err(None)`: an error the other checks report (a block or `{{` never closed, an `end` or
/// an `else` outside any block).
type Parse = Result<(), Option<TemplateError>>;

const INTERMEDIATE: &[(&str, &[&str])] = &[
    ("else", &["if", "for", "while", "try"]),
    ("elif", &["if"]),
    ("except", &["try"]),
    ("finally", &["try"]),
];

/// Every operator the reader knows (for "did you mean").
const OPERATORS: &[&str] = &[
    "if",
    "elif",
    "else",
    "end",
    "for",
    "while",
    "try",
    "except",
    "finally",
    "set",
    "comment",
    "whitespace",
    "break",
    "continue",
];

impl Reader<'_> {
    fn error(&self, at: usize, end: usize, message: String) -> Parse {
        Err(Some(TemplateError {
            range: TextRange::new(at, end.max(at)),
            message,
        }))
    }

    fn parse(&mut self, in_block: Option<&str>, in_loop: Option<&str>) -> Parse {
        let b = self.text.as_bytes();
        loop {
            // The next directive: `{` then `{`, `%` or `#`; of three `{` the innermost two.
            let mut curly = self.pos;
            let at = loop {
                let Some(off) = self.text[curly..].find('{') else {
                    return if in_block.is_some() {
                        Err(None)
                    } else {
                        Ok(())
                    };
                };
                let c = curly + off;
                if c + 1 == b.len() {
                    return if in_block.is_some() {
                        Err(None)
                    } else {
                        Ok(())
                    };
                }
                if !matches!(b[c + 1], b'{' | b'%' | b'#') {
                    curly = c + 1;
                    continue;
                }
                if c + 2 < b.len() && b[c + 1] == b'{' && b[c + 2] == b'{' {
                    curly = c + 1;
                    continue;
                }
                break c;
            };
            let brace = &self.text[at..at + 2];
            self.pos = at + 2;
            if b.get(self.pos) == Some(&b'!') {
                self.pos += 1;
                continue;
            }
            let close = match brace {
                "{#" => "#}",
                "{{" => "}}",
                _ => "%}",
            };
            let Some(end) = self.text[self.pos..].find(close).map(|i| self.pos + i) else {
                return match brace {
                    "{{" => Err(None),
                    "{#" => self.error(at, self.text.len(), "`{#` is never closed with `#}`: the official parsers reject the node (Missing end comment #})".into()),
                    _ => self.error(at, self.text.len(), "`{%` is never closed with `%}`: the official parsers reject the node (Missing end block %})".into()),
                };
            };
            let raw = &self.text[self.pos..end];
            let contents = raw.trim_matches(py_space);
            let inner = self.pos + (raw.len() - raw.trim_start_matches(py_space).len());
            self.pos = end + 2;
            let tag_end = self.pos;
            match brace {
                "{#" => continue,
                "{{" => {
                    if contents.is_empty() {
                        return self.error(at, tag_end, "An empty `{{ }}`: the official parsers reject the node (Empty expression)".into());
                    }
                    if let Some((range, why)) = python_unreadable(contents) {
                        return self.error(
                            inner + range.start,
                            inner + range.end,
                            format!("Python cannot read this `{{{{ }}}}` expression: {why}, and the official parsers reject the node"),
                        );
                    }
                    if let Some((range, why)) = invalid_name_character(contents) {
                        return self.error(
                            inner + range.start,
                            inner + range.end,
                            format!("Python cannot read this `{{{{ }}}}` expression: {why}, and the official parsers reject the node"),
                        );
                    }
                    continue;
                }
                _ => {}
            }
            if contents.is_empty() {
                return self.error(
                    at,
                    tag_end,
                    "An empty `{% %}`: the official parsers reject the node (Empty block tag)"
                        .into(),
                );
            }
            let (operator, suffix) = match contents.split_once(' ') {
                Some((o, s)) => (o, s.trim_matches(py_space)),
                None => (contents, ""),
            };
            let op_range = (inner, inner + operator.len());
            if matches!(operator, "if" | "elif" | "for" | "while" | "set") {
                self.code.push((
                    inner + contents.len() - suffix.len(),
                    inner + contents.len(),
                ));
            }
            if let Some((_, parents)) = INTERMEDIATE.iter().find(|(o, _)| *o == operator) {
                match in_block {
                    // Reported by block_errors for `else`/`elif`.
                    None if matches!(operator, "else" | "elif") => return Err(None),
                    None => {
                        return self.error(op_range.0, op_range.1, format!("`{{% {operator} %}}` outside a `{{% try %}}` block: the official parsers reject the node"));
                    }
                    Some(b) if !parents.contains(&b) => {
                        return self.error(op_range.0, op_range.1, format!("`{{% {operator} %}}` cannot be attached to the `{{% {b} %}}` block it is in: the official parsers reject the node"));
                    }
                    Some(_) => continue,
                }
            }
            let forbidden = |me: &Self, what: &str| {
                me.error(op_range.0, op_range.1, format!("`{{% {what} %}}` is forbidden in Tinybird templates: the official parsers reject the node"))
            };
            match operator {
                "end" => {
                    return if in_block.is_some() {
                        Ok(())
                    } else {
                        Err(None)
                    }
                }
                "comment" => continue,
                "extends" | "include" | "import" | "from" | "autoescape" | "raw" | "module" => {
                    return forbidden(self, operator)
                }
                "set" if suffix.is_empty() => {
                    return self.error(
                        op_range.0,
                        op_range.1,
                        "`{% set %}` needs a statement: the official parsers reject the node"
                            .into(),
                    );
                }
                "set" => continue,
                "whitespace" => {
                    if matches!(suffix, "all" | "single" | "oneline") {
                        continue;
                    }
                    return self.error(op_range.0, inner + contents.len(), format!("`{suffix}` is not a whitespace mode (`all`, `single` or `oneline`): the official parsers reject the node"));
                }
                "for" | "while" => self.parse(Some(operator), Some(operator))?,
                "try" | "if" => self.parse(Some(operator), in_loop)?,
                "apply" | "block" => {
                    self.parse(Some(operator), in_loop)?;
                    return forbidden(self, operator);
                }
                "break" | "continue" if in_loop.is_none() => {
                    return self.error(op_range.0, op_range.1, format!("`{{% {operator} %}}` outside a `{{% for %}}` or `{{% while %}}` loop: the official parsers reject the node"));
                }
                "break" | "continue" => continue,
                _ => {
                    let mut m = format!("`{operator}` is not a template operator");
                    if let Some(s) = similar(operator, OPERATORS) {
                        m.push_str(&format!(" (did you mean `{s}`?)"));
                    }
                    return self.error(
                        op_range.0,
                        op_range.1,
                        format!("{m}: the official parsers reject the node (unknown operator)"),
                    );
                }
            }
        }
    }
}

/// A Python string literal of an expression, read from its quote.
enum PyString {
    /// It ends before this offset.
    End(usize),
    /// A line or the text ends at this offset first.
    Unclosed(usize),
    /// Triple quotes, an f-string (whose fields hold code) or a backslash in a raw string.
    Unsure,
}

/// The string literal whose quote is at `q` in `expr`, after any prefix letters (read as a
/// name just before it).
fn python_string(expr: &str, q: usize) -> PyString {
    let b = expr.as_bytes();
    let quote = b[q];
    let prefix: Vec<u8> = b[..q]
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_alphabetic())
        .map(u8::to_ascii_lowercase)
        .collect();
    if prefix.contains(&b'f') || (b.get(q + 1) == Some(&quote) && b.get(q + 2) == Some(&quote)) {
        return PyString::Unsure;
    }
    let raw = prefix.contains(&b'r');
    let mut i = q + 1;
    loop {
        match b.get(i) {
            None | Some(b'\n') => return PyString::Unclosed(i.min(b.len())),
            Some(b'\\') if !raw => i += 2,
            Some(b'\\') => return PyString::Unsure,
            Some(c) if *c == quote => return PyString::End(i + 1),
            Some(_) => i += 1,
        }
    }
}

/// Where Python certainly cannot read `expr` (a `{{ }}` expression), and why: brackets that do
/// not pair, a string never closed, a character no Python source takes outside a string (a
/// control character, `$`, `?`, a backtick, `!` not before `=`). `None` when unsure: a
/// comment, a line continuation, triple quotes or an f-string (whose fields hold code) give no
/// verdict.
fn python_unreadable(expr: &str) -> Option<(TextRange, &'static str)> {
    let b = expr.as_bytes();
    let mut open: Vec<(u8, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'#' | b'\\' => return None,
            b'\'' | b'"' => match python_string(expr, i) {
                PyString::End(end) => i = end - 1,
                PyString::Unclosed(end) => {
                    return Some((TextRange::new(i, end), "a string is never closed"))
                }
                PyString::Unsure => return None,
            },
            b'(' | b'[' | b'{' => open.push((c, i)),
            b')' | b']' | b'}' => {
                let want = match c {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                match open.pop() {
                    None => {
                        return Some((
                            TextRange::new(i, i + 1),
                            "a closing bracket has no opening one",
                        ))
                    }
                    Some((o, _)) if o != want => {
                        return Some((
                            TextRange::new(i, i + 1),
                            "a closing bracket does not match the opening one",
                        ))
                    }
                    Some(_) => {}
                }
            }
            b'$' | b'?' | b'`' => {
                return Some((
                    TextRange::new(i, i + 1),
                    "this character is no Python outside a string",
                ))
            }
            b'!' if b.get(i + 1) != Some(&b'=') => {
                return Some((
                    TextRange::new(i, i + 1),
                    "this character is no Python outside a string",
                ))
            }
            0..=8 | 11 | 14..=31 | 127 => {
                return Some((
                    TextRange::new(i, i + 1),
                    "a control character is no Python outside a string",
                ))
            }
            _ => {}
        }
        i += 1;
    }
    open.last()
        .map(|(_, at)| (TextRange::new(*at, *at + 1), "a bracket is never closed"))
}

/// The first character outside a string that Python's tokenizer refuses in a name, with a
/// description. Python reads a run of ASCII letters, digits, `_` and any non-ASCII characters
/// as one name and then requires its first character to be `_` or XID_Start and the others
/// XID_Continue (`verify_identifier`), so `a–b`, `número·` pass or fail by character; the
/// official parsers report `invalid character '–' (U+2013)` and reject the node. `None` when
/// every name is valid or the reader is unsure (a comment, a line continuation, triple quotes,
/// an f-string).
fn invalid_name_character(expr: &str) -> Option<(TextRange, String)> {
    let b = expr.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'#' | b'\\' => return None,
            b'\'' | b'"' => match python_string(expr, i) {
                PyString::End(end) => i = end,
                PyString::Unclosed(_) | PyString::Unsure => return None,
            },
            b'0'..=b'9' => {
                // A number (`1e5`, `0x1f`, `1_000`): its letters are no name.
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.')
                {
                    i += 1;
                }
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' | 0x80.. => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80)
                {
                    i += 1;
                }
                for (k, ch) in expr[start..i].char_indices() {
                    let ok = if k == 0 {
                        ch == '_' || unicode_ident::is_xid_start(ch)
                    } else {
                        unicode_ident::is_xid_continue(ch)
                    };
                    if !ok {
                        let at = start + k;
                        let invisible = ch.is_whitespace()
                            || ch.is_control()
                            || matches!(ch, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}');
                        let shown = if invisible {
                            format!("U+{:04X}, an invisible character,", ch as u32)
                        } else {
                            format!("`{ch}` (U+{:04X})", ch as u32)
                        };
                        return Some((
                            TextRange::new(at, at + ch.len_utf8()),
                            format!("{shown} is no Python outside a string"),
                        ));
                    }
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// The candidate closest to `name`: the same ignoring case, else the most similar.
fn similar<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if let Some(c) = candidates.iter().find(|c| c.eq_ignore_ascii_case(name)) {
        return Some(c);
    }
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(name, c), *c))
        .filter(|(s, _)| *s >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Blocks (`{% if %}`, `{% for %}`, ...) that are never closed, and `{% end %}` without a block.
pub fn block_errors(sql: &str) -> Vec<TemplateError> {
    let mut stack: Vec<(TextRange, String)> = Vec::new();
    let mut errors = Vec::new();
    for (range, kind, inner) in tags(sql) {
        if kind != '%' {
            if kind == '{' && !sql[..range.end].ends_with("}}") {
                errors.push(TemplateError {
                    range,
                    message: "`{{` is never closed with `}}`".into(),
                });
            }
            continue;
        }
        let word = inner.split_whitespace().next().unwrap_or("");
        match word {
            "if" | "for" | "while" | "try" | "apply" | "block" | "autoescape" => {
                stack.push((range, word.to_string()))
            }
            "end" => {
                let closed = stack.pop();
                if closed.is_none() {
                    errors.push(TemplateError {
                        range,
                        message:
                            "`{% end %}` without an open `{% if %}`, `{% for %}` or `{% while %}`"
                                .into(),
                    });
                }
            }
            "elif" | "else"
                if !stack
                    .iter()
                    .any(|(_, w)| w == "if" || w == "for" || w == "while" || w == "try") =>
            {
                errors.push(TemplateError {
                    range,
                    message: format!("`{{% {word} %}}` outside an `{{% if %}}` block"),
                });
            }
            _ => {}
        }
    }
    for (range, word) in stack {
        errors.push(TemplateError {
            range,
            message: format!("`{{% {word} %}}` is never closed: add `{{% end %}}`"),
        });
    }
    errors
}

#[cfg(test)]
mod tests {

    /// The text each error covers.
    fn texts(sql: &str, errors: Vec<TemplateError>) -> Vec<String> {
        errors
            .iter()
            .map(|e| sql[e.range.start..e.range.end].to_string())
            .collect()
    }

    #[test]
    fn python_keywords_where_names_go() {
        let found = |sql: &str| texts(sql, keyword_names(sql));
        assert_eq!(
            found("%\nSELECT {{ DateTime(from, '2024-01-01') }}"),
            ["from"]
        );
        assert_eq!(found("%\n{% if defined(class) %}1{% end %}"), ["class"]);
        assert_eq!(
            found("%\nSELECT {{ String(a, 'x') }}, {{ lambda }}"),
            ["lambda"]
        );
        // keywords in their Python places, and inside strings, are fine
        assert!(
            found("%\n{% if not defined(x) and y in (1, 2) %}1{% else %}2{% end %}").is_empty()
        );
        assert!(found("%\nSELECT {{ String(x, 'from') }} {% for a in b %}{% end %}").is_empty());
        assert!(found("%\nSELECT {{ x if y else z }}").is_empty());
    }
    use super::*;

    #[test]
    fn finds_unclosed_if() {
        let e = block_errors("SELECT 1 {% if defined(x) %} WHERE a = {{Int32(x)}}");
        assert_eq!(e.len(), 1);
        assert!(e[0].message.contains("never closed"));
        assert!(block_errors("{% if a %}x{% elif b %}y{% else %}z{% end %}").is_empty());
    }

    #[test]
    fn the_official_readers_first_error() {
        let found =
            |sql: &str| reader_error(sql).map(|e| sql[e.range.start..e.range.end].to_string());
        // Each error's text: unknown and forbidden operators at the operator, expressions
        // Python cannot read at the part it cannot read, a name character Python refuses (not
        // XID) in `{{ }}` and in a `{% %}` tag's Python.
        for (sql, want) in [
            ("%\nSELECT {% elsif x %}1{% end %}", "elsif"),
            ("%\nSELECT {% if\tx %}1{% end %}", "if\tx"),
            ("%\n{% import os %}", "import"),
            (
                "%\n{% if a %}{% for x in y %}{% elif b %}{% end %}{% end %}",
                "elif",
            ),
            ("%\n{% break %}", "break"),
            ("%\n{% whitespace tidy %}", "whitespace tidy"),
            ("%\nSELECT {{ Int32(x, 1)) }}", ")"),
            ("%\nSELECT {{ Int32(x, 1 }}", "("),
            ("%\nSELECT {{ [a) }}", ")"),
            ("%\nSELECT {{ String(x, 'a) }}", "'a)"),
            ("%\nSELECT {{ $x }}", "$"),
            ("%\nSELECT {{ String(a – b) }}", "–"),
            ("%\nSELECT {{ String(ab\u{a0}) }}", "\u{a0}"),
            ("%\nSELECT {{ String(·b) }}", "·"),
            ("%\n{% if defined(a) %}{% set x = a – 1 %}{% end %}", "–"),
        ] {
            assert_eq!(found(sql).as_deref(), Some(want), "{sql}");
        }
        assert!(found("%\nSELECT 1 {% if x").is_some());
        assert!(found("%\nSELECT 1 {# note").is_some());
        assert!(found("%\nSELECT {{ }}").is_some());
        assert!(found("%\nSELECT {% %}").is_some());
        // What Python reads, or what we cannot be sure of, is left alone.
        for sql in [
            "%\nSELECT {{ String(x, 'a)') }} {{ y != 1 }}",
            "%\nSELECT {{ x # note }}",
            "%\nSELECT {{ f'{x' }}",
            "%\nSELECT {{ column(x, é'a') }}",
            "%\nSELECT {{ r'a\\'b' }}",
            "%\nSELECT {{ {'a': 1} }}x",
            "%\n{% if a %}{% for x in y %}{% break %}{% end %}{% else %}{% end %}",
            "%\n{% try %}1{% except %}2{% finally %}3{% end %}",
            "%\n{% set x = 1 %}{% comment anything %}{% whitespace all %}{{! raw }}",
            "%\nSELECT '{{{ x }}}'",
            "%\nSELECT {{ String(a·b, 'é – ü') }} {# – #} {% comment – %}",
            "%\nSELECT {{ String(ªº) }} {{ String(℘x) }} {{ _ñ1 }} {{ 1e5 }} {{ 0x1f }}",
            "%\nSELECT {{ x # – }}",
            "%\nSELECT {{ f'{x – 1}' }}",
            // Reported by the other checks.
            "%\n{% if x %}",
            "%\n{% end %}",
            "%\n{% else %}",
            "%\nSELECT {{ x",
        ] {
            assert_eq!(found(sql), None, "{sql}");
        }
    }

    #[test]
    fn expressions_are_stripped_as_python_strips_them() {
        let sql =
            "%\nSELECT {{ \u{b}ABLE(1) }}, {{\u{a0}x.upper()\u{3000}}}, {{\u{1f}Int32(x, 1) }}";
        let found: Vec<&str> = expression_errors(sql)
            .iter()
            .map(|e| &sql[e.range.start..e.range.end])
            .collect();
        assert_eq!(found, ["ABLE", "upper"]);
    }

    #[test]
    fn literal_defaults_their_type_refuses() {
        let found = |sql: &str| texts(sql, default_errors(sql));
        assert_eq!(
            found("%\nSELECT {{ Int32(x, 1e5) }}, {{ DateTime(t, default='2026-01-01') }}"),
            ["1e5", "'2026-01-01'"]
        );
        assert_eq!(
            found("%\nSELECT {{ UInt8(u, -1) }}, {{ Int8(v, 128) }}"),
            ["-1", "128"]
        );
        // Valid, falsy, inside a block, set by the template, or not read with certainty.
        for sql in [
            "%\nSELECT {{ Int8(x, -128) }}, {{ Date(d, '2026-01-01') }}, {{ Float32(f, 'nan') }}",
            "%\nSELECT {{ Int32(x, 0) }}, {{ Date(d, '') }}, {{ Int32(y, 0.0) }}",
            "%\n{% if defined(x) %}{{ Int32(x, 1e5) }}{% end %}",
            "%\n{% set x = 1 %}{{ Int32(x, 1e5) }}",
            "%\nSELECT {{ Int32(x, 'a\\tb') }}, {{ Int32(y, r'1') }}, {{ Int32(z, f(1)) }}",
            "%\nSELECT {{ Int32(x, 1e5, default=2) }}, {{ Int32(**kw) }}, {{ Int128(y, '\u{661}') }}",
        ] {
            assert_eq!(found(sql), Vec::<String>::new(), "{sql}");
        }
    }

    #[test]
    fn templates_in_strings_are_not_templates() {
        assert!(template_without_percent("SELECT '{{x}}'").is_none());
        assert!(template_without_percent("SELECT {{x}}").is_some());
    }
}
