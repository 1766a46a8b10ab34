//! Selection ranges: from the word at the cursor outwards through brackets of the SQL, the
//! line, the SQL text, the block, the node, to the whole file.

use super::{file_index, NodeSql};
use project::model::Project;
use syntax::sql::lexer::TokenKind;
use syntax::text::TextRange;
use tree_sitter::Tree;

/// Ranges containing `offset`, innermost first, each containing the previous one. `tree`:
/// the file's tree-sitter tree (its blocks and NODE sections).
pub fn selection_ranges(
    p: &Project,
    path: &str,
    text: &str,
    tree: &Tree,
    offset: usize,
) -> Vec<TextRange> {
    let offset = super::floor_char_boundary(text, offset);
    let mut out: Vec<TextRange> = Vec::new();
    let mut push = |r: TextRange| {
        if r.start <= offset
            && offset <= r.end
            && out
                .last()
                .is_none_or(|l: &TextRange| r.start <= l.start && l.end <= r.end && r != *l)
        {
            out.push(r);
        }
    };
    let word = {
        let b = text.as_bytes();
        let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        let mut s = offset;
        while s > 0 && is_word(b[s - 1]) {
            s -= 1;
        }
        let mut e = offset;
        while e < b.len() && is_word(b[e]) {
            e += 1;
        }
        TextRange::new(s, e)
    };
    if !word.is_empty() {
        push(word);
    }
    let node = file_index(p, path).and_then(|fi| {
        let f = &p.files[fi];
        f.datafile.nodes.iter().zip(&f.node_sql).find(|(n, _)| {
            n.range.contains(offset) || n.sql.as_ref().is_some_and(|s| s.range.contains(offset))
        })
    });
    if let Some((n, ns)) = node {
        if let Some(sql) = n.sql.as_ref().filter(|s| s.range.contains(offset)) {
            let view = NodeSql::new(&ns.map);
            // Brackets around the cursor, innermost first.
            let mut stack: Vec<usize> = Vec::new();
            let mut groups: Vec<TextRange> = Vec::new();
            for t in &view.tokens {
                match t.kind {
                    TokenKind::LParen | TokenKind::LBracket => stack.push(t.range.start),
                    TokenKind::RParen | TokenKind::RBracket => {
                        if let Some(start) = stack.pop() {
                            let r = ns.map.range_to_file(TextRange::new(start, t.range.end));
                            if r.start <= offset && offset <= r.end {
                                groups.push(r);
                            }
                        }
                    }
                    _ => {}
                }
            }
            groups.sort_by_key(|r| r.len());
            for g in groups {
                if g.len() > 2 {
                    push(TextRange::new(g.start + 1, g.end - 1));
                }
                push(g);
            }
            let body = ns.map.range_to_file(TextRange::new(0, ns.map.text.len()));
            push(body);
            push(sql.range);
        } else {
            let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
            push(TextRange::new(line_start, line_end));
        }
        // The blocks (`SCHEMA >`, `SQL >`, ...) and the NODE section holding the cursor.
        let mut blocks: Vec<TextRange> = super::folding::ranges(tree, text)
            .into_iter()
            .filter(|r| r.start <= offset && offset <= r.end)
            .collect();
        blocks.sort_by_key(|r| r.len());
        for b in blocks {
            push(b);
        }
        push(n.range);
    } else {
        let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
        push(TextRange::new(line_start, line_end));
    }
    push(TextRange::new(0, text.len()));
    out
}
