//! Analysis after the debounce and publishing: push (only what changed) and pull
//! (`textDocument/diagnostic`, `workspace/diagnostic`).

use super::*;

impl Engine {
    /// Analyses every dirty project and publishes what changed. With `rx`, a run is dropped
    /// (and redone after the debounce) when documents changed while it ran.
    pub(super) fn analyze_dirty(&mut self, rx: Option<&Receiver<Msg>>) {
        for i in 0..self.projects.len() {
            if !self.projects[i].dirty {
                continue;
            }
            let started = Instant::now();
            let now = self.now(i);
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

    pub(super) fn publish_project(&mut self, i: usize) {
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
}
