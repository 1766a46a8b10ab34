//! The deploy plan: what deploying the project's files does to what is deployed, the base
//! version (a git revision, read by the caller). Every resource added, changed or removed
//! against the base gets what changed ([`Detail`]s), how Tinybird applies it ([`Method`], from
//! the one classification [`table`]), how a rewritten table is filled again ([`Backfill`]) and
//! the datasources downstream that a rewrite also rewrites. [`rules`] reports what is wrong
//! with such a change.
//!
//! Invariant: pure, like the rest of the crate; the plan of a project against itself is empty
//! (but for FORWARD_QUERYs left in place, which rewrite on every deploy).

pub mod forward_query;
pub mod rules;
pub mod table;
pub mod text;

use crate::migration::Migrations;
use project::model::{EdgeKind, Project, Resource, ResourceId, ResourceKind};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use syntax::model::{Column, Datafile, Node, NodeType, Value};
use syntax::text::TextRange;
use syntax::Dialect;
use table::{entry, Effect, What};

/// The deployed version of a project, analysed by the same database as the files.
pub struct Base {
    /// The commit it was read from (full hex), or another label for a base not from git.
    pub rev: String,
    pub project: Project,
    pub migrations: Arc<Migrations>,
}

impl Base {
    /// The base made of an analysis of the deployed files.
    pub fn from_analysis(rev: impl Into<String>, a: crate::db::Analysis) -> Base {
        Base {
            rev: rev.into(),
            project: a.project,
            migrations: a.migrations,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Changed,
    Removed,
    /// The files did not change, but the deploy rewrites it (downstream of a rewrite, or a
    /// FORWARD_QUERY left in place).
    Unchanged,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// No data moves (endpoints, tokens, descriptions, ingestion settings).
    Update,
    /// ALTER in place: no data moved.
    Alter,
    Create,
    /// A new table, filled again ([`Backfill`]).
    Rewrite,
    Delete,
    /// The deploy fails.
    Refused,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Update => "update",
            Method::Alter => "alter",
            Method::Create => "create",
            Method::Rewrite => "rewrite",
            Method::Delete => "delete",
            Method::Refused => "refused",
        }
    }
}

/// How a rewritten table is filled again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Backfill {
    /// By replaying the materialized pipes that write it over their sources.
    Replay { pipes: Vec<String> },
    /// Through its FORWARD_QUERY over the live table.
    ForwardQuery,
    /// Nothing writes it and it has no FORWARD_QUERY: the live rows are copied as they are
    /// (inferred).
    LiveRows,
}

/// One thing that changed.
#[derive(Clone, Debug, Serialize)]
pub struct Detail {
    pub what: What,
    /// In words, with names (`column \`x\` String → LowCardinality(String)`).
    pub text: String,
    /// Where it is in the file (`None` for what the files no longer have).
    #[serde(skip)]
    pub range: Option<TextRange>,
}

impl Detail {
    /// The column, node, index or token it is about: every detail's text names it first, in
    /// backquotes (empty for a detail about the whole resource, e.g. its engine).
    pub fn subject(&self) -> &str {
        self.text.split('`').nth(1).unwrap_or_default()
    }
}

/// A commit shortened as git shows it; any other label as it is.
pub fn short_rev(rev: &str) -> &str {
    if rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
        &rev[..7]
    } else {
        rev
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ResourceChange {
    pub resource: String,
    pub kind: ResourceKind,
    /// Its file (in the base for a removed resource).
    pub path: String,
    pub change: ChangeKind,
    pub details: Vec<Detail>,
    pub method: Method,
    pub backfill: Option<Backfill>,
    /// Every datasource this change also rewrites, downstream.
    pub downstream: Vec<String>,
    pub reasons: Vec<String>,
    /// Some of the classification is inferred rather than documented.
    pub inferred: bool,
}

pub struct Plan {
    pub base: String,
    pub dialect: Dialect,
    pub changes: Vec<ResourceChange>,
}

impl Plan {
    /// The change of the resource defined in `path`.
    pub fn of_path(&self, path: &str) -> Option<&ResourceChange> {
        self.changes.iter().find(|c| c.path == path)
    }
}

/// The resources a plan compares: those defined by their own file, by kind and name.
fn by_name(p: &Project) -> BTreeMap<(&'static str, &str), ResourceId> {
    let mut out = BTreeMap::new();
    for (i, r) in p.resources.iter_enumerated() {
        if r.defined_by_file() {
            out.entry((r.kind.as_str(), r.name.as_str())).or_insert(i);
        }
    }
    out
}

/// Whitespace-insensitive text, to compare SQL and expressions as Tinybird would see them
/// changed.
pub(crate) fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn val(v: &Option<Value>) -> Option<String> {
    v.as_ref().map(|v| norm(&v.text))
}

fn detail(what: What, text: String, range: Option<TextRange>) -> Detail {
    Detail { what, text, range }
}

/// What changed in a datasource's table and settings (FORWARD_QUERY aside).
pub fn datasource_details(b: &Datafile, h: &Datafile) -> Vec<Detail> {
    let mut out = vec![];
    let empty = vec![];
    let bcols = b.schema().map_or(&empty, |s| &s.columns);
    let hcols = h.schema().map_or(&empty, |s| &s.columns);
    for c in hcols {
        let Some(old) = bcols.iter().find(|o| o.name == c.name) else {
            out.push(detail(
                What::ColumnAdded,
                format!("column `{}` {} added", c.name, forward_query::full_type(c)),
                Some(c.range),
            ));
            continue;
        };
        let (bt, ht) = (forward_query::full_type(old), forward_query::full_type(c));
        if bt != ht {
            let nullable = format!("Nullable({bt})") == ht;
            out.push(detail(
                if nullable {
                    What::ColumnMadeNullable
                } else {
                    What::ColumnRetyped
                },
                format!("column `{}` {bt} → {ht}", c.name),
                Some(c.type_range),
            ));
        }
        if val(&old.default) != val(&c.default) {
            out.push(detail(
                What::ColumnDefaultChanged,
                format!("column `{}`: DEFAULT changed", c.name),
                Some(c.range),
            ));
        }
        if val(&old.codec) != val(&c.codec) {
            out.push(detail(
                What::ColumnCodecChanged,
                format!("column `{}`: CODEC changed", c.name),
                Some(c.range),
            ));
        }
        if val(&old.jsonpath) != val(&c.jsonpath) {
            out.push(detail(
                What::ColumnJsonPathChanged,
                format!("column `{}`: jsonpath changed", c.name),
                Some(c.range),
            ));
        }
    }
    for c in bcols {
        if !hcols.iter().any(|n| n.name == c.name) {
            out.push(detail(
                What::ColumnRemoved,
                format!(
                    "column `{}` {} removed",
                    c.name,
                    forward_query::full_type(c)
                ),
                None,
            ));
        }
    }
    let common = |of: &Vec<Column>, other: &Vec<Column>| -> Vec<String> {
        of.iter()
            .filter(|c| other.iter().any(|o| o.name == c.name))
            .map(|c| c.name.clone())
            .collect()
    };
    if common(bcols, hcols) != common(hcols, bcols) {
        out.push(detail(
            What::ColumnsReordered,
            "columns reordered".into(),
            h.schema().map(|s| s.range),
        ));
    }
    engine_details(b, h, &mut out);
    let (bi, hi) = (
        b.default_node().map_or(&[][..], |n| &n.indexes[..]),
        h.default_node().map_or(&[][..], |n| &n.indexes[..]),
    );
    let index_key = |i: &syntax::model::Index| {
        (
            norm(&i.expr.text),
            norm(&i.type_full.text),
            val(&i.granularity),
        )
    };
    for i in hi {
        match bi.iter().find(|o| o.name.text == i.name.text) {
            None => out.push(detail(
                What::IndexChanged,
                format!("index `{}` added", i.name.text),
                Some(i.range),
            )),
            Some(o) if index_key(o) != index_key(i) => out.push(detail(
                What::IndexChanged,
                format!("index `{}` changed", i.name.text),
                Some(i.range),
            )),
            _ => {}
        }
    }
    for i in bi {
        if !hi.iter().any(|n| n.name.text == i.name.text) {
            out.push(detail(
                What::IndexChanged,
                format!("index `{}` dropped", i.name.text),
                None,
            ));
        }
    }
    let settings = |n: Option<&Node>| -> BTreeMap<String, String> {
        n.map(|n| {
            n.settings
                .iter()
                .map(|s| (s.key.clone(), norm(&s.value.text)))
                .collect()
        })
        .unwrap_or_default()
    };
    let (bs, hs) = (settings(b.default_node()), settings(h.default_node()));
    let changed: Vec<&String> = bs
        .keys()
        .chain(hs.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter(|k| bs.get(*k) != hs.get(*k))
        .collect();
    if !changed.is_empty() {
        out.push(detail(
            What::ConnectorChanged,
            format!(
                "settings changed: {}",
                changed
                    .iter()
                    .map(|k| k.to_uppercase())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None,
        ));
    }
    common_details(b, h, &mut out);
    out
}

fn engine_details(b: &Datafile, h: &Datafile, out: &mut Vec<Detail>) {
    let name = |d: &Datafile| {
        d.engine()
            .and_then(|e| e.name.as_ref())
            .map_or_else(|| "MergeTree".to_string(), |v| norm(&v.text))
    };
    let (bn, hn) = (name(b), name(h));
    if !bn.eq_ignore_ascii_case(&hn) {
        out.push(detail(
            What::EngineChanged,
            format!("engine {bn} → {hn}"),
            h.engine().and_then(|e| e.name.as_ref()).map(|v| v.range),
        ));
    }
    let params = |d: &Datafile| -> BTreeMap<String, (String, TextRange)> {
        d.engine()
            .map(|e| {
                e.params
                    .iter()
                    .map(|p| (p.key.clone(), (norm(&p.value.text), p.value.range)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (bp, hp) = (params(b), params(h));
    let keys: BTreeSet<&String> = bp.keys().chain(hp.keys()).collect();
    for k in keys {
        let (old, new) = (bp.get(k), hp.get(k));
        if old.map(|v| &v.0) == new.map(|v| &v.0) {
            continue;
        }
        let what = match k.as_str() {
            "sorting_key" => What::SortingKeyChanged,
            "partition_key" => What::PartitionKeyChanged,
            "primary_key" => What::PrimaryKeyChanged,
            "ttl" => What::TtlChanged,
            _ => What::EngineSettingChanged,
        };
        let key = format!("ENGINE_{}", k.to_uppercase());
        let text = match (old, new) {
            (None, Some(n)) => format!("{key} added: {}", n.0),
            (Some(o), None) => format!("{key} removed (was {})", o.0),
            (Some(o), Some(n)) => format!("{key} {} → {}", o.0, n.0),
            (None, None) => continue,
        };
        out.push(detail(what, text, new.map(|n| n.1)));
    }
}

/// Description, tokens, sharing and VERSION: every kind of file has them.
fn common_details(b: &Datafile, h: &Datafile, out: &mut Vec<Detail>) {
    if val(&b.description) != val(&h.description) {
        out.push(detail(
            What::DescriptionChanged,
            "description changed".into(),
            h.description.as_ref().map(|v| v.range),
        ));
    }
    let tokens = |d: &Datafile| -> BTreeSet<(String, String)> {
        d.tokens
            .iter()
            .map(|t| {
                (
                    t.name.text.clone(),
                    t.permission
                        .as_ref()
                        .map_or_else(|| "READ".into(), |p| p.text.to_uppercase()),
                )
            })
            .collect()
    };
    let (bt, ht) = (tokens(b), tokens(h));
    for (name, perm) in bt.difference(&ht) {
        out.push(detail(
            What::TokensChanged,
            format!("token `{name}` no longer has {perm}: clients using it for this resource lose access"),
            None,
        ));
    }
    for (name, perm) in ht.difference(&bt) {
        let range = h
            .tokens
            .iter()
            .find(|t| &t.name.text == name)
            .map(|t| t.range);
        out.push(detail(
            What::TokensChanged,
            format!("token `{name}` gets {perm}"),
            range,
        ));
    }
    let shared = |d: &Datafile| -> BTreeSet<String> {
        d.shared_with.iter().map(|v| v.text.clone()).collect()
    };
    if shared(b) != shared(h) {
        out.push(detail(
            What::SharingChanged,
            "SHARED_WITH changed".into(),
            None,
        ));
    }
    if val(&b.version) != val(&h.version) {
        out.push(detail(
            What::VersionChanged,
            format!(
                "VERSION {} → {}",
                val(&b.version).unwrap_or_else(|| "none".into()),
                val(&h.version).unwrap_or_else(|| "none".into())
            ),
            h.version.as_ref().map(|v| v.range),
        ));
    }
}

/// The first table of the FROM of node `node` of pipe `name`, if it materializes.
fn mv_source(p: &Project, m: &Migrations, pipe: ResourceId, node: usize) -> Option<String> {
    m.by_pipe
        .get(&pipe)?
        .iter()
        .map(|&w| &m.writers[w])
        .find(|w| w.node == node && w.kind == EdgeKind::MaterializesInto)
        .and_then(|w| w.source.clone())
        .map(|s| {
            // Compare what it resolves to, so that `db.name` and a Classic version match.
            match p.resolve(&s, Some(pipe)) {
                project::model::Target::Resource(r) => p.resources[r].name.clone(),
                _ => s,
            }
        })
}

fn sql_of(n: &Node) -> Option<String> {
    n.sql.as_ref().map(|s| norm(&s.text.text))
}

/// What changed in a pipe.
fn pipe_details(
    base: &Base,
    bi: ResourceId,
    head: (&Project, &Migrations),
    hi: ResourceId,
) -> Vec<Detail> {
    let (bp, hp) = (&base.project, head.0);
    let b = &bp.files[bp.resources[bi].file].datafile;
    let h = &hp.files[hp.resources[hi].file].datafile;
    let mut out = vec![];
    for (n, hn) in h.nodes.iter().enumerate() {
        let Some((o, bn)) = b.nodes.iter().enumerate().find(|(_, o)| o.name == hn.name) else {
            if hn.node_type() == NodeType::Materialized {
                out.push(detail(
                    What::MaterializedTargetChanged,
                    format!(
                        "materialized node `{}` added, into `{}`",
                        hn.name,
                        hn.datasource.as_ref().map_or("", |v| &v.text)
                    ),
                    Some(hn.name_range),
                ));
            } else {
                out.push(detail(
                    What::QueryChanged,
                    format!("node `{}` added", hn.name),
                    Some(hn.name_range),
                ));
            }
            continue;
        };
        let mv = hn.node_type() == NodeType::Materialized;
        if hn.node_type() != bn.node_type() {
            out.push(detail(
                if mv {
                    What::MaterializedTargetChanged
                } else {
                    What::PipeSettingsChanged
                },
                format!(
                    "node `{}`: TYPE {} → {}",
                    hn.name,
                    bn.type_value.as_ref().map_or("standard", |v| &v.text),
                    hn.type_value.as_ref().map_or("standard", |v| &v.text)
                ),
                hn.type_value.as_ref().map(|v| v.range),
            ));
            continue;
        }
        if mv && val(&bn.datasource) != val(&hn.datasource) {
            out.push(detail(
                What::MaterializedTargetChanged,
                format!(
                    "node `{}` materializes into `{}` instead of `{}`",
                    hn.name,
                    val(&hn.datasource).unwrap_or_default(),
                    val(&bn.datasource).unwrap_or_default()
                ),
                hn.datasource.as_ref().map(|v| v.range),
            ));
        }
        if sql_of(bn) != sql_of(hn) {
            let range = hn.sql.as_ref().map(|s| s.keyword_range);
            if mv {
                let (bs, hs) = (
                    mv_source(bp, &base.migrations, bi, o),
                    mv_source(hp, head.1, hi, n),
                );
                if bs.is_some() && hs.is_some() && bs != hs {
                    out.push(detail(
                        What::MaterializedSourceChanged,
                        format!(
                            "node `{}` reads `{}` instead of `{}`",
                            hn.name,
                            hs.unwrap_or_default(),
                            bs.unwrap_or_default()
                        ),
                        range,
                    ));
                } else {
                    out.push(detail(
                        What::MaterializedQueryChanged,
                        format!("materialized query of node `{}` changed", hn.name),
                        range,
                    ));
                }
            } else {
                out.push(detail(
                    What::QueryChanged,
                    format!("query of node `{}` changed", hn.name),
                    range,
                ));
            }
        }
        let settings = |n: &Node| -> Vec<(String, String)> {
            let mut v: Vec<(String, String)> = n
                .settings
                .iter()
                .map(|s| (s.key.clone(), norm(&s.value.text)))
                .collect();
            v.extend(val(&n.target_datasource).map(|t| ("target_datasource".into(), t)));
            v.extend(val(&n.copy_schedule).map(|t| ("copy_schedule".into(), t)));
            v.extend(val(&n.copy_mode).map(|t| ("copy_mode".into(), t)));
            v.sort();
            v
        };
        if settings(bn) != settings(hn) {
            out.push(detail(
                What::PipeSettingsChanged,
                format!("node `{}`: settings changed", hn.name),
                Some(hn.name_range),
            ));
        }
    }
    for bn in &b.nodes {
        if !h.nodes.iter().any(|n| n.name == bn.name) {
            out.push(detail(
                What::QueryChanged,
                format!("node `{}` removed", bn.name),
                None,
            ));
        }
    }
    common_details(b, h, &mut out);
    out
}

fn connection_details(b: &Datafile, h: &Datafile) -> Vec<Detail> {
    let mut out = vec![];
    let settings = |d: &Datafile| -> Vec<(String, String)> {
        d.default_node()
            .map(|n| {
                n.settings
                    .iter()
                    .map(|s| (s.key.clone(), norm(&s.value.text)))
                    .collect()
            })
            .unwrap_or_default()
    };
    if settings(b) != settings(h) {
        out.push(detail(
            What::ConnectionChanged,
            "settings changed".into(),
            None,
        ));
    }
    common_details(b, h, &mut out);
    out
}

/// The DEPLOYMENT_METHOD of node `name` of a pipe's file is `alter`.
fn deploys_by_alter(d: &Datafile, node: &str) -> bool {
    d.nodes
        .iter()
        .find(|n| n.name == node)
        .and_then(|n| n.setting("deployment_method"))
        .is_some_and(|v| v.text.eq_ignore_ascii_case("alter"))
}

/// The materialized pipes writing datasource `ds`, by name.
fn replayed_by(p: &Project, m: &Migrations, ds: ResourceId) -> Vec<String> {
    let mut pipes: Vec<String> = m
        .by_target
        .get(&ds)
        .into_iter()
        .flatten()
        .map(|&w| &m.writers[w])
        .filter(|w| w.kind == EdgeKind::MaterializesInto)
        .map(|w| p.resources[w.pipe].name.clone())
        .collect();
    pipes.sort();
    pipes.dedup();
    pipes
}

/// The datasources written by materialized pipes that read `ds` (one step downstream), with the
/// pipe.
fn fed_from(p: &Project, m: &Migrations, ds: ResourceId) -> Vec<(ResourceId, String)> {
    let mut out = vec![];
    for w in m.writers.iter() {
        if w.kind != EdgeKind::MaterializesInto || w.target == ds {
            continue;
        }
        let node_at = |n: &str| p.resources[w.pipe].nodes.iter().position(|x| x.name == n);
        // Read by the materialized node or a node before it (which may feed it).
        let reads = p.edges_from(w.pipe).any(|e| {
            e.kind == EdgeKind::Reads
                && e.target == project::model::Target::Resource(ds)
                && e.from_node
                    .as_deref()
                    .and_then(node_at)
                    .is_none_or(|i| i <= w.node)
        });
        if reads {
            out.push((w.target, p.resources[w.pipe].name.clone()));
        }
    }
    out
}

/// The plan of the head project (`head`, its migration model) against `base`.
pub fn plan(base: &Base, head: &Project, head_m: &Migrations) -> Plan {
    let dialect = head.dialect;
    let forward = dialect == Dialect::Forward;
    let (bmap, hmap) = (by_name(&base.project), by_name(head));
    let mut changes: Vec<ResourceChange> = vec![];
    let new = |r: &Resource, change, details, method| ResourceChange {
        resource: r.name.clone(),
        kind: r.kind,
        path: r.path.to_string(),
        change,
        details,
        method,
        backfill: None,
        downstream: vec![],
        reasons: vec![],
        inferred: false,
    };
    // Rewritten datasources (head ids) whose downstream is rewritten too, with why.
    let mut roots: Vec<(usize, ResourceId)> = vec![];
    for (&key, &hi) in &hmap {
        let hr = &head.resources[hi];
        let kind = hr.kind;
        let hd = &head.files[hr.file].datafile;
        let Some(&bi) = bmap.get(&key) else {
            let mut c = new(hr, ChangeKind::Added, vec![], Method::Create);
            if kind == ResourceKind::Datasource && hd.forward_query.is_some() && forward {
                c.reasons.push(
                    "its FORWARD_QUERY has nothing to run over: the datasource is new".into(),
                );
            }
            changes.push(c);
            continue;
        };
        let bd = &base.project.files[base.project.resources[bi].file].datafile;
        let details = match kind {
            ResourceKind::Datasource => datasource_details(bd, hd),
            ResourceKind::Pipe => pipe_details(base, bi, (head, head_m), hi),
            ResourceKind::Connection => connection_details(bd, hd),
        };
        let fq = forward && kind == ResourceKind::Datasource && hd.forward_query.is_some();
        if details.is_empty() && !fq {
            continue;
        }
        let change = if details.is_empty() {
            ChangeKind::Unchanged
        } else {
            ChangeKind::Changed
        };
        let mut c = new(hr, change, details, Method::Update);
        classify(&mut c, forward, hd, bd, head, head_m, hi);
        if c.method == Method::Rewrite && kind == ResourceKind::Datasource {
            roots.push((changes.len(), hi));
        }
        if c.method == Method::Rewrite && kind == ResourceKind::Pipe {
            for d in &c.details {
                if matches!(
                    d.what,
                    What::MaterializedQueryChanged | What::MaterializedTargetChanged
                ) {
                    for w in head_m.by_pipe.get(&hi).into_iter().flatten() {
                        let w = &head_m.writers[*w];
                        if w.kind == EdgeKind::MaterializesInto {
                            roots.push((changes.len(), w.target));
                        }
                    }
                }
            }
        }
        changes.push(c);
    }
    for (key, &bi) in &bmap {
        if hmap.contains_key(key) {
            continue;
        }
        let br = &base.project.resources[bi];
        let kind = br.kind;
        let mut c = new(br, ChangeKind::Removed, vec![], Method::Delete);
        if kind == ResourceKind::Datasource {
            c.reasons.push(if forward {
                "destructive: its data is deleted; `tb deploy` refuses it unless --allow-destructive-operations".into()
            } else {
                "destructive: its data is deleted when the datasource is removed".into()
            });
        }
        changes.push(c);
    }
    if forward {
        cascade(&mut changes, &roots, head, head_m);
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path).then(a.resource.cmp(&b.resource)));
    Plan {
        base: base.rev.clone(),
        dialect,
        changes,
    }
}

/// Sets the method, backfill and reasons of a changed resource from its details.
fn classify(
    c: &mut ResourceChange,
    forward: bool,
    hd: &Datafile,
    bd: &Datafile,
    head: &Project,
    head_m: &Migrations,
    hi: ResourceId,
) {
    let mut worst = Effect::Update;
    for d in &c.details {
        let e = entry(d.what);
        let mut effect = if forward { e.forward } else { e.classic };
        if d.what == What::MaterializedQueryChanged && forward {
            let node = d.subject();
            if deploys_by_alter(hd, node) {
                effect = Effect::Alter;
                c.reasons.push(format!(
                    "node `{node}` has DEPLOYMENT_METHOD alter: ALTER TABLE … MODIFY QUERY, the rows already written stay as they are and only new rows use the new query"
                ));
            }
        }
        if d.what == What::MaterializedQueryChanged && !forward {
            let reason = "Classic replaces the view: the rows already in its target stay as the old query wrote them, only new rows get the new query (inferred)".to_string();
            if !c.reasons.contains(&reason) {
                c.reasons.push(reason);
            }
            c.inferred = true;
        }
        if effect > Effect::Update || !e.documented {
            let reason = if !forward && effect == Effect::Refused {
                table::CLASSIC_BY_HAND.to_string()
            } else {
                e.note.to_string()
            };
            if !c.reasons.contains(&reason) {
                c.reasons.push(reason);
            }
        }
        c.inferred |= !e.documented;
        worst = worst.max(effect);
    }
    let has_fq = forward && c.kind == ResourceKind::Datasource && hd.forward_query.is_some();
    c.method = if worst == Effect::Refused {
        Method::Refused
    } else if has_fq {
        c.backfill = Some(Backfill::ForwardQuery);
        let same = bd.forward_query.as_ref().is_some_and(|b| {
            norm(&b.text.text)
                == hd
                    .forward_query
                    .as_ref()
                    .map_or(String::new(), |h| norm(&h.text.text))
        });
        if same {
            c.reasons.push("its FORWARD_QUERY is the one already deployed: left in place it rewrites every row again on every deploy".into());
        } else if worst <= Effect::Alter {
            c.reasons.push("a FORWARD_QUERY makes this a rewrite of every row, where the change alone is an ALTER in place".into());
        } else {
            c.reasons
                .push("rewritten through its FORWARD_QUERY over the live table".into());
        }
        Method::Rewrite
    } else if worst == Effect::NeedsForwardQuery {
        c.reasons
            .push("without a FORWARD_QUERY the deployment fails with a schema mismatch".into());
        Method::Refused
    } else if worst == Effect::Rewrite {
        if c.kind == ResourceKind::Datasource {
            let pipes = replayed_by(head, head_m, hi);
            if pipes.is_empty() {
                c.inferred = true;
                c.reasons.push("nothing materializes into it and it has no FORWARD_QUERY: the live rows are copied as they are (inferred)".into());
                c.backfill = Some(Backfill::LiveRows);
            } else {
                c.backfill = Some(Backfill::Replay { pipes });
            }
        }
        Method::Rewrite
    } else if worst == Effect::Alter {
        Method::Alter
    } else {
        Method::Update
    };
}

/// Marks every datasource downstream of a rewrite as rewritten too, replayed by the pipe that
/// feeds it, and lists them on the change that caused it.
fn cascade(
    changes: &mut Vec<ResourceChange>,
    roots: &[(usize, ResourceId)],
    head: &Project,
    m: &Migrations,
) {
    let mut by_root: BTreeMap<usize, BTreeSet<ResourceId>> = BTreeMap::new();
    for &(at, ds) in roots {
        let set = by_root.entry(at).or_default();
        let is_pipe = changes[at].kind == ResourceKind::Pipe;
        let mut todo = vec![ds];
        if is_pipe {
            set.insert(ds);
        }
        while let Some(d) = todo.pop() {
            for (t, _) in fed_from(head, m, d) {
                if set.insert(t) {
                    todo.push(t);
                }
            }
        }
    }
    for (at, set) in by_root {
        let root_name = changes[at].resource.clone();
        let mut names = vec![];
        for t in set {
            let r = &head.resources[t];
            names.push(r.name.clone());
            let pipes = replayed_by(head, m, t);
            let why = format!("upstream `{root_name}` is rewritten");
            match changes
                .iter_mut()
                .find(|c| c.kind == ResourceKind::Datasource && c.resource == r.name)
            {
                Some(c) => {
                    if c.method < Method::Rewrite {
                        c.method = Method::Rewrite;
                        c.backfill = Some(Backfill::Replay { pipes });
                    }
                    if !c.reasons.contains(&why) {
                        c.reasons.push(why);
                    }
                }
                None => changes.push(ResourceChange {
                    resource: r.name.clone(),
                    kind: r.kind,
                    path: r.path.to_string(),
                    change: ChangeKind::Unchanged,
                    details: vec![],
                    method: Method::Rewrite,
                    backfill: Some(Backfill::Replay { pipes }),
                    downstream: vec![],
                    reasons: vec![why],
                    inferred: false,
                }),
            }
        }
        names.sort();
        changes[at].downstream = names;
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::Fixture;

    /// `resource: method [backfill] [→ downstream]` per change of the fixture's plan.
    fn plan(fixture: &str) -> Vec<String> {
        let a = Fixture::parse(fixture).analyze();
        assert!(
            !a.diagnostics
                .values()
                .flatten()
                .any(|d| d.severity == syntax::diagnostics::Severity::Error),
            "{:?}",
            a.diagnostics
        );
        let plan = a.plan.expect("the fixture has a base");
        plan.changes
            .iter()
            .map(|c| {
                let mut s = format!("{} {:?}: {}", c.resource, c.change, c.method.as_str());
                match &c.backfill {
                    Some(super::Backfill::Replay { pipes }) => {
                        s.push_str(&format!(" replay {}", pipes.join(",")))
                    }
                    Some(b) => s.push_str(&format!(" {b:?}")),
                    None => {}
                }
                if !c.downstream.is_empty() {
                    s.push_str(&format!(" → {}", c.downstream.join(",")));
                }
                s
            })
            .collect()
    }

    const CHAIN: &str = r#"
        //- dialect: forward
        //- datasources/events.datasource
        SCHEMA >
            `ts` DateTime,
            `country` String
        //- datasources/daily.datasource
        SCHEMA >
            `d` Date,
            `country` String,
            `n` UInt64
        ENGINE "SummingMergeTree"
        ENGINE_SORTING_KEY "d, country"
        //- datasources/monthly.datasource
        SCHEMA >
            `m` Date,
            `n` UInt64
        ENGINE "SummingMergeTree"
        ENGINE_SORTING_KEY "m"
        //- pipes/daily_mv.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS d, country, count() AS n FROM events GROUP BY d, country
        TYPE materialized
        DATASOURCE daily
        //- pipes/monthly_mv.pipe
        NODE n
        SQL >
            SELECT toStartOfMonth(d) AS m, sum(n) AS n FROM daily GROUP BY m
        TYPE materialized
        DATASOURCE monthly
    "#;

    fn with(change: &str) -> String {
        format!(
            "{}{}",
            crate::fixture::trim_indent(CHAIN),
            crate::fixture::trim_indent(change)
        )
    }

    #[test]
    fn a_project_against_itself_plans_nothing() {
        let f = with("//- added: pipes/none.pipe\n");
        assert!(plan(&f).is_empty());
    }

    #[test]
    fn forward_changes_are_classified_from_the_table() {
        // A column added: ALTER in place.
        let f = with(
            r#"
            //- base: datasources/events.datasource
            SCHEMA >
                `ts` DateTime
            "#,
        );
        assert_eq!(plan(&f), ["events Changed: alter"]);
        // A type change without FORWARD_QUERY: refused; with one: a rewrite through it, and
        // everything downstream replayed.
        let f = with(
            r#"
            //- base: datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `country` LowCardinality(String)
            "#,
        );
        assert_eq!(plan(&f), ["events Changed: refused"]);
        let f = with(
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `country` String

            FORWARD_QUERY >
                SELECT ts, toString(country) AS country
            //- base: datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `country` LowCardinality(String)
            "#,
        );
        assert_eq!(
            plan(&f),
            [
                "daily Unchanged: rewrite replay daily_mv",
                "events Changed: rewrite ForwardQuery → daily,monthly",
                "monthly Unchanged: rewrite replay monthly_mv",
            ]
        );
        // A sorting key: a rewrite replayed from the pipe that writes it, and downstream.
        let f = with(
            r#"
            //- base: datasources/daily.datasource
            SCHEMA >
                `d` Date,
                `country` String,
                `n` UInt64
            ENGINE "SummingMergeTree"
            ENGINE_SORTING_KEY "d"
            "#,
        );
        assert_eq!(
            plan(&f),
            [
                "daily Changed: rewrite replay daily_mv → monthly",
                "monthly Unchanged: rewrite replay monthly_mv",
            ]
        );
    }

    #[test]
    fn a_changed_materialized_query_rewrites_its_target_unless_deployed_by_alter() {
        let base = r#"
            //- base: pipes/daily_mv.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d, country, count() AS n FROM events WHERE ts > 0 GROUP BY d, country
            TYPE materialized
            DATASOURCE daily
            "#;
        assert_eq!(
            plan(&with(base)),
            [
                "daily Unchanged: rewrite replay daily_mv",
                "monthly Unchanged: rewrite replay monthly_mv",
                "daily_mv Changed: rewrite → daily,monthly",
            ]
        );
        let by_alter = format!(
            "{}\n{}",
            with(base),
            crate::fixture::trim_indent(
                r#"
            //- pipes/daily_mv.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d, country, count() AS n FROM events GROUP BY d, country
            TYPE materialized
            DATASOURCE daily
            DEPLOYMENT_METHOD alter
            "#
            )
        );
        assert_eq!(plan(&by_alter), ["daily_mv Changed: alter"]);
    }

    #[test]
    fn removed_and_added_resources() {
        let f = with(
            r#"
            //- base: datasources/old.datasource
            SCHEMA >
                `x` UInt8
            //- pipes/top.pipe
            NODE n
            SQL >
                SELECT country, sum(n) AS n FROM daily GROUP BY country
            //- added: pipes/top.pipe
            "#,
        );
        assert_eq!(plan(&f), ["old Removed: delete", "top Added: create"]);
    }

    #[test]
    fn classic_applies_a_column_or_a_ttl_in_place_and_nothing_else() {
        let f = r#"
            //- dialect: classic
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `country` String
            ENGINE "MergeTree"
            ENGINE_SORTING_KEY "ts"
            ENGINE_TTL "ts + toIntervalDay(30)"
            //- base: datasources/events.datasource
            SCHEMA >
                `ts` DateTime
            ENGINE "MergeTree"
            ENGINE_SORTING_KEY "ts"
        "#;
        assert_eq!(plan(f), ["events Changed: alter"]);
        let f = r#"
            //- dialect: classic
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime
            ENGINE "MergeTree"
            ENGINE_SORTING_KEY "toDate(ts), ts"
            //- base: datasources/events.datasource
            SCHEMA >
                `ts` DateTime
            ENGINE "MergeTree"
            ENGINE_SORTING_KEY "ts"
        "#;
        assert_eq!(plan(f), ["events Changed: refused"]);
    }
}
