//! The project model: every resource (datasource, pipe, connection) and test of a project, the
//! SQL of every node analysed, and the dependency graph between them with typed edges
//! (datafile-spec §9). Pure: the caller reads the files.

use super::test_files::{self, TestFile};
mod markers;
mod queries;

pub use crate::ids::{FileId, IndexVec, NodeId, ResourceId, TestId, WriterId};
pub use markers::{check_marker, replaces_marker};
use queries::EdgeIndex;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::sync::{Arc, OnceLock};
use syntax::block::MappedText;
use syntax::model::{Datafile, NodeType};
use syntax::sql::{self, facts::RefContext, template::BranchInfo, SqlAnalysis};
use syntax::text::TextRange;
use syntax::{Dialect, FileKind};

/// A datafile of the project, parsed, with the SQL of every node analysed. Built once per file
/// text ([`SourceFile::new`]) and shared (`Arc`) by every project model built from it, so a
/// rebuild after an edit re-analyses only the edited file.
pub struct SourceFile {
    /// Relative to the project root, `/`-separated.
    pub path: String,
    pub datafile: Datafile,
    /// Whether the official CLI of the dialect reads this file (datafile-spec §10).
    pub seen_by_cli: bool,
    /// Per node of `datafile`, its SQL analysed.
    pub node_sql: Vec<NodeSql>,
    /// Every name the file refers to, with file ranges: what the graph's edges are made of,
    /// computed once per file so rebuilding the graph only resolves names.
    pub refs: Vec<FileRef>,
    /// The resource the file defines (none for an `.incl`).
    pub resource: Option<OwnResource>,
    /// Classic legacy: datasources its materialized nodes create with an ENGINE (name and the
    /// DATASOURCE value's range), used when no datafile defines them.
    pub created_datasources: Vec<(String, TextRange)>,
    /// A `# tinybird-lsp: replaces <datasource>` comment: this datasource is the new version of
    /// that one (names a migration's legacy target explicitly). Set by the caller, which has
    /// the text.
    pub replaces: Option<(String, TextRange)>,
    /// A `# tinybird-lsp: check for <datasource>` marker: the migration's own quality check.
    pub check_for: Option<String>,
    /// The official parser rejects the file (it has an error): names it fails to define are
    /// not reported again where they are read. Set by the caller, which has the diagnostics.
    pub rejected: bool,
    /// The project path of each of its includes (`None`: outside the project).
    pub include_paths: Arc<[Option<Arc<str>>]>,
}

/// What a file contributes as a resource, independent of the other files.
#[derive(Clone, Debug)]
pub struct OwnResource {
    pub name: String,
    pub kind: ResourceKind,
    pub pipe_kind: Option<PipeKind>,
    pub nodes: Arc<[NodeInfo]>,
}

/// A reference from a file to a resource, before resolution.
#[derive(Clone, Debug)]
pub struct FileRef {
    /// The node holding it (pipes); `None` for datasources.
    pub node: Option<Arc<str>>,
    /// The name as written (`db.name` when qualified).
    pub to: Arc<str>,
    pub kind: EdgeKind,
    /// Range in the file.
    pub range: TextRange,
    pub branch: Option<BranchInfo>,
    pub context: Option<RefContext>,
    /// The name is written in this file (not in an included `.incl`, whose references map to
    /// the INCLUDE line): an edit of `range` rewrites it.
    pub written_here: bool,
    /// For a name read from an included `.incl`: where it is written there, when that is
    /// known exactly (no `$VAR` of the INCLUDE changed its line).
    pub included: Option<IncludedSite>,
}

/// Where a name read through an INCLUDE is written: the `.incl` file and the range there.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IncludedSite {
    pub path: Arc<str>,
    pub range: TextRange,
}

/// A node's SQL analysis and the map from SQL positions to file positions.
#[derive(Clone, Debug, Default)]
pub struct NodeSql {
    pub analysis: Option<Arc<SqlAnalysis>>,
    pub map: Arc<MappedText>,
}

impl SourceFile {
    pub fn new(path: String, datafile: Datafile, seen_by_cli: bool) -> SourceFile {
        let node_sql: Vec<NodeSql> = datafile
            .nodes
            .iter()
            .map(|n| NodeSql {
                analysis: n.sql.as_ref().map(|s| Arc::new(sql::analyze(&s.text.text))),
                map: Arc::new(n.sql.as_ref().map(|s| s.text.clone()).unwrap_or_default()),
            })
            .collect();
        let include_paths: Arc<[Option<Arc<str>>]> = (0..datafile.includes.len())
            .map(|i| datafile.include_path(&path, i).map(Into::into))
            .collect();
        let refs = file_refs(&datafile, &node_sql, &include_paths);
        let kind = match datafile.kind {
            FileKind::Datasource => Some(ResourceKind::Datasource),
            FileKind::Pipe => Some(ResourceKind::Pipe),
            FileKind::Connection => Some(ResourceKind::Connection),
            FileKind::Include => None,
        };
        let resource = kind
            .filter(|_| !path.ends_with(".incl"))
            .map(|kind| OwnResource {
                name: resource_name(&path),
                kind,
                pipe_kind: (kind == ResourceKind::Pipe).then(|| pipe_kind(&datafile)),
                nodes: datafile
                    .nodes
                    .iter()
                    .zip(&node_sql)
                    .map(|(n, s)| NodeInfo {
                        name: n.name.clone(),
                        name_range: n.name_range,
                        node_type: n.node_type(),
                        sql: s.analysis.clone(),
                        sql_map: s.map.clone(),
                        include_paths: include_paths.clone(),
                    })
                    .collect(),
            });
        let created_datasources = datafile
            .nodes
            .iter()
            .filter(|n| n.node_type() == NodeType::Materialized && n.engine.is_some())
            .filter_map(|n| n.datasource.as_ref().map(|d| (d.text.clone(), d.range)))
            .collect();
        SourceFile {
            path,
            datafile,
            seen_by_cli,
            node_sql,
            refs,
            resource,
            created_datasources,
            replaces: None,
            check_for: None,
            rejected: false,
            include_paths,
        }
    }
}

/// The references of a file: tables read by node SQL and MATERIALIZED columns, the targets of
/// materialized and copy nodes, the connections of sinks.
fn file_refs(
    df: &Datafile,
    node_sql: &[NodeSql],
    include_paths: &[Option<Arc<str>>],
) -> Vec<FileRef> {
    let mut out = Vec::new();
    let pipe = df.kind == FileKind::Pipe;
    for (dn, sql) in df.nodes.iter().zip(node_sql) {
        let node: Option<Arc<str>> = pipe.then(|| dn.name.as_str().into());
        if let Some(a) = &sql.analysis {
            for t in &a.tables {
                out.push(FileRef {
                    node: node.clone(),
                    to: t.full_name().into(),
                    kind: EdgeKind::Reads,
                    range: sql.map.range_to_file(t.range),
                    branch: t.branch.clone(),
                    context: Some(t.context),
                    written_here: sql.map.is_written_here(t.range),
                    included: included_site(&sql.map, include_paths, t.range),
                });
            }
        }
        let node_type = dn.node_type();
        let targets = [
            (
                NodeType::Materialized,
                &dn.datasource,
                EdgeKind::MaterializesInto,
            ),
            (NodeType::Copy, &dn.target_datasource, EdgeKind::CopiesInto),
        ];
        for (ty, value, kind) in targets {
            if let Some(v) = value.as_ref().filter(|_| node_type == ty) {
                out.push(FileRef {
                    node: node.clone(),
                    to: v.text.as_str().into(),
                    kind,
                    range: v.range,
                    branch: None,
                    context: None,
                    written_here: !df.on_include_line(v.range),
                    included: None,
                });
            }
        }
        if node_type == NodeType::Sink {
            if let Some(v) = dn.setting("export_connection_name") {
                out.push(FileRef {
                    node: node.clone(),
                    to: v.text.as_str().into(),
                    kind: EdgeKind::Sinks,
                    range: v.range,
                    branch: None,
                    context: None,
                    written_here: !df.on_include_line(v.range),
                    included: None,
                });
            }
        }
    }
    // A datasource reads the tables of its MATERIALIZED column expressions.
    if df.kind == FileKind::Datasource {
        for m in df
            .nodes
            .iter()
            .flat_map(|n| n.schema.iter().flat_map(|s| &s.columns))
            .filter_map(|c| c.materialized.as_ref())
        {
            let a = sql::analyze(&format!("SELECT {}", m.text));
            for t in &a.tables {
                let start = (m.range.start + t.range.start).saturating_sub(7);
                out.push(FileRef {
                    node: None,
                    to: t.full_name().into(),
                    kind: EdgeKind::Reads,
                    range: TextRange::new(start, start + t.range.len()),
                    branch: None,
                    context: Some(t.context),
                    written_here: true,
                    included: None,
                });
            }
        }
    }
    out
}

/// Where SQL text range `r` is written when it comes from an included `.incl` (`include_paths`:
/// the project path of each include of the file).
pub fn included_site(
    map: &MappedText,
    include_paths: &[Option<Arc<str>>],
    r: TextRange,
) -> Option<IncludedSite> {
    let (include, range) = map.origin(r)?;
    Some(IncludedSite {
        path: include_paths.get(include)?.clone()?,
        range,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    Datasource,
    Pipe,
    Connection,
}

impl ResourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Datasource => "datasource",
            ResourceKind::Pipe => "pipe",
            ResourceKind::Connection => "connection",
        }
    }
}

/// What a pipe publishes, from its node types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PipeKind {
    Standard,
    Endpoint,
    Materialized,
    Copy,
    Sink,
    Stream,
}

impl PipeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PipeKind::Standard => "standard",
            PipeKind::Endpoint => "endpoint",
            PipeKind::Materialized => "materialized",
            PipeKind::Copy => "copy",
            PipeKind::Sink => "sink",
            PipeKind::Stream => "stream",
        }
    }
}

#[derive(Debug)]
pub struct NodeInfo {
    pub name: String,
    pub name_range: TextRange,
    pub node_type: NodeType,
    /// The node's SQL analysed (ranges in the SQL text; map them with `sql_map`).
    pub sql: Option<Arc<SqlAnalysis>>,
    pub sql_map: Arc<MappedText>,
    /// The project path of each include of the pipe's file (`None`: outside the project).
    pub include_paths: Arc<[Option<Arc<str>>]>,
}

impl NodeInfo {
    pub fn file_range(&self, r: TextRange) -> TextRange {
        self.sql_map.range_to_file(r)
    }

    /// Where SQL range `r` is written when it comes from an included `.incl` (and is known
    /// exactly there).
    pub fn included_site(&self, r: TextRange) -> Option<IncludedSite> {
        included_site(&self.sql_map, &self.include_paths, r)
    }

    /// Where SQL range `r` is written: in the pipe's own file (`path`), or in the included
    /// `.incl` it comes from; `None` when it comes from an include but cannot be placed there
    /// exactly (never the INCLUDE line).
    pub fn written_at(&self, path: &Arc<str>, r: TextRange) -> Option<IncludedSite> {
        written_at(&self.sql_map, &self.include_paths, path, r)
    }
}

/// [`NodeInfo::written_at`] for any SQL text of a file with those includes.
pub fn written_at(
    map: &MappedText,
    include_paths: &[Option<Arc<str>>],
    path: &Arc<str>,
    r: TextRange,
) -> Option<IncludedSite> {
    if map.is_written_here(r) {
        return Some(IncludedSite {
            path: path.clone(),
            range: map.range_to_file(r),
        });
    }
    included_site(map, include_paths, r)
}

/// Where a resource is defined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// By its own file: the name is the file's name.
    File,
    /// A Classic datasource created by a materialized node's ENGINE, where no datafile defines
    /// it: named by the node's DATASOURCE value in the pipe's file.
    CreatedByNode,
}

#[derive(Debug)]
pub struct Resource {
    pub name: String,
    pub kind: ResourceKind,
    pub pipe_kind: Option<PipeKind>,
    /// The file defining it (for a datasource created by a Classic materialized node's ENGINE:
    /// the pipe).
    pub path: Arc<str>,
    pub origin: Origin,
    /// Where the name is defined (empty at the file start when the name is the file name).
    pub name_range: TextRange,
    pub nodes: Arc<[NodeInfo]>,
    pub seen_by_cli: bool,
    /// The file defining it (for a created datasource: the pipe's).
    pub file: FileId,
}

impl Resource {
    /// Whether its own file defines it (not a Classic materialized node's ENGINE).
    pub fn defined_by_file(&self) -> bool {
        self.origin == Origin::File
    }

    /// Whether the pipe publishes an API endpoint from its last node: a node of TYPE endpoint,
    /// or in Classic a pipe of standard nodes only (datafile-spec §5.2: published through its
    /// last node).
    pub fn serves_api(&self, dialect: syntax::Dialect) -> bool {
        match self.pipe_kind {
            Some(PipeKind::Endpoint) => true,
            Some(PipeKind::Standard) => dialect == syntax::Dialect::Classic,
            _ => false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// A node's SQL (or a datasource's MATERIALIZED column) reads a table.
    Reads,
    /// `TYPE materialized` + `DATASOURCE`.
    MaterializesInto,
    /// `TYPE copy` + `TARGET_DATASOURCE`.
    CopiesInto,
    /// `TYPE sink` + `EXPORT_CONNECTION_NAME`.
    Sinks,
    /// A test's SQL or `pipe:` reads a resource.
    TestReads,
}

impl EdgeKind {
    /// A materialized or copy node writing into a datasource.
    pub fn writes(self) -> bool {
        matches!(self, EdgeKind::MaterializesInto | EdgeKind::CopiesInto)
    }
    /// What the editor counts as reading a resource: queries, tests, sinks.
    pub fn reads(self) -> bool {
        matches!(
            self,
            EdgeKind::Reads | EdgeKind::TestReads | EdgeKind::Sinks
        )
    }
    /// How a write is said: "materializes into" / "copies into".
    pub fn write_verb(self) -> &'static str {
        if self == EdgeKind::CopiesInto {
            "copies into"
        } else {
            "materializes into"
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Reads => "reads",
            EdgeKind::MaterializesInto => "materializes_into",
            EdgeKind::CopiesInto => "copies_into",
            EdgeKind::Sinks => "sinks",
            EdgeKind::TestReads => "test_reads",
        }
    }
}

/// What a referenced name resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Resource(ResourceId),
    /// A node of the same pipe (it shadows resources of the same name).
    Node(usize),
    /// A Tinybird service data source (`tinybird.pipe_stats`, ...).
    Service,
    /// Defined outside the repository: another workspace's shared data source (`ws.ds`) or a
    /// ClickHouse system table.
    External,
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "index")]
pub enum Source {
    Resource(ResourceId),
    Test(TestId),
}

#[derive(Clone, Debug)]
pub struct Edge {
    pub from: Source,
    /// The node holding the reference (pipes).
    pub from_node: Option<Arc<str>>,
    /// The name as written (`db.name` when qualified).
    pub to: Arc<str>,
    pub target: Target,
    pub kind: EdgeKind,
    /// File and range of the reference.
    pub path: Arc<str>,
    pub range: TextRange,
    pub branch: Option<BranchInfo>,
    pub context: Option<RefContext>,
    /// The reference is written in `path` itself (not in an included `.incl`): an edit of
    /// `range` rewrites the name.
    pub written_here: bool,
    /// For a reference read from an included `.incl`: where it is written there.
    pub included: Option<IncludedSite>,
}

impl Edge {
    /// Whether the official CLI sees this dependency (not only in a template branch its test
    /// rendering skips).
    pub fn seen_by_official(&self) -> bool {
        sql::seen_by_official(self.context, self.branch.as_ref())
    }
}

pub struct TestInfo {
    pub file: TestFile,
    /// Per case, its SQL analysed.
    pub sql: Vec<Option<SqlAnalysis>>,
}

pub struct Project {
    pub dialect: Dialect,
    pub files: IndexVec<FileId, Arc<SourceFile>>,
    pub resources: IndexVec<ResourceId, Resource>,
    pub tests: IndexVec<TestId, TestInfo>,
    pub edges: Vec<Edge>,
    /// Indexes of `edges` by the resource they come from and the one they resolve to.
    edges_from: EdgeIndex,
    edges_to: EdgeIndex,
    by_name: FxHashMap<String, Vec<ResourceId>>,
    /// File path → its id.
    by_path: FxHashMap<Arc<str>, FileId>,
    /// Classic: `<name>__v<N>` of every resource whose file says `VERSION N`, the name it is
    /// deployed under (and read by other files).
    by_version: FxHashMap<String, ResourceId>,
    /// The project's shell scripts (deploy/<version>/*.sh, ...), read for their `tb` commands.
    pub scripts: Vec<crate::scripts::Script>,
    /// [`Project::names_key`], computed once per build (replacing a file keeps the names).
    names_key: u64,
    /// [`Project::graph_key`]: changes whenever a dependency between resources may have.
    graph_key: u64,
}

/// A key no project model has had yet.
fn next_graph_key() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn service_datasources() -> &'static Vec<&'static str> {
    static CELL: OnceLock<Vec<&'static str>> = OnceLock::new();
    CELL.get_or_init(|| {
        include_str!("../data/service_datasources.txt")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .collect()
    })
}

/// Whether a `db.name` is a Tinybird service data source.
pub fn is_service_datasource(full: &str) -> bool {
    service_datasources().contains(&full)
}

/// The `VERSION N` of a datafile, as a number.
pub fn version_of(f: &SourceFile) -> Option<u32> {
    f.datafile.version.as_ref()?.text.trim().parse().ok()
}

/// The resource name of a file: its stem; vendored files (`vendor/<ws>/…`) are `<ws>.<stem>`.
pub fn resource_name(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file.split('.').next().unwrap_or(file).to_string();
    let parts: Vec<&str> = path.split('/').collect();
    if parts.first() == Some(&"vendor") && parts.len() > 2 {
        format!("{}.{stem}", parts[1])
    } else {
        stem
    }
}

fn pipe_kind(df: &Datafile) -> PipeKind {
    let types: Vec<NodeType> = df.nodes.iter().map(|n| n.node_type()).collect();
    for (t, k) in [
        (NodeType::Materialized, PipeKind::Materialized),
        (NodeType::Copy, PipeKind::Copy),
        (NodeType::Sink, PipeKind::Sink),
        (NodeType::Stream, PipeKind::Stream),
        (NodeType::Endpoint, PipeKind::Endpoint),
    ] {
        if types.contains(&t) {
            return k;
        }
    }
    PipeKind::Standard
}

impl Project {
    /// Builds the model from parsed datafiles and test files (`(path, text)`).
    pub fn build(
        dialect: Dialect,
        files: Vec<Arc<SourceFile>>,
        tests: &[(String, Arc<str>)],
    ) -> Project {
        let mut p = Project {
            dialect,
            files: files.into(),
            resources: IndexVec::new(),
            tests: IndexVec::new(),
            edges: Vec::new(),
            edges_from: EdgeIndex::default(),
            edges_to: EdgeIndex::default(),
            by_name: FxHashMap::default(),
            by_path: FxHashMap::default(),
            by_version: FxHashMap::default(),
            scripts: Vec::new(),
            names_key: 0,
            graph_key: next_graph_key(),
        };
        p.by_path = p
            .files
            .iter_enumerated()
            .map(|(i, f)| (Arc::from(f.path.as_str()), i))
            .collect();
        p.collect_resources();
        p.names_key = p.compute_names_key();
        p.collect_edges();
        for (path, text) in tests {
            let file = test_files::read(path, text);
            let sql = file
                .cases
                .iter()
                .map(|c| c.sql.as_ref().map(|m| sql::analyze(&m.text)))
                .collect();
            p.tests.push(TestInfo { file, sql });
        }
        p.collect_test_edges();
        p.index_edges();
        p
    }

    /// Rebuilds the edge indexes by source and by target.
    fn index_edges(&mut self) {
        let n = self.resources.len();
        let from = |e: &Edge| match e.from {
            Source::Resource(r) => Some(r),
            Source::Test(_) => None,
        };
        let to = |e: &Edge| match e.target {
            Target::Resource(r) => Some(r),
            _ => None,
        };
        self.edges_from.rebuild(n, &self.edges, from);
        self.edges_to.rebuild(n, &self.edges, to);
    }

    /// Edges from resource `i`'s file (its nodes' references), in file order.
    pub fn edges_from(&self, i: ResourceId) -> impl Iterator<Item = &Edge> {
        self.edges_from
            .get(i)
            .iter()
            .map(|&e| &self.edges[e as usize])
    }

    fn add_resource(&mut self, r: Resource) {
        let id = ResourceId::new(self.resources.len());
        if self.dialect == Dialect::Classic && r.defined_by_file() {
            if let Some(v) = version_of(&self.files[r.file]) {
                self.by_version.insert(format!("{}__v{v}", r.name), id);
            }
        }
        self.by_name.entry(r.name.clone()).or_default().push(id);
        self.resources.push(r);
    }

    fn collect_resources(&mut self) {
        for fi in self.files.ids() {
            let f = &self.files[fi];
            let Some(own) = &f.resource else { continue };
            let r = Resource {
                name: own.name.clone(),
                kind: own.kind,
                pipe_kind: own.pipe_kind,
                path: f.path.as_str().into(),
                origin: Origin::File,
                name_range: TextRange::empty(0),
                nodes: own.nodes.clone(),
                seen_by_cli: f.seen_by_cli,
                file: fi,
            };
            self.add_resource(r);
        }
        // Classic (legacy): a materialized node with an ENGINE creates its DATASOURCE when no
        // datafile defines it (find_file_by_name tries files first).
        for fi in self.files.ids() {
            let f = self.files[fi].clone();
            for (name, range) in &f.created_datasources {
                if self
                    .named(name)
                    .any(|(_, r)| r.kind == ResourceKind::Datasource)
                {
                    continue;
                }
                let r = Resource {
                    name: name.clone(),
                    kind: ResourceKind::Datasource,
                    pipe_kind: None,
                    path: f.path.as_str().into(),
                    origin: Origin::CreatedByNode,
                    name_range: *range,
                    nodes: Arc::from([]),
                    seen_by_cli: f.seen_by_cli,
                    file: fi,
                };
                self.add_resource(r);
            }
        }
    }

    /// A fingerprint of the set of resource names (equal sets, equal keys).
    pub fn names_key(&self) -> u64 {
        self.names_key
    }

    /// A key of the dependency graph between resources: the same key, the same dependencies
    /// (what each resource reads, materializes, copies or sinks into). A new key does not
    /// always mean a different graph.
    pub fn graph_key(&self) -> u64 {
        self.graph_key
    }

    fn compute_names_key(&self) -> u64 {
        use std::hash::BuildHasher;
        let build = rustc_hash::FxBuildHasher;
        let mut key = self.by_name.len() as u64;
        for name in self.by_name.keys().chain(self.by_version.keys()) {
            key = key.wrapping_add(build.hash_one(name));
        }
        key
    }

    /// Resources named `name` (several when the name is defined twice); in Classic also the
    /// resource deployed as `name` = `<resource>__v<N>` by its `VERSION N`.
    pub fn named(&self, name: &str) -> impl Iterator<Item = (ResourceId, &Resource)> {
        let direct = self.by_name.get(name);
        let versioned = direct
            .is_none()
            .then(|| self.by_version.get(name))
            .flatten();
        direct
            .into_iter()
            .flatten()
            .chain(versioned)
            .map(|&i| (i, &self.resources[i]))
    }

    /// A Classic `<name>__v<N>` whose resource `name` exists but is at another version (or at
    /// none): the resource and its version.
    pub fn stale_version(&self, name: &str) -> Option<(ResourceId, Option<u32>)> {
        if self.dialect != Dialect::Classic {
            return None;
        }
        let (base, v) = name.rsplit_once("__v")?;
        if v.is_empty()
            || !v.bytes().all(|b| b.is_ascii_digit())
            || self.by_version.contains_key(name)
        {
            return None;
        }
        let (i, r) = self
            .by_name
            .get(base)?
            .first()
            .map(|&i| (i, &self.resources[i]))?;
        Some((i, version_of(&self.files[r.file])))
    }

    /// The datafile at `path` (relative to the project root).
    pub fn file_id(&self, path: &str) -> Option<FileId> {
        self.by_path.get(path).copied()
    }

    /// The resources that share their name with another (datasources, pipes and connections
    /// alike), one group per name.
    pub fn same_name_groups(&self) -> impl Iterator<Item = &[ResourceId]> {
        self.by_name
            .values()
            .filter(|ids| ids.len() > 1)
            .map(Vec::as_slice)
    }

    pub fn resource(&self, name: &str) -> Option<&Resource> {
        self.named(name).map(|(_, r)| r).next()
    }

    /// Resolves a table name read by a query (`pipe`: the reading pipe, whose nodes shadow).
    pub fn resolve(&self, name: &str, pipe: Option<ResourceId>) -> Target {
        if let Some(p) = pipe {
            if let Some(i) = self.resources[p].nodes.iter().position(|n| n.name == name) {
                return Target::Node(i);
            }
        }
        // Tinybird keeps the rows a datasource rejects in `<datasource>_quarantine`.
        if let Some(base) = name.strip_suffix("_quarantine") {
            if self
                .named(base)
                .any(|(_, r)| r.kind == ResourceKind::Datasource)
            {
                return Target::Service;
            }
        }
        // Prefer a datasource or pipe over a connection of the same name.
        let mut found = self
            .named(name)
            .filter(|(_, r)| r.kind != ResourceKind::Connection);
        if let Some((i, _)) = found.next() {
            return Target::Resource(i);
        }
        match name.split_once('.') {
            Some(_) if is_service_datasource(name) => Target::Service,
            Some((db, _)) if db == "tinybird" || db == "organization" => Target::Unknown,
            Some(_) => Target::External,
            // Classic skips these bare service names (INTERNAL_TABLES).
            None if is_service_datasource(&format!("tinybird.{name}")) => Target::Service,
            None => Target::Unknown,
        }
    }

    fn collect_edges(&mut self) {
        let mut edges = Vec::with_capacity(self.files.iter().map(|f| f.refs.len()).sum());
        for ri in self.resources.ids() {
            self.edges_of(ri, &mut edges);
        }
        self.edges = edges;
    }

    /// The edges from resource `ri`'s file references.
    fn edges_of(&self, ri: ResourceId, edges: &mut Vec<Edge>) {
        let r = &self.resources[ri];
        if !r.defined_by_file() {
            return; // a datasource created by a materialized node: no own file content
        }
        let pipe = (r.kind == ResourceKind::Pipe).then_some(ri);
        for fr in &self.files[r.file].refs {
            let target = match fr.kind {
                EdgeKind::Sinks => self
                    .named(&fr.to)
                    .find(|(_, r)| r.kind == ResourceKind::Connection)
                    .map_or(Target::Unknown, |(i, _)| Target::Resource(i)),
                EdgeKind::Reads => self.resolve(&fr.to, pipe),
                _ => self.resolve(&fr.to, None),
            };
            edges.push(Edge {
                from: Source::Resource(ri),
                from_node: fr.node.clone(),
                to: fr.to.clone(),
                target,
                kind: fr.kind,
                path: r.path.clone(),
                range: fr.range,
                branch: fr.branch.clone(),
                context: fr.context,
                written_here: fr.written_here,
                included: fr.included.clone(),
            });
        }
    }

    /// Replaces file `fi` by a new version of it, in place, when that cannot change how any
    /// other file's names resolve: it defines the same resource (name and kind) and creates
    /// the same legacy datasources. Only its own resource and edges are redone. Returns false
    /// (and changes nothing) otherwise: rebuild the project.
    pub fn replace_file(&mut self, fi: FileId, new: Arc<SourceFile>) -> bool {
        let old = &self.files[fi];
        let same_resource = match (&old.resource, &new.resource) {
            (None, None) => true,
            (Some(a), Some(b)) => a.name == b.name && a.kind == b.kind,
            _ => false,
        };
        let same_created = old.created_datasources.len() == new.created_datasources.len()
            && old
                .created_datasources
                .iter()
                .zip(&new.created_datasources)
                .all(|(a, b)| a.0 == b.0);
        let same_version = version_of(old) == version_of(&new);
        if !same_resource || !same_created || !same_version || old.path != new.path {
            return false;
        }
        self.files[fi] = new;
        let f = self.files[fi].clone();
        let mine: Vec<ResourceId> = self
            .resources
            .ids()
            .filter(|&i| self.resources[i].file == fi)
            .collect();
        for &ri in &mine {
            let r = &mut self.resources[ri];
            if r.defined_by_file() {
                if let Some(own) = &f.resource {
                    r.pipe_kind = own.pipe_kind;
                    r.nodes = own.nodes.clone();
                }
            } else if let Some((_, range)) =
                f.created_datasources.iter().find(|(n, _)| *n == r.name)
            {
                r.name_range = *range;
            }
        }
        let dependencies = |edges: &mut dyn Iterator<Item = &Edge>| {
            edges
                .map(|e| (e.kind, e.target.clone()))
                .collect::<Vec<_>>()
        };
        let before = dependencies(&mut mine.iter().flat_map(|&ri| self.edges_from(ri)));
        self.edges
            .retain(|e| !matches!(e.from, Source::Resource(ri) if mine.contains(&ri)));
        let mut edges = Vec::new();
        for &ri in &mine {
            self.edges_of(ri, &mut edges);
        }
        if dependencies(&mut edges.iter()) != before {
            self.graph_key = next_graph_key();
        }
        self.edges.extend(edges);
        self.index_edges();
        true
    }

    fn collect_test_edges(&mut self) {
        let mut edges = Vec::new();
        for (ti, t) in self.tests.iter_enumerated() {
            for (ci, case) in t.file.cases.iter().enumerate() {
                if let Some((pipe, range)) = &case.pipe {
                    edges.push(Edge {
                        from: Source::Test(ti),
                        from_node: Some(case.name.as_str().into()),
                        to: pipe.as_str().into(),
                        target: self.resolve(pipe, None),
                        kind: EdgeKind::TestReads,
                        path: t.file.path.as_str().into(),
                        range: *range,
                        branch: None,
                        context: None,
                        written_here: true,
                        included: None,
                    });
                }
                if let (Some(a), Some(map)) = (&t.sql[ci], &case.sql) {
                    for r in &a.tables {
                        let to = r.full_name();
                        edges.push(Edge {
                            from: Source::Test(ti),
                            from_node: Some(case.name.as_str().into()),
                            target: self.resolve(&to, None),
                            to: to.into(),
                            kind: EdgeKind::TestReads,
                            path: t.file.path.as_str().into(),
                            range: map.range_to_file(r.range),
                            branch: None,
                            context: Some(r.context),
                            written_here: true,
                            included: None,
                        });
                    }
                }
            }
        }
        self.edges.extend(edges);
    }
}

#[cfg(test)]
mod tests {
    use super::replaces_marker;

    #[test]
    fn reads_the_replaces_marker() {
        let text =
            "DESCRIPTION >\n    x\n\n# tinybird-lsp: replaces `daily_mv` (adds env)\nSCHEMA >\n";
        let (name, range) = replaces_marker(text).unwrap();
        assert_eq!(name, "daily_mv");
        assert_eq!(&text[range.start..range.end], "daily_mv");
        assert!(replaces_marker("# replaces daily_mv\n").is_none());
        assert!(replaces_marker("# tinybird-lsp: replaces\n").is_none());
    }
}
