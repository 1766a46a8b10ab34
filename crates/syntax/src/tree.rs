//! The tree-sitter tree of a datafile (`grammar/`), for editor features and structure checks.

use tree_sitter::{Parser, Tree};

pub fn language() -> tree_sitter::Language {
    tree_sitter_tinybird::LANGUAGE.into()
}

/// Parses `text` with the tree-sitter grammar. `None` only if tree-sitter itself gives up
/// (it does not on valid UTF-8 input; kept as an Option rather than a panic).
pub fn parse_tree(text: &str, old: Option<&Tree>) -> Option<Tree> {
    let mut parser = Parser::new();
    parser.set_language(&language()).ok()?;
    parser.parse(text, old)
}

/// Calls `f` on every node of `tree`, in document order (pre-order).
pub fn for_each_node(tree: &Tree, mut f: impl FnMut(tree_sitter::Node)) {
    let mut cursor = tree.walk();
    'walk: loop {
        f(cursor.node());
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
}
