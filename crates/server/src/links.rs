//! `textDocument/documentLink` (INCLUDE paths) and `textDocument/codeLens` (readers and
//! targets of a resource) over [`ide`].

use super::engine::FileContext;
use serde_json::json;
use tower_lsp_server::ls_types as lsp;

/// The client command a lens runs: the VS Code extension and the Neovim plugin show the
/// locations it carries (uri, position, locations).
pub const SHOW_REFERENCES_COMMAND: &str = "tinybird.showReferences";

pub fn document_links(cx: &FileContext) -> Option<Vec<lsp::DocumentLink>> {
    Some(
        ide::links::document_links(cx.project, &cx.rel)
            .into_iter()
            .filter_map(|(range, target)| {
                let uri = cx.uri_of(&target)?;
                Some(lsp::DocumentLink {
                    range: cx.range(range),
                    target: Some(uri),
                    tooltip: Some(format!("Open {target}")),
                    data: None,
                })
            })
            .collect(),
    )
}

pub fn code_lenses(cx: &FileContext, uri: &lsp::Uri) -> Option<Vec<lsp::CodeLens>> {
    let lens = ide::code_lens::code_lens(cx.project, &cx.rel)?;
    let start = lsp::Position::new(0, 0);
    let locations = cx.locations(&lens.sites);
    Some(vec![lsp::CodeLens {
        range: lsp::Range::new(start, start),
        command: Some(lsp::Command {
            title: lens.title,
            command: SHOW_REFERENCES_COMMAND.into(),
            arguments: Some(vec![json!(uri), json!(start), json!(locations)]),
        }),
        data: None,
    }])
}
