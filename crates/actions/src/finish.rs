//! Step 4: "Finish migration". Once nothing outside the migration reads the legacy target L:
//! delete L, the pipes that materialize into it, the backfill pipes, the quality tests
//! comparing L and N and the check pipe the backfill step created (marked `# tinybird-lsp:
//! check for N`; a user's pipe reading both is a dependent, never deleted); drop the
//! `# tinybird-lsp: replaces` line from N.

use super::backfill::find_migration;
use super::sql_edit::whole_line_at;
use super::{ActionError, ActionResult, Change, FileEdit, Workspace};
use analysis::migration::{is_migration_check, legacy_readers};
use project::model::ResourceId;
use project::model::{EdgeKind, Source, Target};
use syntax::text::TextRange;

pub fn finish(ws: &Workspace, new_target: &str) -> ActionResult {
    let p = ws.project;
    let f = find_migration(p, ws.migrations, new_target)?;
    let m = f.migration();
    let l = m.legacy.ok_or_else(|| {
        ActionError::new(format!("no legacy target is recognised for `{new_target}`"))
    })?;
    if m.live.is_empty() || m.backfills.is_empty() {
        return Err(ActionError::new(format!(
            "the migration into `{new_target}` is not complete (it needs its live side and its backfill)"
        )));
    }
    let readers: Vec<String> = legacy_readers(p, f.m, m)
        .map(|e| format!("{} ({})", p.source_name(&e.from), e.path))
        .collect();
    let l_name = p.resources[l].name.clone();
    if !readers.is_empty() {
        return Err(ActionError {
            message: format!(
                "`{l_name}` is still read by {}: repoint them to `{new_target}` first",
                readers.join(", ")
            ),
            choices: Vec::new(),
        });
    }
    // Every writer of L must have its counterpart into N: a copy pipe into L, or a view of a
    // source no live side into N reads, would be stopped with L (its rows lost).
    let live_sources: Vec<&str> = m
        .live
        .iter()
        .filter_map(|&i| f.m.writers[i].source.as_deref())
        .collect();
    let orphans: Vec<String> =
        f.m.writers_into(l)
            .filter(|w| {
                w.kind == EdgeKind::CopiesInto
                    || (w.bounds.is_empty()
                        && !w
                            .source
                            .as_deref()
                            .is_some_and(|s| live_sources.contains(&s)))
            })
            .map(|w| {
                let r = &p.resources[w.pipe];
                format!("`{}.{}`", r.name, r.nodes[w.node].name)
            })
            .collect();
    if !orphans.is_empty() {
        return Err(ActionError::new(format!(
            "`{l_name}` is also written by {}, which nothing replaces in `{new_target}`: removing `{l_name}` would stop them and their rows would be materialized nowhere. Give them a live side into `{new_target}` first, or remove them yourself",
            orphans.join(", ")
        )));
    }
    let mut change = Change {
        title: format!("Finish migration: remove `{l_name}` and what fed it"),
        ..Change::default()
    };
    let mut gone: Vec<String> = Vec::new();
    let delete = |path: &str, what: String, change: &mut Change, gone: &mut Vec<String>| {
        if !change.delete.iter().any(|d| d == path) {
            change.delete.push(path.to_string());
            gone.push(what);
        }
    };
    // The backfills.
    for &bi in &m.backfills {
        let w = &f.m.writers[bi];
        let r = &p.resources[w.pipe];
        delete(
            &r.path,
            format!("the backfill `{}`", r.name),
            &mut change,
            &mut gone,
        );
    }
    // The legacy pipes: those materializing into L and writing nothing else.
    for w in f.m.writers_into(l) {
        let r = &p.resources[w.pipe];
        let only_l =
            f.m.writers
                .iter()
                .filter(|o| o.pipe == w.pipe)
                .all(|o| o.target == l);
        if w.kind == EdgeKind::MaterializesInto && only_l {
            delete(
                &r.path,
                format!("the pipe `{}`", r.name),
                &mut change,
                &mut gone,
            );
        }
    }
    let l_path = p.resources[l].path.to_string();
    delete(&l_path, format!("`{l_name}`"), &mut change, &mut gone);
    // The checks comparing L and N: pipe nodes (Forward) and test cases reading both.
    let reads = |from: &Source, node: Option<&str>, t: ResourceId| {
        p.edges.iter().any(|e| {
            &e.from == from
                && e.from_node.as_deref() == node
                && matches!(e.kind, EdgeKind::Reads | EdgeKind::TestReads)
                && e.target == Target::Resource(t)
        })
    };
    let n_name = p.resources[m.new].name.clone();
    for (ri, r) in p.resources.iter_enumerated() {
        let from = Source::Resource(ri);
        // Only the check the backfill step created (its marker): never a user's pipe.
        if !is_migration_check(p, &from, &n_name) {
            continue;
        }
        if r.nodes
            .iter()
            .any(|n| reads(&from, Some(&n.name), l) && reads(&from, Some(&n.name), m.new))
        {
            delete(
                &r.path,
                format!("the check `{}`", r.name),
                &mut change,
                &mut gone,
            );
            // Its Forward test file, named after it.
            let test = format!("tests/{}.yaml", r.name);
            if p.tests.iter().any(|t| t.file.path == test) {
                delete(&test, format!("its test {test}"), &mut change, &mut gone);
            }
        }
    }
    for (ti, t) in p.tests.iter_enumerated() {
        let from = Source::Test(ti);
        let comparing: Vec<usize> = t
            .file
            .cases
            .iter()
            .enumerate()
            .filter(|(_, c)| reads(&from, Some(&c.name), l))
            .map(|(i, _)| i)
            .collect();
        if comparing.is_empty() {
            continue;
        }
        if comparing.len() == t.file.cases.len() {
            delete(
                &t.file.path,
                format!("the test file {}", t.file.path),
                &mut change,
                &mut gone,
            );
            continue;
        }
        // Only some cases: remove those, from their `- name` line to the next case.
        let text = ws.text(&t.file.path)?;
        for &ci in &comparing {
            let c = &t.file.cases[ci];
            let start = whole_line_at(&text, c.name_range.start).start;
            let end = t.file.cases.get(ci + 1).map_or(text.len(), |n| {
                whole_line_at(&text, n.name_range.start).start
            });
            change.edit.push(FileEdit {
                path: t.file.path.clone(),
                range: TextRange::new(start, end),
                new_text: String::new(),
                replaces: None,
            });
            gone.push(format!("the test `{}` in {}", c.name, t.file.path));
        }
    }
    // N's marker naming L.
    let n_res = &p.resources[m.new];
    if let Some((_, range)) = &p.files[n_res.file].replaces {
        let text = ws.text(&n_res.path)?;
        change.edit.push(FileEdit {
            path: n_res.path.to_string(),
            range: whole_line_at(&text, range.start),
            new_text: String::new(),
            replaces: None,
        });
    }
    super::backfill::bump_past_custom_deployment(ws, &mut change);
    change.notes.push(format!("Removes {}.", gone.join(", ")));
    change.notes.push(format!(
        "The live pipe keeps its cutoff filter: it is harmless (every new row is after it). Deploy to drop `{l_name}` from the workspace."
    ));
    Ok(change)
}

#[cfg(test)]
mod step_tests {
    use crate::testing::{after, run_on};
    use crate::Request;

    fn finish() -> Request {
        Request::Finish {
            datasource: "sessions_1".into(),
        }
    }

    #[test]
    fn removes_the_legacy_side_once_nothing_reads_it() {
        let step2 = crate::repoint::step_tests::step2();
        let e = run_on(&step2, &finish()).unwrap_err();
        assert!(e.message.contains("still read by api"), "{}", e.message);
        let repoint = Request::Repoint {
            datasource: "sessions_1".into(),
        };
        let step3 = after(&step2, &run_on(&step2, &repoint).unwrap(), None);
        let change = run_on(&step3, &finish()).unwrap();
        let mut deleted = change.delete.clone();
        deleted.sort();
        assert_eq!(
            deleted,
            [
                "datasources/sessions.datasource",
                "pipes/sessions_1_backfill.pipe",
                "pipes/sessions_mv.pipe",
                "tests/sessions_1_backfill.yaml",
            ]
        );
        // The marker goes with the legacy target it names.
        let done = after(&step3, &change, None);
        assert!(!done.contains("tinybird-lsp: replaces"));
    }

    /// A second view into the legacy target, from a source nothing writes into the new one:
    /// finishing would stop it. Refused, naming it.
    #[test]
    fn refuses_while_another_writer_of_the_legacy_target_has_no_counterpart() {
        let step2 = crate::repoint::step_tests::step2();
        let repoint = Request::Repoint {
            datasource: "sessions_1".into(),
        };
        let step3 = after(&step2, &run_on(&step2, &repoint).unwrap(), None);
        let more = format!(
            "{step3}{}",
            "//- datasources/hits_archive.datasource\nSCHEMA >\n    `ts` DateTime,\n    `session_id` String,\n    `device` String\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"ts\"\n//- pipes/archive_mv.pipe\nNODE n\nSQL >\n    SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device, countState() AS hits\n    FROM hits_archive\n    GROUP BY date, session_id\nTYPE materialized\nDATASOURCE sessions\n"
        );
        let e = run_on(&more, &finish()).unwrap_err();
        assert!(
            e.message.contains("also written by `archive_mv.n`"),
            "{}",
            e.message
        );
    }
}
