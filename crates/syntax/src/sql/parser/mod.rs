//! A tolerant recursive-descent parser for ClickHouse `SELECT` queries. It never gives up: what
//! it cannot read becomes an [`ExprKind::Error`] node or is skipped to the next clause, and any
//! subquery met while skipping is still parsed, so no table reference is lost. It reports no
//! errors itself: SQL syntax diagnostics come from [`super::syntax_errors`], which only reports
//! what ClickHouse is sure to reject.

use super::ast::*;
use super::lexer::{tokenize, Token, TokenKind};
use crate::text::TextRange;

mod expr;

/// Every query of the text (several when separated by `;`), plus subqueries found in text the
/// parser skipped.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    pub queries: Vec<Query>,
    pub stray: Vec<Query>,
}

pub fn parse(src: &str) -> Parsed {
    let mut p = Parser {
        src,
        toks: tokenize(src),
        pos: 0,
        stray: Vec::new(),
        depth: 0,
    };
    let mut queries = Vec::new();
    while !p.eof() {
        if p.at(TokenKind::Semicolon) {
            p.bump();
            continue;
        }
        let before = p.pos;
        if p.at_kw("SELECT") || p.at_kw("WITH") || p.at(TokenKind::LParen) {
            queries.push(p.query());
        }
        // Anything after a query up to the next `;` (or a statement that is not a query).
        while !p.eof() && !p.at(TokenKind::Semicolon) {
            p.skip_one();
        }
        if p.pos == before {
            p.bump();
        }
    }
    Parsed {
        queries,
        stray: p.stray,
    }
}

/// Words that end an expression or a select item: they are never taken as an implicit alias.
const RESERVED: &[&str] = &[
    "ALL",
    "AND",
    "ANTI",
    "ANY",
    "ARRAY",
    "AS",
    "ASC",
    "ASCENDING",
    "ASOF",
    "BETWEEN",
    "BY",
    "CROSS",
    "DESC",
    "DESCENDING",
    "ELSE",
    "END",
    "EXCEPT",
    "FETCH",
    "FINAL",
    "FORMAT",
    "FROM",
    "FULL",
    "GLOBAL",
    "GROUP",
    "HAVING",
    "ILIKE",
    "IN",
    "INNER",
    "INTERSECT",
    "INTO",
    "IS",
    "JOIN",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LOCAL",
    "NOT",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "PASTE",
    "PREWHERE",
    "QUALIFY",
    "RIGHT",
    "SAMPLE",
    "SEMI",
    "SETTINGS",
    "THEN",
    "UNION",
    "USING",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
    "NULLS",
    "COLLATE",
    "INTERPOLATE",
    "REGEXP",
];

/// Whether `word` is one of the words that end an expression (`AND`, `FROM`, `WHERE`, ...),
/// or `SELECT`: written unquoted where a name stands, the text is no query ClickHouse reads
/// (a template rendering pairing branches no request pairs), not a column read.
pub(crate) fn is_reserved(word: &str) -> bool {
    word.eq_ignore_ascii_case("SELECT") || RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}

const JOIN_WORDS: &[&str] = &[
    "GLOBAL", "LOCAL", "ANY", "ALL", "ASOF", "SEMI", "ANTI", "INNER", "LEFT", "RIGHT", "FULL",
    "CROSS", "OUTER", "PASTE", "JOIN",
];

/// Deeper nesting is read as an error node: no real query nests 128 levels, and the walkers
/// over the tree must fit in a small thread stack (tests: `deep_nesting_does_not_overflow`).
const MAX_DEPTH: usize = 128;

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    stray: Vec<Query>,
    /// Nesting depth, bounded so that deeply nested input cannot overflow the stack.
    depth: usize,
}

impl<'a> Parser<'a> {
    // --- token helpers -----------------------------------------------------------------------

    fn eof(&self) -> bool {
        self.pos >= self.toks.len()
    }
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }
    fn nth(&self, n: usize) -> Option<&Token> {
        self.toks.get(self.pos + n)
    }
    fn at(&self, kind: TokenKind) -> bool {
        self.peek().is_some_and(|t| t.kind == kind)
    }
    fn text(&self, t: &Token) -> &'a str {
        &self.src[t.range.start..t.range.end]
    }
    fn word_at(&self, n: usize) -> Option<&'a str> {
        self.nth(n)
            .filter(|t| t.kind == TokenKind::Word)
            .map(|t| &self.src[t.range.start..t.range.end])
    }
    fn at_kw(&self, kw: &str) -> bool {
        self.word_at(0).is_some_and(|w| w.eq_ignore_ascii_case(kw))
    }
    fn nth_kw(&self, n: usize, kw: &str) -> bool {
        self.word_at(n).is_some_and(|w| w.eq_ignore_ascii_case(kw))
    }
    fn at_op(&self, op: &str) -> bool {
        self.peek()
            .is_some_and(|t| t.kind == TokenKind::Op && self.text(t) == op)
    }
    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.at_kw(kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn eat(&mut self, kind: TokenKind) -> bool {
        if self.at(kind) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn bump(&mut self) -> Option<Token> {
        let t = self.peek().copied();
        self.pos += 1;
        t
    }
    /// Start of the current token (or the end of the text).
    fn here(&self) -> usize {
        self.peek().map_or(self.src.len(), |t| t.range.start)
    }
    /// End of the previous token.
    fn last_end(&self) -> usize {
        if self.pos == 0 {
            return 0;
        }
        self.toks
            .get(self.pos - 1)
            .map_or(self.src.len(), |t| t.range.end)
    }
    fn range_from(&self, start: usize) -> TextRange {
        TextRange::new(start, self.last_end().max(start))
    }
    fn at_query_start(&self) -> bool {
        self.at_kw("SELECT") || self.at_kw("WITH")
    }
    /// `(` followed by a query, possibly behind more parentheses.
    fn at_subquery(&self) -> bool {
        let mut n = 0;
        while self.nth(n).is_some_and(|t| t.kind == TokenKind::LParen) {
            n += 1;
        }
        n > 0 && (self.nth_kw(n, "SELECT") || self.nth_kw(n, "WITH"))
    }
    /// At a reserved word in a table's place that names a table: ClickHouse reads any word
    /// there as one (`FROM settings`, `JOIN order AS o`). Taken as a name when what follows
    /// ends or continues a table reference (the end, `)`, `,`, `;`, `.`, `(`, `AS` or another
    /// clause's word); otherwise (`FROM WHERE x = 1`, a table still to be typed) as the clause.
    fn reserved_names_table(&self) -> bool {
        match self.nth(1) {
            None => true,
            Some(t) => {
                matches!(
                    t.kind,
                    TokenKind::RParen
                        | TokenKind::Comma
                        | TokenKind::Semicolon
                        | TokenKind::Dot
                        | TokenKind::LParen
                ) || self
                    .word_at(1)
                    .is_some_and(|w| RESERVED.iter().any(|r| r.eq_ignore_ascii_case(w)))
            }
        }
    }
    fn at_reserved(&self) -> bool {
        self.word_at(0)
            .is_some_and(|w| RESERVED.iter().any(|r| r.eq_ignore_ascii_case(w)))
    }

    /// Skips one token, or a whole bracketed group; subqueries inside are parsed into `stray`.
    fn skip_one(&mut self) {
        if self.at_subquery() && self.depth <= MAX_DEPTH {
            self.skip_subquery();
            return;
        }
        let Some(t) = self.bump() else { return };
        let Some(close) = closer(t.kind) else { return };
        let mut stack = vec![close];
        while let Some(&close) = stack.last() {
            if self.eof() {
                return;
            }
            if self.at(close) {
                self.bump();
                stack.pop();
                continue;
            }
            if self.at(TokenKind::RParen) || self.at(TokenKind::RBracket) {
                // A closer of an outer group: stop here.
                return;
            }
            if self.at_subquery() && self.depth <= MAX_DEPTH {
                self.skip_subquery();
                continue;
            }
            if let Some(c) = self.bump().and_then(|t| closer(t.kind)) {
                stack.push(c);
            }
        }
    }

    fn skip_subquery(&mut self) {
        self.bump();
        let q = self.query();
        self.stray.push(q);
        self.eat(TokenKind::RParen);
    }

    fn ident(&mut self) -> Option<Ident> {
        let t = *self.peek()?;
        let name = match t.kind {
            TokenKind::Word => self.text(&t).to_string(),
            TokenKind::QuotedIdent => unquote(self.text(&t)),
            _ => return None,
        };
        self.pos += 1;
        Some(Ident {
            name,
            range: t.range,
        })
    }

    // --- queries -----------------------------------------------------------------------------

    fn query(&mut self) -> Query {
        let start = self.here();
        let mut selects = Vec::new();
        if self.depth > MAX_DEPTH {
            while !self.eof() && !self.at(TokenKind::RParen) {
                self.bump();
            }
            return Query {
                selects,
                range: self.range_from(start),
            };
        }
        self.depth += 1;
        loop {
            if self.at(TokenKind::LParen) {
                self.bump();
                let inner = self.query();
                self.eat(TokenKind::RParen);
                selects.extend(inner.selects);
            } else {
                selects.push(self.select());
            }
            if self.at_kw("UNION") || self.at_kw("EXCEPT") || self.at_kw("INTERSECT") {
                self.bump();
                let _ = self.eat_kw("ALL") || self.eat_kw("DISTINCT");
                continue;
            }
            break;
        }
        self.depth -= 1;
        Query {
            selects,
            range: self.range_from(start),
        }
    }

    fn select(&mut self) -> Select {
        let start = self.here();
        let mut s = Select::default();
        if self.eat_kw("WITH") {
            self.eat_kw("RECURSIVE");
            s.with = self.with_items();
        }
        if !self.eat_kw("SELECT") {
            s.range = self.range_from(start);
            return s;
        }
        let _ = self.eat_kw("DISTINCT") || self.eat_kw("ALL");
        if self.at_kw("ON") && self.nth(1).is_some_and(|t| t.kind == TokenKind::LParen) {
            self.bump();
            self.skip_one();
        }
        if self.eat_kw("TOP") {
            self.bump();
            if self.at_kw("WITH") && self.nth_kw(1, "TIES") {
                self.pos += 2;
            }
        }
        s.items = self.expr_list(true);
        loop {
            if self.eof()
                || self.at(TokenKind::RParen)
                || self.at(TokenKind::Semicolon)
                || self.at_kw("UNION")
                || self.at_kw("EXCEPT")
                || self.at_kw("INTERSECT")
            {
                break;
            }
            if self.eat_kw("FROM") {
                self.parse_from(&mut s);
            } else if self.at_join_start() {
                self.join(&mut s);
            } else if self.at_kw("ARRAY") && self.nth_kw(1, "JOIN")
                || self.at_kw("LEFT") && self.nth_kw(1, "ARRAY")
            {
                while !self.eat_kw("JOIN") {
                    self.bump();
                }
                s.array_join.extend(self.expr_list(true));
            } else if self.eat_kw("PREWHERE") {
                s.prewhere = Some(self.expr());
            } else if self.eat_kw("WHERE") {
                s.where_ = Some(self.expr());
            } else if self.at_kw("GROUP") && self.nth_kw(1, "BY") {
                self.pos += 2;
                if self.at_kw("ALL") && !self.nth(1).is_some_and(|t| t.kind == TokenKind::LParen) {
                    self.bump();
                    s.group_by_special = true;
                } else {
                    s.group_by_special = self.at_kw("GROUPING");
                    if self.at_kw("ROLLUP") || self.at_kw("CUBE") {
                        self.bump();
                    }
                    s.group_by = self.expr_list(false);
                    // No key read (`GROUP BY window`: a keyword where a name stands): the keys
                    // are not known.
                    s.group_by_special |= s.group_by.is_empty();
                }
            } else if self.at_kw("WITH")
                && (self.nth_kw(1, "ROLLUP") || self.nth_kw(1, "CUBE") || self.nth_kw(1, "TOTALS"))
            {
                self.pos += 2;
            } else if self.eat_kw("HAVING") {
                s.having = Some(self.expr());
            } else if self.eat_kw("QUALIFY") {
                let e = self.expr();
                s.other.push(e);
            } else if self.eat_kw("WINDOW") {
                loop {
                    self.ident();
                    self.eat_kw("AS");
                    self.window_spec(&mut s.other);
                    if !self.eat(TokenKind::Comma) {
                        break;
                    }
                }
            } else if self.at_kw("ORDER") && self.nth_kw(1, "BY") {
                self.pos += 2;
                s.order_by = self.order_list();
            } else if self.eat_kw("LIMIT") || self.eat_kw("OFFSET") || self.eat_kw("FETCH") {
                let e = self.expr_list(false);
                s.other.extend(e);
                for w in ["ROW", "ROWS", "ONLY", "FIRST", "NEXT"] {
                    self.eat_kw(w);
                }
                if self.at_kw("BY") {
                    self.bump();
                    let e = self.expr_list(false);
                    s.other.extend(e);
                }
                if self.at_kw("WITH") && self.nth_kw(1, "TIES") {
                    self.pos += 2;
                }
            } else if self.eat_kw("SETTINGS") {
                let e = self.expr_list(false);
                s.other.extend(e);
            } else if self.eat_kw("FORMAT") {
                self.bump();
            } else if self.at_kw("INTO") {
                while !self.eof() && !self.at(TokenKind::Semicolon) && !self.at(TokenKind::RParen) {
                    self.bump();
                }
            } else {
                self.skip_one();
            }
        }
        s.range = self.range_from(start);
        s
    }

    fn with_items(&mut self) -> Vec<WithItem> {
        let mut out = Vec::new();
        loop {
            let is_cte = matches!(
                self.peek().map(|t| t.kind),
                Some(TokenKind::Word | TokenKind::QuotedIdent)
            ) && self.nth_kw(1, "AS")
                && self.nth(2).is_some_and(|t| t.kind == TokenKind::LParen);
            if is_cte {
                let name = self.ident().expect("checked");
                self.bump(); // AS
                self.bump(); // (
                let q = self.query();
                self.eat(TokenKind::RParen);
                out.push(WithItem::Subquery {
                    name,
                    query: Box::new(q),
                });
            } else {
                let e = self.expr();
                if self.eat_kw("AS") {
                    if let Some(name) = self.ident() {
                        out.push(WithItem::Expr { name, expr: e });
                    }
                } else if let ExprKind::Alias { expr, alias } = e.kind {
                    out.push(WithItem::Expr {
                        name: alias,
                        expr: *expr,
                    });
                }
            }
            if !self.eat(TokenKind::Comma) {
                break;
            }
        }
        out
    }

    fn at_join_start(&self) -> bool {
        let mut n = 0;
        while let Some(w) = self.word_at(n) {
            if w.eq_ignore_ascii_case("JOIN") {
                return true;
            }
            if !JOIN_WORDS.iter().any(|j| j.eq_ignore_ascii_case(w)) {
                return false;
            }
            n += 1;
        }
        false
    }

    fn parse_from(&mut self, s: &mut Select) {
        if let Some(t) = self.table_expr(None) {
            s.from.push(t);
        }
        while self.eat(TokenKind::Comma) {
            if let Some(t) = self.table_expr(Some(vec![])) {
                s.from.push(t);
            }
        }
    }

    fn join(&mut self, s: &mut Select) {
        while !self.eat_kw("JOIN") {
            self.bump();
        }
        let Some(mut t) = self.table_expr(Some(vec![])) else {
            return;
        };
        let mut cond = Vec::new();
        if self.eat_kw("ON") {
            cond.push(self.expr());
        } else if self.eat_kw("USING") {
            if self.at(TokenKind::LParen) {
                let start = self.here();
                self.bump();
                let items = self.expr_list(false);
                self.eat(TokenKind::RParen);
                cond.push(Expr::new(ExprKind::Group(items), self.range_from(start)));
            } else {
                cond.extend(self.expr_list(false));
            }
        }
        t.join = Some(cond);
        s.from.push(t);
    }

    fn table_expr(&mut self, join: Option<Vec<Expr>>) -> Option<TableExpr> {
        let start = self.here();
        let source = if self.at(TokenKind::LParen) {
            if self.at_subquery() {
                self.bump();
                let q = self.query();
                self.eat(TokenKind::RParen);
                TableSource::Subquery(Box::new(q))
            } else {
                // `(t)` or a parenthesised join: read what is inside as a query or a table.
                self.bump();
                let inner = self.table_expr(None);
                while !self.eof() && !self.at(TokenKind::RParen) {
                    self.skip_one();
                }
                self.eat(TokenKind::RParen);
                inner?.source
            }
        } else {
            if self.at_reserved() && !self.at_kw("ANY") && !self.reserved_names_table() {
                return None;
            }
            let first = self.ident()?;
            if self.at(TokenKind::LParen) {
                let args = self.call_args();
                let range = self.range_from(start);
                TableSource::Function(Expr::new(
                    ExprKind::Function(Function {
                        name: first,
                        params: vec![],
                        args,
                        over: vec![],
                        windowed: false,
                    }),
                    range,
                ))
            } else if self.at(TokenKind::Dot)
                && self
                    .nth(1)
                    .is_some_and(|t| matches!(t.kind, TokenKind::Word | TokenKind::QuotedIdent))
            {
                self.bump();
                let name = self.ident().expect("checked");
                if self.at(TokenKind::LParen) {
                    // db.function(...) is not a table function ClickHouse knows; keep it opaque.
                    self.skip_one();
                    TableSource::Function(Expr::new(ExprKind::Opaque, self.range_from(start)))
                } else {
                    TableSource::Table {
                        database: Some(first),
                        name,
                    }
                }
            } else {
                TableSource::Table {
                    database: None,
                    name: first,
                }
            }
        };
        let mut alias = None;
        loop {
            if self.eat_kw("FINAL") {
                continue;
            }
            if self.eat_kw("SAMPLE") {
                self.additive();
                if self.eat_kw("OFFSET") {
                    self.additive();
                }
                continue;
            }
            if self.eat_kw("AS") {
                alias = self.ident();
                continue;
            }
            if alias.is_none()
                && (self.at(TokenKind::QuotedIdent)
                    || (self.at(TokenKind::Word) && !self.at_reserved() && !self.at_kw("FINAL")))
            {
                alias = self.ident();
                continue;
            }
            break;
        }
        Some(TableExpr {
            source,
            alias,
            join,
            range: self.range_from(start),
        })
    }

    fn window_spec(&mut self, out: &mut Vec<Expr>) {
        if !self.eat(TokenKind::LParen) {
            self.ident();
            return;
        }
        while !self.eof() && !self.at(TokenKind::RParen) {
            if self.at_kw("PARTITION") && self.nth_kw(1, "BY") {
                self.pos += 2;
                out.extend(self.expr_list(false));
            } else if self.at_kw("ORDER") && self.nth_kw(1, "BY") {
                self.pos += 2;
                out.extend(self.order_list());
            } else {
                self.skip_one();
            }
        }
        self.eat(TokenKind::RParen);
    }

    fn order_list(&mut self) -> Vec<Expr> {
        let mut out = Vec::new();
        loop {
            if self.at_clause_end() {
                break;
            }
            out.push(self.aliased(false));
            loop {
                if [
                    "ASC",
                    "DESC",
                    "ASCENDING",
                    "DESCENDING",
                    "NULLS",
                    "FIRST",
                    "LAST",
                ]
                .iter()
                .any(|w| self.eat_kw(w))
                {
                    continue;
                }
                if self.eat_kw("COLLATE") {
                    self.bump();
                    continue;
                }
                if self.at_kw("WITH") && self.nth_kw(1, "FILL") {
                    self.pos += 2;
                    continue;
                }
                if self.eat_kw("FROM")
                    || self.eat_kw("TO")
                    || self.eat_kw("STEP")
                    || self.eat_kw("STALENESS")
                {
                    let e = self.expr();
                    out.push(e);
                    continue;
                }
                break;
            }
            if !self.eat(TokenKind::Comma) {
                break;
            }
        }
        if self.eat_kw("INTERPOLATE") && self.at(TokenKind::LParen) {
            self.skip_one();
        }
        out
    }

    fn at_clause_end(&self) -> bool {
        self.eof()
            || self.at(TokenKind::RParen)
            || self.at(TokenKind::Semicolon)
            || (self.at_reserved() && !self.at_kw("NOT") && !self.at_function_named_like_keyword())
    }

    /// `any(x)`, `left(s, 1)`, `format(...)`: functions whose names are also keywords.
    fn at_function_named_like_keyword(&self) -> bool {
        const NAMES: &[&str] = &[
            "ANY", "ALL", "ARRAY", "LEFT", "RIGHT", "FORMAT", "LIKE", "ILIKE", "REGEXP",
        ];
        self.nth(1).is_some_and(|t| t.kind == TokenKind::LParen)
            && NAMES.iter().any(|n| self.at_kw(n))
    }

    /// A comma-separated list of (aliased) expressions, ending before a clause keyword.
    fn expr_list(&mut self, implicit_alias: bool) -> Vec<Expr> {
        let mut out = Vec::new();
        loop {
            if self.at_clause_end() {
                break;
            }
            let before = self.pos;
            out.push(self.aliased(implicit_alias));
            if self.pos == before {
                self.skip_one();
            }
            if !self.eat(TokenKind::Comma) {
                break;
            }
        }
        out
    }

    // --- expressions -------------------------------------------------------------------------

    /// An expression with an optional `AS alias` (or, in select lists, a bare alias).
    fn aliased(&mut self, implicit: bool) -> Expr {
        let start = self.here();
        let e = self.expr();
        let alias = if self.at_kw("AS")
            && self
                .nth(1)
                .is_some_and(|t| matches!(t.kind, TokenKind::Word | TokenKind::QuotedIdent))
        {
            self.bump();
            self.ident()
        } else if implicit
            && (self.at(TokenKind::QuotedIdent)
                || (self.at(TokenKind::Word) && !self.at_reserved()))
        {
            self.ident()
        } else {
            None
        };
        match alias {
            Some(alias) => Expr::new(
                ExprKind::Alias {
                    expr: Box::new(e),
                    alias,
                },
                self.range_from(start),
            ),
            None => e,
        }
    }
}

fn closer(kind: TokenKind) -> Option<TokenKind> {
    match kind {
        TokenKind::LParen => Some(TokenKind::RParen),
        TokenKind::LBracket => Some(TokenKind::RBracket),
        TokenKind::LBrace => Some(TokenKind::RBrace),
        _ => None,
    }
}

/// Operators chained more than this many times are kept in one flat group, so that the tree
/// (and every walk over it) stays shallow on any input.
const MAX_CHAIN: usize = 256;

/// The text of a quoted identifier or string without its quotes and escapes.
pub fn unquote(s: &str) -> String {
    // `‘text’` and `“name”`: no escapes, they end at the first closing quote.
    for (open, close) in crate::sql::lexer::UNICODE_QUOTES {
        if let Some(inner) = s.strip_prefix(open) {
            return inner.strip_suffix(close).unwrap_or(inner).to_string();
        }
    }
    let Some(q) = s.chars().next().filter(|c| matches!(c, '\'' | '"' | '`')) else {
        return s.to_string();
    };
    if s.starts_with('$') {
        return s.to_string();
    }
    let inner = &s[1..s.len().saturating_sub(1).max(1)];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('0') => out.push('\0'),
                Some(o) => out.push(o),
                None => {}
            }
        } else if c == q && chars.peek() == Some(&q) {
            chars.next();
            out.push(q);
        } else {
            out.push(c);
        }
    }
    out
}
