//! Every file of ../shared/conformance against the official parsers' verdicts (the `.json`
//! beside it), in both dialects: same verdict, and our error on the line the official parser
//! names (or, for errors the official parser reports where a block *ends*, a related location
//! there).

mod common;

use common::*;
use serde_json::Value;
use syntax::reader;
use syntax::text::LineIndex;

/// Files whose official verdict depends on something outside the datafile layer. Each entry:
/// (file, dialect, reason).
const EXPECTED_DIFFERENCES: &[(&str, &str, &str)] = &[
    ("e01_unknown_kw.pipe", "classic", "a ClickHouse grammar error in the SQL; the SQL layer reports only lexical and bracket errors, the ones ClickHouse is sure to report"),
    ("e01_unknown_kw.pipe", "forward", "a ClickHouse grammar error in the SQL; the SQL layer reports only lexical and bracket errors, the ones ClickHouse is sure to report"),
    ("e08_indented_type.pipe", "classic", "a ClickHouse grammar error in the SQL; the SQL layer reports only lexical and bracket errors, the ones ClickHouse is sure to report"),
    ("e08_indented_type.pipe", "forward", "a ClickHouse grammar error in the SQL; the SQL layer reports only lexical and bracket errors, the ones ClickHouse is sure to report"),
    ("e45_bad_sql.pipe", "classic", "a ClickHouse grammar error in the SQL; the SQL layer reports only lexical and bracket errors, the ones ClickHouse is sure to report"),
    ("e45_bad_sql.pipe", "forward", "a ClickHouse grammar error in the SQL; the SQL layer reports only lexical and bracket errors, the ones ClickHouse is sure to report"),
    ("e78_sql_single_token.pipe", "classic", "`SQL SELECT1` is accepted by the datafile layer; ClickHouse rejects the SQL (SQL layer)"),
    ("e63_s3.connection", "forward", "a secret without default fails only when it is missing from .env.local and the workspace: we warn, as it depends on the environment"),
];

fn official_line(v: &Value, dialect: &str) -> Option<usize> {
    let err = &v["error"];
    if let Some(l) = err["lineno"].as_u64() {
        // Classic line numbers are 0-based, Forward's 1-based.
        return Some(if dialect == "classic" {
            l as usize + 1
        } else {
            l as usize
        });
    }
    if dialect != "classic" {
        return None;
    }
    // "** error parsing <file>:<l0> ..."
    let msg = err["message"].as_str()?;
    let after = msg.split("error parsing ").nth(1)?;
    let colon = after.find(':')?;
    let digits: String = after[colon + 1..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse::<usize>().ok().map(|l| l + 1)
}

fn read_opts<'a>(
    path: &'a std::path::Path,
    dialect: syntax::Dialect,
    base: &'a str,
    loader: &'a dyn Fn(&str) -> Option<String>,
) -> reader::ReadOptions<'a> {
    let kind = syntax::FileKind::detect(
        &path.to_string_lossy(),
        &std::fs::read_to_string(path).unwrap(),
    )
    .unwrap();
    reader::ReadOptions {
        dialect,
        kind,
        base_dir: base,
        loader: Some(loader),
    }
}

/// Expanded line ranges (after INCLUDE), as the official parser numbers lines.
fn read_lines(
    text: &str,
    path: &std::path::Path,
    dialect: syntax::Dialect,
) -> Vec<syntax::text::TextRange> {
    let base = path.parent().unwrap().to_string_lossy().to_string();
    let loader = |p: &str| std::fs::read_to_string(p).ok();
    reader::read(text, &read_opts(path, dialect, &base, &loader))
        .lines
        .iter()
        .map(|l| l.range)
        .collect()
}

/// (first line, last line, line that closed it) of every statement, 1-based physical lines.
fn statement_spans(
    text: &str,
    path: &std::path::Path,
    dialect: syntax::Dialect,
    index: &LineIndex,
) -> Vec<(usize, usize, Option<usize>)> {
    let base = path.parent().unwrap().to_string_lossy().to_string();
    let loader = |p: &str| std::fs::read_to_string(p).ok();
    let r = reader::read(text, &read_opts(path, dialect, &base, &loader));
    let ln = |i: usize| index.line_of(r.lines[i].range.start) + 1;
    r.statements
        .iter()
        .map(|s| match s {
            reader::Statement::Command { line, .. } => (ln(*line), ln(*line), None),
            reader::Statement::Block {
                line,
                body,
                closed_by,
                ..
            } => (
                ln(*line),
                body.iter().map(|b| ln(*b)).max().unwrap_or(ln(*line)),
                closed_by.map(ln),
            ),
        })
        .collect()
}

#[test]
fn conformance_files_agree_with_the_official_parsers() {
    let dir = shared().join("conformance");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    for sub in ["proj/datasources", "proj/pipes"] {
        files.extend(
            std::fs::read_dir(dir.join(sub))
                .unwrap()
                .flatten()
                .map(|e| e.path()),
        );
    }
    files.sort();
    let mut failures = Vec::new();
    let mut checked = 0;
    for path in files {
        let name = path.to_string_lossy().to_string();
        let json_path = format!("{name}.json");
        if !std::path::Path::new(&json_path).exists() {
            continue;
        }
        let verdicts: Value =
            serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
        let rel = name
            .trim_start_matches(&format!("{}/", dir.display()))
            .to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let index = LineIndex::new(&text);
        for (dialect, dname) in dialects() {
            if !official_reads(&path, dialect) {
                continue;
            }
            let official = &verdicts[dname];
            let official_ok = official["ok"].as_bool().unwrap();
            let parsed = parse_file(&path, dialect).expect("a datafile");
            let errs = errors(&parsed.diagnostics);
            let expected_diff = EXPECTED_DIFFERENCES
                .iter()
                .any(|(f, d, _)| *f == rel && *d == dname);
            checked += 1;
            let agree = official_ok == errs.is_empty();
            if expected_diff {
                if agree {
                    failures.push(format!("{rel} [{dname}]: listed as an expected difference but now agrees: remove it from the list"));
                }
                continue;
            }
            if !agree {
                failures.push(format!(
                    "{rel} [{dname}]: official {} , ours {:?}",
                    if official_ok {
                        "accepts".to_string()
                    } else {
                        format!("rejects: {}", official["error"]["message"])
                    },
                    errs.iter()
                        .map(|d| (&d.code, &d.message))
                        .collect::<Vec<_>>()
                ));
                continue;
            }
            if let (false, Some(line)) = (official_ok, official_line(official, dname)) {
                let spans = statement_spans(&text, &path, dialect, &index);
                // Official line numbers count the expanded buffer (after INCLUDE splicing).
                let read = read_lines(&text, &path, dialect);
                let line = read
                    .get(line - 1)
                    .map_or(line, |r| index.line_of(r.start) + 1);
                let last_line = index.line_of(text.trim_end().len()) + 1;
                let near = |r: syntax::text::TextRange| {
                    let e = index.line_of(r.start) + 1;
                    e == line
                        || spans.iter().any(|s| {
                            (s.0..=s.1).contains(&e)
                                && ((s.0..=s.1).contains(&line)
                                    || s.2 == Some(line)
                                    || (s.2.is_none() && line > last_line))
                        })
                };
                let hit = errs.iter().any(|d| {
                    near(d.range) || d.related.iter().any(|r| r.path.is_none() && near(r.range))
                });
                if !hit {
                    failures.push(format!(
                        "{rel} [{dname}]: official error on line {line}, ours on {:?}",
                        errs.iter()
                            .map(|d| (index.line_of(d.range.start) + 1, d.code))
                            .collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
    assert!(checked > 150, "only {checked} verdicts checked");
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Forward sink settings, each shape the official parser decides on (a Kafka sink with an
/// S3-only setting or without its schedule, an S3 sink without its file template, no
/// destination, an unknown kind, both kinds, a correct one): our verdict is the official one.
#[test]
fn forward_sink_settings_agree_with_the_official_parser() {
    let base = "NODE n\nSQL >\n    SELECT 1 AS x\n\nTYPE sink\nEXPORT_CONNECTION_NAME k\n";
    let shapes = [
        "EXPORT_KAFKA_TOPIC t\nEXPORT_SCHEDULE @on-demand\nEXPORT_FORMAT json\n",
        "EXPORT_KAFKA_TOPIC t\n",
        "EXPORT_BUCKET_URI s3://b/p\nEXPORT_SCHEDULE @on-demand\n",
        "EXPORT_SCHEDULE @on-demand\n",
        "EXPORT_FORMAT csv\nEXPORT_SCHEDULE @on-demand\n",
        "EXPORT_KAFKA_TOPIC t\nEXPORT_SCHEDULE @on-demand\n",
        "EXPORT_KAFKA_TOPIC t\nEXPORT_BUCKET_URI s3://b/p\nEXPORT_SCHEDULE @on-demand\n",
        "EXPORT_SERVICE kafka\nEXPORT_KAFKA_TOPIC t\nEXPORT_SCHEDULE @on-demand\n",
        "EXPORT_BUCKET_URI s3://b/p\nEXPORT_FILE_TEMPLATE f\nEXPORT_SCHEDULE @on-demand\nEXPORT_COMPRESSION gzip\nEXPORT_WRITE_STRATEGY new\n",
    ];
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<String> = shapes
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let p = dir.path().join(format!("s{i}.pipe"));
            std::fs::write(&p, format!("{base}{s}")).unwrap();
            p.to_string_lossy().into_owned()
        })
        .collect();
    let verdicts = tb_oracle(&paths, "forward");
    let mut rejected = 0;
    for (path, v) in paths.iter().zip(&verdicts) {
        let official_ok = v["forward"]["ok"].as_bool().unwrap();
        rejected += usize::from(!official_ok);
        let ours = parse_file(std::path::Path::new(path), syntax::Dialect::Forward).unwrap();
        let errs = errors(&ours.diagnostics);
        assert_eq!(
            official_ok,
            errs.is_empty(),
            "{}: official {v}, ours {errs:?}",
            std::fs::read_to_string(path).unwrap()
        );
    }
    assert!(rejected >= 5, "the shapes must include rejected ones");
}
