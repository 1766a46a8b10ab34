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
