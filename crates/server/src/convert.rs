//! Core diagnostics to LSP diagnostics: positions in the negotiated encoding, per-rule
//! severity overrides and disabled rules from the settings, related locations as URIs.

use super::config::{RuleLevel, Settings};
use super::position::{LineMap, PositionEncoding};
use std::collections::HashMap;
use std::sync::Arc;
use syntax::diagnostics::{Diagnostic, Severity};
use tower_lsp_server::ls_types::{self as lsp, Uri};

/// Resolves a related location's path (relative to the project root) to its URI and text.
pub type OtherFile<'a> = &'a dyn Fn(&str) -> Option<(Uri, Arc<str>)>;

pub fn severity(s: Severity) -> lsp::DiagnosticSeverity {
    match s {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
        Severity::Hint => lsp::DiagnosticSeverity::HINT,
    }
}

/// Converts one file's diagnostics (`text`: the file's text; `own`: its URI).
pub fn diagnostics(
    found: &[Diagnostic],
    text: &str,
    own: Option<&Uri>,
    enc: PositionEncoding,
    settings: &Settings,
    other: OtherFile,
) -> Vec<lsp::Diagnostic> {
    let map = LineMap::new(text);
    let mut others: HashMap<&str, Option<(Uri, Arc<str>)>> = HashMap::new();
    let mut out = Vec::with_capacity(found.len());
    for d in found {
        let level = match settings.level(d.code, d.severity) {
            RuleLevel::Off => continue,
            RuleLevel::Severity(s) => s,
        };
        let mut related = Vec::new();
        for r in &d.related {
            let location = match &r.path {
                None => own.map(|uri| lsp::Location {
                    uri: uri.clone(),
                    range: map.range(r.range, enc),
                }),
                Some(path) => others
                    .entry(path.as_str())
                    .or_insert_with(|| other(path))
                    .as_ref()
                    .map(|(uri, t)| lsp::Location {
                        uri: uri.clone(),
                        range: LineMap::new(t).range(r.range, enc),
                    }),
            };
            if let Some(location) = location {
                related.push(lsp::DiagnosticRelatedInformation {
                    location,
                    message: r.message.clone(),
                });
            }
        }
        out.push(lsp::Diagnostic {
            range: map.range(d.range, enc),
            severity: Some(severity(level)),
            code: Some(lsp::NumberOrString::String(d.code.to_string())),
            code_description: settings
                .docs_base_url
                .as_ref()
                .zip(analysis::registry::code(d.code))
                .and_then(|(base, code)| format!("{base}{}", code.doc_path()).parse().ok())
                .map(|href| lsp::CodeDescription { href }),
            source: Some("tinybird".into()),
            message: d.message.clone(),
            related_information: (!related.is_empty()).then_some(related),
            tags: None,
            data: None,
        });
    }
    out
}
