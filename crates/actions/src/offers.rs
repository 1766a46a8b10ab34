//! Which actions make sense where: at a place in a file (a datasource's SCHEMA, a materializing
//! node, a file taking part in a migration) and as quick fixes of migration diagnostics. Each
//! offer carries the [`Request`] that carries it out.

use super::add_column::{AddColumn, NewColumn};
use super::backfill::Backfill;
use super::context::MaterializedView;
use super::sql_edit::infer_type;
use super::Request;
use analysis::migration::{columns, legacy_readers, Migrations};
use project::model::{EdgeKind, Project, ResourceKind};
use project::model::{ResourceId, WriterId};
use syntax::diagnostics::Diagnostic;
use syntax::text::TextRange;
use syntax::Dialect;

/// The kind of code action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfferKind {
    QuickFix,
    Refactor,
}

#[derive(Clone, Debug)]
pub struct Offer {
    pub title: String,
    pub kind: OfferKind,
    pub request: Request,
    /// The diagnostic it fixes (code and range), for quick fixes.
    pub fixes: Option<(&'static str, TextRange)>,
    pub preferred: bool,
}

/// The actions offered at `range` of file `path`, given the file's diagnostics.
pub fn offers_at(
    p: &Project,
    m: &Migrations,
    path: &str,
    range: TextRange,
    diagnostics: &[Diagnostic],
) -> Vec<Offer> {
    let mut out = Vec::new();
    let Some((fi, file)) = p.file_id(path).map(|i| (i, &p.files[i])) else {
        return out;
    };
    let overlaps = |r: TextRange| r.start <= range.end && range.start <= r.end;
    // 1. Add a column: on a target's SCHEMA, or on the node materializing into it.
    let mut targets: Vec<(ResourceId, Option<String>)> = Vec::new();
    for (ri, r) in p.resources.iter_enumerated() {
        if r.file != fi {
            continue;
        }
        match r.kind {
            ResourceKind::Datasource
                if file.datafile.schema().is_some_and(|s| overlaps(s.range)) =>
            {
                targets.push((ri, None));
            }
            ResourceKind::Pipe => {
                for n in &file.datafile.nodes {
                    if !overlaps(n.range) {
                        continue;
                    }
                    for e in p.edges.iter().filter(|e| {
                        e.kind == EdgeKind::MaterializesInto
                            && e.path.as_ref() == path
                            && e.from_node.as_deref() == Some(n.name.as_str())
                    }) {
                        if let project::model::Target::Resource(t) = e.target {
                            targets.push((t, Some(format!("{}.{}", r.name, n.name))));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    for (t, node) in targets {
        add_column_offers(p, m, t, node, &mut out);
    }
    // 2. The steps of migrations this file takes part in.
    for mig in &m.migrations {
        let Some(l) = mig.legacy else { continue };
        let n_name = p.resources[mig.new].name.clone();
        let l_name = p.resources[l].name.clone();
        let writer_paths = |idx: &[WriterId]| -> Vec<&str> {
            idx.iter().map(|&i| m.writers[i].path.as_ref()).collect()
        };
        let mut involved: Vec<&str> = vec![
            p.resources[mig.new].path.as_ref(),
            p.resources[l].path.as_ref(),
        ];
        involved.extend(writer_paths(&mig.live));
        involved.extend(writer_paths(&mig.backfills));
        involved.extend(m.writers_into(l).map(|w| w.path.as_ref()));
        let readers: Vec<&project::model::Edge> = legacy_readers(p, m, mig).collect();
        let here = involved.contains(&path) || readers.iter().any(|e| e.path.as_ref() == path);
        let complete = !mig.live.is_empty() && !mig.backfills.is_empty();
        if !mig.live.is_empty() && mig.backfills.is_empty() {
            step(
                &mut out,
                format!("Backfill `{n_name}` up to the cutoff"),
                Request::Backfill(Backfill {
                    datasource: n_name.clone(),
                    ..Backfill::default()
                }),
                diagnostics,
                "migration-missing-backfill",
                here,
                true,
            );
        }
        if complete && !readers.is_empty() {
            step(
                &mut out,
                format!("Repoint every dependent of `{l_name}` to `{n_name}`"),
                Request::Repoint {
                    datasource: n_name.clone(),
                },
                diagnostics,
                "migration-unrepointed-dependent",
                here,
                false,
            );
        }
        if complete && readers.is_empty() && here {
            step(
                &mut out,
                format!("Finish migration: remove `{l_name}`, its pipe and the backfill"),
                Request::Finish {
                    datasource: n_name.clone(),
                },
                diagnostics,
                "migration-leftover",
                here,
                false,
            );
        }
    }
    // 3. A SELECT item the target lacks: add it through a safe migration.
    for d in diagnostics
        .iter()
        .filter(|d| d.code == "materialization-schema-mismatch" && overlaps(d.range))
    {
        if let Some(o) = schema_mismatch_offer(p, m, path, d) {
            out.push(o);
        }
    }
    out
}

/// A migration step: the quick fix of each diagnostic `code` it resolves, or (none here) a
/// refactoring when the file takes part in the migration.
#[allow(clippy::too_many_arguments)]
fn step(
    out: &mut Vec<Offer>,
    title: String,
    request: Request,
    diagnostics: &[Diagnostic],
    code: &str,
    here: bool,
    preferred: bool,
) {
    let mut fixed = false;
    for d in diagnostics.iter().filter(|d| d.code == code) {
        fixed = true;
        out.push(Offer {
            title: title.clone(),
            kind: OfferKind::QuickFix,
            request: request.clone(),
            fixes: Some((d.code, d.range)),
            preferred,
        });
    }
    if here && !fixed {
        out.push(Offer {
            title,
            kind: OfferKind::Refactor,
            request,
            fixes: None,
            preferred: false,
        });
    }
}

fn add_column_offers(
    p: &Project,
    m: &Migrations,
    target: ResourceId,
    node: Option<String>,
    out: &mut Vec<Offer>,
) {
    let node_ix = node
        .as_deref()
        .and_then(|n| super::add_column::resolve_node(p, n).ok());
    let Ok(mv) = MaterializedView::of(p, m, target, node_ix) else {
        return;
    };
    let name = mv.name().to_string();
    let several = mv.time_columns.len() > 1;
    for tc in &mv.time_columns {
        let title = if several {
            format!(
                "Add column to materialized view `{name}` (safe migration, cutoff on `{}`)",
                tc.column
            )
        } else {
            format!("Add column to materialized view `{name}` (safe migration)")
        };
        out.push(Offer {
            title,
            kind: OfferKind::Refactor,
            request: Request::AddColumn(AddColumn {
                datasource: name.clone(),
                node: node.clone(),
                time_column: several.then(|| tc.column.clone()),
                ..AddColumn::default()
            }),
            fixes: None,
            preferred: false,
        });
    }
    if p.dialect == Dialect::Forward {
        out.push(Offer {
            title: format!("Add column to `{name}` in place (Forward deployment, FORWARD_QUERY)"),
            kind: OfferKind::Refactor,
            request: Request::ForwardAddColumn(AddColumn {
                datasource: name,
                node,
                ..AddColumn::default()
            }),
            fixes: None,
            preferred: false,
        });
    }
}

/// "`x` is not a column of `T`" on a SELECT item of a materializing node: the column, its
/// expression and type from the SELECT.
fn schema_mismatch_offer(p: &Project, m: &Migrations, path: &str, d: &Diagnostic) -> Option<Offer> {
    for w in m
        .writers
        .iter()
        .filter(|w| w.path.as_ref() == path && w.kind == EdgeKind::MaterializesInto)
    {
        let node = &p.resources[w.pipe].nodes[w.node];
        let main = node.sql.as_ref()?.main.as_ref()?;
        let cols = columns(p, w.target);
        for item in &main.items {
            if node.file_range(item.range) != d.range
                || cols.iter().any(|c| c.name == item.output_name)
            {
                continue;
            }
            // An item reading a name no table has: adding it would only move the error.
            let reads_unknown = analysis::columns::unknown_reads(p, w.pipe, w.node)
                .iter()
                .any(|u| {
                    item.range.start <= u.read.range.start && u.read.range.end <= item.range.end
                });
            if reads_unknown {
                continue;
            }
            let text = node.sql_map.text.get(item.range.start..item.range.end)?;
            let expr = super::sql_edit::item_expression(text, item)?.to_string();
            let mv = MaterializedView::of(p, m, w.target, Some(w.node_id())).ok()?;
            let ty = infer_type(item, &expr, |c| {
                mv.source_columns
                    .iter()
                    .find(|s| s.name == c)
                    .and_then(|s| s.ty.clone())
            })?;
            let target = mv.name().to_string();
            return Some(Offer {
                title: format!(
                    "Add `{}` ({ty}) to `{target}` through a safe migration",
                    item.output_name
                ),
                kind: OfferKind::QuickFix,
                request: Request::AddColumn(AddColumn {
                    datasource: target,
                    node: Some(format!("{}.{}", p.resources[w.pipe].name, node.name)),
                    column: Some(NewColumn {
                        name: item.output_name.clone(),
                        ty: ty.to_string(),
                        expression: expr,
                    }),
                    move_item: Some(node.file_range(item.range)),
                    ..AddColumn::default()
                }),
                fixes: Some((d.code, d.range)),
                preferred: true,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use analysis::db::ProjectDb;
    use std::sync::Arc;

    /// The schema-mismatch quick fix is offered for an item reading existing columns only.
    #[test]
    fn schema_mismatch_offer_only_for_items_reading_known_columns() {
        let offered = |item: &str| -> Vec<String> {
            let mut db = ProjectDb::new("/nonexistent-root", None);
            db.set_file(
                "datasources/events.datasource",
                Arc::from("SCHEMA >\n    `ts` DateTime,\n    `referer` String\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"ts\"\n"),
            );
            db.set_file(
                "datasources/daily.datasource",
                Arc::from("SCHEMA >\n    `d` Date,\n    `n` UInt64\n\nENGINE \"SummingMergeTree\"\nENGINE_SORTING_KEY \"d\"\n"),
            );
            let pipe = format!("NODE n\nSQL >\n    SELECT toDate(ts) AS d, count() AS n, {item}\n    FROM events\n    GROUP BY d\n\nTYPE materialized\nDATASOURCE daily\n");
            db.set_file("pipes/daily_mv.pipe", Arc::from(pipe.as_str()));
            let a = db.analyze(&|_: &str| None);
            let ds = a
                .diagnostics
                .get("pipes/daily_mv.pipe")
                .cloned()
                .unwrap_or_default();
            let at = pipe.find(item).unwrap();
            offers_at(
                &a.project,
                &a.migrations,
                "pipes/daily_mv.pipe",
                TextRange::new(at, at + item.len()),
                &ds,
            )
            .into_iter()
            .map(|o| o.title)
            .collect()
        };
        let known = offered("any(referer) AS ref");
        assert!(known.iter().any(|t| t.contains("Add `ref`")), "{known:?}");
        let unknown = offered("any(referrer) AS ref");
        assert!(
            !unknown.iter().any(|t| t.contains("Add `ref`")),
            "{unknown:?}"
        );
    }
}
