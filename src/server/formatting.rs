//! `textDocument/formatting` over [`crate::ide::format`]: one edit covering what changed.

use super::engine::FileContext;
use crate::ide::format::{format, minimal_edit};
use crate::syntax::FileKind;
use tower_lsp_server::ls_types as lsp;

pub fn format_document(cx: &FileContext) -> Option<Vec<lsp::TextEdit>> {
    let kind = FileKind::detect(&cx.rel, &cx.text)?;
    let formatted = format(&cx.text, cx.project.dialect, kind);
    Some(match minimal_edit(&cx.text, &formatted) {
        None => Vec::new(),
        Some((start, end, new_text)) => vec![lsp::TextEdit {
            range: cx.range(crate::text::TextRange::new(start, end)),
            new_text,
        }],
    })
}
