//! The everyday editor features over the project model, pure: hover, go to definition,
//! references, highlights, rename, completion, symbols, semantic tokens, folding and selection
//! ranges, document links, code lenses and formatting. Plain data in (the [`Project`], a file's path,
//! text and a byte offset), plain data out (byte ranges in files, markdown, edits); the server
//! converts to LSP types. Nothing here fails as a whole or panics on any input: a request that
//! finds nothing returns nothing.
//!
//! [`locate::locate`] says what the word at an offset denotes ([`Symbol`]); the features are
//! built on it.

mod catalogue;
pub mod code_lens;
mod columns;
pub mod completion;
pub mod folding;
pub mod format;
pub mod hover;
pub mod links;
pub mod locate;
pub mod navigation;
pub mod rename;
pub mod selection;
pub mod semantic_tokens;
mod sql_case;
pub mod symbols;

pub use columns::{ColumnOwner, Site};
use project::model::NodeId;
use project::model::Project;
use project::model::{FileId, ResourceId};
use syntax::block::MappedText;
use syntax::sql::lexer::{self, Token, TokenKind};
use syntax::sql::SqlAnalysis;
use syntax::text::TextRange;

/// What a name in a file denotes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Symbol {
    /// A datasource, pipe or connection (resource index).
    Resource(ResourceId),
    /// A node of a pipe (resource index, node index).
    Node(NodeId),
    Column(ColumnOwner, String),
    /// A CTE of a node: its name and where it is defined (file range).
    Cte(String, Site),
    /// A ClickHouse function as written (`uniqIfState`).
    Function(String),
    TemplateFunction(&'static str),
    /// A template parameter of a file (`{{ Int32(limit, 10) }}`).
    TemplateParam(String),
    DatafileKeyword(&'static str),
    SqlKeyword(&'static str),
    Engine(&'static str),
    /// An INCLUDE path, resolved as the loader reads it.
    Include(String),
}

/// A symbol found at a position: where its word is.
#[derive(Clone, Debug)]
pub struct Located {
    pub symbol: Symbol,
    /// The word's range in the file.
    pub range: TextRange,
}

/// The nearest character boundary at or before `i` (offsets from clients may be anywhere).
pub fn floor_char_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The project file at `path` (index into `project.files`).
pub fn file_index(p: &Project, path: &str) -> Option<FileId> {
    p.file_id(path)
}

/// The resource a file defines (not a Classic datasource created by a pipe's ENGINE).
pub fn resource_of_file(p: &Project, file: FileId) -> Option<ResourceId> {
    p.resources
        .iter_enumerated()
        .find(|(_, r)| r.file == file && r.defined_by_file())
        .map(|(i, _)| i)
}

/// A node's SQL as the features read it: its tokens and template tags, with ranges in the SQL
/// text (map them to the file with the node's [`MappedText`]).
pub struct NodeSql<'a> {
    pub map: &'a MappedText,
    pub tokens: Vec<Token>,
    /// `{{ }}`, `{% %}` and `{# #}` tags (templates only).
    pub tags: Vec<TextRange>,
}

impl<'a> NodeSql<'a> {
    pub fn new(map: &'a MappedText) -> NodeSql<'a> {
        let text = &map.text;
        let tags = if text.trim_start().starts_with('%') {
            syntax::template::tags(text)
                .into_iter()
                .map(|(r, _, _)| r)
                .collect()
        } else {
            Vec::new()
        };
        NodeSql {
            map,
            tokens: lexer::tokenize(text),
            tags,
        }
    }

    pub fn text(&self) -> &str {
        &self.map.text
    }

    pub fn word(&self, t: &Token) -> &str {
        let w = t.text(&self.map.text);
        match t.kind {
            TokenKind::QuotedIdent if w.len() >= 2 => &w[1..w.len() - 1],
            _ => w,
        }
    }

    /// A word token's range in the SQL text without the quotes of a quoted identifier.
    pub fn word_range(&self, t: &Token) -> TextRange {
        match t.kind {
            TokenKind::QuotedIdent if t.range.len() >= 2 => {
                TextRange::new(t.range.start + 1, t.range.end - 1)
            }
            _ => t.range,
        }
    }

    pub fn in_tag(&self, offset: usize) -> Option<TextRange> {
        self.tags
            .iter()
            .copied()
            .find(|r| r.start < offset && offset < r.end.max(r.start + 1))
            .or_else(|| {
                // An unclosed tag at the end of the text still holds the cursor.
                self.tags
                    .iter()
                    .copied()
                    .find(|r| r.start < offset && r.end == self.map.text.len() && offset == r.end)
            })
    }

    /// The token at a file offset: the one containing it, else the one ending there.
    pub fn token_at_file(&self, offset: usize) -> Option<usize> {
        let mut ending = None;
        for (i, t) in self.tokens.iter().enumerate() {
            let r = self.map.range_to_file(t.range);
            if r.contains(offset) {
                return Some(i);
            }
            if r.end == offset && matches!(t.kind, TokenKind::Word | TokenKind::QuotedIdent) {
                ending = Some(i);
            }
        }
        ending
    }

    /// Whether token `i` is a template parameter: a bare word inside a tag, not called, not an
    /// attribute (`x.y`) and not a word of the template language (`if`, `and`, ...).
    pub fn is_template_param(&self, i: usize) -> bool {
        let Some(t) = self.tokens.get(i) else {
            return false;
        };
        t.kind == TokenKind::Word
            && self.in_tag(t.range.start + 1).is_some()
            && self.next_kind(i) != Some(TokenKind::LParen)
            && self.prev_kind(i) != Some(TokenKind::Dot)
            && !catalogue::TEMPLATE_STATEMENTS.contains(&self.word(t))
    }

    /// `q` when the word at SQL offset `at` is written `q.word`.
    pub fn qualifier_at(&self, at: usize) -> Option<&str> {
        let i = self
            .tokens
            .partition_point(|t| t.range.end <= at)
            .min(self.tokens.len().saturating_sub(1));
        if self.prev_kind(i) != Some(TokenKind::Dot) || i < 2 {
            return None;
        }
        let q = &self.tokens[i - 2];
        matches!(q.kind, TokenKind::Word | TokenKind::QuotedIdent).then(|| self.word(q))
    }

    pub fn next_kind(&self, i: usize) -> Option<TokenKind> {
        self.tokens.get(i + 1).map(|t| t.kind)
    }

    pub fn prev_kind(&self, i: usize) -> Option<TokenKind> {
        i.checked_sub(1)
            .and_then(|j| self.tokens.get(j))
            .map(|t| t.kind)
    }

    /// Words naming column `name` (SQL ranges): bare or quoted identifiers that are not
    /// function names, table references or template code.
    pub fn column_words(&self, name: &str, analysis: Option<&SqlAnalysis>) -> Vec<TextRange> {
        let tables: Vec<TextRange> = analysis
            .map(|a| a.tables.iter().map(|t| t.range).collect())
            .unwrap_or_default();
        let mut out = Vec::new();
        for (i, t) in self.tokens.iter().enumerate() {
            if !matches!(t.kind, TokenKind::Word | TokenKind::QuotedIdent)
                || self.word(t) != name
                || self.next_kind(i) == Some(TokenKind::LParen)
                || self.in_tag(t.range.start + 1).is_some()
                || tables
                    .iter()
                    .any(|r| r.start <= t.range.start && t.range.end <= r.end)
            {
                continue;
            }
            out.push(self.word_range(t));
        }
        out
    }
}
