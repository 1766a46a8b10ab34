//! What an editor needs to ask the user about a migration before running one: every
//! materialized view of a project (its target, the nodes writing into it, the target's columns
//! and the time columns a cutoff can use). Plain data for the editor commands
//! (`tinybird/materializedViews`).

use super::context::MaterializedView;
use analysis::migration::columns;
use analysis::migration::Migrations;
use project::model::{EdgeKind, Project};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewInfo {
    /// The target datasource.
    pub datasource: String,
    /// Its file, relative to the project root.
    pub path: String,
    pub columns: Vec<String>,
    pub writers: Vec<WriterInfo>,
    /// Source columns a cutoff can be placed on (the first writer's), best first.
    pub time_columns: Vec<String>,
    /// Whether the datasource already takes part in a migration (as the new or legacy target).
    pub migrating: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WriterInfo {
    /// `pipe.node`, the value of the add-column action's `node`.
    pub node: String,
    /// The pipe's file, relative to the project root.
    pub path: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Catalog {
    /// `classic` or `forward`: Forward projects may also migrate in place.
    pub dialect: &'static str,
    pub views: Vec<ViewInfo>,
}

/// Every datasource a materialized node writes into, by name.
pub fn materialized_views(p: &Project, m: &Migrations) -> Catalog {
    let mut views = Vec::new();
    for (&target, idx) in &m.by_target {
        let writers: Vec<_> = idx
            .iter()
            .map(|&i| &m.writers[i])
            .filter(|w| w.kind == EdgeKind::MaterializesInto)
            .collect();
        if writers.is_empty() || columns(p, target).is_empty() {
            continue;
        }
        let first = writers[0];
        let time_columns = MaterializedView::of(p, m, target, Some(first.node_id()))
            .map(|v| v.time_columns.iter().map(|t| t.column.clone()).collect())
            .unwrap_or_default();
        let r = &p.resources[target];
        views.push(ViewInfo {
            datasource: r.name.clone(),
            path: r.path.to_string(),
            columns: columns(p, target).iter().map(|c| c.name.clone()).collect(),
            writers: writers
                .iter()
                .map(|w| {
                    let pipe = &p.resources[w.pipe];
                    WriterInfo {
                        node: format!("{}.{}", pipe.name, pipe.nodes[w.node].name),
                        path: w.path.to_string(),
                    }
                })
                .collect(),
            time_columns,
            migrating: m
                .migrations
                .iter()
                .any(|g| g.legacy.is_some() && (g.new == target || g.legacy == Some(target))),
        });
    }
    views.sort_by(|a, b| a.datasource.cmp(&b.datasource));
    Catalog {
        dialect: p.dialect.name(),
        views,
    }
}
