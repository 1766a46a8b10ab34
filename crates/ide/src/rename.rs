//! Rename of datasources, pipes, connections, nodes, columns, CTEs and template parameters
//! across the project. A resource takes its name from its file, so renaming one renames the
//! file too. Refused, with the reason, when the new name is invalid or taken.

use super::columns::{self, is_identifier, Site};
use super::navigation::references;
use super::{Located, Symbol};
use project::model::NodeId;
use project::model::Project;
use project::model::ResourceId;
use std::sync::Arc;
use syntax::text::TextRange;

/// A rename as edits: text replacements (in files as they are before the renames) and files
/// to rename after them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RenameChange {
    pub edits: Vec<(Arc<str>, TextRange, String)>,
    /// `(from, to)`, paths relative to the project root.
    pub file_renames: Vec<(String, String)>,
    /// Edits that go beyond what was asked, by index in `edits`, with what they change: the
    /// SCHEMA of another datasource (a materialized or copy node's output names its target's
    /// columns). The server asks the user to confirm them where the editor can.
    pub notes: Vec<(usize, String)>,
}

/// What can be renamed at a position: the word's range and the current name, or why not.
pub fn prepare(p: &Project, l: &Located) -> Result<(TextRange, String), String> {
    let name = match &l.symbol {
        Symbol::Resource(i) => {
            let r = &p.resources[*i];
            if r.name.contains('.') {
                return Err(format!(
                    "`{}` is defined in another workspace (vendor/): rename it there",
                    r.name
                ));
            }
            r.name.clone()
        }
        Symbol::Node(NodeId {
            pipe: ri,
            index: ni,
        }) => p.resources[*ri].nodes[*ni].name.clone(),
        Symbol::Column(owner, name) => {
            if columns::definition(p, *owner, name).is_none() {
                return Err(format!("`{name}` is not defined in this project"));
            }
            name.clone()
        }
        Symbol::Cte(name, _) | Symbol::TemplateParam(name) => name.clone(),
        Symbol::Function(_) | Symbol::TemplateFunction(_) => {
            return Err(
                "Functions belong to ClickHouse and Tinybird: they cannot be renamed".into(),
            )
        }
        Symbol::DatafileKeyword(_) | Symbol::SqlKeyword(_) => {
            return Err("Keywords cannot be renamed".into())
        }
        Symbol::Engine(_) => return Err("Engines cannot be renamed".into()),
        Symbol::Include(resolved) => {
            return include_sites(p, resolved)
                .into_iter()
                .find(|(s, _)| l.range.start <= s.range.start && s.range.end <= l.range.end)
                .map(|(s, stem)| (s.range, stem))
                .ok_or_else(|| "This INCLUDE path cannot be renamed here".to_string());
        }
    };
    Ok((l.range, name))
}

/// The file name stem (`common` of `../includes/common.incl`) in every INCLUDE of the
/// included file `resolved`, with the stem.
fn include_sites(p: &Project, resolved: &str) -> Vec<(Site, String)> {
    let mut out = Vec::new();
    for f in &p.files {
        for inc in f
            .datafile
            .includes
            .iter()
            .filter(|i| i.resolved == resolved)
        {
            let Some(start) = columns::value_text_start(&inc.path) else {
                continue;
            };
            let text = &inc.path.text;
            let name_at = text.rfind('/').map_or(0, |i| i + 1);
            let stem_len = text[name_at..].find('.').unwrap_or(text.len() - name_at);
            if stem_len == 0 {
                continue;
            }
            out.push((
                Site {
                    path: f.path.as_str().into(),
                    range: TextRange::new(start + name_at, start + name_at + stem_len),
                },
                text[name_at..name_at + stem_len].to_string(),
            ));
        }
    }
    out
}

/// Renames an included file and the INCLUDE lines naming it.
fn rename_include(
    p: &Project,
    resolved: &str,
    old: &str,
    new: &str,
) -> Result<RenameChange, String> {
    let valid = !new.is_empty()
        && new
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
    if !valid {
        return Err(format!(
            "`{new}` is not a valid file name: use letters, digits, `_` and `-`"
        ));
    }
    let new_path = renamed_path(resolved, old, new)
        .ok_or_else(|| format!("Cannot tell the new file name of {resolved}"))?;
    if p.file_id(&new_path).is_some() {
        return Err(format!("{new_path} already exists"));
    }
    let mut change = RenameChange::default();
    for (site, _) in include_sites(p, resolved) {
        change.edits.push((site.path, site.range, new.to_string()));
    }
    let found = p.files.iter().any(|f| {
        f.datafile
            .includes
            .iter()
            .any(|i| i.resolved == resolved && i.found)
    });
    if found {
        change.file_renames.push((resolved.to_string(), new_path));
    }
    Ok(change)
}

pub fn rename(
    p: &Project,
    path: &str,
    l: &Located,
    new_name: &str,
) -> Result<RenameChange, String> {
    let (_, old) = prepare(p, l)?;
    let new_name = new_name.trim();
    if new_name == old {
        return Ok(RenameChange::default());
    }
    if let Symbol::Include(resolved) = &l.symbol {
        return rename_include(p, resolved, &old, new_name);
    }
    if !is_identifier(new_name) {
        return Err(format!(
            "`{new_name}` is not a valid name: use letters, digits and underscores, not starting with a digit"
        ));
    }
    // The column family (column renames), for the collision check and FORWARD_QUERY edits.
    let mut family = Vec::new();
    let mut change = RenameChange::default();
    match &l.symbol {
        Symbol::Resource(i) => {
            let r = &p.resources[*i];
            if let Some((_, other)) = p.named(new_name).next() {
                return Err(format!(
                    "A {} named `{new_name}` already exists ({})",
                    other.kind.as_str(),
                    other.path
                ));
            }
            let owns_file = r.defined_by_file();
            if owns_file {
                let new_path = renamed_path(&r.path, &old, new_name)
                    .ok_or_else(|| format!("Cannot tell the new file name of {}", r.path))?;
                if p.file_id(&new_path).is_some() {
                    return Err(format!("{new_path} already exists"));
                }
                change.file_renames.push((r.path.to_string(), new_path));
            }
            // Forward tests are tied to their pipe by file name: tests/<pipe>.yaml.
            for t in p.tests.iter().filter(|t| t.file.forward) {
                let tests_pipe = t
                    .file
                    .cases
                    .iter()
                    .any(|c| c.pipe.as_ref().is_some_and(|(n, _)| *n == old));
                if !tests_pipe {
                    continue;
                }
                if let Some(new_path) = renamed_path(&t.file.path, &old, new_name) {
                    if p.tests.iter().any(|o| o.file.path == new_path) {
                        return Err(format!("{new_path} already exists"));
                    }
                    change.file_renames.push((t.file.path.clone(), new_path));
                }
            }
        }
        Symbol::Node(NodeId {
            pipe: ri,
            index: ni,
        }) => {
            let r = &p.resources[*ri];
            if r.nodes.iter().any(|n| n.name == new_name) {
                return Err(format!("`{}` already has a node `{new_name}`", r.name));
            }
            let reads_it = r.nodes[*ni..].iter().any(|n| {
                n.sql
                    .as_ref()
                    .is_some_and(|s| s.tables.iter().any(|t| t.full_name() == new_name))
            });
            if reads_it {
                return Err(format!(
                    "`{new_name}` is a table this pipe reads: a node with that name would hide it"
                ));
            }
        }
        Symbol::Column(owner, name) => {
            family = columns::rename_family(p, *owner, name)?;
            if let Some(o) = columns::rename_collision(p, &family, new_name) {
                let where_ = columns::owner_label(p, o, None);
                return Err(format!(
                    "{where_} reads `{name}` and already has a column `{new_name}`: the renamed read would name that one"
                ));
            }
            for &o in &family {
                if columns::columns_of(p, o).iter().any(|c| c.name == new_name) {
                    let where_ = columns::owner_label(p, o, None);
                    return Err(format!("{where_} already has a column `{new_name}`"));
                }
            }
        }
        _ => {}
    }
    // A name read in an included `.incl` is renamed where it is written there; when that place
    // is unknown (a name put together by a template), nothing is renamed rather than a part.
    if let Symbol::Resource(i) = l.symbol {
        if let Some(e) = p
            .edges_into(i)
            .find(|e| super::navigation::edge_site(e).is_none())
        {
            return Err(format!(
                "`{old}` is also read in a file that {} INCLUDEs, at a place that cannot be edited there, so nothing is renamed",
                e.path
            ));
        }
    }
    let sites = match &l.symbol {
        Symbol::Column(_, name) => columns::members_sites(p, &family, name)?,
        _ => references(p, path, l),
    };
    // (A Forward test names its pipe by its file name: not among the references.)
    for (site, _) in sites {
        let Site { path, range } = site;
        change.edits.push((path, range, new_name.to_string()));
    }
    // Names outside the renamed family stay: a read from a source keeps its name as
    // `old AS new`, an output passing the column on (an endpoint, another datasource's
    // writer) keeps the old one as `new AS old`.
    let boundaries = match &l.symbol {
        Symbol::Column(_, name) => columns::rename_boundaries(p, &family, name, new_name)?,
        // `WITH expr AS name` read as an output column (`SELECT name`): it keeps its name.
        Symbol::Cte(name, def) => super::navigation::find_cte(p, name, def)
            .filter(|(_, c)| c.expr.is_some())
            .map(|(id, _)| {
                columns::output_boundaries(p, id, name, &format!("{new_name} AS {name}"))
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    for b in boundaries {
        let site = &b.site;
        if let Some(edit) = change.edits.iter_mut().find(|(path, range, _)| {
            *path == site.path
                && site.range.start <= range.start
                && (range.end == site.range.end || range.end + 1 == site.range.end)
        }) {
            edit.2 = b.text;
            if let Some(comma) = b.trailing_comma {
                change.edits.push((comma.path, comma.range, String::new()));
            }
        }
    }
    if let Symbol::Resource(i) = &l.symbol {
        // References written `db.name` keep their database, and Classic `name__vN` (the
        // name a VERSION deploys under) its version.
        for e in p.edges_into(*i) {
            let (db, written) = match e.to.rsplit_once('.') {
                Some((db, n)) => (format!("{db}."), n),
                None => (String::new(), &*e.to),
            };
            let version = written
                .strip_prefix(old.as_str())
                .filter(|s| s.starts_with("__v"))
                .unwrap_or("");
            if db.is_empty() && version.is_empty() {
                continue;
            }
            if let Some(edit) = change
                .edits
                .iter_mut()
                .find(|(p, range, _)| *p == e.path && *range == e.range)
            {
                edit.2 = format!("{db}{new_name}{version}");
            }
        }
    }
    for &o in &family {
        if let columns::ColumnOwner::Datasource(ds) = o {
            forward_query_edits(p, ds, &old, new_name, &mut change);
        }
    }
    // A template default in an API output: the endpoint's column changes name when the
    // parameter is not given (no `new AS old` inside a template).
    if let Symbol::Column(_, name) = &l.symbol {
        for (ri, r) in p.resources.iter_enumerated() {
            let Some(last) = r.nodes.len().checked_sub(1) else {
                continue;
            };
            if !r.serves_api(p.dialect) {
                continue;
            }
            let sites = columns::template_default_sites(p, &family, name, NodeId::new(ri, last));
            for site in sites {
                if let Some(k) = change
                    .edits
                    .iter()
                    .position(|(path, range, _)| *path == site.path && *range == site.range)
                {
                    change.notes.push((
                        k,
                        format!(
                            "renames a column the endpoint `{}` returns when its template parameter is not given: API users see the new name",
                            r.name
                        ),
                    ));
                }
            }
        }
    }
    // Another datasource's columns renamed along (a writer's target): said, to confirm.
    if let Symbol::Column(asked, name) = &l.symbol {
        for &o in &family {
            let columns::ColumnOwner::Datasource(ds) = o else {
                continue;
            };
            if o == *asked {
                continue;
            }
            let r = &p.resources[ds];
            if !r.defined_by_file() {
                continue; // its columns are the creating node's, edited as such
            }
            let note = format!(
                "renames column `{name}` of datasource `{}` too: a change of its schema that the next deployment applies",
                r.name
            );
            for (k, (path, _, _)) in change.edits.iter().enumerate() {
                if **path == *r.path {
                    change.notes.push((k, note.clone()));
                }
            }
        }
    }
    Ok(change)
}

/// A FORWARD_QUERY reads the deployed datasource, where the column still has its old name:
/// a plain `old` item becomes `old AS new`, an alias `AS old` becomes `AS new`, and other
/// words naming it (reads of the deployed column) stay.
fn forward_query_edits(
    p: &Project,
    ds: ResourceId,
    old: &str,
    new: &str,
    change: &mut RenameChange,
) {
    let Some(fq) = columns::forward_query(p, ds) else {
        return;
    };
    let sites = fq.sites(old);
    let items = fq.analysis.main.map(|m| m.items).unwrap_or_default();
    let map = &fq.sql.text;
    change.edits.retain_mut(|(path, range, text)| {
        let site = Site {
            path: path.clone(),
            range: *range,
        };
        if !sites.contains(&site) {
            return true;
        }
        let Some(item) = items
            .iter()
            .find(|i| map.range_to_file(i.range).contains(range.start))
        else {
            return false;
        };
        let item_range = map.range_to_file(item.range);
        // The word ends the item (quoted or not): it is the output name.
        let last = item_range.end == range.end || item_range.end == range.end + 1;
        if last && item.alias.as_deref() == Some(old) {
            return true; // the alias: the new column's name
        }
        if last && item.alias.is_none() && item.output_name == old {
            *text = format!("{old} AS {new}");
            return true;
        }
        false
    });
}

/// `dir/old.datasource` → `dir/new.datasource`.
fn renamed_path(path: &str, old: &str, new: &str) -> Option<String> {
    let (dir, file) = match path.rsplit_once('/') {
        Some((d, f)) => (Some(d), f),
        None => (None, path),
    };
    let rest = file.strip_prefix(old)?;
    if !rest.starts_with('.') {
        return None;
    }
    Some(match dir {
        Some(d) => format!("{d}/{new}{rest}"),
        None => format!("{new}{rest}"),
    })
}
