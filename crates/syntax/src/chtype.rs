//! ClickHouse types as a structure, parsed once: `Nullable(LowCardinality(String))`,
//! `AggregateFunction(quantiles(0.5, 0.9), Float64)`, `DateTime('Europe/Madrid')`, … Aliases
//! are normalised as ClickHouse does (`Int` and `INTEGER` are `Int32`, `BIGINT` is `Int64`,
//! `TEXT` is `String`: the alias table is generated from `system.data_type_families`), and
//! [`Type`]'s `Display` prints the canonical text, as `toTypeName` writes it.

use super::types::canonical_alias;
use std::fmt;

/// A ClickHouse type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Nullable(Box<Type>),
    LowCardinality(Box<Type>),
    /// `AggregateFunction(f(params), T…)`: partial states of `f`.
    AggregateFunction {
        /// The function with its parameters, canonically spaced (`quantiles(0.5, 0.9)`).
        function: String,
        args: Vec<Type>,
    },
    /// `SimpleAggregateFunction(f, T)`: plain values of `T`, merged with `f`.
    SimpleAggregateFunction {
        function: String,
        arg: Box<Type>,
    },
    /// `DateTime` or `DateTime('zone')`.
    DateTime {
        zone: Option<String>,
    },
    /// `DateTime64(precision[, 'zone'])`.
    DateTime64 {
        precision: u32,
        zone: Option<String>,
    },
    /// `Decimal(P, S)` (and `Decimal32(S)` … written as they are).
    Decimal {
        precision: u32,
        scale: u32,
    },
    /// Any other type: a family with its arguments (types, or literals kept as written).
    Other {
        name: String,
        args: Vec<Arg>,
    },
}

/// An argument of a type that is not itself a type (`FixedString(16)`, `Enum8('a' = 1)`,
/// a named tuple element).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Arg {
    Type(Type),
    Literal(String),
}

impl Type {
    /// Parses a type as written in a SCHEMA or by `toTypeName`; `None` when it is not one.
    pub fn parse(text: &str) -> Option<Type> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        let t = p.ty()?;
        p.ws();
        (p.i == p.s.len()).then_some(t)
    }

    /// The type without `Nullable` and `LowCardinality` around it.
    pub fn plain(&self) -> &Type {
        match self {
            Type::Nullable(t) | Type::LowCardinality(t) => t.plain(),
            t => t,
        }
    }

    /// The family name (`Nullable`, `AggregateFunction`, `UInt64`, …).
    pub fn name(&self) -> &str {
        match self {
            Type::Nullable(_) => "Nullable",
            Type::LowCardinality(_) => "LowCardinality",
            Type::AggregateFunction { .. } => "AggregateFunction",
            Type::SimpleAggregateFunction { .. } => "SimpleAggregateFunction",
            Type::DateTime { .. } => "DateTime",
            Type::DateTime64 { .. } => "DateTime64",
            Type::Decimal { .. } => "Decimal",
            Type::Other { name, .. } => name,
        }
    }

    /// The time zone of a `DateTime('zone')` or `DateTime64(p, 'zone')`, inside
    /// `Nullable`/`LowCardinality` too.
    pub fn zone(&self) -> Option<&str> {
        match self.plain() {
            Type::DateTime { zone } | Type::DateTime64 { zone, .. } => zone.as_deref(),
            _ => None,
        }
    }

    /// `Date` or `Date32` (not a DateTime).
    pub fn is_date(&self) -> bool {
        matches!(self.plain(), Type::Other { name, .. } if name == "Date" || name == "Date32")
    }

    /// `DateTime` or `DateTime64`.
    pub fn is_datetime(&self) -> bool {
        matches!(
            self.plain(),
            Type::DateTime { .. } | Type::DateTime64 { .. }
        )
    }

    /// A date or a date-time.
    pub fn is_time(&self) -> bool {
        self.is_date() || self.is_datetime()
    }

    /// The sub-second precision of a `DateTime64`.
    pub fn precision(&self) -> Option<u32> {
        match self.plain() {
            Type::DateTime64 { precision, .. } => Some(*precision),
            _ => None,
        }
    }

    /// A signed or unsigned integer type (`Int8` … `UInt256`).
    pub fn is_integer(&self) -> bool {
        matches!(self.plain(), Type::Other { name, args } if args.is_empty()
            && (name.starts_with("Int") || name.starts_with("UInt"))
            && name.bytes().skip_while(|b| b.is_ascii_alphabetic()).all(|b| b.is_ascii_digit()))
    }

    /// `Float32`, `Float64` (or `BFloat16`).
    pub fn is_float(&self) -> bool {
        matches!(self.plain(), Type::Other { name, .. } if matches!(name.as_str(), "Float32" | "Float64" | "BFloat16"))
    }

    /// An integer or a float.
    pub fn is_numeric(&self) -> bool {
        self.is_integer() || self.is_float()
    }

    /// The function's name without its parameters, for `AggregateFunction` and
    /// `SimpleAggregateFunction` types.
    pub fn aggregate_function(&self) -> Option<&str> {
        match self {
            Type::AggregateFunction { function, .. }
            | Type::SimpleAggregateFunction { function, .. } => {
                Some(function.split('(').next().unwrap_or(function).trim())
            }
            _ => None,
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Nullable(t) => write!(f, "Nullable({t})"),
            Type::LowCardinality(t) => write!(f, "LowCardinality({t})"),
            Type::AggregateFunction { function, args } => {
                write!(f, "AggregateFunction({function}")?;
                for a in args {
                    write!(f, ", {a}")?;
                }
                write!(f, ")")
            }
            Type::SimpleAggregateFunction { function, arg } => {
                write!(f, "SimpleAggregateFunction({function}, {arg})")
            }
            Type::DateTime { zone: None } => write!(f, "DateTime"),
            Type::DateTime { zone: Some(z) } => write!(f, "DateTime('{z}')"),
            Type::DateTime64 { precision, zone } => match zone {
                None => write!(f, "DateTime64({precision})"),
                Some(z) => write!(f, "DateTime64({precision}, '{z}')"),
            },
            Type::Decimal { precision, scale } => write!(f, "Decimal({precision}, {scale})"),
            Type::Other { name, args } => {
                write!(f, "{name}")?;
                if !args.is_empty() {
                    write!(f, "(")?;
                    for (i, a) in args.iter().enumerate() {
                        if i > 0 {
                            write!(f, ", ")?;
                        }
                        match a {
                            Arg::Type(t) => write!(f, "{t}")?,
                            Arg::Literal(l) => write!(f, "{l}")?,
                        }
                    }
                    write!(f, ")")?;
                }
                Ok(())
            }
        }
    }
}

/// Spaces a function call with parameters as ClickHouse prints it: `quantiles(0.5,0.9)` →
/// `quantiles(0.5, 0.9)`.
pub fn canonical_function(f: &str) -> String {
    let f = f.trim();
    let Some((name, rest)) = f.split_once('(') else {
        return f.to_string();
    };
    let inner = rest.strip_suffix(')').unwrap_or(rest);
    let params: Vec<&str> = split_top(inner).into_iter().map(str::trim).collect();
    format!("{}({})", name.trim(), params.join(", "))
}

/// Splits at top-level commas (outside brackets and quotes).
pub fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<u8>, 0);
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) => {
                if c == b'\\' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                b'\'' | b'"' | b'`' => quote = Some(c),
                b'(' | b'[' => depth += 1,
                b')' | b']' => depth -= 1,
                b',' if depth == 0 => {
                    out.push(&s[start..i]);
                    start = i + 1;
                }
                _ => {}
            },
        }
        i += 1;
    }
    out.push(&s[start..]);
    out
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    /// A family name: words (`DOUBLE PRECISION`, `INT UNSIGNED` are names of their own).
    fn name(&mut self) -> Option<String> {
        self.ws();
        let start = self.i;
        let word = |p: &mut Self| {
            let s = p.i;
            while p.i < p.s.len() && (p.s[p.i].is_ascii_alphanumeric() || p.s[p.i] == b'_') {
                p.i += 1;
            }
            p.i > s
        };
        if !word(self) || !self.s[start].is_ascii_alphabetic() {
            return None;
        }
        let mut name = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        // Multi-word aliases: take the next word when the longer name is a known family.
        loop {
            let save = self.i;
            self.ws();
            let s2 = self.i;
            if !word(self) {
                self.i = save;
                break;
            }
            let longer = format!("{name} {}", String::from_utf8_lossy(&self.s[s2..self.i]));
            if canonical_alias(&longer).is_some() {
                name = longer;
            } else {
                self.i = save;
                break;
            }
        }
        Some(name)
    }

    /// The text of one argument, up to the next top-level comma or the closing bracket.
    fn raw_arg(&mut self) -> Option<&str> {
        let start = self.i;
        let (mut depth, mut quote) = (0i32, None::<u8>);
        while self.i < self.s.len() {
            let c = self.s[self.i];
            match quote {
                Some(q) => {
                    if c == b'\\' {
                        self.i += 1;
                    } else if c == q {
                        quote = None;
                    }
                }
                None => match c {
                    b'\'' | b'"' | b'`' => quote = Some(c),
                    b'(' | b'[' => depth += 1,
                    b')' | b']' if depth == 0 => break,
                    b')' | b']' => depth -= 1,
                    b',' if depth == 0 => break,
                    _ => {}
                },
            }
            self.i += 1;
        }
        (self.i < self.s.len()).then(|| std::str::from_utf8(&self.s[start..self.i]).ok())?
    }

    fn args(&mut self) -> Option<Vec<String>> {
        self.ws();
        if self.s.get(self.i) != Some(&b'(') {
            return Some(Vec::new());
        }
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let a = self.raw_arg()?.trim().to_string();
            out.push(a);
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b')') => {
                    self.i += 1;
                    return Some(out);
                }
                _ => return None,
            }
        }
    }

    fn ty(&mut self) -> Option<Type> {
        let written = self.name()?;
        let name = canonical_alias(&written).unwrap_or(written);
        let raw = self.args()?;
        let types =
            |raw: &[String]| -> Option<Vec<Type>> { raw.iter().map(|a| Type::parse(a)).collect() };
        let zone = |a: &String| a.trim().trim_matches('\'').to_string();
        Some(match name.as_str() {
            "Nullable" => Type::Nullable(Box::new(single(types(&raw)?)?)),
            "LowCardinality" => Type::LowCardinality(Box::new(single(types(&raw)?)?)),
            "AggregateFunction" => {
                let (f, rest) = raw.split_first()?;
                Type::AggregateFunction {
                    function: canonical_function(f),
                    args: types(rest)?,
                }
            }
            "SimpleAggregateFunction" => {
                let [f, t] = raw.as_slice() else { return None };
                Type::SimpleAggregateFunction {
                    function: canonical_function(f),
                    arg: Box::new(Type::parse(t)?),
                }
            }
            "DateTime" => match raw.as_slice() {
                [] => Type::DateTime { zone: None },
                [z] => Type::DateTime {
                    zone: Some(zone(z)),
                },
                _ => return None,
            },
            "DateTime64" => match raw.as_slice() {
                [p] => Type::DateTime64 {
                    precision: p.parse().ok()?,
                    zone: None,
                },
                [p, z] => Type::DateTime64 {
                    precision: p.parse().ok()?,
                    zone: Some(zone(z)),
                },
                _ => return None,
            },
            "Decimal" if raw.len() == 2 => Type::Decimal {
                precision: raw[0].parse().ok()?,
                scale: raw[1].parse().ok()?,
            },
            _ => Type::Other {
                args: raw
                    .iter()
                    .map(|a| match Type::parse(a) {
                        Some(t) => Arg::Type(t),
                        None => Arg::Literal(a.clone()),
                    })
                    .collect(),
                name,
            },
        })
    }
}

fn single(mut v: Vec<Type>) -> Option<Type> {
    (v.len() == 1).then(|| v.pop())?
}

/// What converting a value to another type can do to it, where it surely can.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    /// Text into a number, a date, a UUID or a Bool: a value that does not parse fails.
    Parse,
    /// An integer into a narrower or differently signed one: out-of-range values wrap around.
    Wrap,
    /// A float into an integer.
    Fraction,
    /// A date-time into a date.
    Time,
    /// A date-time into a coarser precision.
    Precision,
}

impl Loss {
    pub fn why(self) -> &'static str {
        match self {
            Loss::Parse => "a value that does not parse as one fails the deploy",
            Loss::Wrap => "values out of its range wrap around silently",
            Loss::Fraction => "the fractional part is dropped and out-of-range values change",
            Loss::Time => "the time of day is dropped",
            Loss::Precision => "the sub-second precision is cut",
        }
    }
}

/// The loss of converting `from` to `to`, both without Nullable and LowCardinality.
fn value_loss(from: &Type, to: &Type) -> Option<Loss> {
    if from == to {
        return None;
    }
    let int_width = |t: &Type| -> Option<(bool, u32)> {
        if !t.is_integer() {
            return None;
        }
        let n = t.name();
        let signed = n.starts_with("Int");
        let bits = n.trim_start_matches(char::is_alphabetic).parse().ok()?;
        Some((signed, bits))
    };
    let text = matches!(from.name(), "String" | "FixedString");
    if text && (to.is_numeric() || to.is_time() || matches!(to.name(), "UUID" | "Bool")) {
        return Some(Loss::Parse);
    }
    if let (Some((fs, fb)), Some((ts, tb))) = (int_width(from), int_width(to)) {
        let fits = if fs == ts {
            tb >= fb
        } else {
            !fs && ts && tb > fb
        };
        return (!fits).then_some(Loss::Wrap);
    }
    if from.is_float() && to.is_integer() {
        return Some(Loss::Fraction);
    }
    if from.is_datetime() && to.is_date() {
        return Some(Loss::Time);
    }
    let precision = |t: &Type| match t {
        Type::DateTime { .. } => Some(0),
        Type::DateTime64 { precision, .. } => Some(*precision),
        _ => None,
    };
    match (precision(from), precision(to)) {
        (Some(f), Some(t)) if t < f => Some(Loss::Precision),
        _ => None,
    }
}

/// `t` without LowCardinality, and whether it was Nullable (then without Nullable too).
fn bare(t: &Type) -> (bool, Type) {
    let t = match t {
        Type::LowCardinality(i) => (**i).clone(),
        t => t.clone(),
    };
    match t {
        Type::Nullable(i) => (true, bare(&i).1),
        t => (false, t),
    }
}

/// Why inserting values of type `from` into a column of type `to` can fail or change values,
/// where it surely can ([`Loss`]), NULLs into a non-Nullable column included (they become the
/// type's default). Checked on chdb by tests/expression_types_chdb.rs.
pub fn lossy(from: &Type, to: &Type) -> Option<String> {
    let ((fnull, f), (tnull, t)) = (bare(from), bare(to));
    let loss = value_loss(&f, &t).map(Loss::why);
    let nulls = "its NULLs become the type's default value";
    match (fnull && !tnull, loss) {
        (true, Some(also)) => Some(format!("{nulls}, and {also}")),
        (true, None) => Some(nulls.to_string()),
        (false, loss) => loss.map(str::to_string),
    }
}

/// The losses of [`lossy`] that no change of type asks for: a value that does not parse
/// (the deploy fails) and an integer out of range (it wraps around). Dropping NULLs, a
/// fraction or the time of day is what the new type means; a FORWARD_QUERY is not asked to
/// say it again.
pub fn unwanted_loss(from: &Type, to: &Type) -> Option<Loss> {
    let ((_, f), (_, t)) = (bare(from), bare(to));
    value_loss(&f, &t).filter(|l| matches!(l, Loss::Parse | Loss::Wrap))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(t: &str) -> String {
        Type::parse(t)
            .map(|t| t.to_string())
            .unwrap_or_else(|| "?".into())
    }

    #[test]
    fn aliases_normalise_as_clickhouse_does() {
        assert_eq!(canon("Int"), "Int32");
        assert_eq!(canon("INTEGER"), "Int32");
        assert_eq!(canon("BIGINT"), "Int64");
        assert_eq!(canon("BIGINT UNSIGNED"), "UInt64");
        assert_eq!(canon("TEXT"), "String");
        assert_eq!(canon("DOUBLE PRECISION"), "Float64");
        assert_eq!(canon("boolean"), "Bool");
        assert_eq!(canon("Nullable(INT)"), "Nullable(Int32)");
        assert_eq!(
            canon("AggregateFunction(sum,BIGINT)"),
            "AggregateFunction(sum, Int64)"
        );
    }

    #[test]
    fn structure() {
        let t = Type::parse("AggregateFunction(quantiles(0.5,0.9), Float64)").unwrap();
        assert_eq!(
            t.to_string(),
            "AggregateFunction(quantiles(0.5, 0.9), Float64)"
        );
        assert_eq!(t.aggregate_function(), Some("quantiles"));
        let t = Type::parse("LowCardinality(Nullable(String))").unwrap();
        assert_eq!(t.plain().to_string(), "String");
        assert_eq!(
            Type::parse("DateTime('Europe/Madrid')").unwrap(),
            Type::DateTime {
                zone: Some("Europe/Madrid".into())
            }
        );
        assert_eq!(canon("DateTime64(3, 'UTC')"), "DateTime64(3, 'UTC')");
        assert_eq!(canon("Enum8('a' = 1, 'b' = 2)"), "Enum8('a' = 1, 'b' = 2)");
        assert_eq!(
            canon("Map(String, Array(UInt64))"),
            "Map(String, Array(UInt64))"
        );
        assert_eq!(
            canon("Tuple(a String, b UInt8)"),
            "Tuple(a String, b UInt8)"
        );
        assert_eq!(canon("Decimal(18, 4)"), "Decimal(18, 4)");
        assert_eq!(canon("Nullable(String"), "?");
        assert_eq!(canon(""), "?");
        assert_eq!(canon("String extra"), "?");
    }
}
