//! The Forward way to add a column to a materialized view: evolve the target and its pipe in
//! place, deployed together. The target gets the column at the end of its SCHEMA and a
//! FORWARD_QUERY that carries its existing rows over with the column's default; the pipe
//! computes the column for new rows. Without the FORWARD_QUERY, a deployment rebuilds the
//! target by replaying the pipe over the source: history older than the source's TTL is lost.

use super::add_column::{append_schema_column, resolve_node, select_item, AddColumn, NewColumn};
use super::context::MaterializedView;
use super::sql_edit::append_select_item;
use super::{ActionError, ActionResult, Change, FileEdit, Workspace};
use analysis::migration::columns;
use project::model::ResourceKind;
use syntax::chtype::Type;
use syntax::text::TextRange;
use syntax::Dialect;

pub fn forward_add_column(ws: &Workspace, req: &AddColumn) -> ActionResult {
    let p = ws.project;
    if p.dialect != Dialect::Forward {
        return Err(ActionError::new(
            "evolving a datasource in place with FORWARD_QUERY is for Forward projects",
        ));
    }
    let (l, _) = p
        .named(&req.datasource)
        .find(|(_, r)| r.kind == ResourceKind::Datasource)
        .ok_or_else(|| ActionError::new(format!("no datasource `{}`", req.datasource)))?;
    let node = match &req.node {
        Some(n) => Some(resolve_node(p, n)?),
        None => None,
    };
    let mv = MaterializedView::of(p, ws.migrations, l, node)?;
    let column: NewColumn = req
        .column
        .clone()
        .ok_or_else(|| ActionError::new("give the column's name, type and expression"))?;
    let column = NewColumn {
        expression: mv.qualify_shadowed(&column.expression),
        ..column
    };
    if let Some(why) = Type::parse(&column.ty).as_ref().and_then(default_masks) {
        return Err(ActionError::new(format!(
            "`{}` is `{}`: the FORWARD_QUERY gives every existing row its default, and {why}, so when parts merge the default can replace the real values the view writes for the same key. Declare it with a Nullable type (`SimpleAggregateFunction({}, Nullable(…))`: the existing rows get NULL, which aggregate functions skip), or use the safe migration",
            column.name,
            column.ty,
            Type::parse(&column.ty).as_ref().and_then(|t| t.aggregate_function().map(str::to_string)).unwrap_or_default()
        )));
    }
    let cols = columns(p, l);
    if cols.iter().any(|c| c.name == column.name) {
        return Err(ActionError::new(format!(
            "`{}` already has a column `{}`",
            mv.name(),
            column.name
        )));
    }
    let l_res = &p.resources[l];
    let df = &p.files[l_res.file].datafile;
    if df.forward_query.is_some() {
        return Err(ActionError::new(format!(
            "`{}` already has a FORWARD_QUERY: deploy and promote it, then remove it first",
            mv.name()
        )));
    }
    let l_text = ws.text(&l_res.path)?;
    let pipe_res = &p.resources[mv.writer.pipe];
    let pipe_text = ws.text(&pipe_res.path)?;
    let mut items: Vec<String> = cols.iter().map(|c| format!("`{}`", c.name)).collect();
    items.push(format!(
        "CAST(defaultValueOfTypeName('{}') AS {}) AS `{}`",
        column.ty.replace('\'', "\\'"),
        column.ty,
        column.name
    ));
    let (at, schema_text) = append_schema_column(df, &l_text, &column)?;
    let end = l_text.trim_end().len();
    let forward_query = format!(
        "\n\nFORWARD_QUERY >\n    SELECT\n        {}\n",
        items.join(",\n        ")
    );
    let mut change = Change {
        title: format!(
            "Add column `{}` to `{}` in place (Forward deployment)",
            column.name,
            mv.name()
        ),
        ..Change::default()
    };
    change.edit.push(FileEdit {
        path: l_res.path.to_string(),
        range: at,
        new_text: schema_text,
        replaces: None,
    });
    let dimension = super::dimension::dimension(&mv, &column, &pipe_text, df, &l_text)?;
    if let Some((range, new_text)) = dimension.as_ref().and_then(|d| d.sorting_key.clone()) {
        change.edit.push(FileEdit {
            path: l_res.path.to_string(),
            range,
            new_text,
            replaces: None,
        });
    }
    change.edit.push(FileEdit {
        path: l_res.path.to_string(),
        range: TextRange::new(end, l_text.len()),
        new_text: forward_query,
        replaces: None,
    });
    let (range, text) = append_select_item(
        p,
        mv.writer.pipe,
        mv.writer.node,
        &pipe_text,
        &select_item(&column),
    )?;
    change.edit.push(FileEdit {
        path: pipe_res.path.to_string(),
        range,
        new_text: text,
        replaces: None,
    });
    if let Some((range, new_text)) = dimension.as_ref().and_then(|d| d.group_by.clone()) {
        change.edit.push(FileEdit {
            path: pipe_res.path.to_string(),
            range,
            new_text,
            replaces: None,
        });
    }
    if let Some(d) = &dimension {
        change.notes.extend(d.notes.iter().cloned());
        if d.sorting_key.is_some() {
            change.notes.push(format!(
                "The sorting key of `{}` changes: Tinybird deploys that as a rewrite of the table (not an ALTER), through the FORWARD_QUERY; every existing row gets the default value of `{}`.",
                mv.name(),
                column.name
            ));
        }
    }
    change.notes.push(format!(
        "`{}` gets `{}` at the end of its SCHEMA; its FORWARD_QUERY carries the existing rows over with the type's default, and `{}` computes it for new rows. Deploy both together (`tb deploy`), check the deployment, then promote.",
        mv.name(),
        column.name,
        mv.pipe_name()
    ));
    let source = mv
        .landing
        .map_or(mv.source.clone(), |i| p.resources[i].name.clone());
    if mv.source_keeps_less() {
        change.notes.push(format!(
            "Warning: `{source}` keeps less history than `{}` (its TTL). Keep the FORWARD_QUERY in this deployment: without it the deployment re-runs the materialization from `{source}` and the older history of `{}` is lost.",
            mv.name(),
            mv.name()
        ));
    } else {
        change.notes.push(format!(
            "History keeps the default. To fill the column for past rows instead, remove the FORWARD_QUERY: the deployment then replays `{}` over `{source}`, which still holds all of it.",
            mv.pipe_name()
        ));
    }
    change
        .notes
        .push("Remove the FORWARD_QUERY block once the deployment is promoted.".to_string());
    Ok(change)
}

/// Why the default of a `SimpleAggregateFunction(f, T)` column, given to the rows a
/// FORWARD_QUERY carries over, can win over the real values merged with it (`None`: it cannot,
/// e.g. `sum`, or `T` is Nullable and the default is NULL, which aggregates skip). Shown on
/// ClickHouse by tests/in_place_default_chdb.rs.
fn default_masks(ty: &Type) -> Option<&'static str> {
    let Type::SimpleAggregateFunction { arg, .. } = ty else {
        return None;
    };
    let nullable = |t: &Type| match t {
        Type::Nullable(_) => true,
        Type::LowCardinality(inner) => matches!(**inner, Type::Nullable(_)),
        _ => false,
    };
    if nullable(arg) {
        return None;
    }
    let signed = arg.is_float()
        || matches!(arg.plain(), Type::Other { name, .. } if name.starts_with("Int"));
    match ty.aggregate_function()? {
        "any" | "anyLast" | "anyHeavy" => Some("it keeps an arbitrary one of the values merged"),
        "min" => Some(
            "it keeps the smallest value merged, which the default (zero, empty, 1970) usually is",
        ),
        "max" if signed => Some(
            "it keeps the largest value merged, and a negative value loses to the default zero",
        ),
        _ => None,
    }
}

#[cfg(test)]
mod step_tests {
    use crate::testing::{after, run_on, STORY};
    use crate::Request;

    #[test]
    fn evolves_the_target_in_place_with_a_forward_query() {
        let forward = format!(
            "//- dialect: forward\n{}",
            analysis::fixture::trim_indent(STORY)
        );
        // `any` over a non-Nullable type: the default of the existing rows could win merges.
        let plain = Request::ForwardAddColumn(crate::add_column::step_tests::env());
        let e = run_on(&forward, &plain).unwrap_err();
        assert!(e.message.contains("Nullable"), "{}", e.message);
        let mut column = crate::add_column::step_tests::env();
        if let Some(c) = column.column.as_mut() {
            c.ty = "SimpleAggregateFunction(any, Nullable(String))".into();
        }
        let req = Request::ForwardAddColumn(column);
        let change = run_on(&forward, &req).unwrap();
        assert!(change.create.is_empty() && change.delete.is_empty());
        let done = after(&forward, &change, None);
        assert!(done.contains("`env` SimpleAggregateFunction(any, Nullable(String))"));
        assert!(done.contains("FORWARD_QUERY >"));
        assert!(done.contains("anySimpleState(env) AS env"));
        // Classic has no FORWARD_QUERY.
        let e = run_on(STORY, &req).unwrap_err();
        assert!(e.message.contains("Forward projects"), "{}", e.message);
    }
}
