//! Code actions: quick fixes of the diagnostics and the migration steps (offered
//! cheaply, computed when resolved), and the `tinybird.migrate` command.

use super::*;

/// The LSP kind of an offered step.
fn offer_kind(offer: &actions::offers::Offer) -> lsp::CodeActionKind {
    match offer.kind {
        actions::offers::OfferKind::QuickFix => lsp::CodeActionKind::QUICKFIX,
        actions::offers::OfferKind::Refactor => lsp::CodeActionKind::REFACTOR_REWRITE,
    }
}

impl Engine {
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
        let map = crate::position::LineMap::new(&text);
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
                    let range = crate::position::LineMap::new(&target_text).range(e.range, enc);
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
        // Ignoring a diagnostic of SQL inline, last among its fixes.
        let sql_blocks: Vec<syntax::text::TextRange> = analysis
            .project
            .file_id(&rel)
            .map(|fid| {
                let df = &analysis.project.files[fid].datafile;
                df.nodes
                    .iter()
                    .filter_map(|n| n.sql.as_ref())
                    .chain(df.forward_query.as_ref())
                    .map(|s| syntax::text::TextRange::new(s.keyword_range.end, s.range.end))
                    .collect()
            })
            .unwrap_or_default();
        for d in found {
            if d.range.end < start || d.range.start > end {
                continue;
            }
            let Some(fix) = analysis::suppress::ignore_fix(&text, &sql_blocks, d) else {
                continue;
            };
            let converted = convert_one(d);
            if converted.is_empty() {
                continue;
            }
            let edits = fix
                .edits
                .iter()
                .map(|e| lsp::TextEdit {
                    range: map.range(e.range, enc),
                    new_text: e.new_text.clone(),
                })
                .collect();
            out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: fix.title,
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: Some(converted),
                edit: Some(lsp::WorkspaceEdit {
                    changes: Some(HashMap::from([(uri.clone(), edits)])),
                    ..Default::default()
                }),
                is_preferred: Some(false),
                ..Default::default()
            }));
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
        let diagnostic_of = |offer: &actions::offers::Offer| {
            offer.fixes.and_then(|(code, r)| {
                let d = here.iter().find(|d| d.code == code && d.range == r)?;
                Some(convert_one(d))
            })
        };
        // Offered now, computed when the client resolves the action: when it resolves edits
        // lazily and can apply any change (else the action is worked out now, to show it
        // disabled with the reason when it cannot be applied).
        let lazy = self.negotiated.as_ref().is_some_and(|n| {
            n.resolve_edit && n.edit_caps.document_changes && n.edit_caps.resource_operations
        });
        if lazy {
            for (k, offer) in offers.iter().enumerate() {
                out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                    title: offer.title.clone(),
                    kind: Some(offer_kind(offer)),
                    diagnostics: diagnostic_of(offer),
                    is_preferred: Some(offer.preferred),
                    data: Some(json!({
                        "uri": uri.as_str(),
                        "range": range,
                        "offer": k,
                    })),
                    ..Default::default()
                }));
            }
            return out;
        }
        let clock = self.clock(i);
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
                            crate::migrate::code_action(offer, result, files, enc, caps, None),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (k, action) in results {
            let Some(mut action) = action else { continue };
            action.diagnostics = diagnostic_of(&offers[k]);
            out.push(lsp::CodeActionOrCommand::CodeAction(action));
        }
        out
    }

    /// `codeAction/resolve`: works out the edit of a migration step offered lazily (its
    /// `data` names the place and the offer). The project may have changed since: the offer
    /// is looked up again and must still have the same title. A step that cannot be carried
    /// out comes back disabled with the reason (and the reason is shown).
    pub fn resolve_code_action(&mut self, mut action: lsp::CodeAction) -> lsp::CodeAction {
        let Some(data) = action.data.take() else {
            return action;
        };
        let target = (|| {
            let uri: Uri = data.get("uri")?.as_str()?.parse().ok()?;
            let range: lsp::Range = serde_json::from_value(data.get("range")?.clone()).ok()?;
            let k = data.get("offer")?.as_u64()? as usize;
            Some((uri, range, k))
        })();
        let Some((uri, range, k)) = target else {
            return action;
        };
        self.flush();
        let found = (|| {
            let path = file_path(&uri)?;
            let i = self.project_of(&path)?;
            let slot = &self.projects[i];
            let rel = relative(&slot.root, &path)?;
            let analysis = slot.db.analysis()?;
            let text = self.text_of(slot, &path, &rel)?;
            let map = crate::position::LineMap::new(&text);
            let enc = self.encoding();
            let (start, end) = (map.offset(range.start, enc), map.offset(range.end, enc));
            let empty = Vec::new();
            let here: Vec<syntax::diagnostics::Diagnostic> = analysis
                .diagnostics
                .get(&rel)
                .unwrap_or(&empty)
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
            let offer = offers
                .get(k)
                .filter(|o| o.title == action.title)
                .or_else(|| offers.iter().find(|o| o.title == action.title))?
                .clone();
            Some((i, offer))
        })();
        let Some((i, offer)) = found else {
            let reason =
                "the project changed since this action was offered: ask for the actions again"
                    .to_string();
            self.show_error(&reason);
            action.disabled = Some(lsp::CodeActionDisabled { reason });
            return action;
        };
        let clock = self.clock(i);
        let resolved = self.with_action_files(i, |ws, files, caps, enc| {
            let result = actions::run(ws, &offer.request, clock).map_err(|e| e.to_string());
            let reason = result.as_ref().err().cloned();
            let caps = crate::migrate::EditCaps {
                disabled_support: true,
                ..caps
            };
            (
                crate::migrate::code_action(&offer, result, files, enc, caps, None),
                reason,
            )
        });
        match resolved {
            Some((Some(done), reason)) => {
                if let Some(reason) =
                    reason.or_else(|| done.disabled.as_ref().map(|d| d.reason.clone()))
                {
                    self.show_error(&reason);
                }
                lsp::CodeAction {
                    diagnostics: action.diagnostics,
                    is_preferred: action.is_preferred,
                    ..done
                }
            }
            _ => action,
        }
    }

    /// Tells the user why an action they chose did nothing.
    fn show_error(&self, reason: &str) {
        self.out.send(crate::outbox::Outgoing::Message {
            typ: lsp::MessageType::ERROR,
            text: format!("Tinybird: {reason}"),
            show: true,
        });
    }

    /// Runs `f` with what the migration actions read and write for project `i`: the project
    /// and files as the editor sees them, and what the client can apply.
    pub(super) fn with_action_files<R>(
        &self,
        i: usize,
        f: impl FnOnce(
            &actions::Workspace,
            &crate::migrate::Files,
            crate::migrate::EditCaps,
            PositionEncoding,
        ) -> R,
    ) -> Option<R> {
        let slot = &self.projects[i];
        let analysis = slot.db.analysis()?;
        let read = |p: &str| self.read_project_file(slot, p);
        let uri_of = |p: &Path| self.uri_of(p);
        let version = |p: &Path| self.docs.get(p).map(|d| d.version);
        let files = crate::migrate::Files {
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
    /// (The configuration file's delay applies while the setting keeps its default.)
    pub(super) fn clock(&self, i: usize) -> actions::add_column::Clock {
        let file = self.projects[i]
            .config
            .as_ref()
            .and_then(|c| c.cutoff_delay_minutes);
        let setting = self.settings.cutoff_delay_minutes;
        actions::add_column::Clock {
            now: self.now(i).unwrap_or(0),
            cutoff_delay_minutes: match file {
                Some(m) if setting == crate::config::Settings::default().cutoff_delay_minutes => m,
                _ => setting,
            },
        }
    }

    /// A project file's text as the editor sees it: the open buffer, the analysed text, or
    /// the disk (files the project model does not hold, such as `.tinyenv`).
    pub(super) fn read_project_file(&self, slot: &ProjectSlot, rel: &str) -> Option<Arc<str>> {
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
                    crate::migrate::MIGRATE_COMMAND
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
        let clock = self.clock(i);
        let (edit, change) = self
            .with_action_files(i, |ws, files, caps, enc| {
                let change =
                    actions::run(ws, &request, clock).map_err(|e| (e.message, e.choices))?;
                let edit = crate::migrate::workspace_edit(&change, files, enc, caps)
                    .map_err(|e| (e, Vec::<String>::new()))?;
                Ok::<_, (String, Vec<String>)>((edit, change))
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
}
