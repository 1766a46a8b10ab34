//! Diagnostics: what the core reports, with exact ranges. No LSP types here.

use crate::text::TextRange;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
    Hint,
}

/// A location in another file (or another place in the same file) that explains a diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    /// Path relative to the project root; `None` means the diagnostic's own file.
    pub path: Option<String>,
    pub range: TextRange,
    pub message: String,
}

/// Replace `range` with `new_text` in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    /// Path relative to the project root; `None` means the diagnostic's own file.
    pub path: Option<String>,
    pub range: TextRange,
    pub new_text: String,
}

/// A quick fix: a title and the edits that carry it out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub edits: Vec<TextEdit>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub range: TextRange,
    pub severity: Severity,
    /// Stable, documented code (see docs/rules/).
    pub code: &'static str,
    pub message: String,
    pub related: Vec<Related>,
    /// Quick fixes, best first.
    pub fixes: Vec<Fix>,
}

impl Diagnostic {
    pub fn new(
        severity: Severity,
        code: &'static str,
        range: TextRange,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            range,
            severity,
            code,
            message: message.into(),
            related: Vec::new(),
            fixes: Vec::new(),
        }
    }
    pub fn error(code: &'static str, range: TextRange, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Error, code, range, message)
    }
    pub fn warning(code: &'static str, range: TextRange, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Warning, code, range, message)
    }
    pub fn info(code: &'static str, range: TextRange, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Info, code, range, message)
    }
    pub fn hint(code: &'static str, range: TextRange, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Hint, code, range, message)
    }
    pub fn with_fix(mut self, title: impl Into<String>, edits: Vec<TextEdit>) -> Self {
        self.fixes.push(Fix {
            title: title.into(),
            edits,
        });
        self
    }

    /// The diagnostic moved from file `own_path` to `range` of another file: related places
    /// and edits that meant "this file" name `own_path` explicitly.
    pub fn moved_from(mut self, own_path: &str, range: TextRange) -> Self {
        self.range = range;
        for r in &mut self.related {
            r.path.get_or_insert_with(|| own_path.to_string());
        }
        for e in self.fixes.iter_mut().flat_map(|f| &mut f.edits) {
            e.path.get_or_insert_with(|| own_path.to_string());
        }
        self
    }

    pub fn with_related(
        mut self,
        path: Option<String>,
        range: TextRange,
        message: impl Into<String>,
    ) -> Self {
        self.related.push(Related {
            path,
            range,
            message: message.into(),
        });
        self
    }
}
