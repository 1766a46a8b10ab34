//! The deploy plan and its rules on every real project of ../shared/corpus and corpus-extra:
//! each datasource changed the ways deploys change them (a String column made
//! LowCardinality, the first column dropped, the sorting key reversed, a TTL added), one change
//! at a time, against the project as it is (the base), in both dialects. What must hold on
//! every real shape:
//! - nothing panics, and the changed datasource is in the plan as changed;
//! - every diagnostic of a deploy rule lies inside its file, on character boundaries;
//! - every fix of one, applied, takes it away and makes no new error in the file;
//! - every file a fix writes is accepted by the official parser of its dialect.

mod common;

use analysis::db::ProjectDb;
use analysis::deploy::{Base, ChangeKind};
use analysis::registry::{Check, RULES};
use common::shared;
use std::collections::BTreeSet;
use std::sync::Arc;
use syntax::diagnostics::Severity;
use syntax::model::Datafile;
use syntax::Dialect;

/// The codes of the rules that need a base.
fn deploy_codes() -> BTreeSet<&'static str> {
    RULES
        .iter()
        .filter(|r| matches!(r.check, Check::Deploy(_)))
        .flat_map(|r| r.codes.iter().map(|c| c.name))
        .collect()
}

/// The changes made to a datasource's text (name, new text); none that does not apply.
fn mutations(df: &Datafile, text: &str) -> Vec<(&'static str, String)> {
    let mut out = vec![];
    let Some(schema) = df.schema() else {
        return out;
    };
    let cols = &schema.columns;
    if let Some(c) = cols
        .iter()
        .find(|c| !c.nullable && text.get(c.type_range.start..c.type_range.end) == Some("String"))
    {
        let mut t = text.to_string();
        t.replace_range(
            c.type_range.start..c.type_range.end,
            "LowCardinality(String)",
        );
        out.push(("retype", t));
    }
    if cols.len() >= 2 {
        let mut t = text.to_string();
        t.replace_range(cols[0].range.start..cols[1].range.start, "");
        out.push(("drop", t));
    }
    if let Some(key) = df.engine().and_then(|e| e.param("sorting_key")) {
        let inner = key.text.trim_matches('"');
        let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
        if parts.len() >= 2 && text.get(key.range.start..key.range.end).is_some() {
            let reversed: Vec<&str> = parts.iter().rev().copied().collect();
            let written = &text[key.range.start..key.range.end];
            let new = if written.starts_with('"') {
                format!("\"{}\"", reversed.join(", "))
            } else {
                reversed.join(", ")
            };
            let mut t = text.to_string();
            t.replace_range(key.range.start..key.range.end, &new);
            out.push(("sorting-key", t));
        }
    }
    let has_ttl = df.engine().and_then(|e| e.param("ttl")).is_some();
    let time = cols.iter().find(|c| c.ty == "DateTime" && !c.nullable);
    if let (false, Some(c), true) = (has_ttl, time, df.engine().is_some()) {
        let sep = if text.ends_with('\n') { "" } else { "\n" };
        out.push((
            "ttl",
            format!("{text}{sep}ENGINE_TTL \"{} + toIntervalDay(30)\"\n", c.name),
        ));
    }
    out
}

fn errors_in(db: &ProjectDb, path: &str) -> usize {
    db.analysis()
        .and_then(|a| a.diagnostics.get(path))
        .map_or(0, |ds| {
            ds.iter().filter(|d| d.severity == Severity::Error).count()
        })
}

#[test]
fn deploy_rules_hold_on_every_real_project() {
    let codes = deploy_codes();
    let out_dir = tempfile::tempdir().unwrap();
    // (the file before the fix, the file after it, the dialect)
    let mut fixed_files: Vec<(String, String, Dialect)> = vec![];
    let mut problems: Vec<String> = vec![];
    // (dialect, change, code) → count, printed for review.
    let mut counts: std::collections::BTreeMap<(String, &str, &str), usize> = Default::default();
    let (mut changes, mut reported, mut fixes) = (0, 0, 0);
    for corpus in ["corpus", "corpus-extra"] {
        let top = shared().join(corpus);
        let all = disk::walk(&top);
        let roots = disk::project_roots(&top, &all);
        for r in &roots {
            let root = if r.is_empty() {
                top.clone()
            } else {
                top.join(r)
            };
            let exclude = disk::nested_in(&roots, r);
            let listing = if r.is_empty() {
                all.clone()
            } else {
                disk::below(&all, r)
            };
            for dialect in [Dialect::Classic, Dialect::Forward] {
                let Ok(mut db) = disk::load_project(&root, &listing, &exclude, Some(dialect))
                else {
                    continue;
                };
                db.analyze(&disk::disk_loader);
                let Some(a) = db.take_analysis() else {
                    continue;
                };
                let datasources: Vec<(String, Datafile)> = a
                    .project
                    .files
                    .iter()
                    .filter(|f| f.path.ends_with(".datasource"))
                    .filter(|f| {
                        a.diagnostics
                            .get(f.path.as_str())
                            .is_none_or(|ds| ds.iter().all(|d| d.severity != Severity::Error))
                    })
                    .map(|f| (f.path.to_string(), f.datafile.clone()))
                    .collect();
                let base = Arc::new(Base::from_analysis("base", a));
                db.set_base(Some(base));
                for (path, df) in datasources {
                    let Some(original) = db.text(&path) else {
                        continue;
                    };
                    for (what, text) in mutations(&df, &original) {
                        let place = format!("{corpus}/{r}/{path} ({what}, {dialect:?})");
                        db.set_file(&path, Arc::from(text.as_str()));
                        db.analyze(&disk::disk_loader);
                        if errors_in(&db, &path) > 0 {
                            // A change this project's reader rejects: nothing to plan.
                            db.set_file(&path, original.clone());
                            continue;
                        }
                        let a = db.analysis().unwrap();
                        let plan = a.plan.clone().unwrap();
                        changes += 1;
                        if !plan
                            .changes
                            .iter()
                            .any(|c| c.path == path && c.change == ChangeKind::Changed)
                        {
                            problems.push(format!("{place}: not in the plan as changed"));
                        }
                        let found: Vec<(String, syntax::diagnostics::Diagnostic)> = a
                            .diagnostics
                            .iter()
                            .flat_map(|(p, ds)| ds.iter().map(move |d| (p.clone(), d.clone())))
                            .filter(|(_, d)| codes.contains(d.code))
                            .collect();
                        for (file, d) in found {
                            reported += 1;
                            *counts
                                .entry((format!("{dialect:?}"), what, d.code))
                                .or_default() += 1;
                            let ftext = db.text(&file).unwrap_or_default();
                            let r = d.range;
                            if r.end > ftext.len()
                                || !ftext.is_char_boundary(r.start)
                                || !ftext.is_char_boundary(r.end)
                            {
                                problems
                                    .push(format!("{place}: {} at {r:?} outside {file}", d.code));
                                continue;
                            }
                            for fix in &d.fixes {
                                fixes += 1;
                                let mut fixed = ftext.to_string();
                                for e in &fix.edits {
                                    if e.path.is_some() || e.range.end > fixed.len() {
                                        problems.push(format!(
                                            "{place}: fix `{}` edits elsewhere",
                                            fix.title
                                        ));
                                        continue;
                                    }
                                    fixed.replace_range(e.range.start..e.range.end, &e.new_text);
                                }
                                let before = errors_in(&db, &file);
                                db.set_file(&file, Arc::from(fixed.as_str()));
                                db.analyze(&disk::disk_loader);
                                let after = db.analysis().unwrap();
                                let still = after.diagnostics.get(&file).is_some_and(|ds| {
                                    ds.iter()
                                        .any(|o| o.code == d.code && o.range.start == d.range.start)
                                });
                                if still {
                                    problems.push(format!(
                                        "{place}: fix `{}` leaves {}",
                                        fix.title, d.code
                                    ));
                                }
                                if errors_in(&db, &file) > before {
                                    problems.push(format!(
                                        "{place}: fix `{}` makes an error",
                                        fix.title
                                    ));
                                }
                                let name = |when: &str| {
                                    out_dir.path().join(format!(
                                        "{}-{when}-{}",
                                        fixed_files.len(),
                                        file.rsplit('/').next().unwrap_or("x")
                                    ))
                                };
                                let (was, now) = (name("before"), name("after"));
                                std::fs::write(&was, ftext.as_bytes()).unwrap();
                                std::fs::write(&now, &fixed).unwrap();
                                fixed_files.push((
                                    was.to_string_lossy().into_owned(),
                                    now.to_string_lossy().into_owned(),
                                    dialect,
                                ));
                                db.set_file(&file, Arc::from(ftext.as_ref()));
                            }
                        }
                        db.set_file(&path, original.clone());
                    }
                }
            }
        }
    }
    // A fix never turns a file the official parser accepts into one it rejects (some real
    // files are rejected already in the other dialect: not the fix's doing).
    let mut accepted_after = 0;
    for (dialect, cli) in [(Dialect::Classic, "classic"), (Dialect::Forward, "forward")] {
        let pairs: Vec<&(String, String, Dialect)> = fixed_files
            .iter()
            .filter(|(_, _, d)| *d == dialect)
            .collect();
        let before: Vec<String> = pairs.iter().map(|(b, _, _)| b.clone()).collect();
        let after: Vec<String> = pairs.iter().map(|(_, a, _)| a.clone()).collect();
        let verdicts = common::tb_oracle(&before, cli)
            .into_iter()
            .zip(common::tb_oracle(&after, cli));
        for (b, a) in verdicts {
            if b[cli]["ok"] != true {
                continue;
            }
            if a[cli]["ok"] == true {
                accepted_after += 1;
            } else {
                problems.push(format!(
                    "the official {cli} parser rejects a fixed file: {a}"
                ));
            }
        }
    }
    for ((dialect, what, code), n) in &counts {
        println!("{dialect:8} {what:12} {code:32} {n}");
    }
    println!("{changes} changes planned, {reported} deploy diagnostics, {fixes} fixes applied, {accepted_after} fixed files accepted by the official parser");
    assert!(
        changes > 100 && reported > 20 && fixes > 10 && accepted_after > 10,
        "{changes} changes, {reported} diagnostics, {fixes} fixes, {accepted_after} accepted: the corpus was not exercised"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
