//! `textDocument/foldingRange`: the ranges of [`ide::folding`] that span more than one
//! line.

use super::position::{LineMap, PositionEncoding};
use tower_lsp_server::ls_types::FoldingRange;
use tree_sitter::Tree;

pub fn ranges(tree: &Tree, text: &str, enc: PositionEncoding) -> Vec<FoldingRange> {
    let map = LineMap::new(text);
    ide::folding::ranges(tree, text)
        .into_iter()
        .map(|r| map.range(r, enc))
        .filter(|r| r.end.line > r.start.line)
        .map(|r| FoldingRange {
            start_line: r.start.line,
            start_character: None,
            end_line: r.end.line,
            end_character: None,
            kind: None,
            collapsed_text: None,
        })
        .collect()
}
