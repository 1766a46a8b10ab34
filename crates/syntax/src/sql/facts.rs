//! Facts derived from a parsed query: the tables it reads (with CTE names resolved, as
//! ClickHouse's own AST walker does), its select items, filters and keys.

use super::ast::*;
use super::parser::unquote;
use crate::text::TextRange;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefContext {
    /// `FROM x` (and `FROM x, y`).
    From,
    Join,
    /// `a IN x` with a table on the right.
    In,
    /// `joinGet('x', …)`.
    JoinGet,
    /// `{{ table('x') }}` in a template.
    TemplateTable,
}

/// A table a query reads. Ranges are in the analysed text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RawTableRef {
    pub database: Option<String>,
    pub name: String,
    pub range: TextRange,
    pub context: RefContext,
    /// `FROM t AS a`: `a`.
    pub alias: Option<String>,
}

impl RawTableRef {
    /// `db.name` or `name`.
    pub fn full_name(&self) -> String {
        qualified(self.database.as_deref(), &self.name)
    }
}

/// `db.name`, or `name` without a database.
pub fn qualified(database: Option<&str>, name: &str) -> String {
    match database {
        Some(d) => format!("{d}.{name}"),
        None => name.to_string(),
    }
}

/// A function call with its aggregate combinators split off: `sumIfState` is `sum` + `If`,
/// `State`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FunctionCall {
    pub name: String,
    pub range: TextRange,
    /// The aggregate function the name is built on (`None` for other functions).
    pub aggregate: Option<String>,
    pub combinators: Vec<String>,
    /// Arguments that are plain column names (`countMerge(hits)` → `hits`), with their ranges.
    pub column_args: Vec<(String, TextRange)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SelectItem {
    pub range: TextRange,
    pub alias: Option<String>,
    /// What the column is called in the result: the alias, a column's name, or the expression.
    pub output_name: String,
    pub functions: Vec<FunctionCall>,
    /// `* EXCEPT (a, b)` (also `t.* EXCEPT …`): the star's columns left out. The item's
    /// `output_name` is the star itself (`*`, `t.*`); `REPLACE (expr AS c)` keeps the names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<String>,
}

/// `* EXCEPT (a, b) REPLACE (…)` as written: the star (`*`, `t.*`) and the names left out.
fn star_parts(text: &str) -> (String, Vec<String>) {
    let text = text.trim();
    let star_end = text
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '*' | '`')))
        .map_or(text.len(), |(i, _)| i);
    let star = text[..star_end].replace('`', "");
    let rest = &text[star_end..];
    let mut except = Vec::new();
    let upper = rest.to_ascii_uppercase();
    if let Some(at) = upper.find("EXCEPT") {
        let after = rest[at + "EXCEPT".len()..].trim_start();
        let list = match after.strip_prefix('(') {
            Some(inner) => inner.split(')').next().unwrap_or(""),
            None => after.split_whitespace().next().unwrap_or(""),
        };
        except = list
            .split(',')
            .map(|n| n.trim().trim_matches('`').to_string())
            .filter(|n| !n.is_empty())
            .collect();
    }
    (star, except)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CompareOp {
    #[serde(rename = "=")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

impl CompareOp {
    fn from_function(op: &str) -> Option<CompareOp> {
        Some(match op {
            "equals" => CompareOp::Eq,
            "notEquals" => CompareOp::Ne,
            "less" => CompareOp::Lt,
            "lessOrEquals" => CompareOp::Le,
            "greater" => CompareOp::Gt,
            "greaterOrEquals" => CompareOp::Ge,
            _ => return None,
        })
    }
    /// The operator with its sides swapped (`5 < x` is `x > 5`).
    fn flipped(self) -> CompareOp {
        match self {
            CompareOp::Lt => CompareOp::Gt,
            CompareOp::Le => CompareOp::Ge,
            CompareOp::Gt => CompareOp::Lt,
            CompareOp::Ge => CompareOp::Le,
            o => o,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

/// `column op value`, where the column may be wrapped in conversions (`toDate(ts) >= '…'`) and
/// the value is a literal or a function of literals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Comparison {
    pub column: String,
    pub column_range: TextRange,
    /// Functions around the column, outermost first (`toStartOfHour`, `toDate`, ...).
    pub wrappers: Vec<String>,
    pub op: CompareOp,
    pub value_range: TextRange,
    /// The value's text (a string literal unquoted).
    pub value: String,
}

/// One `AND`-separated part of a WHERE or PREWHERE.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conjunct {
    pub range: TextRange,
    /// Comparisons the conjunct is made of (two for `BETWEEN`).
    pub comparisons: Vec<Comparison>,
}

#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize)]
pub struct SelectFacts {
    pub range: TextRange,
    pub items: Vec<SelectItem>,
    pub prewhere: Vec<Conjunct>,
    pub where_: Vec<Conjunct>,
    pub group_by: Vec<TextRange>,
    pub order_by: Vec<TextRange>,
    /// The WHERE expression, whole.
    pub where_range: Option<TextRange>,
    /// Its top level is an `OR` (a condition added after it needs parentheses around it).
    pub where_or: bool,
}

impl SelectFacts {
    /// Applies `f` to every range (to move the facts from a rendering to the template text).
    pub fn map_ranges(&mut self, f: impl Fn(TextRange) -> TextRange) {
        self.range = f(self.range);
        for i in &mut self.items {
            i.range = f(i.range);
            for c in &mut i.functions {
                c.range = f(c.range);
                for (_, r) in &mut c.column_args {
                    *r = f(*r);
                }
            }
        }
        for c in self.prewhere.iter_mut().chain(&mut self.where_) {
            c.range = f(c.range);
            for cmp in &mut c.comparisons {
                cmp.column_range = f(cmp.column_range);
                cmp.value_range = f(cmp.value_range);
            }
        }
        for r in self.group_by.iter_mut().chain(&mut self.order_by) {
            *r = f(*r);
        }
        if let Some(r) = &mut self.where_range {
            *r = f(*r);
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cte {
    pub name: String,
    /// The name where it is defined.
    pub range: TextRange,
    /// `WITH name AS (SELECT …)`: the subquery's text (`None` for `WITH expr AS name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<TextRange>,
    /// The subquery's first SELECT, for its columns.
    #[serde(skip)]
    pub select: Option<SelectFacts>,
    /// `WITH expr AS name`: the expression's text (a name in it is read from the tables, not
    /// this alias).
    #[serde(skip)]
    pub expr: Option<TextRange>,
}

/// A subquery other than a CTE's: a derived table (`FROM (SELECT …) AS t`), `IN (SELECT …)`,
/// or a scalar subquery. Its SELECT reads its own tables; only a derived table's columns are
/// read by the enclosing SELECT.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Subquery {
    /// The subquery's text.
    pub body: TextRange,
    /// In FROM or JOIN.
    pub derived: bool,
    /// `FROM (SELECT …) AS t`: `t`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// The subquery's first SELECT, for its columns.
    #[serde(skip)]
    pub select: Option<SelectFacts>,
}

/// What a walk over queries finds.
#[derive(Default)]
pub struct QueryFacts {
    /// Tables read anywhere (subqueries, joins, IN, scalar subqueries, CTE bodies), minus the
    /// names of CTEs in scope.
    pub tables: Vec<RawTableRef>,
    pub ctes: Vec<Cte>,
    /// `FROM c` / `JOIN c` where `c` is a CTE in scope.
    pub cte_reads: Vec<RawTableRef>,
    /// Subqueries other than CTE bodies, each before the subqueries inside it.
    pub subqueries: Vec<Subquery>,
    /// Every function called (not table functions), with the name's range.
    pub calls: Vec<Ident>,
    /// Every call with its number of arguments, where the count is as ClickHouse sees it (no
    /// `*` argument, no SQL-standard form such as `EXTRACT(… FROM …)` or `CAST(… AS …)`).
    pub counted_calls: Vec<(Ident, usize)>,
    /// Aggregate and window function calls ClickHouse refuses where they are: the name and
    /// why (see [`misplaced_calls`]).
    pub misplaced: Vec<(Ident, &'static str, String)>,
}

/// Table references of queries, as ClickHouse's own AST walker resolves CTE names; `src` is
/// the text the queries were parsed from.
pub fn table_refs<'q>(queries: impl IntoIterator<Item = &'q Query>, src: &str) -> QueryFacts {
    let mut w = Walker {
        src,
        scope: Vec::new(),
        facts: QueryFacts::default(),
    };
    for q in queries {
        w.query(q);
    }
    w.facts
}

struct Walker<'s> {
    src: &'s str,
    scope: Vec<String>,
    facts: QueryFacts,
}

impl Walker<'_> {
    fn query(&mut self, q: &Query) {
        for s in &q.selects {
            let mark = self.scope.len();
            // A CTE is visible in the CTEs after it and in the rest of the select.
            for w in &s.with {
                match w {
                    WithItem::Subquery { name, query } => {
                        self.query(query);
                        self.facts.ctes.push(Cte {
                            name: name.name.clone(),
                            range: name.range,
                            body: Some(query.range),
                            select: query.selects.first().map(|s| select_facts(s, self.src)),
                            expr: None,
                        });
                    }
                    WithItem::Expr { name, expr } => {
                        self.expr(expr);
                        self.facts.ctes.push(Cte {
                            name: name.name.clone(),
                            range: name.range,
                            body: None,
                            select: None,
                            expr: Some(expr.range),
                        });
                    }
                }
                self.scope.push(w.name().name.clone());
            }
            for e in &s.items {
                self.expr(e);
            }
            for t in &s.from {
                match &t.source {
                    TableSource::Table { database, name } => {
                        let r = RawTableRef {
                            database: database.as_ref().map(|d| d.name.clone()),
                            name: name.name.clone(),
                            range: database
                                .as_ref()
                                .map_or(name.range, |d| d.range.cover(name.range)),
                            context: if t.join.is_some() {
                                RefContext::Join
                            } else {
                                RefContext::From
                            },
                            alias: t.alias.as_ref().map(|a| a.name.clone()),
                        };
                        if database.is_some() || !self.scope.iter().any(|c| c == &name.name) {
                            self.facts.tables.push(r);
                        } else {
                            self.facts.cte_reads.push(r);
                        }
                    }
                    TableSource::Subquery(sub) => {
                        self.subquery(sub, true, t.alias.as_ref().map(|a| a.name.clone()));
                    }
                    // A table function: its arguments are expressions, its name is no
                    // function of `system.functions`.
                    TableSource::Function(f) => self.children(f),
                }
                for e in t.join.iter().flatten() {
                    self.expr(e);
                }
            }
            for e in s.clause_exprs() {
                self.expr(e);
            }
            misplaced_calls(s, &mut self.facts.misplaced);
            self.scope.truncate(mark);
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Binary { op, right, .. }
                if matches!(*op, "in" | "notIn" | "globalIn" | "globalNotIn") =>
            {
                if let ExprKind::Ident(parts) = &right.unaliased().kind {
                    let (database, name) = match parts.as_slice() {
                        [n] => (None, n),
                        [d, n] => (Some(d.name.clone()), n),
                        _ => (None, &parts[0]),
                    };
                    if parts.len() <= 2
                        && (database.is_some() || !self.scope.iter().any(|c| c == &name.name))
                    {
                        self.facts.tables.push(RawTableRef {
                            database,
                            name: name.name.clone(),
                            range: right.range,
                            context: RefContext::In,
                            alias: None,
                        });
                    }
                }
            }
            ExprKind::Function(f) if f.name.name.starts_with("joinGet") => {
                if let Some(Expr {
                    kind: ExprKind::Literal(Literal::String(s)),
                    range,
                }) = f.args.first()
                {
                    let (database, name) = match s.split_once('.') {
                        Some((d, n)) => (Some(d.to_string()), n.to_string()),
                        None => (None, s.clone()),
                    };
                    // The name inside the quotes (after `db.`), where it is written as it
                    // reads (no escapes): what a rename rewrites, keeping the quotes.
                    let written = self.src.get(range.start..range.end).unwrap_or("");
                    let plain = written.len() == s.len() + 2
                        && written.starts_with(['\'', '"'])
                        && written[1..written.len() - 1] == *s;
                    let range = if plain {
                        let start = range.end - 1 - name.len();
                        TextRange::new(start, range.end - 1)
                    } else {
                        *range
                    };
                    self.facts.tables.push(RawTableRef {
                        database,
                        name,
                        range,
                        context: RefContext::JoinGet,
                        alias: None,
                    });
                }
            }
            _ => {}
        }
        if let ExprKind::Function(f) = &e.kind {
            self.facts.calls.push(f.name.clone());
            if counted(f, self.src) {
                self.facts
                    .counted_calls
                    .push((f.name.clone(), f.args.len()));
            }
        }
        // (Inline, not through `children`: one frame per level of nesting.)
        let (exprs, queries) = e.children();
        for c in exprs {
            self.expr(c);
        }
        for q in queries {
            self.subquery(q, false, None);
        }
    }

    fn children(&mut self, e: &Expr) {
        let (exprs, queries) = e.children();
        for c in exprs {
            self.expr(c);
        }
        for q in queries {
            self.subquery(q, false, None);
        }
    }

    fn subquery(&mut self, q: &Query, derived: bool, alias: Option<String>) {
        self.facts.subqueries.push(Subquery {
            body: q.range,
            derived,
            alias,
            select: q.selects.first().map(|s| select_facts(s, self.src)),
        });
        self.query(q);
    }
}

/// Facts of one select: items, filters, keys.
pub fn select_facts(s: &Select, src: &str) -> SelectFacts {
    let items = s
        .items
        .iter()
        .map(|e| {
            let alias = e.alias().map(|a| a.name.clone());
            let inner = e.unaliased();
            let mut except = Vec::new();
            let output_name = alias.clone().unwrap_or_else(|| match &inner.kind {
                ExprKind::Ident(parts) => parts.last().map(|p| p.name.clone()).unwrap_or_default(),
                ExprKind::Star => {
                    let (star, ex) = star_parts(&src[inner.range.start..inner.range.end]);
                    except = ex;
                    star
                }
                _ => src[inner.range.start..inner.range.end].to_string(),
            });
            let mut functions = Vec::new();
            collect_functions(inner, &mut functions);
            SelectItem {
                range: e.range,
                alias,
                output_name,
                functions,
                except,
            }
        })
        .collect();
    SelectFacts {
        range: s.range,
        items,
        prewhere: s
            .prewhere
            .as_ref()
            .map(|e| conjuncts(e, src))
            .unwrap_or_default(),
        where_: s
            .where_
            .as_ref()
            .map(|e| conjuncts(e, src))
            .unwrap_or_default(),
        group_by: s.group_by.iter().map(|e| e.range).collect(),
        order_by: s.order_by.iter().map(|e| e.range).collect(),
        where_range: s.where_.as_ref().map(|e| e.range),
        where_or: s.where_.as_ref().is_some_and(|e| {
            matches!(&e.unaliased().kind, ExprKind::Binary { op: "or", .. })
                || matches!(&e.unaliased().kind, ExprKind::Function(f) if f.name.name == "or")
        }),
    }
}

fn collect_functions(e: &Expr, out: &mut Vec<FunctionCall>) {
    if let ExprKind::Function(f) = &e.kind {
        let (aggregate, combinators) = split_combinators(&f.name.name);
        let column_args = f
            .args
            .iter()
            .filter_map(|a| match &a.unaliased().kind {
                ExprKind::Ident(parts) => parts.last().map(|p| (p.name.clone(), p.range)),
                _ => None,
            })
            .collect();
        out.push(FunctionCall {
            name: f.name.name.clone(),
            range: f.name.range,
            aggregate,
            combinators,
            column_args,
        });
    }
    for c in e.children().0 {
        collect_functions(c, out);
    }
}

pub use super::functions::{combinators, split_combinators};

/// The calls of one select that ClickHouse refuses (its subqueries are selects of their own):
/// an aggregate inside another aggregate's arguments, an aggregate or window function in WHERE,
/// PREWHERE or GROUP BY (ILLEGAL_AGGREGATION), a window-only function without OVER.
pub fn misplaced_calls(s: &Select, out: &mut Vec<(Ident, &'static str, String)>) {
    for e in s.items.iter().chain(&s.having).chain(&s.order_by) {
        nested_aggregates(e, None, out);
    }
    for (clause, e) in s
        .prewhere
        .iter()
        .map(|e| ("PREWHERE", e))
        .chain(s.where_.iter().map(|e| ("WHERE", e)))
        .chain(s.group_by.iter().map(|e| ("GROUP BY", e)))
    {
        aggregates_in_clause(e, clause, out);
        nested_aggregates(e, None, out);
    }
    for e in s.array_join.iter().chain(&s.other) {
        nested_aggregates(e, None, out);
    }
}

/// Whether the parser's argument list of `f` is the one ClickHouse counts: not a form whose
/// arguments are separated by words (`EXTRACT(DAY FROM d)`, `CAST(x AS T)`,
/// `SUBSTRING(s FROM 1)`, `trim(BOTH ' ' FROM s)`, `position(a IN b)`), no `*` argument, no
/// `DISTINCT`/`ALL` modifier.
fn counted(f: &Function, src: &str) -> bool {
    let name = f.name.name.to_ascii_lowercase();
    const WORD_FORMS: &[&str] = &[
        "cast",
        "accuratecast",
        "accuratecastornull",
        "accuratecastordefault",
        "extract",
        "substring",
        "substr",
        "trim",
        "ltrim",
        "rtrim",
        "position",
        "overlay",
        "interval",
        "date_add",
        "date_sub",
        "dateadd",
        "datesub",
        "timestamp_add",
        "timestamp_sub",
        "timestampadd",
        "timestampsub",
        "date_diff",
        "datediff",
        "exists",
    ];
    // `x = any(SELECT …)`: the comparison with a subquery, not the aggregate.
    if f.args
        .iter()
        .any(|a| matches!(a.kind, ExprKind::Subquery(_)))
    {
        return false;
    }
    // `any(x)` without a subquery is the aggregate (the comparison form is ruled out above).
    if name != "any"
        && (WORD_FORMS.contains(&name.as_str())
            || super::functions::parser_form(&f.name.name).is_some())
    {
        return false;
    }
    // A parametric call (`quantile(0.5)(x)`): ClickHouse counts its parameters apart.
    if !f.params.is_empty()
        || f.args
            .iter()
            .any(|a| matches!(a.kind, ExprKind::Star | ExprKind::Error))
    {
        return false;
    }
    // Words between the arguments (`FROM`, `FOR`, `AS`, `DISTINCT`): the text between the
    // parenthesis and the first argument, and between arguments, holds only commas.
    let mut at = f.name.range.end;
    for a in &f.args {
        let gap = src.get(at..a.range.start).unwrap_or("");
        if gap.chars().any(|c| c.is_alphanumeric()) {
            return false;
        }
        at = a.range.end;
    }
    true
}

/// What ClickHouse calls for `f`: an aggregate (with or without combinators), a window-only
/// function, or neither.
pub(crate) fn call_kind(f: &Function) -> (bool, bool) {
    // `x = any(SELECT …)`, `all(SELECT …)`: the parser's comparison with a subquery.
    if let [arg] = f.args.as_slice() {
        if matches!(arg.kind, ExprKind::Subquery(_)) {
            return (false, false);
        }
    }
    match super::functions::resolve_function(&f.name.name) {
        Some(r) => (r.doc.aggregate, r.doc.window && r.combinators.is_empty()),
        None => (false, false),
    }
}

/// (An explicit stack, not recursion: expressions nest as deep as the input does.)
fn nested_aggregates(e: &Expr, outer: Option<&str>, out: &mut Vec<(Ident, &'static str, String)>) {
    let mut stack: Vec<(&Expr, Option<&str>)> = vec![(e, outer)];
    while let Some((e, outer)) = stack.pop() {
        let mut inner = outer;
        if let ExprKind::Function(f) = &e.kind {
            let (aggregate, window_only) = call_kind(f);
            if window_only && !f.windowed {
                out.push((
                    f.name.clone(),
                    "window-function-misuse",
                    format!(
                        "`{}` is a window function: ClickHouse refuses it without `OVER (…)`",
                        f.name.name
                    ),
                ));
            }
            if f.windowed {
                // A window function's arguments may hold aggregates (`sum(count()) OVER ()`).
                inner = None;
            } else if aggregate {
                if let Some(o) = outer {
                    out.push((
                        f.name.clone(),
                        "illegal-aggregation",
                        format!(
                            "`{}` is an aggregate function inside the aggregate `{o}`: ClickHouse refuses aggregates inside aggregates (ILLEGAL_AGGREGATION); aggregate in a subquery first",
                            f.name.name
                        ),
                    ));
                }
                inner = Some(&f.name.name);
            }
        }
        for c in e.children().0.into_iter().rev() {
            stack.push((c, inner));
        }
    }
}

fn aggregates_in_clause(e: &Expr, clause: &str, out: &mut Vec<(Ident, &'static str, String)>) {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        if let ExprKind::Function(f) = &e.kind {
            let (aggregate, window_only) = call_kind(f);
            if f.windowed || window_only {
                out.push((
                    f.name.clone(),
                    "window-function-misuse",
                    format!("`{}` is a window function in {clause}: ClickHouse refuses window functions there (ILLEGAL_AGGREGATION)", f.name.name),
                ));
                continue;
            }
            if aggregate {
                out.push((
                    f.name.clone(),
                    "illegal-aggregation",
                    format!(
                        "`{}` is an aggregate function in {clause}: ClickHouse refuses aggregates there (ILLEGAL_AGGREGATION){}",
                        f.name.name,
                        if clause == "GROUP BY" { "" } else { "; filter aggregated values with HAVING" }
                    ),
                ));
                continue;
            }
        }
        stack.extend(e.children().0.into_iter().rev());
    }
}

fn conjuncts(e: &Expr, src: &str) -> Vec<Conjunct> {
    let mut parts = Vec::new();
    split_and(e, &mut parts);
    parts
        .into_iter()
        .map(|p| Conjunct {
            range: p.range,
            comparisons: comparisons(p, src),
        })
        .collect()
}

fn split_and<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match &e.kind {
        ExprKind::Binary {
            op: "and",
            left,
            right,
        } => {
            split_and(left, out);
            split_and(right, out);
        }
        ExprKind::Function(f) if f.name.name == "and" => {
            for a in &f.args {
                split_and(a, out);
            }
        }
        _ => out.push(e),
    }
}

fn comparisons(e: &Expr, src: &str) -> Vec<Comparison> {
    let e = e.unaliased();
    match &e.kind {
        ExprKind::Binary { op, left, right } => {
            let Some(op) = CompareOp::from_function(op) else {
                return vec![];
            };
            if let (Some(col), Some(val)) = (column_of(left), literal_value(right, src)) {
                return vec![comparison(col, op, right, val)];
            }
            if let (Some(col), Some(val)) = (column_of(right), literal_value(left, src)) {
                return vec![comparison(col, op.flipped(), left, val)];
            }
            vec![]
        }
        ExprKind::Function(f) => {
            let Some(op) = CompareOp::from_function(&f.name.name) else {
                return vec![];
            };
            match f.args.as_slice() {
                [l, r] => match (column_of(l), literal_value(r, src)) {
                    (Some(col), Some(val)) => vec![comparison(col, op, r, val)],
                    _ => vec![],
                },
                _ => vec![],
            }
        }
        // `x BETWEEN lo AND hi` is a three-element group made by the parser.
        ExprKind::Group(items) if items.len() == 3 && is_between(e, src) => {
            let (Some(col), Some(lo), Some(hi)) = (
                column_of(&items[0]),
                literal_value(&items[1], src),
                literal_value(&items[2], src),
            ) else {
                return vec![];
            };
            vec![
                comparison(col.clone(), CompareOp::Ge, &items[1], lo),
                comparison(col, CompareOp::Le, &items[2], hi),
            ]
        }
        _ => vec![],
    }
}

fn is_between(e: &Expr, src: &str) -> bool {
    let ExprKind::Group(items) = &e.kind else {
        return false;
    };
    let between = &src[items[0].range.end..items[1].range.start];
    between.trim().eq_ignore_ascii_case("between")
}

fn comparison(
    col: (String, TextRange, Vec<String>),
    op: CompareOp,
    v: &Expr,
    value: String,
) -> Comparison {
    Comparison {
        column: col.0,
        column_range: col.1,
        wrappers: col.2,
        op,
        value_range: v.range,
        value,
    }
}

/// A column, possibly inside one-argument-first conversions: `ts`, `toDate(ts)`,
/// `toStartOfHour(toDateTime(ts))`, `toStartOfInterval(ts, INTERVAL 1 hour)`.
fn column_of(e: &Expr) -> Option<(String, TextRange, Vec<String>)> {
    match &e.unaliased().kind {
        ExprKind::Ident(parts) => {
            let last = parts.last()?;
            Some((last.name.clone(), last.range, vec![]))
        }
        ExprKind::Function(f)
            if f.name.name.starts_with("to") || f.name.name.starts_with("date_trunc") =>
        {
            let first = if f.name.name.starts_with("date_trunc") {
                f.args.get(1)?
            } else {
                f.args.first()?
            };
            let (name, range, mut wrappers) = column_of(first)?;
            wrappers.insert(0, f.name.name.clone());
            Some((name, range, wrappers))
        }
        _ => None,
    }
}

/// A literal, or a function of literals (`toDateTime('2024-01-01 00:00:00')`, `now()`): its
/// text (a string literal unquoted).
fn literal_value(e: &Expr, src: &str) -> Option<String> {
    fn constant(e: &Expr) -> bool {
        match &e.unaliased().kind {
            ExprKind::Literal(_) => true,
            ExprKind::Function(f) => f.args.iter().chain(&f.params).all(constant),
            ExprKind::Unary { op: "negate", expr } => constant(expr),
            ExprKind::Binary { left, right, op } if !matches!(*op, "and" | "or") => {
                constant(left) && constant(right)
            }
            _ => false,
        }
    }
    if !constant(e) {
        return None;
    }
    let text = &src[e.range.start..e.range.end];
    Some(match &e.unaliased().kind {
        ExprKind::Literal(Literal::String(s)) => s.clone(),
        _ => {
            if text.starts_with('\'') {
                unquote(text)
            } else {
                text.to_string()
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinators_are_split() {
        assert_eq!(split_combinators("sum"), (Some("sum".into()), vec![]));
        assert_eq!(
            split_combinators("uniqExactIfState"),
            (Some("uniqExact".into()), vec!["If".into(), "State".into()])
        );
        assert_eq!(
            split_combinators("countSimpleState"),
            (Some("count".into()), vec!["SimpleState".into()])
        );
        assert_eq!(split_combinators("toDate"), (None, vec![]));
    }
}
