//! The types of a project's columns and expressions, where they are certain: datasources from
//! their SCHEMA, nodes and pipes from their queries ([`syntax::sql::types`]), every rendering
//! of a template agreeing. Each table is typed once per [`Columns`] (with the resources its
//! answer was read from, as for its column names), and comparisons ClickHouse refuses for
//! their types are found per node.

use crate::columns::{Columns, TableKey};
use project::model::{ResourceId, ResourceKind};
use std::sync::Arc;
use syntax::chtype::Type;
use syntax::sql::ast::{Expr, Query, Select, TableSource, WithItem};
use syntax::sql::template::Rendered;
use syntax::sql::types::{query_columns, select_expr_type, Columns as TypedColumns};
use syntax::text::TextRange;

/// A table's typed columns, and the resources that answer was read from.
pub(crate) type TypedAnswer = (Option<Arc<TypedColumns>>, Arc<[ResourceId]>);

impl Columns<'_> {
    /// The columns of the table `name` read from node `before_node` of `pipe` (or from outside
    /// a pipe), with their types where certain.
    pub fn typed(
        &self,
        name: &str,
        pipe: Option<ResourceId>,
        before_node: Option<usize>,
    ) -> Option<Arc<TypedColumns>> {
        let key = self.table_key(name, pipe, before_node)?;
        self.typed_key(key)
    }

    fn typed_key(&self, key: TableKey) -> Option<Arc<TypedColumns>> {
        self.memoised(&self.typed, key, || match key {
            (pi, Some(ni)) => self.node_types(pi, ni),
            (i, None) => self.resource_types(i),
        })
    }

    /// What a table named in node `ni` of `pi` offers, typed.
    fn typed_table_of(
        &self,
        pi: ResourceId,
        ni: usize,
    ) -> impl Fn(Option<&str>, &str) -> Option<Arc<TypedColumns>> + '_ {
        move |db: Option<&str>, t: &str| match db {
            None => self.typed(t, Some(pi), Some(ni)),
            Some(_) => None,
        }
    }

    /// The output columns of node `ni` of pipe `pi`, typed where every rendering of its
    /// template agrees.
    pub fn node_types(&self, pi: ResourceId, ni: usize) -> Option<Arc<TypedColumns>> {
        let n = self.p.resources[pi].nodes.get(ni)?;
        let sql = n.sql.as_ref()?;
        if sql.renderings_truncated {
            return None;
        }
        let tables = self.typed_table_of(pi, ni);
        let mut out: Option<TypedColumns> = None;
        for r in syntax::sql::renderings(&n.sql_map.text) {
            let parsed = syntax::sql::parser::parse(&r.text);
            let [q] = parsed.queries.as_slice() else {
                return None;
            };
            let cols = query_columns(&r.text, q, &tables)?;
            out = Some(match out {
                None => cols,
                // The official rendering names the columns; a type is certain where every
                // rendering that has the column agrees.
                Some(first) => first
                    .into_iter()
                    .map(|(name, ty)| {
                        let other = cols.iter().find(|(n, _)| *n == name).map(|(_, t)| t);
                        let ty = match other {
                            Some(t) if *t != ty => None,
                            _ => ty,
                        };
                        (name, ty)
                    })
                    .collect(),
            });
        }
        out.map(Arc::new)
    }

    fn resource_types(&self, i: ResourceId) -> Option<Arc<TypedColumns>> {
        let p = self.p;
        let r = &p.resources[i];
        if r.defined_by_file() && p.files[r.file].rejected {
            return None;
        }
        match r.kind {
            ResourceKind::Datasource if r.defined_by_file() => {
                let cols = crate::migration::columns(p, i);
                if cols.is_empty() {
                    return None;
                }
                let df = &p.files[r.file].datafile;
                let mut out: TypedColumns = cols
                    .iter()
                    .map(|c| (c.name.clone(), c.parsed.clone()))
                    .collect();
                for c in df.connector_columns() {
                    if !out.iter().any(|(n, _)| n == c) {
                        out.push((c.to_string(), None));
                    }
                }
                Some(Arc::new(out))
            }
            ResourceKind::Pipe if !r.nodes.is_empty() => {
                self.typed_key((i, Some(r.nodes.len() - 1)))
            }
            _ => None,
        }
    }

    /// The innermost expression of node `ni` of pipe `pi` around `offset` (in the node's SQL
    /// text) with its type, where it has one and every rendering holding it agrees.
    pub fn type_at(&self, pi: ResourceId, ni: usize, offset: usize) -> Option<(TextRange, Type)> {
        let n = self.p.resources[pi].nodes.get(ni)?;
        let sql = n.sql.as_ref()?;
        if sql.renderings_truncated {
            return None;
        }
        let tables = self.typed_table_of(pi, ni);
        let mut found: Option<(TextRange, Option<Type>)> = None;
        for r in syntax::sql::renderings(&n.sql_map.text) {
            let parsed = syntax::sql::parser::parse(&r.text);
            let mut best: Option<(TextRange, &Select, &Expr)> = None;
            for q in &parsed.queries {
                visit(q, &r, &mut |range, select, e| {
                    let holds = range.start <= offset && offset < range.end;
                    if holds && best.as_ref().is_none_or(|(b, _, _)| range.len() <= b.len()) {
                        best = Some((range, select, e));
                    }
                });
            }
            let Some((range, select, e)) = best else {
                continue;
            };
            let ty = select_expr_type(&r.text, select, e, &tables);
            found = match found {
                None => Some((range, ty)),
                Some((fr, fty)) if fr == range => Some((fr, if fty == ty { fty } else { None })),
                // Another expression in this rendering: keep the narrower one's answer.
                Some((fr, fty)) if fr.len() < range.len() => Some((fr, fty)),
                Some(_) => Some((range, ty)),
            };
        }
        let (range, ty) = found?;
        Some((range, ty?))
    }

    /// The types of the expressions of node `ni` of pipe `pi` written exactly at `ranges` (in
    /// the node's SQL text), each where every rendering holding it gives it the same type.
    pub fn types_of(&self, pi: ResourceId, ni: usize, ranges: &[TextRange]) -> Vec<Option<Type>> {
        let none = || vec![None; ranges.len()];
        let Some(n) = self.p.resources[pi].nodes.get(ni) else {
            return none();
        };
        if n.sql.as_ref().is_none_or(|s| s.renderings_truncated) || ranges.is_empty() {
            return none();
        }
        let tables = self.typed_table_of(pi, ni);
        // By range: `None` before any rendering holds it, then the type all of them agree on.
        let mut found: Vec<Option<Option<Type>>> = vec![None; ranges.len()];
        for r in syntax::sql::renderings(&n.sql_map.text) {
            let parsed = syntax::sql::parser::parse(&r.text);
            let mut at: Vec<Option<(&Select, &Expr)>> = vec![None; ranges.len()];
            for q in &parsed.queries {
                visit(q, &r, &mut |src, select, e| {
                    for (k, range) in ranges.iter().enumerate() {
                        if src == *range && at[k].is_none() {
                            at[k] = Some((select, e));
                        }
                    }
                });
            }
            for (k, slot) in at.into_iter().enumerate() {
                let Some((select, e)) = slot else { continue };
                let ty = select_expr_type(&r.text, select, e, &tables);
                found[k] = match found[k].take() {
                    None => Some(ty),
                    Some(f) => Some(if f == ty { f } else { None }),
                };
            }
        }
        found.into_iter().map(Option::flatten).collect()
    }
}

/// A comparison of a node that ClickHouse refuses for the types of its sides
/// ([`syntax::sql::types::refused_comparisons`]), its range in the node's SQL text.
#[derive(Clone, Debug)]
pub struct NodeRefusal {
    /// The rendering ([`syntax::sql::renderings`]) it was found in (the first, for several).
    pub rendering: usize,
    pub range: TextRange,
    pub branch: Option<syntax::sql::template::BranchInfo>,
    pub refusal: syntax::sql::types::RefusedComparison,
}

impl Columns<'_> {
    /// The comparisons of node `ni` of pipe `pi` ClickHouse refuses for their types, in any
    /// rendering of its template (once per range).
    pub fn refused_comparisons(&self, pi: ResourceId, ni: usize) -> Vec<NodeRefusal> {
        let Some(n) = self.p.resources[pi].nodes.get(ni) else {
            return vec![];
        };
        if n.sql.as_ref().is_none_or(|s| s.renderings_truncated) {
            return vec![];
        }
        let text = &n.sql_map.text;
        let template = syntax::sql::template::Template::of_sql(text);
        let tables = self.typed_table_of(pi, ni);
        let mut out: Vec<NodeRefusal> = vec![];
        for (rendering, r) in syntax::sql::renderings(text).into_iter().enumerate() {
            let parsed = syntax::sql::parser::parse(&r.text);
            for q in &parsed.queries {
                for refusal in syntax::sql::types::refused_comparisons(&r.text, q, &tables) {
                    // A comparison a `{{ }}` writes, or a string one fills in (its value is the
                    // caller's, not the rendering's placeholder).
                    if r.from_expression(refusal.range)
                        || refusal
                            .unparsable
                            .as_ref()
                            .is_some_and(|(_, lit)| r.touches_expression(*lit))
                    {
                        continue;
                    }
                    let range = r.to_source(refusal.range);
                    if out.iter().any(|o| o.range == range) {
                        continue;
                    }
                    let branch = template.as_ref().and_then(|t| t.branch_at(range.start));
                    out.push(NodeRefusal {
                        rendering,
                        range,
                        branch,
                        refusal,
                    });
                }
            }
        }
        out
    }
}

/// Every expression of `q` written in the template text (not produced by a `{{ }}`), with its
/// select and its range in the template text.
fn visit<'q>(q: &'q Query, r: &Rendered, f: &mut dyn FnMut(TextRange, &'q Select, &'q Expr)) {
    for s in &q.selects {
        let mut roots: Vec<&'q Expr> = vec![];
        for w in &s.with {
            match w {
                WithItem::Subquery { query, .. } => visit(query, r, f),
                WithItem::Expr { expr, .. } => roots.push(expr),
            }
        }
        for t in &s.from {
            match &t.source {
                TableSource::Subquery(q) => visit(q, r, f),
                TableSource::Function(e) => roots.push(e),
                TableSource::Table { .. } => {}
            }
            roots.extend(t.join.iter().flatten());
        }
        roots.extend(s.items.iter().chain(s.clause_exprs()));
        let mut stack = roots;
        while let Some(e) = stack.pop() {
            let (exprs, queries) = e.children();
            stack.extend(exprs);
            for q in queries {
                visit(q, r, f);
            }
            if !r.from_expression(e.range) {
                f(r.to_source(e.range), s, e);
            }
        }
    }
}
