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

mod code_actions;
mod context;
mod deploy;
pub mod harness;
mod indexing;
mod publish;
mod requests;
mod session;

pub use context::FileContext;

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
    Save,
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
    /// The client resolves code actions' edits lazily (`codeAction/resolve`).
    pub resolve_edit: bool,
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
            resolve_edit: caps
                .text_document
                .as_ref()
                .and_then(|t| t.code_action.as_ref())
                .and_then(|c| c.resolve_support.as_ref())
                .is_some_and(|r| r.properties.iter().any(|p| p == "edit")),
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
        // Room for the recursive SQL walkers on pathological input (the parser bounds the
        // nesting; tests prove 1 MiB is enough, this leaves a wide margin).
        .stack_size(16 << 20)
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
    /// The project's `tinybird-lsp.toml` (in its folder or the nearest parent), as read.
    config: Option<Arc<analysis::config::Config>>,
    /// The deployed version the plan compares with.
    base: deploy::BaseState,
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
    /// "Now" for project `i`: the `migration.now` setting, else its configuration file's, else
    /// the clock.
    fn now(&self, i: usize) -> Option<i64> {
        self.settings
            .now
            .as_deref()
            .or_else(|| self.projects[i].config.as_ref()?.now.as_deref())
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
            // A save often follows a commit or a checkout made outside git's watched files.
            Msg::Save => self.refresh_bases(),
            Msg::Watched(p) => self.watched(p),
            Msg::Configuration(v) => self.configure(&v),
            Msg::Folders(change) => self.change_folders(change),
        }
    }

    pub fn set_shutting_down(&mut self) {
        self.shutting_down = true;
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

/// Whether `path` is inside a `.git` folder: HEAD, a ref, the index (what moves the deploy
/// base), never a project file.
pub(crate) fn is_git_state(path: &Path) -> bool {
    path.components().any(|c| c.as_os_str() == ".git")
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
