//! Project-level diagnostic rules, one file per rule, each declaring its codes, scope and
//! examples ([`crate::registry`]). Each reads the built [`Project`] and returns diagnostics
//! keyed by file path. Severity policy (ARCHITECTURE.md): these are problems Tinybird reports
//! at deploy time, not at parse time, so they are warnings. `reader` and `files` declare the
//! codes the datafile reader and the project database report themselves.

pub(crate) mod aggregation;
pub(crate) mod argument_count;
pub(crate) mod dependency_cycle;
pub(crate) mod duplicate_resource;
pub(crate) mod files;
pub(crate) mod forward_query_columns;
pub(crate) mod incomparable_types;
pub(crate) mod missing_target;
pub(crate) mod reader;
pub(crate) mod reads_materialized_pipe;
pub(crate) mod ungrouped_column;
pub(crate) mod unknown_column;
pub(crate) mod unknown_function;
pub(crate) mod unknown_table;
pub(crate) mod validate;

use crate::migration::Migrations;
use crate::registry::{Check, RULES};
use project::model::Project;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use syntax::diagnostics::Diagnostic;

/// Diagnostics by file path (relative to the project root).
pub type FileDiagnostics = BTreeMap<String, Vec<Diagnostic>>;

/// What the project rules read.
pub struct ProjectCtx<'a> {
    pub p: &'a Project,
    /// "Did you mean" answers, kept between analyses.
    pub suggestions: &'a Suggestions,
    /// The dependency cycles, kept while the graph stays the same.
    pub cycles: &'a CycleMemo,
    /// The migration model of the same analysis.
    pub migrations: &'a Migrations,
    /// What each table offers, computed once for every rule asking.
    pub columns: crate::columns::Columns<'a>,
    /// The column rules' facts per pipe, kept across analyses.
    pub pipe_columns: &'a crate::columns::PipeColumnsCache,
    /// [`Caches::datasources_version`].
    pub datasources_version: u64,
}

impl ProjectCtx<'_> {
    /// The column rules' facts of pipe `pipe` ([`crate::columns::PipeColumnsCache`]).
    pub fn pipe_columns(
        &self,
        pipe: project::model::ResourceId,
    ) -> Arc<crate::columns::PipeColumns> {
        self.pipe_columns
            .get(&self.columns, self.datasources_version, pipe)
    }
}

/// Dependency cycles, each as the resources in order.
pub type Cycles = Arc<Vec<Vec<project::model::ResourceId>>>;

/// The dependency cycles of the last graph ([`Project::graph_key`]).
#[derive(Default)]
pub struct CycleMemo(Mutex<Option<(u64, Cycles)>>);

impl CycleMemo {
    pub fn get(&self, p: &Project) -> Cycles {
        let mut memo = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match &*memo {
            Some((key, cycles)) if *key == p.graph_key() => cycles.clone(),
            _ => {
                let cycles = Arc::new(project::graph::cycles(p));
                *memo = Some((p.graph_key(), cycles.clone()));
                cycles
            }
        }
    }
}

pub fn check(p: &Project) -> FileDiagnostics {
    check_with(p, &Caches::default(), None).0
}

/// What the rules keep between analyses of one project.
#[derive(Default)]
pub struct Caches {
    pub suggestions: Suggestions,
    pub cycles: CycleMemo,
    pub migration: crate::migration::rules::LocalCache,
    pub pipe_columns: crate::columns::PipeColumnsCache,
    /// Bumped by the owner whenever the model is rebuilt (see
    /// [`crate::migration::rules::check`]).
    pub datasources_version: u64,
}

/// Runs every project and migration rule of the registry, in its order, reusing "did you
/// mean" answers and per-pipe results from earlier runs over the same project (the language
/// server keeps one [`Caches`] per project across edits). `now` (seconds since the epoch,
/// UTC) enables the migration rules that depend on the time. Returns the diagnostics and the
/// migration model the migration rules read.
pub fn check_with(
    p: &Project,
    caches: &Caches,
    now: Option<i64>,
) -> (FileDiagnostics, Arc<Migrations>) {
    let suggestions = &caches.suggestions;
    suggestions.reset_unless(p.names_key());
    let mut out = FileDiagnostics::new();
    // The migration model first: some project rules read it (a test reading a materialized
    // pipe in place of a migration's target).
    let migrations = crate::migration::rules::check(
        p,
        now,
        &caches.migration,
        caches.datasources_version,
        &mut out,
    );
    let cx = ProjectCtx {
        p,
        suggestions,
        cycles: &caches.cycles,
        migrations: &migrations,
        columns: crate::columns::Columns::new(p),
        pipe_columns: &caches.pipe_columns,
        datasources_version: caches.datasources_version,
    };
    for rule in RULES {
        if let Check::Project(check) = rule.check {
            check(&cx, &mut out);
        }
    }
    for d in out.values_mut() {
        d.sort_by_key(|d| (d.range.start, d.range.end, d.code));
        d.dedup();
    }
    (out, migrations)
}

pub(crate) fn push(out: &mut FileDiagnostics, path: &str, d: Diagnostic) {
    out.entry(path.to_string()).or_default().push(d);
}

/// Pushes `d`, made at a range of file `path`, where its text is written: for text read from
/// an included `.incl` (`site`), in that file, with the including file's INCLUDE line as a
/// related place (every position of included text maps to that line).
pub(crate) fn push_at(
    out: &mut FileDiagnostics,
    path: &str,
    d: Diagnostic,
    site: Option<&project::model::IncludedSite>,
) {
    match site {
        Some(site) => {
            let at = d.range;
            let d = d
                .with_related(None, at, "read here through INCLUDE")
                .moved_from(path, site.range);
            push(out, &site.path, d);
        }
        None => push(out, path, d),
    }
}

/// Pushes `d`, made at edge `e`'s range, where the reference is written (see [`push_at`]).
fn push_edge(out: &mut FileDiagnostics, e: &project::model::Edge, d: Diagnostic) {
    let site = e.included.as_ref().filter(|_| !e.written_here);
    push_at(out, &e.path, d, site);
}

/// Reports calls found in nodes' SQL: for every node of every resource the CLI reads (whose
/// file the parser accepts), `found` gives the calls to report with their code and message;
/// each is pushed where it is written (a call written in an `.incl` once, whichever pipes
/// include it), with the template branch named when the official rendering skips it.
pub(crate) fn push_node_calls(
    cx: &ProjectCtx,
    out: &mut FileDiagnostics,
    found: impl Fn(&syntax::sql::SqlAnalysis) -> Vec<(&syntax::sql::UnknownCall, &'static str, String)>,
) {
    let p = cx.p;
    let mut seen: std::collections::HashSet<(std::sync::Arc<str>, syntax::text::TextRange)> =
        std::collections::HashSet::new();
    for r in p.resources.iter() {
        if !r.defined_by_file() || !r.seen_by_cli || p.files[r.file].rejected {
            continue;
        }
        for n in r.nodes.iter() {
            let Some(sql) = &n.sql else { continue };
            for (call, code, mut msg) in found(sql) {
                let Some(site) = n.written_at(&r.path, call.range) else {
                    continue;
                };
                if !seen.insert((site.path.clone(), site.range)) {
                    continue;
                }
                if let Some(b) = call.branch.as_ref().filter(|b| !b.taken_by_official) {
                    msg.push_str(&format!(
                        "; in the template branch `{}`, when it renders",
                        b.label
                    ));
                }
                let d = Diagnostic::warning(code, n.file_range(call.range), msg);
                let included = (*site.path != *r.path).then_some(&site);
                push_at(out, &r.path, d, included);
            }
        }
    }
}

/// What a column rule found in a node: the node, the range in its SQL text, the template
/// branch it is written in, the message.
pub(crate) type ColumnFinding<'a> = (
    usize,
    syntax::text::TextRange,
    Option<&'a syntax::sql::template::BranchInfo>,
    String,
);

/// Pushes, for every pipe the CLI reads (whose file the parser accepts), each diagnostic
/// `make` builds from the pipe's column facts ([`ProjectCtx::pipe_columns`]): the node, the
/// read's range in the node's SQL and the message; placed where the read is written (in the
/// `.incl` for included text), with the template branch named when the official rendering
/// skips it.
pub(crate) fn push_column_reads(
    cx: &ProjectCtx,
    out: &mut FileDiagnostics,
    code: &'static str,
    make: impl Fn(&crate::columns::PipeColumns) -> Vec<ColumnFinding<'_>>,
) {
    let p = cx.p;
    for (ri, r) in p.resources.iter_enumerated() {
        if r.kind != project::model::ResourceKind::Pipe
            || !r.defined_by_file()
            || !r.seen_by_cli
            || p.files[r.file].rejected
        {
            continue;
        }
        let facts = cx.pipe_columns(ri);
        for (ni, range, branch, message) in make(&facts) {
            let n = &r.nodes[ni];
            let Some(site) = n.written_at(&r.path, range) else {
                continue;
            };
            let branch = branch
                .filter(|b| !b.taken_by_official)
                .map(|b| format!(", in the template branch `{}`", b.label))
                .unwrap_or_default();
            let d = Diagnostic::warning(code, n.file_range(range), format!("{message}{branch}"));
            let included = (*site.path != *r.path).then_some(&site);
            push_at(out, &r.path, d, included);
        }
    }
}

/// Memoised "did you mean" over every resource name of a project: comparing one unknown name
/// with thousands of resources is the costliest step of the rules, and the answers stay valid
/// until the set of names changes.
#[derive(Default)]
pub struct Suggestions {
    key: Mutex<u64>,
    memo: Mutex<HashMap<String, Option<String>>>,
}

impl Suggestions {
    fn reset_unless(&self, key: u64) {
        let mut k = self.key.lock().unwrap_or_else(|e| e.into_inner());
        if *k != key {
            *k = key;
            self.memo.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
    }

    /// The resource name closest to `name`, if close enough.
    fn resource_like(&self, p: &Project, name: &str) -> Option<String> {
        let mut memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = memo.get(name) {
            return s.clone();
        }
        let s = did_you_mean(name, p.resources.iter().map(|r| r.name.as_str())).map(str::to_string);
        memo.insert(name.to_string(), s.clone());
        s
    }
}

/// The closest candidate to `name` (for "did you mean"), if it is close enough.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    best_match(name, candidates).map(|(_, c)| c)
}

/// The candidate most similar to `name` (Jaro-Winkler ≥ 0.85) and its score.
fn best_match<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<(f64, &'a str)> {
    candidates
        .filter(|c| *c != name)
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(s, _)| *s >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
}
