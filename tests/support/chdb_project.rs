//! A Tinybird project in ClickHouse (chdb): its datasources as tables, its materialized nodes as
//! materialized views, copy nodes as INSERT … SELECT, quality tests as queries. Node and pipe
//! references are inlined as subqueries, as Tinybird does. For tests only.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::io::Write;
use std::process::{Command, Stdio};

use analysis::migration::columns;
use project::model::{EdgeKind, Project, ResourceId, ResourceKind, Source, Target};

pub fn chdb_python() -> String {
    std::env::var("CHDB_PYTHON").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/tinybird-lsp/venv/bin/python")
    })
}

/// One statement's outcome.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub ok: bool,
    pub error: String,
    pub rows: Vec<Vec<Value>>,
}

/// Runs a script of tests/support/ with chdb's Python: JSON in on stdin, JSON out.
pub fn run_script(script: &str, input: &Value) -> Value {
    let python = chdb_python();
    assert!(
        std::path::Path::new(&python).exists(),
        "chdb's Python is missing at {python}: run scripts/ensure-chdb (or set CHDB_PYTHON)"
    );
    let mut child = Command::new(&python)
        .arg(format!(
            "{}/tests/support/{script}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run chdb");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&serde_json::to_vec(input).unwrap())
        .unwrap();
    let out = child.wait_with_output().expect("chdb output");
    assert!(out.status.success(), "{script} failed");
    serde_json::from_slice(&out.stdout).expect("chdb JSON")
}

/// Runs statements in order in one chdb session: (sql, fetch rows).
pub fn run(statements: &[(String, bool)]) -> Vec<Outcome> {
    let input: Vec<Value> = statements
        .iter()
        .map(|(sql, fetch)| json!({"sql": sql, "fetch": fetch}))
        .collect();
    let v = run_script("chdb_session.py", &Value::Array(input));
    v.as_array()
        .into_iter()
        .flatten()
        .map(|o| Outcome {
            ok: o["ok"].as_bool().unwrap_or(false),
            error: o["error"].as_str().unwrap_or("").to_string(),
            rows: o["rows"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .map(|row| row.as_array().cloned().unwrap_or_default())
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

/// `CREATE TABLE` with the datasource's columns and types only (no keys to get wrong).
pub fn memory_table(p: &Project, ds: ResourceId) -> Option<String> {
    let cols = columns(p, ds);
    if cols.is_empty() {
        return None;
    }
    let df = &p.files[p.resources[ds].file].datafile;
    let mut defs: Vec<String> = cols
        .iter()
        .map(|c| {
            let ty = if c.nullable && !c.ty.starts_with("Nullable(") {
                format!("Nullable({})", c.ty)
            } else {
                c.ty.clone()
            };
            format!("`{}` {ty}", c.name)
        })
        .collect();
    for c in df.connector_columns() {
        if cols.iter().any(|d| d.name == *c) {
            continue;
        }
        defs.push(format!("`{c}` String"));
    }
    Some(format!(
        "CREATE TABLE `{}` ({}) ENGINE = Memory",
        p.resources[ds].name,
        defs.join(", ")
    ))
}

/// `CREATE TABLE` for a datasource with a SCHEMA.
pub fn create_table(p: &Project, ds: ResourceId) -> Option<String> {
    let r = &p.resources[ds];
    let cols = columns(p, ds);
    if cols.is_empty() {
        return None;
    }
    let df = &p.files[r.file].datafile;
    let engine = df.engine();
    let param = |k: &str| engine.and_then(|e| e.param(k)).map(|v| v.text.clone());
    let name = engine
        .and_then(|e| e.name.as_ref())
        .map_or("MergeTree".to_string(), |v| v.text.clone());
    let args = match name.as_str() {
        "ReplacingMergeTree" => param("ver").unwrap_or_default(),
        "CollapsingMergeTree" | "VersionedCollapsingMergeTree" => param("sign").unwrap_or_default(),
        "SummingMergeTree" => param("summing_columns")
            .map(|c| format!("({c})"))
            .unwrap_or_default(),
        _ => String::new(),
    };
    let defs: Vec<String> = cols
        .iter()
        .map(|c| {
            let mut d = format!("`{}` {}", c.name, c.ty);
            if let Some(v) = &c.default {
                d.push_str(&format!(" DEFAULT {}", v.text));
            }
            d
        })
        .collect();
    let mut sql = format!(
        "CREATE TABLE `{}` ({}) ENGINE = {name}({args})",
        r.name,
        defs.join(", ")
    );
    if !name.contains("MergeTree") {
        return Some(sql); // Null, Join, …: no keys
    }
    if let Some(k) = param("partition_key") {
        sql.push_str(&format!(" PARTITION BY {k}"));
    }
    sql.push_str(&format!(
        " ORDER BY {}",
        param("sorting_key")
            .map(|k| format!("({k})"))
            .unwrap_or_else(|| "tuple()".into())
    ));
    if let Some(t) = param("ttl") {
        sql.push_str(&format!(" TTL {t}"));
    }
    Some(sql)
}

/// A node's SQL with every node and pipe it reads inlined as a subquery (`None`: templated or
/// unreadable).
pub fn expand(p: &Project, pipe: ResourceId, node: usize, depth: usize) -> Option<String> {
    if depth > 16 {
        return None;
    }
    let n = &p.resources[pipe].nodes[node];
    let sql = n.sql.as_ref()?;
    if sql.templated {
        return None;
    }
    let mut text = n.sql_map.text.clone();
    let mut refs: Vec<_> = sql.tables.iter().collect();
    refs.sort_by_key(|t| std::cmp::Reverse(t.range.start));
    for t in refs {
        let inner = match p.resolve(&t.full_name(), Some(pipe)) {
            Target::Node(j) if j < node => expand(p, pipe, j, depth + 1)?,
            Target::Resource(r) if p.resources[r].kind == ResourceKind::Pipe => {
                let last = p.resources[r].nodes.len().checked_sub(1)?;
                expand(p, r, last, depth + 1)?
            }
            _ => continue,
        };
        text.replace_range(
            t.range.start..t.range.end,
            &format!("({inner}) AS `{}`", t.name),
        );
    }
    Some(text)
}

/// Like [`expand`], for rendering `rendering` of the node's template
/// ([`syntax::sql::renderings`]; the official one is 0); upstream nodes in their official
/// rendering. Plain SQL has one rendering.
pub fn expand_rendering(
    p: &Project,
    pipe: ResourceId,
    node: usize,
    rendering: usize,
    depth: usize,
) -> Option<String> {
    if depth > 16 {
        return None;
    }
    let n = &p.resources[pipe].nodes[node];
    let rendered = syntax::sql::renderings(&n.sql_map.text)
        .into_iter()
        .nth(rendering)?;
    let mut text = rendered.text;
    let analysis = syntax::sql::analyze(&text);
    let mut refs: Vec<_> = analysis.tables.iter().collect();
    refs.sort_by_key(|t| std::cmp::Reverse(t.range.start));
    for t in refs {
        let inner = match p.resolve(&t.full_name(), Some(pipe)) {
            Target::Node(j) if j < node => expand_rendering(p, pipe, j, 0, depth + 1)?,
            Target::Resource(r) if p.resources[r].kind == ResourceKind::Pipe => {
                let last = p.resources[r].nodes.len().checked_sub(1)?;
                expand_rendering(p, r, last, 0, depth + 1)?
            }
            _ => continue,
        };
        text.replace_range(
            t.range.start..t.range.end,
            &if t.alias.is_some() {
                format!("({inner})")
            } else {
                format!("({inner}) AS `{}`", t.name)
            },
        );
    }
    Some(text)
}

/// The output column names of a node's SELECT.
fn output_names(p: &Project, pipe: ResourceId, node: usize) -> Vec<String> {
    p.resources[pipe].nodes[node]
        .sql
        .as_ref()
        .and_then(|s| s.main.as_ref())
        .map(|m| m.items.iter().map(|i| i.output_name.clone()).collect())
        .unwrap_or_default()
}

/// The project's tables and materialized views.
pub fn schema(p: &Project) -> Vec<String> {
    let mut out: Vec<String> = p
        .resources
        .ids()
        .filter(|&i| p.resources[i].kind == ResourceKind::Datasource)
        .filter_map(|i| create_table(p, i))
        .collect();
    for e in p
        .edges
        .iter()
        .filter(|e| e.kind == EdgeKind::MaterializesInto)
    {
        if let Some(sql) = writer_sql(p, e) {
            let Source::Resource(pipe) = e.from else {
                continue;
            };
            out.push(format!(
                "CREATE MATERIALIZED VIEW `{}__{}` TO `{}` AS {sql}",
                p.resources[pipe].name,
                e.from_node.as_deref().unwrap_or(""),
                e.to
            ));
        }
    }
    out
}

/// The (pipe, node) an edge comes from.
fn edge_node(p: &Project, e: &project::model::Edge) -> Option<(ResourceId, usize)> {
    let Source::Resource(pipe) = e.from else {
        return None;
    };
    let node = p.resources[pipe]
        .nodes
        .iter()
        .position(|n| Some(n.name.as_str()) == e.from_node.as_deref())?;
    Some((pipe, node))
}

fn writer_sql(p: &Project, e: &project::model::Edge) -> Option<String> {
    let (pipe, node) = edge_node(p, e)?;
    expand(p, pipe, node, 0)
}

/// `INSERT … SELECT` running the copy (or populating the materialized) node of pipe `name`
/// once; columns by name.
pub fn run_writer(p: &Project, name: &str) -> Option<String> {
    let e = p.edges.iter().find(|e| {
        matches!(e.kind, EdgeKind::CopiesInto | EdgeKind::MaterializesInto)
            && matches!(e.from, Source::Resource(r) if p.resources[r].name == name)
    })?;
    let (pipe, node) = edge_node(p, e)?;
    let sql = expand(p, pipe, node, 0)?;
    let cols: Vec<String> = output_names(p, pipe, node)
        .iter()
        .map(|c| format!("`{c}`"))
        .collect();
    Some(format!(
        "INSERT INTO `{}` ({}) {sql}",
        e.to,
        cols.join(", ")
    ))
}

/// The SQL of every Classic quality test case: (case, sql).
pub fn quality_tests(p: &Project) -> Vec<(String, String)> {
    p.tests
        .iter()
        .flat_map(|t| &t.file.cases)
        .filter_map(|c| Some((c.name.clone(), c.sql.as_ref()?.text.clone())))
        .collect()
}

/// The copy pipes of the project.
pub fn copy_pipes(p: &Project) -> Vec<String> {
    p.edges
        .iter()
        .filter(|e| e.kind == EdgeKind::CopiesInto)
        .filter_map(|e| match e.from {
            Source::Resource(r) => Some(p.resources[r].name.clone()),
            _ => None,
        })
        .collect()
}

/// A project held in memory (relative path → text), analysed as `check` would.
pub fn analyse(
    files: &std::collections::BTreeMap<String, String>,
    now: Option<i64>,
) -> analysis::db::Analysis {
    use analysis::db::ProjectDb;
    let mut db = ProjectDb::new("/nonexistent-root", None);
    for (p, t) in files {
        if ProjectDb::is_relevant(p) {
            db.set_file(p, std::sync::Arc::from(t.as_str()));
        }
    }
    db.set_now(now);
    db.analyze(&|_: &str| None);
    db.take_analysis().unwrap()
}

/// Runs a migration step on a project held in memory.
pub fn run_request(
    files: &std::collections::BTreeMap<String, String>,
    analysis: &analysis::db::Analysis,
    req: &actions::Request,
    now: i64,
    delay_minutes: u64,
) -> actions::ActionResult {
    let read = |p: &str| files.get(p).map(|t| std::sync::Arc::from(t.as_str()));
    let ws = actions::Workspace {
        project: &analysis.project,
        migrations: &analysis.migrations,
        read: &read,
    };
    let clock = actions::add_column::Clock {
        now,
        cutoff_delay_minutes: delay_minutes,
    };
    actions::run(&ws, req, clock)
}
