//! `migration-unrepointed-dependent`: once a migration is complete (a live side and a backfill
//! write the new target), an endpoint, pipe, copy, sink or test still reads the legacy target.
//! It keeps serving the old columns and goes stale when the legacy pipeline is removed.

use super::{push, Ctx};
use crate::migration::{qualified_columns, requote};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::{Edge, Source, Target};
use std::collections::BTreeMap;
use syntax::diagnostics::Severity::Warning;
use syntax::diagnostics::{Diagnostic, TextEdit};
use syntax::text::TextRange;

pub const RULE: Rule = Rule {
    name: "unrepointed_dependent",
    scope: Scope::Project,
    check: Check::Migration(check),
    codes: &[Code::new(
        "migration-unrepointed-dependent",
        Warning,
        "Dependents still reading the legacy target",
    )],
    examples: &[
        Example::reported("migration-unrepointed-dependent", migrated!()),
        Example::not_reported(
            "migration-unrepointed-dependent",
            concat!(
                migrated!(),
                r#"
        //- pipes/api.pipe
        NODE n
        SQL >
            SELECT date, countMerge(hits) AS hits FROM sessions_2 GROUP BY date
        "#
            ),
        ),
    ],
};

/// An included file and a range in it.
type Site<'a> = (&'a str, usize, usize);

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    let p = cx.p;
    for m in &cx.m.migrations {
        let Some(legacy) = m.legacy else { continue };
        let new_name = cx.ds(m.new);
        let message = |reader: &str| {
            format!(
                "{reader} still reads the legacy `{}`, which `{new_name}` replaces (its live side and backfill are in place): it does not see the new columns and goes stale when the legacy pipeline is removed. Read `{new_name}`.",
                cx.ds(legacy)
            )
        };
        let repoint = |path: Option<String>, range: TextRange| {
            (
                format!("Repoint to `{new_name}`"),
                vec![TextEdit {
                    path,
                    range,
                    new_text: new_name.to_string(),
                }],
            )
        };
        // References written in an included `.incl`, reported once where they are written,
        // with every file reading them through an INCLUDE.
        let mut in_includes: BTreeMap<Site, Vec<(String, &Edge)>> = BTreeMap::new();
        let dependents: Vec<&Edge> = super::legacy_dependents(cx, m).collect();
        for &e in &dependents {
            let reader = match e.from {
                Source::Resource(r) => format!("`{}`", p.resources[r].name),
                Source::Test(t) => {
                    format!(
                        "the test `{}`",
                        e.from_node.as_deref().unwrap_or(&p.tests[t].file.path)
                    )
                }
            };
            if let (false, Some(site)) = (e.written_here, &e.included) {
                in_includes
                    .entry((&site.path, site.range.start, site.range.end))
                    .or_default()
                    .push((reader, e));
                continue;
            }
            let d =
                Diagnostic::warning("migration-unrepointed-dependent", e.range, message(&reader))
                    .with_related(
                        Some(p.resources[m.new].path.to_string()),
                        TextRange::empty(0),
                        "the new target",
                    );
            // A reference that maps to an INCLUDE line without a known site (a `$VAR` of the
            // INCLUDE changed its line): an edit there would write over text it never read.
            let d = if e.written_here {
                // The whole node at once: every reference to the legacy target written here,
                // and the columns it qualifies (`legacy.col`), so that the SQL stays valid.
                let mut edits: Vec<TextEdit> = dependents
                    .iter()
                    .filter(|o| {
                        o.from == e.from
                            && o.from_node == e.from_node
                            && o.written_here
                            && o.path == e.path
                    })
                    .map(|o| TextEdit {
                        path: None,
                        range: o.range,
                        new_text: new_name.to_string(),
                    })
                    .collect();
                for q in qualified_columns(p, &e.from, e.from_node.as_deref(), cx.ds(legacy)) {
                    if let Some(range) = q.range.filter(|_| *q.path == *e.path) {
                        edits.push(TextEdit {
                            path: None,
                            range,
                            new_text: requote(&q.written, new_name),
                        });
                    }
                }
                edits.sort_by_key(|t| t.range.start);
                edits.dedup();
                d.with_fix(format!("Repoint to `{new_name}`"), edits)
            } else {
                Diagnostic {
                    message: format!(
                        "{} The reference is in a file this one INCLUDEs: repoint it there.",
                        d.message
                    ),
                    ..d
                }
            };
            push(out, &e.path, d);
        }
        for ((path, start, end), mut readers) in in_includes {
            readers.sort_by(|a, b| a.0.cmp(&b.0));
            readers.dedup_by(|a, b| a.0 == b.0);
            let range = TextRange::new(start, end);
            let names: Vec<&str> = readers.iter().map(|(r, _)| r.as_str()).collect();
            let mut d = Diagnostic::warning(
                "migration-unrepointed-dependent",
                range,
                format!(
                    "This included file reads the legacy `{}` for {}, and `{new_name}` replaces it (its live side and backfill are in place): what reads it here does not see the new columns and goes stale when the legacy pipeline is removed. Read `{new_name}`.",
                    cx.ds(legacy),
                    names.join(", ")
                ),
            )
            .with_related(
                Some(p.resources[m.new].path.to_string()),
                TextRange::empty(0),
                "the new target",
            );
            for (reader, e) in &readers {
                d = d.with_related(
                    Some(e.path.to_string()),
                    e.range,
                    format!("included by {reader}"),
                );
            }
            // The included name is edited only when every file reading it through that
            // include is a dependent to repoint (not one of the migration's own pipes).
            let all_readers = p
                .edges
                .iter()
                .filter(|e| {
                    e.target == Target::Resource(legacy)
                        && e.included
                            .as_ref()
                            .is_some_and(|s| &*s.path == path && s.range == range)
                })
                .count();
            let d = if all_readers == readers.len() {
                let (title, edits) = repoint(None, range);
                d.with_fix(title, edits)
            } else {
                Diagnostic {
                    message: format!(
                        "{} The migration's own pipes read it through this file too: give the dependents their own copy before repointing.",
                        d.message
                    ),
                    ..d
                }
            };
            push(out, path, d);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::Fixture;

    /// The fix repoints the whole node: each reference and every column the legacy name
    /// qualifies, so the query stays valid (no `sessions.date` once `FROM sessions` is gone).
    #[test]
    fn the_fix_requalifies_columns_named_after_the_legacy_target() {
        let fixture = concat!(
            migrated!(),
            r#"
        //- pipes/api.pipe
        NODE n
        SQL >
            SELECT sessions.date, countMerge(`sessions`.hits) AS hits FROM sessions GROUP BY sessions.date
        "#
        );
        let f = Fixture::parse(fixture);
        let a = f.analyze();
        let d = a.diagnostics["pipes/api.pipe"]
            .iter()
            .find(|d| d.code == "migration-unrepointed-dependent")
            .expect("reported");
        let text = f.text("pipes/api.pipe").unwrap();
        let mut edits: Vec<(syntax::text::TextRange, String)> = d.fixes[0]
            .edits
            .iter()
            .map(|e| (e.range, e.new_text.clone()))
            .collect();
        edits.sort_by_key(|e| std::cmp::Reverse(e.0.start));
        let mut out = text.to_string();
        for (r, t) in edits {
            out.replace_range(r.start..r.end, &t);
        }
        assert!(
            out.contains("SELECT sessions_2.date, countMerge(`sessions_2`.hits) AS hits FROM sessions_2 GROUP BY sessions_2.date"),
            "{out}"
        );
    }
}
