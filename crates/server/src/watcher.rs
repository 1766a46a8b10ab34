//! Watching the workspace from the server, for clients that cannot watch files for it (no
//! dynamic registration of `workspace/didChangeWatchedFiles`: Neovim on Linux, for one).
//! Without it, files changed outside the editor — or changed by the editor without being open
//! as Tinybird documents, such as the test YAML a migration step edits — would stay stale.
//! Events become the same `didChangeWatchedFiles` messages a client would send, queued to the
//! engine in order with everything else.

use super::engine::{is_relevant_path, EngineHandle, Msg};
use notify::event::{ModifyKind, RenameMode};
use notify::{EventKind, RecursiveMode, Watcher};
use std::path::{Path, PathBuf};
use tower_lsp_server::ls_types::{self as lsp, Uri};

/// Keeps the watcher alive; dropping it stops watching.
pub struct ServerWatcher {
    _inner: notify::RecommendedWatcher,
}

/// Folders never worth watching inside a project.
fn ignored(path: &Path) -> bool {
    path.components().any(|c| {
        matches!(
            c.as_os_str().to_str(),
            Some(".git" | "node_modules" | "target" | ".venv" | "__pycache__")
        )
    })
}

/// Git's files that say where HEAD and the branches are: a change may move the deploy base.
fn moves_git_base(path: &Path) -> bool {
    let mut parts = path
        .components()
        .map(|c| c.as_os_str().to_str().unwrap_or(""));
    if !parts.any(|c| c == ".git") {
        return false;
    }
    let rest: Vec<&str> = parts.collect();
    matches!(
        rest.as_slice(),
        ["HEAD" | "index" | "packed-refs"] | ["refs", ..]
    )
}

/// What a change of `path` means to the engine: a relevant file, a folder (a folder created
/// or deleted as a whole, as a checkout does), or git's HEAD, refs and index.
fn relevant(path: &Path) -> bool {
    moves_git_base(path)
        || !ignored(path)
            && (is_relevant_path(path)
                || path.extension().is_none()
                || path
                    .file_name()
                    .is_some_and(|n| n == analysis::config::FILE_NAME))
}

/// The LSP file events of one notify event.
pub fn file_events(event: &notify::Event) -> Vec<lsp::FileEvent> {
    let typ = |t| move |p: &PathBuf| (p.clone(), t);
    let pairs: Vec<(PathBuf, lsp::FileChangeType)> = match &event.kind {
        EventKind::Create(_) => event
            .paths
            .iter()
            .map(typ(lsp::FileChangeType::CREATED))
            .collect(),
        EventKind::Remove(_) => event
            .paths
            .iter()
            .map(typ(lsp::FileChangeType::DELETED))
            .collect(),
        EventKind::Modify(ModifyKind::Name(mode)) => match mode {
            RenameMode::From => event
                .paths
                .iter()
                .map(typ(lsp::FileChangeType::DELETED))
                .collect(),
            RenameMode::To => event
                .paths
                .iter()
                .map(typ(lsp::FileChangeType::CREATED))
                .collect(),
            RenameMode::Both if event.paths.len() == 2 => vec![
                (event.paths[0].clone(), lsp::FileChangeType::DELETED),
                (event.paths[1].clone(), lsp::FileChangeType::CREATED),
            ],
            _ => event
                .paths
                .iter()
                .map(|p| {
                    let t = if p.exists() {
                        lsp::FileChangeType::CHANGED
                    } else {
                        lsp::FileChangeType::DELETED
                    };
                    (p.clone(), t)
                })
                .collect(),
        },
        EventKind::Modify(ModifyKind::Metadata(_)) | EventKind::Access(_) => Vec::new(),
        EventKind::Modify(_) | EventKind::Any | EventKind::Other => event
            .paths
            .iter()
            .map(typ(lsp::FileChangeType::CHANGED))
            .collect(),
    };
    pairs
        .into_iter()
        .filter(|(p, _)| relevant(p))
        .filter_map(|(p, typ)| {
            Some(lsp::FileEvent {
                uri: Uri::from_file_path(&p)?,
                typ,
            })
        })
        .collect()
}

/// Watches `folders` recursively, sending their relevant changes to the engine.
pub fn watch(folders: &[PathBuf], engine: EngineHandle) -> Option<ServerWatcher> {
    let engine_for_heads = engine.clone();
    let mut inner =
        notify::recommended_watcher(move |res: notify::Result<notify::Event>| match res {
            Ok(event) => {
                let changes = file_events(&event);
                if !changes.is_empty() {
                    engine.send(Msg::Watched(lsp::DidChangeWatchedFilesParams { changes }));
                }
            }
            Err(e) => tracing::warn!("file watcher: {e}"),
        })
        .map_err(|e| tracing::warn!("cannot watch the workspace: {e}"))
        .ok()?;
    let mut watching = 0;
    for f in folders {
        match inner.watch(f, RecursiveMode::Recursive) {
            Ok(()) => watching += 1,
            Err(e) => tracing::warn!("cannot watch {}: {e}", f.display()),
        }
    }
    tracing::info!(
        "the client cannot watch files for us: the server watches {watching} folder(s) itself"
    );
    // A commit made after the first analysis read the base and before the watch began would
    // go unseen: look at HEAD once now (the base is read again only if the commit moved).
    let heads: Vec<lsp::FileEvent> = folders
        .iter()
        .filter_map(|f| {
            let git = f.ancestors().map(|a| a.join(".git")).find(|g| g.is_dir())?;
            Some(lsp::FileEvent {
                uri: Uri::from_file_path(git.join("HEAD"))?,
                typ: lsp::FileChangeType::CHANGED,
            })
        })
        .collect();
    if !heads.is_empty() {
        engine_for_heads.send(Msg::Watched(lsp::DidChangeWatchedFilesParams {
            changes: heads,
        }));
    }
    (watching > 0).then_some(ServerWatcher { _inner: inner })
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, DataChange, RemoveKind};

    fn event(kind: EventKind, paths: &[&str]) -> notify::Event {
        let mut e = notify::Event::new(kind);
        for p in paths {
            e = e.add_path(PathBuf::from(p));
        }
        e
    }

    fn kinds(events: Vec<lsp::FileEvent>) -> Vec<(String, lsp::FileChangeType)> {
        events
            .into_iter()
            .map(|e| {
                let path = e.uri.to_file_path().unwrap().to_string_lossy().into_owned();
                (path, e.typ)
            })
            .collect()
    }

    #[test]
    fn relevant_changes_become_file_events() {
        let created = event(
            EventKind::Create(CreateKind::File),
            &[
                "/p/tests/a.yaml",
                "/p/notes.txt",
                "/p/.git/index",
                "/p/.git/objects/ab/cdef",
                "/p/.git/refs/heads/main",
            ],
        );
        assert_eq!(
            kinds(file_events(&created)),
            vec![
                ("/p/tests/a.yaml".into(), lsp::FileChangeType::CREATED),
                ("/p/.git/index".into(), lsp::FileChangeType::CREATED),
                (
                    "/p/.git/refs/heads/main".into(),
                    lsp::FileChangeType::CREATED
                ),
            ]
        );
        let changed = event(
            EventKind::Modify(ModifyKind::Data(DataChange::Content)),
            &["/p/pipes/x.pipe"],
        );
        assert_eq!(
            kinds(file_events(&changed)),
            vec![("/p/pipes/x.pipe".into(), lsp::FileChangeType::CHANGED)]
        );
        let renamed = event(
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)),
            &["/p/pipes/a.pipe", "/p/pipes/b.pipe"],
        );
        assert_eq!(
            kinds(file_events(&renamed)),
            vec![
                ("/p/pipes/a.pipe".into(), lsp::FileChangeType::DELETED),
                ("/p/pipes/b.pipe".into(), lsp::FileChangeType::CREATED)
            ]
        );
        let folder = event(EventKind::Remove(RemoveKind::Folder), &["/p/pipes"]);
        assert_eq!(
            kinds(file_events(&folder)),
            vec![("/p/pipes".into(), lsp::FileChangeType::DELETED)]
        );
        let metadata = event(
            EventKind::Modify(ModifyKind::Metadata(notify::event::MetadataKind::Any)),
            &["/p/pipes/x.pipe"],
        );
        assert!(file_events(&metadata).is_empty());
    }
}
