//! What a table offers, when it is known for certain: the columns a name in a node's FROM
//! brings (a datasource's SCHEMA and connector columns, or a node's SELECT over such a table).
//! The rules that say a name is *not* a column (`unknown-column`, add-column's check) use only
//! this: where anything is uncertain it answers `None`, and they say nothing.

use crate::migration::columns;

/// The known column closest to `name` (for "did you mean"), when one is close enough.
pub fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .filter(|k| !k.contains(['(', ' ', '*']))
        .map(|k| (strsim::jaro_winkler(name, k), k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}
use project::model::{Project, ResourceId, ResourceKind, Target};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use syntax::sql::scopes::Known;

/// Every column `name` offers, when all of them are known for certain: a datasource's SCHEMA
/// (and its connector's columns), or a node (of `pipe`, before `before_node`, or a pipe's last)
/// whose output columns are known in every rendering of its template, from tables whose columns
/// are known in turn ([`syntax::sql::scopes`]). `None` for anything else: a check built on it
/// then says nothing. (One question: [`Columns`] answers many, each table once.)
pub fn complete_columns(
    p: &Project,
    name: &str,
    pipe: Option<ResourceId>,
    before_node: Option<usize>,
) -> Option<Vec<String>> {
    Columns::new(p)
        .of(name, pipe, before_node)
        .map(|k| k.names.clone())
}

/// A table: (pipe, node) for a node, (resource, None) for a datasource or a pipe.
pub(crate) type TableKey = (ResourceId, Option<usize>);
/// What a table offers, and the resources that answer was read from.
type Answer = (Option<Arc<Known>>, Arc<[ResourceId]>);

/// Answers by table, each with the resources it was read from ([`Columns::memoised`]).
pub(crate) type TableMemo<T> = RefCell<HashMap<TableKey, (Option<T>, Arc<[ResourceId]>)>>;

/// What each table offers ([`complete_columns`]), each table computed once: the rules asking
/// about every node of a project share one.
pub struct Columns<'p> {
    pub(crate) p: &'p Project,
    /// By table: (pipe, node) for a node, (resource, None) for a datasource or a pipe; with
    /// the resources the answer was read from.
    cache: RefCell<HashMap<TableKey, Answer>>,
    /// The resources read by each question being answered (innermost last).
    frames: RefCell<Vec<Vec<ResourceId>>>,
    /// Each table's columns with their types ([`crate::types`]), with the resources read.
    pub(crate) typed: RefCell<HashMap<TableKey, crate::types::TypedAnswer>>,
}

impl<'p> Columns<'p> {
    pub fn new(p: &'p Project) -> Self {
        Columns {
            p,
            cache: RefCell::new(HashMap::new()),
            frames: RefCell::new(Vec::new()),
            typed: RefCell::new(HashMap::new()),
        }
    }

    pub(crate) fn record(&self, deps: &[ResourceId]) {
        if let Some(frame) = self.frames.borrow_mut().last_mut() {
            frame.extend_from_slice(deps);
        }
    }

    /// Runs `f`, and returns with its result every resource whose files the answers it asked
    /// for were read from (transitively): while they stay the same, so does the result.
    pub fn recording<T>(&self, f: impl FnOnce() -> T) -> (T, Vec<ResourceId>) {
        self.frames.borrow_mut().push(Vec::new());
        let out = f();
        let mut deps = self.frames.borrow_mut().pop().unwrap_or_default();
        deps.sort_unstable();
        deps.dedup();
        (out, deps)
    }

    /// [`complete_columns`].
    pub fn of(
        &self,
        name: &str,
        pipe: Option<ResourceId>,
        before_node: Option<usize>,
    ) -> Option<Arc<Known>> {
        let key = self.table_key(name, pipe, before_node)?;
        self.memoised(&self.cache, key, || match key {
            (pi, Some(ni)) => self.node(pi, ni),
            (i, None) => self.resource(i),
        })
    }

    /// The table `name` read from node `before_node` of `pipe` (or from outside a pipe): a
    /// node before it, or a resource.
    pub(crate) fn table_key(
        &self,
        name: &str,
        pipe: Option<ResourceId>,
        before_node: Option<usize>,
    ) -> Option<TableKey> {
        match self.p.resolve(name, pipe) {
            Target::Node(ni) if before_node.is_none_or(|b| ni < b) => Some((pipe?, Some(ni))),
            Target::Resource(i) => Some((i, None)),
            _ => None,
        }
    }

    /// `compute`'s answer for the table `key`, kept in `cache` with the resources it was read
    /// from (recorded for the question being answered). A table read through itself is not
    /// known (the mark stays if it is).
    pub(crate) fn memoised<T: Clone>(
        &self,
        cache: &TableMemo<T>,
        key: TableKey,
        compute: impl FnOnce() -> Option<T>,
    ) -> Option<T> {
        let cached = cache.borrow().get(&key).cloned();
        if let Some((answer, deps)) = cached {
            self.record(&deps);
            return answer;
        }
        cache
            .borrow_mut()
            .insert(key, (None, Arc::from(vec![key.0])));
        let (out, mut deps) = self.recording(compute);
        if !deps.contains(&key.0) {
            deps.push(key.0);
        }
        self.record(&deps);
        cache
            .borrow_mut()
            .insert(key, (out.clone(), Arc::from(deps)));
        out
    }

    fn node(&self, pi: ResourceId, ni: usize) -> Option<Arc<Known>> {
        let sql = self.p.resources[pi].nodes[ni].sql.as_ref()?;
        if sql.renderings_truncated {
            return None;
        }
        let table = |db: Option<&str>, t: &str| match db {
            None => self.of(t, Some(pi), Some(ni)),
            Some(_) => None,
        };
        // Every rendering's columns: a downstream read of a column one branch adds is no error.
        let mut out: Vec<String> = Vec::new();
        for scopes in &sql.column_scopes {
            for c in &scopes.as_ref()?.output_columns(&table)?.names {
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
        }
        (!out.is_empty()).then(|| Arc::new(Known::new(out)))
    }

    fn resource(&self, i: ResourceId) -> Option<Arc<Known>> {
        let p = self.p;
        let r = &p.resources[i];
        // A file the official parser rejects (an INCLUDE that did not load, ...) may define
        // fewer columns than meant.
        if r.defined_by_file() && p.files[r.file].rejected {
            return None;
        }
        match r.kind {
            ResourceKind::Datasource if r.defined_by_file() => {
                let cols = columns(p, i);
                if cols.is_empty() {
                    return None;
                }
                let df = &p.files[r.file].datafile;
                Some(Arc::new(Known::new(
                    cols.iter()
                        .map(|c| c.name.clone())
                        .chain(df.connector_columns().iter().map(|c| c.to_string()))
                        .collect(),
                )))
            }
            ResourceKind::Pipe if !r.nodes.is_empty() => self.node(i, r.nodes.len() - 1),
            _ => None,
        }
    }

    /// What a table named in node `node` of `pipe` offers.
    fn table_of(
        &self,
        pipe: ResourceId,
        node: usize,
    ) -> impl Fn(Option<&str>, &str) -> Option<Arc<Known>> + '_ {
        move |db: Option<&str>, t: &str| match db {
            None => self.of(t, Some(pipe), Some(node)),
            Some(_) => None,
        }
    }
}

/// A name a node reads as a column that nothing in its scope provides
/// ([`syntax::sql::scopes::ColumnScopes::unknown_reads`]), in one rendering of its template.
#[derive(Clone, Debug)]
pub struct NodeUnknownRead {
    /// The rendering ([`syntax::sql::renderings`]) it is read in (the first one for a read
    /// several renderings share).
    pub rendering: usize,
    /// Its range is in the node's SQL text.
    pub read: syntax::sql::scopes::Read,
    pub table: Option<String>,
    /// The tables (by name) it is judged against ([`syntax::sql::scopes::UnknownRead`]).
    pub tables: Vec<String>,
    pub known: Vec<String>,
}

/// The unknown reads of node `node` of pipe `pipe`, once per range. In a template, a name that
/// any rendering defines (an alias in one branch) is never one: renderings pair branches as no
/// real request may.
pub fn unknown_reads(p: &Project, pipe: ResourceId, node: usize) -> Vec<NodeUnknownRead> {
    Columns::new(p).unknown_reads(pipe, node)
}

impl Columns<'_> {
    /// The judged renderings of a node (none when its template has more branches than
    /// renderings), with the names any rendering defines (a template's only): those are never
    /// unknown, as renderings pair branches no real request may.
    fn judged(
        &self,
        pipe: ResourceId,
        node: usize,
    ) -> Option<(&syntax::sql::SqlAnalysis, Vec<&str>)> {
        let sql = self.p.resources[pipe].nodes[node]
            .sql
            .as_ref()
            .filter(|s| !s.renderings_truncated)?;
        let defined = if sql.templated {
            sql.column_scopes
                .iter()
                .flatten()
                .flat_map(|s| s.all_names())
                .collect()
        } else {
            vec![]
        };
        Some((sql, defined))
    }

    /// [`unknown_reads`], with this cache.
    pub fn unknown_reads(&self, pipe: ResourceId, node: usize) -> Vec<NodeUnknownRead> {
        let Some((sql, defined)) = self.judged(pipe, node) else {
            return vec![];
        };
        let table = self.table_of(pipe, node);
        let mut out: Vec<NodeUnknownRead> = vec![];
        for (rendering, scopes) in sql.column_scopes.iter().enumerate() {
            for u in scopes.iter().flat_map(|s| s.unknown_reads(&table)) {
                if defined.contains(&u.read.name.as_str())
                    || out.iter().any(|o| o.read.range == u.read.range)
                {
                    continue;
                }
                out.push(NodeUnknownRead {
                    rendering,
                    read: u.read.clone(),
                    table: u.table,
                    tables: u.tables,
                    known: u.known,
                });
            }
        }
        out
    }

    /// [`ungrouped_reads`], with this cache.
    pub fn ungrouped_reads(
        &self,
        pipe: ResourceId,
        node: usize,
    ) -> Vec<(usize, syntax::sql::scopes::Read)> {
        let Some((sql, defined)) = self.judged(pipe, node) else {
            return vec![];
        };
        let table = self.table_of(pipe, node);
        let mut out: Vec<(usize, syntax::sql::scopes::Read)> = vec![];
        for (rendering, scopes) in sql.column_scopes.iter().enumerate() {
            for r in scopes.iter().flat_map(|s| s.ungrouped_columns(&table)) {
                if defined.contains(&r.name.as_str()) || out.iter().any(|(_, o)| o.range == r.range)
                {
                    continue;
                }
                out.push((rendering, r.clone()));
            }
        }
        out
    }
}

/// The columns node `node` of pipe `pipe` reads outside every aggregate call and grouping key
/// of a SELECT that aggregates ([`syntax::sql::scopes::ColumnScopes::ungrouped_columns`]): the
/// rendering and the read, once per range. As for [`unknown_reads`], a name any rendering of a
/// template defines is never one.
pub fn ungrouped_reads(
    p: &Project,
    pipe: ResourceId,
    node: usize,
) -> Vec<(usize, syntax::sql::scopes::Read)> {
    Columns::new(p).ungrouped_reads(pipe, node)
}

/// What the column rules find in one pipe: each node's unknown reads, ungrouped columns and
/// comparisons of types ClickHouse refuses.
#[derive(Debug, Default)]
pub struct PipeColumns {
    pub unknown: Vec<(usize, NodeUnknownRead)>,
    pub ungrouped: Vec<(usize, syntax::sql::scopes::Read)>,
    /// Comparisons ClickHouse refuses for their types ([`crate::types`]).
    pub refused: Vec<(usize, crate::types::NodeRefusal)>,
}

/// [`PipeColumns`] per pipe, kept across analyses of one project while the pipe's file and
/// the files of every resource its answers were read from stay the same (an edit re-reads the
/// edited pipe and the pipes reading what it changed). Cleared when the model is rebuilt
/// (resource indexes may move).
#[derive(Default)]
pub struct PipeColumnsCache {
    state: std::sync::Mutex<(u64, HashMap<ResourceId, PipeColumnsEntry>)>,
}

struct PipeColumnsEntry {
    deps: Vec<(ResourceId, Arc<project::model::SourceFile>)>,
    facts: Arc<PipeColumns>,
}

impl PipeColumnsCache {
    /// The facts of pipe `pipe`; `version` must change whenever the model is rebuilt.
    pub fn get(&self, columns: &Columns, version: u64, pipe: ResourceId) -> Arc<PipeColumns> {
        let p = columns.p;
        let file_of = |r: ResourceId| &p.files[p.resources[r].file];
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.0 != version {
            *state = (version, HashMap::new());
        }
        if let Some(e) = state.1.get(&pipe) {
            if e.deps.iter().all(|(r, f)| Arc::ptr_eq(f, file_of(*r))) {
                return e.facts.clone();
            }
        }
        let (facts, mut deps) = columns.recording(|| {
            let mut facts = PipeColumns::default();
            for ni in 0..p.resources[pipe].nodes.len() {
                facts
                    .unknown
                    .extend(columns.unknown_reads(pipe, ni).into_iter().map(|u| (ni, u)));
                facts.ungrouped.extend(
                    columns
                        .ungrouped_reads(pipe, ni)
                        .into_iter()
                        .map(|(_, u)| (ni, u)),
                );
                facts.refused.extend(
                    columns
                        .refused_comparisons(pipe, ni)
                        .into_iter()
                        .map(|r| (ni, r)),
                );
            }
            Arc::new(facts)
        });
        deps.push(pipe);
        let deps = deps.into_iter().map(|r| (r, file_of(r).clone())).collect();
        state.1.insert(
            pipe,
            PipeColumnsEntry {
                deps,
                facts: facts.clone(),
            },
        );
        facts
    }
}
