//! Expressions: precedence climbing from the ternary operator down to primaries (literals,
//! words, function calls with parameters and combinators, CASE, CAST, lambdas, subqueries).

use super::*;

impl Parser<'_> {
    pub fn expr(&mut self) -> Expr {
        if self.depth > MAX_DEPTH {
            let start = self.here();
            self.skip_one();
            return Expr::new(ExprKind::Error, self.range_from(start));
        }
        self.depth += 1;
        let start = self.here();
        let e = self.ternary();
        let e = if self.at_op("->") {
            self.bump();
            let body = self.expr();
            let name = |x: &Expr| match &x.kind {
                ExprKind::Ident(parts) if parts.len() == 1 => Some(parts[0].clone()),
                _ => None,
            };
            let params = match &e.kind {
                ExprKind::Group(items) => items.iter().map(name).collect::<Option<Vec<_>>>(),
                ExprKind::Function(f) if f.name.name == "tuple" && f.params.is_empty() => {
                    f.args.iter().map(name).collect::<Option<Vec<_>>>()
                }
                _ => name(&e).map(|i| vec![i]),
            };
            Expr::new(
                ExprKind::Lambda {
                    params: params.unwrap_or_default(),
                    body: Box::new(body),
                },
                self.range_from(start),
            )
        } else {
            e
        };
        self.depth -= 1;
        e
    }

    pub(super) fn ternary(&mut self) -> Expr {
        let start = self.here();
        let c = self.or();
        if self.at_op("?") {
            self.bump();
            let a = self.expr();
            if self.at_op(":") {
                self.bump();
            }
            let b = self.expr();
            return Expr::new(ExprKind::Group(vec![c, a, b]), self.range_from(start));
        }
        c
    }

    /// `l op r`, or, past [`MAX_CHAIN`] links, `r` appended to a flat group.
    pub(super) fn chain(
        &self,
        op: &'static str,
        l: Expr,
        r: Expr,
        start: usize,
        n: &mut usize,
    ) -> Expr {
        *n += 1;
        if *n <= MAX_CHAIN {
            return self.binary(op, l, r, start);
        }
        let range = self.range_from(start);
        match l.kind {
            ExprKind::Group(mut items) if *n > MAX_CHAIN + 1 => {
                items.push(r);
                Expr::new(ExprKind::Group(items), range)
            }
            _ => Expr::new(ExprKind::Group(vec![l, r]), range),
        }
    }

    pub(super) fn binary(&self, op: &'static str, l: Expr, r: Expr, start: usize) -> Expr {
        Expr::new(
            ExprKind::Binary {
                op,
                left: Box::new(l),
                right: Box::new(r),
            },
            self.range_from(start),
        )
    }

    pub(super) fn or(&mut self) -> Expr {
        let start = self.here();
        let mut n = 0;
        let mut l = self.and();
        while self.eat_kw("OR") {
            let r = self.and();
            l = self.chain("or", l, r, start, &mut n);
        }
        l
    }

    pub(super) fn and(&mut self) -> Expr {
        let start = self.here();
        let mut n = 0;
        let mut l = self.not();
        while self.at_kw("AND") {
            self.bump();
            let r = self.not();
            l = self.chain("and", l, r, start, &mut n);
        }
        l
    }

    pub(super) fn not(&mut self) -> Expr {
        let mut starts = Vec::new();
        while self.at_kw("NOT") {
            starts.push(self.here());
            self.bump();
        }
        let mut e = self.comparison();
        for start in starts.into_iter().rev().take(MAX_CHAIN) {
            e = Expr::new(
                ExprKind::Unary {
                    op: "not",
                    expr: Box::new(e),
                },
                self.range_from(start),
            );
        }
        e
    }

    pub(super) fn comparison(&mut self) -> Expr {
        let start = self.here();
        let mut n = 0;
        let mut l = self.concat();
        loop {
            let op = self
                .peek()
                .filter(|t| t.kind == TokenKind::Op)
                .map(|t| self.text(t));
            let name = match op {
                Some("=" | "==") => Some("equals"),
                Some("!=" | "<>") => Some("notEquals"),
                Some("<") => Some("less"),
                Some(">") => Some("greater"),
                Some("<=") => Some("lessOrEquals"),
                Some(">=") => Some("greaterOrEquals"),
                Some("<=>") => Some("isNotDistinctFrom"),
                _ => None,
            };
            if let Some(name) = name {
                self.bump();
                let r = self.concat();
                l = self.chain(name, l, r, start, &mut n);
                continue;
            }
            if self.at_kw("IS") {
                self.bump();
                let neg = self.eat_kw("NOT");
                if self.at_kw("DISTINCT") && self.nth_kw(1, "FROM") {
                    self.pos += 2;
                    let r = self.concat();
                    l = self.chain("isDistinctFrom", l, r, start, &mut n);
                    continue;
                }
                self.eat_kw("NULL");
                l = Expr::new(
                    ExprKind::Unary {
                        op: if neg { "isNotNull" } else { "isNull" },
                        expr: Box::new(l),
                    },
                    self.range_from(start),
                );
                continue;
            }
            let mut n = 0;
            let global = self.nth_kw(n, "GLOBAL");
            n += usize::from(global);
            let neg = self.nth_kw(n, "NOT");
            n += usize::from(neg);
            let Some(w) = self.word_at(n).map(|w| w.to_ascii_uppercase()) else {
                break;
            };
            let name: &'static str = match (w.as_str(), global, neg) {
                ("IN", false, false) => "in",
                ("IN", false, true) => "notIn",
                ("IN", true, false) => "globalIn",
                ("IN", true, true) => "globalNotIn",
                ("LIKE", false, false) => "like",
                ("LIKE", false, true) => "notLike",
                ("ILIKE", false, false) => "ilike",
                ("ILIKE", false, true) => "notILike",
                ("REGEXP", false, _) => "match",
                ("BETWEEN", false, _) => "between",
                _ => break,
            };
            self.pos += n + 1;
            if name == "between" {
                let lo = self.concat();
                self.eat_kw("AND");
                let hi = self.concat();
                l = Expr::new(ExprKind::Group(vec![l, lo, hi]), self.range_from(start));
                if neg {
                    l = Expr::new(
                        ExprKind::Unary {
                            op: "not",
                            expr: Box::new(l),
                        },
                        self.range_from(start),
                    );
                }
                continue;
            }
            let r = self.concat();
            l = self.chain(name, l, r, start, &mut n);
        }
        l
    }

    pub(super) fn concat(&mut self) -> Expr {
        let start = self.here();
        let mut n = 0;
        let mut l = self.additive();
        while self.at_op("||") {
            self.bump();
            let r = self.additive();
            l = self.chain("concat", l, r, start, &mut n);
        }
        l
    }

    pub(super) fn additive(&mut self) -> Expr {
        let start = self.here();
        let mut n = 0;
        let mut l = self.multiplicative();
        loop {
            let op = if self.at_op("+") {
                "plus"
            } else if self.at_op("-") {
                "minus"
            } else {
                break;
            };
            self.bump();
            let r = self.multiplicative();
            l = self.chain(op, l, r, start, &mut n);
        }
        l
    }

    pub(super) fn multiplicative(&mut self) -> Expr {
        let start = self.here();
        let mut n = 0;
        let mut l = self.unary();
        loop {
            let op = if self.at_op("*") {
                "multiply"
            } else if self.at_op("/") {
                "divide"
            } else if self.at_op("%") || self.at_kw("MOD") {
                "modulo"
            } else if self.at_kw("DIV") {
                "intDiv"
            } else {
                break;
            };
            self.bump();
            let r = self.unary();
            l = self.chain(op, l, r, start, &mut n);
        }
        l
    }

    pub(super) fn unary(&mut self) -> Expr {
        let mut negations = Vec::new();
        while self.at_op("-") || self.at_op("+") {
            if self.at_op("-") {
                negations.push(self.here());
            }
            self.bump();
        }
        let mut e = self.postfix();
        for start in negations.into_iter().rev().take(MAX_CHAIN) {
            e = Expr::new(
                ExprKind::Unary {
                    op: "negate",
                    expr: Box::new(e),
                },
                self.range_from(start),
            );
        }
        e
    }

    pub(super) fn postfix(&mut self) -> Expr {
        let start = self.here();
        let mut e = self.primary();
        let mut links = 0;
        loop {
            links += 1;
            let wrap = links <= MAX_CHAIN;
            if self.at_op("::") {
                self.bump();
                self.type_name();
                if wrap {
                    e = Expr::new(ExprKind::Group(vec![e]), self.range_from(start));
                }
            } else if self.at(TokenKind::LBracket) {
                self.bump();
                let i = self.expr();
                self.eat(TokenKind::RBracket);
                if wrap {
                    e = Expr::new(ExprKind::Group(vec![e, i]), self.range_from(start));
                }
            } else if self.at(TokenKind::Dot)
                && self.nth(1).is_some_and(|t| {
                    matches!(
                        t.kind,
                        TokenKind::Number | TokenKind::Word | TokenKind::QuotedIdent
                    )
                })
            {
                // Tuple element access `t.1` / `(expr).name`.
                self.pos += 2;
                if wrap {
                    e = Expr::new(ExprKind::Group(vec![e]), self.range_from(start));
                }
            } else {
                break;
            }
        }
        e
    }

    /// A type name with arguments, as in `CAST(x AS Nullable(String))`.
    pub(super) fn type_name(&mut self) {
        if self.ident().is_some() {
            // Two-word SQL types: `DOUBLE PRECISION`, `CHARACTER VARYING`.
            if self.at(TokenKind::Word) && !self.at_reserved() {
                self.bump();
            }
            if self.at(TokenKind::LParen) {
                self.skip_one();
            }
        }
    }

    pub(super) fn primary(&mut self) -> Expr {
        let start = self.here();
        let Some(t) = self.peek().copied() else {
            return Expr::new(ExprKind::Error, TextRange::empty(start));
        };
        match t.kind {
            TokenKind::Number => {
                self.bump();
                Expr::new(ExprKind::Literal(Literal::Number), t.range)
            }
            TokenKind::String => {
                self.bump();
                Expr::new(
                    ExprKind::Literal(Literal::String(unquote(self.text(&t)))),
                    t.range,
                )
            }
            TokenKind::LParen => {
                if self.at_subquery() {
                    self.bump();
                    let q = self.query();
                    self.eat(TokenKind::RParen);
                    return Expr::new(ExprKind::Subquery(Box::new(q)), self.range_from(start));
                }
                self.bump();
                let mut items = Vec::new();
                let mut trailing_comma = false;
                while !self.eof() && !self.at(TokenKind::RParen) {
                    let before = self.pos;
                    items.push(self.aliased(false));
                    trailing_comma = self.eat(TokenKind::Comma);
                    if !trailing_comma && !self.at(TokenKind::RParen) {
                        if self.pos == before {
                            self.skip_one();
                        } else {
                            break;
                        }
                    }
                }
                self.eat(TokenKind::RParen);
                let range = self.range_from(start);
                if items.len() == 1 && !trailing_comma {
                    let mut e = items.pop().expect("one");
                    e.range = range;
                    return e;
                }
                Expr::new(ExprKind::Group(items), range)
            }
            TokenKind::LBracket => {
                self.bump();
                let items = self.bracket_items(TokenKind::RBracket);
                Expr::new(ExprKind::Group(items), self.range_from(start))
            }
            TokenKind::LBrace => {
                self.skip_one();
                Expr::new(ExprKind::Opaque, self.range_from(start))
            }
            TokenKind::Op if self.text(&t) == "*" => {
                self.bump();
                self.star_modifiers();
                Expr::new(ExprKind::Star, self.range_from(start))
            }
            TokenKind::Word | TokenKind::QuotedIdent => self.word_expr(),
            _ => {
                // Do not swallow what ends the enclosing construct.
                if !matches!(
                    t.kind,
                    TokenKind::RParen
                        | TokenKind::RBracket
                        | TokenKind::Comma
                        | TokenKind::Semicolon
                ) {
                    self.skip_one();
                }
                Expr::new(ExprKind::Error, self.range_from(start))
            }
        }
    }

    pub(super) fn bracket_items(&mut self, close: TokenKind) -> Vec<Expr> {
        let mut items = Vec::new();
        while !self.eof() && !self.at(close) {
            let before = self.pos;
            items.push(self.aliased(false));
            if !self.eat(TokenKind::Comma) && !self.at(close) {
                if self.pos == before || self.at(TokenKind::RParen) {
                    break;
                }
                self.skip_one();
            }
        }
        self.eat(close);
        items
    }

    pub(super) fn star_modifiers(&mut self) {
        loop {
            if (self.at_kw("EXCEPT") || self.at_kw("REPLACE") || self.at_kw("APPLY"))
                && self
                    .nth(1)
                    .is_some_and(|t| t.kind == TokenKind::LParen || t.kind == TokenKind::Word)
            {
                self.bump();
                self.skip_one();
            } else {
                break;
            }
        }
    }

    pub(super) fn word_expr(&mut self) -> Expr {
        let start = self.here();
        let t = *self.peek().expect("caller checked");
        let word = self.text(&t);
        if t.kind == TokenKind::Word {
            let upper = word.to_ascii_uppercase();
            let next_is_paren = self.nth(1).is_some_and(|n| n.kind == TokenKind::LParen);
            match upper.as_str() {
                "NULL" => {
                    self.bump();
                    return Expr::new(ExprKind::Literal(Literal::Null), t.range);
                }
                "TRUE" | "FALSE" => {
                    self.bump();
                    return Expr::new(ExprKind::Literal(Literal::Bool), t.range);
                }
                "CASE" => return self.case(),
                "INTERVAL" if !next_is_paren => {
                    self.bump();
                    let v = self.additive();
                    if self.at(TokenKind::Word) && !self.at_reserved() {
                        self.bump();
                    }
                    return Expr::new(
                        ExprKind::Function(Function {
                            name: Ident {
                                name: "INTERVAL".into(),
                                range: t.range,
                            },
                            params: vec![],
                            args: vec![v],
                            over: vec![],
                            windowed: false,
                        }),
                        self.range_from(start),
                    );
                }
                "DATE" | "TIMESTAMP"
                    if self.nth(1).is_some_and(|n| n.kind == TokenKind::String) =>
                {
                    self.pos += 2;
                    return Expr::new(ExprKind::Literal(Literal::Number), self.range_from(start));
                }
                _ => {}
            }
            if next_is_paren {
                return self.function();
            }
        }
        // An identifier path: a, t.a, db.t.a, t.*
        let mut parts = vec![self.ident().expect("word")];
        while self.at(TokenKind::Dot) {
            match self.nth(1).map(|t| t.kind) {
                Some(TokenKind::Word | TokenKind::QuotedIdent) => {
                    self.bump();
                    parts.push(self.ident().expect("checked"));
                }
                Some(TokenKind::Op) if self.nth(1).is_some_and(|t| self.text(t) == "*") => {
                    self.pos += 2;
                    self.star_modifiers();
                    return Expr::new(ExprKind::Star, self.range_from(start));
                }
                _ => break,
            }
        }
        if self.at(TokenKind::LParen) && parts.len() > 1 {
            // `db.func(...)` (user-defined functions of other engines): read as a call.
            let args = self.call_args();
            let name = parts.pop().expect("len > 1");
            return Expr::new(
                ExprKind::Function(Function {
                    name,
                    params: vec![],
                    args,
                    over: vec![],
                    windowed: false,
                }),
                self.range_from(start),
            );
        }
        Expr::new(ExprKind::Ident(parts), self.range_from(start))
    }

    pub(super) fn case(&mut self) -> Expr {
        let start = self.here();
        self.bump();
        let mut items = Vec::new();
        if !self.at_kw("WHEN") {
            items.push(self.expr());
        }
        loop {
            if self.eat_kw("WHEN") || self.eat_kw("THEN") || self.eat_kw("ELSE") {
                items.push(self.expr());
                continue;
            }
            if self.eat_kw("END") {
                break;
            }
            if self.eof() || self.at(TokenKind::RParen) || self.at(TokenKind::Comma) {
                break;
            }
            self.skip_one();
        }
        Expr::new(ExprKind::Group(items), self.range_from(start))
    }

    pub(super) fn function(&mut self) -> Expr {
        let start = self.here();
        let name = self.ident().expect("word");
        let is_cast = name.name.eq_ignore_ascii_case("CAST")
            || name.name.eq_ignore_ascii_case("TRY_CAST")
            || name.name.eq_ignore_ascii_case("accurateCastOrNull");
        let mut args = if is_cast {
            self.cast_args()
        } else {
            self.call_args()
        };
        let mut params = Vec::new();
        if self.at(TokenKind::LParen) {
            params = std::mem::take(&mut args);
            args = self.call_args();
        }
        let mut over = Vec::new();
        let mut windowed = false;
        if self.at_kw("FILTER") && self.nth(1).is_some_and(|t| t.kind == TokenKind::LParen) {
            self.bump();
            self.bump();
            self.eat_kw("WHERE");
            over.push(self.expr());
            self.eat(TokenKind::RParen);
        }
        if self.at_kw("RESPECT") || self.at_kw("IGNORE") {
            self.pos += 1;
            self.eat_kw("NULLS");
        }
        if self.eat_kw("OVER") {
            windowed = true;
            self.window_spec(&mut over);
        }
        Expr::new(
            ExprKind::Function(Function {
                name,
                params,
                args,
                over,
                windowed,
            }),
            self.range_from(start),
        )
    }

    pub(super) fn cast_args(&mut self) -> Vec<Expr> {
        self.bump(); // (
        let mut args = vec![self.expr()];
        if self.eat_kw("AS") {
            let start = self.here();
            self.type_name();
            args.push(Expr::new(ExprKind::Opaque, self.range_from(start)));
        }
        while self.eat(TokenKind::Comma) {
            args.push(self.expr());
        }
        while !self.eof() && !self.at(TokenKind::RParen) {
            self.skip_one();
        }
        self.eat(TokenKind::RParen);
        args
    }

    /// `( args )` of a call. Besides commas, `FROM`, `FOR` and `AS` separate the arguments of
    /// SQL-standard forms (`EXTRACT(DAY FROM d)`, `SUBSTRING(s FROM 1 FOR 2)`).
    pub(super) fn call_args(&mut self) -> Vec<Expr> {
        self.bump(); // (
        let mut args = Vec::new();
        self.eat_kw("DISTINCT");
        self.eat_kw("ALL");
        while !self.eof() && !self.at(TokenKind::RParen) {
            let before = self.pos;
            if self.at_query_start() {
                let start = self.here();
                let q = self.query();
                args.push(Expr::new(
                    ExprKind::Subquery(Box::new(q)),
                    self.range_from(start),
                ));
            } else {
                args.push(self.aliased(false));
            }
            if self.eat(TokenKind::Comma)
                || self.eat_kw("FROM")
                || self.eat_kw("FOR")
                || self.eat_kw("AS")
                || self.eat_kw("SEPARATOR")
            {
                continue;
            }
            if self.pos == before {
                self.skip_one();
            }
            if self.at(TokenKind::RBracket) {
                break;
            }
        }
        self.eat(TokenKind::RParen);
        args
    }
}
