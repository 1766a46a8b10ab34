//! `textDocument/semanticTokens/full` over [`ide::semantic_tokens`]: the legend and the
//! relative encoding of the LSP.

use super::engine::FileContext;
use ide::semantic_tokens::{self, TokenType};
use tower_lsp_server::ls_types as lsp;

pub fn legend() -> lsp::SemanticTokensLegend {
    lsp::SemanticTokensLegend {
        token_types: TokenType::ALL
            .iter()
            .map(|t| lsp::SemanticTokenType::new(t.name()))
            .collect(),
        token_modifiers: vec![lsp::SemanticTokenModifier::DECLARATION],
    }
}

pub fn full(cx: &FileContext) -> Option<lsp::SemanticTokensResult> {
    let tokens = semantic_tokens::semantic_tokens(cx.project, &cx.rel, &cx.text);
    let map = super::position::LineMap::new(&cx.text);
    let mut data = Vec::with_capacity(tokens.len());
    let (mut line, mut col) = (0u32, 0u32);
    for t in tokens {
        let r = map.range(t.range, cx.enc);
        if r.start.line != r.end.line || r.end.character <= r.start.character {
            continue;
        }
        let delta_line = r.start.line - line;
        let delta_start = if delta_line == 0 {
            r.start.character - col
        } else {
            r.start.character
        };
        data.push(lsp::SemanticToken {
            delta_line,
            delta_start,
            length: r.end.character - r.start.character,
            token_type: t.ty.index(),
            token_modifiers_bitset: t.modifiers,
        });
        line = r.start.line;
        col = r.start.character;
    }
    Some(lsp::SemanticTokensResult::Tokens(lsp::SemanticTokens {
        result_id: None,
        data,
    }))
}
