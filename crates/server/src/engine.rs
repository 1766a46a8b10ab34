//! The engine: one thread that owns every piece of server state (open documents, projects,
//! settings, what was published) and handles messages one at a time, in the order they were
//! sent. Text synchronisation is ordered by construction: the transport hands each
//! synchronisation notification to this thread's queue synchronously, in wire order
//! ([`super::ordered`]), and nothing else mutates a document. Requests that read state are
//! queued behind the edits that preceded them, so they see those edits.
//!
//! Diagnostics are computed after a debounce delay, project by project, and published only
//! for files whose diagnostics (or open version) changed; a run whose documents changed while
//! it ran is dropped rather than published (never stale).

use super::config::{DiagnosticsMode, Settings};
use super::convert;
use super::documents::Document;
use super::folding;
use super::outbox::{Outbox, Outgoing};
use super::position::PositionEncoding;
use analysis::db::ProjectDb;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower_lsp_server::ls_types::{self as lsp, Uri};
use tree_sitter::Parser;

/// A folder with more files than this is not read whole (a home folder opened by mistake).
const MAX_WALK_FILES: usize = 100_000;

/// What the engine is asked to do.
pub enum Msg {
    Initialize(Box<Negotiated>),
    /// Index the workspace (on `initialized`).
    Initialized,
    Open(lsp::DidOpenTextDocumentParams),
    Change(lsp::DidChangeTextDocumentParams),
    Close(lsp::DidCloseTextDocumentParams),
    Save(lsp::DidSaveTextDocumentParams),
    Watched(lsp::DidChangeWatchedFilesParams),
    Configuration(Value),
    /// `workspace/didChangeWorkspaceFolders`.
    Folders(lsp::WorkspaceFoldersChangeEvent),
    /// Runs on the engine thread after every message queued before it.
    Query(Box<dyn FnOnce(&mut Engine) + Send>),
}

/// What `initialize` settled, computed from its params alone (so the transport layer and the
/// engine agree).
#[derive(Clone, Debug)]
pub struct Negotiated {
    pub encoding: PositionEncoding,
    pub pull: bool,
    pub work_done_progress: bool,
    pub settings: Settings,
    pub setting_problems: Vec<String>,
    pub folders: Vec<PathBuf>,
    pub edit_caps: super::migrate::EditCaps,
}

impl Negotiated {
    pub fn from_params(p: &lsp::InitializeParams) -> Negotiated {
        let caps = &p.capabilities;
        let utf8 = caps
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_ref())
            .is_some_and(|e| e.contains(&lsp::PositionEncodingKind::UTF8));
        let (settings, setting_problems) =
            Settings::from_json(p.initialization_options.as_ref().unwrap_or(&Value::Null));
        let client_pull = caps
            .text_document
            .as_ref()
            .is_some_and(|t| t.diagnostic.is_some());
        let refresh = caps
            .workspace
            .as_ref()
            .and_then(|w| w.diagnostics.as_ref())
            .and_then(|d| d.refresh_support)
            .unwrap_or(false);
        let pull = match settings.diagnostics_mode {
            DiagnosticsMode::Push => false,
            DiagnosticsMode::Pull => client_pull,
            DiagnosticsMode::Auto => client_pull && refresh,
        };
        let mut folders: Vec<PathBuf> = p
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|f| f.uri.to_file_path().map(|p| p.into_owned()))
            .collect();
        #[allow(deprecated)]
        if folders.is_empty() {
            if let Some(root) = p.root_uri.as_ref().and_then(|u| u.to_file_path()) {
                folders.push(root.into_owned());
            }
        }
        Negotiated {
            encoding: if utf8 {
                PositionEncoding::Utf8
            } else {
                PositionEncoding::Utf16
            },
            pull,
            work_done_progress: caps
                .window
                .as_ref()
                .and_then(|w| w.work_done_progress)
                .unwrap_or(false),
            settings,
            setting_problems,
            folders,
            edit_caps: super::migrate::EditCaps::of(caps),
        }
    }
}

/// The engine's queue.
#[derive(Clone)]
pub struct EngineHandle {
    tx: Sender<Msg>,
}

impl EngineHandle {
    pub fn send(&self, msg: Msg) {
        if self.tx.send(msg).is_err() {
            tracing::error!("the engine thread has stopped; message dropped");
        }
    }

    /// Runs `f` on the engine after everything queued so far; `None` if it panicked or the
    /// caller went away.
    pub async fn query<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Engine) -> R + Send + 'static,
    ) -> Option<R> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(Msg::Query(Box::new(move |e| {
            if tx.is_closed() {
                return; // cancelled: the request is gone
            }
            let _ = tx.send(f(e));
        })));
        rx.await.ok()
    }
}

/// Starts the engine thread.
pub fn spawn(out: Outbox) -> EngineHandle {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("tinybird-engine".into())
        .spawn(move || Engine::new(out).run(rx))
        .expect("cannot start the engine thread");
    EngineHandle { tx }
}

struct ProjectSlot {
    root: PathBuf,
    db: ProjectDb,
    dirty: bool,
    /// The files (relative paths) analyses changed since the last publish; `None`: every file
    /// may have (publish looks at all of them).
    unpublished: Option<BTreeSet<String>>,
}

/// What the client was last told about a file.
struct Published {
    root: PathBuf,
    /// What it was computed from: the core diagnostics and the text (unchanged inputs need no
    /// new conversion).
    core: Vec<syntax::diagnostics::Diagnostic>,
    text: Option<Arc<str>>,
    diagnostics: Vec<lsp::Diagnostic>,
    version: Option<i32>,
    /// Bumped whenever the diagnostics change (pull diagnostics' resultId).
    result_id: u64,
}

pub struct Engine {
    out: Outbox,
    parser: Parser,
    negotiated: Option<Negotiated>,
    settings: Settings,
    projects: Vec<ProjectSlot>,
    docs: HashMap<PathBuf, Document>,
    /// The URI the client uses for a path (as it sent it).
    uris: HashMap<PathBuf, Uri>,
    published: HashMap<PathBuf, Published>,
    next_result_id: u64,
    deadline: Option<Instant>,
    /// Messages taken off the queue while checking whether a run went stale.
    pending: std::collections::VecDeque<Msg>,
    shutting_down: bool,
    /// Scripts a migration action created, to make executable once they exist on disk.
    pending_executable: std::collections::HashSet<PathBuf>,
}

impl Engine {
    fn new(out: Outbox) -> Engine {
        let mut parser = Parser::new();
        if let Err(e) = parser.set_language(&syntax::tree::language()) {
            tracing::error!("tree-sitter language: {e}");
        }
        Engine {
            out,
            parser,
            negotiated: None,
            settings: Settings::default(),
            projects: Vec::new(),
            docs: HashMap::new(),
            uris: HashMap::new(),
            published: HashMap::new(),
            next_result_id: 1,
            deadline: None,
            pending: Default::default(),
            shutting_down: false,
            pending_executable: Default::default(),
        }
    }

    fn run(mut self, rx: Receiver<Msg>) {
        loop {
            let msg = if let Some(m) = self.pending.pop_front() {
                Ok(m)
            } else {
                match self.deadline {
                    Some(d) => rx
                        .recv_timeout(d.saturating_duration_since(Instant::now()))
                        .map_err(|e| e == RecvTimeoutError::Disconnected),
                    None => rx.recv().map_err(|_| true),
                }
            };
            match msg {
                Ok(m) => self.guarded("a message", |e| e.handle(m)),
                Err(true) => return,
                Err(false) => {
                    self.deadline = None;
                    self.guarded("analysis", |e| e.analyze_dirty(Some(&rx)));
                }
            }
        }
    }

    /// Runs `f`, turning a panic into a logged error; the engine carries on (every project is
    /// re-analysed, in case the panic left one half-updated).
    fn guarded(&mut self, what: &str, f: impl FnOnce(&mut Engine)) {
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| f(self))) {
            let msg = panic_message(&p);
            tracing::error!("internal error in {what}: {msg}");
            for s in &mut self.projects {
                s.dirty = true;
            }
            self.schedule();
        }
    }

    fn encoding(&self) -> PositionEncoding {
        self.negotiated
            .as_ref()
            .map_or(PositionEncoding::Utf16, |n| n.encoding)
    }

    fn pull(&self) -> bool {
        self.negotiated.as_ref().is_some_and(|n| n.pull)
    }

    /// "Now" for the migration timing rules: the `migration.now` setting, else the clock.
    fn now(&self) -> Option<i64> {
        self.settings
            .now
            .as_deref()
            .and_then(analysis::migration::instant::parse_datetime)
            .map(|(secs, _, _)| secs)
            .or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()
                    .map(|d| d.as_secs() as i64)
            })
    }

    fn schedule(&mut self) {
        let due = Instant::now() + Duration::from_millis(self.settings.debounce_ms);
        self.deadline = Some(due);
    }

    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Initialize(n) => {
                if self.negotiated.is_none() {
                    self.settings = n.settings.clone();
                    if !n.setting_problems.is_empty() {
                        self.warn_settings(&n.setting_problems);
                    }
                    self.negotiated = Some(*n);
                }
            }
            Msg::Initialized => self.index_workspace(),
            Msg::Query(f) => f(self),
            _ if self.negotiated.is_none() || self.shutting_down => {
                // Before `initialize` the protocol drops notifications.
            }
            Msg::Open(p) => self.open(p),
            Msg::Change(p) => self.change(p),
            Msg::Close(p) => self.close(p),
            Msg::Save(_) => {}
            Msg::Watched(p) => self.watched(p),
            Msg::Configuration(v) => self.configure(&v),
            Msg::Folders(change) => self.change_folders(change),
        }
    }

    pub fn set_shutting_down(&mut self) {
        self.shutting_down = true;
    }

    // ---- documents ------------------------------------------------------------------------

    fn open(&mut self, p: lsp::DidOpenTextDocumentParams) {
        let Some(path) = file_path(&p.text_document.uri) else {
            tracing::info!(
                "not analysing {}: not a file URI",
                p.text_document.uri.as_str()
            );
            return;
        };
        let doc = Document::new(
            p.text_document.text,
            p.text_document.version,
            p.text_document.language_id,
            &mut self.parser,
        );
        let text = doc.shared_text();
        self.uris.insert(path.clone(), p.text_document.uri);
        self.docs.insert(path.clone(), doc);
        self.set_text(&path, text);
    }

    fn change(&mut self, p: lsp::DidChangeTextDocumentParams) {
        let Some(path) = file_path(&p.text_document.uri) else {
            return;
        };
        let enc = self.encoding();
        let Some(doc) = self.docs.get_mut(&path) else {
            tracing::warn!(
                "didChange for {} which is not open: ignored",
                p.text_document.uri.as_str()
            );
            return;
        };
        doc.apply(
            &p.content_changes,
            p.text_document.version,
            enc,
            &mut self.parser,
        );
        let text = doc.shared_text();
        self.set_text(&path, text);
    }

    fn close(&mut self, p: lsp::DidCloseTextDocumentParams) {
        let Some(path) = file_path(&p.text_document.uri) else {
            return;
        };
        if self.docs.remove(&path).is_none() {
            return;
        }
        // Its diagnostics are published again without a version.
        if let Some(i) = self.project_of(&path) {
            let slot = &mut self.projects[i];
            if let (Some(rel), Some(pending)) =
                (relative(&slot.root, &path), slot.unpublished.as_mut())
            {
                pending.insert(rel);
            }
            slot.dirty = true;
        }
        // The file on disk takes over again (or the file is gone).
        match disk::read_text(&path) {
            Ok(text) => self.set_text(&path, Arc::from(text)),
            Err(_) => self.remove_path(&path),
        }
    }

    /// Sets a file's text in its project (creating the project if needed) and schedules
    /// analysis.
    fn set_text(&mut self, path: &Path, text: Arc<str>) {
        let name = path.to_string_lossy();
        if name.ends_with(".env.local") {
            if let Some(i) = self.project_of(path) {
                let root = self.projects[i].root.clone();
                self.projects[i].db.set_secrets(disk::read_env_local(&root));
                self.projects[i].dirty = true;
                self.schedule();
            }
            return;
        }
        // An included file may live outside any project: re-parse whoever includes it.
        let loader_path = disk::db_root(path);
        for s in &mut self.projects {
            if s.db.includes(&loader_path) {
                s.db.invalidate_includers(&loader_path);
                s.dirty = true;
            }
        }
        if let Some(i) = self.project_for_new_file(path) {
            let slot = &mut self.projects[i];
            if let Some(rel) = relative(&slot.root, path) {
                if slot.db.set_file(&rel, text) {
                    slot.dirty = true;
                }
            }
        }
        self.schedule();
    }

    fn remove_path(&mut self, path: &Path) {
        let loader_path = disk::db_root(path);
        for s in &mut self.projects {
            let Some(rel) = relative(&s.root, path) else {
                if s.db.includes(&loader_path) {
                    s.db.invalidate_includers(&loader_path);
                    s.dirty = true;
                }
                continue;
            };
            // A folder: everything below it goes (unless open in the editor).
            let prefix = format!("{rel}/");
            let below: Vec<String> =
                s.db.paths()
                    .filter(|p| *p == rel || p.starts_with(&prefix))
                    .map(str::to_string)
                    .collect();
            for r in below.iter().chain(std::iter::once(&rel)) {
                if !self.docs.contains_key(&s.root.join(r)) && s.db.remove_file(r) {
                    s.dirty = true;
                }
            }
            if rel.ends_with(".env.local") {
                s.db.set_secrets(disk::read_env_local(&s.root));
                s.dirty = true;
            }
        }
        self.schedule();
    }

    // ---- projects -------------------------------------------------------------------------

    /// The project a path belongs to: the one with the longest root above it.
    fn project_of(&self, path: &Path) -> Option<usize> {
        self.projects
            .iter()
            .enumerate()
            .filter(|(_, s)| path.starts_with(&s.root))
            .max_by_key(|(_, s)| s.root.components().count())
            .map(|(i, _)| i)
    }

    /// The project for a file that may be new: its marked root's project, found or created
    /// (walking the root once), else the project of a folder above it, else a project of its
    /// own folder.
    fn project_for_new_file(&mut self, path: &Path) -> Option<usize> {
        // A file a project already has (every keystroke): no filesystem lookups.
        if let Some(i) = self.project_of(path) {
            if relative(&self.projects[i].root, path)
                .is_some_and(|r| self.projects[i].db.contains(&r))
            {
                return Some(i);
            }
        }
        if let Some(root) = disk::marked_root_of_file(path) {
            if let Some(i) = self.projects.iter().position(|s| s.root == root) {
                return Some(i);
            }
            // A project not indexed yet (a file opened from outside the workspace folders,
            // or a project a checkout created): index it now.
            let all = self.walk(&root);
            let db =
                disk::load_project(&root, &all, &[], self.settings.dialect).unwrap_or_else(|e| {
                    tracing::warn!("{e}");
                    ProjectDb::new(disk::db_root(&root), self.settings.dialect)
                });
            self.add_project(root.clone(), db);
            // Open documents in it win over what was read from disk.
            self.apply_open_docs();
            return self.projects.iter().position(|s| s.root == root);
        }
        if let Some(i) = self.project_of(path) {
            return Some(i);
        }
        let dir = path.parent()?.to_path_buf();
        self.add_project(
            dir.clone(),
            ProjectDb::new(disk::db_root(&dir), self.settings.dialect),
        );
        self.projects.iter().position(|s| s.root == dir)
    }

    fn add_project(&mut self, root: PathBuf, db: ProjectDb) {
        tracing::info!(
            "project {} ({} files, {})",
            root.display(),
            db.file_count(),
            db.dialect().reason
        );
        self.projects.push(ProjectSlot {
            root,
            db,
            dirty: true,
            unpublished: None,
        });
    }

    fn apply_open_docs(&mut self) {
        let open: Vec<(usize, String, Arc<str>)> = self
            .docs
            .iter()
            .filter_map(|(path, doc)| {
                let i = self.project_of(path)?;
                let rel = relative(&self.projects[i].root, path)?;
                Some((i, rel, doc.shared_text()))
            })
            .collect();
        for (i, rel, text) in open {
            let s = &mut self.projects[i];
            s.db.set_file(&rel, text);
            s.dirty = true;
        }
    }

    fn change_folders(&mut self, change: lsp::WorkspaceFoldersChangeEvent) {
        let removed: Vec<PathBuf> = change
            .removed
            .iter()
            .filter_map(|f| file_path(&f.uri))
            .collect();
        let added: Vec<PathBuf> = change
            .added
            .iter()
            .filter_map(|f| file_path(&f.uri))
            .collect();
        if let Some(n) = &mut self.negotiated {
            n.folders.retain(|f| !removed.contains(f));
            n.folders.extend(added.iter().cloned());
        }
        // Projects of removed folders go, and their diagnostics are cleared.
        let gone: Vec<PathBuf> = self
            .projects
            .iter()
            .map(|s| s.root.clone())
            .filter(|r| removed.iter().any(|f| r.starts_with(f)))
            .collect();
        if !gone.is_empty() {
            self.projects.retain(|s| !gone.contains(&s.root));
            let cleared: Vec<PathBuf> = self
                .published
                .iter()
                .filter(|(_, p)| gone.contains(&p.root))
                .map(|(path, _)| path.clone())
                .collect();
            for path in cleared {
                self.published.remove(&path);
                if let (Some(uri), false) = (self.uri_of(&path), self.pull()) {
                    self.out.send(Outgoing::Publish {
                        uri,
                        diagnostics: Vec::new(),
                        version: None,
                    });
                }
            }
        }
        if !added.is_empty() {
            self.index_folders(&added, None);
        }
    }

    fn index_workspace(&mut self) {
        let started = Instant::now();
        let progress = self
            .negotiated
            .as_ref()
            .is_some_and(|n| n.work_done_progress)
            .then(|| lsp::ProgressToken::String("tinybird-indexing".into()));
        if let Some(token) = &progress {
            self.out.send(Outgoing::CreateProgress(token.clone()));
        }
        let folders = self
            .negotiated
            .as_ref()
            .map(|n| n.folders.clone())
            .unwrap_or_default();
        let report = |out: &Outbox, value: lsp::WorkDoneProgress| {
            if let Some(token) = &progress {
                out.send(Outgoing::Progress(lsp::ProgressParams {
                    token: token.clone(),
                    value: lsp::ProgressParamsValue::WorkDone(value),
                }));
            }
        };
        report(
            &self.out,
            lsp::WorkDoneProgress::Begin(lsp::WorkDoneProgressBegin {
                title: "Indexing Tinybird projects".into(),
                cancellable: Some(false),
                message: Some(format!("{} workspace folder(s)", folders.len())),
                percentage: Some(0),
            }),
        );
        let files = self.index_folders(&folders, progress.as_ref());
        report(
            &self.out,
            lsp::WorkDoneProgress::End(lsp::WorkDoneProgressEnd {
                message: Some(format!(
                    "{files} files in {} project(s), {} ms",
                    self.projects.len(),
                    started.elapsed().as_millis()
                )),
            }),
        );
        tracing::info!(
            "indexed {files} files in {} project(s) in {} ms",
            self.projects.len(),
            started.elapsed().as_millis()
        );
    }

    /// Lists a folder's files, at most [`MAX_WALK_FILES`] (with a warning beyond).
    fn walk(&self, root: &Path) -> Vec<String> {
        let (files, truncated) = disk::walk_bounded(root, MAX_WALK_FILES);
        if truncated {
            let text = format!(
                "Tinybird: {} holds more than {MAX_WALK_FILES} files; only the first were read. Open the project folder itself.",
                root.display()
            );
            tracing::warn!("{text}");
            self.out.send(Outgoing::Message {
                typ: lsp::MessageType::WARNING,
                text,
                show: true,
            });
        }
        files
    }

    /// Indexes the projects in `folders` (reporting progress with `progress`), then analyses
    /// and publishes. Returns the number of files read.
    fn index_folders(
        &mut self,
        folders: &[PathBuf],
        progress: Option<&lsp::ProgressToken>,
    ) -> usize {
        let mut files = 0;
        for (fi, folder) in folders.iter().enumerate() {
            let all = self.walk(folder);
            let roots = disk::project_roots(folder, &all);
            for r in &roots {
                let root = if r.is_empty() {
                    folder.clone()
                } else {
                    folder.join(r)
                };
                if self.projects.iter().any(|s| s.root == root) {
                    continue;
                }
                let exclude = disk::nested_in(&roots, r);
                let listing = if r.is_empty() {
                    all.clone()
                } else {
                    disk::below(&all, r)
                };
                match disk::load_project(&root, &listing, &exclude, self.settings.dialect) {
                    Ok(db) => {
                        files += db.file_count();
                        self.add_project(root, db);
                    }
                    Err(e) => self.out.send(Outgoing::Message {
                        typ: lsp::MessageType::WARNING,
                        text: format!("Tinybird: {e}"),
                        show: true,
                    }),
                }
            }
            if let Some(token) = progress {
                self.out.send(Outgoing::Progress(lsp::ProgressParams {
                    token: token.clone(),
                    value: lsp::ProgressParamsValue::WorkDone(lsp::WorkDoneProgress::Report(
                        lsp::WorkDoneProgressReport {
                            cancellable: Some(false),
                            message: Some(format!("{files} files read")),
                            percentage: Some((((fi + 1) * 90) / folders.len().max(1)) as u32),
                        },
                    )),
                }));
            }
        }
        self.apply_open_docs();
        self.analyze_dirty(None);
        files
    }

    // ---- watched files and configuration --------------------------------------------------

    fn watched(&mut self, p: lsp::DidChangeWatchedFilesParams) {
        for change in p.changes {
            let Some(path) = file_path(&change.uri) else {
                continue;
            };
            if change.typ != lsp::FileChangeType::DELETED {
                self.make_executable_if_pending(&path);
            }
            if self.docs.contains_key(&path) {
                continue; // the editor's buffer wins over the disk
            }
            if change.typ == lsp::FileChangeType::DELETED {
                self.remove_path(&path);
                continue;
            }
            if path.is_dir() {
                // A folder appeared (a checkout): read what is relevant below it.
                for rel in self.walk(&path) {
                    let file = path.join(&rel);
                    if is_relevant_path(&file) {
                        if let Ok(text) = disk::read_text(&file) {
                            self.set_text(&file, Arc::from(text));
                        }
                    }
                }
                continue;
            }
            if !is_relevant_path(&path) {
                continue;
            }
            match disk::read_text(&path) {
                Ok(text) => self.set_text(&path, Arc::from(text)),
                Err(_) => self.remove_path(&path),
            }
        }
    }

    fn configure(&mut self, v: &Value) {
        let (settings, problems) = Settings::from_json(v);
        if !problems.is_empty() {
            self.warn_settings(&problems);
        }
        if settings.dialect != self.settings.dialect {
            for s in &mut self.projects {
                s.db.set_dialect_override(settings.dialect);
                s.dirty = true;
            }
        }
        let republish = settings.rules != self.settings.rules
            || settings.docs_base_url != self.settings.docs_base_url;
        self.settings = settings;
        if republish {
            for s in &mut self.projects {
                s.dirty = true;
                s.unpublished = None;
            }
            // The conversion changes even where the diagnostics do not.
            for p in self.published.values_mut() {
                p.text = None;
            }
        }
        self.schedule();
    }

    fn warn_settings(&self, problems: &[String]) {
        let text = format!(
            "Tinybird: ignored {} setting problem{}: {}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            problems.join("; ")
        );
        tracing::warn!("{text}");
        self.out.send(Outgoing::Message {
            typ: lsp::MessageType::WARNING,
            text,
            show: true,
        });
    }

    // ---- analysis and publishing ----------------------------------------------------------

    /// Analyses every dirty project and publishes what changed. With `rx`, a run is dropped
    /// (and redone after the debounce) when documents changed while it ran.
    fn analyze_dirty(&mut self, rx: Option<&Receiver<Msg>>) {
        for i in 0..self.projects.len() {
            if !self.projects[i].dirty {
                continue;
            }
            let started = Instant::now();
            let now = self.now();
            self.projects[i].db.set_now(now);
            {
                let docs = &self.docs;
                let loader = |p: &str| {
                    docs.get(Path::new(p))
                        .map(|d| d.text().to_string())
                        .or_else(|| disk::disk_loader(p))
                };
                self.projects[i].db.analyze(&loader);
            }
            let slot = &mut self.projects[i];
            let changed = slot.db.analysis().and_then(|a| a.changed.clone());
            match (&mut slot.unpublished, changed) {
                (Some(pending), Some(changed)) => pending.extend(changed),
                (pending, _) => *pending = None,
            }
            self.projects[i].dirty = false;
            if let Some(rx) = rx {
                let mut stale = false;
                while let Ok(m) = rx.try_recv() {
                    stale |= matches!(
                        m,
                        Msg::Open(_)
                            | Msg::Change(_)
                            | Msg::Close(_)
                            | Msg::Watched(_)
                            | Msg::Configuration(_)
                    );
                    self.pending.push_back(m);
                }
                if stale {
                    // Newer text is waiting: publishing now would show stale results.
                    self.projects[i].dirty = true;
                    return;
                }
            }
            let analysed = started.elapsed();
            self.publish_project(i);
            tracing::debug!(
                "analysed {} in {:.1} ms, published in {:.1} ms",
                self.projects[i].root.display(),
                analysed.as_secs_f64() * 1000.0,
                (started.elapsed() - analysed).as_secs_f64() * 1000.0
            );
        }
    }

    /// Analyses now whatever is dirty (for requests that need fresh results).
    pub fn flush(&mut self) {
        if self.projects.iter().any(|s| s.dirty) {
            self.deadline = None;
            self.analyze_dirty(None);
        }
    }

    fn text_of(&self, slot: &ProjectSlot, path: &Path, rel: &str) -> Option<Arc<str>> {
        match self.docs.get(path) {
            Some(d) => Some(d.shared_text()),
            None => slot.db.text(rel),
        }
    }

    fn uri_of(&self, path: &Path) -> Option<Uri> {
        self.uris
            .get(path)
            .cloned()
            .or_else(|| Uri::from_file_path(path))
    }

    fn publish_project(&mut self, i: usize) {
        let slot = &self.projects[i];
        let Some(analysis) = slot.db.analysis() else {
            return;
        };
        let root = slot.root.clone();
        // The files whose diagnostics may have changed, and every open document (its version
        // changes with each edit).
        let mut paths: BTreeSet<PathBuf> = match &slot.unpublished {
            Some(changed) => changed.iter().map(|rel| root.join(rel)).collect(),
            None => analysis
                .diagnostics
                .keys()
                .map(|rel| root.join(rel))
                .chain(
                    self.published
                        .iter()
                        .filter(|(_, p)| p.root == root)
                        .map(|(path, _)| path.clone()),
                )
                .collect(),
        };
        paths.extend(
            self.docs
                .keys()
                .filter(|p| self.project_of(p) == Some(i))
                .cloned(),
        );
        let enc = self.encoding();
        let pull = self.pull();
        let mut changed = false;
        for path in paths {
            let Some(rel) = relative(&root, &path) else {
                continue;
            };
            // A path that now belongs to a nested project is published by that project.
            if self.project_of(&path) != Some(i) {
                continue;
            }
            let text = self.text_of(slot, &path, &rel);
            let version = self.docs.get(&path).map(|d| d.version);
            let core = analysis.diagnostics.get(&rel);
            if let Some(prev) = self.published.get(&path) {
                let same_text = match (&prev.text, &text) {
                    (Some(a), Some(b)) => Arc::ptr_eq(a, b) || a == b,
                    (None, None) => true,
                    _ => false,
                };
                if same_text
                    && prev.version == version
                    && prev.core.as_slice() == core.map_or(&[][..], |c| c.as_slice())
                {
                    continue; // nothing the conversion depends on changed
                }
            }
            let diagnostics = match (&text, core) {
                (Some(text), Some(found)) => convert::diagnostics(
                    found,
                    text,
                    self.uri_of(&path).as_ref(),
                    enc,
                    &self.settings,
                    &|other: &str| {
                        let p = root.join(other);
                        Some((self.uri_of(&p)?, self.text_of(slot, &p, other)?))
                    },
                ),
                _ => Vec::new(),
            };
            let same = self
                .published
                .get(&path)
                .is_some_and(|p| p.diagnostics == diagnostics && p.version == version);
            if same {
                continue;
            }
            let Some(uri) = self.uri_of(&path) else {
                continue;
            };
            // A pull client asks again only when the diagnostics themselves changed: opening a
            // file (a new version, the same diagnostics) keeps its result id and sends no
            // refresh, so the client does not re-pull every open file on each open.
            let same_items = self
                .published
                .get(&path)
                .filter(|p| p.diagnostics == diagnostics)
                .map(|p| p.result_id);
            let result_id = match same_items {
                Some(id) if pull => id,
                _ => {
                    changed = true;
                    self.next_result_id += 1;
                    self.next_result_id - 1
                }
            };
            if !pull {
                self.out.send(Outgoing::Publish {
                    uri,
                    diagnostics: diagnostics.clone(),
                    version,
                });
            }
            if diagnostics.is_empty() && version.is_none() && !pull {
                self.published.remove(&path);
            } else {
                self.published.insert(
                    path,
                    Published {
                        root: root.clone(),
                        core: core.cloned().unwrap_or_default(),
                        text: text.clone(),
                        diagnostics,
                        version,
                        result_id,
                    },
                );
            }
        }
        self.projects[i].unpublished = Some(BTreeSet::new());
        if changed && pull {
            self.out.send(Outgoing::RefreshDiagnostics);
        }
    }

    // ---- requests -------------------------------------------------------------------------

    /// `textDocument/diagnostic`.
    pub fn document_diagnostic(
        &mut self,
        uri: &Uri,
        previous: Option<&str>,
    ) -> lsp::DocumentDiagnosticReport {
        self.flush();
        let (items, id) = file_path(uri)
            .and_then(|p| self.published.get(&p))
            .map_or((Vec::new(), 0), |p| (p.diagnostics.clone(), p.result_id));
        let result_id = id.to_string();
        if previous == Some(result_id.as_str()) {
            return lsp::DocumentDiagnosticReport::Unchanged(
                lsp::RelatedUnchangedDocumentDiagnosticReport {
                    related_documents: None,
                    unchanged_document_diagnostic_report: lsp::UnchangedDocumentDiagnosticReport {
                        result_id,
                    },
                },
            );
        }
        lsp::DocumentDiagnosticReport::Full(lsp::RelatedFullDocumentDiagnosticReport {
            related_documents: None,
            full_document_diagnostic_report: lsp::FullDocumentDiagnosticReport {
                result_id: Some(result_id),
                items,
            },
        })
    }

    /// `workspace/diagnostic`: every file with diagnostics, and every file the client had a
    /// result for (so cleared files are cleared).
    pub fn workspace_diagnostic(
        &mut self,
        previous: &[lsp::PreviousResultId],
    ) -> lsp::WorkspaceDiagnosticReport {
        self.flush();
        let prev: HashMap<PathBuf, &str> = previous
            .iter()
            .filter_map(|p| Some((file_path(&p.uri)?, p.value.as_str())))
            .collect();
        let mut items = Vec::new();
        let mut paths: BTreeSet<&PathBuf> = self
            .published
            .iter()
            .filter(|(_, p)| !p.diagnostics.is_empty())
            .map(|(k, _)| k)
            .collect();
        paths.extend(prev.keys());
        for path in paths {
            let Some(uri) = self.uri_of(path) else {
                continue;
            };
            let (diagnostics, id, version) =
                self.published.get(path).map_or((Vec::new(), 0, None), |p| {
                    (p.diagnostics.clone(), p.result_id, p.version.map(i64::from))
                });
            let result_id = id.to_string();
            if prev.get(path) == Some(&result_id.as_str()) {
                items.push(lsp::WorkspaceDocumentDiagnosticReport::Unchanged(
                    lsp::WorkspaceUnchangedDocumentDiagnosticReport {
                        uri,
                        version,
                        unchanged_document_diagnostic_report:
                            lsp::UnchangedDocumentDiagnosticReport { result_id },
                    },
                ));
            } else {
                items.push(lsp::WorkspaceDocumentDiagnosticReport::Full(
                    lsp::WorkspaceFullDocumentDiagnosticReport {
                        uri,
                        version,
                        full_document_diagnostic_report: lsp::FullDocumentDiagnosticReport {
                            result_id: Some(result_id),
                            items: diagnostics,
                        },
                    },
                ));
            }
        }
        lsp::WorkspaceDiagnosticReport { items }
    }

    /// `textDocument/codeAction`: the quick fixes of the diagnostics touching `range`, then
    /// the migration actions offered there.
    pub fn code_actions(&mut self, uri: &Uri, range: lsp::Range) -> Vec<lsp::CodeActionOrCommand> {
        self.flush();
        let Some(path) = file_path(uri) else {
            return Vec::new();
        };
        let Some(i) = self.project_of(&path) else {
            return Vec::new();
        };
        let slot = &self.projects[i];
        let Some(rel) = relative(&slot.root, &path) else {
            return Vec::new();
        };
        let (Some(analysis), Some(text)) = (slot.db.analysis(), self.text_of(slot, &path, &rel))
        else {
            return Vec::new();
        };
        let empty = Vec::new();
        let found = analysis.diagnostics.get(&rel).unwrap_or(&empty);
        let enc = self.encoding();
        let map = super::position::LineMap::new(&text);
        let (start, end) = (map.offset(range.start, enc), map.offset(range.end, enc));
        let root = slot.root.clone();
        let other = |p: &str| {
            let abs = root.join(p);
            Some((self.uri_of(&abs)?, self.text_of(slot, &abs, p)?))
        };
        let convert_one = |d: &syntax::diagnostics::Diagnostic| {
            convert::diagnostics(
                std::slice::from_ref(d),
                &text,
                Some(uri),
                enc,
                &self.settings,
                &other,
            )
        };
        let mut out = Vec::new();
        for d in found {
            if d.fixes.is_empty() || d.range.end < start || d.range.start > end {
                continue;
            }
            let converted = convert_one(d);
            if converted.is_empty() {
                continue; // the rule is turned off
            }
            for (k, fix) in d.fixes.iter().enumerate() {
                let mut changes: HashMap<Uri, Vec<lsp::TextEdit>> = HashMap::new();
                for e in &fix.edits {
                    let (target, target_text) = match &e.path {
                        None => (uri.clone(), text.clone()),
                        Some(p) => match other(p) {
                            Some(x) => x,
                            None => continue,
                        },
                    };
                    let range = super::position::LineMap::new(&target_text).range(e.range, enc);
                    changes.entry(target).or_default().push(lsp::TextEdit {
                        range,
                        new_text: e.new_text.clone(),
                    });
                }
                out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                    title: fix.title.clone(),
                    kind: Some(lsp::CodeActionKind::QUICKFIX),
                    diagnostics: Some(converted.clone()),
                    edit: Some(lsp::WorkspaceEdit {
                        changes: Some(changes),
                        ..Default::default()
                    }),
                    is_preferred: Some(k == 0),
                    ..Default::default()
                }));
            }
        }
        // The migration actions.
        let here: Vec<syntax::diagnostics::Diagnostic> = found
            .iter()
            .filter(|d| d.range.end >= start && d.range.start <= end)
            .cloned()
            .collect();
        let offers = actions::offers::offers_at(
            &analysis.project,
            &analysis.migrations,
            &rel,
            syntax::text::TextRange::new(start, end),
            &here,
        );
        if offers.is_empty() {
            return out;
        }
        let clock = self.clock();
        let results: Vec<(usize, Option<lsp::CodeAction>)> = self
            .with_action_files(i, |ws, files, caps, enc| {
                offers
                    .iter()
                    .enumerate()
                    .map(|(k, offer)| {
                        let result =
                            actions::run(ws, &offer.request, clock).map_err(|e| e.to_string());
                        (
                            k,
                            super::migrate::code_action(offer, result, files, enc, caps, None),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (k, action) in results {
            let Some(mut action) = action else { continue };
            let offer = &offers[k];
            action.diagnostics = offer.fixes.and_then(|(code, r)| {
                let d = here.iter().find(|d| d.code == code && d.range == r)?;
                Some(convert_one(d))
            });
            out.push(lsp::CodeActionOrCommand::CodeAction(action));
        }
        out
    }

    /// Runs `f` with what the migration actions read and write for project `i`: the project
    /// and files as the editor sees them, and what the client can apply.
    fn with_action_files<R>(
        &self,
        i: usize,
        f: impl FnOnce(
            &actions::Workspace,
            &super::migrate::Files,
            super::migrate::EditCaps,
            PositionEncoding,
        ) -> R,
    ) -> Option<R> {
        let slot = &self.projects[i];
        let analysis = slot.db.analysis()?;
        let read = |p: &str| self.read_project_file(slot, p);
        let uri_of = |p: &Path| self.uri_of(p);
        let version = |p: &Path| self.docs.get(p).map(|d| d.version);
        let files = super::migrate::Files {
            root: &slot.root,
            read: &read,
            uri: &uri_of,
            version: &version,
        };
        let ws = actions::Workspace {
            project: &analysis.project,
            migrations: &analysis.migrations,
            read: &read,
        };
        let caps = self
            .negotiated
            .as_ref()
            .map(|n| n.edit_caps)
            .unwrap_or_default();
        Some(f(&ws, &files, caps, self.encoding()))
    }

    /// "Now" and the cutoff delay for the migration actions.
    fn clock(&self) -> actions::add_column::Clock {
        actions::add_column::Clock {
            now: self.now().unwrap_or(0),
            cutoff_delay_minutes: self.settings.cutoff_delay_minutes,
        }
    }

    /// A project file's text as the editor sees it: the open buffer, the analysed text, or
    /// the disk (files the project model does not hold, such as `.tinyenv`).
    fn read_project_file(&self, slot: &ProjectSlot, rel: &str) -> Option<Arc<str>> {
        if !actions::is_safe_relative(rel) {
            return None;
        }
        let abs = slot.root.join(rel);
        self.text_of(slot, &abs, rel)
            .or_else(|| disk::read_text(&abs).ok().map(Arc::from))
    }

    /// `workspace/executeCommand` `tinybird.migrate`: the WorkspaceEdit of a migration step and
    /// its notes, or why it cannot be done (with the choices when one more answer is needed).
    pub fn migrate_command(
        &mut self,
        arg: Value,
    ) -> Result<(lsp::WorkspaceEdit, Vec<String>), (String, Vec<String>)> {
        self.flush();
        let request: actions::Request = serde_json::from_value(arg.clone()).map_err(|e| {
            (
                format!(
                    "invalid arguments for {}: {e}",
                    super::migrate::MIGRATE_COMMAND
                ),
                Vec::new(),
            )
        })?;
        let by_uri = arg
            .get("uri")
            .and_then(Value::as_str)
            .and_then(|u| u.parse::<Uri>().ok())
            .and_then(|u| file_path(&u))
            .and_then(|p| self.project_of(&p));
        let name = match &request {
            actions::Request::AddColumn(r) | actions::Request::ForwardAddColumn(r) => {
                r.datasource.clone()
            }
            actions::Request::Backfill(b) => b.datasource.clone(),
            actions::Request::Repoint { datasource } | actions::Request::Finish { datasource } => {
                datasource.clone()
            }
        };
        let i = by_uri
            .or_else(|| (self.projects.len() == 1).then_some(0))
            .or_else(|| {
                self.projects.iter().position(|s| {
                    s.db.analysis()
                        .is_some_and(|a| a.project.named(&name).next().is_some())
                })
            })
            .ok_or_else(|| {
                (
                    format!("no open project has a datasource `{name}`"),
                    Vec::new(),
                )
            })?;
        let root = self.projects[i].root.clone();
        let clock = self.clock();
        let (edit, change) = self
            .with_action_files(i, |ws, files, caps, enc| {
                let change =
                    actions::run(ws, &request, clock).map_err(|e| (e.message, e.choices))?;
                let edit = super::migrate::workspace_edit(&change, files, enc, caps)
                    .map_err(|e| (e, Vec::new()))?;
                Ok((edit, change))
            })
            .ok_or_else(|| ("the project is not analysed yet".to_string(), Vec::new()))??;
        let executables: Vec<PathBuf> = change
            .create
            .iter()
            .filter(|f| f.executable)
            .map(|f| root.join(&f.path))
            .collect();
        for p in executables {
            self.pending_executable.insert(p);
        }
        Ok((edit, change.notes))
    }

    /// Sets the executable bit on a script a migration action created, once it is on disk.
    pub fn make_executable_if_pending(&mut self, path: &Path) {
        if !self.pending_executable.contains(path) || !path.is_file() {
            return;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)) {
                tracing::warn!("cannot make {} executable: {e}", path.display());
            }
        }
        self.pending_executable.remove(path);
    }

    /// `textDocument/foldingRange`, from the open document's tree.
    pub fn folding_ranges(&self, uri: &Uri) -> Option<Vec<lsp::FoldingRange>> {
        let doc = self.docs.get(&file_path(uri)?)?;
        Some(folding::ranges(doc.tree()?, doc.text(), self.encoding()))
    }

    /// Debug: an open document's text and version, and whether its incrementally re-parsed
    /// tree equals a fresh parse.
    pub fn debug_document(&mut self, uri: &Uri) -> Value {
        let Some(path) = file_path(uri) else {
            return Value::Null;
        };
        let Some(doc) = self.docs.get(&path) else {
            return Value::Null;
        };
        json!({
            "text": doc.text(),
            "version": doc.version,
            "languageId": doc.language_id,
            "treeMatchesFreshParse": doc.tree_matches_fresh_parse(&mut self.parser),
        })
    }

    /// The answer to an editor request about the project holding `uri` (every analysed project
    /// when none): `{"projects": [...]}`, each made by `one` from the project, a function
    /// turning a project-relative path into a URI string, and the root's URI.
    fn per_project(
        &mut self,
        uri: Option<Uri>,
        one: impl Fn(&analysis::db::Analysis, &dyn Fn(&str) -> Value, Value) -> Value,
    ) -> Value {
        self.flush();
        let picked = match uri
            .as_ref()
            .and_then(file_path)
            .and_then(|p| self.project_of(&p))
        {
            Some(i) => vec![i],
            None => (0..self.projects.len()).collect(),
        };
        let mut projects = Vec::new();
        for i in picked {
            let slot = &self.projects[i];
            let Some(analysis) = slot.db.analysis() else {
                continue;
            };
            let root = slot.root.clone();
            let uri_of = |rel: &str| json!(self.uri_of(&root.join(rel)).map(|u| u.to_string()));
            let root_uri = json!(self.uri_of(&root).map(|u| u.to_string()));
            projects.push(one(analysis, &uri_of, root_uri));
        }
        json!({ "projects": projects })
    }

    /// `tinybird/graph`: the dependency graph, with each node's file as a URI and the Mermaid
    /// text.
    pub fn graph_request(&mut self, uri: Option<Uri>) -> Value {
        self.per_project(uri, |analysis, uri_of, root| {
            let project = &analysis.project;
            let graph = project::graph::Graph::of(project);
            let nodes: Vec<Value> = graph
                .nodes
                .iter()
                .map(|n| json!({"name": n.name, "kind": n.kind, "path": n.path, "uri": uri_of(&n.path)}))
                .collect();
            json!({
                "root": root,
                "dialect": project.dialect.name(),
                "nodes": nodes,
                "edges": graph.edges,
                "mermaid": graph.to_mermaid(),
            })
        })
    }

    /// `tinybird/materializedViews`: what the add-column command offers (see
    /// [`actions::catalog`]).
    pub fn materialized_views_request(&mut self, uri: Option<Uri>) -> Value {
        self.per_project(uri, |analysis, uri_of, root| {
            let catalog =
                actions::catalog::materialized_views(&analysis.project, &analysis.migrations);
            let mut value = serde_json::to_value(&catalog).unwrap_or(Value::Null);
            if let Some(views) = value.get_mut("views").and_then(Value::as_array_mut) {
                for v in views {
                    let uri = uri_of(v.get("path").and_then(Value::as_str).unwrap_or(""));
                    v["uri"] = uri;
                }
            }
            value["root"] = root;
            value
        })
    }

    /// Debug: counts, for tests and benchmarks.
    pub fn debug_stats(&mut self) -> Value {
        json!({
            "projects": self.projects.iter().map(|s| json!({
                "root": s.root.to_string_lossy(),
                "files": s.db.file_count(),
                "dialect": s.db.dialect().dialect.name(),
            })).collect::<Vec<_>>(),
            "openDocuments": self.docs.len(),
            "published": self.published.values().filter(|p| !p.diagnostics.is_empty()).count(),
        })
    }
}

fn file_path(uri: &Uri) -> Option<PathBuf> {
    uri.to_file_path().map(|p| p.into_owned())
}

fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let s = rel.to_string_lossy().replace('\\', "/");
    (!s.is_empty()).then_some(s)
}

/// Whether a file outside the editor matters to a project: what [`ProjectDb`] reads, and
/// `.env.local`.
pub(crate) fn is_relevant_path(path: &Path) -> bool {
    let file = path.file_name().map_or("", |n| n.to_str().unwrap_or(""));
    ProjectDb::is_relevant(&path.to_string_lossy().replace('\\', "/")) || file == ".env.local"
}

pub fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// What an editor-feature request works on: the file's project model and text (analysed:
/// pending edits are flushed first), with conversions between LSP positions and the core's
/// byte offsets, in this file and in any other file of the project.
pub struct FileContext<'a> {
    engine: &'a Engine,
    slot: usize,
    pub project: &'a project::model::Project,
    /// Relative to the project root.
    pub rel: String,
    pub text: Arc<str>,
    pub enc: PositionEncoding,
}

impl<'a> FileContext<'a> {
    pub fn offset(&self, pos: lsp::Position) -> usize {
        super::position::LineMap::new(&self.text).offset(pos, self.enc)
    }
    pub fn range(&self, r: syntax::text::TextRange) -> lsp::Range {
        super::position::LineMap::new(&self.text).range(r, self.enc)
    }
    /// The absolute path of a project path (an INCLUDE target may already be absolute).
    pub fn path_of(&self, rel: &str) -> PathBuf {
        let p = Path::new(rel);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.engine.projects[self.slot].root.join(rel)
        }
    }
    pub fn uri_of(&self, rel: &str) -> Option<Uri> {
        self.engine.uri_of(&self.path_of(rel))
    }
    pub fn settings(&self) -> &Settings {
        &self.engine.settings
    }
    /// The file's tree-sitter tree: the open document's, else parsed from the text.
    pub fn tree(&self) -> Option<tree_sitter::Tree> {
        match self
            .engine
            .docs
            .get(&self.path_of(&self.rel))
            .and_then(|d| d.tree())
        {
            Some(t) => Some(t.clone()),
            None => syntax::tree::parse_tree(&self.text, None),
        }
    }
    /// Whether a project path is inside the project's folder (`..` resolved as written).
    pub fn inside_root(&self, rel: &str) -> bool {
        let path = self.path_of(rel);
        let mut parts: Vec<std::path::Component> = Vec::new();
        for c in path.components() {
            match c {
                std::path::Component::ParentDir => {
                    if parts.pop().is_none() {
                        return false;
                    }
                }
                std::path::Component::CurDir => {}
                c => parts.push(c),
            }
        }
        parts
            .iter()
            .collect::<PathBuf>()
            .starts_with(&self.engine.projects[self.slot].root)
    }
    /// The text of a project file as the editor sees it (open documents first).
    pub fn text_of(&self, rel: &str) -> Option<Arc<str>> {
        let slot = &self.engine.projects[self.slot];
        let abs = self.path_of(rel);
        let rel = relative(&slot.root, &abs).unwrap_or_else(|| rel.to_string());
        self.engine.text_of(slot, &abs, &rel)
    }
    /// LSP locations of sites, converting each file's positions once.
    pub fn locations(&self, sites: &[ide::Site]) -> Vec<lsp::Location> {
        let mut texts: HashMap<&str, Arc<str>> = HashMap::new();
        let mut out = Vec::new();
        for s in sites {
            // A file the project no longer has: its sites point at its start.
            let text = texts
                .entry(&s.path)
                .or_insert_with(|| {
                    if *s.path == *self.rel {
                        self.text.clone()
                    } else {
                        self.text_of(&s.path).unwrap_or_else(|| Arc::from(""))
                    }
                })
                .clone();
            let Some(uri) = self.uri_of(&s.path) else {
                continue;
            };
            let range = super::position::LineMap::new(&text).range(s.range, self.enc);
            out.push(lsp::Location { uri, range });
        }
        out
    }
}

impl Engine {
    /// The context of a request on `uri`, when the file belongs to an analysed project.
    pub fn file_context(&mut self, uri: &Uri) -> Option<FileContext<'_>> {
        self.flush();
        let path = file_path(uri)?;
        let slot = self.project_of(&path)?;
        let this: &Engine = self;
        let s = &this.projects[slot];
        let rel = relative(&s.root, &path)?;
        let analysis = s.db.analysis()?;
        let text = this.text_of(s, &path, &rel)?;
        Some(FileContext {
            engine: this,
            slot,
            project: &analysis.project,
            rel,
            text,
            enc: this.encoding(),
        })
    }

    /// Every analysed project, for workspace-wide requests.
    pub fn project_contexts(&mut self) -> Vec<FileContext<'_>> {
        self.flush();
        let this: &Engine = self;
        let mut out = Vec::new();
        for (slot, s) in this.projects.iter().enumerate() {
            if let Some(analysis) = s.db.analysis() {
                out.push(FileContext {
                    engine: this,
                    slot,
                    project: &analysis.project,
                    rel: String::new(),
                    text: Arc::from(""),
                    enc: this.encoding(),
                });
            }
        }
        out
    }
}
