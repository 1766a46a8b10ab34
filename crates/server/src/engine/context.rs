//! [`FileContext`]: what an editor-feature request works on.

use super::*;

/// What an editor-feature request works on: the file's project model and text (analysed:
/// pending edits are flushed first), with conversions between LSP positions and the core's
/// byte offsets, in this file and in any other file of the project.
pub struct FileContext<'a> {
    engine: &'a Engine,
    slot: usize,
    pub project: &'a project::model::Project,
    /// The deploy plan, when the project has a base.
    pub plan: Option<&'a analysis::deploy::Plan>,
    /// Relative to the project root.
    pub rel: String,
    pub text: Arc<str>,
    pub enc: PositionEncoding,
}

impl<'a> FileContext<'a> {
    pub fn offset(&self, pos: lsp::Position) -> usize {
        crate::position::LineMap::new(&self.text).offset(pos, self.enc)
    }
    pub fn range(&self, r: syntax::text::TextRange) -> lsp::Range {
        crate::position::LineMap::new(&self.text).range(r, self.enc)
    }
    /// The absolute path of a project path (an INCLUDE target may already be absolute).
    pub fn path_of(&self, rel: &str) -> PathBuf {
        let p = Path::new(rel);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.engine.projects[self.slot].root.join(rel)
        }
    }
    pub fn uri_of(&self, rel: &str) -> Option<Uri> {
        self.engine.uri_of(&self.path_of(rel))
    }
    pub fn settings(&self) -> &Settings {
        &self.engine.settings
    }
    /// The version of the editor's open document at a project path (`None`: not open).
    pub fn open_version(&self, rel: &str) -> Option<i32> {
        self.engine.docs.get(&self.path_of(rel)).map(|d| d.version)
    }
    /// The file's tree-sitter tree: the open document's, else parsed from the text.
    pub fn tree(&self) -> Option<tree_sitter::Tree> {
        match self
            .engine
            .docs
            .get(&self.path_of(&self.rel))
            .and_then(|d| d.tree())
        {
            Some(t) => Some(t.clone()),
            None => syntax::tree::parse_tree(&self.text, None),
        }
    }
    /// Whether a project path is inside the project's folder (`..` resolved as written).
    pub fn inside_root(&self, rel: &str) -> bool {
        let path = self.path_of(rel);
        let mut parts: Vec<std::path::Component> = Vec::new();
        for c in path.components() {
            match c {
                std::path::Component::ParentDir => {
                    if parts.pop().is_none() {
                        return false;
                    }
                }
                std::path::Component::CurDir => {}
                c => parts.push(c),
            }
        }
        parts
            .iter()
            .collect::<PathBuf>()
            .starts_with(&self.engine.projects[self.slot].root)
    }
    /// The text of a project file as the editor sees it (open documents first).
    pub fn text_of(&self, rel: &str) -> Option<Arc<str>> {
        let slot = &self.engine.projects[self.slot];
        let abs = self.path_of(rel);
        let rel = relative(&slot.root, &abs).unwrap_or_else(|| rel.to_string());
        self.engine.text_of(slot, &abs, &rel)
    }
    /// LSP locations of sites, converting each file's positions once.
    pub fn locations(&self, sites: &[ide::Site]) -> Vec<lsp::Location> {
        let mut texts: HashMap<&str, Arc<str>> = HashMap::new();
        let mut out = Vec::new();
        for s in sites {
            // A file the project no longer has: its sites point at its start.
            let text = texts
                .entry(&s.path)
                .or_insert_with(|| {
                    if *s.path == *self.rel {
                        self.text.clone()
                    } else {
                        self.text_of(&s.path).unwrap_or_else(|| Arc::from(""))
                    }
                })
                .clone();
            let Some(uri) = self.uri_of(&s.path) else {
                continue;
            };
            let range = crate::position::LineMap::new(&text).range(s.range, self.enc);
            out.push(lsp::Location { uri, range });
        }
        out
    }
}

impl Engine {
    /// The context of a request on `uri`, when the file belongs to an analysed project.
    pub fn file_context(&mut self, uri: &Uri) -> Option<FileContext<'_>> {
        self.flush();
        let path = file_path(uri)?;
        let slot = self.project_of(&path)?;
        let this: &Engine = self;
        let s = &this.projects[slot];
        let rel = relative(&s.root, &path)?;
        let analysis = s.db.analysis()?;
        let text = this.text_of(s, &path, &rel)?;
        Some(FileContext {
            engine: this,
            slot,
            project: &analysis.project,
            plan: analysis.plan.as_deref(),
            rel,
            text,
            enc: this.encoding(),
        })
    }

    /// Every analysed project, for workspace-wide requests.
    pub fn project_contexts(&mut self) -> Vec<FileContext<'_>> {
        self.flush();
        let this: &Engine = self;
        let mut out = Vec::new();
        for (slot, s) in this.projects.iter().enumerate() {
            if let Some(analysis) = s.db.analysis() {
                out.push(FileContext {
                    engine: this,
                    slot,
                    project: &analysis.project,
                    plan: analysis.plan.as_deref(),
                    rel: String::new(),
                    text: Arc::from(""),
                    enc: this.encoding(),
                });
            }
        }
        out
    }
}
