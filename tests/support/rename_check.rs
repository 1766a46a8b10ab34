//! Renames applied to a project written on disk, and what the project says before and after:
//! shared by the rename tests (tests/ide.rs on the fixtures, tests/rename_corpus.rs on the real
//! corpora). A test crate using it declares `mod common;` and `mod chdb_project;`
//! (tests/support/chdb_project.rs) too.
#![allow(dead_code)]

use analysis::db::Analysis;
use ide::rename::RenameChange;
use project::model::{EdgeKind, Project, ResourceId, ResourceKind, Source, Target};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use syntax::text::TextRange;

/// A project written from texts (relative path → text) into a temporary folder and analysed
/// as `check` does.
pub struct Written {
    pub dir: tempfile::TempDir,
    pub analysis: Analysis,
}

impl Written {
    /// The project folder as the project's paths start with it.
    pub fn root(&self) -> String {
        disk::db_root(self.dir.path())
    }

    /// A path of the project (relative, or resolved against the root) relative to the root.
    pub fn relative(&self, path: &str) -> String {
        relative_to(&self.root(), path)
    }

    /// Errors and warnings as counts per code.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for ds in self.analysis.diagnostics.values() {
            for d in ds {
                if d.severity <= syntax::diagnostics::Severity::Warning {
                    *counts.entry(d.code.to_string()).or_insert(0) += 1;
                }
            }
        }
        counts
    }
}

/// Writes the texts into a new temporary folder and analyses them.
pub fn write(texts: &BTreeMap<String, String>) -> Written {
    let dir = tempfile::tempdir().unwrap();
    for (rel, text) in texts {
        let target = dir.path().join(rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(&target, text).unwrap();
    }
    let all = disk::walk(dir.path());
    let mut db = disk::load_project(dir.path(), &all, &[], None).unwrap();
    db.analyze(&disk::disk_loader);
    let analysis = db.take_analysis().unwrap();
    Written { dir, analysis }
}

/// `path` relative to `root` (`..` and `.` resolved: include paths come joined to folders).
pub fn relative_to(root: &str, path: &str) -> String {
    let prefix = format!("{}/", root.trim_end_matches('/'));
    let mut parts: Vec<&str> = Vec::new();
    for part in path
        .strip_prefix(prefix.as_str())
        .unwrap_or(path)
        .split('/')
    {
        match part {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// The texts after a rename (edits, then file moves), and the files it edited or moved (new
/// paths). Refuses a change an editor could not apply as meant: overlapping edits, an edit of
/// a file that is not in the project or outside the text, a move onto an existing file.
pub fn apply(
    root: &str,
    texts: &BTreeMap<String, String>,
    change: &RenameChange,
) -> Result<(BTreeMap<String, String>, Vec<String>), String> {
    let mut texts = texts.clone();
    let mut by_file: BTreeMap<String, Vec<(TextRange, String)>> = BTreeMap::new();
    for (p, r, t) in &change.edits {
        by_file
            .entry(relative_to(root, p))
            .or_default()
            .push((*r, t.clone()));
    }
    let mut edited = Vec::new();
    for (p, mut edits) in by_file {
        let text = texts
            .get_mut(&p)
            .ok_or_else(|| format!("an edit of {p}, which is not a file of the project"))?;
        edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
        let mut limit = text.len();
        for (r, t) in edits {
            if r.end > limit {
                return Err(format!(
                    "{p}: edit at {}..{} overlaps another or the end",
                    r.start, r.end
                ));
            }
            if !text.is_char_boundary(r.start) || !text.is_char_boundary(r.end) {
                return Err(format!(
                    "{p}: edit at {}..{} splits a character",
                    r.start, r.end
                ));
            }
            text.replace_range(r.start..r.end, &t);
            limit = r.start;
        }
        edited.push(p);
    }
    for (from, to) in &change.file_renames {
        let (from, to) = (relative_to(root, from), relative_to(root, to));
        if texts.contains_key(&to) {
            return Err(format!("moves {from} onto {to}, which exists"));
        }
        let t = texts
            .remove(&from)
            .ok_or_else(|| format!("moves {from}, which is not a file of the project"))?;
        texts.insert(to.clone(), t);
        edited.retain(|e| *e != from);
        edited.push(to);
    }
    Ok((texts, edited))
}

/// The datafiles the official parser must read after editing `edited`: the edited datasources
/// and pipes, and every pipe when an `.incl` was edited (it reads them through the pipes).
pub fn datafiles_to_parse(texts: &BTreeMap<String, String>, edited: &[String]) -> Vec<String> {
    let incl = edited.iter().any(|p| p.ends_with(".incl"));
    texts
        .keys()
        .filter(|p| {
            (edited.contains(p) && p.ends_with(".datasource"))
                || (p.ends_with(".pipe") && (incl || edited.contains(p)))
        })
        .cloned()
        .collect()
}

/// The official parser's verdict (`ok`) for files (absolute paths), by the path as given.
pub fn official_ok(paths: &[String], cli: &str) -> BTreeMap<String, bool> {
    crate::common::tb_oracle(paths, cli)
        .into_iter()
        .map(|v| {
            (
                v["file"].as_str().unwrap_or("").to_string(),
                v[cli]["ok"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

/// [`official_ok`] of files relative to `root`, by relative path.
pub fn official_ok_in(root: &Path, paths: &[String], cli: &str) -> BTreeMap<String, bool> {
    let abs: Vec<String> = paths
        .iter()
        .map(|p| root.join(p).to_string_lossy().to_string())
        .collect();
    let verdicts = official_ok(&abs, cli);
    paths
        .iter()
        .zip(&abs)
        .map(|(p, a)| (p.clone(), verdicts.get(a).copied().unwrap_or(false)))
        .collect()
}

/// The resources node queries of `pipes` need on ClickHouse: those pipes, what they read
/// (pipes and datasources, transitively), and what writes into a needed datasource (a
/// materialized or copy pipe, and what it reads).
fn needed(p: &Project, pipes: &[ResourceId]) -> HashSet<ResourceId> {
    let mut seen: HashSet<ResourceId> = HashSet::new();
    let mut stack: Vec<ResourceId> = pipes.to_vec();
    while let Some(i) = stack.pop() {
        if !seen.insert(i) {
            continue;
        }
        for e in p.edges_from(i) {
            if let Target::Resource(t) = e.target {
                stack.push(t);
            }
        }
        for e in p.edges_into(i).filter(|e| e.kind.writes()) {
            if let Source::Resource(w) = e.from {
                stack.push(w);
            }
        }
    }
    seen
}

/// Statements loading a project into database `db` of a chdb session: the tables and
/// materialized views the nodes of `files` (relative paths) need, then the same pseudo-random
/// rows (fixed seed, positional) in every needed datasource no node writes into; then, per
/// node of those files that can be run (no template), a query of its rows in a stable order.
/// The queries' keys: (pipe path, node name).
fn on_clickhouse(p: &Project, db: &str, files: &[String]) -> (Vec<(String, bool)>, Vec<NodeKey>) {
    let pipes: Vec<ResourceId> = p
        .resources
        .iter_enumerated()
        .filter(|(_, r)| {
            // An edited .incl edits the pipes including it.
            r.kind == ResourceKind::Pipe
                && files.iter().any(|f| **f == *r.path || f.ends_with(".incl"))
        })
        .map(|(i, _)| i)
        .collect();
    // And the pipes reading an edited resource directly: a rename that left a reader behind
    // changes its result.
    let edited: Vec<ResourceId> = p
        .resources
        .iter_enumerated()
        .filter(|(_, r)| files.iter().any(|f| **f == *r.path))
        .map(|(i, _)| i)
        .collect();
    let mut pipes = pipes;
    for &i in &edited {
        for e in p.edges_into(i).filter(|e| e.kind == EdgeKind::Reads) {
            if let Source::Resource(reader) = e.from {
                if !pipes.contains(&reader) {
                    pipes.push(reader);
                }
            }
        }
    }
    let needed = needed(p, &pipes);
    let mut statements = vec![
        (format!("CREATE DATABASE `{db}`"), false),
        (format!("USE `{db}`"), false),
    ];
    let datasources: Vec<ResourceId> = p
        .resources
        .iter_enumerated()
        .filter(|(i, r)| r.kind == ResourceKind::Datasource && needed.contains(i))
        .map(|(i, _)| i)
        .collect();
    // Without TTLs: they drop rows at merges, whenever those happen.
    for &ds in &datasources {
        if let Some(s) = crate::chdb_project::create_table(p, ds) {
            let s = s.find(" TTL ").map_or(s.clone(), |at| s[..at].to_string());
            statements.push((s, false));
        }
    }
    for e in p
        .edges
        .iter()
        .filter(|e| e.kind == EdgeKind::MaterializesInto)
    {
        let (Source::Resource(pipe), Target::Resource(to)) = (&e.from, &e.target) else {
            continue;
        };
        let (pipe, to) = (*pipe, *to);
        if !needed.contains(&to) {
            continue;
        }
        let Some(ni) = p.resources[pipe]
            .nodes
            .iter()
            .position(|n| Some(n.name.as_str()) == e.from_node.as_deref())
        else {
            continue;
        };
        if let Some(sql) = crate::chdb_project::expand(p, pipe, ni, 0) {
            statements.push((
                format!(
                    "CREATE MATERIALIZED VIEW `{}__{}` TO `{}` AS {sql}",
                    p.resources[pipe].name, p.resources[pipe].nodes[ni].name, e.to
                ),
                false,
            ));
        }
    }
    for &i in &datasources {
        if p.edges_into(i).any(|e| e.kind.writes()) {
            continue;
        }
        let cols = analysis::migration::columns(p, i);
        if cols.is_empty() || cols.iter().any(|c| c.materialized.is_some()) {
            continue;
        }
        let structure: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(k, c)| format!("x{k} {}", c.ty))
            .collect();
        statements.push((
            format!(
                "INSERT INTO `{}` SELECT * FROM generateRandom('{}', 7, 12, 3) LIMIT 60",
                p.resources[i].name,
                structure.join(", ")
            ),
            false,
        ));
    }
    let mut keys = Vec::new();
    for &pi in &pipes {
        let r = &p.resources[pi];
        for (ni, n) in r.nodes.iter().enumerate() {
            if let Some(sql) =
                crate::chdb_project::expand(p, pi, ni, 0).filter(|s| deterministic(s))
            {
                statements.push((format!("SELECT * FROM ({sql}) ORDER BY ALL"), true));
                keys.push((r.path.to_string(), n.name.clone()));
            }
        }
    }
    (statements, keys)
}

/// Whether a query's rows are the same every time it runs on the same data (sorted): no clock,
/// no randomness, no aggregate or LIMIT whose pick or order depends on how rows arrive.
fn deterministic(sql: &str) -> bool {
    let lower = sql.to_ascii_lowercase();
    ![
        "now(",
        "now64(",
        "today(",
        "yesterday(",
        "rand",
        "generateuuid",
        "any(",
        "anyif(",
        "anylast",
        "anyheavy",
        "grouparray",
        "groupuniqarray",
        "topk",
        "limit",
        "argmin",
        "argmax",
        "first_value",
        "last_value",
        "row_number",
        "uniq",
        "quantile",
        "median",
        "sample",
        "groupconcat",
        "summap",
    ]
    .iter()
    .any(|f| lower.contains(f))
}

/// A node as (pipe path, node name).
type NodeKey = (String, String);

/// A rename on ClickHouse: what it is, the nodes queried before and the index of the first
/// query, the same after.
type Run = (String, Vec<NodeKey>, usize, Vec<NodeKey>, usize);

/// Renames to run on ClickHouse: each project before and after, compared node by node.
#[derive(Default)]
pub struct SameRows {
    statements: Vec<(String, bool)>,
    /// (what, node keys before, first query before, node keys after, first query after)
    runs: Vec<Run>,
}

impl SameRows {
    /// Adds a rename (`what` names it in failures): the project before and after it.
    /// `edited`: the files the rename edits (relative paths, as after it); their nodes are
    /// compared.
    pub fn add(&mut self, what: String, before: &Project, after: &Project, edited: &[String]) {
        let k = self.runs.len();
        let (b, bk) = on_clickhouse(before, &format!("r{k}_before"), edited);
        if bk.is_empty() {
            return; // nothing of it runs on ClickHouse (templates, clocks)
        }
        let b_start = self.statements.len() + b.iter().take_while(|s| !s.1).count();
        self.statements.extend(b);
        let (a, ak) = on_clickhouse(after, &format!("r{k}_after"), edited);
        let a_start = self.statements.len() + a.iter().take_while(|s| !s.1).count();
        self.statements.extend(a);
        self.runs.push((what, bk, b_start, ak, a_start));
    }

    pub fn renames(&self) -> usize {
        self.runs.len()
    }

    /// Runs everything in one chdb session: the number of non-empty node results compared,
    /// and the differences (a node that ran before and fails, or gives other rows, after).
    pub fn check(self) -> (usize, Vec<String>) {
        let outcomes = crate::chdb_project::run(&self.statements);
        let mut failures = Vec::new();
        let mut compared = 0;
        for (what, bk, b_start, ak, a_start) in &self.runs {
            for (j, key) in bk.iter().enumerate() {
                let before = &outcomes[b_start + j];
                if !before.ok {
                    continue;
                }
                let Some(aj) = ak.iter().position(|k| k == key) else {
                    failures.push(format!("{what}: node {key:?} no longer runs"));
                    continue;
                };
                let after = &outcomes[a_start + aj];
                compared += usize::from(!before.rows.is_empty());
                if !after.ok {
                    failures.push(format!("{what}: node {key:?} fails after: {}", after.error));
                } else if after.rows != before.rows {
                    failures.push(format!(
                        "{what}: node {key:?} gives other rows ({} before, {} after)",
                        before.rows.len(),
                        after.rows.len()
                    ));
                }
            }
        }
        (compared, failures)
    }
}
