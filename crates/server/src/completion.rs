//! `textDocument/completion` over [`ide::completion`].

use super::engine::FileContext;
use ide::completion::{self, ItemKind};
use tower_lsp_server::ls_types as lsp;

fn kind(k: ItemKind) -> lsp::CompletionItemKind {
    match k {
        ItemKind::Keyword => lsp::CompletionItemKind::KEYWORD,
        ItemKind::Datasource => lsp::CompletionItemKind::STRUCT,
        ItemKind::Pipe => lsp::CompletionItemKind::CLASS,
        ItemKind::Node => lsp::CompletionItemKind::MODULE,
        ItemKind::Connection => lsp::CompletionItemKind::INTERFACE,
        ItemKind::Cte => lsp::CompletionItemKind::MODULE,
        ItemKind::Column => lsp::CompletionItemKind::FIELD,
        ItemKind::Function => lsp::CompletionItemKind::FUNCTION,
        ItemKind::TemplateFunction => lsp::CompletionItemKind::FUNCTION,
        ItemKind::Parameter => lsp::CompletionItemKind::VARIABLE,
        ItemKind::Type => lsp::CompletionItemKind::TYPE_PARAMETER,
        ItemKind::Engine => lsp::CompletionItemKind::ENUM_MEMBER,
        ItemKind::Value => lsp::CompletionItemKind::VALUE,
        ItemKind::File => lsp::CompletionItemKind::FILE,
    }
}

pub fn complete(
    cx: &FileContext,
    pos: lsp::Position,
    snippets: bool,
) -> Option<lsp::CompletionResponse> {
    let c = completion::complete(cx.project, &cx.rel, &cx.text, cx.offset(pos));
    let replace = cx.range(c.replace);
    let items = c
        .items
        .into_iter()
        .map(|i| {
            let (text, format) = match (&i.snippet, snippets) {
                (Some(s), true) => (s.clone(), lsp::InsertTextFormat::SNIPPET),
                _ => (i.label.clone(), lsp::InsertTextFormat::PLAIN_TEXT),
            };
            lsp::CompletionItem {
                label: i.label.clone(),
                kind: Some(kind(i.kind)),
                detail: i.detail.clone(),
                documentation: i.documentation.clone().map(|d| {
                    lsp::Documentation::MarkupContent(lsp::MarkupContent {
                        kind: lsp::MarkupKind::Markdown,
                        value: d,
                    })
                }),
                sort_text: Some(format!("{}{}", i.rank, i.label.to_ascii_lowercase())),
                filter_text: Some(i.label.clone()),
                insert_text_format: Some(format),
                text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit {
                    range: replace,
                    new_text: text,
                })),
                ..Default::default()
            }
        })
        .collect();
    Some(lsp::CompletionResponse::List(lsp::CompletionList {
        is_incomplete: c.incomplete,
        items,
    }))
}
