//! An in-process editing session, for the session fuzz target and the tests: the engine driven
//! message by message as the transport drives it (open, change, save, close, configuration),
//! and every editor request answered synchronously through the same functions the handlers
//! call. No transport, no thread, no file on disk: the documents live under a root that does
//! not exist.
//!
//! After each step the session checks what must always hold: the document's text is the one
//! the edits make (kept beside it, applied independently), every published diagnostic lies
//! inside its document, and every workspace edit a request returns (rename, code actions,
//! formatting) stays inside the project's folder.

use super::*;
use crate::position::LineMap;

/// The folder the session's documents live in (it does not exist on disk).
pub const ROOT: &str = "/tinybird-lsp-session/project";

/// One step of a session.
#[derive(Clone, Debug)]
pub enum Step {
    /// Replaces the range (LSP positions, possibly out of the document) with `text`.
    Edit {
        doc: usize,
        start: (u32, u32),
        end: (u32, u32),
        text: String,
    },
    /// Replaces the whole text.
    Replace {
        doc: usize,
        text: String,
    },
    /// An editor request at a position (`kind` picks which).
    Request {
        doc: usize,
        kind: u8,
        at: (u32, u32),
    },
    /// A rename to `name` (any text: `../x`, `/etc/passwd`, empty).
    Rename {
        doc: usize,
        at: (u32, u32),
        name: String,
    },
    Save,
    /// Closes and reopens with the last text.
    Reopen {
        doc: usize,
    },
    /// Runs the debounced analysis and publishing now.
    Analyse,
}

pub struct Session {
    engine: Engine,
    out: tokio::sync::mpsc::UnboundedReceiver<Outgoing>,
    /// Path, URI, the text the edits should have made, version.
    docs: Vec<(PathBuf, Uri, String, i32)>,
    /// Every version's text of each document (diagnostics are checked against the version
    /// they were computed for).
    history: HashMap<(Uri, i32), String>,
    encoding: PositionEncoding,
    /// Workspace edits checked so far (renames, code actions), and code actions seen.
    pub edits_checked: usize,
    pub actions_seen: usize,
}

/// Where a session's invariant broke.
#[derive(Debug)]
pub struct Broken(pub String);

impl Session {
    /// A session with `files` (project-relative paths and texts) open, in UTF-8 or UTF-16
    /// positions, with the server settings `settings` (JSON as a client sends them).
    pub fn new(files: &[(&str, &str)], utf8: bool, settings: Value) -> Session {
        let (outbox, out) = Outbox::new();
        let mut engine = Engine::new(outbox);
        let caps = serde_json::json!({
            "general": {"positionEncodings": if utf8 { serde_json::json!(["utf-8"]) } else { serde_json::json!(["utf-16"]) }},
            "workspace": {"workspaceEdit": {"documentChanges": true, "resourceOperations": ["create", "rename", "delete"]}},
            "textDocument": {"codeAction": {"disabledSupport": true, "resolveSupport": {"properties": ["edit"]}}},
        });
        let params = lsp::InitializeParams {
            capabilities: serde_json::from_value(caps).unwrap_or_default(),
            initialization_options: Some(settings),
            ..Default::default()
        };
        let mut negotiated = Negotiated::from_params(&params);
        negotiated.folders = vec![];
        let encoding = negotiated.encoding;
        engine.handle(Msg::Initialize(Box::new(negotiated)));
        engine.handle(Msg::Initialized);
        let mut s = Session {
            engine,
            out,
            docs: vec![],
            history: HashMap::new(),
            encoding,
            edits_checked: 0,
            actions_seen: 0,
        };
        for (rel, text) in files {
            let path = Path::new(ROOT).join(rel);
            let Some(uri) = Uri::from_file_path(&path) else {
                continue;
            };
            s.engine.handle(Msg::Open(lsp::DidOpenTextDocumentParams {
                text_document: lsp::TextDocumentItem {
                    uri: uri.clone(),
                    language_id: "tinybird".into(),
                    version: 1,
                    text: text.to_string(),
                },
            }));
            s.history.insert((uri.clone(), 1), text.to_string());
            s.docs.push((path, uri, text.to_string(), 1));
        }
        s
    }

    /// Runs one step and checks the invariants.
    pub fn step(&mut self, step: &Step) -> Result<(), Broken> {
        if self.docs.is_empty() {
            return Ok(());
        }
        let pick = |d: usize| d % self.docs.len();
        match step {
            Step::Edit {
                doc,
                start,
                end,
                text,
            } => {
                let i = pick(*doc);
                let range = lsp::Range::new(
                    lsp::Position::new(start.0, start.1),
                    lsp::Position::new(end.0, end.1),
                );
                // What the edit must make: the same conversion the protocol defines, applied
                // to the expected text independently of the document's rope.
                let expected = &mut self.docs[i].2;
                let map = LineMap::new(expected);
                let (a, b) = (
                    map.offset(range.start, self.encoding),
                    map.offset(range.end, self.encoding),
                );
                // An inverted range inserts at its start (Document::apply's rule).
                let b = b.max(a);
                expected.replace_range(a..b, text);
                self.docs[i].3 += 1;
                let (_, uri, _, version) = &self.docs[i];
                self.engine
                    .handle(Msg::Change(lsp::DidChangeTextDocumentParams {
                        text_document: lsp::VersionedTextDocumentIdentifier {
                            uri: uri.clone(),
                            version: *version,
                        },
                        content_changes: vec![lsp::TextDocumentContentChangeEvent {
                            range: Some(range),
                            range_length: None,
                            text: text.clone(),
                        }],
                    }));
                self.check_text(i)?;
            }
            Step::Replace { doc, text } => {
                let i = pick(*doc);
                self.docs[i].2 = text.clone();
                self.docs[i].3 += 1;
                let (_, uri, _, version) = &self.docs[i];
                self.engine
                    .handle(Msg::Change(lsp::DidChangeTextDocumentParams {
                        text_document: lsp::VersionedTextDocumentIdentifier {
                            uri: uri.clone(),
                            version: *version,
                        },
                        content_changes: vec![lsp::TextDocumentContentChangeEvent {
                            range: None,
                            range_length: None,
                            text: text.clone(),
                        }],
                    }));
                self.check_text(i)?;
            }
            Step::Request { doc, kind, at } => {
                let i = pick(*doc);
                let pos = lsp::Position::new(at.0, at.1);
                self.request(i, *kind, pos)?;
            }
            Step::Rename { doc, at, name } => {
                let i = pick(*doc);
                let uri = self.docs[i].1.clone();
                let pos = lsp::Position::new(at.0, at.1);
                let caps = crate::rename::EditCaps {
                    renames_files: true,
                    document_changes: true,
                    annotations: true,
                };
                let edit = self.engine.file_context(&uri).and_then(|cx| {
                    let _ = crate::rename::prepare(&cx, pos);
                    crate::rename::rename(&cx, pos, name, caps).ok().flatten()
                });
                if let Some(e) = &edit {
                    inside(e)?;
                    self.edits_checked += 1;
                }
                // A file renamed to the name (as an editor's file explorer would).
                let new_uri = format!("file://{ROOT}/{name}");
                let will = self
                    .engine
                    .file_context(&uri)
                    .and_then(|cx| crate::rename::will_rename(&cx, uri.as_str(), &new_uri, caps));
                if let Some(e) = &will {
                    inside(e)?;
                    self.edits_checked += 1;
                }
            }
            Step::Save => self.engine.handle(Msg::Save),
            Step::Reopen { doc } => {
                let i = pick(*doc);
                let (_, uri, text, version) = &self.docs[i];
                self.engine
                    .handle(Msg::Close(lsp::DidCloseTextDocumentParams {
                        text_document: lsp::TextDocumentIdentifier { uri: uri.clone() },
                    }));
                self.engine
                    .handle(Msg::Open(lsp::DidOpenTextDocumentParams {
                        text_document: lsp::TextDocumentItem {
                            uri: uri.clone(),
                            language_id: "tinybird".into(),
                            version: *version,
                            text: text.clone(),
                        },
                    }));
                self.check_text(i)?;
            }
            Step::Analyse => {
                self.engine.analyze_dirty(None);
                self.check_published()?;
            }
        }
        Ok(())
    }

    /// The document's text, as the engine holds it.
    pub fn text(&self, doc: usize) -> Option<String> {
        let (path, ..) = self.docs.get(doc)?;
        self.engine.docs.get(path).map(|d| d.text().to_string())
    }

    fn check_text(&mut self, i: usize) -> Result<(), Broken> {
        let (path, uri, expected, version) = &self.docs[i];
        self.history
            .insert((uri.clone(), *version), expected.clone());
        let Some(doc) = self.engine.docs.get(path) else {
            return Err(Broken(format!("{} is not open any more", path.display())));
        };
        if doc.text() != expected {
            return Err(Broken(format!(
                "{} (version {version}) holds {:?}, the edits make {:?}",
                path.display(),
                doc.text(),
                expected
            )));
        }
        Ok(())
    }

    /// Every published diagnostic inside its (open) document.
    fn check_published(&mut self) -> Result<(), Broken> {
        while let Ok(m) = self.out.try_recv() {
            let Outgoing::Publish {
                uri,
                diagnostics,
                version: Some(version),
            } = m
            else {
                continue;
            };
            let Some(text) = self.history.get(&(uri.clone(), version)) else {
                return Err(Broken(format!(
                    "diagnostics published for version {version} of {}, which never existed",
                    uri.as_str()
                )));
            };
            let lines = lsp_lines(text);
            for d in &diagnostics {
                let (s, e) = (d.range.start, d.range.end);
                if (s.line, s.character) > (e.line, e.character) || e.line >= lines.max(1) {
                    return Err(Broken(format!(
                        "{}: a diagnostic at {:?} outside the document ({lines} lines): {}; text {:?}",
                        uri.as_str(),
                        d.range,
                        d.message,
                        text
                    )));
                }
            }
        }
        Ok(())
    }

    fn request(&mut self, i: usize, kind: u8, pos: lsp::Position) -> Result<(), Broken> {
        let uri = self.docs[i].1.clone();
        let range = lsp::Range::new(pos, pos);
        match kind % 14 {
            0 => {
                let _ = self
                    .engine
                    .file_context(&uri)
                    .and_then(|cx| crate::navigation::hover(&cx, pos));
            }
            1 => {
                let _ = self
                    .engine
                    .file_context(&uri)
                    .and_then(|cx| crate::navigation::definition(&cx, pos));
            }
            2 => {
                let _ = self
                    .engine
                    .file_context(&uri)
                    .and_then(|cx| crate::navigation::references(&cx, pos, true));
            }
            3 => {
                let _ = self
                    .engine
                    .file_context(&uri)
                    .and_then(|cx| crate::navigation::highlights(&cx, pos));
            }
            4 => {
                let _ = self
                    .engine
                    .file_context(&uri)
                    .and_then(|cx| crate::completion::complete(&cx, pos, true));
            }
            5 => {
                let _ = self
                    .engine
                    .file_context(&uri)
                    .and_then(|cx| crate::symbols::document_symbols(&cx));
            }
            6 => {
                let _ = self
                    .engine
                    .file_context(&uri)
                    .and_then(|cx| crate::semantic_tokens::full(&cx));
            }
            7 => {
                let _ = self
                    .engine
                    .file_context(&uri)
                    .map(|cx| crate::selection::selection_ranges(&cx, &[pos]));
            }
            8 => {
                let _ = self
                    .engine
                    .file_context(&uri)
                    .and_then(|cx| crate::links::document_links(&cx));
                let _ = self
                    .engine
                    .file_context(&uri)
                    .and_then(|cx| crate::links::code_lenses(&cx, &uri));
            }
            9 => {
                let edits = self
                    .engine
                    .file_context(&uri)
                    .and_then(|cx| crate::formatting::format_document(&cx));
                // Formatting edits lie inside the document.
                let lines = lsp_lines(&self.docs[i].2);
                for e in edits.into_iter().flatten() {
                    if e.range.start.line > lines || e.range.end.line > lines {
                        return Err(Broken(format!(
                            "a formatting edit at {:?} past the document's {lines} lines",
                            e.range
                        )));
                    }
                }
            }
            10 => {
                let _ = self.engine.folding_ranges(&uri);
            }
            11 => {
                // Every code action, resolved, edits inside the project only: at the position,
                // and over the whole document (every diagnostic's quick fixes).
                let whole =
                    lsp::Range::new(lsp::Position::new(0, 0), lsp::Position::new(u32::MAX, 0));
                let mut actions = self.engine.code_actions(&uri, range);
                actions.extend(self.engine.code_actions(&uri, whole));
                for a in actions {
                    let lsp::CodeActionOrCommand::CodeAction(a) = a else {
                        continue;
                    };
                    let a = if a.edit.is_none() && a.data.is_some() {
                        self.engine.resolve_code_action(a)
                    } else {
                        a
                    };
                    self.actions_seen += 1;
                    if let Some(e) = &a.edit {
                        inside(e)?;
                        self.edits_checked += 1;
                    }
                }
            }
            12 => {
                let _ = self.engine.plan_request(Some(uri));
                let _ = self.engine.graph_request(None);
            }
            _ => {
                let _ = self.engine.materialized_views_request(Some(uri));
                let cxs = self.engine.project_contexts();
                let _ = crate::symbols::workspace_symbols(&cxs, "a");
            }
        }
        Ok(())
    }
}

/// Every document a workspace edit touches (edited, created, renamed, deleted) is inside the
/// session's project folder, `..` resolved.
fn inside(e: &lsp::WorkspaceEdit) -> Result<(), Broken> {
    let mut uris: Vec<&Uri> = e.changes.iter().flat_map(|c| c.keys()).collect();
    match &e.document_changes {
        Some(lsp::DocumentChanges::Edits(edits)) => {
            uris.extend(edits.iter().map(|d| &d.text_document.uri))
        }
        Some(lsp::DocumentChanges::Operations(ops)) => {
            for op in ops {
                match op {
                    lsp::DocumentChangeOperation::Edit(d) => uris.push(&d.text_document.uri),
                    lsp::DocumentChangeOperation::Op(lsp::ResourceOp::Create(c)) => {
                        uris.push(&c.uri)
                    }
                    lsp::DocumentChangeOperation::Op(lsp::ResourceOp::Rename(r)) => {
                        uris.push(&r.old_uri);
                        uris.push(&r.new_uri);
                    }
                    lsp::DocumentChangeOperation::Op(lsp::ResourceOp::Delete(d)) => {
                        uris.push(&d.uri)
                    }
                }
            }
        }
        None => {}
    }
    for uri in uris {
        let Some(path) = uri.to_file_path() else {
            return Err(Broken(format!(
                "an edit of a non-file URI {}",
                uri.as_str()
            )));
        };
        let mut parts: Vec<std::path::Component> = vec![];
        for c in path.components() {
            match c {
                std::path::Component::ParentDir => {
                    parts.pop();
                }
                std::path::Component::CurDir => {}
                c => parts.push(c),
            }
        }
        let resolved: PathBuf = parts.iter().collect();
        if !resolved.starts_with(ROOT) {
            return Err(Broken(format!(
                "a workspace edit outside the project: {}",
                uri.as_str()
            )));
        }
    }
    Ok(())
}

/// The number of lines of `text` as LSP counts them: `\r\n`, `\n` and a lone `\r` each end
/// one (the session fuzzer found the harness counting `\n` only).
fn lsp_lines(text: &str) -> u32 {
    text.replace("\r\n", "\n").split(['\n', '\r']).count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example project in the middle of a migration: every kind of file, migrations with
    /// code actions that create files.
    fn example() -> Vec<(String, String)> {
        let root =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/web-sessions-migrating");
        disk::walk(&root)
            .into_iter()
            .filter(|rel| is_relevant_path(Path::new(rel)))
            .filter_map(|rel| Some((rel.clone(), std::fs::read_to_string(root.join(&rel)).ok()?)))
            .collect()
    }

    /// xorshift: a reproducible stream without a dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
    }

    const PIECES: &[&str] = &[
        "",
        "\n",
        "SELECT ",
        "FROM visits_mv",
        " WHERE day > '2026-03-02'",
        "{{ x }}",
        "{% if a %}",
        "{% end %}",
        "é",
        "😀",
        "\r\n",
        "NODE n\nSQL >\n    ",
        "`",
        "(",
        ")",
        ",",
        "TYPE copy\n",
        "visits_mv_1",
        "COPY_MODE append",
    ];
    const NAMES: &[&str] = &[
        "renamed",
        "../outside",
        "../../etc/passwd",
        "/tmp/abs",
        "a/b",
        "..",
        ".",
        "",
        "x y",
        "pipes/../../up",
        "visits_mv",
        "ok_name",
    ];

    fn session(seed: u64, utf8: bool, steps: usize) -> (usize, usize) {
        let files = example();
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let mut s = Session::new(
            &refs,
            utf8,
            serde_json::json!({"migration": {"now": "2026-03-03 10:00:00"}}),
        );
        let mut rng = Rng(seed | 1);
        for n in 0..steps {
            let doc = rng.below(64) as usize;
            let pos = |rng: &mut Rng| (rng.below(40) as u32, rng.below(90) as u32);
            let step = match rng.below(10) {
                0..=3 => {
                    let start = pos(&mut rng);
                    let end = if rng.below(3) == 0 {
                        start
                    } else {
                        pos(&mut rng)
                    };
                    let text = PIECES[rng.below(PIECES.len() as u64) as usize].to_string();
                    Step::Edit {
                        doc,
                        start,
                        end,
                        text,
                    }
                }
                4..=6 => Step::Request {
                    doc,
                    kind: rng.below(256) as u8,
                    at: pos(&mut rng),
                },
                7 => Step::Rename {
                    doc,
                    at: pos(&mut rng),
                    name: NAMES[rng.below(NAMES.len() as u64) as usize].to_string(),
                },
                8 => Step::Analyse,
                _ => match rng.below(3) {
                    0 => Step::Save,
                    1 => Step::Reopen { doc },
                    _ => {
                        let i = rng.below(files.len() as u64) as usize;
                        Step::Replace {
                            doc,
                            text: files[i].1.clone(),
                        }
                    }
                },
            };
            if let Err(Broken(why)) = s.step(&step) {
                panic!("seed {seed}, step {n} ({step:?}): {why}");
            }
        }
        s.step(&Step::Analyse).unwrap();
        (s.edits_checked, s.actions_seen)
    }

    #[test]
    fn random_sessions_keep_every_invariant() {
        let (mut edits, mut actions) = (0, 0);
        for seed in 1..=12u64 {
            let (e, a) = session(seed * 7919, seed % 2 == 0, 1500);
            edits += e;
            actions += a;
        }
        // The sessions reach the requests that edit (a test that checks nothing fails).
        assert!(
            edits > 50 && actions > 50,
            "{edits} edits, {actions} code actions"
        );
    }

    /// A lone `\r` ends a line for LSP: a diagnostic after one is inside the document (found
    /// by the session fuzzer, where the harness counted `\n` only).
    #[test]
    fn a_lone_carriage_return_ends_a_line() {
        let files = example();
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let mut s = Session::new(&refs, true, Value::Null);
        let ds = files
            .iter()
            .position(|(p, _)| p.ends_with(".datasource"))
            .unwrap();
        s.step(&Step::Replace {
            doc: ds,
            text: "teSELECT\r\0\0\0HEMA >\n \"\nENGINE\0\0\0\x0055555".to_string(),
        })
        .unwrap();
        s.step(&Step::Analyse)
            .unwrap_or_else(|Broken(why)| panic!("{why}"));
    }

    /// Renaming a datasource or a file to a name that leaves the project is refused or stays
    /// inside, through every rename entry point.
    #[test]
    fn traversal_names_never_edit_outside_the_project() {
        let files = example();
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let mut s = Session::new(&refs, true, Value::Null);
        let ds = files
            .iter()
            .position(|(p, _)| p == "datasources/visits_mv.datasource")
            .unwrap();
        s.step(&Step::Analyse).unwrap();
        for name in NAMES {
            // Line 0 is DESCRIPTION; the name of a datasource is its file: rename from a
            // reader's FROM instead, and the file itself.
            for at in [(0, 0), (12, 11), (5, 6)] {
                for doc in [ds, 0, 1, 2] {
                    s.step(&Step::Rename {
                        doc,
                        at,
                        name: name.to_string(),
                    })
                    .unwrap_or_else(|Broken(why)| panic!("`{name}` at {at:?} of doc {doc}: {why}"));
                }
            }
        }
        assert!(s.edits_checked > 0, "no rename produced an edit to check");
    }
}
