//! A new column that is a dimension of an aggregating view: its expression reads columns and
//! calls no aggregate (`stage`, `lower(country)`), added to a node that groups. ClickHouse
//! refuses such a column outside GROUP BY (code 215), so the view groups by it; and a target
//! that merges rows by its sorting key (Aggregating, Summing, Replacing, Collapsing MergeTree)
//! would merge rows that differ only in it, so its sorting key gets it too.

use super::add_column::{select_item, NewColumn};
use super::context::MaterializedView;
use super::ActionError;
use syntax::model::Datafile;
use syntax::sql::template::Template;
use syntax::text::TextRange;

/// What adding a dimension changes besides the SELECT item.
pub struct Dimension {
    /// The edit of the pipe's text that adds it to GROUP BY (`None`: `GROUP BY ALL`).
    pub group_by: Option<(TextRange, String)>,
    /// The edit of the target's text that adds it to ENGINE_SORTING_KEY (`None`: a plain
    /// MergeTree, which merges nothing).
    pub sorting_key: Option<(TextRange, String)>,
    /// What it means, for the notes.
    pub notes: Vec<String>,
}

/// Whether `column` is a dimension: an expression that reads a column and calls no
/// aggregate function (a constant is allowed outside GROUP BY).
pub fn is_dimension(column: &NewColumn) -> bool {
    let sql = format!("SELECT {} FROM t", select_item(column));
    let analysis = syntax::sql::analyze(&sql);
    let Some(item) = analysis.main.as_ref().and_then(|m| m.items.first()) else {
        return false;
    };
    let aggregate = item.functions.iter().any(|f| f.aggregate.is_some());
    let reads = item.functions.is_empty() && !item.output_name.starts_with('\'')
        || item.functions.iter().any(|f| !f.column_args.is_empty());
    !aggregate && reads
}

/// The edits that make `column` a dimension of `mv`'s view and of its target (the target's
/// text `target_text`, parsed as `target`), when the view groups and the column is one.
pub fn dimension(
    mv: &MaterializedView,
    column: &NewColumn,
    pipe_text: &str,
    target: &Datafile,
    target_text: &str,
) -> Result<Option<Dimension>, ActionError> {
    if !is_dimension(column) {
        return Ok(None);
    }
    let p = mv.project;
    let node = &p.resources[mv.writer.pipe].nodes[mv.writer.node];
    let Some(main) = node.sql.as_ref().and_then(|s| s.main.as_ref()) else {
        return Ok(None);
    };
    let Some(last) = main.group_by.last() else {
        return Ok(None); // a view that does not group: the column flows as it is
    };
    let group_by_all = main.group_by.len() == 1
        && node
            .sql_map
            .text
            .get(last.start..last.end)
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("all"));
    let group_by = if group_by_all {
        None
    } else {
        if Template::of_sql(&node.sql_map.text).is_some_and(|t| t.inside_branch(last.end)) {
            return Err(ActionError::new(format!(
                "`{}` is a new dimension of `{}` (no aggregate), and its GROUP BY ends inside a template branch: add it to GROUP BY by hand",
                column.name,
                mv.name()
            )));
        }
        let written = node.file_range(*last);
        let squash = |s: &str| s.split_whitespace().collect::<String>();
        // Checked against the text: the GROUP BY's last expression is written there.
        if pipe_text.get(written.start..written.end).map(squash)
            != node.sql_map.text.get(last.start..last.end).map(squash)
        {
            return Err(ActionError::new(
                "the GROUP BY could not be located in the pipe's text",
            ));
        }
        let end = written.end;
        Some((TextRange::empty(end), format!(", {}", column.name)))
    };
    let engine = target.engine();
    let engine_name = engine
        .and_then(|e| e.name.as_ref())
        .map_or("MergeTree", |n| n.text.as_str());
    let merges = engine_name.contains("Aggregating")
        || engine_name.contains("Summing")
        || engine_name.contains("Replacing")
        || engine_name.contains("Collapsing");
    let mut notes = vec![format!(
        "`{}` is a dimension (no aggregate): the view groups by it{}.",
        column.name,
        if merges {
            format!(
                " and the target's sorting key includes it (`{engine_name}` merges the rows that share their sorting key: outside it, rows of different `{}` would be merged into one)",
                column.name
            )
        } else {
            String::new()
        }
    )];
    let sorting_key = match engine.and_then(|e| e.param("sorting_key")) {
        Some(key) if merges => {
            // Checked against the text: the key is written in its value (quoted or not).
            let raw = target_text
                .get(key.range.start..key.range.end)
                .unwrap_or("");
            let k = key.text.trim();
            let found = raw
                .find(k)
                .filter(|_| !k.is_empty())
                .ok_or_else(|| ActionError::new("the sorting key could not be located"))?;
            let mut at = key.range.start + found + k.len();
            // `(a, b)`: inside the parentheses.
            if k.starts_with('(') && k.ends_with(')') {
                at -= 1;
            }
            Some((TextRange::empty(at), format!(", {}", column.name)))
        }
        _ => None,
    };
    notes.push(format!(
        "Past rows: a backfill from the source groups them by `{}` too; rows copied from the legacy target (or carried over in place) were grouped without it and keep its default, they cannot be split by it. To keep it an attribute of the existing keys instead, add it as `SimpleAggregateFunction(any, …)` computed with `anySimpleState(…)`.",
        column.name
    ));
    Ok(Some(Dimension {
        group_by,
        sorting_key,
        notes,
    }))
}
