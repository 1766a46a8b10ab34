//! Rename on real projects (../shared/corpus and corpus-extra, read in place): every word of
//! every datafile is located; of the renameable symbols (datasources and pipes, nodes,
//! columns, CTEs), a sample per kind and project (`RENAME_SAMPLE`, default 3; set it high to
//! rename everything) is renamed to `<old>_rn` and applied. Each rename must edit every
//! reference the editor shows (except FORWARD_QUERY reads, which name the deployed columns),
//! add no error or warning `check` did not give, keep every edited datafile the official
//! parser accepted (VERDICTS.jsonl) accepted, and, for columns and CTEs, give the same rows on
//! ClickHouse (chdb: every node without templates, on the same generated data; RENAME_CHDB=0
//! skips that part).

#[path = "support/chdb_project.rs"]
mod chdb_project;
mod common;
#[path = "support/rename_check.rs"]
mod rename_check;

use common::shared;
use ide::{Located, Symbol};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// A renameable symbol found in a project: where a word naming it is.
struct Found {
    kind: &'static str,
    path: String,
    located: Located,
}

fn kind_of(s: &Symbol) -> Option<&'static str> {
    match s {
        Symbol::Resource(_) => Some("resource"),
        Symbol::Node(_) => Some("node"),
        Symbol::Column(..) => Some("column"),
        Symbol::Cte(..) => Some("cte"),
        _ => None,
    }
}

/// One renameable word per symbol, in file and text order.
fn renameable(w: &rename_check::Written, texts: &BTreeMap<String, String>) -> Vec<Found> {
    let p = &w.analysis.project;
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for (path, text) in texts {
        if !(path.ends_with(".pipe") || path.ends_with(".datasource") || path.ends_with(".incl")) {
            continue;
        }
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            if !(c.is_ascii_alphabetic() || c == b'_') {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            if start > 0 && (bytes[start - 1].is_ascii_digit()) {
                continue;
            }
            let Some(l) = ide::locate::locate(p, path, text, start) else {
                continue;
            };
            let Some(kind) = kind_of(&l.symbol) else {
                continue;
            };
            if seen.insert(format!("{:?}", l.symbol)) {
                out.push(Found {
                    kind,
                    path: path.clone(),
                    located: l,
                });
            }
        }
    }
    out
}

/// Whether a site lies in its datasource's FORWARD_QUERY.
fn in_forward_query(p: &project::model::Project, site: &ide::Site) -> bool {
    let Some(fi) = p.file_id(&site.path) else {
        return false;
    };
    let Some(fq) = &p.files[fi].datafile.forward_query else {
        return false;
    };
    let whole = fq
        .text
        .range_to_file(syntax::text::TextRange::new(0, fq.text.text.len()));
    whole.start <= site.range.start && site.range.end <= whole.end
}

/// The official verdicts of a corpus: path relative to the corpus → (classic ok, forward ok).
fn verdicts(corpus: &Path) -> HashMap<String, (bool, bool)> {
    let text = std::fs::read_to_string(corpus.join("VERDICTS.jsonl")).unwrap();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| {
            (
                v["file"].as_str().unwrap_or("").to_string(),
                (
                    v["classic"]["ok"].as_bool().unwrap_or(false),
                    v["forward"]["ok"].as_bool().unwrap_or(false),
                ),
            )
        })
        .collect()
}

/// An edited datafile to hand to the official parser once per corpus.
struct ToParse {
    abs: String,
    cli: &'static str,
    was_ok: bool,
    what: String,
}

#[test]
fn renames_on_real_projects_keep_them_working() {
    let sample: usize = std::env::var("RENAME_SAMPLE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    // RENAME_ONLY=<text>: only the renames whose description holds it, with their edits shown.
    let only = std::env::var("RENAME_ONLY").ok();
    // RENAME_CHDB=0: skip the ClickHouse comparison (an exhaustive run is hours with it).
    let on_clickhouse = std::env::var("RENAME_CHDB").map_or(true, |v| v != "0");
    let mut failures: Vec<String> = Vec::new();
    let mut applied = 0;
    let mut kept_dirs = Vec::new();
    let mut to_parse: Vec<ToParse> = Vec::new();
    let mut same = rename_check::SameRows::default();
    for corpus_name in ["corpus", "corpus-extra"] {
        let corpus = shared().join(corpus_name);
        let verdicts = verdicts(&corpus);
        let all = disk::walk(&corpus);
        let roots = disk::project_roots(&corpus, &all);
        for root in &roots {
            let nested = disk::nested_in(&roots, root);
            let files = if root.is_empty() {
                all.clone()
            } else {
                disk::below(&all, root)
            };
            let mut texts: BTreeMap<String, String> = BTreeMap::new();
            for rel in files {
                if nested.iter().any(|n| rel.starts_with(&format!("{n}/")))
                    || !analysis::db::ProjectDb::is_relevant(&rel)
                {
                    continue;
                }
                if let Ok(t) = std::fs::read_to_string(corpus.join(root).join(&rel)) {
                    texts.insert(rel, t);
                }
            }
            if !texts
                .keys()
                .any(|p| p.ends_with(".pipe") || p.ends_with(".datasource"))
            {
                continue;
            }
            let before = rename_check::write(&texts);
            let before_counts = before.counts();
            let cli = match before.analysis.project.dialect {
                syntax::Dialect::Forward => "forward",
                _ => "classic",
            };
            let found = renameable(&before, &texts);
            let mut chosen: Vec<&Found> = Vec::new();
            for kind in ["resource", "node", "column", "cte"] {
                let of: Vec<&Found> = found.iter().filter(|f| f.kind == kind).collect();
                let n = of.len().min(sample);
                chosen.extend((0..n).map(|k| of[k * of.len() / n]));
            }
            let p = &before.analysis.project;
            let root_path = before.root();
            for f in chosen {
                let Ok((_, old)) = ide::rename::prepare(p, &f.located) else {
                    continue;
                };
                let new = format!("{old}_rn");
                let what = format!(
                    "{corpus_name}/{root}: {} `{old}` (from {}:{})",
                    f.kind, f.path, f.located.range.start
                );
                if only.as_deref().is_some_and(|o| !what.contains(o)) {
                    continue;
                }
                let Ok(change) = ide::rename::rename(p, &f.path, &f.located, &new) else {
                    continue;
                };
                if only.is_some() {
                    for (ep, r, t) in &change.edits {
                        let rel = before.relative(ep);
                        let old_text = texts.get(&rel).and_then(|x| x.get(r.start..r.end));
                        eprintln!("{what}: {rel}:{}..{} {old_text:?} -> {t:?}", r.start, r.end);
                    }
                }
                applied += 1;
                // Every reference the editor shows is under an edit.
                for (site, _) in ide::navigation::references(p, &f.path, &f.located) {
                    let rel = before.relative(&site.path);
                    let covered = change.edits.iter().any(|(ep, r, _)| {
                        before.relative(ep) == rel
                            && r.start <= site.range.start
                            && site.range.end <= r.end
                    });
                    if !covered && !in_forward_query(p, &site) {
                        failures.push(format!(
                            "{what}: the reference at {rel}:{} is not renamed",
                            site.range.start
                        ));
                    }
                }
                let (after_texts, edited) = match rename_check::apply(&root_path, &texts, &change) {
                    Ok(x) => x,
                    Err(e) => {
                        failures.push(format!("{what}: {e}"));
                        continue;
                    }
                };
                let after = rename_check::write(&after_texts);
                if on_clickhouse && matches!(f.kind, "column" | "cte") {
                    same.add(what.clone(), p, &after.analysis.project, &edited);
                }
                for (code, n) in &after.counts() {
                    let had = before_counts.get(code).copied().unwrap_or(0);
                    if had < *n {
                        failures.push(format!("{what}: adds {code} ({had} → {n})"));
                        if only.is_some() {
                            for (file, ds) in &after.analysis.diagnostics {
                                for d in ds.iter().filter(|d| d.code == code.as_str()) {
                                    eprintln!("  after: {file}:{}: {}", d.range.start, d.message);
                                }
                            }
                        }
                    }
                }
                for rel in rename_check::datafiles_to_parse(&after_texts, &edited) {
                    // The file as it was (under its old name when the rename moved it).
                    let old_rel = change
                        .file_renames
                        .iter()
                        .find(|(_, to)| rename_check::relative_to(&root_path, to) == rel)
                        .map_or(rel.clone(), |(from, _)| {
                            rename_check::relative_to(&root_path, from)
                        });
                    let key = if root.is_empty() {
                        old_rel
                    } else {
                        format!("{root}/{old_rel}")
                    };
                    let Some(&(classic, forward)) = verdicts.get(&key) else {
                        continue;
                    };
                    let was_ok = if cli == "forward" { forward } else { classic };
                    to_parse.push(ToParse {
                        abs: after.dir.path().join(&rel).to_string_lossy().to_string(),
                        cli,
                        was_ok,
                        what: format!("{what}: {rel}"),
                    });
                }
                kept_dirs.push(after.dir);
            }
        }
    }
    for cli in ["classic", "forward"] {
        let paths: Vec<String> = to_parse
            .iter()
            .filter(|t| t.cli == cli && t.was_ok)
            .map(|t| t.abs.clone())
            .collect();
        let now = rename_check::official_ok(&paths, cli);
        for t in to_parse.iter().filter(|t| t.cli == cli && t.was_ok) {
            if !now[&t.abs] {
                failures.push(format!(
                    "{}: the official parser rejects it after the rename",
                    t.what
                ));
            }
        }
    }
    drop(kept_dirs);
    let (compared, differences) = same.check();
    eprintln!("{compared} non-empty node results compared on ClickHouse");
    failures.extend(differences);
    eprintln!("{applied} renames applied");
    assert!(
        only.is_some() || applied >= 100,
        "only {applied} renames applied"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
