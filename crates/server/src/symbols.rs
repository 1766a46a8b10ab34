//! `textDocument/documentSymbol` and `workspace/symbol` over [`ide::symbols`].

use super::engine::FileContext;
use ide::symbols::{self, DocumentSymbol, SymbolKind};
use tower_lsp_server::ls_types as lsp;

fn kind(k: SymbolKind) -> lsp::SymbolKind {
    match k {
        SymbolKind::Datasource => lsp::SymbolKind::STRUCT,
        SymbolKind::Pipe => lsp::SymbolKind::CLASS,
        SymbolKind::Connection => lsp::SymbolKind::INTERFACE,
        SymbolKind::Node => lsp::SymbolKind::FUNCTION,
        SymbolKind::Column => lsp::SymbolKind::FIELD,
        SymbolKind::Setting => lsp::SymbolKind::PROPERTY,
        SymbolKind::Token => lsp::SymbolKind::KEY,
    }
}

#[allow(deprecated)] // `deprecated` is a required field of the LSP type
fn convert(cx: &FileContext, s: DocumentSymbol) -> lsp::DocumentSymbol {
    let range = cx.range(s.range.cover(s.selection));
    lsp::DocumentSymbol {
        name: if s.name.is_empty() {
            "(unnamed)".into()
        } else {
            s.name
        },
        detail: s.detail,
        kind: kind(s.kind),
        tags: None,
        deprecated: None,
        range,
        selection_range: cx.range(s.selection),
        children: (!s.children.is_empty())
            .then(|| s.children.into_iter().map(|c| convert(cx, c)).collect()),
    }
}

pub fn document_symbols(cx: &FileContext) -> Option<lsp::DocumentSymbolResponse> {
    let list = symbols::document_symbols(cx.project, &cx.rel);
    Some(lsp::DocumentSymbolResponse::Nested(
        list.into_iter().map(|s| convert(cx, s)).collect(),
    ))
}

/// At most this many symbols per answer.
const LIMIT: usize = 500;

#[allow(deprecated)]
pub fn workspace_symbols(cxs: &[FileContext], query: &str) -> Vec<lsp::SymbolInformation> {
    let mut out = Vec::new();
    for cx in cxs {
        for s in symbols::workspace_symbols(cx.project, query, LIMIT.saturating_sub(out.len())) {
            if let Some(location) = cx.locations(std::slice::from_ref(&s.site)).pop() {
                out.push(lsp::SymbolInformation {
                    name: s.name,
                    kind: kind(s.kind),
                    tags: None,
                    deprecated: None,
                    location,
                    container_name: s.container,
                });
            }
        }
    }
    out
}
