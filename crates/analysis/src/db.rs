//! The incremental project database: the texts of one project's files in, the project model and
//! every file's diagnostics out. Each file is parsed and its SQL analysed once per text (and
//! dialect); an edit re-parses that file only (and the files that INCLUDE it), then rebuilds the
//! cheap parts — the graph and the project rules — from the cached per-file results.
//!
//! Pure: the caller supplies the texts and a loader for INCLUDE files. `check` and the language
//! server both go through here, so the command line and the editor always agree.

use crate::migration::Migrations;
use crate::rules;
use project::model::{Project, SourceFile};
use project::scripts;
use project::{
    content_signals, decide_dialect, is_datafile, path_signals, seen_by_cli, test_files,
    DialectGuess, DialectSignal,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use syntax::diagnostics::Diagnostic;
use syntax::text::TextRange;
use syntax::{self, Dialect, FileKind};

/// Files larger than this are not analysed (one diagnostic says so): no datafile comes near it,
/// and it keeps memory and latency bounded whatever is opened.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;

/// Loads a file by the path the datafile names it with (INCLUDE), `None` when it cannot.
pub type Loader<'a> = &'a dyn Fn(&str) -> Option<String>;

/// One datafile after parsing.
pub struct ParsedFile {
    pub source: Arc<SourceFile>,
    /// Datafile diagnostics (syntax, SQL syntax, placement).
    pub diagnostics: Vec<Diagnostic>,
    /// The files it INCLUDEs, by the path given to the loader.
    pub includes: Vec<String>,
}

struct FileEntry {
    text: Arc<str>,
    signals: Vec<DialectSignal>,
    /// For the dialect in `ProjectDb::parsed_dialect`; `None` when the text changed since.
    parsed: Option<Arc<ParsedFile>>,
}

/// The result of analysing a project.
pub struct Analysis {
    pub dialect: DialectGuess,
    pub project: Project,
    /// The files of the project that have diagnostics (sorted by position); a file not listed
    /// has none.
    pub diagnostics: BTreeMap<String, Vec<Diagnostic>>,
    /// Every writer and the migrations among them, as the migration rules read them: code
    /// actions, hovers and lenses share this snapshot instead of rebuilding it.
    pub migrations: Arc<Migrations>,
    /// The files whose diagnostics or text may differ from the previous analysis of this
    /// database (`None`: any file may; the first analysis, or after a rebuild). What a
    /// publisher needs to look at again.
    pub changed: Option<BTreeSet<String>>,
    /// What deploying the files does to the base version, when the database has one
    /// ([`ProjectDb::set_base`]).
    pub plan: Option<Arc<crate::deploy::Plan>>,
    /// The configuration's ignores (indexes into `Config::ignores`) that took a diagnostic
    /// away, when this analysis looked at every file (the first one of a database): what
    /// `check` needs to say which ignores are stale.
    pub ignores_used: Option<BTreeSet<usize>>,
}

pub struct ProjectDb {
    /// The project root as the loader understands it (to resolve INCLUDE paths).
    root: String,
    dialect_override: Option<Dialect>,
    datafiles: BTreeMap<String, FileEntry>,
    tests: BTreeMap<String, Arc<str>>,
    /// Shell scripts (deployments), by path.
    scripts: BTreeMap<String, Arc<str>>,
    /// Every other path that is evidence of a dialect (`.tinyenv`, `tinybird.json`, ...).
    other_signals: BTreeMap<String, Vec<DialectSignal>>,
    secrets: HashSet<String>,
    /// The dialect the cached parses were made with.
    parsed_dialect: Option<Dialect>,
    /// Loader path of an included file → the files that include it (may hold stale entries:
    /// they only cost a needless re-parse).
    included_by: HashMap<String, HashSet<String>>,
    /// What the rules keep between analyses ("did you mean" answers, migration rules per pipe).
    caches: rules::Caches,
    /// "Now" for the migration rules that depend on the time (seconds since the epoch, UTC).
    now: Option<i64>,
    /// The last analysis, updated in place after edits that leave the project's structure as
    /// it was.
    last: Option<Analysis>,
    /// Files were added or removed, tests changed or everything was re-parsed since `last`:
    /// the next analysis rebuilds the project model.
    structure_changed: bool,
    /// The datafile diagnostics (syntax, placement) of the files that have some, kept up to
    /// date as files are parsed and removed.
    parse_diagnostics: BTreeMap<String, Vec<Diagnostic>>,
    /// Files whose text was set or that were removed since the last analysis.
    touched: BTreeSet<String>,
    /// The files the rules reported something on in the last analysis.
    rule_paths: BTreeSet<String>,
    /// The dialect the files' signals give, until a signal changes.
    detected: std::sync::OnceLock<DialectGuess>,
    /// Datafiles whose text changed since they were parsed (`parsed` is `None`).
    unparsed: BTreeSet<String>,
    /// Files that could not be read (a FIFO, a device, a file removed or too large meanwhile),
    /// with the reason: each gets one diagnostic and is otherwise empty.
    unreadable: HashMap<String, String>,
    /// The project configuration's rule levels and ignores.
    config: Option<Arc<crate::config::Config>>,
    /// The deployed version the deploy rules and the plan compare with.
    base: Option<Arc<crate::deploy::Base>>,
}

impl ProjectDb {
    /// `root`: the project folder, as the loader understands paths.
    pub fn new(root: impl Into<String>, dialect_override: Option<Dialect>) -> ProjectDb {
        ProjectDb {
            root: root.into(),
            dialect_override,
            datafiles: BTreeMap::new(),
            tests: BTreeMap::new(),
            scripts: BTreeMap::new(),
            other_signals: BTreeMap::new(),
            secrets: HashSet::new(),
            parsed_dialect: None,
            included_by: HashMap::new(),
            caches: Default::default(),
            now: None,
            last: None,
            structure_changed: true,
            unreadable: HashMap::new(),
            parse_diagnostics: BTreeMap::new(),
            touched: BTreeSet::new(),
            rule_paths: BTreeSet::new(),
            detected: std::sync::OnceLock::new(),
            unparsed: BTreeSet::new(),
            config: None,
            base: None,
        }
    }

    /// The deployed version to compare with (a git base): the next analysis has a plan and
    /// runs the deploy rules; `None` leaves them out.
    pub fn set_base(&mut self, base: Option<Arc<crate::deploy::Base>>) {
        let same = match (&self.base, &base) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        if !same {
            self.base = base;
            // Every file may have other deploy diagnostics: recompute them all.
            self.last = None;
            self.structure_changed = true;
        }
    }

    /// The base set by [`ProjectDb::set_base`].
    pub fn base(&self) -> Option<&Arc<crate::deploy::Base>> {
        self.base.as_ref()
    }

    /// A file of the project that could not be read: it is kept, empty, with a diagnostic
    /// saying why (one file's problem never costs the project).
    pub fn set_unreadable(&mut self, rel: &str, reason: String) {
        self.unreadable.insert(rel.to_string(), reason);
        self.set_file(rel, Arc::from(""));
    }

    pub fn root(&self) -> &str {
        &self.root
    }

    /// Whether a path (relative to the root) is something the project reads.
    pub fn is_relevant(rel: &str) -> bool {
        Self::needs_text(rel) || !path_signals(rel).is_empty()
    }

    /// Whether the project reads the file's text (not only its presence).
    pub fn needs_text(rel: &str) -> bool {
        is_datafile(rel) || test_files::is_test_file(rel) || scripts::is_script(rel)
    }

    /// Sets a file's text (relative path, `/`-separated). Datafiles, test files and files that
    /// tell the dialect are kept; anything else is ignored. Returns whether it was kept.
    pub fn set_file(&mut self, rel: &str, text: Arc<str>) -> bool {
        if is_datafile(rel) {
            if let Some(e) = self.datafiles.get(rel) {
                if e.text == text {
                    return true;
                }
            }
            self.touched.insert(rel.to_string());
            self.unparsed.insert(rel.to_string());
            let signals = [path_signals(rel), content_signals(rel, &text)].concat();
            if self.datafiles.get(rel).is_none_or(|e| e.signals != signals) {
                self.detected = std::sync::OnceLock::new();
            }
            self.structure_changed |= !self.datafiles.contains_key(rel);
            self.datafiles.insert(
                rel.to_string(),
                FileEntry {
                    text,
                    signals,
                    parsed: None,
                },
            );
            self.invalidate_includers(rel);
            true
        } else if scripts::is_script(rel) {
            if self.scripts.get(rel) != Some(&text) {
                self.touched.insert(rel.to_string());
                self.scripts.insert(rel.to_string(), text);
            }
            true
        } else if test_files::is_test_file(rel) {
            if self.tests.get(rel) != Some(&text) {
                self.touched.insert(rel.to_string());
                self.tests.insert(rel.to_string(), text);
                self.structure_changed = true;
            }
            true
        } else {
            let signals = path_signals(rel);
            if signals.is_empty() {
                return false;
            }
            if self.other_signals.get(rel) != Some(&signals) {
                self.detected = std::sync::OnceLock::new();
                self.other_signals.insert(rel.to_string(), signals);
            }
            true
        }
    }

    /// Forgets a file. Returns whether the project had it.
    pub fn remove_file(&mut self, rel: &str) -> bool {
        self.parse_diagnostics.remove(rel);
        self.unparsed.remove(rel);
        self.detected = std::sync::OnceLock::new();
        let had = self.datafiles.remove(rel).is_some()
            | self.tests.remove(rel).is_some()
            | self.scripts.remove(rel).is_some()
            | self.other_signals.remove(rel).is_some();
        if had {
            self.touched.insert(rel.to_string());
            self.invalidate_includers(rel);
            self.structure_changed = true;
        }
        had
    }

    pub fn contains(&self, rel: &str) -> bool {
        self.datafiles.contains_key(rel)
            || self.tests.contains_key(rel)
            || self.scripts.contains_key(rel)
    }

    pub fn text(&self, rel: &str) -> Option<Arc<str>> {
        self.datafiles
            .get(rel)
            .map(|e| e.text.clone())
            .or_else(|| self.tests.get(rel).cloned())
            .or_else(|| self.scripts.get(rel).cloned())
    }

    /// Every datafile and test file path.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.datafiles
            .keys()
            .chain(self.tests.keys())
            .chain(self.scripts.keys())
            .map(String::as_str)
    }

    pub fn file_count(&self) -> usize {
        self.datafiles.len() + self.tests.len() + self.scripts.len()
    }

    /// Secrets defined locally (`.env.local` names), for Forward `tb_secret` checks.
    pub fn set_secrets(&mut self, secrets: HashSet<String>) {
        if secrets != self.secrets {
            self.secrets = secrets;
            self.invalidate_all();
        }
    }

    /// Sets "now" (seconds since the epoch, UTC) for the time-dependent migration rules;
    /// `None` leaves them out.
    pub fn set_now(&mut self, now: Option<i64>) {
        self.now = now;
    }

    pub fn set_dialect_override(&mut self, dialect: Option<Dialect>) {
        if dialect != self.dialect_override {
            self.dialect_override = dialect;
        }
    }

    /// The project configuration (`tinybird-lsp.toml`, with the editor's rule levels laid over
    /// it by the server): its rule levels and ignores apply to every file's diagnostics.
    pub fn set_config(&mut self, config: Option<Arc<crate::config::Config>>) {
        let same = match (&self.config, &config) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        if !same {
            self.config = config;
            // Every file's diagnostics are composed again.
            self.touched.extend(self.datafiles.keys().cloned());
            self.touched.extend(self.tests.keys().cloned());
        }
    }

    /// Re-parse every file on the next analysis.
    pub fn invalidate_all(&mut self) {
        for (rel, e) in self.datafiles.iter_mut() {
            e.parsed = None;
            self.unparsed.insert(rel.clone());
        }
        self.structure_changed = true;
    }

    /// Re-parse the files that include `path` (relative to the root, or a loader path).
    pub fn invalidate_includers(&mut self, path: &str) {
        let abs = self.loader_path(path);
        let mut todo: Vec<String> = [abs.as_str(), path]
            .iter()
            .filter_map(|p| self.included_by.get(*p))
            .flatten()
            .cloned()
            .collect();
        let mut seen = HashSet::new();
        while let Some(rel) = todo.pop() {
            if !seen.insert(rel.clone()) {
                continue;
            }
            if let Some(e) = self.datafiles.get_mut(&rel) {
                e.parsed = None;
                self.unparsed.insert(rel.clone());
            }
            // A file included by an included file: its includers change too.
            if let Some(more) = self.included_by.get(&self.loader_path(&rel)) {
                todo.extend(more.iter().cloned());
            }
        }
    }

    /// Whether any file of the project includes the file at `loader_path`.
    pub fn includes(&self, loader_path: &str) -> bool {
        self.included_by
            .get(loader_path)
            .is_some_and(|s| s.iter().any(|rel| self.datafiles.contains_key(rel)))
    }

    fn loader_path(&self, rel: &str) -> String {
        if self.root.is_empty() {
            rel.to_string()
        } else {
            format!("{}/{rel}", self.root.trim_end_matches('/'))
        }
    }

    pub fn dialect(&self) -> DialectGuess {
        match self.dialect_override {
            Some(d) => DialectGuess {
                dialect: d,
                reason: "set in the configuration".into(),
            },
            None => self
                .detected
                .get_or_init(|| {
                    let mut all: Vec<&DialectSignal> = self
                        .datafiles
                        .values()
                        .flat_map(|e| &e.signals)
                        .chain(self.other_signals.values().flatten())
                        .collect();
                    all.sort_by_key(|s| s.dialect == Dialect::Forward);
                    decide_dialect(all.into_iter())
                })
                .clone(),
        }
    }

    /// Parses what changed and analyses the whole project. After edits that keep the
    /// project's structure (no file added or removed, each edited file still defining the same
    /// resource), the model is updated in place rather than rebuilt.
    pub fn analyze(&mut self, loader: Loader) -> &Analysis {
        let dialect = self.dialect();
        if self.parsed_dialect != Some(dialect.dialect) {
            self.invalidate_all();
            self.parsed_dialect = Some(dialect.dialect);
        }
        let stale: Vec<String> = std::mem::take(&mut self.unparsed)
            .into_iter()
            .filter(|p| self.datafiles.get(p).is_some_and(|e| e.parsed.is_none()))
            .collect();
        for rel in &stale {
            let text = self.datafiles[rel].text.clone();
            let parsed = self.parse_file(rel, &text, dialect.dialect, loader);
            for inc in &parsed.includes {
                self.included_by
                    .entry(inc.clone())
                    .or_default()
                    .insert(rel.clone());
            }
            if let Some(e) = self.datafiles.get_mut(rel) {
                if parsed.diagnostics.is_empty() {
                    self.parse_diagnostics.remove(rel);
                } else {
                    self.parse_diagnostics
                        .insert(rel.clone(), parsed.diagnostics.clone());
                }
                e.parsed = Some(Arc::new(parsed));
            }
        }
        let previous_diagnostics = self
            .last
            .as_mut()
            .map(|a| std::mem::take(&mut a.diagnostics));
        let mut project = match self.last.take() {
            Some(last) if !self.structure_changed => {
                let mut project = last.project;
                let updated = stale.iter().all(|rel| {
                    let fi = project.file_id(rel);
                    let new = self.datafiles[rel]
                        .parsed
                        .as_ref()
                        .map(|p| p.source.clone());
                    match (fi, new) {
                        (Some(fi), Some(new)) => project.replace_file(fi, new),
                        _ => false,
                    }
                });
                updated.then_some(project)
            }
            _ => None,
        };
        if project.is_none() {
            // Resource indexes may move: results kept per resource are void.
            self.caches.datasources_version += 1;
            let sources = self
                .datafiles
                .values()
                .filter_map(|e| Some(e.parsed.as_ref()?.source.clone()))
                .collect();
            let tests: Vec<(String, Arc<str>)> = self
                .tests
                .iter()
                .map(|(p, t)| (p.clone(), t.clone()))
                .collect();
            project = Some(Project::build(dialect.dialect, sources, &tests));
        }
        let mut project = project.unwrap_or_else(|| Project::build(dialect.dialect, vec![], &[]));
        project.scripts = self
            .scripts
            .iter()
            .map(|(p, t)| scripts::read(p, t))
            .collect();
        self.structure_changed = false;
        let (mut found, migrations) = rules::check_with(&project, &self.caches, self.now);
        let plan = self.base.as_ref().map(|base| {
            let plan = crate::deploy::plan(base, &project, &migrations);
            let datafiles = &self.datafiles;
            let text = |p: &str| datafiles.get(p).map(|e| e.text.clone());
            let cx = crate::deploy::rules::Ctx {
                base,
                head: &project,
                migrations: &migrations,
                plan: &plan,
                text: &text,
                now: self.now,
            };
            crate::deploy::rules::check(&cx, &mut found);
            for d in found.values_mut() {
                d.sort_by_key(|d| (d.range.start, d.range.end, d.code));
            }
            Arc::new(plan)
        });
        self.drop_unsound_fixes(&project, &mut found);
        let rule_paths: BTreeSet<String> = found.keys().cloned().collect();
        // A file's diagnostics: its datafile diagnostics, then the rules', by position.
        // Then the inline ignores of its SQL (`-- tinybird-lsp: ignore[code]`) apply.
        // Then the configuration's levels and ignores.
        let datafiles = &self.datafiles;
        let config = self.config.clone();
        let mut used = BTreeSet::new();
        let from_scratch = previous_diagnostics.is_none();
        let mut of = |path: &str, parse: &BTreeMap<String, Vec<Diagnostic>>| {
            let mut list = parse.get(path).cloned().unwrap_or_default();
            if let Some(more) = found.remove(path) {
                list.extend(more);
                list.sort_by_key(|d| (d.range.start, d.range.end));
            }
            if let Some(e) = datafiles.get(path) {
                list = crate::suppress::apply(&e.text, list);
            }
            match &config {
                Some(c) => c.apply_noting(path, list, &mut used),
                None => list,
            }
        };
        let mut touched = std::mem::take(&mut self.touched);
        touched.extend(stale.iter().cloned());
        let (diagnostics, changed) = match previous_diagnostics {
            // From scratch: every file with datafile or rule diagnostics.
            None => {
                // (and every file with an inline ignore: one may suppress nothing)
                let with_ignores = self
                    .datafiles
                    .iter()
                    .filter(|(_, e)| crate::suppress::has_ignores(&e.text))
                    .map(|(p, _)| p);
                let paths: BTreeSet<&String> = self
                    .parse_diagnostics
                    .keys()
                    .chain(&rule_paths)
                    .chain(with_ignores)
                    .collect();
                let diagnostics = paths
                    .into_iter()
                    .map(|path| (path.clone(), of(path, &self.parse_diagnostics)))
                    .filter(|(_, list)| !list.is_empty())
                    .collect();
                (diagnostics, None)
            }
            // Only the files re-read, or with rule diagnostics now or the last time, can have
            // other diagnostics: the others keep theirs.
            Some(mut diagnostics) => {
                let recompute: BTreeSet<String> = touched
                    .iter()
                    .chain(&self.rule_paths)
                    .chain(&rule_paths)
                    .cloned()
                    .collect();
                let mut changed = touched;
                for path in recompute {
                    let list = of(&path, &self.parse_diagnostics);
                    let same = match diagnostics.get(&path) {
                        Some(old) => *old == list,
                        None => list.is_empty(),
                    };
                    if !same {
                        changed.insert(path.clone());
                    }
                    if list.is_empty() {
                        diagnostics.remove(&path);
                    } else {
                        diagnostics.insert(path, list);
                    }
                }
                (diagnostics, Some(changed))
            }
        };
        self.rule_paths = rule_paths;
        self.last.insert(Analysis {
            dialect,
            project,
            diagnostics,
            migrations,
            changed,
            plan,
            ignores_used: from_scratch.then_some(used),
        })
    }

    /// Drops the quick fixes that would write over text the analysis did not read: a range
    /// outside its file or inside a character, or over an INCLUDE line (every position of
    /// included text maps to that line: the text is in the `.incl`).
    fn drop_unsound_fixes(&self, project: &Project, found: &mut rules::FileDiagnostics) {
        for (path, list) in found.iter_mut() {
            for d in list.iter_mut().filter(|d| !d.fixes.is_empty()) {
                d.fixes.retain(|fix| {
                    fix.edits.iter().all(|e| {
                        let target = e.path.as_deref().unwrap_or(path);
                        let text = match self.datafiles.get(target) {
                            Some(entry) => &entry.text,
                            None => match self.tests.get(target).or(self.scripts.get(target)) {
                                Some(text) => text,
                                None => return false,
                            },
                        };
                        let includes = project
                            .file_id(target)
                            .map_or(&[][..], |fi| &project.files[fi].datafile.includes[..]);
                        edit_is_sound(text, includes, e.range)
                    })
                });
            }
        }
    }

    /// The last analysis, if any.
    pub fn analysis(&self) -> Option<&Analysis> {
        self.last.as_ref()
    }

    /// Takes the last analysis out (the next one rebuilds the model).
    pub fn take_analysis(&mut self) -> Option<Analysis> {
        self.structure_changed = true;
        self.last.take()
    }

    fn parse_file(&self, rel: &str, text: &str, dialect: Dialect, loader: Loader) -> ParsedFile {
        let seen = seen_by_cli(rel, dialect);
        // A file not analysed: empty, with the one diagnostic saying why.
        let skipped = |d: Diagnostic| ParsedFile {
            source: Arc::new(SourceFile::new(
                rel.to_string(),
                syntax::model::Datafile::empty(
                    FileKind::from_path(rel).unwrap_or(FileKind::Pipe),
                    dialect,
                ),
                seen,
            )),
            diagnostics: vec![d],
            includes: Vec::new(),
        };
        if let Some(reason) = self.unreadable.get(rel).filter(|_| text.is_empty()) {
            return skipped(Diagnostic::warning(
                "file-unreadable",
                TextRange::empty(0),
                format!("This file was not read: {reason}"),
            ));
        }
        if text.len() > MAX_FILE_BYTES {
            return skipped(Diagnostic::warning(
                "file-too-large",
                TextRange::empty(0),
                format!(
                    "This file is {} MiB: files over {} MiB are not analysed",
                    text.len() / (1024 * 1024),
                    MAX_FILE_BYTES / (1024 * 1024)
                ),
            ));
        }
        let kind = FileKind::detect(rel, text).unwrap_or(FileKind::Pipe);
        let base_dir = match rel.rsplit_once('/') {
            Some((dir, _)) => self.loader_path(dir),
            None => self.root.clone(),
        };
        let includes = std::cell::RefCell::new(Vec::new());
        let tracking_loader = |p: &str| {
            includes.borrow_mut().push(p.to_string());
            loader(p)
        };
        let secret_defined = |k: &str| self.secrets.contains(k);
        let parsed = syntax::parse(
            text,
            &syntax::ParseOptions {
                dialect,
                kind,
                base_dir: &base_dir,
                loader: Some(&tracking_loader),
                secret_defined: &secret_defined,
                fragment: rel.ends_with(".incl"),
            },
        );
        let mut diagnostics = parsed.diagnostics;
        if !seen && !rel.ends_with(".connection") {
            diagnostics.insert(
                0,
                Diagnostic::info(
                    "outside-project-folders",
                    TextRange::empty(0),
                    match dialect {
                        Dialect::Classic => "The Classic CLI does not read files in this folder (only the project root, datasources/, pipes/ and endpoints/)",
                        Dialect::Forward => "The Forward CLI does not read files more than three folders deep",
                    },
                ),
            );
        }
        let includes = includes.into_inner();
        ParsedFile {
            source: Arc::new({
                let mut f = SourceFile::new(rel.to_string(), parsed.datafile, seen);
                f.replaces = project::model::replaces_marker(text);
                f.check_for = project::model::check_marker(text);
                f.rejected = diagnostics
                    .iter()
                    .any(|d| d.severity == syntax::diagnostics::Severity::Error);
                f
            }),
            diagnostics,
            includes,
        }
    }
}

/// Whether an edit of `range` rewrites only text the analysis read in a file with text `text`
/// and INCLUDE lines `includes`: inside the text, on character boundaries, and touching no
/// INCLUDE line (included text maps there, so an edit there would corrupt the INCLUDE).
pub fn edit_is_sound(text: &str, includes: &[syntax::model::IncludeRef], range: TextRange) -> bool {
    range.fits(text)
        && !includes
            .iter()
            .any(|i| !i.nested && range.start <= i.range.end && i.range.start <= range.end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use syntax::model::{IncludeRef, Value};

    fn include_at(range: TextRange) -> IncludeRef {
        IncludeRef {
            path: Value {
                text: "x.incl".into(),
                range,
            },
            resolved: "x.incl".into(),
            found: true,
            args: Vec::new(),
            range,
            nested: false,
        }
    }

    /// An edit over, or at either end of, an INCLUDE line would corrupt it (`NINCLUDE …`,
    /// `INCLUDE "x.incl"N`); an edit inside a character or past the end cannot be applied.
    #[test]
    fn edits_touching_include_lines_or_outside_the_text_are_unsound() {
        let text = "NODE a\nINCLUDE \"x.incl\"\nSQL >\n    SELECT 'é'\n";
        let line = TextRange::new(7, 23);
        assert_eq!(&text[line.start..line.end], "INCLUDE \"x.incl\"");
        let includes = [include_at(line)];
        assert!(!edit_is_sound(text, &includes, TextRange::empty(7)));
        assert!(!edit_is_sound(text, &includes, TextRange::empty(23)));
        assert!(!edit_is_sound(text, &includes, TextRange::new(10, 12)));
        assert!(edit_is_sound(text, &includes, TextRange::new(0, 4)));
        assert!(edit_is_sound(text, &includes, TextRange::empty(24)));
        let e = text.find('é').unwrap();
        assert!(!edit_is_sound(text, &[], TextRange::new(e + 1, e + 2)));
        assert!(!edit_is_sound(text, &[], TextRange::new(0, text.len() + 1)));
        assert!(edit_is_sound(text, &[], TextRange::new(e, e + 2)));
    }
}
