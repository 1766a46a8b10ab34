//! The tree-sitter grammar (editors) and the line reader (the model) must see the same structure:
//! on every corpus file the official Classic parser accepts, the tree has no error and its
//! blocks start and end on the same lines as the reader's Classic blocks.

mod common;

use serde_json::Value;
use syntax::reader::{self, Statement};
use syntax::text::LineIndex;
use syntax::tree::parse_tree;
use syntax::{Dialect, FileKind};

fn tree_blocks(text: &str) -> (Vec<(usize, usize)>, bool) {
    let tree = parse_tree(text, None).unwrap();
    let index = LineIndex::new(text);
    let mut out = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(n) = stack.pop() {
        if n.kind() == "block" {
            let last = n
                .child_by_field_name("body")
                .map_or(n.start_byte(), |b| b.end_byte().saturating_sub(1));
            out.push((index.line_of(n.start_byte()), index.line_of(last)));
        }
        for i in 0..n.child_count() {
            stack.push(n.child(i).unwrap());
        }
    }
    out.sort();
    (out, tree.root_node().has_error())
}

fn reader_blocks(text: &str, kind: FileKind) -> Vec<(usize, usize)> {
    let r = reader::read(
        text,
        &reader::ReadOptions {
            dialect: Dialect::Classic,
            kind,
            base_dir: "",
            loader: None,
        },
    );
    let index = LineIndex::new(text);
    let mut out: Vec<(usize, usize)> = r
        .statements
        .iter()
        .filter_map(|s| match s {
            Statement::Block { line, body, .. } => {
                let start = index.line_of(r.lines[*line].range.start);
                let end = body
                    .last()
                    .map_or(start, |b| index.line_of(r.lines[*b].range.start));
                Some((start, end))
            }
            _ => None,
        })
        .collect();
    out.sort();
    out
}

#[test]
fn tree_and_reader_agree_on_the_corpus() {
    let corpus = common::shared().join("corpus");
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in std::fs::read_to_string(corpus.join("VERDICTS.jsonl"))
        .unwrap()
        .lines()
    {
        let v: Value = serde_json::from_str(line).unwrap();
        if !v["classic"]["ok"].as_bool().unwrap() {
            continue;
        }
        let file = v["file"].as_str().unwrap();
        let text = std::fs::read_to_string(corpus.join(file)).unwrap();
        let kind = FileKind::detect(file, &text).unwrap();
        let (tree, has_error) = tree_blocks(&text);
        let ours = reader_blocks(&text, kind);
        checked += 1;
        if has_error {
            failures.push(format!("{file}: the tree has an error"));
        } else if tree != ours {
            failures.push(format!(
                "{file}: tree blocks {tree:?}, reader blocks {ours:?}"
            ));
        }
    }
    assert!(checked > 300);
    assert!(
        failures.is_empty(),
        "{} files differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
