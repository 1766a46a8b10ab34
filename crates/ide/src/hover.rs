//! Hover: what a name is, as markdown.

use super::catalogue;
use super::columns::{self, ColumnOwner};
use super::{Located, Symbol};
use analysis::migration;
use project::model::NodeId;
use project::model::ResourceId;
use project::model::{EdgeKind, Project, ResourceKind, Source, Target};
use std::fmt::Write;
use syntax::chtype::Type;
use syntax::model::NodeType;
use syntax::text::TextRange;

/// At most this many readers or writers are listed.
const LIST_LIMIT: usize = 8;

/// Hover text (markdown) of a symbol found in the file at `path`.
pub fn hover(p: &Project, path: &str, l: &Located) -> Option<String> {
    Some(match &l.symbol {
        Symbol::Resource(i) => resource(p, *i),
        Symbol::Node(NodeId {
            pipe: ri,
            index: ni,
        }) => node(p, *ri, *ni),
        Symbol::Column(owner, name) => column(p, *owner, name)?,
        Symbol::Cte(name, site) => {
            let scalar = crate::navigation::find_cte(p, name, site)
                .and_then(|(_, c)| c.expr)
                .is_some();
            if scalar {
                format!("**WITH** `{name}`: a value named in this node's WITH clause, not a table")
            } else {
                format!("**CTE** `{name}`: a named subquery of this node")
            }
        }
        Symbol::Function(name) => function(name)?,
        Symbol::TemplateFunction(name) => {
            let f = catalogue::template_function(name)?;
            format!(
                "```python\n{}{}\n```\n{}\n\n*Tinybird template function*",
                if f.signature.starts_with('(') {
                    f.name
                } else {
                    ""
                },
                f.signature,
                f.summary
            )
        }
        Symbol::TemplateParam(name) => template_param(p, path, name),
        Symbol::DatafileKeyword(k) => {
            let d = catalogue::datafile_keyword(k)?;
            format!(
                "**{}**{}\n\n{}\n\nAccepted by: {}",
                k.to_ascii_uppercase(),
                if d.block { " `>` block" } else { "" },
                d.summary,
                catalogue::keyword_dialects(k)
            )
        }
        Symbol::SqlKeyword(k) => {
            let (_, summary) = catalogue::sql_keyword(k)?;
            format!("**{k}** (ClickHouse SQL)\n\n{summary}")
        }
        Symbol::Engine(e) => {
            let (_, summary) = catalogue::ENGINES.iter().find(|(x, _)| x == e)?;
            format!("**{e}** (table engine)\n\n{summary}")
        }
        Symbol::Include(resolved) => {
            // The included file as a project path (never the absolute path it resolves to).
            let shown = p
                .files
                .iter()
                .map(|f| f.path.as_str())
                .find(|f| resolved == f || resolved.ends_with(&format!("/{f}")))
                .map_or_else(
                    || resolved.rsplit('/').next().unwrap_or(resolved).to_string(),
                    str::to_string,
                );
            format!("**INCLUDE** `{shown}`: its lines are read in place of this one")
        }
    })
}

/// The hover at `offset` of the file at `path`: the symbol's ([`hover`]), and on a function
/// call, an operator or a literal of a pipe node's SQL, the type ClickHouse gives the
/// expression there (where it is certain: [`analysis::types`]). The range is the symbol's, else
/// the expression's.
pub fn hover_at(
    p: &Project,
    path: &str,
    l: Option<&Located>,
    offset: usize,
) -> Option<(TextRange, String)> {
    let symbol = l.and_then(|l| Some((l.range, hover(p, path, l)?)));
    let wants_type = match l.map(|l| &l.symbol) {
        None | Some(Symbol::Function(_)) => true,
        Some(_) => false,
    };
    let ty = wants_type
        .then(|| expression_type(p, path, offset))
        .flatten();
    match (symbol, ty) {
        (Some((r, md)), Some((_, ty))) => Some((r, format!("{md}\n\n---\n\nType here: `{ty}`"))),
        (Some(s), None) => Some(s),
        (None, Some((r, ty))) => Some((r, format!("Type: `{ty}`"))),
        (None, None) => None,
    }
}

/// The type of the innermost expression of a pipe node's SQL at `offset` of the file at
/// `path`, with the expression's range in the file.
pub fn expression_type(p: &Project, path: &str, offset: usize) -> Option<(TextRange, Type)> {
    let fi = crate::file_index(p, path)?;
    let ri = crate::resource_of_file(p, fi)?;
    if p.resources[ri].kind != ResourceKind::Pipe {
        return None;
    }
    let f = &p.files[fi];
    let ni = f
        .datafile
        .nodes
        .iter()
        .position(|n| n.sql.as_ref().is_some_and(|s| s.range.contains(offset)))?;
    let map = &f.node_sql.get(ni)?.map;
    let sql = crate::NodeSql::new(map);
    let token = &sql.tokens[sql.token_at_file(offset)?];
    let file = map.range_to_file(token.range);
    let at = token.range.start + offset.saturating_sub(file.start).min(token.range.len());
    let (range, ty) = analysis::columns::Columns::new(p).type_at(ri, ni, at)?;
    Some((map.range_to_file(range), ty))
}

fn list(out: &mut String, title: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let _ = write!(out, "\n\n{title}: ");
    let shown: Vec<&str> = items.iter().take(LIST_LIMIT).map(String::as_str).collect();
    out.push_str(&shown.join(", "));
    if items.len() > LIST_LIMIT {
        let _ = write!(out, " and {} more", items.len() - LIST_LIMIT);
    }
}

fn who(p: &Project, from: &Source, node: Option<&str>) -> String {
    let name = p.source_name(from);
    match node {
        Some(n) if n != name => format!("`{name}.{n}`"),
        _ => format!("`{name}`"),
    }
}

fn description(p: &Project, i: ResourceId) -> Option<String> {
    let r = &p.resources[i];
    let f = p.files.get(r.file)?;
    f.datafile
        .description
        .as_ref()
        .or_else(|| {
            f.datafile
                .default_node()
                .and_then(|n| n.description.as_ref())
        })
        .map(|d| d.text.trim().to_string())
        .filter(|d| !d.is_empty())
}

fn resource(p: &Project, i: ResourceId) -> String {
    let r = &p.resources[i];
    let mut out = match r.kind {
        ResourceKind::Pipe => format!(
            "**{} pipe** `{}`",
            r.pipe_kind.map_or("", |k| k.as_str()),
            r.name
        ),
        k => format!("**{}** `{}`", k.as_str(), r.name),
    };
    let _ = write!(out, " · {}", r.path);
    if let Some(d) = description(p, i) {
        let _ = write!(out, "\n\n{d}");
    }
    match r.kind {
        ResourceKind::Datasource => {
            let cols = migration::columns(p, i);
            if !cols.is_empty() {
                out.push_str("\n\n```sql\n");
                for c in cols {
                    let ty = if c.nullable {
                        format!("Nullable({})", c.ty)
                    } else {
                        c.ty.clone()
                    };
                    let _ = writeln!(out, "{} {ty}", c.name);
                }
                out.push_str("```");
            }
            if let Some(e) = p.files.get(r.file).and_then(|f| f.datafile.engine()) {
                let mut parts = Vec::new();
                if let Some(n) = &e.name {
                    parts.push(format!("ENGINE {}", n.text));
                }
                for key in ["sorting_key", "partition_key", "ttl"] {
                    if let Some(v) = e.param(key) {
                        parts.push(format!("{} {}", key.to_ascii_uppercase(), v.text));
                    }
                }
                if !parts.is_empty() {
                    let _ = write!(out, "\n\n{}", parts.join(" · "));
                }
            }
        }
        ResourceKind::Pipe => {
            let nodes: Vec<String> = r
                .nodes
                .iter()
                .map(|n| match n.node_type {
                    NodeType::Standard => format!("`{}`", n.name),
                    t => format!("`{}` ({})", n.name, node_type_name(t)),
                })
                .collect();
            list(&mut out, "Nodes", &nodes);
            let reads: Vec<String> = p
                .edges
                .iter()
                .filter(|e| {
                    e.from == Source::Resource(i)
                        && e.kind == EdgeKind::Reads
                        && matches!(e.target, Target::Resource(_))
                })
                .map(|e| format!("`{}`", e.to))
                .fold(Vec::new(), dedup_push);
            list(&mut out, "Reads", &reads);
            let writes: Vec<String> = p
                .writes_of(i)
                .map(|e| format!("{} `{}`", e.kind.write_verb(), e.to))
                .collect();
            if !writes.is_empty() {
                let _ = write!(out, "\n\n{}", syntax::text::capitalise(&writes.join(", ")));
            }
        }
        ResourceKind::Connection => {}
    }
    if r.kind != ResourceKind::Pipe {
        let feeders: Vec<String> = p
            .edges_into(i)
            .filter(|e| e.kind.writes())
            .map(|e| who(p, &e.from, e.from_node.as_deref()))
            .fold(Vec::new(), dedup_push);
        list(&mut out, "Fed by", &feeders);
    }
    let readers: Vec<String> = p
        .edges_into(i)
        .filter(|e| e.kind.reads())
        .map(|e| who(p, &e.from, e.from_node.as_deref()))
        .fold(Vec::new(), dedup_push);
    list(&mut out, "Read by", &readers);
    out
}

fn dedup_push(mut v: Vec<String>, s: String) -> Vec<String> {
    if !v.contains(&s) {
        v.push(s);
    }
    v
}

fn node_type_name(t: NodeType) -> &'static str {
    match t {
        NodeType::Standard => "standard",
        NodeType::Endpoint => "endpoint",
        NodeType::Materialized => "materialized",
        NodeType::Copy => "copy",
        NodeType::Sink => "sink",
        NodeType::Stream => "stream",
        NodeType::Other => "unknown type",
    }
}

fn node(p: &Project, ri: ResourceId, ni: usize) -> String {
    let r = &p.resources[ri];
    let n = &r.nodes[ni];
    let mut out = format!(
        "**{} node** `{}` of pipe `{}`",
        node_type_name(n.node_type),
        n.name,
        r.name
    );
    if let Some(d) = p
        .files
        .get(r.file)
        .and_then(|f| f.datafile.nodes.get(ni))
        .and_then(|dn| dn.description.as_ref())
    {
        let _ = write!(out, "\n\n{}", d.text.trim());
    }
    let cols: Vec<String> = columns::columns_of(
        p,
        ColumnOwner::Node(NodeId {
            pipe: ri,
            index: ni,
        }),
    )
    .into_iter()
    .map(|c| match c.ty {
        Some(t) => format!("`{}` {t}", c.name),
        None => format!("`{}`", c.name),
    })
    .collect();
    list(&mut out, "Columns", &cols);
    // Every table the node reads (its edges in the graph: subqueries and CTE bodies too).
    let mut reads: Vec<String> = Vec::new();
    for e in p.edges.iter().filter(|e| {
        e.kind == EdgeKind::Reads
            && e.from == Source::Resource(ri)
            && e.from_node.as_deref() == Some(n.name.as_str())
    }) {
        let owner = match e.target {
            Target::Node(j) => Some(ColumnOwner::Node(NodeId { pipe: ri, index: j })),
            Target::Resource(i) => columns::owner_of_resource(p, i),
            _ => None,
        };
        if let Some(label) = owner.map(|o| columns::owner_label(p, o, Some(ri))) {
            if !reads.contains(&label) {
                reads.push(label);
            }
        }
    }
    list(&mut out, "Reads", &reads);
    if let Some(t) = columns::written_by(p, ri, ni) {
        let _ = write!(out, "\n\nWrites into `{}`", p.resources[t].name);
    }
    let readers: Vec<String> = columns::readers(
        p,
        ColumnOwner::Node(NodeId {
            pipe: ri,
            index: ni,
        }),
    )
    .into_iter()
    .map(|NodeId { pipe: pi, index: n }| {
        if pi == ri {
            format!("node `{}`", p.resources[pi].nodes[n].name)
        } else {
            format!(
                "`{}.{}`",
                p.resources[pi].name, p.resources[pi].nodes[n].name
            )
        }
    })
    .collect();
    list(&mut out, "Read by", &readers);
    out
}

fn column(p: &Project, owner: ColumnOwner, name: &str) -> Option<String> {
    let c = columns::columns_of(p, owner)
        .into_iter()
        .find(|c| c.name == name)?;
    // A node's output: the type ClickHouse gives it where certain ([`analysis::types`]).
    let inferred = match owner {
        ColumnOwner::Node(NodeId { pipe, index }) => analysis::columns::Columns::new(p)
            .node_types(pipe, index)
            .and_then(|cols| cols.iter().find(|(n, _)| *n == c.name)?.1.clone()),
        _ => None,
    };
    let mut out = format!(
        "```sql\n{} {}\n```",
        c.name,
        inferred
            .as_ref()
            .or(c.ty.as_ref())
            .map_or_else(|| "(type not known)".to_string(), |t| t.to_string())
    );
    let _ = write!(out, "\ncolumn of {}", columns::owner_label(p, owner, None));
    if let Some(d) = c.detail {
        if matches!(owner, ColumnOwner::Datasource(_)) {
            let _ = write!(out, "\n\n{d}"); // JSONPath, DEFAULT: already markdown
        } else {
            let _ = write!(out, "\n\n```sql\n{d}\n```");
        }
    }
    if let Some(src) = c.origin {
        let here = match owner {
            ColumnOwner::Node(NodeId { pipe: ri, index: _ })
            | ColumnOwner::Cte(NodeId { pipe: ri, index: _ }, _)
            | ColumnOwner::Subquery(NodeId { pipe: ri, index: _ }, _) => Some(ri),
            ColumnOwner::Datasource(_) => None,
        };
        let _ = write!(
            out,
            "\n\nRead unchanged from {}",
            columns::owner_label(p, src, here)
        );
    }
    Some(out)
}

fn function(name: &str) -> Option<String> {
    let r = catalogue::resolve_function(name)?;
    let d = r.doc;
    let mut out = String::new();
    if !d.syntax.is_empty() {
        let _ = write!(out, "```sql\n{}\n```\n", d.syntax);
    }
    if !d.alias_to.is_empty() {
        let _ = write!(out, "Alias of `{}`. ", d.alias_to);
    }
    out.push_str(d.summary);
    if !d.returns.is_empty() {
        let _ = write!(out, "\n\n{}", d.returns);
    }
    if !r.combinators.is_empty() {
        let _ = write!(out, "\n\n`{name}` = `{}`", d.name);
        for c in &r.combinators {
            let _ = write!(out, " + `{c}` ({})", catalogue::combinator_summary(c));
        }
    }
    let kind = if d.window {
        "window function (only with OVER)"
    } else if d.aggregate {
        "aggregate function"
    } else {
        "function"
    };
    if d.window {
        let _ = write!(out, "\n\n*ClickHouse {kind}*");
    } else {
        let _ = write!(out, "\n\n*ClickHouse {kind} · {}*", d.category);
    }
    Some(out)
}

/// A template parameter: how the file declares it (`Int32(limit, 10, description="…",
/// required=True)`: type, default, description, required), then what it is.
fn template_param(p: &Project, path: &str, name: &str) -> String {
    let mut out = format!("**template parameter** `{name}`");
    let mut seen: Vec<String> = Vec::new();
    if let Some(fi) = crate::file_index(p, path) {
        for ns in &p.files[fi].node_sql {
            let sql = crate::NodeSql::new(&ns.map);
            for d in sql.param_declarations(name) {
                let mut line = format!("`{}`", d.ty);
                if let Some(def) = &d.default {
                    line.push_str(&format!(", default `{def}`"));
                }
                if d.required {
                    line.push_str(", required");
                }
                if let Some(desc) = &d.description {
                    line.push_str(&format!(": {desc}"));
                }
                if !seen.contains(&line) {
                    seen.push(line);
                }
            }
        }
    }
    match seen.len() {
        0 => {}
        1 => out.push_str(&format!(" — {}", seen[0])),
        _ => {
            out.push_str(" — declared as:");
            for l in &seen {
                out.push_str(&format!("\n- {l}"));
            }
        }
    }
    out.push_str(&format!(
        "\n\nA request parameter of the endpoint (query string); when checking, the CLI renders the template without it (`defined({name})` is false)."
    ));
    out
}
