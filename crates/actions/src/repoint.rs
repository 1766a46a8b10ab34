//! Step 3: "Repoint dependents to N". Every reference to the legacy target L in endpoints,
//! pipes, copies, sinks and tests (outside the migration's own pipes and the quality test)
//! becomes N, as one change. Only table references found by the SQL parser are rewritten —
//! never a substring, a string literal or a comment — and each is checked against the file's
//! text before it is.

use super::backfill::find_migration;
use super::{ActionError, ActionResult, Change, FileEdit, Workspace};
use analysis::migration::legacy_readers;
use project::model::Source;

pub fn repoint(ws: &Workspace, new_target: &str) -> ActionResult {
    let p = ws.project;
    let f = find_migration(p, ws.migrations, new_target)?;
    let m = f.migration();
    let l = m.legacy.ok_or_else(|| {
        ActionError::new(format!(
            "no legacy target is recognised for `{new_target}` (add `# tinybird-lsp: replaces <legacy>` to its file)"
        ))
    })?;
    if m.live.is_empty() || m.backfills.is_empty() {
        return Err(ActionError::new(format!(
            "the migration into `{new_target}` is not complete: it needs its live side and its backfill before dependents move"
        )));
    }
    let l_name = p.resources[l].name.clone();
    let mut change = Change {
        title: format!("Repoint dependents of `{l_name}` to `{new_target}`"),
        ..Change::default()
    };
    let mut readers: Vec<String> = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    for e in legacy_readers(p, f.m, m) {
        let text = ws.text(&e.path)?;
        let written = text.get(e.range.start..e.range.end).unwrap_or("");
        let new_text = if written == l_name {
            new_target.to_string()
        } else if written == format!("`{l_name}`") {
            format!("`{new_target}`")
        } else if written == format!("'{l_name}'") {
            format!("'{new_target}'")
        } else if written == format!("\"{l_name}\"") {
            format!("\"{new_target}\"")
        } else {
            skipped.push(format!("{} (`{written}`)", e.path));
            continue;
        };
        let edit = FileEdit {
            path: e.path.to_string(),
            range: e.range,
            new_text,
        };
        if change.edit.contains(&edit) {
            continue;
        }
        change.edit.push(edit);
        let who = match e.from {
            Source::Resource(r) => p.resources[r].name.clone(),
            Source::Test(_) => format!("test {}", e.from_node.as_deref().unwrap_or(&e.path)),
        };
        if !readers.contains(&who) {
            readers.push(who);
        }
    }
    if change.edit.is_empty() && skipped.is_empty() {
        return Err(ActionError::new(format!(
            "nothing outside the migration reads `{l_name}`"
        )));
    }
    change
        .edit
        .sort_by(|a, b| (&a.path, a.range.start).cmp(&(&b.path, b.range.start)));
    if !readers.is_empty() {
        change.notes.push(format!(
            "{} now read `{new_target}`.",
            readers
                .iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !skipped.is_empty() {
        change.notes.push(format!(
            "Not rewritten (the reference is not written as the name there, e.g. through an INCLUDE): {}. Change those by hand.",
            skipped.join(", ")
        ));
    }
    super::backfill::bump_past_custom_deployment(ws, &mut change);
    change.notes.push(format!(
        "Once this is deployed and nothing reads `{l_name}`, run \"Finish migration\"."
    ));
    Ok(change)
}
