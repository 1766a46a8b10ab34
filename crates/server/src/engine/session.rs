//! The session: open documents, the projects they belong to, settings.

use super::*;

impl Engine {
    pub(super) fn open(&mut self, p: lsp::DidOpenTextDocumentParams) {
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

    pub(super) fn change(&mut self, p: lsp::DidChangeTextDocumentParams) {
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

    pub(super) fn close(&mut self, p: lsp::DidCloseTextDocumentParams) {
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
    pub(super) fn set_text(&mut self, path: &Path, text: Arc<str>) {
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

    pub(super) fn remove_path(&mut self, path: &Path) {
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

    /// The project a path belongs to: the one with the longest root above it.
    pub(super) fn project_of(&self, path: &Path) -> Option<usize> {
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
    pub(super) fn project_for_new_file(&mut self, path: &Path) -> Option<usize> {
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

    pub(super) fn add_project(&mut self, root: PathBuf, db: ProjectDb) {
        tracing::info!(
            "project {} ({} files, {})",
            root.display(),
            db.file_count(),
            db.dialect().reason
        );
        let config = self.read_config(&root);
        self.projects.push(ProjectSlot {
            root,
            db,
            dirty: true,
            unpublished: None,
            config,
            base: Default::default(),
        });
        self.apply_config(self.projects.len() - 1);
        self.refresh_base(self.projects.len() - 1);
    }

    /// The `tinybird-lsp.toml` of the project at `root` (its folder or the nearest parent),
    /// read; its problems are shown once.
    fn read_config(&self, root: &Path) -> Option<Arc<analysis::config::Config>> {
        let file = disk::find_config(root)?;
        let text = match disk::read_text(&file) {
            Ok(t) => t,
            Err(e) => {
                self.warn_settings(&[format!("{}: {e}", file.display())]);
                return None;
            }
        };
        let (config, problems) = analysis::config::Config::parse(&text);
        if !problems.is_empty() {
            let problems: Vec<String> = problems
                .iter()
                .map(|p| format!("{}: {p}", file.display()))
                .collect();
            self.warn_settings(&problems);
        }
        Some(Arc::new(config))
    }

    /// Gives project `i`'s database its configuration with the editor's settings laid over it:
    /// the editor's rule levels and dialect win over the file's.
    pub(super) fn apply_config(&mut self, i: usize) {
        let slot = &mut self.projects[i];
        let file = slot.config.as_deref();
        slot.db
            .set_dialect_override(self.settings.dialect.or(file.and_then(|c| c.dialect)));
        let effective = match file {
            None if self.settings.rules.is_empty() => None,
            _ => {
                let mut c = file.cloned().unwrap_or_default();
                c.rules
                    .extend(self.settings.rules.iter().map(|(k, v)| (k.clone(), *v)));
                Some(Arc::new(c))
            }
        };
        slot.db.set_config(effective);
        slot.dirty = true;
    }

    pub(super) fn apply_open_docs(&mut self) {
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

    pub(super) fn watched(&mut self, p: lsp::DidChangeWatchedFilesParams) {
        let mut git_moved = false;
        for change in p.changes {
            let Some(path) = file_path(&change.uri) else {
                continue;
            };
            if is_git_state(&path) {
                // HEAD, a ref or the index: the deploy base may have moved.
                git_moved = true;
                continue;
            }
            if change.typ != lsp::FileChangeType::DELETED {
                self.make_executable_if_pending(&path);
            }
            if path
                .file_name()
                .is_some_and(|n| n == analysis::config::FILE_NAME)
            {
                // The configuration of every project at or below its folder.
                let dir = path.parent().unwrap_or(Path::new("/")).to_path_buf();
                for i in 0..self.projects.len() {
                    if self.projects[i].root.starts_with(&dir) {
                        self.projects[i].config = self.read_config(&self.projects[i].root.clone());
                        self.apply_config(i);
                    }
                }
                self.schedule();
                continue;
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
        if git_moved {
            self.refresh_bases();
        }
    }

    pub(super) fn configure(&mut self, v: &Value) {
        let (settings, problems) = Settings::from_json(v);
        if !problems.is_empty() {
            self.warn_settings(&problems);
        }
        let reconfigure =
            settings.dialect != self.settings.dialect || settings.rules != self.settings.rules;
        let rebase = settings.dialect != self.settings.dialect
            || settings.deploy_base != self.settings.deploy_base;
        let republish = settings.rules != self.settings.rules
            || settings.docs_base_url != self.settings.docs_base_url;
        self.settings = settings;
        if reconfigure {
            for i in 0..self.projects.len() {
                self.apply_config(i);
            }
        }
        if rebase {
            for s in &mut self.projects {
                // Read again: another revision, or the same files in another dialect.
                s.base.resolved = None;
                s.db.set_base(None);
                s.dirty = true;
            }
            self.refresh_bases();
        }
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

    pub(super) fn warn_settings(&self, problems: &[String]) {
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

    pub(super) fn text_of(&self, slot: &ProjectSlot, path: &Path, rel: &str) -> Option<Arc<str>> {
        match self.docs.get(path) {
            Some(d) => Some(d.shared_text()),
            None => slot.db.text(rel),
        }
    }

    pub(super) fn uri_of(&self, path: &Path) -> Option<Uri> {
        self.uris
            .get(path)
            .cloned()
            .or_else(|| Uri::from_file_path(path))
    }
}
