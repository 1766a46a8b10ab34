//! `textDocument/selectionRange` over [`ide::selection`].

use super::engine::FileContext;
use tower_lsp_server::ls_types as lsp;

pub fn selection_ranges(cx: &FileContext, positions: &[lsp::Position]) -> Vec<lsp::SelectionRange> {
    let Some(tree) = cx.tree() else {
        return Vec::new();
    };
    positions
        .iter()
        .map(|p| {
            let ranges = ide::selection::selection_ranges(
                cx.project,
                &cx.rel,
                &cx.text,
                &tree,
                cx.offset(*p),
            );
            let mut parent: Option<lsp::SelectionRange> = None;
            for r in ranges.iter().rev() {
                parent = Some(lsp::SelectionRange {
                    range: cx.range(*r),
                    parent: parent.map(Box::new),
                });
            }
            parent.unwrap_or(lsp::SelectionRange {
                range: lsp::Range::new(*p, *p),
                parent: None,
            })
        })
        .collect()
}
