//! Tornado templates in node SQL (datafile-spec §7), for analysis: the template is read into a
//! tree of text, `{{ … }}` expressions and `{% if %}` chains, then rendered into plain SQL
//! *variants* with a map back to the template text.
//!
//! The first variant renders the branches the official CLI takes when it checks a file (test
//! mode: `defined(x)` is false, an undefined parameter is a truthy placeholder). Each further
//! variant takes one other branch of one `{% if %}` chain, so that every branch is parsed in a
//! variant where it is coherent SQL; the number of variants grows with the number of branches,
//! not with their product.

use crate::text::TextRange;

/// `{% if %}`/`{% for %}` nesting deeper than this is not modelled.
const MAX_NESTING: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Text(TextRange),
    /// `{{ expr }}`: `range` is the whole tag, `inner` the expression.
    Expr {
        range: TextRange,
        inner: TextRange,
    },
    If(IfChain),
    /// `{% for %}`, `{% while %}`, `{% try %}`: the body is rendered once.
    Loop {
        tag: TextRange,
        body: Vec<Piece>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IfChain {
    /// Index in [`Template::chains`].
    pub id: usize,
    pub branches: Vec<Branch>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Branch {
    /// The `{% if … %}`, `{% elif … %}` or `{% else %}` tag.
    pub tag: TextRange,
    /// The condition (`None` for `else`).
    pub condition: Option<String>,
    pub body: Vec<Piece>,
}

/// Where a fact of a variant comes from: the innermost template branch holding it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BranchInfo {
    /// `if defined(x)`, `elif x == 'a'`, `else` (of the chain's `if …`).
    pub label: String,
    pub tag: TextRange,
    /// Whether the official CLI renders this branch when it checks the file.
    pub taken_by_official: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Template {
    pub pieces: Vec<Piece>,
    /// Per chain: its parent chain and branch (for nested chains), and its branch infos.
    chains: Vec<ChainInfo>,
}

#[derive(Clone, Debug)]
struct ChainInfo {
    parent: Option<(usize, usize)>,
    branches: Vec<(TextRange, BranchInfo)>,
    /// Each branch's condition, white space folded (`None` for `else`).
    conditions: Vec<Option<String>>,
    /// The branch test mode takes (`None`: no branch, the chain renders nothing).
    official: Option<usize>,
}

/// One rendering of the template: SQL text and a map from it back to the template text.
#[derive(Clone, Debug, Default)]
pub struct Rendered {
    pub text: String,
    segments: Vec<MapSegment>,
}

#[derive(Clone, Copy, Debug)]
struct MapSegment {
    out_start: usize,
    out_len: usize,
    src: TextRange,
    /// Copied text maps byte for byte; an expression's output maps to its whole tag.
    exact: bool,
}

impl Rendered {
    /// Plain SQL: one variant, mapped byte for byte.
    pub fn plain(text: &str, src_start: usize) -> Rendered {
        Rendered {
            text: text.to_string(),
            segments: vec![MapSegment {
                out_start: 0,
                out_len: text.len(),
                src: TextRange::new(src_start, src_start + text.len()),
                exact: true,
            }],
        }
    }

    fn segment_at(&self, offset: usize, prefer_left: bool) -> Option<&MapSegment> {
        let i = self
            .segments
            .partition_point(|s| s.out_start + s.out_len < offset + usize::from(!prefer_left));
        self.segments
            .get(i)
            .or_else(|| self.segments.last())
            .filter(|s| !self.segments.is_empty() && (s.out_start <= offset || i == 0))
    }

    /// Maps a range of the rendered text to the template text.
    pub fn to_source(&self, r: TextRange) -> TextRange {
        let start = match self.segment_at(r.start, false) {
            Some(s) if s.exact => {
                s.src.start + r.start.saturating_sub(s.out_start).min(s.src.len())
            }
            Some(s) => s.src.start,
            None => r.start,
        };
        let end = if r.is_empty() {
            start
        } else {
            match self.segment_at(r.end, true) {
                Some(s) if s.exact => {
                    s.src.start + r.end.saturating_sub(s.out_start).min(s.src.len())
                }
                Some(s) => s.src.end,
                None => r.end,
            }
        };
        TextRange::new(start, end.max(start))
    }

    /// Whether the rendered range comes from a `{{ … }}` expression rather than written text.
    pub fn from_expression(&self, r: TextRange) -> bool {
        self.segment_at(r.start, false).is_some_and(|s| !s.exact)
    }

    /// Whether any part of the rendered range comes from a `{{ … }}` expression (`'{{ x }}'`).
    pub fn touches_expression(&self, r: TextRange) -> bool {
        self.segments
            .iter()
            .any(|s| !s.exact && s.out_start < r.end && r.start < s.out_start + s.out_len)
    }

    fn push_copy(&mut self, src_text: &str, src: TextRange) {
        if src.is_empty() {
            return;
        }
        self.segments.push(MapSegment {
            out_start: self.text.len(),
            out_len: src.len(),
            src,
            exact: true,
        });
        self.text.push_str(&src_text[src.start..src.end]);
    }

    fn push_generated(&mut self, out: &str, src: TextRange) {
        self.segments.push(MapSegment {
            out_start: self.text.len(),
            out_len: out.len(),
            src,
            exact: false,
        });
        self.text.push_str(out);
    }
}

impl Template {
    /// Reads the template `text[start..]` (the SQL after its leading `%`). Never fails: an
    /// unclosed block ends at the end of the text, a stray `{% end %}` is ignored.
    pub fn parse(text: &str, start: usize) -> Template {
        let tags = lex(text, start);
        let mut t = Template::default();
        let mut pos = 0;
        let end = text.len();
        t.pieces = t.parse_pieces((text, &tags), &mut pos, end, None, start, 0);
        t
    }

    fn parse_pieces(
        &mut self,
        (text, tags): (&str, &[Tag]),
        pos: &mut usize,
        end: usize,
        parent: Option<(usize, usize)>,
        mut cursor: usize,
        depth: usize,
    ) -> Vec<Piece> {
        let mut out = Vec::new();
        while *pos < tags.len() {
            let tag = &tags[*pos];
            if tag.range.start > cursor {
                out.push(Piece::Text(TextRange::new(cursor, tag.range.start)));
            }
            match &tag.kind {
                TagKind::Expr => {
                    out.push(Piece::Expr {
                        range: tag.range,
                        inner: tag.inner,
                    });
                    *pos += 1;
                }
                TagKind::Escaped => {
                    // `{{!` renders as `{{`: keep the two characters, drop the `!`.
                    out.push(Piece::Text(TextRange::new(
                        tag.range.start,
                        tag.range.start + 2,
                    )));
                    cursor = tag.range.start + 3;
                    *pos += 1;
                    continue;
                }
                TagKind::Nothing => *pos += 1,
                // Blocks nested deeper than this are read as text, so that no input is too deep.
                TagKind::Block(_) if depth >= MAX_NESTING => *pos += 1,
                TagKind::Block(word) => match word.as_str() {
                    "if" => out.push(Piece::If(self.parse_if(
                        (text, tags),
                        pos,
                        end,
                        parent,
                        depth,
                    ))),
                    "for" | "while" | "try" => {
                        let tag_range = tag.range;
                        *pos += 1;
                        let body = self.parse_pieces(
                            (text, tags),
                            pos,
                            end,
                            parent,
                            tag_range.end,
                            depth + 1,
                        );
                        out.push(Piece::Loop {
                            tag: tag_range,
                            body,
                        });
                        // parse_pieces stopped at the closing `end` (or the end of text).
                        if *pos < tags.len() {
                            *pos += 1;
                        }
                    }
                    "except" | "finally" => {
                        // The rest of a try block: not rendered when the body succeeds; skip
                        // it up to the `end` that closes the try.
                        *pos += 1;
                        let after = tags[*pos - 1].range.end;
                        let _ = self.parse_pieces((text, tags), pos, end, parent, after, depth + 1);
                        return out;
                    }
                    "end" | "elif" | "else" => return out,
                    _ => *pos += 1,
                },
            }
            cursor = tags[*pos - 1].range.end.max(cursor);
        }
        if end > cursor {
            out.push(Piece::Text(TextRange::new(cursor, end)));
        }
        out
    }

    fn parse_if(
        &mut self,
        (text, tags): (&str, &[Tag]),
        pos: &mut usize,
        end: usize,
        parent: Option<(usize, usize)>,
        depth: usize,
    ) -> IfChain {
        let id = self.chains.len();
        self.chains.push(ChainInfo {
            parent,
            branches: vec![],
            conditions: vec![],
            official: None,
        });
        let mut branches = Vec::new();
        let mut first_condition = String::new();
        loop {
            let tag = &tags[*pos];
            let (word, condition) = match &tag.kind {
                TagKind::Block(w) => (w.clone(), tag.condition(text)),
                _ => unreachable!("parse_if starts at a block tag"),
            };
            let tag_range = tag.range;
            *pos += 1;
            let body = self.parse_pieces(
                (text, tags),
                pos,
                end,
                Some((id, branches.len())),
                tag_range.end,
                depth + 1,
            );
            let body_end = tags.get(*pos).map_or(end, |t| t.range.start);
            let condition = if word == "else" {
                None
            } else {
                Some(condition)
            };
            let label = match (&condition, word.as_str()) {
                (Some(c), "if") => {
                    first_condition = c.clone();
                    format!("if {c}")
                }
                (Some(c), _) => format!("elif {c} (of `if {first_condition}`)"),
                (None, _) => format!("else (of `if {first_condition}`)"),
            };
            self.chains[id].conditions.push(
                condition
                    .as_deref()
                    .map(|c| c.split_whitespace().collect::<Vec<_>>().join(" ")),
            );
            self.chains[id].branches.push((
                TextRange::new(tag_range.end, body_end),
                BranchInfo {
                    label,
                    tag: tag_range,
                    taken_by_official: false,
                },
            ));
            branches.push(Branch {
                tag: tag_range,
                condition,
                body,
            });
            match tags.get(*pos).map(|t| &t.kind) {
                Some(TagKind::Block(w)) if w == "elif" || w == "else" => continue,
                Some(TagKind::Block(w)) if w == "end" => {
                    *pos += 1;
                    break;
                }
                _ => break,
            }
        }
        let official = branches
            .iter()
            .position(|b| b.condition.as_deref().is_none_or(eval_test_mode));
        self.chains[id].official = official;
        IfChain { id, branches }
    }

    /// The choices of the official (test mode) rendering.
    pub fn official_choices(&self) -> Vec<Option<usize>> {
        self.chains.iter().map(|c| c.official).collect()
    }

    /// How many renderings [`Template::variants`] makes with no limit: the official one, and
    /// one per branch it does not take.
    pub fn variant_count(&self) -> usize {
        let official = self.official_choices();
        1 + self
            .chains
            .iter()
            .enumerate()
            .map(|(id, c)| c.branches.len() - usize::from(official[id].is_some()))
            .sum::<usize>()
    }

    /// The official rendering, then one variant per branch it does not take (at most `limit`
    /// variants in all).
    pub fn variants(&self, text: &str, limit: usize) -> Vec<Rendered> {
        let official = self.official_choices();
        let mut out = vec![self.render(text, &official)];
        'chains: for (id, chain) in self.chains.iter().enumerate() {
            for k in 0..chain.branches.len() {
                if official[id] == Some(k) {
                    continue;
                }
                if out.len() >= limit {
                    break 'chains;
                }
                let mut choices = official.clone();
                choices[id] = Some(k);
                self.agree(id, k, &mut choices);
                // Make the branch reachable: its enclosing branches are taken.
                let mut up = chain.parent;
                while let Some((p, b)) = up {
                    choices[p] = Some(b);
                    up = self.chains[p].parent;
                }
                out.push(self.render(text, &choices));
            }
        }
        out
    }

    /// Taking branch `k` of chain `id` makes its condition true and the conditions before it
    /// false: every other chain testing the same conditions takes the branch they decide
    /// (`{% if defined(x) %}WITH c AS (…){% end %} … {% if defined(x) %}FROM c{% end %}`
    /// renders both or neither). A chain with a condition not decided keeps its choice.
    fn agree(&self, id: usize, k: usize, choices: &mut [Option<usize>]) {
        let conds = &self.chains[id].conditions;
        let truth = |c: &str| -> Option<bool> {
            if conds.get(k).and_then(|x| x.as_deref()) == Some(c) {
                return Some(true);
            }
            conds[..k.min(conds.len())]
                .iter()
                .any(|x| x.as_deref() == Some(c))
                .then_some(false)
        };
        for (j, other) in self.chains.iter().enumerate() {
            if j == id {
                continue;
            }
            let mut decided = None;
            let mut known = true;
            for (b, c) in other.conditions.iter().enumerate() {
                match c.as_deref().map(truth) {
                    None => {
                        decided = Some(b);
                        break;
                    }
                    Some(Some(true)) => {
                        decided = Some(b);
                        break;
                    }
                    Some(Some(false)) => continue,
                    Some(None) => {
                        known = false;
                        break;
                    }
                }
            }
            let touches = other
                .conditions
                .iter()
                .flatten()
                .any(|c| truth(c).is_some());
            if known && touches {
                choices[j] = decided;
            }
        }
    }

    pub fn render(&self, text: &str, choices: &[Option<usize>]) -> Rendered {
        let mut r = Rendered::default();
        render_pieces(&self.pieces, text, choices, &mut r);
        r
    }

    /// The template of node SQL (`None` when the SQL is not a template).
    pub fn of_sql(sql: &str) -> Option<Template> {
        sql.trim_start()
            .starts_with('%')
            .then(|| Template::parse(sql, sql.find('%').map_or(0, |i| i + 1)))
    }

    /// Whether text inserted at `at` would land inside an `{% if %}` branch (at its edges too).
    pub fn inside_branch(&self, at: usize) -> bool {
        self.branch_at(at).is_some() || (at > 0 && self.branch_at(at - 1).is_some())
    }

    /// The innermost branch holding template offset `offset`, if any.
    pub fn branch_at(&self, offset: usize) -> Option<BranchInfo> {
        let mut best: Option<(usize, usize, &TextRange)> = None;
        for (id, c) in self.chains.iter().enumerate() {
            for (k, (body, _)) in c.branches.iter().enumerate() {
                if body.contains(offset) && best.is_none_or(|(_, _, b)| body.len() <= b.len()) {
                    best = Some((id, k, body));
                }
            }
        }
        let (id, k, _) = best?;
        let mut info = self.chains[id].branches[k].1.clone();
        // Taken by the official rendering when this branch and all enclosing ones are.
        let mut taken = self.chains[id].official == Some(k);
        let mut up = self.chains[id].parent;
        while let Some((p, b)) = up {
            taken &= self.chains[p].official == Some(b);
            up = self.chains[p].parent;
        }
        info.taken_by_official = taken;
        Some(info)
    }

    /// Literal first arguments of every `{{ table('x') }}` / `TABLE('x')` in all branches
    /// (datafile-spec §9.1 step 4), with the range of the literal.
    pub fn table_calls(&self, text: &str) -> Vec<(String, TextRange)> {
        let mut out = Vec::new();
        collect_exprs(&self.pieces, &mut |inner| {
            let src = &text[inner.start..inner.end];
            let lead = src.len() - src.trim_start().len();
            let s = src.trim();
            if let Some(call) = parse_call(s) {
                if call.name == "table" || call.name == "TABLE" {
                    if let Some(Arg::Str(name, r)) = call.args.first() {
                        let base = inner.start + lead;
                        out.push((name.clone(), TextRange::new(base + r.start, base + r.end)));
                    }
                }
            }
        });
        out
    }
}

fn collect_exprs(pieces: &[Piece], f: &mut dyn FnMut(TextRange)) {
    for p in pieces {
        match p {
            Piece::Expr { inner, .. } => f(*inner),
            Piece::If(c) => c.branches.iter().for_each(|b| collect_exprs(&b.body, f)),
            Piece::Loop { body, .. } => collect_exprs(body, f),
            Piece::Text(_) => {}
        }
    }
}

fn render_pieces(pieces: &[Piece], text: &str, choices: &[Option<usize>], r: &mut Rendered) {
    for p in pieces {
        match p {
            Piece::Text(range) => r.push_copy(text, *range),
            Piece::Expr { range, inner } => {
                let out = render_expression(text[inner.start..inner.end].trim());
                r.push_generated(&out, *range);
            }
            Piece::If(chain) => {
                if let Some(Some(k)) = choices.get(chain.id) {
                    if let Some(b) = chain.branches.get(*k) {
                        render_pieces(&b.body, text, choices, r);
                    }
                }
            }
            Piece::Loop { body, .. } => render_pieces(body, text, choices, r),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tags

#[derive(Clone, Debug)]
enum TagKind {
    Expr,
    /// `{{!`, `{%!`, `{#!`: literal text.
    Escaped,
    /// `{% word … %}`.
    Block(String),
    /// Comments, `{% set %}` and other tags that render nothing.
    Nothing,
}

#[derive(Clone, Debug)]
struct Tag {
    kind: TagKind,
    range: TextRange,
    inner: TextRange,
}

impl Tag {
    fn condition(&self, text: &str) -> String {
        let inner = text[self.inner.start..self.inner.end].trim();
        let word_len = inner
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(inner.len());
        inner[word_len..].trim().to_string()
    }
}

/// The tags of `text[start..]` (scanned by [`crate::template::tags`]), classified.
fn lex(text: &str, start: usize) -> Vec<Tag> {
    crate::template::tags(&text[start..])
        .into_iter()
        .map(|(range, k, inner)| {
            let range = range.shift(start);
            let inner_start = range.start + 2;
            let inner = TextRange::new(inner_start, inner_start + inner.len());
            let body = &text[inner.start..inner.end];
            let kind = if body.starts_with('!') {
                // `{{!`, `{%!`, `{#!`: the tag is literal text (without the `!`).
                TagKind::Escaped
            } else {
                match k {
                    '{' => TagKind::Expr,
                    '#' => TagKind::Nothing,
                    _ => {
                        let word: String = body
                            .trim()
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        match word.as_str() {
                            "if" | "elif" | "else" | "end" | "for" | "while" | "try" | "except"
                            | "finally" => TagKind::Block(word),
                            _ => TagKind::Nothing,
                        }
                    }
                }
            };
            Tag { kind, range, inner }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Test-mode evaluation (sql_template.py `render_sql_template(test_mode=True)`)

/// A `{% if %}` condition in test mode: `defined(x)` is false, parameters are truthy
/// placeholders that equal nothing. What cannot be told counts as true.
pub fn eval_test_mode(cond: &str) -> bool {
    let toks = py_tokens(cond);
    let mut p = 0;
    eval_or(&toks, &mut p)
}

fn eval_or(t: &[String], p: &mut usize) -> bool {
    let mut v = eval_and(t, p);
    while t.get(*p).is_some_and(|s| s == "or") {
        *p += 1;
        let r = eval_and(t, p);
        v = v || r;
    }
    v
}

fn eval_and(t: &[String], p: &mut usize) -> bool {
    let mut v = eval_not(t, p);
    while t.get(*p).is_some_and(|s| s == "and") {
        *p += 1;
        let r = eval_not(t, p);
        v = v && r;
    }
    v
}

fn eval_not(t: &[String], p: &mut usize) -> bool {
    if t.get(*p).is_some_and(|s| s == "not") {
        *p += 1;
        return !eval_not(t, p);
    }
    eval_atom(t, p)
}

fn eval_atom(t: &[String], p: &mut usize) -> bool {
    let start = *p;
    if t.get(*p).is_some_and(|s| s == "(") {
        *p += 1;
        let v = eval_or(t, p);
        if t.get(*p).is_some_and(|s| s == ")") {
            *p += 1;
        }
        return v;
    }
    // An atom runs to the next top-level `and`/`or`/`)`.
    let mut depth = 0i32;
    while let Some(s) = t.get(*p) {
        match s.as_str() {
            "(" | "[" => depth += 1,
            ")" | "]" if depth == 0 => break,
            ")" | "]" => depth -= 1,
            "and" | "or" if depth == 0 => break,
            _ => {}
        }
        *p += 1;
    }
    let atom = &t[start..*p];
    match atom {
        [] => true,
        [w] if w == "False" || w == "None" || w == "0" => false,
        [f, ..] if f == "defined" => false,
        // A placeholder equals nothing and does not order against values.
        _ if atom
            .iter()
            .any(|s| matches!(s.as_str(), "==" | "in" | "<" | ">" | "<=" | ">=")) =>
        {
            false
        }
        _ => true,
    }
}

fn py_tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'\'' || c == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != c {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            let j = (j + 1).min(b.len());
            out.push(s[i..j].to_string());
            i = j;
        } else if c == b'_' || c.is_ascii_alphanumeric() {
            let mut j = i;
            while j < b.len() && (b[j] == b'_' || b[j] == b'.' || b[j].is_ascii_alphanumeric()) {
                j += 1;
            }
            out.push(s[i..j].to_string());
            i = j;
        } else {
            let two = s.get(i..i + 2).unwrap_or("");
            if matches!(two, "==" | "!=" | "<=" | ">=") {
                out.push(two.to_string());
                i += 2;
            } else {
                let len = s[i..].chars().next().map_or(1, char::len_utf8);
                out.push(s[i..i + len].to_string());
                i += len;
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// `{{ expr }}` rendering in test mode

#[derive(Clone, Debug, PartialEq)]
enum Arg {
    /// A string literal (unquoted) and its range in the call text.
    Str(String, TextRange),
    Num(String),
    /// A keyword argument, or any other expression (kept as text).
    Other(String),
}

struct Call {
    name: String,
    args: Vec<Arg>,
}

/// `name(arg, …)` with literal or other arguments; `None` when `s` is not one call.
fn parse_call(s: &str) -> Option<Call> {
    let open = s.find('(')?;
    let name = s[..open].trim();
    if name.is_empty()
        || !name.chars().all(|c| c.is_alphanumeric() || c == '_')
        || !s.ends_with(')')
    {
        return None;
    }
    let body = &s[open + 1..s.len() - 1];
    let mut args = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<u8> = None;
    let mut start = 0;
    let b = body.as_bytes();
    let mut i = 0;
    let push = |from: usize, to: usize, args: &mut Vec<Arg>| {
        let raw = &body[from..to];
        let t = raw.trim();
        if t.is_empty() {
            return;
        }
        let lead = raw.len() - raw.trim_start().len();
        let at = open + 1 + from + lead;
        let q = t.as_bytes()[0];
        if (q == b'\'' || q == b'"') && t.len() >= 2 && t.as_bytes()[t.len() - 1] == q {
            args.push(Arg::Str(
                t[1..t.len() - 1].to_string(),
                TextRange::new(at + 1, at + t.len() - 1),
            ));
        } else if t.parse::<f64>().is_ok() {
            args.push(Arg::Num(t.to_string()));
        } else {
            args.push(Arg::Other(t.to_string()));
        }
    };
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
                b'\'' | b'"' => quote = Some(c),
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth -= 1,
                b',' if depth == 0 => {
                    push(start, i, &mut args);
                    start = i + 1;
                }
                _ => {}
            },
        }
        i += 1;
    }
    push(start, body.len(), &mut args);
    Some(Call {
        name: name.to_string(),
        args,
    })
}

const NO_VALUE: &str = "'__no_value__'";

/// What an expression renders to in test mode (sql_template.py doctests): typed parameters
/// render their default or a placeholder of their type, `table('x')` the name `x`.
pub fn render_expression(expr: &str) -> String {
    let expr = expr.trim();
    if let Some(q) = expr.chars().next().filter(|c| *c == '\'' || *c == '"') {
        if expr.len() >= 2 && expr.ends_with(q) {
            return expr[1..expr.len() - 1].to_string();
        }
    }
    if expr.parse::<f64>().is_ok() {
        return expr.to_string();
    }
    let Some(call) = parse_call(expr) else {
        return NO_VALUE.to_string();
    };
    // The default: the second positional argument, or `default=`.
    let default = call.args.get(1).cloned().or_else(|| {
        call.args.iter().find_map(|a| match a {
            Arg::Other(s) => s
                .strip_prefix("default")
                .and_then(|r| r.trim_start().strip_prefix('='))
                .map(|v| {
                    let v = v.trim();
                    if v.len() >= 2 && (v.starts_with('\'') || v.starts_with('"')) {
                        Arg::Str(v[1..v.len() - 1].to_string(), TextRange::empty(0))
                    } else {
                        Arg::Num(v.to_string())
                    }
                }),
            _ => None,
        })
    });
    let default_text = |fallback: &str| match &default {
        Some(Arg::Str(s, _)) | Some(Arg::Num(s)) => s.clone(),
        _ => fallback.to_string(),
    };
    let ident = |s: &str| {
        s.split(',')
            .map(|c| format!("`{}`", c.trim()))
            .collect::<Vec<_>>()
            .join(",")
    };
    let name = call.name.as_str();
    match name {
        "table" | "TABLE" => match call.args.first() {
            Some(Arg::Str(s, _)) => s.clone(),
            _ => "`placeholder`".into(),
        },
        "column" | "symbol" => match (&default, call.args.first()) {
            (Some(Arg::Str(d, _)), _) => ident(d),
            (None, Some(Arg::Str(s, _))) => ident(s),
            _ => "`placeholder`".into(),
        },
        "columns" => match (&default, call.args.first()) {
            (Some(Arg::Str(d, _)), _) => ident(d),
            (None, Some(Arg::Str(s, _))) => ident(s),
            _ => "`placeholder`".into(),
        },
        "String" => format!("'{}'", default_text("__no_value__").replace('\'', "\\'")),
        "Date" => format!("'{}'", default_text("2019-01-01")),
        "DateTime" | "DateTime64" => format!("'{}'", default_text("2019-01-01 00:00:00")),
        "Int" | "Integer" => default_text("0"),
        "Boolean" => default_text("0"),
        "Float32" | "Float64" => format!("to{name}('{}')", default_text("0.0")),
        "Array" => {
            let numeric = matches!(call.args.get(1), Some(Arg::Str(t, _)) if t.starts_with("Int") || t.starts_with("UInt") || t.starts_with("Float"));
            if numeric {
                "[0,0]".into()
            } else {
                "['']".into()
            }
        }
        "sql_and" => "1".into(),
        "split_to_array" => "['']".into(),
        "defined"
        | "day_diff"
        | "date_diff_in_seconds"
        | "date_diff_in_minutes"
        | "date_diff_in_hours"
        | "date_diff_in_days" => "0".into(),
        "max_threads" | "cache_ttl" | "backend_hint" | "activate" | "disable" | "error"
        | "custom_error" => String::new(),
        "tb_secret" | "tb_var" => default_text("__no_value__"),
        "sql_unescape" => match call.args.first() {
            Some(Arg::Other(inner)) => render_expression(inner),
            Some(Arg::Str(s, _)) => s.clone(),
            _ => NO_VALUE.into(),
        },
        _ if name.starts_with("Int") || name.starts_with("UInt") => {
            format!("to{name}('{}')", default_text("0"))
        }
        _ => NO_VALUE.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variants(src: &str) -> Vec<String> {
        let t = Template::parse(src, 0);
        t.variants(src, 64).into_iter().map(|r| r.text).collect()
    }

    #[test]
    fn chains_with_the_same_condition_take_the_same_branch() {
        let src = "{% if defined(c) %}WITH f AS (SELECT 1){% end %} SELECT * FROM {% if defined(c) %}f{% else %}t{% end %}{% if z %} LIMIT 1{% end %}";
        let v = variants(src);
        // official (test mode: defined(c) false, z true) and the other branches; `f` is only
        // ever read where it is defined, and the `z` chain keeps its own choice
        assert!(
            v.iter()
                .all(|r| !r.contains("FROM f") || r.contains("WITH f")),
            "{v:?}"
        );
        assert!(v
            .iter()
            .any(|r| r.contains("WITH f AS (SELECT 1) SELECT * FROM f")));
        assert!(v.iter().any(|r| r.contains("FROM t")));
    }

    #[test]
    fn every_branch_gets_a_variant() {
        let src = "SELECT * FROM {% if defined(x) %}a{% elif y %}b{% else %}c{% end %} WHERE 1";
        assert_eq!(
            variants(src),
            vec![
                "SELECT * FROM b WHERE 1",
                "SELECT * FROM a WHERE 1",
                "SELECT * FROM c WHERE 1"
            ]
        );
    }

    #[test]
    fn nested_branches_are_reachable() {
        let src = "{% if defined(a) %}x{% if defined(b) %}y{% end %}{% end %}z";
        assert_eq!(variants(src), vec!["z", "xz", "xyz"]);
    }

    #[test]
    fn expressions_render_like_test_mode() {
        assert_eq!(render_expression("String(foo, 'test')"), "'test'");
        assert_eq!(render_expression("String(foo)"), "'__no_value__'");
        assert_eq!(render_expression("Int32(foo, 1)"), "toInt32('1')");
        assert_eq!(
            render_expression("DateTime(start)"),
            "'2019-01-01 00:00:00'"
        );
        assert_eq!(render_expression("columns(agg, 'a,b')"), "`a`,`b`");
        assert_eq!(render_expression("table('events')"), "events");
        assert_eq!(render_expression("max_threads(2)"), "");
        assert_eq!(render_expression("x"), "'__no_value__'");
    }

    #[test]
    fn conditions_in_test_mode() {
        assert!(!eval_test_mode("defined(x)"));
        assert!(eval_test_mode("not defined(x)"));
        assert!(!eval_test_mode("defined(a) and b"));
        assert!(eval_test_mode("defined(a) or (b and not defined(c))"));
        assert!(!eval_test_mode("x == 'a'"));
        assert!(!eval_test_mode("hrs > 24"));
        assert!(eval_test_mode("x"));
    }

    #[test]
    fn ranges_map_back_through_expressions() {
        let src = "SELECT {{ String(a, 'zz') }} FROM t";
        let t = Template::parse(src, 0);
        let r = &t.variants(src, 8)[0];
        assert_eq!(r.text, "SELECT 'zz' FROM t");
        let from = r.text.find("FROM").unwrap();
        let m = r.to_source(TextRange::new(from, from + 4));
        assert_eq!(&src[m.start..m.end], "FROM");
        let lit = r.to_source(TextRange::new(7, 11));
        assert_eq!(&src[lit.start..lit.end], "{{ String(a, 'zz') }}");
        assert!(r.from_expression(TextRange::new(7, 11)));
    }

    #[test]
    fn branch_attribution() {
        let src = "SELECT 1 FROM {% if defined(x) %} a {% else %} b {% end %}";
        let t = Template::parse(src, 0);
        let a = src.find(" a ").unwrap() + 1;
        let info = t.branch_at(a).unwrap();
        assert_eq!(info.label, "if defined(x)");
        assert!(!info.taken_by_official);
        let b = t.branch_at(src.find(" b ").unwrap() + 1).unwrap();
        assert!(b.taken_by_official);
        assert!(t.branch_at(3).is_none());
        let s2 = "{{ table('x') }}";
        let t2 = Template::parse(s2, 0);
        let calls = t2.table_calls(s2);
        assert_eq!(calls[0].0, "x");
        assert_eq!(&s2[calls[0].1.start..calls[0].1.end], "x");
    }
}
