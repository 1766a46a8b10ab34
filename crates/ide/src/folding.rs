//! Folding ranges: every NODE section and every block (`SQL >`, `SCHEMA >`, ...), from the
//! file's tree-sitter tree. Ranges end at the last non-blank character, so the line holding
//! the next section stays visible; the caller keeps those spanning more than one line.

use syntax::text::TextRange;
use tree_sitter::Tree;

pub fn ranges(tree: &Tree, text: &str) -> Vec<TextRange> {
    let mut out = Vec::new();
    syntax::tree::for_each_node(tree, |n| {
        if matches!(n.kind(), "node_section" | "block") {
            let start = n.start_byte().min(text.len());
            let end = text[..n.end_byte().min(text.len())].trim_end().len();
            out.push(TextRange::new(start, end.max(start)));
        }
    });
    out
}
