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
pub mod deploy;
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

/// How a template declares a parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamDeclaration {
    /// The type function (`Int32`, `DateTime`, `Array`).
    pub ty: String,
    pub default: Option<String>,
    pub description: Option<String>,
    pub required: bool,
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
    /// Indices of word tokens that are SQL keywords by their place although they could be
    /// names elsewhere ([`keyword_uses`]): never a column or CTE.
    pub keywords: Vec<usize>,
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
        let tokens = lexer::tokenize(text);
        let keywords = keyword_uses(text, &tokens, &tags);
        NodeSql {
            map,
            tokens,
            tags,
            keywords,
        }
    }

    /// Whether token `i` is a keyword by its place (`END` of a `CASE`, an `INTERVAL` unit).
    pub fn is_keyword_use(&self, i: usize) -> bool {
        self.keywords.binary_search(&i).is_ok()
    }

    pub fn text(&self) -> &str {
        &self.map.text
    }

    pub fn word(&self, t: &Token) -> &str {
        let r = self.word_range(t);
        &self.map.text[r.start..r.end]
    }

    /// A word token's range in the SQL text without the quotes of a quoted identifier.
    pub fn word_range(&self, t: &Token) -> TextRange {
        match t.kind {
            TokenKind::QuotedIdent => syntax::sql::lexer::inner_range(&self.map.text, t),
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

    /// The declarations of template parameter `name`: calls of a template function with it as
    /// first argument (`Int32(limit, 10, description="Rows", required=True)`).
    pub fn param_declarations(&self, name: &str) -> Vec<ParamDeclaration> {
        let text = &self.map.text;
        let mut out = Vec::new();
        for (i, t) in self.tokens.iter().enumerate() {
            if t.kind != TokenKind::Word
                || self.word(t) != name
                || self.prev_kind(i) != Some(TokenKind::LParen)
                || i < 2
                || self.in_tag(t.range.start + 1).is_none()
            {
                continue;
            }
            let f = &self.tokens[i - 2];
            let Some(func) = catalogue::template_function(self.word(f)) else {
                continue;
            };
            if f.kind != TokenKind::Word
                || !func
                    .name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_uppercase())
            {
                continue; // a type function: Int32, String, DateTime, Array, ...
            }
            // The arguments after the name, split at top-level commas.
            let mut args: Vec<TextRange> = Vec::new();
            let mut depth = 0usize;
            let mut start: Option<usize> = None;
            let mut j = i + 1;
            while let Some(a) = self.tokens.get(j) {
                match a.kind {
                    TokenKind::LParen | TokenKind::LBracket => depth += 1,
                    TokenKind::RParen | TokenKind::RBracket if depth > 0 => depth -= 1,
                    TokenKind::RParen => break,
                    TokenKind::Comma if depth == 0 => {
                        if let Some(s) = start.take() {
                            args.push(TextRange::new(s, self.tokens[j - 1].range.end));
                        }
                        j += 1;
                        continue;
                    }
                    _ => {}
                }
                start.get_or_insert(a.range.start);
                j += 1;
            }
            if let Some(s) = start {
                args.push(TextRange::new(s, self.tokens[j - 1].range.end));
            }
            let mut d = ParamDeclaration {
                ty: func.name.to_string(),
                default: None,
                description: None,
                required: false,
            };
            for (k, a) in args.iter().enumerate() {
                let arg = text.get(a.start..a.end).unwrap_or("").trim();
                let unquote = |v: &str| v.trim().trim_matches(['"', '\'']).to_string();
                match arg
                    .split_once('=')
                    .filter(|(key, _)| columns::is_identifier(key.trim()))
                {
                    Some((key, v)) if key.trim() == "description" => {
                        d.description = Some(unquote(v))
                    }
                    Some((key, v)) if key.trim() == "required" => d.required = v.trim() == "True",
                    Some((key, v)) if key.trim() == "default" => {
                        d.default = Some(v.trim().to_string())
                    }
                    Some(_) => {}
                    None if k == 0 => d.default = Some(arg.to_string()),
                    None => {}
                }
            }
            out.push(d);
        }
        out
    }

    /// Where column `name` is written in the default of a template `column(param, 'name')` or
    /// `columns(param, 'a,name')` (SQL ranges, inside the string): the column the query reads
    /// when the parameter is not given.
    pub fn template_column_defaults(&self, name: &str) -> Vec<TextRange> {
        let mut out = Vec::new();
        for (i, t) in self.tokens.iter().enumerate() {
            let w = self.word(t);
            if t.kind != TokenKind::Word
                || !(w == "column" || w == "columns")
                || self.next_kind(i) != Some(TokenKind::LParen)
                || self.in_tag(t.range.start + 1).is_none()
            {
                continue;
            }
            // column ( param , 'default' )
            let (Some(comma), Some(lit)) = (self.tokens.get(i + 3), self.tokens.get(i + 4)) else {
                continue;
            };
            if comma.kind != TokenKind::Comma || lit.kind != TokenKind::String {
                continue;
            }
            let text = lit.text(&self.map.text);
            let Some(inner) = text
                .strip_prefix(['\'', '"'])
                .and_then(|x| x.strip_suffix(['\'', '"']))
            else {
                continue;
            };
            let mut at = lit.range.start + 1;
            for part in inner.split(',') {
                let lead = part.len() - part.trim_start().len();
                if part.trim() == name {
                    let start = at + lead;
                    out.push(TextRange::new(start, start + name.len()));
                }
                at += part.len() + 1;
            }
        }
        out
    }

    /// Words naming column `name` (SQL ranges): bare or quoted identifiers that are not
    /// function names, table references or template code.
    pub fn column_words(&self, name: &str, analysis: Option<&SqlAnalysis>) -> Vec<TextRange> {
        let tables: Vec<TextRange> = analysis
            .map(|a| a.tables.iter().map(|t| t.range).collect())
            .unwrap_or_default();
        // `WITH expr AS name`: outside its own expression, `name` is that value, not a column.
        let scalar_exprs: Vec<TextRange> = analysis
            .map(|a| {
                a.ctes
                    .iter()
                    .filter(|c| c.name == name)
                    .filter_map(|c| c.expr)
                    .collect()
            })
            .unwrap_or_default();
        let mut out = Vec::new();
        for (i, t) in self.tokens.iter().enumerate() {
            if !matches!(t.kind, TokenKind::Word | TokenKind::QuotedIdent)
                || self.word(t) != name
                || self.next_kind(i) == Some(TokenKind::LParen)
                || self.in_tag(t.range.start + 1).is_some()
                || self.is_keyword_use(i)
                || (!scalar_exprs.is_empty()
                    && !scalar_exprs
                        .iter()
                        .any(|e| e.start <= t.range.start && t.range.end <= e.end))
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

use syntax::sql::scopes::INTERVAL_UNITS;

fn is_interval_unit(word: &str) -> bool {
    let w = word.to_ascii_lowercase();
    let w = w.strip_suffix('s').unwrap_or(&w);
    INTERVAL_UNITS.contains(&w)
}

/// Word tokens (indices, sorted) that ClickHouse reads as keywords because of where they are,
/// although the same word can name a column elsewhere in the query: `ORDER`, `GROUP` and
/// `PARTITION` before `BY`, the `END` closing a
/// `CASE` (not an operand after `WHEN`, `THEN`, `ELSE` or an operator), the unit of
/// `INTERVAL <operand> <unit>` (the operand a literal, a name, a parenthesised expression or a
/// template tag) and the part of `EXTRACT(<part> FROM …)`. Words inside template tags are
/// never listed.
pub fn keyword_uses(text: &str, tokens: &[Token], tags: &[TextRange]) -> Vec<usize> {
    let word = |i: usize| -> Option<&str> {
        let t = tokens.get(i)?;
        (t.kind == TokenKind::Word).then(|| t.text(text))
    };
    let is = |i: usize, k: &str| word(i).is_some_and(|w| w.eq_ignore_ascii_case(k));
    // The tag holding each token, in one pass (tokens and tags are both in text order).
    let mut holding: Vec<Option<TextRange>> = Vec::with_capacity(tokens.len());
    let mut k = 0;
    for t in tokens {
        while tags.get(k).is_some_and(|r| r.end < t.range.end) {
            k += 1;
        }
        holding.push(
            tags.get(k)
                .copied()
                .filter(|r| r.start <= t.range.start && t.range.end <= r.end),
        );
    }
    let tag_of = |i: usize| holding.get(i).copied().flatten();
    // Whether token `i` ends an operand (so a following END closes the CASE).
    let ends_operand = |i: usize| -> bool {
        let Some(t) = tokens.get(i) else {
            return false;
        };
        match t.kind {
            TokenKind::Number
            | TokenKind::String
            | TokenKind::QuotedIdent
            | TokenKind::RParen
            | TokenKind::RBracket
            | TokenKind::RBrace => true,
            TokenKind::Word => ![
                "case", "when", "then", "else", "and", "or", "not", "is", "in",
            ]
            .iter()
            .any(|k| t.text(text).eq_ignore_ascii_case(k)),
            _ => false,
        }
    };
    let mut out = Vec::new();
    let mut case_depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        if tag_of(i).is_some() {
            i += 1;
            continue;
        }
        if ["order", "group", "partition"].iter().any(|k| is(i, k)) && is(i + 1, "by") {
            // `ORDER BY`: a column may be named `order` (`ecm.order`, `AS order`).
            out.push(i);
        } else if is(i, "case") {
            case_depth += 1;
        } else if is(i, "end") && case_depth > 0 && i > 0 && ends_operand(i - 1) {
            case_depth -= 1;
            out.push(i);
        } else if is(i, "interval") {
            // Skip one operand, then a unit word is the unit.
            let mut j = i + 1;
            match tokens.get(j).map(|t| t.kind) {
                _ if tag_of(j).is_some() => {
                    let tag = tag_of(j);
                    while j < tokens.len() && tag_of(j) == tag {
                        j += 1;
                    }
                }
                Some(TokenKind::LParen) => {
                    let mut depth = 0usize;
                    while let Some(t) = tokens.get(j) {
                        match t.kind {
                            TokenKind::LParen => depth += 1,
                            TokenKind::RParen => depth = depth.saturating_sub(1),
                            _ => {}
                        }
                        j += 1;
                        if depth == 0 {
                            break;
                        }
                    }
                }
                Some(TokenKind::Op)
                    if tokens.get(j + 1).map(|t| t.kind) == Some(TokenKind::Number) =>
                {
                    j += 2;
                }
                Some(
                    TokenKind::Number
                    | TokenKind::String
                    | TokenKind::Word
                    | TokenKind::QuotedIdent,
                ) => j += 1,
                _ => {}
            }
            if j > i + 1 && word(j).is_some_and(is_interval_unit) && tag_of(j).is_none() {
                out.push(j);
            }
        } else if is(i, "extract")
            && tokens.get(i + 1).map(|t| t.kind) == Some(TokenKind::LParen)
            && word(i + 2).is_some_and(is_interval_unit)
            && is(i + 3, "from")
        {
            out.push(i + 2);
        }
        i += 1;
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uses(sql: &str) -> Vec<&str> {
        let tokens = lexer::tokenize(sql);
        let tags: Vec<TextRange> = syntax::template::tags(sql)
            .into_iter()
            .map(|(r, _, _)| r)
            .collect();
        keyword_uses(sql, &tokens, &tags)
            .into_iter()
            .map(|i| tokens[i].text(sql))
            .collect()
    }

    #[test]
    fn keywords_by_place() {
        assert_eq!(
            uses("SELECT CASE WHEN a THEN end ELSE end END AS x"),
            ["END"]
        );
        assert_eq!(
            uses("SELECT CASE end WHEN 1 THEN 2 END, end FROM t"),
            ["END"]
        );
        assert_eq!(
            uses("SELECT CASE WHEN a THEN CASE WHEN b THEN 1 END + 1 END"),
            ["END", "END"]
        );
        assert_eq!(uses("SELECT end FROM t WHERE end > 1"), Vec::<&str>::new());
        assert_eq!(
            uses("SELECT day FROM t WHERE ts > now() - INTERVAL 1 day AND day > 2"),
            ["day"]
        );
        assert_eq!(uses("SELECT ts + INTERVAL {{ Int8(n, 1) }} DAY"), ["DAY"]);
        assert_eq!(uses("SELECT ts + INTERVAL (n + 1) hours"), ["hours"]);
        assert_eq!(uses("SELECT ts + INTERVAL '1 day'"), Vec::<&str>::new());
        assert_eq!(uses("SELECT EXTRACT(day FROM ts), day"), ["day"]);
        assert_eq!(uses("{% if x %} {% end %} SELECT end"), Vec::<&str>::new());
        assert_eq!(
            uses("SELECT e.order FROM t AS e group by e.order order BY e.order"),
            ["group", "order"]
        );
    }
}
