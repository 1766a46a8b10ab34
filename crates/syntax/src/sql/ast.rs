//! The syntax tree the tolerant SQL parser builds: enough of ClickHouse `SELECT` to know what a
//! query reads, produces and filters. Ranges are byte ranges of the parsed text.

use crate::text::TextRange;

#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    /// Unquoted.
    pub name: String,
    pub range: TextRange,
}

/// `SELECT … UNION ALL SELECT …` (one or more selects).
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub selects: Vec<Select>,
    pub range: TextRange,
}

#[derive(Clone, Debug, PartialEq)]
pub enum WithItem {
    /// `WITH name AS (SELECT …)`.
    Subquery { name: Ident, query: Box<Query> },
    /// `WITH expr AS name`.
    Expr { name: Ident, expr: Expr },
}

impl WithItem {
    pub fn name(&self) -> &Ident {
        match self {
            WithItem::Subquery { name, .. } | WithItem::Expr { name, .. } => name,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Select {
    pub range: TextRange,
    pub with: Vec<WithItem>,
    pub items: Vec<Expr>,
    pub from: Vec<TableExpr>,
    pub array_join: Vec<Expr>,
    pub prewhere: Option<Expr>,
    pub where_: Option<Expr>,
    pub group_by: Vec<Expr>,
    /// `GROUP BY ALL`, `GROUP BY GROUPING SETS (…)`, or keys the parser could not read: the
    /// keys are not `group_by` as listed.
    pub group_by_special: bool,
    pub having: Option<Expr>,
    pub order_by: Vec<Expr>,
    /// LIMIT, LIMIT BY, SETTINGS and other trailing expressions (only walked for subqueries).
    pub other: Vec<Expr>,
}

impl Select {
    /// The expressions after FROM: ARRAY JOIN, PREWHERE, WHERE, GROUP BY, HAVING, ORDER BY and
    /// the trailing ones, in order.
    pub fn clause_exprs(&self) -> impl Iterator<Item = &Expr> {
        self.array_join
            .iter()
            .chain(&self.prewhere)
            .chain(&self.where_)
            .chain(&self.group_by)
            .chain(&self.having)
            .chain(&self.order_by)
            .chain(&self.other)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum TableSource {
    /// `[db.]name`.
    Table {
        database: Option<Ident>,
        name: Ident,
    },
    Subquery(Box<Query>),
    /// `numbers(10)`, `url(…)`, ...
    Function(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct TableExpr {
    pub source: TableSource,
    pub alias: Option<Ident>,
    /// `Some` for every table after the first: the join's ON/USING expressions.
    pub join: Option<Vec<Expr>>,
    pub range: TextRange,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Number,
    String(String),
    Null,
    Bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// `a`, `t.a`, `db.t.a` (unquoted parts).
    Ident(Vec<Ident>),
    /// `*`, `t.*`, `COLUMNS('re')` and other column matchers.
    Star,
    Function(Function),
    /// Binary operators by their ClickHouse function name: `equals`, `less`, `and`, `in`, ...
    Binary {
        op: &'static str,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `not`, `negate`, `isNull`, `isNotNull`.
    Unary {
        op: &'static str,
        expr: Box<Expr>,
    },
    Subquery(Box<Query>),
    /// `(a, b)`, `[a, b]`, `CASE …`, `x ? a : b`, `a BETWEEN b AND c`: a node whose children
    /// are expressions.
    Group(Vec<Expr>),
    /// `x -> body`, `(x, y) -> body`: `params` is empty when they are not plain names.
    Lambda {
        params: Vec<Ident>,
        body: Box<Expr>,
    },
    /// `expr AS alias` (ClickHouse allows an alias on any expression).
    Alias {
        expr: Box<Expr>,
        alias: Ident,
    },
    /// A query parameter `{name:Type}` or a type name in `CAST(x AS T)`.
    Opaque,
    /// Text the parser could not read.
    Error,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    pub name: Ident,
    /// Parameters of a parametric aggregate: `quantile(0.9)(x)` has params `[0.9]`.
    pub params: Vec<Expr>,
    pub args: Vec<Expr>,
    /// `OVER (…)` window (and a `FILTER (WHERE …)` condition).
    pub over: Vec<Expr>,
    /// Called with `OVER`: a window function call.
    pub windowed: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub range: TextRange,
}

impl Expr {
    pub fn new(kind: ExprKind, range: TextRange) -> Expr {
        Expr { kind, range }
    }

    /// The expression without its alias.
    pub fn unaliased(&self) -> &Expr {
        match &self.kind {
            ExprKind::Alias { expr, .. } => expr.unaliased(),
            _ => self,
        }
    }

    pub fn alias(&self) -> Option<&Ident> {
        match &self.kind {
            ExprKind::Alias { alias, .. } => Some(alias),
            _ => None,
        }
    }

    /// Direct sub-expressions and subqueries, in order.
    pub fn children(&self) -> (Vec<&Expr>, Vec<&Query>) {
        let mut e = Vec::new();
        let mut q = Vec::new();
        match &self.kind {
            ExprKind::Function(f) => {
                e.extend(f.params.iter());
                e.extend(f.args.iter());
                e.extend(f.over.iter());
            }
            ExprKind::Binary { left, right, .. } => {
                e.push(left);
                e.push(right);
            }
            ExprKind::Unary { expr, .. } | ExprKind::Alias { expr, .. } => e.push(expr),
            ExprKind::Lambda { body, .. } => e.push(body),
            ExprKind::Group(items) => e.extend(items.iter()),
            ExprKind::Subquery(query) => q.push(&**query),
            _ => {}
        }
        (e, q)
    }
}
