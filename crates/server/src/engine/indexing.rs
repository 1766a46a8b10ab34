//! Indexing: workspace folders walked and loaded into projects.

use super::*;

impl Engine {
    pub(super) fn change_folders(&mut self, change: lsp::WorkspaceFoldersChangeEvent) {
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

    pub(super) fn index_workspace(&mut self) {
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
    pub(super) fn walk(&self, root: &Path) -> Vec<String> {
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
    pub(super) fn index_folders(
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
}
