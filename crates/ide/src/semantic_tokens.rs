//! Semantic tokens: datafile keywords, resource and node names, columns, types, functions,
//! SQL keywords, literals, comments and template code, for highlighting that knows what a
//! name is (a column or a table), beyond what a grammar can tell.

use super::catalogue;
use super::columns::{self, unquoted_name};
use super::{file_index, resource_of_file, NodeSql};
use project::model::NodeId;
use project::model::{Project, ResourceKind, Target};
use std::collections::HashSet;
use syntax::reader::{self, ReadOptions, Statement};
use syntax::sql::lexer::TokenKind;
use syntax::text::TextRange;

/// Token types, in the order of the legend the server announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TokenType {
    Keyword,
    /// A datasource, pipe or connection.
    Class,
    /// A node.
    Namespace,
    /// A column.
    Property,
    Type,
    Function,
    /// Template delimiters `{{ }}`, `{% %}`.
    Macro,
    /// A template parameter.
    Parameter,
    String,
    Number,
    Comment,
}

impl TokenType {
    pub const ALL: [TokenType; 11] = [
        TokenType::Keyword,
        TokenType::Class,
        TokenType::Namespace,
        TokenType::Property,
        TokenType::Type,
        TokenType::Function,
        TokenType::Macro,
        TokenType::Parameter,
        TokenType::String,
        TokenType::Number,
        TokenType::Comment,
    ];
    /// The LSP name of the type.
    pub fn name(self) -> &'static str {
        match self {
            TokenType::Keyword => "keyword",
            TokenType::Class => "class",
            TokenType::Namespace => "namespace",
            TokenType::Property => "property",
            TokenType::Type => "type",
            TokenType::Function => "function",
            TokenType::Macro => "macro",
            TokenType::Parameter => "parameter",
            TokenType::String => "string",
            TokenType::Number => "number",
            TokenType::Comment => "comment",
        }
    }
    pub fn index(self) -> u32 {
        TokenType::ALL.iter().position(|t| *t == self).unwrap_or(0) as u32
    }
}

/// Modifier bits: 1 = declaration.
pub const DECLARATION: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemanticToken {
    pub range: TextRange,
    pub ty: TokenType,
    pub modifiers: u32,
}

/// The tokens of a file, sorted, not overlapping, none spanning lines.
pub fn semantic_tokens(p: &Project, path: &str, text: &str) -> Vec<SemanticToken> {
    let Some(fi) = file_index(p, path) else {
        return Vec::new();
    };
    let f = &p.files[fi];
    let df = &f.datafile;
    let mut out: Vec<SemanticToken> = Vec::new();
    let mut push = |range: TextRange, ty: TokenType, modifiers: u32| {
        if !range.is_empty()
            && text
                .get(range.start..range.end)
                .is_some_and(|t| !t.contains('\n'))
        {
            out.push(SemanticToken {
                range,
                ty,
                modifiers,
            });
        }
    };
    // Keyword lines and comments, as the official line reader sees them.
    let read = reader::read(
        text,
        &ReadOptions {
            dialect: df.dialect,
            kind: df.kind,
            base_dir: "",
            loader: None,
        },
    );
    let mut keyword_lines = HashSet::new();
    for st in &read.statements {
        let (Statement::Command { line, keyword, .. } | Statement::Block { line, keyword, .. }) =
            st;
        keyword_lines.insert(*line);
        if syntax::keywords::is_keyword(df.dialect, df.kind, &keyword.text.to_lowercase()) {
            push(keyword.range, TokenType::Keyword, 0);
        }
    }
    for l in &read.lines {
        if l.origin.is_none() && l.text.trim_start().starts_with('#') {
            let lead = l.text.len() - l.text.trim_start().len();
            push(
                TextRange::new(l.range.start + lead, l.range.end),
                TokenType::Comment,
                0,
            );
        }
    }
    let ri = resource_of_file(p, fi);
    let is_pipe = ri.is_some_and(|r| p.resources[r].kind == ResourceKind::Pipe);
    for (ni, n) in df.nodes.iter().enumerate() {
        if is_pipe && !n.name_range.is_empty() {
            push(n.name_range, TokenType::Namespace, DECLARATION);
        }
        if let Some(schema) = &n.schema {
            for c in &schema.columns {
                push(
                    unquoted_name(c.name_range, &c.name),
                    TokenType::Property,
                    DECLARATION,
                );
                push(c.type_range, TokenType::Type, 0);
            }
        }
        if let Some(ns) = f.node_sql.get(ni) {
            let node = ri.filter(|_| is_pipe).map(|r| NodeId::new(r, ni));
            sql_tokens(p, &NodeSql::new(&ns.map), node, &mut push);
        }
    }
    if let Some(fq) = &df.forward_query {
        sql_tokens(p, &NodeSql::new(&fq.text), None, &mut push);
    }
    // References to resources and nodes (SQL tables, DATASOURCE values, ...).
    for e in p.edges.iter().filter(|e| &*e.path == path) {
        let ty = match e.target {
            Target::Node(_) => TokenType::Namespace,
            _ => TokenType::Class,
        };
        push(e.range, ty, 0);
    }
    out.sort_by_key(|t| (t.range.start, std::cmp::Reverse(t.range.end)));
    // Later (more specific) classifications of the same range win; overlaps are dropped.
    let mut result: Vec<SemanticToken> = Vec::with_capacity(out.len());
    for t in out {
        match result.last_mut() {
            Some(last) if last.range == t.range => *last = t,
            Some(last) if t.range.start < last.range.end => {}
            _ => result.push(t),
        }
    }
    result
}

fn sql_tokens(
    p: &Project,
    sql: &NodeSql,
    node: Option<NodeId>,
    push: &mut impl FnMut(TextRange, TokenType, u32),
) {
    let mut column_names: HashSet<String> = HashSet::new();
    if let Some(NodeId {
        pipe: ri,
        index: ni,
    }) = node
    {
        for owner in columns::owners_in_node(p, ri, ni) {
            let sources = columns::sources_of(p, owner).into_iter().map(|(o, _)| o);
            for o in sources.chain([owner]) {
                column_names.extend(columns::columns_of(p, o).into_iter().map(|c| c.name));
            }
        }
    }
    for r in &sql.tags {
        let fr = sql.map.range_to_file(*r);
        push(TextRange::new(fr.start, fr.start + 2), TokenType::Macro, 0);
        // The closing `}}` / `%}`, when the tag is closed.
        let closed = sql
            .text()
            .get(r.start..r.end)
            .is_some_and(|t| t.len() >= 4 && (t.ends_with("}}") || t.ends_with("%}")));
        if closed {
            push(TextRange::new(fr.end - 2, fr.end), TokenType::Macro, 0);
        }
    }
    for (i, t) in sql.tokens.iter().enumerate() {
        let range = sql.map.range_to_file(t.range);
        let in_tag = sql.in_tag(t.range.start + 1).is_some();
        let call = sql.next_kind(i) == Some(TokenKind::LParen);
        let word = sql.word(t);
        match t.kind {
            TokenKind::String => push(range, TokenType::String, 0),
            TokenKind::Number => push(range, TokenType::Number, 0),
            TokenKind::Word | TokenKind::QuotedIdent if in_tag => {
                if call {
                    push(range, TokenType::Function, 0);
                } else if catalogue::TEMPLATE_STATEMENTS.contains(&word) {
                    push(range, TokenType::Keyword, 0);
                } else if sql.is_template_param(i) {
                    push(range, TokenType::Parameter, 0);
                }
            }
            TokenKind::Word | TokenKind::QuotedIdent => {
                if call && catalogue::resolve_function(word).is_some() {
                    push(range, TokenType::Function, 0);
                } else if column_names.contains(word) {
                    push(range, TokenType::Property, 0);
                } else if t.kind == TokenKind::Word && is_sql_keyword(word) {
                    push(range, TokenType::Keyword, 0);
                }
            }
            _ => {}
        }
    }
}

fn is_sql_keyword(word: &str) -> bool {
    const MORE: &[&str] = &[
        "BY",
        "ALL",
        "ANY",
        "ARRAY",
        "LEFT",
        "RIGHT",
        "INNER",
        "OUTER",
        "FULL",
        "CROSS",
        "GLOBAL",
        "IS",
        "NULL",
        "NULLS",
        "FIRST",
        "LAST",
        "ILIKE",
        "EXISTS",
        "TOTALS",
        "ROLLUP",
        "CUBE",
        "TRUE",
        "FALSE",
        "SEMI",
        "ANTI",
        "ASOF",
        "PASTE",
        "WINDOW",
        "OVER",
        "PARTITION",
        "ROWS",
        "RANGE",
        "PRECEDING",
        "FOLLOWING",
        "CURRENT",
        "ROW",
        "UNBOUNDED",
        "FILL",
        "STEP",
        "TO",
        "TIES",
        "SAMPLE",
        "QUALIFY",
        "DAY",
        "HOUR",
        "MINUTE",
        "SECOND",
        "WEEK",
        "MONTH",
        "YEAR",
        "QUARTER",
    ];
    let upper = word.to_ascii_uppercase();
    catalogue::sql_keyword(&upper).is_some_and(|(k, _)| k.split(' ').next() == Some(&upper))
        || MORE.contains(&upper.as_str())
}
