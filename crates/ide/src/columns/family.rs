//! Who a column flows to: the nodes reading an owner, the writers of a datasource, the
//! column family (pass-through reads both ways, materialized and copy nodes to their
//! targets) and every site naming a column across the project.

use super::*;

/// Nodes reading an owner as a table: (pipe resource, node index).
pub fn readers(p: &Project, owner: ColumnOwner) -> Vec<NodeId> {
    let mut out = Vec::new();
    let mut push = |pi: ResourceId, node: &str| {
        if let Some(ni) = p.resources[pi].nodes.iter().position(|n| n.name == node) {
            let id = NodeId::new(pi, ni);
            if !out.contains(&id) {
                out.push(id);
            }
        }
    };
    let reads = |e: &&project::model::Edge| e.kind == EdgeKind::Reads;
    match owner {
        ColumnOwner::Datasource(i) => {
            for e in p.edges_into(i).filter(reads) {
                if let (Source::Resource(pi), Some(n)) = (&e.from, &e.from_node) {
                    push(*pi, n);
                }
            }
        }
        ColumnOwner::Node(NodeId {
            pipe: ri,
            index: ni,
        }) => {
            // Later nodes of the same pipe reading it by name.
            for e in p.edges_from(ri).filter(reads) {
                if e.target == Target::Node(ni) {
                    if let Some(n) = &e.from_node {
                        push(ri, n);
                    }
                }
            }
            // The last node is the pipe's output: what reads the pipe reads it.
            if p.resources[ri].nodes.len() == ni + 1 {
                for e in p.edges_into(ri).filter(reads) {
                    if let (Source::Resource(pi), Some(n)) = (&e.from, &e.from_node) {
                        push(*pi, n);
                    }
                }
            }
        }
        ColumnOwner::Cte(node, _) | ColumnOwner::Subquery(node, _) => out.push(node),
    }
    out
}

/// The tables an owner's SELECT reads (none for a datasource).
pub fn sources_of(p: &Project, owner: ColumnOwner) -> Vec<(ColumnOwner, TextRange)> {
    match owner {
        ColumnOwner::Datasource(_) => Vec::new(),
        scope => scope_sources(p, scope),
    }
}

/// Owners reading `owner` as a table: the reader nodes, and their CTEs and subqueries reading
/// it.
pub(super) fn reading_owners(p: &Project, owner: ColumnOwner) -> Vec<ColumnOwner> {
    let mut out = Vec::new();
    for NodeId {
        pipe: pi,
        index: ni,
    } in readers(p, owner)
    {
        out.push(ColumnOwner::Node(NodeId {
            pipe: pi,
            index: ni,
        }));
        for (c, _) in scopes(p, pi, ni) {
            if c != owner && scope_sources(p, c).iter().any(|(s, _)| *s == owner) {
                out.push(c);
            }
        }
    }
    out
}

/// The datasource a materialized or copy node writes into.
pub fn written_by(p: &Project, ri: ResourceId, ni: usize) -> Option<ResourceId> {
    let node = p.resources.get(ri)?.nodes.get(ni)?;
    if !matches!(node.node_type, NodeType::Materialized | NodeType::Copy) {
        return None;
    }
    p.writes_of(ri)
        .filter(|e| e.from_node.as_deref() == Some(&node.name))
        .find_map(|e| match e.target {
            Target::Resource(t) => Some(t),
            _ => None,
        })
}

/// Nodes writing into datasource `ds`.
pub fn writers_of(p: &Project, ds: ResourceId) -> Vec<NodeId> {
    p.edges_into(ds)
        .filter(|e| e.kind.writes())
        .filter_map(|e| match (&e.from, &e.from_node) {
            (Source::Resource(pi), Some(n)) => p.resources[*pi]
                .nodes
                .iter()
                .position(|x| x.name == **n)
                .map(|ni| NodeId::new(*pi, ni)),
            _ => None,
        })
        .collect()
}

/// The column of `name` of each owner asked about, computed once per request (a family
/// search asks about the same owners many times).
pub(super) struct ColumnMemo<'p> {
    pub(super) p: &'p Project,
    pub(super) name: &'p str,
    cache: HashMap<ColumnOwner, Option<ColumnDef>>,
}

impl<'p> ColumnMemo<'p> {
    pub(super) fn new(p: &'p Project, name: &'p str) -> Self {
        ColumnMemo {
            p,
            name,
            cache: HashMap::new(),
        }
    }
    pub(super) fn column(&mut self, owner: ColumnOwner) -> Option<&ColumnDef> {
        let (p, name) = (self.p, self.name);
        self.cache
            .entry(owner)
            .or_insert_with(|| columns_of(p, owner).into_iter().find(|c| c.name == name))
            .as_ref()
    }
    pub(super) fn has(&mut self, owner: ColumnOwner) -> bool {
        self.column(owner).is_some()
    }
    /// Where the owner's column is read from unchanged.
    pub(super) fn origin(&mut self, owner: ColumnOwner) -> Option<ColumnOwner> {
        self.column(owner).and_then(|c| c.origin)
    }
}

/// At most this many owners are followed for one column.
const FAMILY_LIMIT: usize = 512;

/// The family and whether the search reached all of it.
pub(super) fn family(memo: &mut ColumnMemo, start: ColumnOwner) -> (Vec<ColumnOwner>, bool) {
    let p = memo.p;
    let mut seen: HashSet<ColumnOwner> = HashSet::new();
    let mut queue = VecDeque::from([start]);
    seen.insert(start);
    let mut complete = true;
    while let Some(o) = queue.pop_front() {
        if seen.len() > FAMILY_LIMIT {
            complete = false;
            break;
        }
        let mut next = Vec::new();
        // Downstream: readers passing this column on.
        for r in reading_owners(p, o) {
            if memo.origin(r) == Some(o) {
                next.push(r);
            }
        }
        // Upstream: a pass-through column is its source's.
        if let Some(s) = memo.origin(o) {
            next.push(s);
        }
        match o {
            ColumnOwner::Cte(..) | ColumnOwner::Subquery(..) => {}
            ColumnOwner::Node(NodeId {
                pipe: ri,
                index: ni,
            }) => {
                if let Some(t) = written_by(p, ri, ni).map(ColumnOwner::Datasource) {
                    if memo.has(t) {
                        next.push(t);
                    }
                }
            }
            ColumnOwner::Datasource(ds) => {
                for NodeId {
                    pipe: pi,
                    index: ni,
                } in writers_of(p, ds)
                {
                    let w = ColumnOwner::Node(NodeId {
                        pipe: pi,
                        index: ni,
                    });
                    if memo.has(w) {
                        next.push(w);
                    }
                }
            }
        }
        for n in next {
            if seen.insert(n) {
                queue.push_back(n);
            }
        }
    }
    let mut out: Vec<ColumnOwner> = seen.into_iter().collect();
    out.sort();
    (out, complete)
}

/// Whether a node's output is only read inside the project: not a pipe's public output (the
/// last node of an endpoint, or of a Classic pipe of standard nodes), not written into a datasource or sent out (materialized, copy,
/// sink).
fn internal(p: &Project, owner: ColumnOwner) -> bool {
    match owner {
        ColumnOwner::Cte(..) | ColumnOwner::Subquery(..) => true,
        ColumnOwner::Datasource(_) => false,
        ColumnOwner::Node(NodeId {
            pipe: ri,
            index: ni,
        }) => {
            let r = &p.resources[ri];
            let Some(n) = r.nodes.get(ni) else {
                return false;
            };
            let public = r.serves_api(p.dialect) && ni + 1 == r.nodes.len();
            !public && matches!(n.node_type, NodeType::Standard)
        }
    }
}

/// The owners a rename of `(start, name)` renames together: the start; a writer's target and
/// that target's writers (a materialized or copy node's output names its target's columns);
/// downstream, the CTEs, subqueries and internal nodes passing the column on. Not what the
/// column is read from (that read becomes `old AS new`), nor a public output, a writer or a
/// sink downstream (they read `new AS old`): other datasources and API outputs keep their
/// names.
pub fn rename_family(
    p: &Project,
    start: ColumnOwner,
    name: &str,
) -> Result<Vec<ColumnOwner>, String> {
    let mut memo = ColumnMemo::new(p, name);
    // A column an internal node, CTE or subquery reads through (`SELECT *`, a bare name) is
    // its source's: the rename starts there. A datasource, a writer or a public output is
    // where the user's column is.
    let mut start = start;
    let mut walked = 0;
    while internal(p, start) && walked <= FAMILY_LIMIT {
        let Some(o) = memo.origin(start) else {
            break;
        };
        walked += 1;
        start = o;
    }
    let mut seen: HashSet<ColumnOwner> = HashSet::from([start]);
    let mut queue = VecDeque::from([start]);
    while let Some(o) = queue.pop_front() {
        if seen.len() > FAMILY_LIMIT {
            return Err(format!(
                "`{name}` passes through more than {FAMILY_LIMIT} nodes and datasources: renaming it here could leave some of them on the old name, so it is not renamed"
            ));
        }
        let mut next = Vec::new();
        for r in reading_owners(p, o) {
            if memo.origin(r) == Some(o) && internal(p, r) {
                next.push(r);
            }
        }
        match o {
            ColumnOwner::Node(NodeId {
                pipe: ri,
                index: ni,
            }) => {
                if let Some(t) = written_by(p, ri, ni).map(ColumnOwner::Datasource) {
                    if memo.has(t) {
                        next.push(t);
                    }
                }
            }
            ColumnOwner::Datasource(ds) => {
                for w in writers_of(p, ds).into_iter().map(ColumnOwner::Node) {
                    if memo.has(w) {
                        next.push(w);
                    }
                }
            }
            _ => {}
        }
        for n in next {
            if seen.insert(n) {
                queue.push_back(n);
            }
        }
    }
    let mut out: Vec<ColumnOwner> = seen.into_iter().collect();
    out.sort();
    Ok(out)
}

/// An owner reading a member of the family (outside it) that already has a column `new`: a
/// renamed read there would name that column instead.
pub fn rename_collision(p: &Project, members: &[ColumnOwner], new: &str) -> Option<ColumnOwner> {
    members.iter().find_map(|&o| {
        reading_owners(p, o)
            .into_iter()
            .filter(|r| !members.contains(r))
            .find(|&r| columns_of(p, r).iter().any(|c| c.name == new))
    })
}

/// An output item that must keep a name through a rename: where its last word is written, the
/// word's replacement, and a trailing comma after the item to delete with it (ClickHouse
/// accepts `SELECT a, FROM t` but not `SELECT b AS a, FROM t`).
pub struct Boundary {
    pub site: Site,
    pub text: String,
    pub trailing_comma: Option<Site>,
}

/// Words that end a SELECT list (after a trailing comma).
const AFTER_SELECT_LIST: &[&str] = &[
    "from",
    "where",
    "prewhere",
    "group",
    "having",
    "order",
    "limit",
    "settings",
    "union",
    "except",
    "intersect",
    "format",
    "window",
    "qualify",
    "into",
];

/// The comma right after a SELECT item (SQL range `item`) when it is a trailing comma: the
/// list ends after it.
fn trailing_comma(sql: &NodeSql, item: TextRange) -> Option<TextRange> {
    let i = sql.tokens.partition_point(|t| t.range.start < item.end);
    let comma = sql.tokens.get(i).filter(|t| t.kind == TokenKind::Comma)?;
    let ends = match sql.tokens.get(i + 1) {
        None => true,
        Some(t) if t.kind == TokenKind::RParen => true,
        Some(t) if t.kind == TokenKind::Word => AFTER_SELECT_LIST
            .iter()
            .any(|k| sql.word(t).eq_ignore_ascii_case(k)),
        _ => false,
    };
    ends.then_some(comma.range)
}

/// For a rename of the family `members`: the output items that must keep a name. A member
/// reading the column from outside the family writes `old AS new`; a reader outside it
/// passing a member's column on writes `new AS old`.
///
/// Refused when an owner that must keep a name has no item to write it on (`SELECT *` passing
/// the column on, or a member whose `*` reads it from outside the family): the rename would
/// change that output's name, or leave the family reading a column no table has.
pub fn rename_boundaries(
    p: &Project,
    members: &[ColumnOwner],
    name: &str,
    new: &str,
) -> Result<Vec<Boundary>, String> {
    let mut memo = ColumnMemo::new(p, name);
    let mut owners: Vec<(ColumnOwner, bool)> = Vec::new();
    for &o in members {
        // A member reading the column from outside the family, or computing it with an
        // unaliased item that names something else (`SELECT x` where `WITH expr AS x`): the
        // item keeps what it reads and gets the new name as an alias.
        let unaliased_value = memo
            .column(o)
            .is_some_and(|c| c.origin.is_none() && !c.passthrough && c.detail.is_none());
        if memo.origin(o).is_some_and(|src| !members.contains(&src)) || unaliased_value {
            owners.push((o, true));
        }
        for r in reading_owners(p, o) {
            if !members.contains(&r) && memo.origin(r) == Some(o) {
                owners.push((r, false));
            }
        }
    }
    let mut out = Vec::new();
    for (o, member) in owners {
        let ColumnOwner::Node(id) = o else {
            continue;
        };
        let text = if member {
            format!("{name} AS {new}")
        } else {
            format!("{new} AS {name}")
        };
        let found = output_boundaries(p, id, name, &text);
        if found.is_empty() && !names_in_select(p, id, name) {
            return Err(format!(
                "`{name}` passes through {} without an item naming it (`SELECT *`): renaming it here would {}, so it is not renamed; rename it where it is defined, or name it in that SELECT first",
                owner_label(p, o, None),
                if member {
                    "leave that node reading a column its table does not have"
                } else {
                    "change the name that node outputs"
                }
            ));
        }
        out.extend(found);
    }
    Ok(out)
}

/// Whether an item of node `id`'s SELECT (not a star) outputs `name`.
fn names_in_select(p: &Project, id: NodeId, name: &str) -> bool {
    p.resources
        .get(id.pipe)
        .and_then(|r| r.nodes.get(id.index))
        .and_then(|n| n.sql.as_ref())
        .and_then(|s| s.main.as_ref())
        .is_some_and(|m| m.items.iter().any(|i| i.output_name == name))
}

/// The unaliased plain items of node `id`'s SELECT whose output is `name`, each to be written
/// `text` (an alias keeping or giving the name), with its trailing comma when there is one.
pub fn output_boundaries(p: &Project, id: NodeId, name: &str, text: &str) -> Vec<Boundary> {
    let Some(r) = p.resources.get(id.pipe) else {
        return Vec::new();
    };
    let Some(node) = r.nodes.get(id.index) else {
        return Vec::new();
    };
    let Some(main) = node.sql.as_ref().and_then(|s| s.main.as_ref()) else {
        return Vec::new();
    };
    let sql = NodeSql::new(&node.sql_map);
    main.items
        .iter()
        .filter(|i| i.alias.is_none() && i.output_name == name && i.functions.is_empty())
        .filter_map(|item| {
            let at = node.written_at(&r.path, item.range)?;
            Some(Boundary {
                site: at.into(),
                text: text.to_string(),
                trailing_comma: trailing_comma(&sql, item.range)
                    .and_then(|c| node.written_at(&r.path, c))
                    .map(Site::from),
            })
        })
        .collect()
}

/// Every place the column is named: its definitions in the rename family
/// ([`rename_family`]: references are what a rename would edit) and the words naming it in the
/// SQL of the family's nodes and of every node reading a member; datasource keys and
/// expressions. When a rename is refused (a family too large), the broader flow
/// ([`family`]) as far as it was followed. Sorted, without duplicates. The bool says whether
/// the site defines it.
pub fn column_sites(p: &Project, start: ColumnOwner, name: &str) -> Vec<(Site, bool)> {
    let mut memo = ColumnMemo::new(p, name);
    let members = match rename_family(p, start, name) {
        Ok(m) => m,
        Err(_) => family(&mut memo, start).0,
    };
    sites_of(&mut memo, &members, name).0
}

/// [`column_sites`] of a given family, for a rename: refused when a word also names the
/// column of a table outside the family (a templated FROM reading `a` in one branch and `b`
/// in another: renaming the word would break the other branch).
pub fn members_sites(
    p: &Project,
    members: &[ColumnOwner],
    name: &str,
) -> Result<Vec<(Site, bool)>, String> {
    let (sites, conflicts) = sites_of(&mut ColumnMemo::new(p, name), members, name);
    if let Some((site, other)) = conflicts.first() {
        return Err(format!(
            "`{name}` in {} is also read from {} (another branch of a templated FROM): renaming it there would break that branch, so nothing is renamed",
            site.path,
            owner_label(p, *other, None)
        ));
    }
    Ok(sites)
}

/// The sites of a family's column, and the words among them that also name the column of an
/// owner outside the family (a templated FROM's other branch).
type SitesAndConflicts = (Vec<(Site, bool)>, Vec<(Site, ColumnOwner)>);

fn sites_of(memo: &mut ColumnMemo, members: &[ColumnOwner], name: &str) -> SitesAndConflicts {
    let p = memo.p;
    let members = members.to_vec();
    let mut conflicts: Vec<(Site, ColumnOwner)> = Vec::new();
    let mut defs: Vec<Site> = Vec::new();
    let mut nodes: Vec<NodeId> = Vec::new();
    let mut out: Vec<(Site, bool)> = Vec::new();
    for &o in &members {
        if let Some(d) = memo.column(o).and_then(|c| c.def.clone()) {
            defs.push(d);
        }
        match o {
            ColumnOwner::Node(NodeId {
                pipe: ri,
                index: ni,
            })
            | ColumnOwner::Cte(
                NodeId {
                    pipe: ri,
                    index: ni,
                },
                _,
            )
            | ColumnOwner::Subquery(
                NodeId {
                    pipe: ri,
                    index: ni,
                },
                _,
            ) => nodes.push(NodeId::new(ri, ni)),
            ColumnOwner::Datasource(ds) => out.extend(
                datasource_expression_sites(p, ds, name)
                    .into_iter()
                    .map(|s| (s, false)),
            ),
        }
        nodes.extend(readers(p, o));
    }
    out.extend(
        test_sites(p, &members, name)
            .into_iter()
            .map(|s| (s, false)),
    );
    for &o in &members {
        if let Some(fq) = match o {
            ColumnOwner::Datasource(ds) => forward_query(p, ds),
            _ => None,
        } {
            out.extend(fq.sites(name).into_iter().map(|s| (s, false)));
        }
    }
    nodes.sort_unstable();
    nodes.dedup();
    for NodeId {
        pipe: ri,
        index: ni,
    } in nodes
    {
        let r = &p.resources[ri];
        let Some(node) = r.nodes.get(ni) else {
            continue;
        };
        let sql = NodeSql::new(&node.sql_map);
        out.extend(
            template_default_sites(p, &members, name, NodeId::new(ri, ni))
                .into_iter()
                .map(|s| (s, false)),
        );
        let member = members
            .iter()
            .any(|o| owner_node(*o) == Some(NodeId::new(ri, ni)));
        for range in sql.column_words(name, node.sql.as_deref()) {
            // In a node reading the family, where the SQL scopes decide: a word whose SELECT
            // reads only tables outside it (another UNION branch, a JOIN's other side named by
            // its qualifier) is not the column; one reading only members is.
            let scoped = if member {
                None
            } else {
                reads_family(p, NodeId::new(ri, ni), range, &members)
            };
            if scoped == Some(false) {
                continue;
            }
            // A word naming a column of the same name of a table outside the family.
            let i = sql.tokens.partition_point(|t| t.range.end <= range.start);
            let owners = if scoped == Some(true) {
                vec![]
            } else {
                column_owners_at(memo, ri, ni, &sql, i)
            };
            if !owners.is_empty() && !owners.iter().any(|o| members.contains(o)) {
                continue;
            }
            // Where the word is written (in an included `.incl` for an included node).
            if let Some(site) = node.written_at(&r.path, range) {
                // Under a templated FROM, the word also names another branch's table.
                if let Some(&other) = owners.iter().find(|o| !members.contains(o)) {
                    conflicts.push((site.clone().into(), other));
                }
                out.push((site.into(), false));
            }
        }
    }
    for d in defs {
        out.retain(|(s, _)| *s != d);
        out.push((d, true));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.dedup_by(|a, b| a.0 == b.0);
    (out, conflicts)
}

/// Whether the word at `range` (node text) of node `id` reads the family's column, where the
/// SQL scopes ([`syntax::sql::scopes`]) decide it in every rendering where it is a column read:
/// `Some(false)` when its SELECT's tables (the one its qualifier names, else all) are named
/// tables none of which is in `members`, `Some(true)` when all of them are. `None` otherwise
/// (a correlated subquery, a CTE or subquery source, a table not resolved, a mix).
fn reads_family(
    p: &Project,
    id: NodeId,
    range: TextRange,
    members: &[ColumnOwner],
) -> Option<bool> {
    use syntax::sql::scopes::SourceKind;
    let sql = p.resources[id.pipe].nodes[id.index].sql.as_ref()?;
    let mut verdict = None;
    for scopes in sql.column_scopes.iter().flatten() {
        for s in &scopes.selects {
            let Some(read) = s.reads.iter().find(|r| r.range == range) else {
                continue;
            };
            // An alias of the same name (here or in an enclosing SELECT) is what the word
            // reads: ClickHouse prefers it to a column.
            let mut aliased = false;
            let mut up = Some(s);
            while let Some(x) = up {
                aliased |= x.names.contains(&read.name);
                up = x.parent.and_then(|i| scopes.selects.get(i));
            }
            if s.correlated || !s.certain || (read.qualifier.is_none() && aliased) {
                return None;
            }
            let owners: Vec<ColumnOwner> = s
                .sources
                .iter()
                .filter(|src| read.qualifier.is_none() || src.name == read.qualifier)
                .map(|src| match &src.kind {
                    SourceKind::Table {
                        database: None,
                        name,
                    } => table_owner(p, name, Some(id.pipe), Some(id.index)),
                    _ => None,
                })
                .collect::<Option<_>>()?;
            let inside = owners.iter().filter(|o| members.contains(o)).count();
            let here = match inside {
                _ if owners.is_empty() => return None,
                0 => false,
                n if n == owners.len() => true,
                _ => return None,
            };
            if verdict.is_some_and(|v| v != here) {
                return None;
            }
            verdict = Some(here);
        }
    }
    verdict
}

/// `{{ column(p, 'name') }}` / `{{ columns(p, 'a,name') }}` in node `id` reading a member of
/// the family: the default names a column of the tables the node reads.
pub fn template_default_sites(
    p: &Project,
    members: &[ColumnOwner],
    name: &str,
    id: NodeId,
) -> Vec<Site> {
    let Some(r) = p.resources.get(id.pipe) else {
        return Vec::new();
    };
    let Some(node) = r.nodes.get(id.index) else {
        return Vec::new();
    };
    let reads_member = scope_sources(p, ColumnOwner::Node(id))
        .iter()
        .any(|(o, _)| members.contains(o));
    if !reads_member {
        return Vec::new();
    }
    NodeSql::new(&node.sql_map)
        .template_column_defaults(name)
        .into_iter()
        .filter_map(|range| node.written_at(&r.path, range).map(Site::from))
        .collect()
}

/// Words naming the column in the SQL of tests reading a family member.
pub(super) fn test_sites(p: &Project, members: &[ColumnOwner], name: &str) -> Vec<Site> {
    let mut out = Vec::new();
    for t in &p.tests {
        for (case, analysis) in t.file.cases.iter().zip(&t.sql) {
            let (Some(map), Some(a)) = (&case.sql, analysis) else {
                continue;
            };
            let reads_member = a.tables.iter().any(|r| {
                table_owner(p, &r.full_name(), None, None).is_some_and(|o| members.contains(&o))
            });
            if !reads_member {
                continue;
            }
            let sql = NodeSql::new(map);
            out.extend(sql.column_words(name, Some(a)).into_iter().map(|r| Site {
                path: t.file.path.as_str().into(),
                range: map.range_to_file(r),
            }));
        }
    }
    out
}

/// A Forward datasource's FORWARD_QUERY, analysed. It reads the deployed datasource, whose
/// columns have the same names until the deployment.
pub struct ForwardQuery<'p> {
    pub sql: &'p syntax::model::Sql,
    pub path: Arc<str>,
    pub analysis: syntax::sql::SqlAnalysis,
}

/// Datasource `ds`'s FORWARD_QUERY.
pub fn forward_query(p: &Project, ds: ResourceId) -> Option<ForwardQuery<'_>> {
    let r = p.resources.get(ds)?;
    let sql = p.files.get(r.file)?.datafile.forward_query.as_ref()?;
    Some(ForwardQuery {
        sql,
        path: r.path.clone(),
        analysis: syntax::sql::analyze(&sql.text.text),
    })
}

impl ForwardQuery<'_> {
    /// Words naming column `name`.
    pub fn sites(&self, name: &str) -> Vec<Site> {
        NodeSql::new(&self.sql.text)
            .column_words(name, Some(&self.analysis))
            .into_iter()
            .map(|range| Site {
                path: self.path.clone(),
                range: self.sql.text.range_to_file(range),
            })
            .collect()
    }
}

/// Words naming a datasource's column in its own file (or the Classic materialized node
/// creating it): engine keys, TTL, index expressions, DEFAULT and MATERIALIZED expressions of
/// other columns.
pub(super) fn datasource_expression_sites(p: &Project, ds: ResourceId, name: &str) -> Vec<Site> {
    let r = &p.resources[ds];
    let Some(f) = p.files.get(r.file) else {
        return Vec::new();
    };
    // A Classic materialized node creating its datasource holds the ENGINE_* keys.
    let node = if r.defined_by_file() {
        f.datafile.default_node()
    } else {
        creating_node(p, ds).and_then(|n| f.datafile.nodes.get(n.index))
    };
    let Some(node) = node else {
        return Vec::new();
    };
    let mut values = Vec::new();
    if let Some(e) = &node.engine {
        values.extend(e.params.iter().map(|x| &x.value));
    }
    for i in &node.indexes {
        values.push(&i.expr);
    }
    if let Some(s) = &node.schema {
        for c in &s.columns {
            values.extend([&c.default, &c.materialized].into_iter().flatten());
        }
    }
    let mut out = Vec::new();
    for v in values {
        let shift = value_text_start(v);
        let Some(shift) = shift else { continue };
        for t in syntax::sql::lexer::tokenize(&v.text) {
            let word = &v.text[t.range.start..t.range.end];
            let hit = match t.kind {
                TokenKind::Word => word == name,
                TokenKind::QuotedIdent => {
                    let r = syntax::sql::lexer::inner_range(&v.text, &t);
                    v.text.get(r.start..r.end) == Some(name)
                }
                _ => false,
            };
            if hit {
                out.push(Site {
                    path: r.path.clone(),
                    range: t.range.shift(shift),
                });
            }
        }
    }
    out
}

/// Where a value's unquoted text starts in the file, when it is written as is or quoted.
pub fn value_text_start(v: &syntax::model::Value) -> Option<usize> {
    if v.range.len() == v.text.len() {
        Some(v.range.start)
    } else if v.range.len() == v.text.len() + 2 {
        Some(v.range.start + 1)
    } else {
        None
    }
}
