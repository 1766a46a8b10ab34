//! Column scopes of a query: for every SELECT (the main one, each UNION branch, CTE bodies,
//! FROM and expression subqueries), the tables it reads, the names it defines and the names it
//! reads as columns, with their ranges. Built once per parsed text (one per template rendering);
//! what a table name offers is the caller's to say ([`ColumnScopes::unknown_reads`] and
//! [`ColumnScopes::output_columns`] take it as a function), so the scopes stay pure syntax.
//!
//! Invariant: wherever a name may come from something not known here (a table function, a
//! table whose columns the caller does not know, text the parser could not read, a name a
//! template expression wrote), the answer is "not known" and no read is judged.

use super::ast::{Expr, ExprKind, Query, Select, TableSource, WithItem};
use super::template::BranchInfo;
use crate::text::TextRange;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ColumnScopes {
    pub selects: Vec<SelectScope>,
    /// The selects of the query itself (several for a UNION); the first names its columns.
    pub top: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SelectScope {
    /// The select this one is written in (a CTE body, a FROM or an expression subquery).
    pub parent: Option<usize>,
    /// An expression subquery (`IN (SELECT …)`, a scalar): the parent's tables are in scope.
    pub correlated: bool,
    pub sources: Vec<Source>,
    /// Names the select defines: aliases (anywhere in it), `WITH expr AS name`, ARRAY JOIN
    /// aliases.
    pub names: Vec<String>,
    pub reads: Vec<Read>,
    pub outputs: Vec<Output>,
    /// False when part of the select could not be read, or a template expression wrote a name
    /// it defines: nothing is judged in it, and its columns are not known.
    pub certain: bool,
    /// In a SELECT that aggregates (GROUP BY, or an aggregate call): the reads (indexes into
    /// `reads`) outside every aggregate call and every grouping key ([`ungrouped`]).
    pub ungrouped: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Source {
    /// The alias, else the table's name: what qualifies its columns (`e.ts`).
    pub name: Option<String>,
    pub kind: SourceKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum SourceKind {
    Table {
        database: Option<String>,
        name: String,
    },
    /// A FROM subquery or a CTE: its selects (the first names the columns).
    Query(Vec<usize>),
    /// A table function, or a table a template expression names.
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Output {
    Name(String),
    /// `*` / `t.*`, with `EXCEPT (…)` names.
    Star {
        qualifier: Option<String>,
        except: Vec<String>,
    },
    /// `COLUMNS('re')`, or an item a template expression wrote.
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Read {
    /// `t` of `t.c`.
    pub qualifier: Option<String>,
    pub name: String,
    pub range: TextRange,
    /// The template branch the read is written in (templates only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<BranchInfo>,
}

/// A name read as a column that nothing in scope provides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownRead<'a> {
    pub read: &'a Read,
    /// The table the read is judged against, when there is one (`t` in "no column of `t`").
    pub table: Option<String>,
    /// The names of the tables (not CTEs or subqueries) it is judged against, as written in
    /// FROM (not their aliases).
    pub tables: Vec<String>,
    /// The names in scope (for a did-you-mean).
    pub known: Vec<String>,
}

/// What a table name offers: its columns when all of them are known, else `None`.
pub type TableColumns<'a> = dyn Fn(Option<&str>, &str) -> Option<Arc<Known>> + 'a;

/// A table's columns, in order, with a lookup: a name is provided when it is a column, or the
/// name of a Nested column (`n` for `n.x`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Known {
    pub names: Vec<String>,
    lookup: HashSet<String>,
}

impl Known {
    pub fn new(names: Vec<String>) -> Known {
        let mut lookup: HashSet<String> = names.iter().cloned().collect();
        for n in &names {
            let mut at = 0;
            while let Some(i) = n[at..].find('.') {
                lookup.insert(n[..at + i].to_string());
                at += i + 1;
            }
        }
        Known { names, lookup }
    }

    pub fn provides(&self, name: &str) -> bool {
        self.lookup.contains(name)
    }
}

/// The units `INTERVAL n unit` and `EXTRACT(unit FROM …)` take (ClickHouse accepts them in any
/// case, singular or plural).
pub const INTERVAL_UNITS: &[&str] = &[
    "nanosecond",
    "microsecond",
    "millisecond",
    "second",
    "minute",
    "hour",
    "day",
    "week",
    "month",
    "quarter",
    "year",
];

/// Words ClickHouse reads as something else where a name stands: interval units
/// (`EXTRACT(DAY FROM ts)`, `INTERVAL 1 DAY`), the float literals, `ALL` (`GROUP BY ALL`),
/// `trim(BOTH …)`; and names starting with `_`, which may be virtual columns (`_part`,
/// Kafka's `__timestamp`).
fn not_a_column(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "inf", "nan", "infinity", "all", "both", "leading", "trailing",
    ];
    let singular = name.trim_end_matches(['s', 'S']);
    name.starts_with('_')
        || WORDS
            .iter()
            .chain(INTERVAL_UNITS)
            .any(|w| w.eq_ignore_ascii_case(name) || w.eq_ignore_ascii_case(singular))
        || name.contains(['(', ')', ' ', '\'', '*'])
}

/// The scopes of a parsed text. `from_template(range)` says whether a template expression
/// wrote that part of the text (always false for plain SQL). `None` when the text holds
/// anything but one query.
pub fn column_scopes(
    src: &str,
    parsed: &super::parser::Parsed,
    from_template: &dyn Fn(TextRange) -> bool,
) -> Option<ColumnScopes> {
    let ([query], []) = (parsed.queries.as_slice(), parsed.stray.as_slice()) else {
        return None;
    };
    let mut b = Builder {
        src,
        from_template,
        out: ColumnScopes::default(),
    };
    let top = b.query(query, None, false, &[]);
    b.out.top = top;
    Some(b.out)
}

struct Builder<'a> {
    src: &'a str,
    from_template: &'a dyn Fn(TextRange) -> bool,
    out: ColumnScopes,
}

/// The CTEs in scope: name and selects, innermost last.
type Ctes = [(String, Vec<usize>)];

/// What one select collects while its expressions are walked.
#[derive(Default)]
struct Collect {
    names: Vec<String>,
    reads: Vec<Read>,
    certain: bool,
}

impl Builder<'_> {
    fn query(
        &mut self,
        q: &Query,
        parent: Option<usize>,
        correlated: bool,
        ctes: &Ctes,
    ) -> Vec<usize> {
        q.selects
            .iter()
            .map(|s| self.select(s, parent, correlated, ctes))
            .collect()
    }

    fn select(
        &mut self,
        s: &Select,
        parent: Option<usize>,
        correlated: bool,
        ctes: &Ctes,
    ) -> usize {
        let id = self.out.selects.len();
        self.out.selects.push(SelectScope {
            parent,
            correlated,
            sources: vec![],
            names: vec![],
            reads: vec![],
            outputs: vec![],
            certain: true,
            ungrouped: vec![],
        });
        let mut ctes = ctes.to_vec();
        let mut c = Collect {
            certain: true,
            ..Collect::default()
        };
        for w in &s.with {
            match w {
                WithItem::Subquery { name, query } => {
                    let selects = self.query(query, Some(id), false, &ctes);
                    ctes.push((name.name.clone(), selects));
                }
                WithItem::Expr { name, expr } => {
                    if (self.from_template)(name.range) {
                        c.certain = false;
                    }
                    c.names.push(name.name.clone());
                    self.expr(expr, id, &ctes, &mut c, &[]);
                }
            }
        }
        let mut sources = vec![];
        for t in &s.from {
            let kind = match &t.source {
                TableSource::Table { database, name } => {
                    if (self.from_template)(name.range)
                        || database
                            .as_ref()
                            .is_some_and(|d| (self.from_template)(d.range))
                    {
                        SourceKind::Unknown
                    } else if let (None, Some((_, selects))) =
                        (database, ctes.iter().rev().find(|(n, _)| *n == name.name))
                    {
                        SourceKind::Query(selects.clone())
                    } else {
                        SourceKind::Table {
                            database: database.as_ref().map(|d| d.name.clone()),
                            name: name.name.clone(),
                        }
                    }
                }
                TableSource::Subquery(q) => {
                    SourceKind::Query(self.query(q, Some(id), false, &ctes))
                }
                TableSource::Function(_) => SourceKind::Unknown,
            };
            if let Some(a) = &t.alias {
                if (self.from_template)(a.range) {
                    c.certain = false;
                }
            }
            let name = t.alias.as_ref().map(|a| a.name.clone()).or(match &kind {
                SourceKind::Table { name, .. } => Some(name.clone()),
                _ => None,
            });
            sources.push(Source { name, kind });
            for e in t.join.iter().flatten() {
                self.expr(e, id, &ctes, &mut c, &[]);
            }
        }
        let judged = s
            .items
            .iter()
            .chain(&s.array_join)
            .chain(&s.prewhere)
            .chain(&s.where_)
            .chain(&s.group_by)
            .chain(&s.having)
            .chain(&s.order_by);
        for e in judged {
            self.expr(e, id, &ctes, &mut c, &[]);
        }
        // LIMIT BY, QUALIFY, WINDOW, SETTINGS: their names are not judged (a setting's name is
        // no column), but the aliases they define are names of the select.
        for e in &s.other {
            let mut skip = Collect::default();
            self.expr(e, id, &ctes, &mut skip, &[]);
            c.names.extend(skip.names);
        }
        let outputs = s.items.iter().map(|e| self.output(e)).collect();
        let ungrouped_ranges = ungrouped(s, self.from_template);
        let ungrouped_reads = c
            .reads
            .iter()
            .enumerate()
            .filter(|(_, r)| ungrouped_ranges.contains(&r.range))
            .map(|(i, _)| i)
            .collect();
        let scope = &mut self.out.selects[id];
        scope.ungrouped = ungrouped_reads;
        scope.sources = sources;
        scope.names = c.names;
        scope.reads = c.reads;
        scope.outputs = outputs;
        scope.certain = c.certain;
        id
    }

    fn output(&self, e: &Expr) -> Output {
        if let Some(a) = e.alias() {
            return if (self.from_template)(a.range) {
                Output::Unknown
            } else {
                Output::Name(a.name.clone())
            };
        }
        let inner = e.unaliased();
        if (self.from_template)(inner.range) {
            return Output::Unknown;
        }
        match &inner.kind {
            ExprKind::Ident(parts) => parts
                .last()
                .map_or(Output::Unknown, |p| Output::Name(p.name.clone())),
            ExprKind::Star => star(&self.src[inner.range.start..inner.range.end]),
            _ => Output::Name(self.src[inner.range.start..inner.range.end].to_string()),
        }
    }

    fn expr(&mut self, e: &Expr, id: usize, ctes: &Ctes, c: &mut Collect, lambda: &[String]) {
        match &e.kind {
            ExprKind::Alias { expr, alias } => {
                if (self.from_template)(alias.range) {
                    c.certain = false;
                }
                c.names.push(alias.name.clone());
                self.expr(expr, id, ctes, c, lambda);
            }
            ExprKind::Ident(parts) => {
                if (self.from_template)(e.range) {
                    return;
                }
                let quoted = |r: TextRange| self.src[r.start..].starts_with(['`', '"']);
                if parts
                    .iter()
                    .any(|p| !quoted(p.range) && super::parser::is_reserved(&p.name))
                {
                    c.certain = false;
                    return;
                }
                let (qualifier, name) = match parts.as_slice() {
                    [one] if !lambda.contains(&one.name) => (None, one),
                    [q, col] if !lambda.contains(&q.name) => (Some(q.name.clone()), col),
                    // A lambda's parameter, a tuple element, a database: not judged.
                    _ => return,
                };
                c.reads.push(Read {
                    qualifier,
                    name: name.name.clone(),
                    range: name.range,
                    branch: None,
                });
            }
            ExprKind::Lambda { params, body } => {
                // Parameters that are not plain names: the body's names are not known.
                if params.is_empty() {
                    return;
                }
                let mut inner = lambda.to_vec();
                inner.extend(params.iter().map(|p| p.name.clone()));
                self.expr(body, id, ctes, c, &inner);
            }
            ExprKind::Subquery(q) => {
                self.query(q, Some(id), true, ctes);
            }
            ExprKind::Binary { op, left, right }
                if matches!(*op, "in" | "notIn" | "globalIn" | "globalNotIn") =>
            {
                self.expr(left, id, ctes, c, lambda);
                // `x IN t` may name a table (or a set): not a column read.
                if !matches!(right.kind, ExprKind::Ident(_)) {
                    self.expr(right, id, ctes, c, lambda);
                }
            }
            ExprKind::Error => c.certain = false,
            _ => {
                let (children, queries) = e.children();
                for ch in children {
                    self.expr(ch, id, ctes, c, lambda);
                }
                for q in queries {
                    self.query(q, Some(id), true, ctes);
                }
            }
        }
    }
}

/// An expression as ClickHouse compares grouping keys, leniently: names without their table,
/// function names in any case, aliases seen through. Two expressions that may differ for
/// ClickHouse may compare equal here (a key then covers more): never the other way.
fn canon(e: &Expr, out: &mut String) {
    match &e.kind {
        ExprKind::Ident(parts) => out.push_str(parts.last().map_or("", |p| p.name.as_str())),
        ExprKind::Alias { expr, .. } => canon(expr, out),
        ExprKind::Function(f) => {
            out.push_str(&f.name.name.to_ascii_lowercase());
            for list in [&f.params, &f.args, &f.over] {
                out.push('(');
                for a in list {
                    canon(a, out);
                    out.push(',');
                }
                out.push(')');
            }
        }
        ExprKind::Binary { op, left, right } => {
            out.push_str(op);
            out.push('(');
            canon(left, out);
            out.push(',');
            canon(right, out);
            out.push(')');
        }
        ExprKind::Unary { op, expr } => {
            out.push_str(op);
            out.push('(');
            canon(expr, out);
            out.push(')');
        }
        ExprKind::Group(items) => {
            out.push('(');
            for a in items {
                canon(a, out);
                out.push(',');
            }
            out.push(')');
        }
        ExprKind::Lambda { body, .. } => {
            out.push('λ');
            canon(body, out);
        }
        // Literals, stars, parameters, subqueries: compared by kind only (lenient).
        ExprKind::Literal(_) => out.push('#'),
        ExprKind::Star => out.push('*'),
        ExprKind::Opaque | ExprKind::Subquery(_) | ExprKind::Error => out.push('?'),
    }
}

fn canonical(e: &Expr) -> String {
    let mut s = String::new();
    canon(e, &mut s);
    s
}

/// The ranges of the column names a SELECT that aggregates reads outside every aggregate call
/// and every grouping key: ClickHouse refuses each (NOT_AN_AGGREGATE, code 215) when it is a
/// column (the caller checks that). Empty when the SELECT does not aggregate, or when its keys
/// are not all plain expressions (`GROUP BY ALL`, ROLLUP/CUBE/GROUPING SETS calls, a key a
/// template wrote, text not read). Names equal to an alias of the SELECT, lambda parameters,
/// window function calls and subqueries are left alone.
fn ungrouped(s: &Select, from_template: &dyn Fn(TextRange) -> bool) -> Vec<TextRange> {
    fn has_aggregate(e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Function(f) => {
                let (aggregate, _) = super::facts::call_kind(f);
                !f.windowed && (aggregate || f.args.iter().chain(&f.params).any(has_aggregate))
            }
            ExprKind::Subquery(_) => false,
            _ => e.children().0.into_iter().any(has_aggregate),
        }
    }
    let judged: Vec<&Expr> = s.items.iter().chain(&s.having).chain(&s.order_by).collect();
    if s.group_by_special || (s.group_by.is_empty() && !judged.iter().any(|e| has_aggregate(e))) {
        return vec![];
    }
    let aliases: Vec<&str> = s
        .items
        .iter()
        .filter_map(|e| e.alias())
        .map(|a| a.name.as_str())
        .collect();
    let mut keys: Vec<String> = vec![];
    for k in &s.group_by {
        let k = k.unaliased();
        if from_template(k.range) {
            return vec![];
        }
        match &k.kind {
            ExprKind::Error | ExprKind::Star | ExprKind::Opaque => return vec![],
            ExprKind::Ident(parts)
                if parts.len() == 1 && parts[0].name.eq_ignore_ascii_case("all") =>
            {
                return vec![]
            }
            ExprKind::Function(f)
                if ["rollup", "cube", "grouping sets", "groupingsets"]
                    .contains(&f.name.name.to_ascii_lowercase().as_str()) =>
            {
                return vec![]
            }
            // `GROUP BY 1`: the first item (positional arguments).
            ExprKind::Literal(super::ast::Literal::Number) => return vec![],
            // `GROUP BY (a, b)`: the tuple and each element.
            ExprKind::Group(items) => keys.extend(items.iter().map(canonical)),
            // `GROUP BY d` where `expr AS d`: the expression too.
            ExprKind::Ident(parts) if parts.len() == 1 => {
                for item in &s.items {
                    if item.alias().is_some_and(|a| a.name == parts[0].name) {
                        keys.push(canonical(item.unaliased()));
                    }
                }
            }
            _ => {}
        }
        keys.push(canonical(k));
    }
    let mut out = vec![];
    // (An explicit stack: expressions nest as deep as the input does.)
    let mut stack: Vec<(&Expr, Vec<&str>)> = judged.iter().map(|e| (*e, vec![])).collect();
    while let Some((e, lambda)) = stack.pop() {
        if !matches!(e.kind, ExprKind::Literal(_)) && keys.contains(&canonical(e.unaliased())) {
            continue;
        }
        match &e.kind {
            ExprKind::Alias { expr, alias } => {
                if keys.contains(&alias.name) {
                    continue;
                }
                stack.push((expr, lambda));
            }
            ExprKind::Function(f) => {
                let (aggregate, window_only) = super::facts::call_kind(f);
                if aggregate || window_only || f.windowed {
                    continue;
                }
                for a in &f.args {
                    stack.push((a, lambda.clone()));
                }
            }
            ExprKind::Ident(parts) => {
                let name = match parts.as_slice() {
                    [one] => one,
                    [_, col] => col,
                    _ => continue,
                };
                if parts.len() == 1
                    && (aliases.contains(&name.name.as_str())
                        || lambda.contains(&name.name.as_str()))
                {
                    continue;
                }
                out.push(name.range);
            }
            ExprKind::Lambda { params, body } => {
                if params.is_empty() {
                    continue;
                }
                let mut inner = lambda.clone();
                inner.extend(params.iter().map(|p| p.name.as_str()));
                stack.push((body, inner));
            }
            ExprKind::Subquery(_) | ExprKind::Error => {}
            _ => {
                for c in e.children().0 {
                    stack.push((c, lambda.clone()));
                }
            }
        }
    }
    out
}

/// `*`, `t.*`, with `EXCEPT (a, b)` / `EXCEPT a`; anything else (`COLUMNS('re')`, `t.* APPLY`)
/// is not known.
fn star(text: &str) -> Output {
    let text = text.trim();
    let (head, rest) = match text.find('*') {
        Some(i) => (&text[..i], text[i + 1..].trim()),
        None => return Output::Unknown,
    };
    let qualifier = match head.strip_suffix('.') {
        Some(q) if !q.is_empty() && !q.contains('.') => Some(q.trim_matches('`').to_string()),
        None if head.trim().is_empty() => None,
        _ => return Output::Unknown,
    };
    let mut except = vec![];
    let mut rest = rest;
    if let Some(r) = strip_keyword(rest, "EXCEPT") {
        let r = r.trim_start();
        let (list, after) = match r.strip_prefix('(') {
            Some(inner) => match inner.find(')') {
                Some(end) => (&inner[..end], inner[end + 1..].trim()),
                None => return Output::Unknown,
            },
            None => match r.find(|c: char| c.is_whitespace()) {
                Some(end) => (&r[..end], r[end..].trim()),
                None => (r, ""),
            },
        };
        for name in list.split(',') {
            let name = name.trim().trim_matches('`');
            if name.is_empty() || name.contains(['(', '\'', '"', ' ']) {
                return Output::Unknown;
            }
            except.push(name.to_string());
        }
        rest = after;
    }
    // `REPLACE (expr AS c)` keeps the names; anything else changes them.
    if !rest.is_empty() && strip_keyword(rest, "REPLACE").is_none() {
        return Output::Unknown;
    }
    Output::Star { qualifier, except }
}

fn strip_keyword<'a>(text: &'a str, kw: &str) -> Option<&'a str> {
    let head = text.get(..kw.len())?;
    (head.eq_ignore_ascii_case(kw)
        && !text[kw.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_'))
    .then(|| &text[kw.len()..])
}

/// Resolves names against what tables offer, caching the columns each select outputs.
struct Resolver<'s, 't> {
    scopes: &'s ColumnScopes,
    table: &'t TableColumns<'t>,
    outputs: HashMap<usize, Option<Arc<Known>>>,
}

impl Resolver<'_, '_> {
    fn source(&mut self, s: &Source, depth: usize) -> Option<Arc<Known>> {
        match &s.kind {
            SourceKind::Table { database, name } => (self.table)(database.as_deref(), name),
            SourceKind::Query(selects) => self.select_outputs(*selects.first()?, depth + 1),
            SourceKind::Unknown => None,
        }
    }

    fn select_outputs(&mut self, id: usize, depth: usize) -> Option<Arc<Known>> {
        if depth > 32 {
            return None;
        }
        if let Some(known) = self.outputs.get(&id) {
            return known.clone();
        }
        // A select read through itself (a CTE naming itself) is not known.
        self.outputs.insert(id, None);
        let out = self
            .compute_outputs(id, depth)
            .map(|n| Arc::new(Known::new(n)));
        self.outputs.insert(id, out.clone());
        out
    }

    fn compute_outputs(&mut self, id: usize, depth: usize) -> Option<Vec<String>> {
        let scope = &self.scopes.selects[id];
        if !scope.certain {
            return None;
        }
        let mut out = vec![];
        for o in &scope.outputs {
            match o {
                Output::Name(n) => out.push(n.clone()),
                Output::Star { qualifier, except } => {
                    let mut any = false;
                    for s in &scope.sources {
                        if qualifier.is_some() && s.name != *qualifier {
                            continue;
                        }
                        any = true;
                        let cols = self.source(s, depth)?;
                        out.extend(cols.names.iter().filter(|c| !except.contains(c)).cloned());
                    }
                    if !any {
                        return None;
                    }
                }
                Output::Unknown => return None,
            }
        }
        Some(out)
    }

    /// The columns of every source of `id`, when all are known (`dummy` for no FROM).
    fn columns_in(&mut self, id: usize) -> Option<Vec<(Option<String>, Arc<Known>)>> {
        let scope = &self.scopes.selects[id];
        if scope.sources.is_empty() {
            return Some(vec![(
                None,
                Arc::new(Known::new(vec!["dummy".to_string()])),
            )]);
        }
        scope
            .sources
            .iter()
            .map(|s| Some((s.name.clone(), self.source(s, 0)?)))
            .collect()
    }
}

impl ColumnScopes {
    /// The columns the query outputs (its first select's), when all are known.
    pub fn output_columns(&self, table: &TableColumns) -> Option<Arc<Known>> {
        let mut r = self.resolver(table);
        r.select_outputs(*self.top.first()?, 0)
    }

    fn resolver<'s, 't>(&'s self, table: &'t TableColumns<'t>) -> Resolver<'s, 't> {
        Resolver {
            scopes: self,
            table,
            outputs: HashMap::new(),
        }
    }

    /// The names select `id` sees: its own and every enclosing select's (aliases reach into
    /// subqueries); `None` when one of those selects is not certain.
    fn names_in_scope(&self, id: usize) -> Option<Vec<&str>> {
        let mut names = vec![];
        let mut up = Some(id);
        while let Some(i) = up {
            let s = &self.selects[i];
            if !s.certain {
                return None;
            }
            names.extend(s.names.iter().map(String::as_str));
            up = s.parent;
        }
        Some(names)
    }

    /// Every name defined anywhere in the query (aliases, WITH names).
    pub fn all_names(&self) -> impl Iterator<Item = &str> {
        self.selects
            .iter()
            .flat_map(|s| s.names.iter().map(String::as_str))
    }

    /// The reads no table, alias or name in scope provides, where everything in scope is
    /// known.
    pub fn unknown_reads(&self, table: &TableColumns) -> Vec<UnknownRead<'_>> {
        let mut r = self.resolver(table);
        let mut out = vec![];
        for (id, scope) in self.selects.iter().enumerate() {
            if !scope.certain || scope.reads.is_empty() {
                continue;
            }
            // Tables: this select's, and its parents' while it is an expression subquery.
            let Some(mut tables) = r.columns_in(id) else {
                continue;
            };
            let table = match tables.as_slice() {
                [(Some(n), _)] => Some(n.clone()),
                _ => None,
            };
            let mut all_known = true;
            let mut at = self.selects[id].parent.filter(|_| scope.correlated);
            while let Some(i) = at {
                match r.columns_in(i) {
                    Some(cols) => tables.extend(cols),
                    None => {
                        all_known = false;
                        break;
                    }
                }
                at = self.selects[i]
                    .parent
                    .filter(|_| self.selects[i].correlated);
            }
            if !all_known {
                continue;
            }
            // Most reads are columns of a table in scope: nothing more to look at.
            let provided = |read: &Read| match &read.qualifier {
                None => tables.iter().any(|(_, c)| c.provides(&read.name)),
                Some(q) => tables
                    .iter()
                    .any(|(n, c)| n.as_deref() == Some(q) && c.provides(&read.name)),
            };
            let rest: Vec<&Read> = scope.reads.iter().filter(|r| !provided(r)).collect();
            if rest.is_empty() {
                continue;
            }
            let Some(names) = self.names_in_scope(id) else {
                continue;
            };
            let source_names: Vec<&str> = tables.iter().filter_map(|(n, _)| n.as_deref()).collect();
            // (qualifier or alias, table name) of every named table in scope.
            let mut named: Vec<(Option<&str>, &str)> = vec![];
            let mut at = Some(id);
            while let Some(i) = at {
                for src in &self.selects[i].sources {
                    if let SourceKind::Table { name, .. } = &src.kind {
                        named.push((src.name.as_deref(), name));
                    }
                }
                at = self.selects[i]
                    .parent
                    .filter(|_| self.selects[i].correlated);
            }
            for read in rest {
                if not_a_column(&read.name) || names.contains(&read.name.as_str()) {
                    continue;
                }
                let (judged, table): (Vec<&Arc<Known>>, Option<String>) = match &read.qualifier {
                    None => {
                        if source_names.contains(&read.name.as_str()) {
                            continue;
                        }
                        (tables.iter().map(|(_, c)| c).collect(), table.clone())
                    }
                    Some(q) => {
                        // `q.c` where `q` is no table in scope (a tuple, a JSON path) or is
                        // also a column: not judged.
                        if tables.iter().any(|(_, cols)| cols.provides(q))
                            || names.contains(&q.as_str())
                        {
                            continue;
                        }
                        let Some((_, cols)) = tables.iter().find(|(n, _)| n.as_deref() == Some(q))
                        else {
                            continue;
                        };
                        if cols.provides(&format!("{q}.{}", read.name)) {
                            continue;
                        }
                        (vec![cols], Some(q.clone()))
                    }
                };
                if judged.iter().any(|cols| cols.provides(&read.name)) {
                    continue;
                }
                let mut known: Vec<String> = judged
                    .iter()
                    .flat_map(|c| c.names.iter().cloned())
                    .collect();
                known.extend(names.iter().map(|n| n.to_string()));
                let tables = named
                    .iter()
                    .filter(|(q, _)| read.qualifier.is_none() || *q == read.qualifier.as_deref())
                    .map(|(_, n)| n.to_string())
                    .collect();
                out.push(UnknownRead {
                    read,
                    table,
                    tables,
                    known,
                });
            }
        }
        out
    }

    /// The reads ClickHouse refuses as NOT_AN_AGGREGATE (code 215): in a SELECT that
    /// aggregates, a column of its own tables read outside every aggregate call and grouping
    /// key ([`SelectScope::ungrouped`]), where every table of the SELECT is known and the name
    /// is no alias or `WITH` name in scope.
    pub fn ungrouped_columns(&self, table: &TableColumns) -> Vec<&Read> {
        let mut r = self.resolver(table);
        let mut out = vec![];
        for (id, scope) in self.selects.iter().enumerate() {
            if !scope.certain || scope.ungrouped.is_empty() {
                continue;
            }
            let Some(names) = self.names_in_scope(id) else {
                continue;
            };
            let Some(tables) = r.columns_in(id) else {
                continue;
            };
            for &i in &scope.ungrouped {
                let read = &scope.reads[i];
                if names.contains(&read.name.as_str()) || not_a_column(&read.name) {
                    continue;
                }
                let provided = tables.iter().any(|(n, cols)| {
                    (read.qualifier.is_none() || *n == read.qualifier) && cols.provides(&read.name)
                });
                if provided {
                    out.push(read);
                }
            }
        }
        out
    }

    /// Maps every read's range (and sets its branch), for a template rendering.
    pub fn map_reads(&mut self, f: &dyn Fn(TextRange) -> (TextRange, Option<BranchInfo>)) {
        for s in &mut self.selects {
            for r in &mut s.reads {
                let (range, branch) = f(r.range);
                r.range = range;
                r.branch = branch;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown(sql: &str, tables: &[(&str, &[&str])]) -> Vec<String> {
        let parsed = super::super::parser::parse(sql);
        let scopes = column_scopes(sql, &parsed, &|_| false).expect("one query");
        let lookup = |db: Option<&str>, name: &str| {
            if db.is_some() {
                return None;
            }
            tables
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, c)| Arc::new(Known::new(c.iter().map(|s| s.to_string()).collect())))
        };
        scopes
            .unknown_reads(&lookup)
            .iter()
            .map(|u| {
                let q = u
                    .read
                    .qualifier
                    .as_deref()
                    .map(|q| format!("{q}."))
                    .unwrap_or_default();
                format!("{q}{}", u.read.name)
            })
            .collect()
    }

    const T: (&str, &[&str]) = ("t", &["a", "b", "ts", "arr", "n.x"]);
    const U: (&str, &[&str]) = ("u", &["id", "a", "c"]);

    #[test]
    fn plain_select() {
        assert_eq!(
            unknown("SELECT a, zz FROM t WHERE b > 1 AND yy = 2", &[T]),
            ["zz", "yy"]
        );
        assert!(unknown("SELECT a AS k, k + 1 AS j FROM t ORDER BY j", &[T]).is_empty());
        assert!(unknown("SELECT n, n.x, t.a FROM t", &[T]).is_empty());
        assert_eq!(unknown("SELECT t.zz, x.q FROM t", &[T]), ["t.zz"]);
    }

    #[test]
    fn joins_and_subqueries() {
        let q = "SELECT t.a, u.c, id, zz FROM t JOIN u ON t.a = u.id";
        assert_eq!(unknown(q, &[T, U]), ["zz"]);
        assert_eq!(
            unknown("SELECT a FROM t JOIN u USING (a) WHERE u.b = 1", &[T, U]),
            ["u.b"]
        );
        // A table whose columns are not known: nothing judged in that select.
        assert!(unknown("SELECT zz FROM t JOIN other ON 1", &[T]).is_empty());
        let q =
            "SELECT s.k, v FROM (SELECT a AS k, count() AS c FROM t GROUP BY k) AS s WHERE c > 1";
        assert_eq!(unknown(q, &[T]), ["v"]);
        let q =
            "SELECT * FROM t WHERE a IN (SELECT id FROM u WHERE c = b) AND a IN (SELECT zz FROM u)";
        assert_eq!(unknown(q, &[T, U]), ["zz"]);
        assert!(unknown("SELECT a FROM t WHERE a IN some_set", &[T]).is_empty());
        assert!(unknown(
            "SELECT q FROM (SELECT * FROM t) AS x JOIN numbers(3) AS q ON 1",
            &[T]
        )
        .is_empty());
        let q = "SELECT b FROM (SELECT * EXCEPT (b) FROM t)";
        assert_eq!(unknown(q, &[T]), ["b"]);
    }

    #[test]
    fn with_array_join_lambdas_unions() {
        let q = "WITH c AS (SELECT a, b AS bb FROM t), 3 AS three SELECT a, bb, three, b FROM c";
        assert_eq!(unknown(q, &[T]), ["b"]);
        let q = "SELECT e, arr, arrayMap(x -> x + a, arr), arrayMap((x, y) -> x + y + zz, arr, arr) FROM t ARRAY JOIN arr AS e";
        assert_eq!(unknown(q, &[T]), ["zz"]);
        let q = "SELECT a FROM t UNION ALL SELECT zz FROM u";
        assert_eq!(unknown(q, &[T, U]), ["zz"]);
        assert!(unknown("SELECT 1 AS x, dummy", &[]).is_empty());
        assert!(unknown("SELECT a FROM t SETTINGS max_threads = 1", &[T]).is_empty());
        assert!(unknown(
            "SELECT toStartOfInterval(ts, INTERVAL 1 DAY), EXTRACT(HOUR FROM ts) FROM t",
            &[T]
        )
        .is_empty());
    }

    #[test]
    fn outputs() {
        let parsed = super::super::parser::parse("SELECT *, a AS k, count() FROM t JOIN u ON 1");
        let s = column_scopes(
            "SELECT *, a AS k, count() FROM t JOIN u ON 1",
            &parsed,
            &|_| false,
        )
        .unwrap();
        let lookup = |_: Option<&str>, n: &str| match n {
            "t" => Some(Arc::new(Known::new(vec!["a".to_string()]))),
            "u" => Some(Arc::new(Known::new(vec!["id".to_string()]))),
            _ => None,
        };
        assert_eq!(
            s.output_columns(&lookup).unwrap().names,
            ["a", "id", "k", "count()"]
        );
        assert_eq!(star("COLUMNS('x')"), Output::Unknown);
        assert_eq!(
            star("e.* EXCEPT (a, `b`)"),
            Output::Star {
                qualifier: Some("e".into()),
                except: vec!["a".into(), "b".into()]
            }
        );
    }
}
