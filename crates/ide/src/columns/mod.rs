//! Columns as the editor features see them: who defines a column (a datasource's SCHEMA line or
//! a node's SELECT item), which tables a node reads columns from, and every place a column is
//! named across the project.
//!
//! A column flows: a node that selects `x` unaliased (or `*`) passes its source's `x` on under
//! the same name, and a materialized or copy node's `x` is its target's `x`. Those are one
//! column for navigation ([`column_sites`]); a rename renames a narrower family
//! ([`rename_family`]); `x AS y` starts a new one.

use super::NodeSql;
use analysis::migration;
use project::model::NodeId;
use project::model::ResourceId;
use project::model::{EdgeKind, Project, ResourceKind, Source, Target};
use project::types::{fixed_return_type, infer_type, item_expression, scalar_subquery_type};
use std::cell::{OnceCell, RefCell};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use syntax::chtype::Type;
use syntax::model::NodeType;
use syntax::sql::facts::{Cte, RefContext, SelectFacts, SelectItem, Subquery};
use syntax::sql::lexer::TokenKind;
use syntax::text::TextRange;

mod family;
pub use family::*;

/// What defines columns: a datasource (its SCHEMA), a node of a pipe (its SELECT), a CTE of a
/// node (`WITH name AS (SELECT …)`) or another subquery of a node (`FROM (SELECT …)`,
/// `IN (SELECT …)`, a scalar subquery).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ColumnOwner {
    Datasource(ResourceId),
    /// Resource index of the pipe, node index.
    Node(NodeId),
    /// Resource index of the pipe, node index, index in the node's `SqlAnalysis::ctes`.
    Cte(NodeId, usize),
    /// Resource index of the pipe, node index, index in the node's `SqlAnalysis::subqueries`.
    Subquery(NodeId, usize),
}

/// How an owner is named to the user; a node of pipe `here` without its pipe.
pub fn owner_label(p: &Project, owner: ColumnOwner, here: Option<ResourceId>) -> String {
    let node = |ri: ResourceId, ni: usize| {
        let r = &p.resources[ri];
        let n = r.nodes.get(ni).map_or("?", |n| n.name.as_str());
        if here == Some(ri) {
            format!("node `{n}`")
        } else {
            format!("node `{n}` of `{}`", r.name)
        }
    };
    match owner {
        ColumnOwner::Datasource(i) => format!("datasource `{}`", p.resources[i].name),
        ColumnOwner::Node(NodeId {
            pipe: ri,
            index: ni,
        }) => node(ri, ni),
        ColumnOwner::Cte(
            NodeId {
                pipe: ri,
                index: ni,
            },
            ci,
        ) => {
            let name = cte(p, ri, ni, ci).map_or("?", |c| c.name.as_str());
            format!("CTE `{name}` of {}", node(ri, ni))
        }
        ColumnOwner::Subquery(
            NodeId {
                pipe: ri,
                index: ni,
            },
            si,
        ) => match subquery(p, ri, ni, si) {
            Some(Subquery {
                alias: Some(a),
                derived: true,
                ..
            }) => format!("subquery `{a}` of {}", node(ri, ni)),
            _ => format!("subquery of {}", node(ri, ni)),
        },
    }
}

/// CTE `ci` of node `ni` of pipe `ri`.
pub fn cte(p: &Project, ri: ResourceId, ni: usize, ci: usize) -> Option<&Cte> {
    p.resources
        .get(ri)?
        .nodes
        .get(ni)?
        .sql
        .as_ref()?
        .ctes
        .get(ci)
}

/// Subquery `si` of node `ni` of pipe `ri`.
pub fn subquery(p: &Project, ri: ResourceId, ni: usize, si: usize) -> Option<&Subquery> {
    node_analysis(p, ri, ni)?.subqueries.get(si)
}

fn node_analysis(p: &Project, ri: ResourceId, ni: usize) -> Option<&syntax::sql::SqlAnalysis> {
    p.resources.get(ri)?.nodes.get(ni)?.sql.as_deref()
}

/// A place in a file.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Site {
    pub path: Arc<str>,
    pub range: TextRange,
}

impl From<project::model::IncludedSite> for Site {
    fn from(s: project::model::IncludedSite) -> Site {
        Site {
            path: s.path,
            range: s.range,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ColumnDef {
    pub name: String,
    pub ty: Option<Type>,
    /// The SCHEMA column name, the SELECT alias, or the whole SELECT item.
    pub def: Option<Site>,
    /// A plain read of the same column of the node's source (`x`, `t.x`, or through `*`).
    pub passthrough: bool,
    /// The table a pass-through column is read from.
    pub origin: Option<ColumnOwner>,
    /// The expression (SELECT items, as SQL) or the SCHEMA line's extras (markdown: JSONPath,
    /// DEFAULT, MATERIALIZED).
    pub detail: Option<String>,
}

const MAX_DEPTH: usize = 16;

/// The owner of a table name as read by node `before` of pipe `pipe` (earlier nodes shadow).
pub fn table_owner(
    p: &Project,
    name: &str,
    pipe: Option<ResourceId>,
    before: Option<usize>,
) -> Option<ColumnOwner> {
    match p.resolve(name, pipe) {
        Target::Node(ni) if before.is_none_or(|b| ni < b) => {
            Some(ColumnOwner::Node(NodeId::new(pipe?, ni)))
        }
        Target::Resource(i) => owner_of_resource(p, i),
        _ => None,
    }
}

/// A resource as a table: a datasource, or a pipe's last node.
pub fn owner_of_resource(p: &Project, i: ResourceId) -> Option<ColumnOwner> {
    let r = p.resources.get(i)?;
    match r.kind {
        ResourceKind::Datasource => Some(ColumnOwner::Datasource(i)),
        ResourceKind::Pipe if !r.nodes.is_empty() => {
            Some(ColumnOwner::Node(NodeId::new(i, r.nodes.len() - 1)))
        }
        _ => None,
    }
}

/// The SELECTs of node `ni` with their text: its CTE bodies and other subqueries (the node's
/// own SELECT, which holds them all, is not listed).
fn scopes(p: &Project, ri: ResourceId, ni: usize) -> Vec<(ColumnOwner, TextRange)> {
    let Some(a) = node_analysis(p, ri, ni) else {
        return Vec::new();
    };
    let ctes = a.ctes.iter().enumerate().filter_map(|(ci, c)| {
        c.body.map(|b| {
            (
                ColumnOwner::Cte(
                    NodeId {
                        pipe: ri,
                        index: ni,
                    },
                    ci,
                ),
                b,
            )
        })
    });
    let subs = a.subqueries.iter().enumerate().map(|(si, q)| {
        (
            ColumnOwner::Subquery(
                NodeId {
                    pipe: ri,
                    index: ni,
                },
                si,
            ),
            q.body,
        )
    });
    ctes.chain(subs).collect()
}

/// The innermost SELECT of node `ni` holding `range`, other than one whose text is `range`
/// itself: a CTE body or subquery, else the node's own.
fn innermost(
    scopes: &[(ColumnOwner, TextRange)],
    ri: ResourceId,
    ni: usize,
    range: TextRange,
) -> ColumnOwner {
    scopes
        .iter()
        .filter(|(_, b)| *b != range && b.start <= range.start && range.end <= b.end)
        .min_by_key(|(_, b)| b.len())
        .map_or(
            ColumnOwner::Node(NodeId {
                pipe: ri,
                index: ni,
            }),
            |(o, _)| *o,
        )
}

/// The SELECT holding `offset` (in the node's SQL text): the innermost CTE body or subquery
/// holding it, else the node's own.
pub fn holder_at(p: &Project, ri: ResourceId, ni: usize, offset: usize) -> ColumnOwner {
    innermost(&scopes(p, ri, ni), ri, ni, TextRange::new(offset, offset))
}

/// The SELECT enclosing a CTE body or subquery (`None` for a node or datasource).
fn parent_scope(p: &Project, owner: ColumnOwner) -> Option<ColumnOwner> {
    let NodeId {
        pipe: ri,
        index: ni,
    } = owner_node(owner)?;
    let all = scopes(p, ri, ni);
    let body = all.iter().find(|(o, _)| *o == owner)?.1;
    Some(innermost(&all, ri, ni, body))
}

/// The node a node, CTE or subquery belongs to.
fn owner_node(owner: ColumnOwner) -> Option<NodeId> {
    match owner {
        ColumnOwner::Datasource(_) => None,
        ColumnOwner::Node(NodeId {
            pipe: ri,
            index: ni,
        })
        | ColumnOwner::Cte(
            NodeId {
                pipe: ri,
                index: ni,
            },
            _,
        )
        | ColumnOwner::Subquery(
            NodeId {
                pipe: ri,
                index: ni,
            },
            _,
        ) => Some(NodeId::new(ri, ni)),
    }
}

/// The owners defining columns in node `ni`'s SQL: the node, its CTEs and its subqueries.
pub fn owners_in_node(p: &Project, ri: ResourceId, ni: usize) -> Vec<ColumnOwner> {
    std::iter::once(ColumnOwner::Node(NodeId {
        pipe: ri,
        index: ni,
    }))
    .chain(scopes(p, ri, ni).into_iter().map(|(o, _)| o))
    .collect()
}

/// A table a SELECT reads: its owner, the reference's range, and the names a qualifier can
/// use for it (the alias, else the table's name).
struct ScopeSource {
    owner: ColumnOwner,
    range: TextRange,
    qualifier: Option<String>,
    /// The template branch holding the reference (its tag): tables of different branches are
    /// alternatives (`{% if %}{{ TABLE('a') }}{% else %}{{ TABLE('b') }}{% end %}`).
    branch: Option<TextRange>,
}

/// FROM/JOIN references (tables, nodes, CTEs, derived tables) of the SELECT `scope`, resolved,
/// in text order, without repeats.
fn scope_source_refs(p: &Project, scope: ColumnOwner) -> Vec<ScopeSource> {
    let Some(NodeId {
        pipe: ri,
        index: ni,
    }) = owner_node(scope)
    else {
        return Vec::new();
    };
    let Some(sql) = node_analysis(p, ri, ni) else {
        return Vec::new();
    };
    let all = scopes(p, ri, ni);
    let here = |r: TextRange| innermost(&all, ri, ni, r) == scope;
    let pipe = (p.resources[ri].kind == ResourceKind::Pipe).then_some(ri);
    let mut found: Vec<ScopeSource> = Vec::new();
    for t in &sql.tables {
        if matches!(t.context, RefContext::From | RefContext::Join) && here(t.range) {
            if let Some(o) = table_owner(p, &t.full_name(), pipe, Some(ni)) {
                found.push(ScopeSource {
                    owner: o,
                    range: t.range,
                    qualifier: Some(t.alias.clone().unwrap_or_else(|| t.name.clone())),
                    branch: t.branch.as_ref().map(|b| b.tag),
                });
            }
        }
    }
    for t in sql.cte_reads.iter().filter(|t| here(t.range)) {
        // The CTE of that name defined last before the read.
        if let Some(ci) = sql
            .ctes
            .iter()
            .rposition(|c| c.name == t.name && c.body.is_some() && c.range.start < t.range.start)
        {
            found.push(ScopeSource {
                owner: ColumnOwner::Cte(
                    NodeId {
                        pipe: ri,
                        index: ni,
                    },
                    ci,
                ),
                range: t.range,
                qualifier: Some(t.alias.clone().unwrap_or_else(|| t.name.clone())),
                branch: None,
            });
        }
    }
    for (si, q) in sql.subqueries.iter().enumerate() {
        if q.derived && here(q.body) {
            found.push(ScopeSource {
                owner: ColumnOwner::Subquery(
                    NodeId {
                        pipe: ri,
                        index: ni,
                    },
                    si,
                ),
                range: q.body,
                qualifier: q.alias.clone(),
                branch: None,
            });
        }
    }
    found.sort_by_key(|s| s.range.start);
    let mut out: Vec<ScopeSource> = Vec::new();
    for s in found {
        if !out.iter().any(|x| x.owner == s.owner) {
            out.push(s);
        }
    }
    out
}

/// The tables the SELECT `scope` reads, with the range of each reference.
fn scope_sources(p: &Project, scope: ColumnOwner) -> Vec<(ColumnOwner, TextRange)> {
    scope_source_refs(p, scope)
        .into_iter()
        .map(|s| (s.owner, s.range))
        .collect()
}

/// The owner a qualifier names in the SELECT `scope` (`t.x`: a table, node or CTE name, or an
/// alias), looking outwards through the enclosing SELECTs.
pub fn qualifier_owner(p: &Project, scope: ColumnOwner, qualifier: &str) -> Option<ColumnOwner> {
    let mut at = Some(scope);
    for _ in 0..MAX_DEPTH {
        let s = at?;
        if let Some(found) = scope_source_refs(p, s)
            .into_iter()
            .find(|x| x.qualifier.as_deref() == Some(qualifier))
        {
            return Some(found.owner);
        }
        at = parent_scope(p, s);
    }
    None
}

/// The owner of the column token `i` of node `ni`'s SQL names: a SELECT alias (of the node or
/// of a CTE) where it is defined, else a column of the table its qualifier names (`t.x`),
/// else of a table the enclosing SELECT reads, else one of that SELECT's aliases used later.
pub fn column_at(
    p: &Project,
    ri: ResourceId,
    ni: usize,
    sql: &NodeSql,
    i: usize,
) -> Option<ColumnOwner> {
    let word = sql.word(sql.tokens.get(i)?);
    column_at_with(&mut ColumnMemo::new(p, word), ri, ni, sql, i)
}

/// [`column_at`] with the columns named `memo.name` (the token's word) computed once.
fn column_at_with(
    memo: &mut ColumnMemo,
    ri: ResourceId,
    ni: usize,
    sql: &NodeSql,
    i: usize,
) -> Option<ColumnOwner> {
    column_owners_at(memo, ri, ni, sql, i).into_iter().next()
}

/// Every owner the column token `i` can name: one, except under a templated FROM, where the
/// tables of the other branches having the column are read by the same word (first the one
/// [`column_at`] gives).
fn column_owners_at(
    memo: &mut ColumnMemo,
    ri: ResourceId,
    ni: usize,
    sql: &NodeSql,
    i: usize,
) -> Vec<ColumnOwner> {
    let Some(first) = column_single_at(memo, ri, ni, sql, i) else {
        return Vec::new();
    };
    let mut out = vec![first];
    let Some(t) = sql.tokens.get(i) else {
        return out;
    };
    if sql.qualifier_at(t.range.start).is_some() {
        return out;
    }
    let p = memo.p;
    let holder = holder_at(p, ri, ni, t.range.start);
    let refs = scope_source_refs(p, holder);
    let Some(branch) = refs
        .iter()
        .find(|s| s.owner == first)
        .and_then(|s| s.branch)
    else {
        return out;
    };
    for s in refs {
        if s.branch.is_some_and(|b| b != branch) && !out.contains(&s.owner) && memo.has(s.owner) {
            out.push(s.owner);
        }
    }
    out
}

fn column_single_at(
    memo: &mut ColumnMemo,
    ri: ResourceId,
    ni: usize,
    sql: &NodeSql,
    i: usize,
) -> Option<ColumnOwner> {
    let p = memo.p;
    let t = sql.tokens.get(i)?;
    let at = sql.map.range_to_file(sql.word_range(t));
    for o in owners_in_node(p, ri, ni) {
        let defined_here = memo.column(o).is_some_and(|c| {
            c.origin.is_none()
                && c.def
                    .as_ref()
                    .is_some_and(|d| d.range.start <= at.start && at.end <= d.range.end)
        });
        if defined_here {
            return Some(o);
        }
    }
    let holder = holder_at(p, ri, ni, t.range.start);
    if let Some(q) = sql.qualifier_at(t.range.start) {
        if let Some(o) = qualifier_owner(p, holder, q) {
            return memo.has(o).then_some(o);
        }
    } else if select_of(p, holder).is_some_and(|s| {
        s.items.iter().any(|item| {
            item.alias.as_deref() == Some(memo.name)
                && !(item.range.start <= t.range.start && t.range.end <= item.range.end)
        })
    }) {
        // ClickHouse resolves a bare name to an alias of the same SELECT before a table's
        // column (WHERE, GROUP BY, ORDER BY, other items), except inside the alias's own
        // expression.
        return memo.has(holder).then_some(holder);
    }
    // The holder's tables, then its own aliases; then the enclosing SELECTs' (a correlated
    // subquery reads the outer query's columns).
    let mut at = Some(holder);
    for _ in 0..MAX_DEPTH {
        let s = at?;
        let found = sources_of(p, s)
            .into_iter()
            .map(|(o, _)| o)
            .find(|o| memo.has(*o))
            .or_else(|| memo.has(s).then_some(s));
        if found.is_some() {
            return found;
        }
        at = parent_scope(p, s);
    }
    None
}

/// Where an owner's column is defined: its own definition, else (a column passed on through
/// `*`) its source's.
pub fn definition(p: &Project, owner: ColumnOwner, name: &str) -> Option<Site> {
    let mut o = owner;
    for _ in 0..MAX_DEPTH {
        let c = columns_of(p, o).into_iter().find(|c| c.name == name)?;
        if c.def.is_some() {
            return c.def;
        }
        o = c.origin?;
    }
    None
}

/// The columns an owner defines, in order.
pub fn columns_of(p: &Project, owner: ColumnOwner) -> Vec<ColumnDef> {
    columns_at_depth(p, owner, 0, &Walk::default())
}

/// One computation of an owner's columns: each owner it reads is computed once (SELECTs read
/// each other in a graph that fans out: computed again for every path, a few nested
/// subqueries reading two tables each cost seconds), and an owner being computed reads
/// nothing from itself (a node reading its own pipe: no columns through the cycle, as
/// ClickHouse has none).
#[derive(Default)]
struct Walk {
    done: RefCell<HashMap<ColumnOwner, Vec<ColumnDef>>>,
    active: RefCell<HashSet<ColumnOwner>>,
}

fn columns_at_depth(p: &Project, owner: ColumnOwner, depth: usize, walk: &Walk) -> Vec<ColumnDef> {
    if depth > MAX_DEPTH {
        return Vec::new();
    }
    if let Some(done) = walk.done.borrow().get(&owner) {
        return done.clone();
    }
    if !walk.active.borrow_mut().insert(owner) {
        return Vec::new();
    }
    let out = owner_columns(p, owner, depth, walk);
    walk.active.borrow_mut().remove(&owner);
    walk.done.borrow_mut().insert(owner, out.clone());
    out
}

fn owner_columns(p: &Project, owner: ColumnOwner, depth: usize, walk: &Walk) -> Vec<ColumnDef> {
    #[cfg(test)]
    tests::COMPUTED.with(|c| c.set(c.get() + 1));
    match owner {
        ColumnOwner::Datasource(i) => {
            let Some(r) = p.resources.get(i) else {
                return Vec::new();
            };
            if !r.defined_by_file() {
                // Created by a Classic materialized node's ENGINE: that node's columns.
                return creating_node(p, i)
                    .map(|n| {
                        columns_at_depth(p, ColumnOwner::Node(n), depth + 1, walk)
                            .into_iter()
                            .map(|c| ColumnDef {
                                passthrough: false,
                                origin: None,
                                ..c
                            })
                            .collect()
                    })
                    .unwrap_or_default();
            }
            migration::columns(p, i)
                .iter()
                .map(|c| {
                    let mut extras = Vec::new();
                    if let Some(j) = &c.jsonpath {
                        extras.push(format!("JSONPath `{}`", j.text.trim_start_matches("json:")));
                    }
                    if let Some(d) = &c.default {
                        extras.push(format!("DEFAULT `{}`", d.text));
                    }
                    if let Some(m) = &c.materialized {
                        extras.push(format!("MATERIALIZED `{}`", m.text));
                    }
                    ColumnDef {
                        name: c.name.clone(),
                        ty: c.parsed.clone(),
                        def: Some(Site {
                            path: r.path.clone(),
                            range: unquoted_name(c.name_range, &c.name),
                        }),
                        passthrough: false,
                        origin: None,
                        detail: (!extras.is_empty()).then(|| extras.join(" ")),
                    }
                })
                .collect()
        }
        scope => match select_of(p, scope) {
            Some(select) => select_columns(p, scope, select, &scope_sources(p, scope), depth, walk),
            None => Vec::new(),
        },
    }
}

/// The node of a Classic pipe whose ENGINE creates datasource `ds` (`None` for a datasource
/// its own file defines).
fn creating_node(p: &Project, ds: ResourceId) -> Option<NodeId> {
    let r = p.resources.get(ds)?;
    if r.defined_by_file() {
        return None;
    }
    let (pi, pipe) = p
        .resources
        .iter_enumerated()
        .find(|(_, x)| x.file == r.file && x.kind == ResourceKind::Pipe)?;
    let nodes = &p.files.get(pipe.file)?.datafile.nodes;
    let ni = nodes.iter().position(|n| {
        n.engine.is_some() && n.datasource.as_ref().is_some_and(|d| d.text == r.name)
    })?;
    Some(NodeId::new(pi, ni))
}

/// The SELECT of a node (its main query), CTE or subquery; `None` for a datasource.
fn select_of(p: &Project, owner: ColumnOwner) -> Option<&SelectFacts> {
    match owner {
        ColumnOwner::Datasource(_) => None,
        ColumnOwner::Node(NodeId {
            pipe: ri,
            index: ni,
        }) => node_analysis(p, ri, ni)?.main.as_ref(),
        ColumnOwner::Cte(
            NodeId {
                pipe: ri,
                index: ni,
            },
            ci,
        ) => cte(p, ri, ni, ci)?.select.as_ref(),
        ColumnOwner::Subquery(
            NodeId {
                pipe: ri,
                index: ni,
            },
            si,
        ) => subquery(p, ri, ni, si)?.select.as_ref(),
    }
}

/// The columns of the tables a SELECT reads, computed when first asked for.
struct SourceColumns<'p> {
    p: &'p Project,
    /// The SELECT reading them.
    scope: ColumnOwner,
    sources: &'p [(ColumnOwner, TextRange)],
    depth: usize,
    walk: &'p Walk,
    cache: Vec<OnceCell<Vec<ColumnDef>>>,
}

impl<'p> SourceColumns<'p> {
    fn columns(&self, k: usize) -> &[ColumnDef] {
        self.cache[k]
            .get_or_init(|| columns_at_depth(self.p, self.sources[k].0, self.depth + 1, self.walk))
    }

    /// The source column `name` is read from: the table `qualifier` names, else the first
    /// source having it.
    fn find(&self, name: &str, qualifier: Option<&str>) -> Option<(ColumnOwner, &ColumnDef)> {
        let named = qualifier
            .and_then(|q| qualifier_owner(self.p, self.scope, q))
            .and_then(|o| self.sources.iter().position(|(s, _)| *s == o));
        let candidates: Vec<usize> = match named {
            Some(k) => vec![k],
            None => (0..self.sources.len()).collect(),
        };
        candidates.into_iter().find_map(|k| {
            self.columns(k)
                .iter()
                .find(|c| c.name == name)
                .map(|c| (self.sources[k].0, c))
        })
    }
}

/// The columns the SELECT `scope` (a node, CTE or subquery) defines, reading `sources` (the
/// first one feeds `*`).
fn select_columns(
    p: &Project,
    scope: ColumnOwner,
    select: &SelectFacts,
    sources: &[(ColumnOwner, TextRange)],
    depth: usize,
    walk: &Walk,
) -> Vec<ColumnDef> {
    let Some(NodeId {
        pipe: ri,
        index: ni,
    }) = owner_node(scope)
    else {
        return Vec::new();
    };
    let r = &p.resources[ri];
    let Some(node) = r.nodes.get(ni) else {
        return Vec::new();
    };
    let src = SourceColumns {
        p,
        scope,
        sources,
        depth,
        walk,
        cache: (0..sources.len()).map(|_| OnceCell::new()).collect(),
    };
    let text = &node.sql_map.text;
    let mut out = Vec::new();
    for item in &select.items {
        let item_text = text.get(item.range.start..item.range.end).unwrap_or("");
        if item.output_name == "*" || item_text.trim().ends_with(".*") {
            // Columns through `*` are not written here: no definition of their own.
            if !sources.is_empty() {
                let kept = src
                    .columns(0)
                    .iter()
                    .filter(|c| !item.except.contains(&c.name));
                out.extend(kept.map(|c| ColumnDef {
                    passthrough: true,
                    def: None,
                    origin: Some(sources[0].0),
                    ..c.clone()
                }));
            }
            continue;
        }
        let expr = item_expression(item_text, item);
        // `SELECT name` where `WITH expr AS name` names a value: computed, not read.
        let scalar = |name: &str| {
            node_analysis(p, ri, ni).is_some_and(|a| {
                a.ctes
                    .iter()
                    .any(|c| c.expr.is_some() && c.name == name && c.range.start < item.range.start)
            })
        };
        let plain = plain_column(item).filter(|c| !scalar(c));
        let read = plain.or_else(|| aliased_column(item, item_text).filter(|c| !scalar(c)));
        let qualifier = expr
            .and_then(|e| e.trim().rsplit_once('.'))
            .map(|(q, _)| q.trim().trim_matches('`'));
        let origin = read.and_then(|c| src.find(c, qualifier));
        let ty = origin.and_then(|(_, o)| o.ty.clone()).or_else(|| {
            let e = expr?;
            infer_type(item, e, |c| {
                src.find(c, None).and_then(|(_, d)| d.ty.clone())
            })
            .or_else(|| fixed_return_type(item, e))
            .or_else(|| scalar_subquery_column_type(p, scope, item.range, e, text, depth, walk))
        });
        // The alias, or the column name of a plain read (`t.x` → `x`), else the item.
        let def_range = match item.alias.as_deref().or(plain) {
            Some(a) => alias_range(item_text, a)
                .map(|r| r.shift(item.range.start))
                .unwrap_or(item.range),
            None => item.range,
        };
        let passthrough = plain.is_some_and(|c| c == item.output_name);
        out.push(ColumnDef {
            name: item.output_name.clone(),
            ty,
            def: node.written_at(&r.path, def_range).map(Site::from),
            passthrough,
            origin: origin.filter(|_| passthrough).map(|(o, _)| o),
            detail: expr.filter(|e| *e != item.output_name).map(str::to_string),
        });
    }
    out
}

/// An item that is a scalar subquery (`(SELECT max(ts) FROM t)`): the type of the subquery's
/// first column, made Nullable as ClickHouse does.
fn scalar_subquery_column_type(
    p: &Project,
    scope: ColumnOwner,
    item: TextRange,
    expr: &str,
    text: &str,
    depth: usize,
    walk: &Walk,
) -> Option<Type> {
    let inner = expr.trim().strip_prefix('(')?.strip_suffix(')')?.trim();
    let NodeId {
        pipe: ri,
        index: ni,
    } = owner_node(scope)?;
    let si = node_analysis(p, ri, ni)?.subqueries.iter().position(|q| {
        !q.derived
            && item.start <= q.body.start
            && q.body.end <= item.end
            && text.get(q.body.start..q.body.end).map(str::trim) == Some(inner)
    })?;
    let first = columns_at_depth(
        p,
        ColumnOwner::Subquery(
            NodeId {
                pipe: ri,
                index: ni,
            },
            si,
        ),
        depth + 1,
        walk,
    )
    .into_iter()
    .next()?;
    first.ty.as_ref().map(scalar_subquery_type)
}

/// The column an unaliased plain item reads (`x`, `t.x`).
fn plain_column(item: &SelectItem) -> Option<&str> {
    if item.alias.is_some() || !item.functions.is_empty() {
        return None;
    }
    let name = item.output_name.rsplit('.').next()?;
    is_identifier(name).then_some(name)
}

/// The column read by `x AS y`.
fn aliased_column<'a>(item: &SelectItem, item_text: &'a str) -> Option<&'a str> {
    let expr = item_expression(item_text, item)?.trim();
    let name = expr.rsplit('.').next()?.trim_matches('`');
    (item.functions.is_empty() && is_identifier(name)).then_some(name)
}

/// Where the alias is written at the end of a SELECT item's text.
fn alias_range(item_text: &str, alias: &str) -> Option<TextRange> {
    let trimmed = item_text.trim_end();
    for quoted in [
        format!("`{alias}`"),
        format!("\"{alias}\""),
        alias.to_string(),
    ] {
        if trimmed.ends_with(&quoted) {
            let end = trimmed.len();
            let start = end - quoted.len();
            let (s, e) = if quoted.len() > alias.len() {
                (start + 1, end - 1)
            } else {
                (start, end)
            };
            return Some(TextRange::new(s, e));
        }
    }
    None
}

/// The name without the backticks or quotes around it (`` `ts` `` → `ts`).
pub fn unquoted_name(range: TextRange, name: &str) -> TextRange {
    if range.len() == name.len() + 2 {
        TextRange::new(range.start + 1, range.end - 1)
    } else {
        range
    }
}

pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// How many owners' columns were computed (`owner_columns` calls) on this thread.
        pub(super) static COMPUTED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    const EVENTS: &str = "SCHEMA >\n    `ts` DateTime,\n    `user_id` String,\n    `path` String\n";

    /// Found by the `ide` fuzz target: a node reading its own pipe beside nested subqueries
    /// made every request on it take 15 seconds (each source's columns computed again on every
    /// path, round the cycle down to the depth bound).
    #[test]
    fn each_owner_is_computed_once_and_a_cycle_is_cut() {
        let pipe = "NODE a\nSQL >\n    SELECT user_id, path FROM events\n\nNODE b\nSQL >\n    \
                    SELECT x.user_id, y.path, (SELECT max(ts) FROM events) AS m \
                    FROM (SELECT user_id FROM (SELECT user_id FROM a, p), p) AS x, p AS y\n";
        let mut db = analysis::db::ProjectDb::new("/t", None);
        db.set_file("datasources/events.datasource", Arc::from(EVENTS));
        db.set_file("pipes/p.pipe", Arc::from(pipe));
        db.analyze(&|_: &str| None);
        let p = db.take_analysis().unwrap().project;
        let (ri, _) = p
            .resources
            .iter_enumerated()
            .find(|(_, r)| r.kind == ResourceKind::Pipe)
            .unwrap();
        COMPUTED.with(|c| c.set(0));
        let columns = columns_of(&p, ColumnOwner::Node(NodeId::new(ri, 1)));
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["user_id", "path", "m"]);
        // The node, its three subqueries, node `a`, `events`: each once (the pipe read
        // through the cycle reads nothing).
        let computed = COMPUTED.with(|c| c.get());
        assert!(computed <= 8, "{computed} computations");
        // A type through a plain source still comes through.
        assert!(columns[2].ty.is_some(), "{columns:?}");
    }
}
