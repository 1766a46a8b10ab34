//! Migration safety rules, one file per rule (docs/rules/<code>.md explains each). They read
//! the [`Migrations`] model of a project; "now" is given by the caller (the clock, or a fixed
//! instant in tests and from the settings).

#[macro_use]
mod examples;

pub(crate) mod aggregate_state_read;
pub(crate) mod any_default_masks;
pub(crate) mod backfill_source_retention;
pub use backfill_source_retention::{keeps_less, retention, ttl_seconds};
pub(crate) mod backfill_timing;
pub(crate) mod between_window;
pub(crate) mod boundary_mismatch;
pub(crate) mod copy_replace_live_target;
pub(crate) mod event_time_cutoff;
pub(crate) mod invalid_date_literal;
pub(crate) mod leftovers;
pub(crate) mod materialized_backfill;
pub(crate) mod missing_backfill;
pub(crate) mod missing_cutoff;
pub(crate) mod quality_test;
pub(crate) mod quality_test_merges;
pub(crate) mod schema_mismatch;
pub(crate) mod script_data_derived_cutoff;
pub(crate) mod script_destructive_deploy;
pub(crate) mod script_populate_without_wait;
pub(crate) mod script_rerun_after_delete;
pub(crate) mod script_truncate_shared_target;
pub(crate) mod sorting_key_group_by;
pub(crate) mod unrepointed_dependent;

use super::{Migrations, Writer};
use crate::registry::{Check, RULES};
pub(crate) use crate::rules::push_at;
use crate::rules::FileDiagnostics;
use project::model::{IncludedSite, Project, ResourceId, ResourceKind, SourceFile, Target};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use syntax::diagnostics::{Diagnostic, TextEdit};
use syntax::sql::facts::RefContext;
use syntax::text::TextRange;

/// What the rules read.
pub struct Ctx<'a> {
    pub p: &'a Project,
    pub m: &'a Migrations,
    /// Seconds since the epoch (UTC); `None` skips the rules that depend on the time.
    pub now: Option<i64>,
    /// For the rules local to a pipe: the one pipe to check (`None`: all).
    pub scope: Option<ResourceId>,
}

impl<'a> Ctx<'a> {
    /// The writers the local rules look at: the scoped pipe's, or all.
    fn scoped_writers(&self) -> Box<dyn Iterator<Item = &'a Writer> + 'a> {
        let m = self.m;
        match self.scope {
            Some(pipe) => Box::new(
                m.by_pipe
                    .get(&pipe)
                    .into_iter()
                    .flatten()
                    .map(move |&i| &*m.writers[i]),
            ),
            None => Box::new(m.writers.iter().map(|w| &**w)),
        }
    }
    /// The resources the local rules look at.
    fn scoped_resources(&self) -> Vec<ResourceId> {
        match self.scope {
            Some(r) => vec![r],
            None => self.p.resources.ids().collect(),
        }
    }
    /// `pipe.node` of a writer, for messages.
    fn name(&self, w: &Writer) -> String {
        let r = &self.p.resources[w.pipe];
        format!("{}.{}", r.name, r.nodes[w.node].name)
    }
    fn ds(&self, i: ResourceId) -> &str {
        &self.p.resources[i].name
    }
}

/// Results of the rules local to one pipe (they read only that pipe and the datasources'
/// schemas), kept across analyses: an edit re-checks only the edited pipe, unless a datasource
/// changed (then everything is re-checked).
#[derive(Default)]
pub struct LocalCache {
    state: Mutex<CacheState>,
}

#[derive(Default)]
struct CacheState {
    datasources_version: u64,
    by_pipe: HashMap<ResourceId, CacheEntry>,
    /// The last model, with the files of every datasource it was built from: an edit that
    /// leaves every writer as it was and no datasource changed reuses it.
    /// The last model, the datasource files and the graph it was built from (pairing reads
    /// who reads a target).
    last: Option<(Arc<Migrations>, Vec<Arc<SourceFile>>, u64)>,
}

struct CacheEntry {
    /// The pipe's file the entry was computed from (kept, so its address is not reused).
    file: Arc<SourceFile>,
    /// The datasources the pipe reads or writes, with the files they were read from.
    deps: Vec<(ResourceId, Arc<SourceFile>)>,
    writers: Vec<Arc<Writer>>,
    diagnostics: Vec<(String, Diagnostic)>,
}

/// Runs every migration rule. `datasources_version` must change whenever the project is rebuilt
/// (resource indexes may move); a pipe's results are kept while neither it nor a datasource it
/// reads or writes changes.
pub fn check(
    p: &Project,
    now: Option<i64>,
    cache: &LocalCache,
    datasources_version: u64,
    out: &mut FileDiagnostics,
) -> Arc<Migrations> {
    let mut state = cache.state.lock().unwrap_or_else(|e| e.into_inner());
    if state.datasources_version != datasources_version {
        state.datasources_version = datasources_version;
        state.by_pipe.clear();
        state.last = None;
    }
    let file_of = |r: ResourceId| &p.files[p.resources[r].file];
    let valid = |state: &CacheState, ri: ResourceId| {
        state.by_pipe.get(&ri).is_some_and(|e| {
            Arc::ptr_eq(&e.file, file_of(ri))
                && e.deps.iter().all(|(t, f)| Arc::ptr_eq(f, file_of(*t)))
        })
    };
    let pipes: Vec<ResourceId> = p
        .resources
        .ids()
        .filter(|&i| p.resources[i].kind == ResourceKind::Pipe)
        .collect();
    let stale: Vec<ResourceId> = pipes
        .iter()
        .copied()
        .filter(|&ri| !valid(&state, ri))
        .collect();
    let fresh = Migrations::writers_of_pipes(p, &stale);
    let datasource_files: Vec<Arc<SourceFile>> = p
        .resources
        .iter()
        .filter(|r| r.kind == ResourceKind::Datasource)
        .map(|r| p.files[r.file].clone())
        .collect();
    // The stale pipes' writers are those of the last model and no datasource changed: the
    // model is the same.
    let unchanged = state.last.as_ref().is_some_and(|(_, files, graph)| {
        *graph == p.graph_key()
            && files.len() == datasource_files.len()
            && files
                .iter()
                .zip(&datasource_files)
                .all(|(a, b)| Arc::ptr_eq(a, b))
            && stale.iter().all(|ri| {
                let old = state
                    .by_pipe
                    .get(ri)
                    .map_or(&[][..], |e| e.writers.as_slice());
                let new: Vec<&Arc<Writer>> = fresh.iter().filter(|w| w.pipe == *ri).collect();
                old.len() == new.len() && old.iter().zip(new).all(|(a, b)| a == b)
            })
    });
    let m = match &state.last {
        Some((m, _, _)) if unchanged => m.clone(),
        _ => {
            let mut writers: Vec<Arc<Writer>> = pipes
                .iter()
                .filter(|&&ri| valid(&state, ri))
                .flat_map(|ri| state.by_pipe[ri].writers.iter().cloned())
                .collect();
            writers.extend(fresh);
            Arc::new(Migrations::from_writers(p, writers))
        }
    };
    state.last = Some((m.clone(), datasource_files, p.graph_key()));
    // The local rules, for the stale pipes only.
    for &ri in &stale {
        let cx = Ctx {
            p,
            m: &m,
            now,
            scope: Some(ri),
        };
        let mut local = FileDiagnostics::new();
        for rule in RULES {
            if let Check::Pipe(check) = rule.check {
                check(&cx, &mut local);
            }
        }
        state.by_pipe.insert(
            ri,
            CacheEntry {
                file: file_of(ri).clone(),
                deps: datasources_read_or_written(p, &m, ri)
                    .into_iter()
                    .map(|t| (t, file_of(t).clone()))
                    .collect(),
                writers: m.writers.iter().filter(|w| w.pipe == ri).cloned().collect(),
                diagnostics: local
                    .into_iter()
                    .flat_map(|(path, ds)| ds.into_iter().map(move |d| (path.clone(), d)))
                    .collect(),
            },
        );
    }
    for ri in &pipes {
        for (path, d) in &state.by_pipe[ri].diagnostics {
            push(out, path, d.clone());
        }
    }
    drop(state);
    let cx = Ctx {
        p,
        m: &m,
        now,
        scope: None,
    };
    for rule in RULES {
        if let Check::Migration(check) = rule.check {
            check(&cx, out);
        }
    }
    m
}

/// The edits adding `condition` to writer `w`'s WHERE, as a quick fix: in the pipe's file, or
/// in the `.incl` the WHERE is written in when no other file includes it (an edit there
/// would change every pipe including it).
fn condition_fix(cx: &Ctx, w: &Writer, condition: &str) -> Option<Vec<TextEdit>> {
    let path = w.condition_at.as_ref()?.path.clone();
    if let Some(incl) = &path {
        if !only_included_by(cx.p, incl, &w.path) {
            return None;
        }
    }
    Some(
        w.condition_edits(condition)?
            .into_iter()
            .map(|(at, new_text)| TextEdit {
                path: path.as_deref().map(str::to_string),
                range: TextRange::empty(at),
                new_text,
            })
            .collect(),
    )
}

/// Where a fix may edit a comparison or reference: in `path` itself when written there, or
/// where it is written in an `.incl` that only `path` includes. `None` when neither.
fn edit_site(
    p: &Project,
    path: &str,
    range: TextRange,
    written_here: bool,
    included: Option<&IncludedSite>,
) -> Option<(Option<String>, TextRange)> {
    if written_here {
        return Some((None, range));
    }
    let site = included?;
    only_included_by(p, &site.path, path).then(|| (Some(site.path.to_string()), site.range))
}

/// Whether the file at `path` is the only one including `incl`.
fn only_included_by(p: &Project, incl: &str, path: &str) -> bool {
    let mut includers = p.includers(incl);
    includers.next().is_some_and(|f| p.files[f].path == path) && includers.next().is_none()
}

/// The references that still read a complete migration's legacy target from outside the
/// migration ([`super::legacy_readers`]).
fn legacy_dependents<'a>(
    cx: &Ctx<'a>,
    m: &'a super::Migration,
) -> impl Iterator<Item = &'a project::model::Edge> + 'a {
    super::legacy_readers(cx.p, cx.m, m)
}

/// The datasources pipe `ri` reads (first FROM of each node) or writes (its writers'
/// targets): what its local rules depend on besides the pipe itself.
fn datasources_read_or_written(p: &Project, m: &Migrations, ri: ResourceId) -> Vec<ResourceId> {
    let mut out: Vec<ResourceId> = m
        .by_pipe
        .get(&ri)
        .into_iter()
        .flatten()
        .map(|&i| m.writers[i].target)
        .collect();
    for node in p.resources[ri].nodes.iter() {
        let Some(sql) = &node.sql else { continue };
        for t in sql.tables.iter().filter(|t| t.context == RefContext::From) {
            if let Target::Resource(d) = p.resolve(&t.full_name(), Some(ri)) {
                if p.resources[d].kind == ResourceKind::Datasource {
                    out.push(d);
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn push(out: &mut FileDiagnostics, path: &str, d: Diagnostic) {
    out.entry(path.to_string()).or_default().push(d);
}
