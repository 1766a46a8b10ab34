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

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub range: TextRange,
    pub severity: Severity,
    /// Stable, documented code (see docs/rules/).
    pub code: &'static str,
    pub message: String,
    pub related: Vec<Related>,
}

impl Diagnostic {
    pub fn error(code: &'static str, range: TextRange, message: impl Into<String>) -> Self {
        Diagnostic {
            range,
            severity: Severity::Error,
            code,
            message: message.into(),
            related: Vec::new(),
        }
    }
    pub fn warning(code: &'static str, range: TextRange, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, range, message)
        }
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
