//! `textDocument/formatting` over [`ide::format`] (SQL keywords too with the
//! `format.sqlKeywords` setting): one edit covering what changed.

use super::engine::FileContext;
use ide::format::{format_with, minimal_edit, FormatOptions};
use syntax::FileKind;
use tower_lsp_server::ls_types as lsp;

pub fn format_document(cx: &FileContext) -> Option<Vec<lsp::TextEdit>> {
    let kind = FileKind::detect(&cx.rel, &cx.text)?;
    let opts = FormatOptions {
        sql_keywords: cx.settings().format_sql_keywords,
    };
    let formatted = format_with(&cx.text, cx.project.dialect, kind, opts);
    Some(match minimal_edit(&cx.text, &formatted) {
        None => Vec::new(),
        Some((start, end, new_text)) => vec![lsp::TextEdit {
            range: cx.range(syntax::text::TextRange::new(start, end)),
            new_text,
        }],
    })
}
