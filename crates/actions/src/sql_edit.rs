//! Edits of datafile text the actions share: a SELECT item appended to a node, a condition
//! merged into its WHERE, keyword lines replaced, the type a SELECT expression produces.

use super::ActionError;
use analysis::migration::Writer;
use project::model::Project;
use project::model::ResourceId;
use syntax::sql::template::Template;
use syntax::text::TextRange;

pub use project::types::{
    fixed_return_type, infer_type, item_expression, return_type, scalar_subquery_type, RETURN_TYPES,
};

/// The line holding `offset`: from its first byte to its end (without the line break).
pub fn line_at(text: &str, offset: usize) -> TextRange {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let end = if end > start && text.as_bytes()[end - 1] == b'\r' {
        end - 1
    } else {
        end
    };
    TextRange::new(start, end)
}

/// The line holding `offset` with its line break (to delete the whole line).
pub fn whole_line_at(text: &str, offset: usize) -> TextRange {
    let l = line_at(text, offset);
    let end = text[l.end..]
        .find('\n')
        .map_or(text.len(), |i| l.end + i + 1);
    TextRange::new(l.start, end)
}

/// The edit appending `item` (`expr AS name`) to the SELECT list of a pipe's node, on its own
/// line when the items are one per line.
pub fn append_select_item(
    p: &Project,
    pipe: ResourceId,
    node: usize,
    file_text: &str,
    item: &str,
) -> Result<(TextRange, String), ActionError> {
    let n = &p.resources[pipe].nodes[node];
    let main = n
        .sql
        .as_ref()
        .and_then(|s| s.main.as_ref())
        .ok_or_else(|| {
            ActionError::new(format!("the SELECT of node `{}` could not be read", n.name))
        })?;
    if main
        .items
        .iter()
        .any(|i| i.output_name == "*" || i.output_name.ends_with(".*"))
    {
        return Err(ActionError::new(format!(
            "node `{}` selects `*`: list its columns first (the new column needs its own expression)",
            n.name
        )));
    }
    let last = main
        .items
        .last()
        .ok_or_else(|| ActionError::new(format!("node `{}` selects nothing", n.name)))?;
    if Template::of_sql(&n.sql_map.text).is_some_and(|t| t.inside_branch(last.range.end)) {
        return Err(ActionError::new(format!(
            "the last SELECT item of node `{}` is inside a template branch: add the column by hand",
            n.name
        )));
    }
    let first = main.items.first().map_or(last.range, |i| i.range);
    let last_file = n.file_range(last.range);
    let first_file = n.file_range(first);
    let line = line_at(file_text, last_file.start);
    let before = &file_text[line.start..last_file.start];
    let one_per_line = before.trim().is_empty() && line_at(file_text, first_file.start) != line
        || (main.items.len() == 1 && before.trim().is_empty());
    let text = if one_per_line {
        format!(",\n{before}{item}")
    } else {
        format!(", {item}")
    };
    Ok((TextRange::empty(last_file.end), text))
}

/// The edits that add `condition` to a writer's WHERE (ANDed to an existing WHERE, which is
/// parenthesised when its top level is an OR; or a new WHERE before GROUP BY).
pub fn add_condition(w: &Writer, condition: &str) -> Result<Vec<(TextRange, String)>, ActionError> {
    if let Some(incl) = w.condition_at.as_ref().and_then(|c| c.path.as_ref()) {
        return Err(ActionError::new(format!(
            "the WHERE of `{}` is written in the included `{incl}`, which the legacy pipe keeps including: copy the included lines into `{}` first",
            w.path, w.path
        )));
    }
    w.condition_edits(condition)
        .map(|edits| {
            edits
                .into_iter()
                .map(|(at, t)| (TextRange::empty(at), t))
                .collect()
        })
        .ok_or_else(|| {
            ActionError::new(format!(
                "the WHERE of `{}` ends inside a template branch: add `{condition}` by hand",
                w.path
            ))
        })
}

/// The edit that removes a SELECT item together with the comma that separates it from the
/// previous one (or the next one).
pub fn remove_select_item(file_text: &str, item: TextRange) -> TextRange {
    let before = &file_text[..item.start];
    let trimmed = before.trim_end();
    if trimmed.ends_with(',') {
        return TextRange::new(trimmed.len() - 1, item.end);
    }
    let after = &file_text[item.end..];
    let t = after.trim_start();
    if t.starts_with(',') {
        let comma = item.end + (after.len() - t.len());
        let rest = &file_text[comma + 1..];
        let ws = rest.len() - rest.trim_start().len();
        return TextRange::new(item.start, comma + 1 + ws);
    }
    item
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_items_with_their_comma() {
        let t = "SELECT a,\n  b AS x,\n  c";
        let b = t.find("b AS x").unwrap();
        let r = remove_select_item(t, TextRange::new(b, b + 6));
        assert_eq!(
            crate::apply_edits(t, &[(r, String::new())]),
            "SELECT a,\n  c"
        );
        let c = t.find("  c").unwrap() + 2;
        let r = remove_select_item(t, TextRange::new(c, c + 1));
        assert_eq!(
            crate::apply_edits(t, &[(r, String::new())]),
            "SELECT a,\n  b AS x"
        );
    }
}
