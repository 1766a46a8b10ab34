//! `textDocument/hover`, `definition`, `references` and `documentHighlight` over
//! [`ide`].

use super::engine::FileContext;
use ide::{self, Located};
use tower_lsp_server::ls_types as lsp;

fn locate(cx: &FileContext, pos: lsp::Position) -> Option<Located> {
    ide::locate::locate(cx.project, &cx.rel, &cx.text, cx.offset(pos))
}

/// The hover of what is at `pos`, and below it, on a change the deploy plan lists, how the
/// resource deploys and why.
pub fn hover(cx: &FileContext, pos: lsp::Position) -> Option<lsp::Hover> {
    let offset = cx.offset(pos);
    let located = locate(cx, pos);
    let symbol = ide::hover::hover_at(cx.project, &cx.rel, located.as_ref(), offset);
    let deploy = cx
        .plan
        .and_then(|plan| ide::deploy::hover(plan, &cx.rel, offset));
    let (range, markdown) = match (symbol, deploy) {
        (Some((r, md)), Some((_, deploy))) => (r, format!("{md}\n\n---\n\n{deploy}")),
        (Some(s), None) => s,
        (None, Some(d)) => d,
        (None, None) => return None,
    };
    Some(lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: markdown,
        }),
        range: Some(cx.range(range)),
    })
}

pub fn definition(cx: &FileContext, pos: lsp::Position) -> Option<lsp::GotoDefinitionResponse> {
    let l = locate(cx, pos)?;
    let sites = ide::navigation::definition(cx.project, &l);
    let locations = cx.locations(&sites);
    (!locations.is_empty()).then_some(lsp::GotoDefinitionResponse::Array(locations))
}

pub fn references(
    cx: &FileContext,
    pos: lsp::Position,
    include_declaration: bool,
) -> Option<Vec<lsp::Location>> {
    let l = locate(cx, pos)?;
    let sites: Vec<ide::Site> = ide::navigation::references(cx.project, &cx.rel, &l)
        .into_iter()
        .filter(|(_, def)| include_declaration || !def)
        .map(|(s, _)| s)
        .collect();
    Some(cx.locations(&sites))
}

pub fn highlights(cx: &FileContext, pos: lsp::Position) -> Option<Vec<lsp::DocumentHighlight>> {
    let l = locate(cx, pos)?;
    Some(
        ide::navigation::highlights(cx.project, &cx.rel, &l)
            .into_iter()
            .map(|(r, def)| lsp::DocumentHighlight {
                range: cx.range(r),
                kind: Some(if def {
                    lsp::DocumentHighlightKind::WRITE
                } else {
                    lsp::DocumentHighlightKind::READ
                }),
            })
            .collect(),
    )
}
