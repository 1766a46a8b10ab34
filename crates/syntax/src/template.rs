//! Just enough of Tornado templates to find the datafile-level template errors of the official
//! parsers: `{{`/`{%` in SQL that does not start with `%`, and blocks that are never closed.
//! (The full template-aware SQL layer lives with the SQL analysis.)

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
        let Some(r) = crate::pyexpr::rejection(inner) else {
            continue;
        };
        let base = range.start + 2;
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
                &inner[r.range.start..r.range.end]
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

    #[test]
    fn python_keywords_where_names_go() {
        let found = |sql: &str| -> Vec<String> {
            keyword_names(sql)
                .into_iter()
                .map(|e| sql[e.range.start..e.range.end].to_string())
                .collect()
        };
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
    fn templates_in_strings_are_not_templates() {
        assert!(template_without_percent("SELECT '{{x}}'").is_none());
        assert!(template_without_percent("SELECT {{x}}").is_some());
    }
}
