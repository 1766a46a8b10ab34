//! Materialized-view migrations, recognised from the files alone (../shared/reference/
//! migration-strategies.md). Every datasource's writers (materialized and copy nodes) are
//! listed with the time bounds of their WHERE/PREWHERE; a datasource with a live writer cut
//! at an instant (`ts > T`) is a migration target N, its backfills are the writers bounded
//! above (`ts <= T`) or copying a legacy target, and the legacy target L is paired by
//! structure: fed from the same source, with (nearly) all of its columns in N.
//!
//! Pure: built from the [`Project`] ([`Migrations::build`]); the rules in [`rules`] read it.

pub mod bucket;
pub mod instant;
pub mod rules;
pub mod state_facts;

use instant::{column_granularity, column_zone, parse_value, Granularity, Instant};
use project::model::{
    EdgeKind, IncludedSite, IndexVec, NodeId, NodeInfo, Project, ResourceId, ResourceKind, Source,
    Target, WriterId,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use syntax::model::Column;
use syntax::sql::facts::{CompareOp, Comparison};
use syntax::text::TextRange;

/// What a time bound compares with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BoundValue {
    Instant(Instant),
    /// A template parameter (`{{ DateTime(end) }}`): chosen at run time.
    Parameter(String),
}

/// `column op value` on a time column, in a writer's WHERE or PREWHERE.
#[derive(Clone, Debug, PartialEq)]
pub struct Bound {
    pub column: String,
    /// Conversions around the column, outermost first (`toDate`, `toStartOfHour`).
    pub wrappers: Vec<String>,
    pub op: CompareOp,
    pub value: BoundValue,
    /// The comparison in the file.
    pub range: TextRange,
    /// The value in the file.
    pub value_range: TextRange,
    /// From `BETWEEN` (inclusive at both ends).
    pub between: bool,
    /// The compared column and the value as written (`toDate(ts)`, `'2024-01-01 00:00:00'`),
    /// when the column is on the left of a plain comparison.
    pub column_text: Option<String>,
    pub value_text: String,
    /// The column's timezone and granularity, from the source's SCHEMA when known.
    pub column_zone: Option<String>,
    pub column_granularity: Option<Granularity>,
    /// The comparison is written in the pipe's own file (not in an included `.incl`): only
    /// then may a fix edit `range`.
    pub written_here: bool,
    /// For a comparison read from an included `.incl`: where it (and its value) is written.
    pub included: Option<IncludedSite>,
    pub value_included: Option<IncludedSite>,
}

impl Bound {
    pub fn is_lower(&self) -> bool {
        matches!(self.op, CompareOp::Gt | CompareOp::Ge)
    }
    pub fn is_upper(&self) -> bool {
        matches!(self.op, CompareOp::Lt | CompareOp::Le)
    }
    pub fn instant(&self) -> Option<&Instant> {
        match &self.value {
            BoundValue::Instant(i) => Some(i),
            BoundValue::Parameter(_) => None,
        }
    }
    /// The column as compared: `timestamp`, `toDate(timestamp)`.
    pub fn column_expr(&self) -> String {
        let mut s = self.column.clone();
        for w in self.wrappers.iter().rev() {
            s = format!("{w}({s})");
        }
        s
    }
    /// Where the comparison is written: in its `.incl` when read through an INCLUDE, else at
    /// `range` of the writer's file `path`.
    pub fn written_at(&self, path: &str) -> (String, TextRange) {
        match (&self.included, self.written_here) {
            (Some(site), false) => (site.path.to_string(), site.range),
            _ => (path.to_string(), self.range),
        }
    }
    /// The effective timezone of the value.
    pub fn zone(&self) -> Option<&str> {
        self.instant()
            .map(|i| i.effective_zone(self.column_zone.as_deref()))
    }
}

/// A materialized or copy node and the datasource it writes.
#[derive(Clone, Debug, PartialEq)]
pub struct Writer {
    pub pipe: ResourceId,
    pub node: usize,
    pub kind: EdgeKind,
    pub target: ResourceId,
    /// The DATASOURCE / TARGET_DATASOURCE value in the pipe file.
    pub target_range: TextRange,
    pub path: Arc<str>,
    /// The first table of its FROM, as written.
    pub source: Option<String>,
    /// Where the source is named in the file (`None` when named in an included `.incl`).
    pub source_range: Option<TextRange>,
    pub bounds: Vec<Bound>,
    /// `COPY_MODE` (copy nodes), lower-cased, and where it is written.
    pub copy_mode: Option<(String, TextRange)>,
    /// The node's SQL has no SELECT facts (a template it could not render, ...).
    pub opaque: bool,
    /// How to add a condition to the node's SQL: insert at this file offset the text made by
    /// [`Writer::condition_text`].
    pub condition_at: Option<ConditionAt>,
}

impl Writer {
    /// Its node.
    pub fn node_id(&self) -> NodeId {
        NodeId::new(self.pipe, self.node)
    }
    pub fn lower(&self) -> impl Iterator<Item = &Bound> {
        self.bounds.iter().filter(|b| b.is_lower())
    }
    pub fn upper(&self) -> impl Iterator<Item = &Bound> {
        self.bounds.iter().filter(|b| b.is_upper())
    }
    /// A live side cut at an instant: materialized, bounded below, not above.
    pub fn is_live_with_cutoff(&self) -> bool {
        self.kind == EdgeKind::MaterializesInto
            && self.lower().any(|b| b.instant().is_some())
            && self.upper().next().is_none()
    }
    /// A backfill: bounded above by an instant or a parameter.
    pub fn is_bounded_backfill(&self) -> bool {
        self.upper().next().is_some()
    }
}

/// A migration: the new target, its legacy counterpart when one is recognised, and the
/// indexes (into [`Migrations::writers`]) of its live sides and backfills.
#[derive(Clone, Debug)]
pub struct Migration {
    pub new: ResourceId,
    pub legacy: Option<ResourceId>,
    pub live: Vec<WriterId>,
    pub backfills: Vec<WriterId>,
}

/// Every writer of the project and the migrations among them.
pub struct Migrations {
    pub writers: IndexVec<WriterId, Arc<Writer>>,
    pub migrations: Vec<Migration>,
    /// Datasource → the writers into it.
    pub by_target: BTreeMap<ResourceId, Vec<WriterId>>,
    /// Pipe → its writers.
    pub by_pipe: HashMap<ResourceId, Vec<WriterId>>,
}

/// The schema columns of a datasource resource (none for one created by an ENGINE in a pipe).
pub fn columns(p: &Project, ds: ResourceId) -> &[Column] {
    let r = &p.resources[ds];
    if r.kind != ResourceKind::Datasource || !r.defined_by_file() {
        return &[];
    }
    p.files[r.file]
        .datafile
        .schema()
        .map_or(&[], |s| s.columns.as_slice())
}

fn writer_of(
    p: &Project,
    pipe: ResourceId,
    node_index: usize,
    kind: EdgeKind,
    target: ResourceId,
    target_range: TextRange,
) -> Writer {
    let r = &p.resources[pipe];
    let node: &NodeInfo = &r.nodes[node_index];
    let dn = &p.files[r.file].datafile.nodes[node_index];
    let mut w = Writer {
        pipe,
        node: node_index,
        kind,
        target,
        target_range,
        path: r.path.clone(),
        source: None,
        source_range: None,
        bounds: Vec::new(),
        copy_mode: dn
            .copy_mode
            .as_ref()
            .map(|v| (v.text.to_ascii_lowercase(), v.range)),
        opaque: true,
        condition_at: None,
    };
    let Some(sql) = &node.sql else { return w };
    if let Some(t) = sql.main_from() {
        w.source = Some(t.full_name());
        // Named in an included `.incl`, the source maps to the INCLUDE line: no range then.
        w.source_range = node
            .sql_map
            .is_written_here(t.range)
            .then(|| node.file_range(t.range));
    }
    let Some(main) = &sql.main else { return w };
    w.opaque = false;
    let source_columns: &[Column] = w
        .source
        .as_deref()
        .and_then(|s| p.named(s).find(|(_, r)| r.kind == ResourceKind::Datasource))
        .map_or(&[], |(i, _)| columns(p, i));
    let template = &node.sql_map.text;
    // Where a condition would go: in text written in this file, or in one included `.incl`
    // (never on the INCLUDE line, which every included position maps to).
    let place = |o: usize| -> Option<(Option<Arc<str>>, usize)> {
        let r = TextRange::empty(o);
        if node.sql_map.is_written_here(r) {
            Some((None, node.file_range(r).start))
        } else {
            node.included_site(r).map(|s| (Some(s.path), s.range.start))
        }
    };
    w.condition_at = condition_at(main, template, sql.templated).and_then(|c| {
        let (path, at) = place(c.at)?;
        let open_paren = match c.open_paren {
            Some(o) => {
                let (p2, o) = place(o)?;
                if p2 != path {
                    return None;
                }
                Some(o)
            }
            None => None,
        };
        Some(ConditionAt {
            at,
            open_paren,
            and: c.and,
            indent: c.indent.map(|i| format!("{}{i}", node.sql_map.margin)),
            path,
        })
    });
    for c in main.prewhere.iter().chain(&main.where_) {
        let between = c.comparisons.len() == 2;
        for cmp in &c.comparisons {
            if let Some(b) = bound(cmp, c.range, template, source_columns, between, node) {
                w.bounds.push(b);
            }
        }
    }
    w
}

fn bound(
    cmp: &Comparison,
    conjunct: TextRange,
    template: &str,
    source: &[Column],
    between: bool,
    node: &NodeInfo,
) -> Option<Bound> {
    if !matches!(
        cmp.op,
        CompareOp::Lt | CompareOp::Le | CompareOp::Gt | CompareOp::Ge
    ) {
        return None;
    }
    let written = template
        .get(cmp.value_range.start..cmp.value_range.end)
        .unwrap_or("");
    let value = if written.contains("{{") {
        BoundValue::Parameter(written.trim().to_string())
    } else {
        BoundValue::Instant(parse_value(&cmp.value)?)
    };
    let col = source.iter().find(|c| c.name == cmp.column);
    let start = conjunct.start.min(cmp.column_range.start);
    let column_text = (!between && cmp.column_range.start < cmp.value_range.start)
        .then(|| {
            let gap = template.get(cmp.column_range.end..cmp.value_range.start)?;
            let op_at = gap.find(['<', '>'])?;
            Some(
                template
                    .get(start..cmp.column_range.end + op_at)?
                    .trim_end()
                    .to_string(),
            )
        })
        .flatten();
    // The whole conjunct (`toDate(ts) <= '…'`, or the BETWEEN), not only the column name.
    let range = if between {
        conjunct
    } else {
        TextRange::new(
            conjunct.start.min(cmp.column_range.start),
            cmp.value_range.end.max(cmp.column_range.end),
        )
    };
    Some(Bound {
        column: cmp.column.clone(),
        wrappers: cmp.wrappers.clone(),
        op: cmp.op,
        value,
        range: node.file_range(range),
        value_range: node.file_range(cmp.value_range),
        between,
        column_text,
        value_text: written.trim().to_string(),
        column_zone: col.and_then(|c| c.parsed.as_ref()).and_then(column_zone),
        column_granularity: col
            .and_then(|c| c.parsed.as_ref())
            .and_then(column_granularity),
        written_here: node.sql_map.is_written_here(range),
        included: node.included_site(range),
        value_included: node.included_site(cmp.value_range),
    })
}

/// Where a condition goes in a node's SQL.
#[derive(Clone, Debug, PartialEq)]
pub struct ConditionAt {
    /// File offset.
    pub at: usize,
    /// Where a `(` goes when the existing WHERE needs parentheses (its top level is an OR).
    pub open_paren: Option<usize>,
    /// After an existing WHERE (`AND …`), or a new WHERE.
    pub and: bool,
    /// The indentation of the clause the new WHERE goes before, in the file, when that clause
    /// starts its line (`None`: the WHERE goes inline).
    pub indent: Option<String>,
    /// The `.incl` the offsets are in, when the WHERE is written in an included file (`None`:
    /// the pipe's own file).
    pub path: Option<Arc<str>>,
}

impl Writer {
    /// The insertions (file offset, text) that add `condition` to the node's WHERE: ANDed to
    /// an existing WHERE (parenthesised when its top level is an OR), or a new WHERE.
    pub fn condition_edits(&self, condition: &str) -> Option<Vec<(usize, String)>> {
        let c = self.condition_at.as_ref()?;
        Some(if c.and {
            match c.open_paren {
                Some(open) => vec![
                    (open, "(".to_string()),
                    (c.at, format!(") AND {condition}")),
                ],
                None => vec![(c.at, format!(" AND {condition}"))],
            }
        } else {
            match &c.indent {
                None => vec![(c.at, format!(" WHERE {condition} "))],
                Some(indent) => vec![(c.at, format!("WHERE {condition}\n{indent}"))],
            }
        })
    }
}

struct SqlConditionAt {
    at: usize,
    open_paren: Option<usize>,
    and: bool,
    indent: Option<String>,
}

/// Where a condition on the source goes (SQL offsets): after the WHERE expression, or a new
/// WHERE before GROUP BY / ORDER BY, or at the end of the SELECT. In a template, only where
/// no `{% if %}` branch holds the place (else `None`: it cannot be placed safely).
fn condition_at(
    main: &syntax::sql::facts::SelectFacts,
    sql: &str,
    templated: bool,
) -> Option<SqlConditionAt> {
    let template = templated
        .then(|| syntax::sql::template::Template::of_sql(sql))
        .flatten();
    let in_branch = |at: usize| template.as_ref().is_some_and(|t| t.inside_branch(at));
    let lower = sql.to_ascii_lowercase();
    let clause = |first: Option<&TextRange>, keyword: &str| -> Option<usize> {
        let r = first?;
        lower.get(..r.start)?.rfind(keyword)
    };
    let next_clause =
        clause(main.group_by.first(), "group").or_else(|| clause(main.order_by.first(), "order"));
    if let Some(w) = main.where_range {
        let mut at = w.end;
        if in_branch(at) {
            // The WHERE ends inside a template branch: put the condition before the next
            // clause instead, after the branch.
            at = next_clause.filter(|&n| n > w.end)?;
            at = sql[..at].trim_end().len();
            if in_branch(at) {
                return None;
            }
        }
        if main.where_or && in_branch(w.start) {
            return None;
        }
        return Some(SqlConditionAt {
            at,
            open_paren: main.where_or.then_some(w.start),
            and: true,
            indent: None,
        });
    }
    let (at, indent) = match next_clause {
        Some(at) => {
            let line_start = sql[..at].rfind('\n').map_or(0, |i| i + 1);
            let indent = &sql[line_start..at];
            let indent = indent.trim().is_empty().then(|| indent.to_string());
            (at, indent)
        }
        None => (main.range.end, None),
    };
    if in_branch(at) {
        return None;
    }
    Some(SqlConditionAt {
        at,
        open_paren: None,
        and: false,
        indent,
    })
}

impl Migrations {
    /// The model from `known` writers (of pipes not in `compute`, from an earlier analysis)
    /// and the writers of the pipes in `compute`, worked out now.
    pub fn build(p: &Project, known: Vec<Arc<Writer>>, compute: &[ResourceId]) -> Migrations {
        let mut writers = known;
        writers.extend(Self::writers_of_pipes(p, compute));
        Self::from_writers(p, writers)
    }

    /// The writers (materialized and copy nodes into datasources) of the pipes `pipes`.
    pub fn writers_of_pipes(p: &Project, pipes: &[ResourceId]) -> Vec<Arc<Writer>> {
        let mut writers = Vec::new();
        for &pipe in pipes {
            for e in p.edges_from(pipe) {
                let Target::Resource(target) = e.target else {
                    continue;
                };
                if !matches!(e.kind, EdgeKind::MaterializesInto | EdgeKind::CopiesInto)
                    || p.resources[target].kind != ResourceKind::Datasource
                {
                    continue;
                }
                let Some(node) = e
                    .from_node
                    .as_deref()
                    .and_then(|n| p.resources[pipe].nodes.iter().position(|x| x.name == n))
                else {
                    continue;
                };
                writers.push(Arc::new(writer_of(p, pipe, node, e.kind, target, e.range)));
            }
        }
        writers
    }

    /// The model from every writer of the project.
    pub fn from_writers(p: &Project, mut writers: Vec<Arc<Writer>>) -> Migrations {
        // One order whatever came from the cache: by pipe, then node.
        writers.sort_by_key(|w| (w.pipe, w.node, w.target));
        let writers: IndexVec<WriterId, Arc<Writer>> = writers.into();
        let mut by_target: BTreeMap<ResourceId, Vec<WriterId>> = BTreeMap::new();
        let mut by_pipe: HashMap<ResourceId, Vec<WriterId>> = HashMap::new();
        for (i, w) in writers.iter_enumerated() {
            by_target.entry(w.target).or_default().push(i);
            by_pipe.entry(w.pipe).or_default().push(i);
        }
        // Source → the targets a plain materialized view (no cutoff, no bound) feeds from it:
        // the candidates for a legacy target.
        let fed_from = fed_from(&writers);
        let mut migrations = Vec::new();
        for (&target, ws) in &by_target {
            let live: Vec<WriterId> = ws
                .iter()
                .copied()
                .filter(|&i| writers[i].is_live_with_cutoff())
                .collect();
            let legacy = legacy_of(p, target, ws, &writers, &fed_from);
            let backfills: Vec<WriterId> = ws
                .iter()
                .copied()
                .filter(|&i| {
                    let w = &writers[i];
                    w.is_bounded_backfill()
                        || (legacy.is_some()
                            && w.source.as_deref() == legacy.map(|l| p.resources[l].name.as_str()))
                })
                .collect();
            if !live.is_empty() || (legacy.is_some() && !backfills.is_empty()) {
                migrations.push(Migration {
                    new: target,
                    legacy,
                    live,
                    backfills,
                });
            }
        }
        Migrations {
            writers,
            migrations,
            by_target,
            by_pipe,
        }
    }

    /// Migrations at step 1 without a cutoff: a new target `N` written by materialized views
    /// none of which is cut at an instant, and no backfill yet, that replaces a legacy target
    /// `L` — named by N's `# tinybird-lsp: replaces` marker, or paired by structure and named
    /// after it (`L_2`, `L_v2`, `new_L`, `L_new`). (N, L) pairs.
    pub fn unstarted(&self, p: &Project) -> Vec<(ResourceId, ResourceId)> {
        let fed_from = fed_from(&self.writers);
        let in_migration: std::collections::HashSet<ResourceId> = self
            .migrations
            .iter()
            .flat_map(|m| std::iter::once(m.new).chain(m.legacy))
            .collect();
        let mut out = Vec::new();
        for (&target, ws) in &self.by_target {
            if in_migration.contains(&target) {
                continue;
            }
            let plain = ws.iter().all(|&i| {
                let w = &self.writers[i];
                w.kind == EdgeKind::MaterializesInto
                    && !w.opaque
                    && w.lower().all(|b| b.instant().is_none())
                    && !w.is_bounded_backfill()
            });
            if !plain {
                continue;
            }
            let Some(legacy) = legacy_of(p, target, ws, &self.writers, &fed_from) else {
                continue;
            };
            let marked = p.files[p.resources[target].file].replaces.is_some();
            if marked || named_after(&p.resources[target].name, &p.resources[legacy].name) {
                out.push((target, legacy));
            }
        }
        out
    }

    pub fn writers_into(&self, target: ResourceId) -> impl Iterator<Item = &Writer> {
        self.by_target
            .get(&target)
            .into_iter()
            .flatten()
            .map(|&i| &*self.writers[i])
    }
}

/// The references that still read a complete migration's legacy target from outside the
/// migration: not its own pipes (a backfill may read the legacy target), not a test or a pipe
/// node that reads both targets (it compares them: the quality test or check). Empty when the
/// migration has no legacy target or is not complete (a live side and a backfill).
pub fn legacy_readers<'a>(
    p: &'a Project,
    ms: &'a Migrations,
    m: &'a Migration,
) -> impl Iterator<Item = &'a project::model::Edge> + 'a {
    let complete = !m.live.is_empty() && !m.backfills.is_empty();
    let legacy = m.legacy.filter(|_| complete);
    let part: Vec<ResourceId> = m
        .live
        .iter()
        .chain(&m.backfills)
        .map(|&i| ms.writers[i].pipe)
        .collect();
    let new_name = &p.resources[m.new].name;
    p.edges.iter().filter(move |e| {
        legacy.is_some_and(|l| e.target == Target::Resource(l))
            && matches!(e.kind, EdgeKind::Reads | EdgeKind::TestReads)
            && !matches!(e.from, Source::Resource(r) if part.contains(&r))
            && !(is_migration_check(p, &e.from, new_name)
                && p.edges_from_source(&e.from).any(|o| {
                    o.from_node == e.from_node
                        && matches!(o.kind, EdgeKind::Reads | EdgeKind::TestReads)
                        && compares_with_legacy(p, o, m)
                }))
    })
}

/// Whether a read next to a read of a migration's legacy target makes a comparison of the two:
/// it reads the new target, or a materialized pipe writing into either target (a quality test
/// written against the pipe's name, `reads-materialized-pipe` says which table to read).
pub fn compares_with_legacy(p: &Project, o: &project::model::Edge, m: &Migration) -> bool {
    match o.target {
        Target::Resource(t) if t == m.new => true,
        Target::Resource(t) => {
            materialized_targets(p, t).any(|w| w == m.new || Some(w) == m.legacy)
        }
        _ => false,
    }
}

/// The datasources a materialized pipe writes into (none for another resource).
pub fn materialized_targets(
    p: &Project,
    pipe: ResourceId,
) -> impl Iterator<Item = ResourceId> + '_ {
    let materialized = p.resources[pipe].pipe_kind == Some(project::model::PipeKind::Materialized);
    p.edges_from(pipe)
        .filter(move |e| materialized && e.kind == EdgeKind::MaterializesInto)
        .filter_map(|e| match e.target {
            Target::Resource(t) => Some(t),
            _ => None,
        })
}

/// A column qualifier naming a table (`daily` in `daily.day`) in a node or test case.
pub struct Qualifier {
    pub path: String,
    /// In `path`; `None` when written in an included file.
    pub range: Option<TextRange>,
    /// As written, with its quotes.
    pub written: String,
}

/// The qualifiers naming `table` in the SQL of node `node` of a resource, or of test case
/// `node` of a test file.
pub fn qualified_columns(
    p: &Project,
    from: &Source,
    node: Option<&str>,
    table: &str,
) -> Vec<Qualifier> {
    let sql = match *from {
        Source::Resource(r) => p.resources[r]
            .nodes
            .iter()
            .find(|n| Some(n.name.as_str()) == node)
            .and_then(|n| Some((n.sql.as_deref()?, &*n.sql_map, &*p.resources[r].path))),
        Source::Test(t) => {
            let test = &p.tests[t];
            test.file
                .cases
                .iter()
                .position(|c| Some(c.name.as_str()) == node)
                .and_then(|ci| {
                    Some((
                        test.sql[ci].as_ref()?,
                        test.file.cases[ci].sql.as_ref()?,
                        test.file.path.as_str(),
                    ))
                })
        }
    };
    let Some((analysis, map, path)) = sql else {
        return Vec::new();
    };
    syntax::sql::qualifiers(&map.text, analysis, table)
        .into_iter()
        .map(|q| Qualifier {
            path: path.to_string(),
            range: map.is_written_here(q).then(|| map.range_to_file(q)),
            written: map.text[q.start..q.end].to_string(),
        })
        .collect()
}

/// `name` quoted like `written` (a name as written: bare, in backticks or double quotes).
pub fn requote(written: &str, name: &str) -> String {
    match written.chars().next() {
        Some(q @ ('`' | '"')) => format!("{q}{name}{q}"),
        _ => name.to_string(),
    }
}

/// Whether a reader of both targets is the migration's own comparison: a test (a quality test
/// by nature), or a pipe the backfill step created (`# tinybird-lsp: check for <N>`). Any
/// other pipe reading the legacy target is a dependent, even if it also reads the new one.
pub fn is_migration_check(p: &Project, from: &Source, new_name: &str) -> bool {
    match from {
        Source::Test(_) => true,
        Source::Resource(r) => p.files[p.resources[*r].file].check_for.as_deref() == Some(new_name),
    }
}

/// Source → the targets a plain materialized view (no cutoff, no bound) feeds from it: the
/// candidates for a legacy target.
fn fed_from(writers: &IndexVec<WriterId, Arc<Writer>>) -> HashMap<&str, Vec<ResourceId>> {
    let mut fed_from: HashMap<&str, Vec<ResourceId>> = HashMap::new();
    for w in writers {
        if w.kind == EdgeKind::MaterializesInto
            && !w.is_live_with_cutoff()
            && !w.is_bounded_backfill()
        {
            if let Some(s) = w.source.as_deref() {
                fed_from.entry(s).or_default().push(w.target);
            }
        }
    }
    fed_from
}

/// Whether `new` is named as a new version of `old`: `old_2`, `old_v2`, `new_old`, `old_new`.
pub(crate) fn named_after(new: &str, old: &str) -> bool {
    if new == format!("new_{old}") || new == format!("{old}_new") {
        return true;
    }
    let Some(rest) = new.strip_prefix(old).and_then(|r| r.strip_prefix('_')) else {
        return false;
    };
    let digits = rest.strip_prefix('v').unwrap_or(rest);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// How well a new datasource `new` (columns `new_cols`) replaces `old` (`old_cols`), by structure:
/// `None` unless (nearly) every old column is in the new one; more for a closer name and more
/// columns kept.
pub(crate) fn replacement_score(
    new: &str,
    new_cols: &[&str],
    old: &str,
    old_cols: &[&str],
) -> Option<f64> {
    if old_cols.is_empty() {
        return None;
    }
    let kept = old_cols.iter().filter(|c| new_cols.contains(c)).count();
    if (kept as f64) < 0.8 * old_cols.len() as f64 {
        return None;
    }
    Some(strsim::jaro_winkler(new, old) + kept as f64 / old_cols.len() as f64)
}

/// The legacy target N replaces: another datasource materialized from the same source as N's
/// live side, whose columns are (nearly) all in N. The closest by name wins a tie.
fn legacy_of(
    p: &Project,
    target: ResourceId,
    ws: &[WriterId],
    writers: &IndexVec<WriterId, Arc<Writer>>,
    fed_from: &HashMap<&str, Vec<ResourceId>>,
) -> Option<ResourceId> {
    // Named explicitly: `# tinybird-lsp: replaces <legacy>` in the new target's file.
    let r = &p.resources[target];
    if r.defined_by_file() {
        if let Some((name, _)) = &p.files[r.file].replaces {
            if let Some((i, _)) = p
                .named(name)
                .find(|(i, o)| *i != target && o.kind == ResourceKind::Datasource)
            {
                return Some(i);
            }
        }
    }
    let sources: Vec<&str> = ws
        .iter()
        .filter(|&&i| {
            writers[i].kind == EdgeKind::MaterializesInto && !writers[i].is_bounded_backfill()
        })
        .filter_map(|&i| writers[i].source.as_deref())
        .collect();
    if sources.is_empty() {
        return None;
    }
    // A migration that is over (no backfill writes the target, and pipes outside it read the
    // target: its dependents were moved) pairs with nothing by structure: a datasource that
    // merely looks like the legacy one is not its history.
    let backfilled = ws
        .iter()
        .any(|&i| writers[i].kind == EdgeKind::CopiesInto || writers[i].is_bounded_backfill());
    let writer_pipes: Vec<ResourceId> = ws.iter().map(|&i| writers[i].pipe).collect();
    let read_by_dependents = p.edges_into(target).any(|e| {
        e.kind == EdgeKind::Reads
            && matches!(e.from, Source::Resource(r) if !writer_pipes.contains(&r)
                && p.files[p.resources[r].file].check_for.as_deref() != Some(p.resources[target].name.as_str()))
    });
    if !backfilled && read_by_dependents {
        return None;
    }
    let new_cols: Vec<&str> = columns(p, target).iter().map(|c| c.name.as_str()).collect();
    if new_cols.is_empty() {
        return None;
    }
    let new_name = &p.resources[target].name;
    let mut candidates: Vec<ResourceId> = sources
        .iter()
        .filter_map(|s| fed_from.get(s))
        .flatten()
        .copied()
        .filter(|&o| o != target)
        .collect();
    candidates.sort_unstable();
    candidates.dedup();
    let mut best: Option<(ResourceId, f64)> = None;
    for other in candidates {
        let old_cols: Vec<&str> = columns(p, other).iter().map(|c| c.name.as_str()).collect();
        let Some(score) =
            replacement_score(new_name, &new_cols, &p.resources[other].name, &old_cols)
        else {
            continue;
        };
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((other, score));
        }
    }
    best.map(|(i, _)| i)
}
