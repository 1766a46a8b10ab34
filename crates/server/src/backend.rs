//! The `LanguageServer` implementation: capabilities, lifecycle, and the requests, each
//! forwarded to the engine thread (queued behind the edits that preceded it). Document
//! synchronisation never reaches this type: [`super::ordered`] hands it to the engine.

use super::engine::{EngineHandle, Msg, Negotiated};
use serde_json::Value;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::{self as lsp};
use tower_lsp_server::{Client, LanguageServer};

pub struct Backend {
    client: Client,
    engine: EngineHandle,
    /// `TINYBIRD_LSP_DEBUG=1` enables the `tinybird/debug/*` methods used by the tests.
    debug: bool,
    client_caps: std::sync::OnceLock<lsp::ClientCapabilities>,
    /// The workspace folders of `initialize`.
    folders: std::sync::OnceLock<Vec<std::path::PathBuf>>,
    /// The server's own watcher, for clients that cannot watch files.
    watcher: std::sync::Mutex<Option<super::watcher::ServerWatcher>>,
}

fn engine_gone() -> Error {
    Error {
        code: ErrorCode::InternalError,
        message: "the request failed inside tinybird-lsp (see its log); the server carries on"
            .into(),
        data: None,
    }
}

impl Backend {
    pub fn new(client: Client, engine: EngineHandle) -> Self {
        Backend {
            client,
            engine,
            debug: std::env::var("TINYBIRD_LSP_DEBUG").is_ok_and(|v| v == "1"),
            client_caps: Default::default(),
            folders: Default::default(),
            watcher: Default::default(),
        }
    }

    /// What the client's workspace edits can hold.
    fn edit_caps(&self) -> super::rename::EditCaps {
        let edit = self
            .caps()
            .and_then(|c| c.workspace.as_ref())
            .and_then(|w| w.workspace_edit.as_ref());
        super::rename::EditCaps {
            renames_files: edit
                .and_then(|w| w.resource_operations.as_ref())
                .is_some_and(|o| o.contains(&lsp::ResourceOperationKind::Rename)),
            document_changes: edit.and_then(|w| w.document_changes).unwrap_or(false),
            annotations: edit.is_some_and(|w| w.change_annotation_support.is_some()),
        }
    }

    fn caps(&self) -> Option<&lsp::ClientCapabilities> {
        self.client_caps.get()
    }

    async fn register_watchers(&self) {
        let dynamic = self
            .caps()
            .and_then(|c| c.workspace.as_ref())
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false);
        if !dynamic {
            // Tests widen the moment between the first analysis and the watch's start.
            if let Some(ms) = std::env::var("TINYBIRD_LSP_TEST_WATCH_DELAY_MS")
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
            {
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            }
            let folders = self.folders.get().cloned().unwrap_or_default();
            let watcher = super::watcher::watch(&folders, self.engine.clone());
            if watcher.is_none() {
                tracing::info!("no file watching: changes made outside the editor are seen when files are opened");
            }
            if let Ok(mut w) = self.watcher.lock() {
                *w = watcher;
            }
            return;
        }
        let glob = |g: &str, kind: Option<lsp::WatchKind>| lsp::FileSystemWatcher {
            glob_pattern: lsp::GlobPattern::String(g.to_string()),
            kind,
        };
        let watchers = vec![
            glob("**/*.{datasource,pipe,incl,connection}", None),
            glob("**/tests/**/*.{yaml,yml}", None),
            glob("**/*.sh", None),
            glob(
                "**/{.tinyenv,tinybird.json,tinybird.config.json,.env.local,tinybird-lsp.toml}",
                None,
            ),
            // Where HEAD and the branches are: the deploy plan's base may move.
            glob("**/.git/{HEAD,index,packed-refs}", None),
            glob("**/.git/refs/**", None),
            // Folders deleted or created as a whole (a checkout).
            glob(
                "**/{datasources,pipes,endpoints,materializations,copies,sinks,connections,tests,vendor}",
                None,
            ),
        ];
        let options = lsp::DidChangeWatchedFilesRegistrationOptions { watchers };
        let registration = lsp::Registration {
            id: "tinybird-watched-files".into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: serde_json::to_value(options).ok(),
        };
        if let Err(e) = self.client.register_capability(vec![registration]).await {
            tracing::warn!("could not register file watchers: {e}");
        }
    }

    /// `tinybird/debug/panic`: panics in the handler (`{"in": "handler"}`) or on the engine
    /// thread (`{"in": "engine"}`), to prove both are survived.
    pub async fn debug_panic(&self, params: Value) -> Result<Value> {
        if !self.debug {
            return Err(Error::method_not_found());
        }
        if params.get("in").and_then(Value::as_str) == Some("engine") {
            return self
                .engine
                .query(|_| -> Value { panic!("injected panic on the engine thread") })
                .await
                .ok_or_else(engine_gone);
        }
        panic!("injected panic in a request handler");
    }

    /// What a malformed client message becomes (see `input`): the JSON-RPC parse error.
    pub async fn parse_error(&self, _: Value) -> Result<Value> {
        Err(Error::parse_error())
    }

    /// `tinybird/debug/sleep`: answers after `{"ms": N}` milliseconds (to test cancellation).
    pub async fn debug_sleep(&self, params: Value) -> Result<Value> {
        if !self.debug {
            return Err(Error::method_not_found());
        }
        let ms = params.get("ms").and_then(Value::as_u64).unwrap_or(1000);
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        Ok(Value::Null)
    }

    /// `tinybird/debug/document`: an open document as the server has it.
    pub async fn debug_document(&self, params: Value) -> Result<Value> {
        if !self.debug {
            return Err(Error::method_not_found());
        }
        let uri: lsp::Uri = params
            .get("uri")
            .and_then(|u| serde_json::from_value(u.clone()).ok())
            .ok_or_else(|| Error::invalid_params("expected {\"uri\": ...}"))?;
        self.engine
            .query(move |e| e.debug_document(&uri))
            .await
            .ok_or_else(engine_gone)
    }

    /// `tinybird/debug/stats`: projects and counts.
    pub async fn debug_stats(&self, _: Value) -> Result<Value> {
        if !self.debug {
            return Err(Error::method_not_found());
        }
        self.engine
            .query(|e| e.debug_stats())
            .await
            .ok_or_else(engine_gone)
    }

    /// `tinybird/graph` `{"uri"?}`: the project's dependency graph (see
    /// [`Engine::graph_request`](super::engine::Engine::graph_request)).
    pub async fn graph(&self, params: Value) -> Result<Value> {
        let uri = uri_param(&params)?;
        self.engine
            .query(move |e| e.graph_request(uri))
            .await
            .ok_or_else(engine_gone)
    }

    /// `tinybird/materializedViews` `{"uri"?}`: the materialized views a migration can start
    /// from.
    pub async fn materialized_views(&self, params: Value) -> Result<Value> {
        let uri = uri_param(&params)?;
        self.engine
            .query(move |e| e.materialized_views_request(uri))
            .await
            .ok_or_else(engine_gone)
    }

    /// `tinybird/plan` `{"uri"?}`: the deploy plan against the base version (see
    /// [`Engine::plan_request`](super::engine::Engine::plan_request)).
    pub async fn plan(&self, params: Value) -> Result<Value> {
        let uri = uri_param(&params)?;
        self.engine
            .query(move |e| e.plan_request(uri))
            .await
            .ok_or_else(engine_gone)
    }
}

/// The optional `uri` of a custom request's parameters.
fn uri_param(params: &Value) -> Result<Option<lsp::Uri>> {
    match params.get("uri") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(u)) => u
            .parse::<lsp::Uri>()
            .map(Some)
            .map_err(|e| Error::invalid_params(format!("`uri` is not a URI: {e}"))),
        Some(_) => Err(Error::invalid_params("`uri` must be a string")),
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: lsp::InitializeParams) -> Result<lsp::InitializeResult> {
        let n = Negotiated::from_params(&params);
        if let Some(pid) = params.process_id {
            super::parent::watch(pid);
        }
        let _ = self.client_caps.set(params.capabilities.clone());
        let _ = self.folders.set(n.folders.clone());
        let capabilities = lsp::ServerCapabilities {
            position_encoding: Some(match n.encoding {
                super::position::PositionEncoding::Utf8 => lsp::PositionEncodingKind::UTF8,
                super::position::PositionEncoding::Utf16 => lsp::PositionEncodingKind::UTF16,
            }),
            text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
                lsp::TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
                    will_save: None,
                    will_save_wait_until: None,
                    save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                },
            )),
            diagnostic_provider: n.pull.then(|| {
                lsp::DiagnosticServerCapabilities::Options(lsp::DiagnosticOptions {
                    identifier: Some("tinybird".into()),
                    inter_file_dependencies: true,
                    workspace_diagnostics: true,
                    work_done_progress_options: Default::default(),
                })
            }),
            folding_range_provider: Some(lsp::FoldingRangeProviderCapability::Simple(true)),
            hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
            definition_provider: Some(lsp::OneOf::Left(true)),
            references_provider: Some(lsp::OneOf::Left(true)),
            document_highlight_provider: Some(lsp::OneOf::Left(true)),
            completion_provider: Some(lsp::CompletionOptions {
                trigger_characters: Some(vec![".".into(), " ".into(), "{".into(), "(".into()]),
                ..Default::default()
            }),
            rename_provider: Some(lsp::OneOf::Right(lsp::RenameOptions {
                prepare_provider: Some(true),
                work_done_progress_options: Default::default(),
            })),
            document_symbol_provider: Some(lsp::OneOf::Left(true)),
            workspace_symbol_provider: Some(lsp::OneOf::Left(true)),
            semantic_tokens_provider: Some(
                lsp::SemanticTokensServerCapabilities::SemanticTokensOptions(
                    lsp::SemanticTokensOptions {
                        legend: super::semantic_tokens::legend(),
                        full: Some(lsp::SemanticTokensFullOptions::Bool(true)),
                        range: None,
                        work_done_progress_options: Default::default(),
                    },
                ),
            ),
            selection_range_provider: Some(lsp::SelectionRangeProviderCapability::Simple(true)),
            document_link_provider: Some(lsp::DocumentLinkOptions {
                resolve_provider: Some(false),
                work_done_progress_options: Default::default(),
            }),
            code_lens_provider: Some(lsp::CodeLensOptions {
                resolve_provider: Some(false),
            }),
            document_formatting_provider: Some(lsp::OneOf::Left(true)),
            code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
                lsp::CodeActionOptions {
                    code_action_kinds: Some(vec![
                        lsp::CodeActionKind::QUICKFIX,
                        lsp::CodeActionKind::REFACTOR_REWRITE,
                    ]),
                    work_done_progress_options: Default::default(),
                    resolve_provider: Some(true),
                },
            )),
            execute_command_provider: Some(lsp::ExecuteCommandOptions {
                commands: vec![
                    super::migrate::MIGRATE_COMMAND.into(),
                    super::migrate::NOTES_COMMAND.into(),
                ],
                work_done_progress_options: Default::default(),
            }),
            workspace: Some(lsp::WorkspaceServerCapabilities {
                workspace_folders: Some(lsp::WorkspaceFoldersServerCapabilities {
                    supported: Some(true),
                    change_notifications: Some(lsp::OneOf::Left(true)),
                }),
                file_operations: Some(lsp::WorkspaceFileOperationsServerCapabilities {
                    will_rename: Some(lsp::FileOperationRegistrationOptions {
                        filters: vec![lsp::FileOperationFilter {
                            scheme: Some("file".into()),
                            pattern: lsp::FileOperationPattern {
                                glob: "**/*.{datasource,pipe}".into(),
                                matches: Some(lsp::FileOperationPatternKind::File),
                                options: None,
                            },
                        }],
                    }),
                    ..Default::default()
                }),
            }),
            ..Default::default()
        };
        Ok(lsp::InitializeResult {
            capabilities,
            server_info: Some(lsp::ServerInfo {
                name: "tinybird-lsp".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: lsp::InitializedParams) {
        // Indexing was started by the transport layer, in order (see `ordered`).
        self.register_watchers().await;
    }

    async fn shutdown(&self) -> Result<()> {
        // Answered after everything queued before it (the engine stops publishing).
        self.engine.query(|e| e.set_shutting_down()).await;
        Ok(())
    }

    async fn did_change_workspace_folders(&self, params: lsp::DidChangeWorkspaceFoldersParams) {
        self.engine.send(Msg::Folders(params.event));
    }

    async fn did_change_configuration(&self, params: lsp::DidChangeConfigurationParams) {
        let mut settings = params.settings;
        let empty = settings.is_null() || settings.as_object().is_some_and(|o| o.is_empty());
        let can_pull = self
            .caps()
            .and_then(|c| c.workspace.as_ref())
            .and_then(|w| w.configuration)
            .unwrap_or(false);
        if empty && can_pull {
            let item = lsp::ConfigurationItem {
                scope_uri: None,
                section: Some("tinybird".into()),
            };
            match self.client.configuration(vec![item]).await {
                Ok(mut values) if !values.is_empty() => settings = values.swap_remove(0),
                Ok(_) => {}
                Err(e) => tracing::warn!("workspace/configuration failed: {e}"),
            }
        }
        self.engine.send(Msg::Configuration(settings));
    }

    async fn diagnostic(
        &self,
        params: lsp::DocumentDiagnosticParams,
    ) -> Result<lsp::DocumentDiagnosticReportResult> {
        let uri = params.text_document.uri;
        let previous = params.previous_result_id;
        self.engine
            .query(move |e| e.document_diagnostic(&uri, previous.as_deref()))
            .await
            .map(lsp::DocumentDiagnosticReportResult::Report)
            .ok_or_else(engine_gone)
    }

    async fn workspace_diagnostic(
        &self,
        params: lsp::WorkspaceDiagnosticParams,
    ) -> Result<lsp::WorkspaceDiagnosticReportResult> {
        let previous = params.previous_result_ids;
        self.engine
            .query(move |e| e.workspace_diagnostic(&previous))
            .await
            .map(lsp::WorkspaceDiagnosticReportResult::Report)
            .ok_or_else(engine_gone)
    }

    async fn code_action(
        &self,
        params: lsp::CodeActionParams,
    ) -> Result<Option<lsp::CodeActionResponse>> {
        let uri = params.text_document.uri;
        let range = params.range;
        self.engine
            .query(move |e| Some(e.code_actions(&uri, range)))
            .await
            .ok_or_else(engine_gone)
    }

    async fn code_action_resolve(&self, action: lsp::CodeAction) -> Result<lsp::CodeAction> {
        self.engine
            .query(move |e| e.resolve_code_action(action))
            .await
            .ok_or_else(engine_gone)
    }

    /// `tinybird.migrate`: computes the step's WorkspaceEdit and asks the client to apply it
    /// (`workspace/applyEdit`); answers with the step's notes. `tinybird.migrationNotes`: shows
    /// notes.
    async fn execute_command(&self, params: lsp::ExecuteCommandParams) -> Result<Option<Value>> {
        let arg = params.arguments.first().cloned().unwrap_or(Value::Null);
        match params.command.as_str() {
            super::migrate::NOTES_COMMAND => {
                let lines: Vec<String> = params
                    .arguments
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                if !lines.is_empty() {
                    self.client
                        .show_message(lsp::MessageType::INFO, lines.join("\n"))
                        .await;
                }
                Ok(None)
            }
            super::migrate::MIGRATE_COMMAND => {
                let result = self
                    .engine
                    .query(move |e| e.migrate_command(arg))
                    .await
                    .ok_or_else(engine_gone)?;
                let (edit, notes) = match result {
                    Ok(x) => x,
                    Err((message, choices)) => {
                        self.client
                            .show_message(
                                lsp::MessageType::ERROR,
                                format!("tinybird-lsp: {message}"),
                            )
                            .await;
                        return Err(Error {
                            code: ErrorCode::InvalidParams,
                            message: message.into(),
                            data: (!choices.is_empty())
                                .then(|| serde_json::json!({ "choices": choices })),
                        });
                    }
                };
                let applied = self.client.apply_edit(edit).await.map_err(|e| Error {
                    code: ErrorCode::InternalError,
                    message: format!("workspace/applyEdit failed: {e}").into(),
                    data: None,
                })?;
                if !applied.applied {
                    let reason = applied
                        .failure_reason
                        .unwrap_or_else(|| "the editor did not apply the edit".into());
                    self.client
                        .show_message(lsp::MessageType::ERROR, format!("tinybird-lsp: {reason}"))
                        .await;
                    return Err(Error {
                        code: ErrorCode::ServerError(-32803),
                        message: reason.into(),
                        data: None,
                    });
                }
                if !notes.is_empty() {
                    self.client
                        .show_message(lsp::MessageType::INFO, notes.join("\n"))
                        .await;
                }
                Ok(Some(serde_json::json!({ "notes": notes })))
            }
            other => Err(Error {
                code: ErrorCode::InvalidParams,
                message: format!("unknown command `{other}`").into(),
                data: None,
            }),
        }
    }

    async fn hover(&self, params: lsp::HoverParams) -> Result<Option<lsp::Hover>> {
        let p = params.text_document_position_params;
        self.engine
            .query(move |e| {
                let cx = e.file_context(&p.text_document.uri)?;
                super::navigation::hover(&cx, p.position)
            })
            .await
            .ok_or_else(engine_gone)
    }

    async fn goto_definition(
        &self,
        params: lsp::GotoDefinitionParams,
    ) -> Result<Option<lsp::GotoDefinitionResponse>> {
        let p = params.text_document_position_params;
        self.engine
            .query(move |e| {
                let cx = e.file_context(&p.text_document.uri)?;
                super::navigation::definition(&cx, p.position)
            })
            .await
            .ok_or_else(engine_gone)
    }

    async fn references(&self, params: lsp::ReferenceParams) -> Result<Option<Vec<lsp::Location>>> {
        let p = params.text_document_position;
        let declaration = params.context.include_declaration;
        self.engine
            .query(move |e| {
                let cx = e.file_context(&p.text_document.uri)?;
                super::navigation::references(&cx, p.position, declaration)
            })
            .await
            .ok_or_else(engine_gone)
    }

    async fn document_highlight(
        &self,
        params: lsp::DocumentHighlightParams,
    ) -> Result<Option<Vec<lsp::DocumentHighlight>>> {
        let p = params.text_document_position_params;
        self.engine
            .query(move |e| {
                let cx = e.file_context(&p.text_document.uri)?;
                super::navigation::highlights(&cx, p.position)
            })
            .await
            .ok_or_else(engine_gone)
    }

    async fn completion(
        &self,
        params: lsp::CompletionParams,
    ) -> Result<Option<lsp::CompletionResponse>> {
        let p = params.text_document_position;
        let snippets = self
            .caps()
            .and_then(|c| c.text_document.as_ref())
            .and_then(|t| t.completion.as_ref())
            .and_then(|c| c.completion_item.as_ref())
            .and_then(|i| i.snippet_support)
            .unwrap_or(false);
        self.engine
            .query(move |e| {
                let cx = e.file_context(&p.text_document.uri)?;
                super::completion::complete(&cx, p.position, snippets)
            })
            .await
            .ok_or_else(engine_gone)
    }

    async fn prepare_rename(
        &self,
        params: lsp::TextDocumentPositionParams,
    ) -> Result<Option<lsp::PrepareRenameResponse>> {
        self.engine
            .query(move |e| match e.file_context(&params.text_document.uri) {
                Some(cx) => super::rename::prepare(&cx, params.position),
                None => Ok(None),
            })
            .await
            .ok_or_else(engine_gone)?
    }

    async fn rename(&self, params: lsp::RenameParams) -> Result<Option<lsp::WorkspaceEdit>> {
        let p = params.text_document_position;
        let new_name = params.new_name;
        let caps = self.edit_caps();
        self.engine
            .query(move |e| match e.file_context(&p.text_document.uri) {
                Some(cx) => super::rename::rename(&cx, p.position, &new_name, caps),
                None => Ok(None),
            })
            .await
            .ok_or_else(engine_gone)?
    }

    async fn will_rename_files(
        &self,
        params: lsp::RenameFilesParams,
    ) -> Result<Option<lsp::WorkspaceEdit>> {
        let caps = self.edit_caps();
        // One renamed datasource or pipe at a time: several files moved together are
        // left to the editor (their references could overlap).
        let [file] = params.files.as_slice() else {
            return Ok(None);
        };
        let file = file.clone();
        let Ok(uri) = file.old_uri.parse::<lsp::Uri>() else {
            return Ok(None);
        };
        self.engine
            .query(move |e| {
                let cx = e.file_context(&uri)?;
                super::rename::will_rename(&cx, &file.old_uri, &file.new_uri, caps)
            })
            .await
            .ok_or_else(engine_gone)
    }

    async fn document_symbol(
        &self,
        params: lsp::DocumentSymbolParams,
    ) -> Result<Option<lsp::DocumentSymbolResponse>> {
        self.engine
            .query(move |e| {
                let cx = e.file_context(&params.text_document.uri)?;
                super::symbols::document_symbols(&cx)
            })
            .await
            .ok_or_else(engine_gone)
    }

    async fn symbol(
        &self,
        params: lsp::WorkspaceSymbolParams,
    ) -> Result<Option<lsp::WorkspaceSymbolResponse>> {
        self.engine
            .query(move |e| {
                let cxs = e.project_contexts();
                Some(lsp::WorkspaceSymbolResponse::Flat(
                    super::symbols::workspace_symbols(&cxs, &params.query),
                ))
            })
            .await
            .ok_or_else(engine_gone)
    }

    async fn semantic_tokens_full(
        &self,
        params: lsp::SemanticTokensParams,
    ) -> Result<Option<lsp::SemanticTokensResult>> {
        self.engine
            .query(move |e| {
                let cx = e.file_context(&params.text_document.uri)?;
                super::semantic_tokens::full(&cx)
            })
            .await
            .ok_or_else(engine_gone)
    }

    async fn selection_range(
        &self,
        params: lsp::SelectionRangeParams,
    ) -> Result<Option<Vec<lsp::SelectionRange>>> {
        self.engine
            .query(move |e| {
                let cx = e.file_context(&params.text_document.uri)?;
                Some(super::selection::selection_ranges(&cx, &params.positions))
            })
            .await
            .ok_or_else(engine_gone)
    }

    async fn document_link(
        &self,
        params: lsp::DocumentLinkParams,
    ) -> Result<Option<Vec<lsp::DocumentLink>>> {
        self.engine
            .query(move |e| {
                let cx = e.file_context(&params.text_document.uri)?;
                super::links::document_links(&cx)
            })
            .await
            .ok_or_else(engine_gone)
    }

    async fn code_lens(&self, params: lsp::CodeLensParams) -> Result<Option<Vec<lsp::CodeLens>>> {
        self.engine
            .query(move |e| {
                let uri = params.text_document.uri;
                let cx = e.file_context(&uri)?;
                super::links::code_lenses(&cx, &uri)
            })
            .await
            .ok_or_else(engine_gone)
    }

    async fn formatting(
        &self,
        params: lsp::DocumentFormattingParams,
    ) -> Result<Option<Vec<lsp::TextEdit>>> {
        self.engine
            .query(move |e| {
                let cx = e.file_context(&params.text_document.uri)?;
                super::formatting::format_document(&cx)
            })
            .await
            .ok_or_else(engine_gone)
    }

    async fn folding_range(
        &self,
        params: lsp::FoldingRangeParams,
    ) -> Result<Option<Vec<lsp::FoldingRange>>> {
        let uri = params.text_document.uri;
        self.engine
            .query(move |e| e.folding_ranges(&uri))
            .await
            .ok_or_else(engine_gone)
    }
}
