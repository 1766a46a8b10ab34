//! ClickHouse data types in SCHEMA columns: the type families come from ClickHouse itself
//! (`system.data_type_families`, see scripts/gen-type-families.py); the checks mirror what the
//! official parsers reject (datafile-spec §4.1).

use super::Dialect;
use std::sync::OnceLock;

const FAMILIES_TSV: &str = include_str!("data/type_families.tsv");

struct Family {
    name: &'static str,
    case_insensitive: bool,
    /// The family this name is an alias of (empty when none).
    alias_of: &'static str,
}

fn families() -> &'static [Family] {
    static F: OnceLock<Vec<Family>> = OnceLock::new();
    F.get_or_init(|| {
        FAMILIES_TSV
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .filter_map(|l| {
                let mut cols = l.split('\t');
                let name = cols.next()?;
                let ci = cols.next()? == "1";
                Some(Family {
                    name,
                    case_insensitive: ci,
                    alias_of: cols.next().unwrap_or(""),
                })
            })
            .collect()
    })
}

/// The canonical family name for `name`, if ClickHouse knows it.
pub fn lookup_family(name: &str) -> Option<&'static str> {
    families()
        .iter()
        .find(|f| {
            if f.case_insensitive {
                f.name.eq_ignore_ascii_case(name)
            } else {
                f.name == name
            }
        })
        .map(|f| f.name)
}

/// The name ClickHouse gives the family written `name`, aliases resolved (`INT` → `Int32`,
/// `boolean` → `Bool`); `None` when ClickHouse has no such family.
pub fn canonical_alias(name: &str) -> Option<String> {
    let mut cur = lookup_family(name)?;
    for _ in 0..4 {
        let Some(f) = families().iter().find(|f| f.name == cur) else {
            break;
        };
        if f.alias_of.is_empty() {
            break;
        }
        cur = lookup_family(f.alias_of).unwrap_or(f.alias_of);
    }
    Some(cur.to_string())
}

/// The type families under their own names (no aliases such as `BIGINT`), for completion.
pub fn canonical_families() -> Vec<&'static str> {
    families()
        .iter()
        .filter(|f| f.alias_of.is_empty() && f.name.chars().any(|c| c.is_ascii_lowercase()))
        .map(|f| f.name)
        .collect()
}

/// The closest known family names, for "did you mean".
pub fn suggest_family(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    families()
        .iter()
        .filter(|f| !f.name.contains(' ') && f.name.chars().any(|c| c.is_ascii_lowercase()))
        .map(|f| (strsim::levenshtein(&lower, &f.name.to_lowercase()), f.name))
        .filter(|(d, _)| *d <= 2.max(name.len() / 3))
        .min()
        .map(|(_, n)| n)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeError {
    /// Byte range within the type text.
    pub start: usize,
    pub end: usize,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident,
    Number,
    Str,
    Open,
    Close,
    Comma,
    Other,
}

fn lex(s: &str) -> Vec<(Tok, usize, usize)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let kind = if c.is_ascii_whitespace() {
            i += 1;
            continue;
        } else if c.is_ascii_alphabetic() || c == b'_' || c == b'`' {
            if c == b'`' {
                i += 1;
                while i < b.len() && b[i] != b'`' {
                    i += 1;
                }
                i = (i + 1).min(b.len());
            } else {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
            }
            Tok::Ident
        } else if c.is_ascii_digit() || (c == b'-' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            i += 1;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                i += 1;
            }
            Tok::Number
        } else if c == b'\'' || c == b'"' {
            i += 1;
            while i < b.len() && b[i] != c {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(b.len());
            Tok::Str
        } else if c == b'(' {
            i += 1;
            Tok::Open
        } else if c == b')' {
            i += 1;
            Tok::Close
        } else if c == b',' {
            i += 1;
            Tok::Comma
        } else {
            i += s[i..].chars().next().map_or(1, char::len_utf8);
            Tok::Other
        };
        out.push((kind, start, i));
    }
    out
}

struct Checker<'a> {
    src: &'a str,
    toks: Vec<(Tok, usize, usize)>,
    pos: usize,
    dialect: Dialect,
}

impl Checker<'_> {
    fn err<T>(&self, at: usize, message: String) -> Result<T, TypeError> {
        let (start, end) = self
            .toks
            .get(at)
            .map(|t| (t.1, t.2))
            .unwrap_or((self.src.len(), self.src.len()));
        Err(TypeError {
            start,
            end,
            message,
        })
    }
    fn text(&self, at: usize) -> &str {
        let t = &self.toks[at];
        &self.src[t.1..t.2]
    }
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }

    /// type := name ['(' args ')']
    fn ty(&mut self) -> Result<(), TypeError> {
        if self.peek() != Some(&Tok::Ident) {
            let found = self
                .toks
                .get(self.pos)
                .map(|_| self.text(self.pos).to_string());
            return self.err(
                self.pos,
                match found {
                    Some(f) => format!("expected a type, found `{f}`"),
                    None => "expected a type".to_string(),
                },
            );
        }
        let name_at = self.pos;
        let mut name = self.text(name_at).to_string();
        self.pos += 1;
        // Multi-word SQL-standard aliases: DOUBLE PRECISION, INT UNSIGNED, ...
        while self.peek() == Some(&Tok::Ident) {
            let longer = format!("{} {}", name, self.text(self.pos));
            if lookup_family(&longer).is_some() {
                name = longer;
                self.pos += 1;
            } else {
                break;
            }
        }
        let Some(family) = lookup_family(&name) else {
            let hint = suggest_family(&name)
                .map(|s| format!(" Did you mean `{s}`?"))
                .unwrap_or_default();
            return self.err(name_at, format!("Unknown data type `{name}`.{hint}"));
        };
        let has_args = self.peek() == Some(&Tok::Open);
        if self.dialect == Dialect::Forward {
            if name.eq_ignore_ascii_case("boolean") {
                return self.err(
                    name_at,
                    "Tinybird Forward does not support the `Boolean` type: use `Bool` or `UInt8`"
                        .into(),
                );
            }
            if family == "DateTime64" && !has_args {
                return self.err(
                    name_at,
                    "`DateTime64` needs a precision in Tinybird Forward, e.g. `DateTime64(3)`"
                        .into(),
                );
            }
            if (name == "Int" || name == "UInt") && !has_args {
                return self.err(
                    name_at,
                    format!("`{name}` needs a width in Tinybird Forward: {name}8, {name}16, {name}32, {name}64, {name}128 or {name}256"),
                );
            }
        }
        if !has_args {
            return Ok(());
        }
        self.pos += 1;
        let mut index = 0;
        loop {
            if self.peek() == Some(&Tok::Close) && index == 0 {
                self.pos += 1;
                return Ok(());
            }
            self.argument(family, index)?;
            index += 1;
            match self.peek() {
                Some(Tok::Comma) => {
                    self.pos += 1;
                    // ClickHouse takes a comma after the last argument (chdb:
                    // `Tuple(Int32, String,)` is `Tuple(Int32, String)`), as do both parsers.
                    if self.peek() == Some(&Tok::Close) {
                        self.pos += 1;
                        return Ok(());
                    }
                }
                Some(Tok::Close) => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(_) => {
                    let f = self.text(self.pos).to_string();
                    return self.err(
                        self.pos,
                        format!("unexpected `{f}` in the arguments of `{family}`"),
                    );
                }
                None => return self.err(self.pos, format!("`{family}(` is never closed")),
            }
        }
    }

    fn argument(&mut self, family: &str, index: usize) -> Result<(), TypeError> {
        let types_only = matches!(
            family,
            "Nullable" | "LowCardinality" | "Array" | "Map" | "Variant"
        ) || (matches!(family, "AggregateFunction" | "SimpleAggregateFunction")
            && index > 0);
        if types_only {
            return self.ty();
        }
        if matches!(family, "Tuple" | "Nested") {
            // `name Type` or `Type`
            let named = self.peek() == Some(&Tok::Ident)
                && self.toks.get(self.pos + 1).map(|t| &t.0) == Some(&Tok::Ident)
                && lookup_family(&format!(
                    "{} {}",
                    self.text(self.pos),
                    self.text(self.pos + 1)
                ))
                .is_none();
            if named {
                self.pos += 1;
            }
            return self.ty();
        }
        // Literal parameters (precision, time zone, enum values, aggregate function names):
        // skip a balanced run up to the next top-level comma or the closing parenthesis.
        let mut depth = 0usize;
        let start = self.pos;
        while let Some(t) = self.peek() {
            match t {
                Tok::Open => depth += 1,
                Tok::Close if depth == 0 => break,
                Tok::Close => depth -= 1,
                Tok::Comma if depth == 0 => break,
                _ => {}
            }
            self.pos += 1;
        }
        if self.pos == start {
            return self.err(self.pos, format!("missing argument for `{family}`"));
        }
        Ok(())
    }
}

/// Checks a column type the way the official parsers do (ClickHouse's type parser plus the
/// Forward-only restrictions).
pub fn check_type(ty: &str, dialect: Dialect) -> Result<(), TypeError> {
    let mut c = Checker {
        src: ty,
        toks: lex(ty),
        pos: 0,
        dialect,
    };
    c.ty()?;
    if c.pos < c.toks.len() {
        let f = c.text(c.pos).to_string();
        return c.err(
            c.pos,
            format!("unexpected `{f}` after the type: a column type ends before this"),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_types() {
        for t in [
            "String",
            "LowCardinality(Nullable(String))",
            "Map(String, Array(Int32))",
            "DateTime64(3, 'UTC')",
            "AggregateFunction(uniq, String)",
            "AggregateFunction(quantiles(0.5, 0.9), Float64)",
            "SimpleAggregateFunction(sum, Nullable(UInt64))",
            "Tuple(a String, b Int32)",
            "Enum8('a' = 1, 'b' = -2)",
            "Decimal(18, 4)",
            "JSON",
            "DOUBLE PRECISION",
            "Nested(a String, b Array(Int8))",
        ] {
            assert_eq!(check_type(t, Dialect::Forward), Ok(()), "{t}");
        }
    }

    #[test]
    fn rejects_unknown_families_with_a_suggestion() {
        let e = check_type("Strin", Dialect::Classic).unwrap_err();
        assert!(e.message.contains("Did you mean `String`"), "{}", e.message);
        let e = check_type("Array(Strng)", Dialect::Classic).unwrap_err();
        assert_eq!((e.start, e.end), (6, 11));
    }

    #[test]
    fn forward_only_restrictions() {
        assert!(check_type("Boolean", Dialect::Classic).is_ok());
        assert!(check_type("Boolean", Dialect::Forward).is_err());
        assert!(check_type("DateTime64", Dialect::Forward).is_err());
        assert!(check_type("Int", Dialect::Forward).is_err());
        assert!(check_type("Int", Dialect::Classic).is_ok());
    }

    #[test]
    fn trailing_text_is_an_error() {
        let e = check_type("Int32\nSETTINGS index_granularity=8192", Dialect::Forward).unwrap_err();
        assert!(e.message.contains("SETTINGS"));
    }
}
