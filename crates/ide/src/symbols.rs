//! Document symbols (nodes, columns, settings of one file) and workspace symbols (resources,
//! nodes and datasource columns matching a query).

use super::columns::{self, unquoted_name, ColumnOwner, Site};
use super::file_index;
use project::model::{Project, ResourceKind};
use syntax::model::{Node, NodeType};
use syntax::text::TextRange;
use syntax::FileKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    Datasource,
    Pipe,
    Connection,
    Node,
    Column,
    Setting,
    Token,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentSymbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    /// Everything the symbol covers.
    pub range: TextRange,
    /// Its name.
    pub selection: TextRange,
    pub children: Vec<DocumentSymbol>,
}

fn setting(name: &str, value: &str, key: TextRange, value_range: TextRange) -> DocumentSymbol {
    DocumentSymbol {
        name: name.to_ascii_uppercase(),
        detail: Some(value.lines().next().unwrap_or("").to_string()),
        kind: SymbolKind::Setting,
        range: key.cover(value_range),
        selection: key,
        children: Vec::new(),
    }
}

fn node_children(node: &Node) -> Vec<DocumentSymbol> {
    let mut out = Vec::new();
    if let Some(schema) = &node.schema {
        for c in &schema.columns {
            out.push(DocumentSymbol {
                name: c.name.clone(),
                detail: Some(if c.nullable {
                    format!("Nullable({})", c.ty)
                } else {
                    c.ty.clone()
                }),
                kind: SymbolKind::Column,
                range: c.range,
                selection: unquoted_name(c.name_range, &c.name),
                children: Vec::new(),
            });
        }
    }
    if let Some(engine) = &node.engine {
        if let Some(name) = &engine.name {
            out.push(DocumentSymbol {
                name: "ENGINE".into(),
                detail: Some(name.text.clone()),
                kind: SymbolKind::Setting,
                range: name.range,
                selection: name.range,
                children: Vec::new(),
            });
        }
        for p in &engine.params {
            out.push(setting(
                &format!("engine_{}", p.key),
                &p.value.text,
                p.key_range,
                p.value.range,
            ));
        }
    }
    for (key, value) in [
        ("type", &node.type_value),
        ("datasource", &node.datasource),
        ("target_datasource", &node.target_datasource),
        ("copy_schedule", &node.copy_schedule),
        ("copy_mode", &node.copy_mode),
    ] {
        if let Some(v) = value {
            out.push(setting(key, &v.text, v.range, v.range));
        }
    }
    for s in &node.settings {
        out.push(setting(&s.key, &s.value.text, s.key_range, s.value.range));
    }
    out
}

/// The outline of a file.
pub fn document_symbols(p: &Project, path: &str) -> Vec<DocumentSymbol> {
    let Some(fi) = file_index(p, path) else {
        return Vec::new();
    };
    let df = &p.files[fi].datafile;
    let mut out = Vec::new();
    for t in &df.tokens {
        out.push(DocumentSymbol {
            name: format!("TOKEN {}", t.name.text),
            detail: t.permission.as_ref().map(|v| v.text.clone()),
            kind: SymbolKind::Token,
            range: t.range,
            selection: t.name.range,
            children: Vec::new(),
        });
    }
    match df.kind {
        FileKind::Pipe | FileKind::Include => {
            for n in &df.nodes {
                out.push(DocumentSymbol {
                    name: n.name.clone(),
                    detail: Some(
                        match n.node_type() {
                            NodeType::Standard => "node",
                            NodeType::Endpoint => "endpoint node",
                            NodeType::Materialized => "materialized node",
                            NodeType::Copy => "copy node",
                            NodeType::Sink => "sink node",
                            NodeType::Stream => "stream node",
                            NodeType::Other => "node of unknown type",
                        }
                        .into(),
                    ),
                    kind: SymbolKind::Node,
                    range: n.range,
                    selection: n.name_range,
                    children: node_children(n),
                });
            }
        }
        FileKind::Datasource | FileKind::Connection => {
            if let Some(n) = df.default_node() {
                out.extend(node_children(n));
            }
        }
    }
    out.sort_by_key(|s| s.range.start);
    out
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkspaceSymbol {
    pub name: String,
    pub kind: SymbolKind,
    /// The pipe of a node, the datasource of a column.
    pub container: Option<String>,
    pub site: Site,
}

/// Whether `query`'s characters appear in `name` in order, ignoring case.
fn matches(name: &str, query: &str) -> bool {
    let mut chars = name.chars().map(|c| c.to_ascii_lowercase());
    query
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .all(|q| chars.any(|c| c == q))
}

/// Resources, nodes and datasource columns whose name matches `query` (at most `limit`).
pub fn workspace_symbols(p: &Project, query: &str, limit: usize) -> Vec<WorkspaceSymbol> {
    let mut out = Vec::new();
    for (i, r) in p.resources.iter_enumerated() {
        if out.len() >= limit {
            break;
        }
        if matches(&r.name, query) {
            out.push(WorkspaceSymbol {
                name: r.name.clone(),
                kind: match r.kind {
                    ResourceKind::Datasource => SymbolKind::Datasource,
                    ResourceKind::Pipe => SymbolKind::Pipe,
                    ResourceKind::Connection => SymbolKind::Connection,
                },
                container: None,
                site: Site {
                    path: r.path.clone(),
                    range: r.name_range,
                },
            });
        }
        for n in r.nodes.iter().filter(|_| r.kind == ResourceKind::Pipe) {
            if matches(&n.name, query) && out.len() < limit {
                out.push(WorkspaceSymbol {
                    name: n.name.clone(),
                    kind: SymbolKind::Node,
                    container: Some(r.name.clone()),
                    site: Site {
                        path: r.path.clone(),
                        range: n.name_range,
                    },
                });
            }
        }
        if r.kind == ResourceKind::Datasource && !query.is_empty() {
            for c in columns::columns_of(p, ColumnOwner::Datasource(i)) {
                if matches(&c.name, query) && out.len() < limit {
                    if let Some(site) = c.def {
                        out.push(WorkspaceSymbol {
                            name: c.name,
                            kind: SymbolKind::Column,
                            container: Some(r.name.clone()),
                            site,
                        });
                    }
                }
            }
        }
    }
    out
}
