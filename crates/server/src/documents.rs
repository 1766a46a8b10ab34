//! Open documents: the text the editor has (a rope, edited incrementally), its version, and its
//! tree-sitter tree, re-parsed incrementally after every change.

use super::position::{column_to_byte, PositionEncoding};
use ropey::Rope;
use std::sync::Arc;
use tower_lsp_server::ls_types::{Position, TextDocumentContentChangeEvent};
use tree_sitter::{InputEdit, Parser, Point, Tree};

pub struct Document {
    rope: Rope,
    /// The rope as a string, refreshed after each notification (the core reads `&str`), shared
    /// with the project database without copying.
    text: Arc<str>,
    pub version: i32,
    pub language_id: String,
    tree: Option<Tree>,
}

impl Document {
    pub fn new(text: String, version: i32, language_id: String, parser: &mut Parser) -> Self {
        let tree = parser.parse(&text, None);
        Document {
            rope: Rope::from_str(&text),
            text: Arc::from(text),
            version,
            language_id,
            tree,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text, shared.
    pub fn shared_text(&self) -> Arc<str> {
        self.text.clone()
    }

    pub fn tree(&self) -> Option<&Tree> {
        self.tree.as_ref()
    }

    /// Applies one `didChange` notification's changes, in order, then re-parses the tree
    /// incrementally.
    pub fn apply(
        &mut self,
        changes: &[TextDocumentContentChangeEvent],
        version: i32,
        enc: PositionEncoding,
        parser: &mut Parser,
    ) {
        for change in changes {
            match change.range {
                None => {
                    self.rope = Rope::from_str(&change.text);
                    self.tree = None;
                }
                Some(range) => {
                    let start = self.char_index(range.start, enc);
                    let end = self.char_index(range.end, enc).max(start);
                    let start_byte = self.rope.char_to_byte(start);
                    let old_end_byte = self.rope.char_to_byte(end);
                    let start_position = self.point(start_byte);
                    let old_end_position = self.point(old_end_byte);
                    self.rope.remove(start..end);
                    self.rope.insert(start, &change.text);
                    let new_end_byte = start_byte + change.text.len();
                    let new_end_position = self.point(new_end_byte);
                    if let Some(tree) = &mut self.tree {
                        tree.edit(&InputEdit {
                            start_byte,
                            old_end_byte,
                            new_end_byte,
                            start_position,
                            old_end_position,
                            new_end_position,
                        });
                    }
                }
            }
        }
        self.version = version;
        self.text = Arc::from(self.rope.to_string());
        self.tree = parser.parse(&*self.text, self.tree.as_ref());
    }

    /// The char index of an LSP position in the rope (clamped to the line, then to the text).
    fn char_index(&self, pos: Position, enc: PositionEncoding) -> usize {
        let line = pos.line as usize;
        if line >= self.rope.len_lines() {
            return self.rope.len_chars();
        }
        let start = self.rope.line_to_char(line);
        let line_text = self.rope.line(line).to_string();
        let content = line_text.trim_end_matches(['\n', '\r']);
        let byte = column_to_byte(content, pos.character as usize, enc);
        start + content[..byte].chars().count()
    }

    /// The tree-sitter point (row by `\n` only, column in bytes) of a byte offset.
    fn point(&self, byte: usize) -> Point {
        let before = self.rope.byte_slice(..byte);
        let mut row = 0;
        let mut line_start = 0;
        for (i, b) in before.bytes().enumerate() {
            if b == b'\n' {
                row += 1;
                line_start = i + 1;
            }
        }
        Point::new(row, byte - line_start)
    }

    /// Whether the incrementally maintained tree equals a fresh parse (for the stress test).
    pub fn tree_matches_fresh_parse(&self, parser: &mut Parser) -> bool {
        let fresh = parser.parse(&*self.text, None);
        match (&self.tree, fresh) {
            (Some(a), Some(b)) => signature(a) == signature(&b),
            (None, None) => true,
            _ => false,
        }
    }
}

/// Every node's kind and byte range, in document order.
fn signature(tree: &Tree) -> Vec<(u16, usize, usize)> {
    let mut out = Vec::new();
    syntax::tree::for_each_node(tree, |n| {
        out.push((n.kind_id(), n.start_byte(), n.end_byte()))
    });
    out
}
