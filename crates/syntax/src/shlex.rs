//! The official parsers split each datafile line with Python's `shlex` in non-POSIX mode,
//! `whitespace_split=True`, `#` as the comment character. This is a faithful port that also
//! keeps each token's byte range in the line.
//!
//! Non-POSIX rules: a quote *starting* a token groups text up to the matching quote and ends
//! the token there (the quotes stay in the token); a quote inside a word is an ordinary
//! character; `#` outside quotes starts a comment, even in the middle of a word.

use crate::text::TextRange;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    /// Byte range within the line.
    pub range: TextRange,
}

/// The line has a quote that is never closed. The official parsers then treat the whole line
/// as one token (`shlex.quote(line)`), which is never a valid keyword.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnbalancedQuote {
    pub quote_at: usize,
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

pub fn split(line: &str) -> Result<Vec<Token>, UnbalancedQuote> {
    let mut tokens = Vec::new();
    let mut iter = line.char_indices().peekable();
    while let Some(&(i, c)) = iter.peek() {
        if is_ws(c) {
            iter.next();
            continue;
        }
        if c == '#' {
            break;
        }
        if c == '"' || c == '\'' {
            iter.next();
            let mut closed = None;
            for (j, d) in iter.by_ref() {
                if d == c {
                    closed = Some(j + d.len_utf8());
                    break;
                }
            }
            match closed {
                Some(end) => tokens.push(Token {
                    text: line[i..end].to_string(),
                    range: TextRange::new(i, end),
                }),
                None => return Err(UnbalancedQuote { quote_at: i }),
            }
            continue;
        }
        // A word: up to white space or `#` (the rest of the line is then a comment).
        let mut end = line.len();
        let mut comment = false;
        while let Some(&(j, d)) = iter.peek() {
            if is_ws(d) {
                end = j;
                break;
            }
            if d == '#' {
                end = j;
                comment = true;
                break;
            }
            iter.next();
        }
        tokens.push(Token {
            text: line[i..end].to_string(),
            range: TextRange::new(i, end),
        });
        if comment {
            break;
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(line: &str) -> Vec<String> {
        split(line).unwrap().into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn quotes_group_and_stay() {
        assert_eq!(
            texts(r#"TOKEN "read api" READ"#),
            ["TOKEN", "\"read api\"", "READ"]
        );
        assert_eq!(texts(r#"a"b c""#), ["a\"b", "c\""]);
        assert_eq!(texts(r#""a"b"#), ["\"a\"", "b"]);
    }

    #[test]
    fn hash_is_a_comment_even_inside_a_word() {
        assert_eq!(texts("KAFKA_TOPIC topic#1 x"), ["KAFKA_TOPIC", "topic"]);
        assert_eq!(texts("  # only a comment"), Vec::<String>::new());
        assert_eq!(texts("A \"x#y\""), ["A", "\"x#y\""]);
    }

    #[test]
    fn unbalanced_quote() {
        assert!(split("ENGINE_TTL \"a + b").is_err());
    }
}
