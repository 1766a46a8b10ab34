//! The editor features never panic on any SQL: a project whose pipe holds random SQL (subqueries,
//! CTEs, joins, aliases, template tags), with every request asked at every character of the
//! pipe. Every range they return lies inside its file on character boundaries, and a rename's
//! edits only touch project files.

use proptest::prelude::*;
use std::collections::BTreeMap;
use syntax::text::TextRange;

const EVENTS: &str = "SCHEMA >\n    `ts` DateTime,\n    `user_id` String,\n    `path` String\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"ts\"\n";
const OTHER: &str = "SCHEMA >\n    `user_id` String,\n    `n` UInt32\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"user_id\"\n";

const PIECES: &[&str] = &[
    "SELECT ",
    "FROM ",
    "events",
    "other",
    "first",
    " WHERE ",
    " AND ",
    "(",
    ")",
    "(SELECT ",
    ",",
    "'",
    "`",
    "user_id",
    "path",
    "ts",
    "x",
    "t.",
    "e.",
    " AS ",
    " t",
    " e",
    " IN ",
    " NOT IN ",
    "JOIN ",
    " ON ",
    "WITH c AS ",
    "c",
    "count()",
    "max(ts)",
    "*",
    " GROUP BY ",
    " UNION ALL ",
    "{{ ",
    " }}",
    "{% if defined(p) %}",
    "{% end %}",
    "String(p)",
    "\n",
    "é",
    "--",
];

/// A project (events, other, and pipe `p` whose second node holds `sql`), analysed.
fn project(
    sql: &str,
) -> (
    tempfile::TempDir,
    project::model::Project,
    BTreeMap<String, String>,
) {
    let dir = tempfile::tempdir().unwrap();
    let templated = if sql.contains("{{") || sql.contains("{%") {
        "%\n    "
    } else {
        ""
    };
    let pipe = format!(
        "NODE first\nSQL >\n    SELECT user_id, path FROM events\n\nNODE second\nSQL >\n    {templated}{}\n",
        sql.replace('\n', "\n    ")
    );
    let mut texts = BTreeMap::new();
    texts.insert(
        "datasources/events.datasource".to_string(),
        EVENTS.to_string(),
    );
    texts.insert(
        "datasources/other.datasource".to_string(),
        OTHER.to_string(),
    );
    texts.insert("pipes/p.pipe".to_string(), pipe);
    for (rel, text) in &texts {
        let target = dir.path().join(rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, text).unwrap();
    }
    let all = disk::walk(dir.path());
    let mut db = disk::load_project(dir.path(), &all, &[], None).unwrap();
    db.analyze(&disk::disk_loader);
    let p = db.take_analysis().unwrap().project;
    (dir, p, texts)
}

fn inside(texts: &BTreeMap<String, String>, path: &str, r: TextRange, what: &str) {
    let text = texts
        .get(path)
        .unwrap_or_else(|| panic!("{what}: {path} is not a project file"));
    assert!(
        r.start <= r.end
            && r.end <= text.len()
            && text.is_char_boundary(r.start)
            && text.is_char_boundary(r.end),
        "{what}: {r:?} outside {path} ({} bytes)",
        text.len()
    );
}

fn check(sql: &str) {
    let (_dir, p, texts) = project(sql);
    let path = "pipes/p.pipe";
    let text = &texts[path];
    let mut offset = 0;
    while offset <= text.len() {
        let c = ide::completion::complete(&p, path, text, offset);
        inside(&texts, path, c.replace, "completion");
        if let Some(l) = ide::locate::locate(&p, path, text, offset) {
            inside(&texts, path, l.range, "locate");
            let _ = ide::hover::hover(&p, path, &l);
            for s in ide::navigation::definition(&p, &l) {
                if let Some(rel) = texts.keys().find(|k| s.path.ends_with(k.as_str())) {
                    inside(&texts, rel, s.range, "definition");
                }
            }
            for (s, _) in ide::navigation::references(&p, path, &l) {
                inside(&texts, &s.path, s.range, "references");
            }
            for (r, _) in ide::navigation::highlights(&p, path, &l) {
                inside(&texts, path, r, "highlights");
            }
            if let Ok((r, _)) = ide::rename::prepare(&p, &l) {
                inside(&texts, path, r, "prepare_rename");
                if let Ok(change) = ide::rename::rename(&p, path, &l, "renamed") {
                    for (file, r, _) in &change.edits {
                        inside(&texts, file, *r, "rename");
                    }
                }
            }
        }
        offset += text[offset..].chars().next().map_or(1, char::len_utf8);
    }
    for t in ide::semantic_tokens::semantic_tokens(&p, path, text) {
        inside(&texts, path, t.range, "semantic token");
    }
    let _ = ide::symbols::document_symbols(&p, path);
    let _ = ide::code_lens::code_lens(&p, path);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn editor_features_on_random_sql(parts in prop::collection::vec(prop::sample::select(PIECES), 1..24)) {
        check(&parts.concat());
    }
}

/// Queries that once mixed up scopes, asked at every position.
#[test]
fn editor_features_on_nested_subqueries() {
    for sql in [
        "SELECT t.path, t.total FROM (SELECT path, count() AS total FROM events GROUP BY path) AS t WHERE user_id IN (SELECT user_id FROM other WHERE n > 1)",
        "WITH c AS (SELECT user_id FROM (SELECT user_id FROM other) AS o) SELECT * FROM c JOIN (SELECT user_id, max(ts) AS m FROM events GROUP BY user_id) AS e ON e.user_id = c.user_id",
        "SELECT (SELECT max(ts) FROM events WHERE user_id IN (SELECT user_id FROM first)) AS last, x FROM first",
        "SELECT * FROM (SELECT * FROM (SELECT * FROM (SELECT path FROM events)))",
        // A node reading its own pipe (a cycle) twice, beside nested subqueries reading two
        // tables each: once seconds per request (issue 19's `ide` fuzz target).
        "SELECT user_id, uniq(s) AS u, (SELECT max(ts) FROM p) AS m FROM (SELECT path, x.user_id, count() AS s FROM p AS x, (SELECT user_id FROM (SELECT user_id, path FROM p, first) AS y, p) AS z GROUP BY path, x.user_id), p AS w WHERE user_id NOT IN (SELECT user_id FROM p WHERE path IN (SELECT path FROM p))",
    ] {
        check(sql);
    }
}
