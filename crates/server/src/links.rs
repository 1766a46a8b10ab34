//! `textDocument/documentLink` (INCLUDE paths) and `textDocument/codeLens` (readers and
//! targets of a resource) over [`ide`].

use super::engine::FileContext;
use serde_json::json;
use tower_lsp_server::ls_types as lsp;

/// The client command a lens runs: the VS Code extension and the Neovim plugin show the
/// locations it carries (uri, position, locations).
pub const SHOW_REFERENCES_COMMAND: &str = "tinybird.showReferences";

/// The client command the deploy lens runs: the VS Code extension and the Neovim plugin show
/// the plan of the project holding the file (its uri), from `tinybird/plan`.
pub const SHOW_DEPLOY_PLAN_COMMAND: &str = "tinybird.showDeployPlan";

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

/// The lenses at the top of a file: its readers and targets, and, when the deploy plan changes
/// the resource, how it deploys.
pub fn code_lenses(cx: &FileContext, uri: &lsp::Uri) -> Option<Vec<lsp::CodeLens>> {
    let start = lsp::Position::new(0, 0);
    let mut out = vec![];
    if let Some(lens) = ide::code_lens::code_lens(cx.project, &cx.rel) {
        let locations = cx.locations(&lens.sites);
        out.push(lsp::CodeLens {
            range: lsp::Range::new(start, start),
            command: Some(lsp::Command {
                title: lens.title,
                command: SHOW_REFERENCES_COMMAND.into(),
                arguments: Some(vec![json!(uri), json!(start), json!(locations)]),
            }),
            data: None,
        });
    }
    if let Some(title) = cx.plan.and_then(|p| ide::deploy::lens(p, &cx.rel)) {
        out.push(lsp::CodeLens {
            range: lsp::Range::new(start, start),
            command: Some(lsp::Command {
                title,
                command: SHOW_DEPLOY_PLAN_COMMAND.into(),
                arguments: Some(vec![json!(uri)]),
            }),
            data: None,
        });
    }
    (!out.is_empty()).then_some(out)
}
