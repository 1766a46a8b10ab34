//! The Python expressions of `{{ … }}` template tags, read far enough to apply the official
//! parsers' allowlist (`tornado_template.check_valid_expr`, the same in the Classic and Forward
//! CLIs for what is checked here): a call must name a template function (or a method among
//! `split`, `get`, `join`, `replace`); operators are `+`, `-`, `*`, unary `-` and `not`;
//! subscripts take a constant, a subscript or a slice; names, constants, lists, tuples, sets,
//! dicts and `x if c else y` are allowed; anything else (comparisons, `and`/`or`, attributes
//! that are not method calls, lambdas, comprehensions, `/`, `**`…) is rejected while parsing.
//!
//! The reader is deliberately partial: whatever it cannot read with certainty (f-strings with
//! fields, unusual tokens) gives no verdict, so no error is reported that the official parser
//! would not report. `tests/conformance.rs` compares the verdicts with the official parsers.

use crate::text::TextRange;

/// The functions a `{{ }}` expression may call (`VALID_FUNCTION_NAMES` of the official
/// template module, identical in the Classic 6.5 and Forward 5.0 CLIs).
pub const TEMPLATE_FUNCTIONS: &[&str] = &[
    "Array",
    "Boolean",
    "Date",
    "DateTime",
    "DateTime64",
    "Float32",
    "Float64",
    "Int",
    "Int128",
    "Int16",
    "Int256",
    "Int32",
    "Int64",
    "Int8",
    "Integer",
    "JSON",
    "String",
    "TABLE",
    "UInt128",
    "UInt16",
    "UInt256",
    "UInt32",
    "UInt64",
    "UInt8",
    "activate",
    "backend_hint",
    "cache_ttl",
    "column",
    "columns",
    "custom_error",
    "date_diff_in_days",
    "date_diff_in_hours",
    "date_diff_in_minutes",
    "date_diff_in_seconds",
    "day_diff",
    "defined",
    "disable",
    "enumerate_with_last",
    "error",
    "float",
    "int",
    "len",
    "list",
    "max",
    "max_threads",
    "min",
    "split_to_array",
    "sql_and",
    "sql_unescape",
    "symbol",
    "table",
    "tb_secret",
    "tb_var",
];

/// The methods a `{{ }}` expression may call (`VALID_METHOD_NAMES`).
pub const TEMPLATE_METHODS: &[&str] = &["split", "get", "join", "replace"];

/// Why the official parser rejects an expression: its message (without the "Template Syntax
/// Error: " prefix) and the range of the part it rejects, in the expression's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub message: String,
    pub range: TextRange,
    /// For an unknown function or method: its name.
    pub name: Option<String>,
}

/// The allowlist's verdict on `expr` (the text inside `{{ }}`): `Some` when the official parser
/// rejects it for a reason checked here, `None` when it accepts it or when this reader cannot
/// tell.
pub fn rejection(expr: &str) -> Option<Rejection> {
    let tokens = tokenize(expr)?;
    if tokens.len() > MAX_TOKENS {
        return None; // no verdict on a huge expression (and no deep recursion)
    }
    let mut p = Parser {
        src: expr,
        toks: tokens,
        pos: 0,
        unsure: false,
        depth: 0,
    };
    let e = p.expr_list()?;
    if p.pos != p.toks.len() || p.unsure {
        return None;
    }
    check(&e, expr)
}

/// A typed parameter call with a literal default, `Int32(x, 1e5)` or `Date(d, default='…')`:
/// what the official rendering validates (`transform_type` of sql_template.py: in test mode an
/// undefined parameter takes its default when the default is truthy, and the type's tester
/// must accept `str(default)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypedDefault {
    /// The function called (`Int`, `Int32`, `DateTime`...).
    pub function: String,
    /// The parameter (the first argument, a plain name).
    pub param: String,
    /// The default as written: its range in the expression.
    pub literal: TextRange,
    pub value: DefaultValue,
}

/// A literal default, as Python holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefaultValue {
    /// An integer: `str()` is its decimal digits, after `-` when negative.
    Int { negative: bool, digits: String },
    /// A float (its `str()` always holds `.`, `e`, `inf` or `nan`); `zero` when it is 0.0.
    Float { zero: bool },
    /// A string without escapes.
    Str(String),
    /// `True`.
    True,
}

/// The keyword arguments of the typed parameter functions (`transform_type`'s `_f`).
const TYPED_KEYWORDS: &[&str] = &[
    "default",
    "defined",
    "required",
    "description",
    "enum",
    "example",
    "format",
];

/// `expr` read as one call whose first argument is a plain name and whose default (second
/// positional argument or `default=`) is a literal, when it is exactly that; `None` otherwise,
/// or when a part is not read with certainty (escapes, prefixes, `*args`, unknown keywords).
pub fn typed_default(expr: &str) -> Option<TypedDefault> {
    let toks = tokenize(expr)?;
    let text = |t: &Token| &expr[t.range.start..t.range.end];
    let is_op = |t: &Token, s: &str| t.kind == Tok::Op && text(t) == s;
    let first = toks.first()?;
    if first.kind != Tok::Name
        || !toks.get(1).is_some_and(|t| is_op(t, "("))
        || !toks.last().is_some_and(|t| is_op(t, ")"))
        || toks.len() < 3
    {
        return None;
    }
    // The arguments: token slices between depth-0 commas.
    let body = &toks[2..toks.len() - 1];
    let mut args: Vec<&[Token]> = vec![];
    let (mut depth, mut from) = (0i32, 0);
    for (i, t) in body.iter().enumerate() {
        if t.kind != Tok::Op {
            continue;
        }
        match text(t) {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => {
                depth -= 1;
                if depth < 0 {
                    return None; // the call closes before the end
                }
            }
            "," if depth == 0 => {
                args.push(&body[from..i]);
                from = i + 1;
            }
            "*" | "**" if depth == 0 => return None,
            _ => {}
        }
    }
    if depth != 0 {
        return None;
    }
    if from < body.len() {
        args.push(&body[from..]);
    }
    let mut positional: Vec<&[Token]> = vec![];
    let mut keyword_default = None;
    for a in args {
        match a {
            [] => return None,
            [k, eq, value @ ..] if k.kind == Tok::Name && is_op(eq, "=") => {
                if !TYPED_KEYWORDS.contains(&text(k)) || value.is_empty() {
                    return None;
                }
                if text(k) == "default" {
                    keyword_default = Some(value);
                }
            }
            _ if keyword_default.is_none() => positional.push(a),
            _ => return None, // a positional argument after a keyword one: a SyntaxError
        }
    }
    let param = match positional.first()? {
        [t] if t.kind == Tok::Name
            && !KEYWORDS.contains(&text(t))
            && !matches!(text(t), "True" | "False" | "None") =>
        {
            text(t)
        }
        _ => return None,
    };
    let default = match (positional.get(1), keyword_default) {
        (Some(d), None) => *d,
        (None, Some(d)) => d,
        _ => return None, // no default, or two of them (a TypeError)
    };
    let literal = TextRange::new(default.first()?.range.start, default.last()?.range.end);
    let value = match default {
        [t] if t.kind == Tok::Name && text(t) == "True" => DefaultValue::True,
        [t] if t.kind
            == (Tok::Str {
                bytes: false,
                fields: false,
            }) =>
        {
            let raw = text(t);
            let q = raw.chars().next()?;
            let triple = raw.len() >= 6 && raw[1..].starts_with(q) && raw[2..].starts_with(q);
            if !matches!(q, '\'' | '"') || raw.contains('\\') || raw.len() < 2 || triple {
                return None;
            }
            DefaultValue::Str(raw[1..raw.len() - 1].to_string())
        }
        [t] if t.kind == (Tok::Number { complex: false }) => number(text(t), false)?,
        [sign, t]
            if sign.kind == Tok::Op
                && matches!(text(sign), "-" | "+")
                && t.kind == (Tok::Number { complex: false }) =>
        {
            number(text(t), text(sign) == "-")?
        }
        _ => return None,
    };
    Some(TypedDefault {
        function: text(first).to_string(),
        param: param.to_string(),
        literal,
        value,
    })
}

/// A Python number literal's value (integers exactly while they fit 128 bits).
fn number(lit: &str, negative: bool) -> Option<DefaultValue> {
    let t = lit.to_ascii_lowercase();
    let radix = match t.get(..2) {
        Some("0x") => 16,
        Some("0o") => 8,
        Some("0b") => 2,
        _ => 10,
    };
    if radix == 10 && (t.contains('.') || t.contains('e')) {
        let mantissa = t.split('e').next().unwrap_or("");
        let zero = mantissa.chars().all(|c| matches!(c, '0' | '.' | '_'));
        return Some(DefaultValue::Float { zero });
    }
    let digits: String = t[if radix == 10 { 0 } else { 2 }..]
        .chars()
        .filter(|c| *c != '_')
        .collect();
    let v = u128::from_str_radix(&digits, radix).ok()?;
    Some(DefaultValue::Int {
        negative: negative && v != 0,
        digits: v.to_string(),
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Name,
    Number { complex: bool },
    Str { bytes: bool, fields: bool },
    Op,
}

#[derive(Clone, Copy, Debug)]
struct Token {
    kind: Tok,
    range: TextRange,
}

fn tokenize(s: &str) -> Option<Vec<Token>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() || (c == b'\\' && b.get(i + 1) == Some(&b'\n')) {
            i += 1;
            continue;
        }
        if c == b'#' {
            return None; // a comment in a template expression: leave it to the official parser
        }
        if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
                i += 1;
            }
            let word = &s[start..i];
            let prefix = word.to_ascii_lowercase();
            let is_prefix = matches!(
                prefix.as_str(),
                "r" | "u" | "b" | "f" | "br" | "rb" | "fr" | "rf"
            );
            if is_prefix && matches!(b.get(i), Some(b'\'' | b'"')) {
                let end = string_end(b, i)?;
                let fields = prefix.contains('f') && has_fields(&s[i..end]);
                out.push(Token {
                    kind: Tok::Str {
                        bytes: prefix.contains('b'),
                        fields,
                    },
                    range: TextRange::new(start, end),
                });
                i = end;
                continue;
            }
            out.push(Token {
                kind: Tok::Name,
                range: TextRange::new(start, i),
            });
            continue;
        }
        if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            while i < b.len()
                && (b[i].is_ascii_alphanumeric()
                    || b[i] == b'_'
                    || b[i] == b'.'
                    || ((b[i] == b'+' || b[i] == b'-') && matches!(b[i - 1], b'e' | b'E')))
            {
                i += 1;
            }
            let text = s[start..i].to_ascii_lowercase();
            let hex = text.starts_with("0x") || text.starts_with("0o") || text.starts_with("0b");
            out.push(Token {
                kind: Tok::Number {
                    complex: !hex && text.ends_with('j'),
                },
                range: TextRange::new(start, i),
            });
            continue;
        }
        if c == b'\'' || c == b'"' {
            let end = string_end(b, i)?;
            out.push(Token {
                kind: Tok::Str {
                    bytes: false,
                    fields: false,
                },
                range: TextRange::new(start, end),
            });
            i = end;
            continue;
        }
        const OPS: &[&str] = &[
            "**=", "//=", ">>=", "<<=", "...", "->", ":=", "**", "//", "<<", ">>", "<=", ">=",
            "==", "!=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=", "+", "-", "*", "/",
            "%", "@", "&", "|", "^", "~", "<", ">", "(", ")", "[", "]", "{", "}", ",", ":", ".",
            ";", "=",
        ];
        let op = OPS.iter().find(|o| s[i..].starts_with(**o))?;
        i += op.len();
        out.push(Token {
            kind: Tok::Op,
            range: TextRange::new(start, i),
        });
    }
    Some(out)
}

/// The end of the string literal whose quote is at `q`.
fn string_end(b: &[u8], q: usize) -> Option<usize> {
    let quote = b[q];
    let triple = b.get(q + 1) == Some(&quote) && b.get(q + 2) == Some(&quote);
    let mut i = q + if triple { 3 } else { 1 };
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == quote {
            if !triple {
                return Some(i + 1);
            }
            if b.get(i + 1) == Some(&quote) && b.get(i + 2) == Some(&quote) {
                return Some(i + 3);
            }
        }
        if b[i] == b'\n' && !triple {
            return None;
        }
        i += 1;
    }
    None
}

/// Whether an f-string body has replacement fields (`{x}`, not `{{`).
fn has_fields(s: &str) -> bool {
    s.replace("{{", "").contains('{')
}

#[derive(Clone, Debug)]
enum Kind {
    Name,
    /// A constant: `ok` is false for the constants the allowlist rejects (bytes, complex,
    /// `...`).
    Constant {
        ok: bool,
    },
    Call {
        func: Box<Py>,
        args: Vec<Py>,
    },
    Attribute {
        value: Box<Py>,
        attr: TextRange,
    },
    Unary {
        op: &'static str,
        operand: Box<Py>,
    },
    Binary {
        op: &'static str,
        left: Box<Py>,
        right: Box<Py>,
    },
    Subscript {
        value: Box<Py>,
        slice: Box<Py>,
    },
    Slice(Vec<Py>),
    /// Tuple, list, set, or a dict's keys and values.
    Items(Vec<Py>),
    IfExp(Vec<Py>),
    /// Any other expression type, by its Python AST name.
    Other(&'static str),
}

#[derive(Clone, Debug)]
struct Py {
    kind: Kind,
    range: TextRange,
}

struct Parser<'s> {
    src: &'s str,
    toks: Vec<Token>,
    pos: usize,
    /// Something was read that this reader does not model exactly: no verdict.
    unsure: bool,
    /// Nesting of `expr` calls, bounded.
    depth: usize,
}

/// Expressions longer than this get no verdict: every tree the reader builds then stays small
/// enough for the recursive parse and check.
const MAX_TOKENS: usize = 400;

const KEYWORDS: &[&str] = &[
    "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif",
    "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda",
    "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
];

impl Parser<'_> {
    fn text(&self, i: usize) -> &str {
        self.toks
            .get(i)
            .map_or("", |t| &self.src[t.range.start..t.range.end])
    }
    fn at(&self, s: &str) -> bool {
        self.toks
            .get(self.pos)
            .is_some_and(|t| matches!(t.kind, Tok::Op | Tok::Name) && self.text(self.pos) == s)
    }
    fn eat(&mut self, s: &str) -> bool {
        let yes = self.at(s);
        if yes {
            self.pos += 1;
        }
        yes
    }
    fn start(&self) -> usize {
        self.toks
            .get(self.pos)
            .map_or(self.src.len(), |t| t.range.start)
    }
    fn end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .map_or(0, |t| t.range.end)
    }
    fn node(&self, kind: Kind, start: usize) -> Py {
        Py {
            kind,
            range: TextRange::new(start, self.end().max(start)),
        }
    }

    /// `a, b` (a tuple) or one expression.
    fn expr_list(&mut self) -> Option<Py> {
        let start = self.start();
        let first = self.starred_expr()?;
        if !self.at(",") {
            return Some(first);
        }
        let mut items = vec![first];
        while self.eat(",") {
            if self.at_end_of_list() {
                break;
            }
            items.push(self.starred_expr()?);
        }
        Some(self.node(Kind::Items(items), start))
    }

    fn at_end_of_list(&self) -> bool {
        self.pos >= self.toks.len() || self.at(")") || self.at("]") || self.at("}")
    }

    fn starred_expr(&mut self) -> Option<Py> {
        let start = self.start();
        if self.eat("*") {
            self.expr()?;
            return Some(self.node(Kind::Other("Starred"), start));
        }
        self.expr()
    }

    fn expr(&mut self) -> Option<Py> {
        if self.depth >= 40 {
            self.unsure = true;
            return None;
        }
        self.depth += 1;
        let e = self.expr_inner();
        self.depth -= 1;
        e
    }

    fn expr_inner(&mut self) -> Option<Py> {
        let start = self.start();
        if self.eat("lambda") {
            while !self.at(":") {
                if self.pos >= self.toks.len() {
                    return None;
                }
                self.pos += 1;
            }
            self.pos += 1;
            self.expr()?;
            return Some(self.node(Kind::Other("Lambda"), start));
        }
        if self.at("yield") || self.at("await") {
            self.unsure = true;
            return None;
        }
        let body = self.disjunction()?;
        if self.at(":=") {
            // Allowed only in parentheses, where the allowlist rejects it; at the top a
            // syntax error: either way not told apart here.
            self.unsure = true;
            return None;
        }
        if self.eat("if") {
            let test = self.disjunction()?;
            if !self.eat("else") {
                return None;
            }
            let orelse = self.expr()?;
            return Some(self.node(Kind::IfExp(vec![test, body, orelse]), start));
        }
        Some(body)
    }

    fn disjunction(&mut self) -> Option<Py> {
        let start = self.start();
        let first = self.conjunction()?;
        if !self.at("or") {
            return Some(first);
        }
        while self.eat("or") {
            self.conjunction()?;
        }
        Some(self.node(Kind::Other("BoolOp"), start))
    }

    fn conjunction(&mut self) -> Option<Py> {
        let start = self.start();
        let first = self.inversion()?;
        if !self.at("and") {
            return Some(first);
        }
        while self.eat("and") {
            self.inversion()?;
        }
        Some(self.node(Kind::Other("BoolOp"), start))
    }

    fn inversion(&mut self) -> Option<Py> {
        let start = self.start();
        if self.eat("not") {
            let operand = self.inversion()?;
            return Some(self.node(
                Kind::Unary {
                    op: "Not",
                    operand: Box::new(operand),
                },
                start,
            ));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Option<Py> {
        let start = self.start();
        let first = self.binary(0)?;
        let mut compared = false;
        loop {
            let op = self.text(self.pos).to_string();
            let is_op = self.toks.get(self.pos).is_some_and(|t| {
                matches!(t.kind, Tok::Op | Tok::Name)
                    && matches!(
                        op.as_str(),
                        "<" | ">" | "==" | ">=" | "<=" | "!=" | "in" | "is" | "not"
                    )
            });
            if !is_op {
                break;
            }
            self.pos += 1;
            if op == "not" && !self.eat("in") {
                return None;
            }
            if op == "is" {
                self.eat("not");
            }
            self.binary(0)?;
            compared = true;
        }
        Some(if compared {
            self.node(Kind::Other("Compare"), start)
        } else {
            first
        })
    }

    /// Binary operators by precedence level, lowest first.
    fn binary(&mut self, level: usize) -> Option<Py> {
        const LEVELS: &[&[(&str, &str)]] = &[
            &[("|", "BitOr")],
            &[("^", "BitXor")],
            &[("&", "BitAnd")],
            &[("<<", "LShift"), (">>", "RShift")],
            &[("+", "Add"), ("-", "Sub")],
            &[
                ("*", "Mult"),
                ("/", "Div"),
                ("//", "FloorDiv"),
                ("%", "Mod"),
                ("@", "MatMult"),
            ],
        ];
        if level == LEVELS.len() {
            return self.factor();
        }
        let start = self.start();
        let mut left = self.binary(level + 1)?;
        while let Some(&(_, name)) = LEVELS[level].iter().find(|(op, _)| {
            self.toks.get(self.pos).is_some_and(|t| t.kind == Tok::Op) && self.at(op)
        }) {
            self.pos += 1;
            let right = self.binary(level + 1)?;
            left = self.node(
                Kind::Binary {
                    op: name,
                    left: Box::new(left),
                    right: Box::new(right),
                },
                start,
            );
        }
        Some(left)
    }

    fn factor(&mut self) -> Option<Py> {
        let start = self.start();
        for (op, name) in [("-", "USub"), ("+", "UAdd"), ("~", "Invert")] {
            if self.toks.get(self.pos).is_some_and(|t| t.kind == Tok::Op) && self.eat(op) {
                let operand = self.factor()?;
                return Some(self.node(
                    Kind::Unary {
                        op: name,
                        operand: Box::new(operand),
                    },
                    start,
                ));
            }
        }
        let base = self.primary()?;
        if self.eat("**") {
            let exp = self.factor()?;
            return Some(self.node(
                Kind::Binary {
                    op: "Pow",
                    left: Box::new(base),
                    right: Box::new(exp),
                },
                start,
            ));
        }
        Some(base)
    }

    fn primary(&mut self) -> Option<Py> {
        let start = self.start();
        let mut e = self.atom()?;
        loop {
            if self.eat("(") {
                let args = self.call_args()?;
                e = self.node(
                    Kind::Call {
                        func: Box::new(e),
                        args,
                    },
                    start,
                );
            } else if self.eat("[") {
                let slice = self.slices()?;
                if !self.eat("]") {
                    return None;
                }
                e = self.node(
                    Kind::Subscript {
                        value: Box::new(e),
                        slice: Box::new(slice),
                    },
                    start,
                );
            } else if self.eat(".") {
                let t = *self.toks.get(self.pos)?;
                if t.kind != Tok::Name {
                    return None;
                }
                self.pos += 1;
                e = self.node(
                    Kind::Attribute {
                        value: Box::new(e),
                        attr: t.range,
                    },
                    start,
                );
            } else {
                return Some(e);
            }
        }
    }

    /// Positional arguments (checked) after `(`, through `)`; keyword arguments are skipped
    /// (the Classic CLI does not check them).
    fn call_args(&mut self) -> Option<Vec<Py>> {
        let mut args = Vec::new();
        while !self.eat(")") {
            let start = self.start();
            if self.eat("**") {
                self.expr()?;
            } else if self.toks.get(self.pos).is_some_and(|t| t.kind == Tok::Name)
                && self.text(self.pos + 1) == "="
            {
                self.pos += 2;
                self.expr()?;
            } else if self.eat("*") {
                self.expr()?;
                args.push(self.node(Kind::Other("Starred"), start));
            } else {
                let a = self.expr()?;
                if self.at("for") || self.at("async") {
                    return None; // a generator argument
                }
                args.push(a);
            }
            if !self.eat(",") {
                if !self.eat(")") {
                    return None;
                }
                break;
            }
        }
        Some(args)
    }

    fn slices(&mut self) -> Option<Py> {
        let start = self.start();
        let first = self.slice()?;
        if !self.at(",") {
            return Some(first);
        }
        let mut items = vec![first];
        while self.eat(",") {
            if self.at("]") {
                break;
            }
            items.push(self.slice()?);
        }
        Some(self.node(Kind::Items(items), start))
    }

    fn slice(&mut self) -> Option<Py> {
        let start = self.start();
        let mut parts = Vec::new();
        if !self.at(":") {
            let e = self.expr()?;
            if !self.at(":") {
                return Some(e);
            }
            parts.push(e);
        }
        while self.eat(":") {
            if !self.at(":") && !self.at("]") && !self.at(",") {
                parts.push(self.expr()?);
            }
        }
        Some(self.node(Kind::Slice(parts), start))
    }

    fn atom(&mut self) -> Option<Py> {
        let start = self.start();
        let t = *self.toks.get(self.pos)?;
        match t.kind {
            Tok::Name => {
                let word = self.text(self.pos);
                if matches!(word, "True" | "False" | "None") {
                    self.pos += 1;
                    return Some(self.node(Kind::Constant { ok: true }, start));
                }
                if KEYWORDS.contains(&word) {
                    return None; // a keyword where a value goes: a syntax error, not ours
                }
                self.pos += 1;
                Some(self.node(Kind::Name, start))
            }
            Tok::Number { complex } => {
                self.pos += 1;
                Some(self.node(Kind::Constant { ok: !complex }, start))
            }
            Tok::Str { .. } => {
                let (mut bytes, mut text, mut fields) = (false, false, false);
                while let Some(Tok::Str {
                    bytes: b,
                    fields: f,
                }) = self.toks.get(self.pos).map(|t| t.kind)
                {
                    bytes |= b;
                    text |= !b;
                    fields |= f;
                    self.pos += 1;
                }
                if fields || (bytes && text) {
                    // Fields are checked one by one by the official parser; mixing bytes and
                    // text is a syntax error.
                    self.unsure = true;
                }
                Some(self.node(Kind::Constant { ok: !bytes }, start))
            }
            Tok::Op => {
                let op = self.text(self.pos).to_string();
                self.pos += 1;
                match op.as_str() {
                    "..." => Some(self.node(Kind::Constant { ok: false }, start)),
                    "(" => {
                        if self.eat(")") {
                            return Some(self.node(Kind::Items(vec![]), start));
                        }
                        if self.text(self.pos + 1) == ":=" {
                            self.pos += 2;
                            self.expr()?;
                            if !self.eat(")") {
                                return None;
                            }
                            return Some(self.node(Kind::Other("NamedExpr"), start));
                        }
                        let inner = self.expr_list()?;
                        if self.at("for") || self.at("async") {
                            self.skip_to_close(")")?;
                            return Some(self.node(Kind::Other("GeneratorExp"), start));
                        }
                        if !self.eat(")") {
                            return None;
                        }
                        // Parentheses do not make a node (its range stays the inner one's).
                        Some(inner)
                    }
                    "[" => {
                        let items = self.items("]", "ListComp")?;
                        Some(self.node(items, start))
                    }
                    "{" => {
                        let items = self.items("}", "SetComp")?;
                        Some(self.node(items, start))
                    }
                    _ => None,
                }
            }
        }
    }

    /// The items of a list, set or dict through `close`; a comprehension is `comp`.
    fn items(&mut self, close: &str, comp: &'static str) -> Option<Kind> {
        let mut items = Vec::new();
        while !self.eat(close) {
            if self.eat("**") {
                self.unsure = true;
                self.binary(0)?;
            } else {
                items.push(self.starred_expr()?);
                if self.eat(":") {
                    items.push(self.expr()?);
                }
            }
            if self.at("for") || self.at("async") {
                self.skip_to_close(close)?;
                return Some(Kind::Other(comp));
            }
            if !self.eat(",") {
                if !self.eat(close) {
                    return None;
                }
                break;
            }
        }
        Some(Kind::Items(items))
    }

    /// Skips a comprehension's clauses through the closing bracket.
    fn skip_to_close(&mut self, close: &str) -> Option<()> {
        let mut depth = 0usize;
        while let Some(t) = self.toks.get(self.pos) {
            let s = &self.src[t.range.start..t.range.end];
            if t.kind == Tok::Op {
                match s {
                    "(" | "[" | "{" => depth += 1,
                    ")" | "]" | "}" if depth > 0 => depth -= 1,
                    _ if depth == 0 && s == close => {
                        self.pos += 1;
                        return Some(());
                    }
                    ")" | "]" | "}" => return None,
                    _ => {}
                }
            }
            self.pos += 1;
        }
        None
    }
}

/// `check_valid_expr`: the first part of `e` the allowlist rejects.
fn check(e: &Py, src: &str) -> Option<Rejection> {
    let text = |r: TextRange| src[r.start..r.end].to_string();
    let reject = |message: String, range: TextRange| Rejection {
        message,
        range,
        name: None,
    };
    match &e.kind {
        Kind::Name => None,
        Kind::Constant { ok: true } => None,
        Kind::Constant { ok: false } => Some(reject("Invalid Constant".into(), e.range)),
        Kind::Call { func, args } => {
            match &func.kind {
                Kind::Name => {
                    let name = text(func.range);
                    if !TEMPLATE_FUNCTIONS.contains(&name.as_str()) {
                        return Some(Rejection {
                            message: format!("Invalid function name: {name}"),
                            range: func.range,
                            name: Some(name),
                        });
                    }
                }
                Kind::Call { .. } => {
                    if let Some(r) = check(func, src) {
                        return Some(r);
                    }
                }
                Kind::Attribute { value, attr } => {
                    let name = text(*attr);
                    if !TEMPLATE_METHODS.contains(&name.as_str()) {
                        return Some(Rejection {
                            message: format!("Invalid method name: {name}"),
                            range: *attr,
                            name: Some(name),
                        });
                    }
                    if let Some(r) = check(value, src) {
                        return Some(r);
                    }
                }
                _ => return Some(reject("Invalid function".into(), func.range)),
            }
            args.iter().find_map(|a| check(a, src))
        }
        Kind::Unary { op, operand } => {
            if !matches!(*op, "USub" | "Not") {
                return Some(reject(format!("Invalid UnaryOp: {op}()"), e.range));
            }
            check(operand, src)
        }
        Kind::Binary { op, left, right } => {
            if !matches!(*op, "Add" | "Mult" | "Sub") {
                return Some(reject(format!("Invalid BinOp: {op}()"), e.range));
            }
            check(left, src).or_else(|| check(right, src))
        }
        Kind::Subscript { value, slice } => {
            if let Some(r) = check(value, src) {
                return Some(r);
            }
            match &slice.kind {
                Kind::Slice(parts) => parts.iter().find_map(|p| check(p, src)),
                Kind::Constant { .. } | Kind::Subscript { .. } => check(slice, src),
                _ => Some(reject("Invalid Slice expression".into(), slice.range)),
            }
        }
        // A slice outside a subscript does not parse in Python.
        Kind::Slice(_) => None,
        Kind::Items(items) | Kind::IfExp(items) => items.iter().find_map(|i| check(i, src)),
        Kind::Attribute { .. } => {
            Some(reject("Invalid expression type: Attribute".into(), e.range))
        }
        Kind::Other(what) => Some(reject(format!("Invalid expression type: {what}"), e.range)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(s: &str) -> Option<String> {
        rejection(s).map(|r| format!("{} @{}", r.message, &s[r.range.start..r.range.end]))
    }

    #[test]
    fn the_allowlist_of_the_official_parsers() {
        assert_eq!(verdict("DateTime(start, '2020-01-01')"), None);
        assert_eq!(
            verdict("DateTme(start, '2020-01-01')").as_deref(),
            Some("Invalid function name: DateTme @DateTme")
        );
        assert_eq!(verdict("columns(cols, 'a,b')"), None);
        assert_eq!(verdict("x.split(',')[0]"), None);
        assert_eq!(
            verdict("x.upper()").as_deref(),
            Some("Invalid method name: upper @upper")
        );
        assert_eq!(
            verdict("a > 1").as_deref(),
            Some("Invalid expression type: Compare @a > 1")
        );
        assert_eq!(
            verdict("'x' if defined(a) and b else 'y'").as_deref(),
            Some("Invalid expression type: BoolOp @defined(a) and b")
        );
        assert_eq!(verdict("'x' if defined(a) else 'y'"), None);
        assert_eq!(
            verdict("Int(a) / 2").as_deref(),
            Some("Invalid BinOp: Div() @Int(a) / 2")
        );
        assert_eq!(verdict("-Int(a) * 2 + 1"), None);
        assert_eq!(
            verdict("a[b]").as_deref(),
            Some("Invalid Slice expression @b")
        );
        assert_eq!(verdict("a[0]"), None);
        assert_eq!(verdict("a[1:2]"), None);
        assert_eq!(verdict("f'{a}'"), None, "fields: no verdict");
        assert_eq!(verdict("Int(x, 1, description=a > 1)"), None);
        assert_eq!(
            verdict("[x for x in y]").as_deref(),
            Some("Invalid expression type: ListComp @[x for x in y]")
        );
        assert_eq!(
            verdict("a.b").as_deref(),
            Some("Invalid expression type: Attribute @a.b")
        );
        assert_eq!(verdict("from"), None, "keywords: another check");
        // Deep or long input: no verdict, and no deep recursion.
        let deep = format!("{}x{}", "(".repeat(100_000), ")".repeat(100_000));
        assert_eq!(verdict(&deep), None);
        assert_eq!(verdict(&format!("x{}", " + x".repeat(100_000))), None);
        assert_eq!(
            verdict(&format!("{}x{}", "Int(".repeat(30), ")".repeat(30))),
            None
        );
    }
}
