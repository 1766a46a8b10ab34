//! What the word at an offset denotes: a resource or node name (where it is defined or read),
//! a column, a CTE, a function, a template function or parameter, a keyword, an engine or an
//! INCLUDE path.

use super::catalogue;
use super::columns::{self, value_text_start, ColumnOwner};
use super::{file_index, resource_of_file, Located, NodeSql, Symbol};
use project::model::NodeId;
use project::model::{Project, ResourceKind, Target};
use syntax::keywords::keyword_union;
use syntax::model::{Datafile, Value};
use syntax::sql::lexer::{self, TokenKind};
use syntax::text::TextRange;

pub fn locate(p: &Project, path: &str, text: &str, offset: usize) -> Option<Located> {
    if let Some(l) = reference_at(p, path, offset) {
        return Some(l);
    }
    if let Some(l) = in_included(p, path, offset) {
        return Some(l);
    }
    let fi = file_index(p, path)?;
    let f = &p.files[fi];
    let df = &f.datafile;
    let ri = resource_of_file(p, fi);
    // The file's own INCLUDE paths, not those of the files it includes.
    for inc in df.includes.iter().filter(|i| !i.nested) {
        if inc.path.range.contains(offset) {
            return Some(Located {
                symbol: Symbol::Include(inc.resolved.clone()),
                range: inc.path.range,
            });
        }
    }
    for (ni, dn) in df.nodes.iter().enumerate() {
        if !dn.range.contains(offset) && !dn.sql.as_ref().is_some_and(|s| s.range.contains(offset))
        {
            continue;
        }
        let is_pipe = ri.is_some_and(|r| p.resources[r].kind == ResourceKind::Pipe);
        if is_pipe && dn.name_range.contains(offset) {
            return Some(Located {
                symbol: Symbol::Node(NodeId::new(ri?, ni)),
                range: dn.name_range,
            });
        }
        if let Some(schema) = &dn.schema {
            for c in &schema.columns {
                if c.name_range.contains(offset) {
                    return Some(Located {
                        symbol: Symbol::Column(ColumnOwner::Datasource(ri?), c.name.clone()),
                        range: columns::unquoted_name(c.name_range, &c.name),
                    });
                }
            }
        }
        if let Some(engine) = &dn.engine {
            if let Some(name) = engine.name.as_ref().filter(|v| v.range.contains(offset)) {
                let base = name.text.split('(').next().unwrap_or("").trim();
                if let Some((e, _)) = catalogue::ENGINES
                    .iter()
                    .find(|(e, _)| e.eq_ignore_ascii_case(base))
                {
                    return Some(Located {
                        symbol: Symbol::Engine(e),
                        range: name.range,
                    });
                }
            }
        }
        let owner = ri.map(ColumnOwner::Datasource);
        let mut values: Vec<&Value> = Vec::new();
        if let Some(e) = &dn.engine {
            values.extend(e.params.iter().map(|x| &x.value));
        }
        values.extend(dn.indexes.iter().map(|i| &i.expr));
        if let Some(s) = &dn.schema {
            for c in &s.columns {
                values.extend([&c.default, &c.materialized].into_iter().flatten());
            }
        }
        for v in values {
            if v.range.contains(offset) {
                return expression_value(p, v, offset, owner);
            }
        }
        if let Some(sql) = dn.sql.as_ref().filter(|s| s.range.contains(offset)) {
            if sql.keyword_range.contains(offset) {
                return keyword_at(df, text, offset);
            }
            let map = &f.node_sql.get(ni)?.map;
            let analysis = f.node_sql.get(ni)?.analysis.as_deref();
            let node_owner = ri
                .filter(|_| is_pipe)
                .map(|r| ColumnOwner::Node(NodeId { pipe: r, index: ni }));
            return sql_symbol(p, &NodeSql::new(map), analysis, node_owner, offset);
        }
    }
    if let Some(fq) = df
        .forward_query
        .as_ref()
        .filter(|s| s.range.contains(offset))
    {
        if !fq.keyword_range.contains(offset) {
            // It reads the deployed datasource: its words name this datasource's columns.
            let reads = ri.map(ColumnOwner::Datasource);
            return sql_symbol(p, &NodeSql::new(&fq.text), None, reads, offset);
        }
    }
    keyword_at(df, text, offset)
}

/// What a rename at `offset` renames: [`locate`]'s symbol, or, on a top-level keyword of a
/// datasource's, pipe's or connection's own file (`SCHEMA`, `NODE`, `TYPE`…), the resource the
/// file defines. A resource takes its name from its file name, which no word of the file
/// spells, so this is how one that nothing references is renamed from its own file.
pub fn locate_for_rename(p: &Project, path: &str, text: &str, offset: usize) -> Option<Located> {
    let l = locate(p, path, text, offset);
    if l.as_ref()
        .is_some_and(|l| !matches!(l.symbol, Symbol::DatafileKeyword(_)))
    {
        return l;
    }
    let keyword = l?;
    let ri = resource_of_file(p, file_index(p, path)?)?;
    Some(Located {
        symbol: Symbol::Resource(ri),
        range: keyword.range,
    })
}

/// A symbol at `offset` of an included `.incl`, read in the context of the first pipe that
/// includes it: a node it defines, or a word of a node's SQL (a table, a column, a function).
fn in_included(p: &Project, path: &str, offset: usize) -> Option<Located> {
    let fi = file_index(p, path)?;
    if resource_of_file(p, fi).is_some() {
        return None;
    }
    for dn in &p.files[fi].datafile.nodes {
        if !dn.name_range.contains(offset) && dn.name_range.end != offset {
            continue;
        }
        for inc in p.includers(path) {
            let Some(ri) = resource_of_file(p, inc) else {
                continue;
            };
            if let Some(ni) = p.resources[ri].nodes.iter().position(|n| n.name == dn.name) {
                return Some(Located {
                    symbol: Symbol::Node(NodeId::new(ri, ni)),
                    range: dn.name_range,
                });
            }
        }
    }
    for inc in p.includers(path) {
        let f = &p.files[inc];
        let Some(ri) =
            resource_of_file(p, inc).filter(|&r| p.resources[r].kind == ResourceKind::Pipe)
        else {
            continue;
        };
        let includes = f
            .include_paths
            .iter()
            .enumerate()
            .filter(|(_, x)| x.as_deref() == Some(path))
            .map(|(k, _)| k);
        for k in includes {
            for (ni, ns) in f.node_sql.iter().enumerate() {
                let Some(at) = ns.map.from_origin(k, offset) else {
                    continue;
                };
                let sql = NodeSql::new(&ns.map);
                let Some(i) = sql
                    .tokens
                    .iter()
                    .position(|t| t.range.contains(at) || t.range.end == at)
                else {
                    continue;
                };
                let word = sql.word_range(&sql.tokens[i]);
                let Some(site) = project::model::included_site(&ns.map, &f.include_paths, word)
                else {
                    continue;
                };
                let scope = Some(ColumnOwner::Node(NodeId::new(ri, ni)));
                return token_symbol(p, &sql, ns.analysis.as_deref(), scope, i, site.range);
            }
        }
    }
    None
}

/// A table reference, a materialized/copy target, a sink's connection or a test's `pipe:`
/// at `offset` of file `path` (written there, or in an `.incl` a pipe includes).
fn reference_at(p: &Project, path: &str, offset: usize) -> Option<Located> {
    let at = |path_: &str, r: TextRange| path_ == path && (r.contains(offset) || r.end == offset);
    let (e, range) = p.edges.iter().find_map(|e| {
        if crate::navigation::names_pipe_by_file(p, e) {
            return None; // a Forward test's name, not its pipe's
        }
        if e.written_here {
            return at(&e.path, e.range).then_some((e, e.range));
        }
        let s = e.included.as_ref()?;
        at(&s.path, s.range).then_some((e, s.range))
    })?;
    let from_pipe = match &e.from {
        project::model::Source::Resource(i) => Some(*i),
        _ => None,
    };
    let symbol = match e.target {
        Target::Resource(i) => Symbol::Resource(i),
        Target::Node(n) => Symbol::Node(NodeId::new(from_pipe?, n)),
        _ => return None,
    };
    Some(Located { symbol, range })
}

/// A word in a datasource expression (sorting key, TTL, DEFAULT, index): a column of the
/// datasource or a function.
fn expression_value(
    p: &Project,
    v: &Value,
    offset: usize,
    owner: Option<ColumnOwner>,
) -> Option<Located> {
    let start = value_text_start(v)?;
    let tokens = lexer::tokenize(&v.text);
    let i = tokens
        .iter()
        .position(|t| t.range.shift(start).contains(offset))?;
    let t = tokens[i];
    if t.kind != TokenKind::Word {
        return None;
    }
    let word = t.text(&v.text);
    let range = t.range.shift(start);
    if tokens.get(i + 1).map(|t| t.kind) == Some(TokenKind::LParen) {
        return catalogue::resolve_function(word).map(|_| Located {
            symbol: Symbol::Function(word.to_string()),
            range,
        });
    }
    let owner = owner?;
    columns::columns_of(p, owner)
        .iter()
        .any(|c| c.name == word)
        .then(|| Located {
            symbol: Symbol::Column(owner, word.to_string()),
            range,
        })
}

/// The keyword starting the line at `offset`, when the offset is on it.
fn keyword_at(df: &Datafile, text: &str, offset: usize) -> Option<Located> {
    let offset = super::floor_char_boundary(text, offset);
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..];
    let word_len = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(line.len());
    if word_len == 0 || offset > line_start + word_len {
        return None;
    }
    let word = line[..word_len].to_ascii_lowercase();
    let k = keyword_union().iter().copied().find(|k| *k == word)?;
    if !syntax::keywords::is_keyword(df.dialect, df.kind, k) {
        return None;
    }
    Some(Located {
        symbol: Symbol::DatafileKeyword(k),
        range: TextRange::new(line_start, line_start + word_len),
    })
}

/// A word of SQL. `scope`: the pipe node holding it (columns are resolved through its
/// sources), or the datasource whose columns it names (a FORWARD_QUERY); `None` for SQL
/// without columns known (.incl).
pub fn sql_symbol(
    p: &Project,
    sql: &NodeSql,
    analysis: Option<&syntax::sql::SqlAnalysis>,
    scope: Option<ColumnOwner>,
    offset: usize,
) -> Option<Located> {
    let i = sql.token_at_file(offset)?;
    let range = sql.map.range_to_file(sql.word_range(&sql.tokens[i]));
    token_symbol(p, sql, analysis, scope, i, range)
}

/// [`sql_symbol`] of token `i`, placed at `range` (in the file where it is written).
fn token_symbol(
    p: &Project,
    sql: &NodeSql,
    analysis: Option<&syntax::sql::SqlAnalysis>,
    scope: Option<ColumnOwner>,
    i: usize,
    range: TextRange,
) -> Option<Located> {
    let t = sql.tokens[i];
    if !matches!(t.kind, TokenKind::Word | TokenKind::QuotedIdent) {
        return None;
    }
    let word = sql.word(&t).to_string();
    let located = |symbol| Some(Located { symbol, range });
    let call = sql.next_kind(i) == Some(TokenKind::LParen);
    if sql.in_tag(t.range.start + 1).is_some() {
        if call {
            if let Some(f) = catalogue::template_function(&word) {
                return located(Symbol::TemplateFunction(f.name));
            }
            return None;
        }
        if !sql.is_template_param(i) {
            return None;
        }
        return located(Symbol::TemplateParam(word));
    }
    if call {
        return catalogue::resolve_function(&word).and_then(|_| located(Symbol::Function(word)));
    }
    if sql.is_keyword_use(i) {
        return catalogue::sql_keyword(&word).and_then(|(k, _)| located(Symbol::SqlKeyword(k)));
    }
    if let Some(a) = analysis {
        // A name inside `WITH expr AS name`'s own expression is read from the tables.
        let in_own_expr = |c: &syntax::sql::facts::Cte| {
            c.expr
                .is_some_and(|e| e.start <= t.range.start && t.range.end <= e.end)
        };
        if let Some(c) = a.ctes.iter().find(|c| c.name == word && !in_own_expr(c)) {
            if let Some(ColumnOwner::Node(NodeId { pipe: ri, index: _ })) = scope {
                let def = cte_name_range(sql, c.range, &c.name);
                let f = &p.files[p.resources[ri].file];
                let at = project::model::written_at(
                    sql.map,
                    &f.include_paths,
                    &p.resources[ri].path,
                    def,
                )?;
                return located(Symbol::Cte(word, at.into()));
            }
        }
    }
    let column = match scope {
        Some(ColumnOwner::Node(NodeId {
            pipe: ri,
            index: ni,
        })) => columns::column_at(p, ri, ni, sql, i),
        Some(ds @ ColumnOwner::Datasource(_)) => columns::columns_of(p, ds)
            .iter()
            .any(|c| c.name == word)
            .then_some(ds),
        _ => None,
    };
    if let Some(owner) = column {
        return located(Symbol::Column(owner, word));
    }
    if t.kind == TokenKind::Word {
        if let Some((k, _)) = catalogue::sql_keyword(&word) {
            return located(Symbol::SqlKeyword(k));
        }
    }
    None
}

/// Where a CTE's name is written in its definition.
fn cte_name_range(sql: &NodeSql, cte: TextRange, name: &str) -> TextRange {
    sql.tokens
        .iter()
        .find(|t| cte.start <= t.range.start && t.range.end <= cte.end && sql.word(t) == name)
        .map_or(cte, |t| sql.word_range(t))
}
