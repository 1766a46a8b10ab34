//! `textDocument/foldingRange`: every NODE section and every block (`SQL >`, `SCHEMA >`, ...)
//! that spans more than one line, from the document's tree-sitter tree.

use super::position::{LineMap, PositionEncoding};
use crate::text::TextRange;
use tower_lsp_server::ls_types::FoldingRange;
use tree_sitter::Tree;

pub fn ranges(tree: &Tree, text: &str, enc: PositionEncoding) -> Vec<FoldingRange> {
    let map = LineMap::new(text);
    let mut out = Vec::new();
    crate::syntax::tree::for_each_node(tree, |n| {
        if matches!(n.kind(), "node_section" | "block") {
            // A block's text ends with its last line's newline: fold up to the line before.
            let end = text[..n.end_byte().min(text.len())].trim_end().len();
            let r = map.range(TextRange::new(n.start_byte(), end.max(n.start_byte())), enc);
            if r.end.line > r.start.line {
                out.push(FoldingRange {
                    start_line: r.start.line,
                    start_character: None,
                    end_line: r.end.line,
                    end_character: None,
                    kind: None,
                    collapsed_text: None,
                });
            }
        }
    });
    out
}
