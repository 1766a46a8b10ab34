//! The typed model of a datafile. Every element keeps its source range in the file.

use super::block::MappedText;
use super::{Dialect, FileKind};
use crate::text::TextRange;

/// A value as the official parser stores it (unquoted), with the range of what was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    pub text: String,
    pub range: TextRange,
}

/// A `KEYWORD value` setting (connector and sink settings, copy settings, ...), key lower-cased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    pub key: String,
    pub key_range: TextRange,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenDecl {
    pub name: Value,
    pub permission: Option<Value>,
    pub range: TextRange,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub name_range: TextRange,
    /// The type with a top-level `Nullable(...)` removed, as the official `doc` stores it.
    pub ty: String,
    /// The whole type (`Nullable` included) as a structure, aliases normalised; `None` when
    /// it is no ClickHouse type (the reader reports it).
    pub parsed: Option<crate::chtype::Type>,
    pub type_range: TextRange,
    pub nullable: bool,
    pub jsonpath: Option<Value>,
    pub default: Option<Value>,
    pub codec: Option<Value>,
    /// `MATERIALIZED expr` (Classic only).
    pub materialized: Option<Value>,
    pub range: TextRange,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Schema {
    pub columns: Vec<Column>,
    /// The SCHEMA keyword line through the last column.
    pub range: TextRange,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Index {
    pub name: Value,
    pub expr: Value,
    pub type_full: Value,
    pub granularity: Option<Value>,
    pub range: TextRange,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineParam {
    /// `sorting_key`, `partition_key`, `ttl`, ... (without the `engine_` prefix).
    pub key: String,
    pub key_range: TextRange,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Engine {
    pub name: Option<Value>,
    pub params: Vec<EngineParam>,
}

impl Engine {
    pub fn param(&self, key: &str) -> Option<&Value> {
        self.params.iter().find(|p| p.key == key).map(|p| &p.value)
    }
}

/// SQL of a node (or a FORWARD_QUERY) as the official parser stores it, mapped to the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sql {
    pub text: MappedText,
    /// The `SQL >` line.
    pub keyword_range: TextRange,
    /// From the keyword to the end of the last content line.
    pub range: TextRange,
}

impl Sql {
    pub fn is_template(&self) -> bool {
        self.text.text.starts_with('%')
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Node {
    pub name: String,
    /// The name as written after NODE (the file start for a datasource's implicit node).
    pub name_range: TextRange,
    /// From the NODE line through the node's last line.
    pub range: TextRange,
    pub description: Option<Value>,
    pub sql: Option<Sql>,
    /// `TYPE` as written (Classic keeps its case; compare with [`Node::node_type`]).
    pub type_value: Option<Value>,
    pub datasource: Option<Value>,
    pub target_datasource: Option<Value>,
    pub copy_schedule: Option<Value>,
    pub copy_mode: Option<Value>,
    pub schema: Option<Schema>,
    pub indexes: Vec<Index>,
    pub engine: Option<Engine>,
    /// Every other `KEY value` of the node (connectors, sinks, tags, ...).
    pub settings: Vec<Setting>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeType {
    Standard,
    Endpoint,
    Materialized,
    Copy,
    Sink,
    Stream,
    Other,
}

impl Node {
    pub fn node_type(&self) -> NodeType {
        let Some(v) = &self.type_value else {
            return NodeType::Standard;
        };
        let t = v.text.as_str();
        let is = |name: &str| t.eq_ignore_ascii_case(name);
        if t.is_empty() || is("standard") {
            NodeType::Standard
        } else if is("endpoint") {
            NodeType::Endpoint
        } else if is("materialized") {
            NodeType::Materialized
        } else if is("copy") {
            NodeType::Copy
        } else if is("sink") {
            NodeType::Sink
        } else if is("stream") {
            NodeType::Stream
        } else {
            NodeType::Other
        }
    }
    pub fn setting(&self, key: &str) -> Option<&Value> {
        self.settings
            .iter()
            .rev()
            .find(|s| s.key == key)
            .map(|s| &s.value)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncludeRef {
    pub path: Value,
    pub resolved: String,
    /// The included file was found.
    pub found: bool,
    pub args: Vec<(String, String)>,
    pub range: TextRange,
    /// Written in an included file, not in this one: `path.range` is then the INCLUDE line of
    /// this file that brought it in.
    pub nested: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Datafile {
    pub kind: FileKind,
    pub dialect: Dialect,
    pub description: Option<Value>,
    pub tokens: Vec<TokenDecl>,
    pub filtering_tags: Vec<Value>,
    pub version: Option<Value>,
    pub includes: Vec<IncludeRef>,
    pub shared_with: Vec<Value>,
    pub forward_query: Option<Sql>,
    /// Pipes: the nodes in order. Datasources and connections: the one implicit `default` node
    /// that holds the schema, engine and connector settings.
    pub nodes: Vec<Node>,
}

impl Datafile {
    /// A datafile with nothing in it.
    pub fn empty(kind: FileKind, dialect: Dialect) -> Datafile {
        Datafile {
            kind,
            dialect,
            description: None,
            tokens: vec![],
            filtering_tags: vec![],
            version: None,
            includes: vec![],
            shared_with: vec![],
            forward_query: None,
            nodes: vec![],
        }
    }

    /// The implicit node of a datasource or connection.
    pub fn default_node(&self) -> Option<&Node> {
        match self.kind {
            FileKind::Datasource | FileKind::Connection => self.nodes.first(),
            _ => None,
        }
    }
    /// The columns a connector adds to a datasource beyond its SCHEMA: Kafka's message
    /// metadata (`__value`, `__topic`, …) and DynamoDB's `_timestamp` and `_is_deleted` (what
    /// its ENGINE_VER and ENGINE_IS_DELETED name). Datafile-spec §5.
    pub fn connector_columns(&self) -> &'static [&'static str] {
        const KAFKA: &[&str] = &[
            "__value",
            "__headers",
            "__topic",
            "__partition",
            "__offset",
            "__timestamp",
            "__key",
        ];
        const DYNAMODB: &[&str] = &["_timestamp", "_is_deleted"];
        let Some(node) = self.default_node() else {
            return &[];
        };
        if self.kind != FileKind::Datasource {
            &[]
        } else if node.setting("kafka_connection_name").is_some()
            || node.setting("kafka_topic").is_some()
        {
            KAFKA
        } else if node.setting("import_table_arn").is_some() {
            DYNAMODB
        } else {
            &[]
        }
    }

    /// Whether `range` lies on an INCLUDE line: a value read from an included file maps to
    /// the whole line that brought it in, so an edit there would write over the INCLUDE.
    pub fn on_include_line(&self, range: TextRange) -> bool {
        self.includes
            .iter()
            .any(|i| !i.nested && i.range.start <= range.start && range.end <= i.range.end)
    }

    /// The project path of include `index` (its path as written is relative to the folder of
    /// the top-level file `file_path`, for nested includes too); `None` above the root.
    pub fn include_path(&self, file_path: &str, index: usize) -> Option<String> {
        let inc = self.includes.get(index)?;
        let dir = file_path.rsplit_once('/').map_or("", |(d, _)| d);
        let joined = crate::reader::join_path(dir, &inc.path.text);
        (!joined.starts_with('/') && joined != "." && !joined.split('/').any(|c| c == ".."))
            .then_some(joined)
    }

    pub fn schema(&self) -> Option<&Schema> {
        self.default_node().and_then(|n| n.schema.as_ref())
    }
    pub fn engine(&self) -> Option<&Engine> {
        self.default_node().and_then(|n| n.engine.as_ref())
    }
}
