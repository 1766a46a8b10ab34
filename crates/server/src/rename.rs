//! `textDocument/prepareRename` and `rename` over [`ide::rename`]: text edits in every
//! file, and the resource's file renamed with a resource operation (clients that cannot rename
//! files are told so instead of getting a half-done rename).

use super::engine::FileContext;
use std::collections::HashMap;
use tower_lsp_server::jsonrpc::Error;
use tower_lsp_server::ls_types as lsp;

/// What the client's workspace edits can hold.
#[derive(Clone, Copy, Debug, Default)]
pub struct EditCaps {
    /// Resource operations that rename files.
    pub renames_files: bool,
    /// `documentChanges` (versioned document edits).
    pub document_changes: bool,
    /// Change annotations (edits the user confirms).
    pub annotations: bool,
}

pub fn prepare(
    cx: &FileContext,
    pos: lsp::Position,
) -> Result<Option<lsp::PrepareRenameResponse>, Error> {
    let Some(l) = ide::locate::locate_for_rename(cx.project, &cx.rel, &cx.text, cx.offset(pos))
    else {
        return Ok(None);
    };
    match ide::rename::prepare(cx.project, &l) {
        Ok((range, placeholder)) => Ok(Some(lsp::PrepareRenameResponse::RangeWithPlaceholder {
            range: cx.range(range),
            placeholder,
        })),
        Err(e) => Err(Error::invalid_params(e)),
    }
}

pub fn rename(
    cx: &FileContext,
    pos: lsp::Position,
    new_name: &str,
    caps: EditCaps,
) -> Result<Option<lsp::WorkspaceEdit>, Error> {
    let resource_operations = caps.renames_files;
    let Some(l) = ide::locate::locate_for_rename(cx.project, &cx.rel, &cx.text, cx.offset(pos))
    else {
        return Ok(None);
    };
    let change =
        ide::rename::rename(cx.project, &cx.rel, &l, new_name).map_err(Error::invalid_params)?;
    if !change.file_renames.is_empty() && !resource_operations {
        return Err(Error::invalid_params(
            "Renaming a resource renames its file, and this editor cannot rename files through the language server",
        ));
    }
    if let Some((from, _)) = change
        .file_renames
        .iter()
        .find(|(from, to)| !cx.inside_root(from) || !cx.inside_root(to))
    {
        return Err(Error::invalid_params(format!(
            "{from} is outside the project folder: rename it there"
        )));
    }
    // A file the project does not read (an .incl, a file of another kind) may hold the name.
    if let Some((_, to)) = change
        .file_renames
        .iter()
        .find(|(_, to)| cx.path_of(to).exists())
    {
        return Err(Error::invalid_params(format!("{to} already exists")));
    }
    Ok(Some(workspace_edit(cx, &change, caps)))
}

/// A text edit and the note that comes with it (an edit to confirm).
type NotedEdit<'a> = (lsp::TextEdit, Option<&'a str>);

/// A rename's edits (and file moves) as a workspace edit: `documentChanges` when the client
/// takes them (or files move), each open document's edit carrying the version it was computed
/// on (the editor refuses it if the text changed since), edits that go beyond what was asked
/// (`RenameChange::notes`) annotated for confirmation where the client can, the moves after
/// the edits; else plain `changes`.
fn workspace_edit(
    cx: &FileContext,
    change: &ide::rename::RenameChange,
    caps: EditCaps,
) -> lsp::WorkspaceEdit {
    let document_changes = caps.document_changes || !change.file_renames.is_empty();
    // Edits grouped per file, in the order of the files, with their note.
    let mut per_file: Vec<(String, Vec<NotedEdit>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (k, (path, range, text)) in change.edits.iter().enumerate() {
        let site = ide::Site {
            path: path.clone(),
            range: *range,
        };
        let Some(loc) = cx.locations(std::slice::from_ref(&site)).pop() else {
            continue;
        };
        let i = *index.entry(path.to_string()).or_insert_with(|| {
            per_file.push((path.to_string(), Vec::new()));
            per_file.len() - 1
        });
        let note = change
            .notes
            .iter()
            .find(|(e, _)| *e == k)
            .map(|(_, n)| n.as_str());
        per_file[i].1.push((
            lsp::TextEdit {
                range: loc.range,
                new_text: text.clone(),
            },
            note,
        ));
    }
    if !document_changes {
        let mut changes = HashMap::new();
        for (path, edits) in per_file {
            if let Some(uri) = cx.uri_of(&path) {
                changes.insert(uri, edits.into_iter().map(|(e, _)| e).collect());
            }
        }
        return lsp::WorkspaceEdit {
            changes: Some(changes),
            ..Default::default()
        };
    }
    let mut annotations: HashMap<String, lsp::ChangeAnnotation> = HashMap::new();
    let mut ops: Vec<lsp::DocumentChangeOperation> = Vec::new();
    for (path, edits) in per_file {
        let Some(uri) = cx.uri_of(&path) else {
            continue;
        };
        let edits = edits
            .into_iter()
            .map(
                |(text_edit, note)| match note.filter(|_| caps.annotations) {
                    Some(note) => {
                        let id = format!("note{}", annotations.len());
                        let id = annotations
                            .iter()
                            .find(|(_, a)| a.label == note)
                            .map_or(id, |(k, _)| k.clone());
                        annotations
                            .entry(id.clone())
                            .or_insert_with(|| lsp::ChangeAnnotation {
                                label: note.to_string(),
                                needs_confirmation: Some(true),
                                description: None,
                            });
                        lsp::OneOf::Right(lsp::AnnotatedTextEdit {
                            text_edit,
                            annotation_id: id,
                        })
                    }
                    None => lsp::OneOf::Left(text_edit),
                },
            )
            .collect();
        ops.push(lsp::DocumentChangeOperation::Edit(lsp::TextDocumentEdit {
            text_document: lsp::OptionalVersionedTextDocumentIdentifier {
                uri,
                version: cx.open_version(&path),
            },
            edits,
        }));
    }
    for (from, to) in &change.file_renames {
        let (Some(old_uri), Some(new_uri)) = (cx.uri_of(from), cx.uri_of(to)) else {
            continue;
        };
        ops.push(lsp::DocumentChangeOperation::Op(lsp::ResourceOp::Rename(
            lsp::RenameFile {
                old_uri,
                new_uri,
                options: Some(lsp::RenameFileOptions {
                    overwrite: Some(false),
                    ignore_if_exists: Some(false),
                }),
                annotation_id: None,
            },
        )));
    }
    lsp::WorkspaceEdit {
        document_changes: Some(lsp::DocumentChanges::Operations(ops)),
        change_annotations: (!annotations.is_empty()).then_some(annotations),
        ..Default::default()
    }
}

/// `workspace/willRenameFiles` for one file: the editor renames `pipes/a.pipe` to
/// `pipes/b.pipe`, and every reference to `a` follows (the file move itself is the editor's;
/// a Forward test file `tests/a.yaml` moves with it when the editor can rename files). A
/// rename that cannot be done (the new name is taken, not a valid name, a reference that
/// cannot be edited) edits nothing: the file move is the editor's to make.
pub fn will_rename(
    cx: &FileContext,
    old_uri: &str,
    new_uri: &str,
    caps: EditCaps,
) -> Option<lsp::WorkspaceEdit> {
    let resource_operations = caps.renames_files;
    // The new path relative to the project: the old URI ends with the old relative path.
    let root = old_uri.strip_suffix(cx.rel.as_str())?;
    let new_rel = new_uri.strip_prefix(root)?;
    let (i, r) = cx
        .project
        .resources
        .iter_enumerated()
        .find(|(_, r)| *r.path == cx.rel && r.defined_by_file())?;
    let (old_name, old_ext) = stem_and_extension(&cx.rel)?;
    let (new_name, new_ext) = stem_and_extension(new_rel)?;
    if old_ext != new_ext || new_name == old_name || old_name != r.name {
        return None;
    }
    let l = ide::Located {
        symbol: ide::Symbol::Resource(i),
        range: r.name_range,
    };
    let mut change = ide::rename::rename(cx.project, &cx.rel, &l, new_name).ok()?;
    // The editor moves this file itself.
    change.file_renames.retain(|(from, _)| *from != cx.rel);
    if !resource_operations {
        change.file_renames.clear();
    }
    if change
        .file_renames
        .iter()
        .any(|(from, to)| !cx.inside_root(from) || !cx.inside_root(to) || cx.path_of(to).exists())
    {
        return None;
    }
    if change.edits.is_empty() && change.file_renames.is_empty() {
        return None;
    }
    Some(workspace_edit(cx, &change, caps))
}

/// `name` and `pipe` of `pipes/name.pipe`.
fn stem_and_extension(rel: &str) -> Option<(&str, &str)> {
    let file = rel.rsplit('/').next()?;
    file.split_once('.')
}
