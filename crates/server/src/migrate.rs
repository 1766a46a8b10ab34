//! The migration actions in the editor: offers as code actions, `workspace/executeCommand`
//! `tinybird.migrate`, and a core [`Change`] as an LSP WorkspaceEdit (CreateFile / text edits /
//! DeleteFile when the client supports resource operations; otherwise the action is shown
//! disabled with the reason, or refused with a message).

use super::position::{LineMap, PositionEncoding};
use actions::offers::{Offer, OfferKind};
use actions::Change;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use tower_lsp_server::ls_types::{self as lsp, Uri};

/// The command that carries out a migration step: one argument, the request as JSON
/// (`{"action": "add-column", "datasource": …, "column": {…}}`, optionally with `"uri"` of a
/// file of the project).
pub const MIGRATE_COMMAND: &str = "tinybird.migrate";
/// Shows an action's notes after it was applied: arguments are the lines.
pub const NOTES_COMMAND: &str = "tinybird.migrationNotes";

/// What the client can do with a WorkspaceEdit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EditCaps {
    pub document_changes: bool,
    /// `create` and `delete` resource operations.
    pub resource_operations: bool,
    /// Code actions can be shown disabled, with a reason.
    pub disabled_support: bool,
}

impl EditCaps {
    pub fn of(caps: &lsp::ClientCapabilities) -> EditCaps {
        let we = caps
            .workspace
            .as_ref()
            .and_then(|w| w.workspace_edit.as_ref());
        let ops = we.and_then(|w| w.resource_operations.as_ref());
        let resource_operations = ops.is_some_and(|o| {
            o.contains(&lsp::ResourceOperationKind::Create)
                && o.contains(&lsp::ResourceOperationKind::Delete)
        });
        EditCaps {
            // Resource operations exist only inside `documentChanges`, so a client declaring
            // them takes `documentChanges`: Neovim (0.10, 0.11) declares `resourceOperations`
            // without `documentChanges: true` and applies both.
            document_changes: we.and_then(|w| w.document_changes).unwrap_or(false)
                || resource_operations,
            resource_operations,
            disabled_support: caps
                .text_document
                .as_ref()
                .and_then(|t| t.code_action.as_ref())
                .and_then(|c| c.disabled_support)
                .unwrap_or(false),
        }
    }
}

/// Why the client cannot carry out `change`, if it cannot.
pub fn unsupported(change: &Change, caps: EditCaps) -> Option<String> {
    (change.needs_resource_operations() && !(caps.document_changes && caps.resource_operations))
        .then(|| {
            "this editor cannot create or delete files through code actions (no workspace edit resource operations): run `tinybird-lsp migrate …` in a terminal instead".to_string()
        })
}

/// The files' current texts and URIs, as the engine knows them.
pub struct Files<'a> {
    pub root: &'a Path,
    pub read: &'a dyn Fn(&str) -> Option<Arc<str>>,
    pub uri: &'a dyn Fn(&Path) -> Option<Uri>,
    pub version: &'a dyn Fn(&Path) -> Option<i32>,
}

/// The WorkspaceEdit carrying out `change`.
pub fn workspace_edit(
    change: &Change,
    files: &Files,
    enc: PositionEncoding,
    caps: EditCaps,
) -> Result<lsp::WorkspaceEdit, String> {
    if let Some(why) = unsupported(change, caps) {
        return Err(why);
    }
    // Check the whole change against the current texts first (creates over existing files,
    // paths outside the project).
    change.apply(files.read).map_err(|e| e.message)?;
    // The editor follows symbolic links: a created or edited file must stay in the project
    // on disk too.
    let paths = change
        .create
        .iter()
        .map(|f| f.path.as_str())
        .chain(change.edit.iter().map(|e| e.path.as_str()))
        .chain(change.delete.iter().map(String::as_str));
    for path in paths {
        if !disk::stays_inside(files.root, path) {
            return Err(format!(
                "refusing to write `{path}`: a symbolic link leads it out of the project folder"
            ));
        }
    }
    let uri_of = |rel: &str| -> Result<Uri, String> {
        (files.uri)(&files.root.join(rel)).ok_or_else(|| format!("no URI for `{rel}`"))
    };
    let mut by_path: Vec<(&str, Vec<lsp::TextEdit>)> = Vec::new();
    for e in &change.edit {
        let text = (files.read)(&e.path).ok_or_else(|| format!("cannot read `{}`", e.path))?;
        let range = LineMap::new(&text).range(e.range, enc);
        let edit = lsp::TextEdit {
            range,
            new_text: e.new_text.clone(),
        };
        match by_path.iter_mut().find(|(p, _)| *p == e.path) {
            Some((_, v)) => v.push(edit),
            None => by_path.push((&e.path, vec![edit])),
        }
    }
    if !caps.document_changes {
        let mut changes: HashMap<Uri, Vec<lsp::TextEdit>> = HashMap::new();
        for (p, edits) in by_path {
            changes.insert(uri_of(p)?, edits);
        }
        return Ok(lsp::WorkspaceEdit {
            changes: Some(changes),
            ..Default::default()
        });
    }
    let mut ops: Vec<lsp::DocumentChangeOperation> = Vec::new();
    for f in &change.create {
        let uri = uri_of(&f.path)?;
        ops.push(lsp::DocumentChangeOperation::Op(lsp::ResourceOp::Create(
            lsp::CreateFile {
                uri: uri.clone(),
                options: Some(lsp::CreateFileOptions {
                    overwrite: Some(false),
                    ignore_if_exists: Some(false),
                }),
                annotation_id: None,
            },
        )));
        ops.push(lsp::DocumentChangeOperation::Edit(lsp::TextDocumentEdit {
            text_document: lsp::OptionalVersionedTextDocumentIdentifier { uri, version: None },
            edits: vec![lsp::OneOf::Left(lsp::TextEdit {
                range: lsp::Range::default(),
                new_text: f.text.clone(),
            })],
        }));
    }
    for (p, edits) in by_path {
        let abs = files.root.join(p);
        ops.push(lsp::DocumentChangeOperation::Edit(lsp::TextDocumentEdit {
            text_document: lsp::OptionalVersionedTextDocumentIdentifier {
                uri: uri_of(p)?,
                version: (files.version)(&abs),
            },
            edits: edits.into_iter().map(lsp::OneOf::Left).collect(),
        }));
    }
    for p in &change.delete {
        ops.push(lsp::DocumentChangeOperation::Op(lsp::ResourceOp::Delete(
            lsp::DeleteFile {
                uri: uri_of(p)?,
                options: Some(lsp::DeleteFileOptions {
                    recursive: Some(false),
                    ignore_if_not_exists: Some(true),
                }),
                annotation_id: None,
            },
        )));
    }
    Ok(lsp::WorkspaceEdit {
        document_changes: Some(lsp::DocumentChanges::Operations(ops)),
        ..Default::default()
    })
}

/// An offer carried out as a code action (disabled with the reason when the client cannot
/// apply it and says it can show that).
pub fn code_action(
    offer: &Offer,
    result: Result<Change, String>,
    files: &Files,
    enc: PositionEncoding,
    caps: EditCaps,
    diagnostic: Option<lsp::Diagnostic>,
) -> Option<lsp::CodeAction> {
    let kind = match offer.kind {
        OfferKind::QuickFix => lsp::CodeActionKind::QUICKFIX,
        OfferKind::Refactor => lsp::CodeActionKind::REFACTOR_REWRITE,
    };
    let edit = result.and_then(|c| workspace_edit(&c, files, enc, caps).map(|e| (e, c)));
    match edit {
        Ok((edit, change)) => Some(lsp::CodeAction {
            title: offer.title.clone(),
            kind: Some(kind),
            diagnostics: diagnostic.map(|d| vec![d]),
            edit: Some(edit),
            command: (!change.notes.is_empty()).then(|| lsp::Command {
                title: "Show what to do next".into(),
                command: NOTES_COMMAND.into(),
                arguments: Some(
                    change
                        .notes
                        .iter()
                        .map(|n| serde_json::Value::String(n.clone()))
                        .collect(),
                ),
            }),
            is_preferred: Some(offer.preferred),
            ..Default::default()
        }),
        Err(reason) if caps.disabled_support => Some(lsp::CodeAction {
            title: offer.title.clone(),
            kind: Some(kind),
            diagnostics: diagnostic.map(|d| vec![d]),
            disabled: Some(lsp::CodeActionDisabled { reason }),
            ..Default::default()
        }),
        Err(_) => None,
    }
}
