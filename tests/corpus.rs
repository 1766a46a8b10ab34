//! Every datafile of ../shared/corpus against VERDICTS.jsonl, in the dialect we detect for its
//! project: no error where the official parser accepts, an error where it rejects at the
//! datafile level, and the same node names, node types and schema columns as the official doc.

mod common;

use common::*;
use disk::walk;
use project::detect_dialect;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use syntax::Dialect;

/// Files the official parser rejects for reasons outside the datafile layer: (file, reason).
const EXPECTED_DIFFERENCES: &[(&str, &str)] = &[];

/// The project root of a corpus file: the folder holding datasources/, pipes/ or .tinyenv.
fn project_root(corpus: &Path, file: &Path) -> PathBuf {
    let mut dir = file.parent().unwrap();
    loop {
        if [
            "datasources",
            "pipes",
            "endpoints",
            ".tinyenv",
            "tinybird.json",
        ]
        .iter()
        .any(|m| dir.join(m).exists())
        {
            return dir.to_path_buf();
        }
        match dir.parent() {
            Some(p) if p.starts_with(corpus) && p != corpus => dir = p,
            _ => return file.parent().unwrap().to_path_buf(),
        }
    }
}

fn dialect_of(root: &Path) -> Dialect {
    let paths = walk(root);
    let texts: Vec<(String, String)> = paths
        .iter()
        .filter(|p| project::is_datafile(p))
        .map(|p| {
            (
                p.clone(),
                std::fs::read_to_string(root.join(p)).unwrap_or_default(),
            )
        })
        .collect();
    detect_dialect(&paths, texts.iter().map(|(p, t)| (p.as_str(), t.as_str()))).dialect
}

#[test]
fn corpus_files_agree_with_the_official_parsers() {
    agree_with_the_official_parsers("corpus", 380);
}

#[test]
fn corpus_extra_files_agree_with_the_official_parsers() {
    agree_with_the_official_parsers("corpus-extra", 800);
}

fn agree_with_the_official_parsers(corpus_name: &str, at_least: usize) {
    let corpus = shared().join(corpus_name);
    let verdicts = std::fs::read_to_string(corpus.join("VERDICTS.jsonl")).unwrap();
    let mut dialects: BTreeMap<PathBuf, Dialect> = BTreeMap::new();
    let mut failures = Vec::new();
    let (mut checked, mut rejected) = (0, 0);
    for line in verdicts.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let file = v["file"].as_str().unwrap();
        let path = corpus.join(file);
        let root = project_root(&corpus, &path);
        let dialect = *dialects
            .entry(root.clone())
            .or_insert_with(|| dialect_of(&root));
        if !official_reads(&path, dialect) {
            continue;
        }
        let dname = dialect.name();
        let official = &v[dname];
        let official_ok = official["ok"].as_bool().unwrap();
        let parsed = parse_file(&path, dialect).unwrap();
        let errs = errors(&parsed.diagnostics);
        checked += 1;
        if EXPECTED_DIFFERENCES
            .iter()
            .any(|(f, _)| *f == format!("{corpus_name}/{file}"))
        {
            continue;
        }
        if official_ok != errs.is_empty() {
            failures.push(format!(
                "{file} [{dname}]: official {}, ours {:?}",
                if official_ok {
                    "accepts".into()
                } else {
                    format!("rejects: {}", official["error"]["message"])
                },
                errs.iter()
                    .map(|d| (d.code, &d.message))
                    .collect::<Vec<_>>()
            ));
            continue;
        }
        if !official_ok {
            rejected += 1;
            continue;
        }
        // Same nodes, types and columns as the official doc.
        let doc_nodes = official["doc"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let ours = &parsed.datafile.nodes;
        let names = |n: &[Value]| {
            n.iter()
                .map(|x| x["name"].as_str().unwrap_or("").to_string())
                .collect::<Vec<_>>()
        };
        let our_names: Vec<String> = ours.iter().map(|n| n.name.clone()).collect();
        if names(&doc_nodes) != our_names {
            failures.push(format!(
                "{file} [{dname}]: nodes {:?} vs ours {our_names:?}",
                names(&doc_nodes)
            ));
            continue;
        }
        for (d, o) in doc_nodes.iter().zip(ours) {
            let dt = d["type"].as_str().map(str::to_string);
            let ot = o.type_value.as_ref().map(|v| v.text.clone());
            if dt != ot {
                failures.push(format!(
                    "{file} [{dname}] node {}: type {dt:?} vs ours {ot:?}",
                    o.name
                ));
            }
            let dcols: Vec<(String, String)> = d["columns"]
                .as_array()
                .map(|cs| {
                    cs.iter()
                        .map(|c| {
                            (
                                c["name"].as_str().unwrap().to_string(),
                                c["type"].as_str().unwrap_or("").to_string(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let ocols: Vec<(String, String)> = o
                .schema
                .as_ref()
                .map(|s| {
                    s.columns
                        .iter()
                        .map(|c| (c.name.clone(), c.ty.clone()))
                        .collect()
                })
                .unwrap_or_default();
            if dcols != ocols {
                failures.push(format!(
                    "{file} [{dname}] node {}: columns\n  official {dcols:?}\n  ours     {ocols:?}",
                    o.name
                ));
            }
        }
    }
    assert!(checked > at_least, "only {checked} corpus files checked");
    assert!(rejected > 0, "no rejected file was checked");
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every datafile also in the dialect we do not detect for its project (a project moving from
/// Classic to Forward, or a file written for the other CLI): the same verdict as the official
/// parser of that dialect, so that forcing `--dialect` is as exact as detecting it.
#[test]
fn corpus_files_agree_in_the_other_dialect_too() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for corpus_name in ["corpus", "corpus-extra"] {
        let corpus = shared().join(corpus_name);
        let verdicts = std::fs::read_to_string(corpus.join("VERDICTS.jsonl")).unwrap();
        let mut dialects: BTreeMap<PathBuf, Dialect> = BTreeMap::new();
        for line in verdicts.lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            let file = v["file"].as_str().unwrap();
            let path = corpus.join(file);
            let root = project_root(&corpus, &path);
            let detected = *dialects
                .entry(root.clone())
                .or_insert_with(|| dialect_of(&root));
            let dialect = match detected {
                Dialect::Classic => Dialect::Forward,
                Dialect::Forward => Dialect::Classic,
            };
            if !official_reads(&path, dialect) {
                continue;
            }
            let official = &v[dialect.name()];
            let Some(official_ok) = official["ok"].as_bool() else {
                continue;
            };
            let parsed = parse_file(&path, dialect).unwrap();
            let errs = errors(&parsed.diagnostics);
            checked += 1;
            if official_ok != errs.is_empty() {
                failures.push(format!(
                    "{corpus_name}/{file} [{}]: official {}, ours {:?}",
                    dialect.name(),
                    if official_ok {
                        "accepts".into()
                    } else {
                        format!("rejects: {}", official["error"]["message"])
                    },
                    errs.iter()
                        .map(|d| (d.code, &d.message))
                        .collect::<Vec<_>>()
                ));
            }
        }
    }
    assert!(checked > 1000, "{checked}");
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
