//! Step 3: "Repoint dependents to N". Every reference to the legacy target L in endpoints,
//! pipes, copies, sinks and tests (outside the migration's own pipes and the quality test)
//! becomes N, as one change. Only table references found by the SQL parser are rewritten —
//! never a substring, a string literal or a comment — and each is checked against the file's
//! text before it is.

use super::backfill::{find_migration, no_legacy_reason};
use super::{ActionError, ActionResult, Change, FileEdit, Workspace};
use analysis::migration::{legacy_readers, qualified_columns, requote};
use project::model::Source;

pub fn repoint(ws: &Workspace, new_target: &str) -> ActionResult {
    let p = ws.project;
    let f = find_migration(p, ws.migrations, new_target)?;
    let m = f.migration();
    let l = m.legacy.ok_or_else(|| {
        ActionError::new(format!(
            "no legacy target is recognised for `{new_target}` ({})",
            no_legacy_reason(p, m.new)
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
    let dependents: Vec<&project::model::Edge> = legacy_readers(p, f.m, m).collect();
    for e in dependents.iter().copied() {
        // A name read through an INCLUDE is rewritten where it is written, in the `.incl`,
        // when every file reading it there is a dependent (not one of the migration's pipes).
        let (path, range) = match (&e.included, e.written_here) {
            (Some(site), false) => {
                let shared = p.edges.iter().any(|o| {
                    o.target == e.target
                        && o.included.as_ref() == Some(site)
                        && !dependents.iter().any(|d| std::ptr::eq(*d, o))
                });
                if shared {
                    skipped.push(format!(
                        "{} (also read by the migration's own pipes through `{}`)",
                        e.path, site.path
                    ));
                    continue;
                }
                (site.path.clone(), site.range)
            }
            _ => (e.path.clone(), e.range),
        };
        let text = ws.text(&path)?;
        let written = text.get(range.start..range.end).unwrap_or("");
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
            path: path.to_string(),
            range,
            new_text,
            replaces: None,
        };
        let who = match e.from {
            Source::Resource(r) => p.resources[r].name.clone(),
            Source::Test(_) => format!("test {}", e.from_node.as_deref().unwrap_or(&e.path)),
        };
        if !readers.contains(&who) {
            readers.push(who);
        }
        if !change.edit.contains(&edit) {
            change.edit.push(edit);
        }
    }
    if change.edit.is_empty() && skipped.is_empty() {
        return Err(ActionError::new(format!(
            "nothing outside the migration reads `{l_name}`"
        )));
    }
    // Columns qualified with the legacy name (`daily.day`, `countMerge(daily.hits)`) in the
    // nodes and test cases repointed: ClickHouse knows no `daily` once `FROM daily` is gone.
    let mut nodes: Vec<(&Source, Option<&str>)> = Vec::new();
    for e in &dependents {
        let key = (&e.from, e.from_node.as_deref());
        if !nodes.contains(&key) {
            nodes.push(key);
        }
    }
    for (from, node) in nodes {
        for q in qualified_columns(p, from, node, &l_name) {
            let Some(range) = q.range else {
                skipped.push(format!(
                    "{} (the qualifier `{l_name}.` in an included file)",
                    q.path
                ));
                continue;
            };
            let edit = FileEdit {
                new_text: requote(&q.written, new_target),
                path: q.path,
                range,
                replaces: None,
            };
            if !change.edit.contains(&edit) {
                change.edit.push(edit);
            }
        }
    }
    change
        .edit
        .sort_by(|a, b| (&a.path, a.range.start).cmp(&(&b.path, b.range.start)));
    if !readers.is_empty() {
        change.notes.push(format!(
            "{} now read{} `{new_target}`.",
            readers
                .iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>()
                .join(", "),
            if readers.len() == 1 { "s" } else { "" }
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

#[cfg(test)]
pub(crate) mod step_tests {
    use crate::testing::{after, run_on};
    use crate::Request;

    /// The story after the backfill step.
    pub(crate) fn step2() -> String {
        let step1 = crate::backfill::step_tests::step1();
        let change = run_on(&step1, &crate::backfill::step_tests::request()).unwrap();
        after(&step1, &change, None)
    }

    #[test]
    fn rewrites_every_reader_of_the_legacy_target() {
        let step2 = step2();
        let req = Request::Repoint {
            datasource: "sessions_1".into(),
        };
        let change = run_on(&step2, &req).unwrap();
        let repointed = after(&step2, &change, None);
        assert!(repointed.contains("countMerge(hits) AS hits FROM sessions_1 GROUP BY"));
        assert!(change.notes[0].contains("`api` now reads `sessions_1`"));
        // Nothing left to repoint: said, not an empty change.
        let e = run_on(&repointed, &req).unwrap_err();
        assert!(
            e.message.contains("nothing outside the migration reads"),
            "{}",
            e.message
        );
    }

    /// `{{ TABLE('x') }}` in a template branch, the way endpoints choose a table: the name
    /// inside the string is rewritten, and the tag kept.
    #[test]
    fn rewrites_template_table_calls_in_every_branch() {
        let step2 = step2().replace(
            "//- pipes/api.pipe\nNODE n\nSQL >\n    SELECT date, countMerge(hits) AS hits FROM sessions GROUP BY date\n",
            "//- pipes/api.pipe\nNODE n\nSQL >\n    %\n    SELECT date, countMerge(hits) AS hits\n    {% if defined(recent) %}\n    FROM {{ TABLE('sessions') }} WHERE date > today() - 7\n    {% else %}\n    FROM sessions\n    {% end %}\n    GROUP BY date\n",
        );
        assert!(step2.contains("TABLE('sessions')"), "{step2}");
        let req = Request::Repoint {
            datasource: "sessions_1".into(),
        };
        let change = run_on(&step2, &req).unwrap();
        assert_eq!(change.edit.len(), 2, "{}", change.describe());
        let repointed = after(&step2, &change, None);
        assert!(
            repointed.contains("FROM {{ TABLE('sessions_1') }} WHERE"),
            "{repointed}"
        );
        assert!(repointed.contains("    FROM sessions_1\n"), "{repointed}");
    }

    /// A name read through an INCLUDE is rewritten in the `.incl` where it is written (never on
    /// the INCLUDE line), once however many pipes include it.
    #[test]
    fn rewrites_names_in_included_files() {
        let step2 = step2().replace(
            "//- pipes/api.pipe\nNODE n\nSQL >\n    SELECT date, countMerge(hits) AS hits FROM sessions GROUP BY date\n",
            "//- includes/totals.incl\nNODE totals\nSQL >\n    SELECT date, countMerge(hits) AS hits FROM sessions GROUP BY date\n//- pipes/api.pipe\nINCLUDE \"../includes/totals.incl\"\n\nNODE n\nSQL >\n    SELECT * FROM totals\n//- pipes/api_2.pipe\nINCLUDE \"../includes/totals.incl\"\n\nNODE n\nSQL >\n    SELECT * FROM totals\n",
        );
        assert!(step2.contains("includes/totals.incl"), "{step2}");
        let req = Request::Repoint {
            datasource: "sessions_1".into(),
        };
        let change = run_on(&step2, &req).unwrap();
        assert_eq!(change.edit.len(), 1, "{}", change.describe());
        assert_eq!(change.edit[0].path, "includes/totals.incl");
        let repointed = after(&step2, &change, None);
        assert!(
            repointed.contains("countMerge(hits) AS hits FROM sessions_1 GROUP BY"),
            "{repointed}"
        );
        assert!(repointed.contains("INCLUDE \"../includes/totals.incl\"\n"));
        assert!(
            change.notes[0].contains("`api`, `api_2` now read `sessions_1`"),
            "{:?}",
            change.notes
        );
    }

    /// Columns qualified with the legacy name are requalified with the new one (ClickHouse
    /// code 47 otherwise), in pipes and tests; other tables' qualifiers stay.
    #[test]
    fn rewrites_columns_qualified_with_the_legacy_name() {
        let step2 = step2().replace(
            "SELECT date, countMerge(hits) AS hits FROM sessions GROUP BY date",
            "SELECT sessions.date, countMerge(`sessions`.hits) AS hits, h.x FROM sessions JOIN hits AS h ON h.session_id = sessions.session_id GROUP BY sessions.date, h.x",
        );
        let req = Request::Repoint {
            datasource: "sessions_1".into(),
        };
        let change = run_on(&step2, &req).unwrap();
        let repointed = after(&step2, &change, None);
        assert!(
            repointed.contains("SELECT sessions_1.date, countMerge(`sessions_1`.hits) AS hits, h.x FROM sessions_1 JOIN hits AS h ON h.session_id = sessions_1.session_id GROUP BY sessions_1.date, h.x"),
            "{repointed}"
        );
    }
}
