//! Completion, aware of where the cursor is: datafile keywords at the start of a line (with
//! snippets for blocks), the values a keyword takes (node types, engines, datasources,
//! connections, columns for engine keys, INCLUDE paths), column types in SCHEMA, and in SQL:
//! tables after FROM/JOIN, columns of a table after `t.`, columns in scope, ClickHouse
//! functions with their combinators and SQL keywords; template functions and parameters inside
//! `{{ }}` and `{% %}`.

use super::catalogue::{self, ENGINES, NODE_TYPES};
use super::columns::{self, table_owner, ColumnOwner};
use super::{file_index, floor_char_boundary, resource_of_file, NodeSql};
use project::model::FileId;
use project::model::NodeId;
use project::model::ResourceId;
use project::model::{Project, ResourceKind};
use std::collections::HashSet;
use syntax::keywords::{forward_accepts_block, is_keyword, keywords_for};
use syntax::model::Datafile;
use syntax::sql::lexer::TokenKind;
use syntax::text::TextRange;
use syntax::{Dialect, FileKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Keyword,
    Datasource,
    Pipe,
    Node,
    Connection,
    Cte,
    Column,
    Function,
    TemplateFunction,
    Parameter,
    Type,
    Engine,
    Value,
    File,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub label: String,
    pub kind: ItemKind,
    pub detail: Option<String>,
    pub documentation: Option<String>,
    /// Snippet text (`$1`, `${1:name}`, `$0`) when it differs from the label.
    pub snippet: Option<String>,
    /// Lower sorts first.
    pub rank: u8,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Completions {
    /// The word the items replace.
    pub replace: TextRange,
    pub items: Vec<Item>,
    /// More items exist than were returned (functions are only listed once a prefix is typed).
    pub incomplete: bool,
}

fn item(label: impl Into<String>, kind: ItemKind, rank: u8) -> Item {
    Item {
        label: label.into(),
        kind,
        detail: None,
        documentation: None,
        snippet: None,
        rank,
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

pub fn complete(p: &Project, path: &str, text: &str, offset: usize) -> Completions {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let word_start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word_char(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let prefix = &text[word_start..offset];
    let mut out = Completions {
        replace: TextRange::new(word_start, offset),
        ..Default::default()
    };
    let Some(fi) = file_index(p, path) else {
        return out;
    };
    let f = &p.files[fi];
    let df = &f.datafile;
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..word_start];
    let indented = text[line_start..].starts_with([' ', '\t']);

    // The first word of a line at column 0: a keyword.
    if !indented && before.trim().is_empty() {
        keywords(df, &mut out);
        return out;
    }
    // `KEYWORD value`: the values the keyword takes.
    if !indented {
        let first = before
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if is_keyword(df.dialect, df.kind, &first) {
            keyword_values(p, fi, &first, prefix, &mut out);
            return out;
        }
    }
    match block_at(df, text, line_start) {
        Some(Block::Schema) => {
            schema_line(before, &mut out);
        }
        Some(Block::Sql) => {
            sql(p, fi, offset, word_start, prefix, &mut out);
        }
        Some(Block::Other) | None => {}
    }
    out
}

enum Block {
    Schema,
    Sql,
    Other,
}

/// The block an indented line belongs to: the nearest keyword line at column 0 above it.
fn block_at(df: &Datafile, text: &str, line_start: usize) -> Option<Block> {
    let above = &text[..line_start];
    for line in above.lines().rev() {
        if line.is_empty() || line.starts_with([' ', '\t', '#']) {
            continue;
        }
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("").to_ascii_lowercase();
        if !is_keyword(df.dialect, df.kind, &first)
            || (df.dialect == Dialect::Classic && first == "from")
        {
            continue; // Classic SQL written at column 0
        }
        let block = line.trim_end().ends_with('>');
        return Some(match first.as_str() {
            "schema" if block => Block::Schema,
            "sql" | "forward_query" if block => Block::Sql,
            _ => Block::Other,
        });
    }
    None
}

/// Whether a keyword the parser accepts in this file is worth offering: not a legacy
/// spelling, not rejected at deploy (Forward refuses INCLUDE in every file), and meaningful
/// for the file's kind (a Classic pipe takes no SCHEMA, INDEXES, IMPORT_* or KAFKA_* setting
/// other than a stream node's KAFKA_CONNECTION_NAME and KAFKA_TOPIC; a Classic datasource no
/// NODE, SQL, TYPE, COPY_* or EXPORT_*). A `.incl` fragment can hold either.
fn offered(dialect: Dialect, kind: FileKind, k: &str) -> bool {
    const LEGACY: &[&str] = &[
        "from",
        "source",
        "maintainer",
        "resource",
        "test",
        "indices",
        "scope",
        "mode",
        "settings",
        "partition_key",
        "sorting_key",
        "primary_key",
        "sampling_key",
        "ttl",
    ];
    if LEGACY.contains(&k) || (dialect == Dialect::Forward && k == "include") {
        return false;
    }
    if dialect == Dialect::Forward {
        return true; // the Forward tables are per kind already
    }
    let datasource_only = ["schema", "indexes", "shared_with", "forward_query"].contains(&k)
        || k.starts_with("import_")
        || (k.starts_with("kafka_") && !["kafka_connection_name", "kafka_topic"].contains(&k));
    let pipe_only = [
        "node",
        "sql",
        "type",
        "datasource",
        "target_datasource",
        "filter",
    ]
    .contains(&k)
        || k.starts_with("copy_")
        || k.starts_with("export_");
    match kind {
        FileKind::Pipe => !datasource_only,
        FileKind::Datasource => !pipe_only,
        FileKind::Include | FileKind::Connection => true,
    }
}

/// The keywords most files of a kind use, offered first.
fn usual(kind: FileKind, k: &str) -> bool {
    let list: &[&str] = match kind {
        FileKind::Pipe => &[
            "node",
            "sql",
            "type",
            "description",
            "datasource",
            "target_datasource",
            "token",
            "tags",
            "include",
        ],
        FileKind::Datasource => &[
            "schema",
            "engine",
            "engine_sorting_key",
            "engine_partition_key",
            "engine_ttl",
            "description",
            "token",
            "tags",
            "indexes",
            "forward_query",
        ],
        FileKind::Connection => &["type", "description"],
        FileKind::Include => &["node", "sql", "schema", "engine", "description"],
    };
    list.contains(&k)
}

fn keywords(df: &Datafile, out: &mut Completions) {
    for k in keywords_for(df.dialect, df.kind) {
        if !offered(df.dialect, df.kind, k) {
            continue;
        }
        let upper = k.to_ascii_uppercase();
        let doc = catalogue::datafile_keyword(k);
        let block = doc.as_ref().is_some_and(|d| d.block)
            && (df.dialect == Dialect::Classic || forward_accepts_block(k));
        let snippet = match k {
            "node" => Some("NODE ${1:name}\nSQL >\n    $0".to_string()),
            "type" if df.kind != FileKind::Connection => Some(format!(
                "TYPE ${{1|{}|}}",
                NODE_TYPES
                    .iter()
                    .map(|(t, _)| *t)
                    .collect::<Vec<_>>()
                    .join(",")
            )),
            "engine" => Some(format!(
                "ENGINE \"${{1|{}|}}\"",
                ENGINES
                    .iter()
                    .map(|(e, _)| *e)
                    .collect::<Vec<_>>()
                    .join(",")
            )),
            "include" => Some("INCLUDE \"${1:path.incl}\"".into()),
            _ if block => Some(format!("{upper} >\n    $0")),
            _ => Some(format!("{upper} $0")),
        };
        out.items.push(Item {
            detail: Some(if block { "block" } else { "setting" }.into()),
            documentation: doc.map(|d| d.summary),
            snippet,
            ..item(
                upper,
                ItemKind::Keyword,
                if usual(df.kind, k) { 2 } else { 3 },
            )
        });
    }
}

fn resources_of(p: &Project, kind: ResourceKind, item_kind: ItemKind, out: &mut Completions) {
    let mut seen: HashSet<String> = out.items.iter().map(|i| i.label.clone()).collect();
    for r in p.resources.iter().filter(|r| r.kind == kind) {
        if !seen.insert(r.name.clone()) {
            continue;
        }
        out.items.push(Item {
            detail: Some(r.path.to_string()),
            ..item(r.name.clone(), item_kind, 1)
        });
    }
}

fn keyword_values(p: &Project, fi: FileId, keyword: &str, prefix: &str, out: &mut Completions) {
    let df = &p.files[fi].datafile;
    match keyword {
        "type" if df.kind == FileKind::Connection => {
            for t in ["kafka", "s3", "gcs"] {
                out.items.push(item(t, ItemKind::Value, 0));
            }
        }
        "type" => {
            for (t, doc) in NODE_TYPES {
                out.items.push(Item {
                    documentation: Some(doc.to_string()),
                    ..item(*t, ItemKind::Value, 0)
                });
            }
        }
        "engine" => {
            for (e, doc) in ENGINES {
                out.items.push(Item {
                    documentation: Some(doc.to_string()),
                    ..item(*e, ItemKind::Engine, 0)
                });
            }
        }
        "datasource" | "target_datasource" => {
            resources_of(p, ResourceKind::Datasource, ItemKind::Datasource, out)
        }
        "export_connection_name" | "kafka_connection_name" | "import_connection_name" => {
            resources_of(p, ResourceKind::Connection, ItemKind::Connection, out)
        }
        "copy_mode" | "mode" => {
            for m in ["append", "replace"] {
                out.items.push(item(m, ItemKind::Value, 0));
            }
        }
        "copy_schedule" => {
            for s in ["@on-demand", "0 * * * *", "0 0 * * *"] {
                out.items.push(item(s, ItemKind::Value, 0));
            }
        }
        "deployment_method" => out.items.push(item("alter", ItemKind::Value, 0)),
        "backfill" => out.items.push(item("skip", ItemKind::Value, 0)),
        "include" => {
            let dir = p.files[fi].path.rsplit_once('/').map_or("", |(d, _)| d);
            for f in p.files.iter().filter(|f| f.path.ends_with(".incl")) {
                out.items
                    .push(item(relative_path(dir, &f.path), ItemKind::File, 0));
            }
        }
        k if k.starts_with("engine_") || syntax::keywords::ENGINE_PARAMS.contains(&k) => {
            if let Some(ri) = resource_of_file(p, fi) {
                for c in columns::columns_of(p, ColumnOwner::Datasource(ri)) {
                    out.items.push(column_item(&c, 0));
                }
            }
            functions(prefix, out);
        }
        _ => {}
    }
}

/// `to` relative to folder `from` (both relative to the project root).
fn relative_path(from: &str, to: &str) -> String {
    let from: Vec<&str> = from.split('/').filter(|s| !s.is_empty()).collect();
    let to_parts: Vec<&str> = to.split('/').collect();
    let common = from
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<&str> = vec![".."; from.len() - common];
    parts.extend(&to_parts[common..]);
    parts.join("/")
}

fn column_item(c: &columns::ColumnDef, rank: u8) -> Item {
    Item {
        detail: c.ty.as_ref().map(|t| t.to_string()),
        documentation: c.detail.clone(),
        ..item(c.name.clone(), ItemKind::Column, rank)
    }
}

fn schema_line(before: &str, out: &mut Completions) {
    let words = before.split_whitespace().count();
    if words == 1 {
        for t in syntax::types::canonical_families() {
            let snippet = match t {
                "Nullable" | "LowCardinality" | "Array" => Some(format!("{t}(${{1:String}})")),
                "DateTime64" => Some("DateTime64(${1:3})".to_string()),
                "AggregateFunction" => Some("AggregateFunction(${1:count})".to_string()),
                "SimpleAggregateFunction" => {
                    Some("SimpleAggregateFunction(${1:sum}, ${2:UInt64})".to_string())
                }
                "Map" => Some("Map(${1:String}, ${2:String})".to_string()),
                "Decimal" => Some("Decimal(${1:18}, ${2:4})".to_string()),
                _ => None,
            };
            out.items.push(Item {
                snippet,
                ..item(t, ItemKind::Type, 0)
            });
        }
    } else if words >= 2 {
        let name = before
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_matches('`');
        for (label, snippet) in [
            ("json path", format!("`json:$.${{1:{name}}}`")),
            ("DEFAULT", "DEFAULT ${1:value}".to_string()),
            ("CODEC", "CODEC(${1:ZSTD(1)})".to_string()),
        ] {
            out.items.push(Item {
                snippet: Some(snippet),
                ..item(label, ItemKind::Keyword, 0)
            });
        }
    }
}

fn functions(prefix: &str, out: &mut Completions) {
    if prefix.is_empty() {
        out.incomplete = true;
        return;
    }
    let lower = prefix.to_ascii_lowercase();
    let mut aggregates_matched = Vec::new();
    for f in catalogue::functions() {
        let name_lower = f.name.to_ascii_lowercase();
        if name_lower.starts_with(&lower) {
            out.items.push(function_item(f.name, f, &[]));
        }
        // `sumI` → `sumIf`, `uniqSt` → `uniqState`: an aggregate followed by a combinator.
        if f.aggregate && lower.starts_with(&name_lower) && lower.len() > name_lower.len() {
            aggregates_matched.push(f);
        }
    }
    for f in aggregates_matched {
        for c in catalogue::combinators() {
            let name = format!("{}{c}", f.name);
            if name.to_ascii_lowercase().starts_with(&lower) {
                out.items.push(function_item(&name, f, &[c]));
            }
        }
    }
    if out.items.len() > 400 {
        out.items.truncate(400);
        out.incomplete = true;
    }
}

fn function_item(name: &str, f: &catalogue::FunctionDoc, combinators: &[&str]) -> Item {
    let mut doc = f.summary.to_string();
    for c in combinators {
        doc.push_str(&format!("\n\n{c}: {}", catalogue::combinator_summary(c)));
    }
    Item {
        detail: Some(if f.syntax.is_empty() {
            f.category.to_string()
        } else {
            f.syntax.to_string()
        }),
        documentation: Some(doc),
        snippet: Some(format!("{name}($0)")),
        ..item(name, ItemKind::Function, 2)
    }
}

fn sql(
    p: &Project,
    fi: FileId,
    offset: usize,
    word_start: usize,
    prefix: &str,
    out: &mut Completions,
) {
    let f = &p.files[fi];
    let df = &f.datafile;
    let ri = resource_of_file(p, fi);
    // The node holding the cursor: the last one starting before it.
    let ni = df
        .nodes
        .iter()
        .rposition(|n| n.range.start <= offset)
        .unwrap_or(0);
    let Some(ns) = f.node_sql.get(ni) else {
        return;
    };
    let sql = NodeSql::new(&ns.map);
    if let Some(tag) = sql.tags.iter().find(|r| {
        let fr = ns.map.range_to_file(**r);
        fr.start < offset && (offset < fr.end || fr.end == fr.start)
    }) {
        let statement = sql.text().get(tag.start..tag.start + 2) == Some("{%");
        template(p, fi, statement, out);
        return;
    }
    let is_pipe = ri.is_some_and(|r| p.resources[r].kind == ResourceKind::Pipe);
    let node = ri.filter(|_| is_pipe).map(|r| NodeId::new(r, ni));
    // The token before the word being completed.
    let before_word: Vec<&syntax::sql::lexer::Token> = sql
        .tokens
        .iter()
        .filter(|t| ns.map.range_to_file(t.range).end <= word_start)
        .collect();
    let prev = before_word.last().copied();
    // The cursor in the SQL text: just after the token before it.
    let sql_offset = prev.map_or(0, |t| t.range.end);
    let prev_word = |t: Option<&syntax::sql::lexer::Token>| {
        t.filter(|t| t.kind == TokenKind::Word)
            .map(|t| t.text(sql.text()).to_ascii_uppercase())
    };
    let prev_upper = prev_word(prev);
    if prev.is_some_and(|t| t.kind == TokenKind::Dot) {
        // `t.` → the columns of t.
        let qualifier = before_word
            .len()
            .checked_sub(2)
            .and_then(|i| before_word.get(i))
            .map(|t| sql.word(t).to_string());
        if let (Some(q), Some(NodeId { pipe: r, index: n })) = (qualifier, node) {
            let holder = columns::holder_at(p, r, n, sql_offset);
            let owners: Vec<ColumnOwner> = match columns::qualifier_owner(p, holder, &q)
                .or_else(|| table_owner(p, &q, Some(r), Some(n)))
            {
                Some(o) => vec![o],
                None => columns::sources_of(p, holder)
                    .into_iter()
                    .map(|(o, _)| o)
                    .collect(),
            };
            for o in owners {
                for c in columns::columns_of(p, o) {
                    out.items.push(column_item(&c, 0));
                }
            }
        }
        return;
    }
    if matches!(prev_upper.as_deref(), Some("FROM" | "JOIN")) {
        tables(p, ri, ni, node, &ns.analysis, out);
        return;
    }
    if let Some(NodeId { pipe: r, index: n }) = node {
        // The columns of the tables the SELECT holding the cursor reads, then its own aliases.
        let holder = columns::holder_at(p, r, n, sql_offset);
        for (o, _) in columns::sources_of(p, holder) {
            for c in columns::columns_of(p, o) {
                if !out.items.iter().any(|i| i.label == c.name) {
                    out.items.push(column_item(&c, 0));
                }
            }
        }
        for c in columns::columns_of(p, holder) {
            if !c.passthrough
                && columns::is_identifier(&c.name)
                && !out.items.iter().any(|i| i.label == c.name)
            {
                out.items.push(column_item(&c, 0));
            }
        }
    }
    functions(prefix, out);
    let lower = prefix.to_ascii_lowercase();
    for (k, doc) in catalogue::sql_keywords() {
        if lower.is_empty() || k.to_ascii_lowercase().starts_with(&lower) {
            out.items.push(Item {
                documentation: Some(doc.to_string()),
                ..item(*k, ItemKind::Keyword, 3)
            });
        }
    }
}

fn tables(
    p: &Project,
    ri: Option<ResourceId>,
    ni: usize,
    node: Option<NodeId>,
    analysis: &Option<std::sync::Arc<syntax::sql::SqlAnalysis>>,
    out: &mut Completions,
) {
    if let Some(a) = analysis {
        // `WITH expr AS name` names a value, not a table.
        for c in a.ctes.iter().filter(|c| c.body.is_some()) {
            out.items.push(Item {
                detail: Some("CTE".into()),
                ..item(c.name.clone(), ItemKind::Cte, 0)
            });
        }
    }
    if let Some(NodeId { pipe: r, .. }) = node {
        for n in p.resources[r].nodes.iter().take(ni) {
            out.items.push(Item {
                detail: Some("node of this pipe".into()),
                ..item(n.name.clone(), ItemKind::Node, 0)
            });
        }
    }
    resources_of(p, ResourceKind::Datasource, ItemKind::Datasource, out);
    let mut seen: HashSet<String> = out.items.iter().map(|i| i.label.clone()).collect();
    for (i, r) in p.resources.iter_enumerated() {
        if r.kind == ResourceKind::Pipe && Some(i) != ri && seen.insert(r.name.clone()) {
            out.items.push(Item {
                detail: Some(format!(
                    "{} pipe · {}",
                    r.pipe_kind.map_or("", |k| k.as_str()),
                    r.path
                )),
                ..item(r.name.clone(), ItemKind::Pipe, 2)
            });
        }
    }
}

fn template(p: &Project, fi: FileId, statement: bool, out: &mut Completions) {
    for f in catalogue::template_functions() {
        out.items.push(Item {
            detail: Some(format!(
                "{}{}",
                if f.signature.starts_with('(') {
                    f.name
                } else {
                    ""
                },
                f.signature
            )),
            documentation: Some(f.summary.to_string()),
            snippet: Some(format!("{}($0)", f.name)),
            ..item(f.name, ItemKind::TemplateFunction, 1)
        });
    }
    if statement {
        for s in catalogue::TEMPLATE_STATEMENTS {
            out.items.push(item(*s, ItemKind::Keyword, 2));
        }
    }
    // Parameters used anywhere in the file.
    let f = &p.files[fi];
    let mut params: Vec<String> = Vec::new();
    for ns in &f.node_sql {
        let sql = NodeSql::new(&ns.map);
        for (i, t) in sql.tokens.iter().enumerate() {
            let w = sql.word(t);
            if sql.is_template_param(i) && !params.iter().any(|p| p == w) {
                params.push(w.to_string());
            }
        }
    }
    for name in params {
        out.items.push(Item {
            detail: Some("parameter".into()),
            ..item(name, ItemKind::Parameter, 0)
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn relative_paths() {
        assert_eq!(
            super::relative_path("pipes", "includes/a.incl"),
            "../includes/a.incl"
        );
        assert_eq!(super::relative_path("", "a.incl"), "a.incl");
        assert_eq!(super::relative_path("pipes", "pipes/a.incl"), "a.incl");
    }
}
