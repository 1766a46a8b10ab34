//! Go to definition, find references and document highlights.

use super::columns::{self, column_sites, Site};
use super::{file_index, Located, NodeSql, Symbol};
use project::model::NodeId;
use project::model::ResourceId;
use project::model::{Project, Source, Target};
use syntax::sql::lexer::TokenKind;
use syntax::text::TextRange;

/// Where a symbol is defined. `Include` paths are returned as resolved (the caller maps them
/// to files); symbols of ClickHouse itself have no definition.
pub fn definition(p: &Project, l: &Located) -> Vec<Site> {
    match &l.symbol {
        Symbol::Resource(i) => p
            .resources
            .get(*i)
            .map(|r| Site {
                path: r.path.clone(),
                range: r.name_range,
            })
            .into_iter()
            .collect(),
        Symbol::Node(NodeId {
            pipe: ri,
            index: ni,
        }) => p
            .resources
            .get(*ri)
            .and_then(|_| node_name_site(p, *ri, *ni))
            .into_iter()
            .collect(),
        Symbol::Column(owner, name) => columns::definition(p, *owner, name).into_iter().collect(),
        Symbol::Cte(_, site) => vec![site.clone()],
        Symbol::Include(path) => vec![Site {
            path: path.as_str().into(),
            range: TextRange::empty(0),
        }],
        _ => Vec::new(),
    }
}

/// Where a node's name is written: in its pipe, or in the `.incl` it is included from
/// (`None` when that file is not in the project).
pub fn node_name_site(p: &Project, ri: ResourceId, ni: usize) -> Option<Site> {
    let r = p.resources.get(ri)?;
    let n = r.nodes.get(ni)?;
    let f = p.files.get(r.file)?;
    let df = &f.datafile;
    let Some(index) = df.includes.iter().position(|i| {
        !i.nested && i.range.start <= n.name_range.start && n.name_range.end <= i.range.end
    }) else {
        return Some(Site {
            path: r.path.clone(),
            range: n.name_range,
        });
    };
    let included = f.include_paths.get(index)?.clone()?;
    let fi = p.file_id(&included)?;
    let node = p.files[fi]
        .datafile
        .nodes
        .iter()
        .find(|m| m.name == n.name)?;
    Some(Site {
        path: included,
        range: node.name_range,
    })
}

/// Every place naming the symbol in the project (`path`: the file the request is made in, for
/// symbols local to a file), with whether the place defines it. Sorted by file and position.
pub fn references(p: &Project, path: &str, l: &Located) -> Vec<(Site, bool)> {
    let mut out: Vec<(Site, bool)> = match &l.symbol {
        Symbol::Resource(i) => {
            let mut v: Vec<(Site, bool)> = definition(p, l)
                .into_iter()
                .filter(|s| !s.range.is_empty())
                .map(|s| (s, true))
                .collect();
            v.extend(
                p.edges_into(*i)
                    .filter(|e| !names_pipe_by_file(p, e))
                    .filter_map(|e| Some((edge_site(e)?, false))),
            );
            v.extend(script_sites(p, *i).into_iter().map(|s| (s, false)));
            let name = &p.resources[*i].name;
            for f in &p.files {
                if let Some((n, r)) = &f.replaces {
                    if n == name {
                        v.push((
                            Site {
                                path: f.path.as_str().into(),
                                range: *r,
                            },
                            false,
                        ));
                    }
                }
            }
            v
        }
        Symbol::Node(NodeId {
            pipe: ri,
            index: ni,
        }) => {
            let mut v: Vec<(Site, bool)> =
                definition(p, l).into_iter().map(|s| (s, true)).collect();
            v.extend(
                p.edges
                    .iter()
                    .filter(|e| e.from == Source::Resource(*ri) && e.target == Target::Node(*ni))
                    .filter_map(|e| Some((edge_site(e)?, false))),
            );
            v.extend(
                script_node_sites(p, *ri, *ni)
                    .into_iter()
                    .map(|s| (s, false)),
            );
            v
        }
        Symbol::Column(owner, name) => column_sites(p, *owner, name),
        Symbol::Cte(name, site) => cte_words(p, name, site)
            .into_iter()
            .map(|s| {
                let def = s == *site;
                (s, def)
            })
            .collect(),
        Symbol::TemplateParam(name) => words_in_file(p, path, |sql, i| {
            sql.is_template_param(i) && sql.word(&sql.tokens[i]) == name
        })
        .into_iter()
        .map(|s| (s, false))
        .collect(),
        Symbol::Include(resolved) => p
            .files
            .iter()
            .flat_map(|f| {
                f.datafile
                    .includes
                    .iter()
                    .filter(|i| i.resolved == *resolved)
                    .map(|i| {
                        let site = Site {
                            path: f.path.as_str().into(),
                            range: i.path.range,
                        };
                        (site, false)
                    })
            })
            .collect(),
        Symbol::Function(name) => words_in_file(p, path, |sql, i| {
            let t = &sql.tokens[i];
            t.kind == TokenKind::Word
                && sql.word(t) == name
                && sql.next_kind(i) == Some(TokenKind::LParen)
        })
        .into_iter()
        .map(|s| (s, false))
        .collect(),
        _ => Vec::new(),
    };
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

/// A Forward test (`tests/<pipe>.yaml`) names its pipe by its file name, not in its text: the
/// edge's range (its first test's name) is not a reference to rename or list.
pub fn names_pipe_by_file(p: &Project, e: &project::model::Edge) -> bool {
    matches!(e.from, Source::Test(t) if p.tests.get(t).is_some_and(|t| t.file.forward))
        && e.context.is_none()
}

/// Where a reference is written: in the file itself, or, read through an INCLUDE, in the
/// included file (`None` when that place is unknown: never the INCLUDE line).
pub fn edge_site(e: &project::model::Edge) -> Option<Site> {
    if e.written_here {
        return Some(Site {
            path: e.path.clone(),
            range: e.range,
        });
    }
    e.included.as_ref().map(|s| Site {
        path: s.path.clone(),
        range: s.range,
    })
}

/// Highlights: the references in the request's own file (`true`: a definition, a write).
pub fn highlights(p: &Project, path: &str, l: &Located) -> Vec<(TextRange, bool)> {
    let mut v: Vec<(TextRange, bool)> = references(p, path, l)
        .into_iter()
        .filter(|(s, _)| &*s.path == path)
        .map(|(s, d)| (s.range, d))
        .collect();
    if v.is_empty() && !matches!(l.symbol, Symbol::Include(_)) {
        v.push((l.range, false));
    }
    v
}

/// The node defining CTE `name` at `def` (where its name is written), and the CTE: a CTE is
/// local to its node. A node included from a `.incl` is found through the pipes including
/// it.
pub fn find_cte<'p>(
    p: &'p Project,
    name: &str,
    def: &Site,
) -> Option<(NodeId, &'p syntax::sql::facts::Cte)> {
    for (ri, r) in p.resources.iter_enumerated() {
        for (ni, n) in r.nodes.iter().enumerate() {
            let Some(a) = n.sql.as_deref() else { continue };
            for c in a.ctes.iter().filter(|c| c.name == name) {
                let Some(at) = n.written_at(&r.path, c.range) else {
                    continue;
                };
                if at.path == def.path
                    && at.range.start <= def.range.start
                    && def.range.end <= at.range.end
                {
                    return Some((NodeId::new(ri, ni), c));
                }
            }
        }
    }
    None
}

/// The words naming CTE `name` (defined at `def`) in its node: bare or quoted, not called, not
/// template code, not a keyword by its place, and for `WITH expr AS name` not inside `expr`
/// (a name there is read from the tables).
fn cte_words(p: &Project, name: &str, def: &Site) -> Vec<Site> {
    let Some((id, c)) = find_cte(p, name, def) else {
        return Vec::new();
    };
    let r = &p.resources[id.pipe];
    let n = &r.nodes[id.index];
    let sql = NodeSql::new(&n.sql_map);
    sql.tokens
        .iter()
        .enumerate()
        .filter(|&(i, t)| {
            matches!(t.kind, TokenKind::Word | TokenKind::QuotedIdent)
                && sql.word(t) == name
                && sql.next_kind(i) != Some(TokenKind::LParen)
                && sql.in_tag(t.range.start + 1).is_none()
                && !sql.is_keyword_use(i)
                && !c
                    .expr
                    .is_some_and(|e| e.start <= t.range.start && t.range.end <= e.end)
        })
        .filter_map(|(_, t)| n.written_at(&r.path, sql.word_range(t)).map(Site::from))
        .collect()
}

/// Words of every node's SQL of a file matching `keep` (given the token's index), as file
/// sites.
fn words_in_file(p: &Project, path: &str, keep: impl Fn(&NodeSql, usize) -> bool) -> Vec<Site> {
    let Some(fi) = file_index(p, path) else {
        return Vec::new();
    };
    let f = &p.files[fi];
    let mut out = Vec::new();
    for ns in &f.node_sql {
        let sql = NodeSql::new(&ns.map);
        for (i, t) in sql.tokens.iter().enumerate() {
            if keep(&sql, i) {
                let path: std::sync::Arc<str> = f.path.as_str().into();
                if let Some(site) =
                    project::model::written_at(&ns.map, &f.include_paths, &path, t.range)
                {
                    out.push(site.into());
                }
            }
        }
    }
    out
}

/// The text inside a shell word written at `range` (`w` without its quotes), when it is
/// written as is or inside one pair of quotes (no escapes): where `w` starts in the file.
fn unquoted_start(w: &str, range: TextRange) -> Option<usize> {
    if range.len() == w.len() {
        Some(range.start)
    } else if range.len() == w.len() + 2 {
        Some(range.start + 1)
    } else {
        None
    }
}

/// Where scripts pass node `ni` of pipe `ri` as `--node <name>` to a command naming the pipe
/// (`tb pipe populate p --node n`).
pub fn script_node_sites(p: &Project, ri: ResourceId, ni: usize) -> Vec<Site> {
    let Some(r) = p.resources.get(ri) else {
        return Vec::new();
    };
    let Some(node) = r.nodes.get(ni) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for script in &p.scripts {
        for cmd in &script.commands {
            if !cmd.words.iter().skip(1).any(|(w, _)| *w == r.name) {
                continue;
            }
            for (flag, value, _) in cmd.flags.iter().filter(|f| f.0 == "--node") {
                let Some(v) = value.as_deref().filter(|v| *v == node.name) else {
                    continue;
                };
                let Some(at) = cmd
                    .values
                    .iter()
                    .find(|(f, _)| f == flag)
                    .and_then(|(_, r)| unquoted_start(v, *r))
                else {
                    continue;
                };
                out.push(Site {
                    path: script.path.as_str().into(),
                    range: TextRange::new(at, at + v.len()),
                });
            }
        }
    }
    out
}

/// Where the project's shell scripts (and Classic `tests/*.test` command lines) name resource
/// `i`: `tb` command words equal to its name (`tb pipe populate x`, `tb datasource truncate
/// x`), the name in paths of its file (`tb push pipes/x.pipe`) and tables of the SQL given to
/// `tb sql "…"`.
pub fn script_sites(p: &Project, i: ResourceId) -> Vec<Site> {
    let Some(r) = p.resources.get(i) else {
        return Vec::new();
    };
    let file_name = r.path.rsplit('/').next().unwrap_or(&r.path);
    let mut out = Vec::new();
    for script in &p.scripts {
        for cmd in &script.commands {
            if cmd.is(&["sql"]) {
                if let Some((sql, range)) = cmd.words.get(1) {
                    let Some(start) = unquoted_start(sql, *range) else {
                        continue;
                    };
                    for t in syntax::sql::analyze(sql).tables {
                        if t.database.is_none() && t.name == r.name && t.range.len() == r.name.len()
                        {
                            out.push(Site {
                                path: script.path.as_str().into(),
                                range: t.range.shift(start),
                            });
                        }
                    }
                }
                continue;
            }
            for (w, range) in cmd.words.iter().skip(1) {
                // The word without quotes around it.
                let start = range.start + usize::from(range.len() == w.len() + 2);
                let at = if *w == r.name {
                    Some(start)
                } else if *w == *r.path || w.ends_with(&format!("/{}", r.path)) {
                    Some(start + w.len() - file_name.len())
                } else {
                    None
                };
                if let Some(at) = at.filter(|_| range.len() >= w.len()) {
                    out.push(Site {
                        path: script.path.as_str().into(),
                        range: TextRange::new(at, at + r.name.len()),
                    });
                }
            }
        }
    }
    out
}
