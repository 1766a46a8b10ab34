//! The deploy plan and the rules about a change against the deployed version, on git
//! repositories built here (a base commit, then the change in the working tree or in a second
//! commit): `plan` and `check --base` snapshots per scenario (tests/fixtures/deploy/), and
//! ClickHouse (chdb) running every generated FORWARD_QUERY and every ALTER the plan promises.

#[path = "support/chdb_project.rs"]
mod chdb_project;
mod common;

use analysis::deploy::forward_query;
use analysis::deploy::table::What;
use analysis::fixture::Fixture;
use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) {
    common::git(dir, args);
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// A repository whose first commit holds `base`, on branch `main`.
fn repo(base: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    write(dir.path(), base);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    dir
}

fn tb(dir: &Path, args: &[&str]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_tinybird-lsp"))
        .args(args)
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// The first commit's short hash, replaced in outputs so snapshots stay stable.
fn short_head(dir: &Path, rev: &str) -> String {
    let out = Command::new("git")
        .args(["rev-parse", "--short=7", rev])
        .current_dir(dir)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

const EVENTS: &str = "SCHEMA >\n    `ts` DateTime `json:$.ts`,\n    `country` String `json:$.country`\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"ts\"\n";
const DAILY: &str = "SCHEMA >\n    `d` Date,\n    `country` String,\n    `n` UInt64\n\nENGINE \"SummingMergeTree\"\nENGINE_SORTING_KEY \"d, country\"\n";
const DAILY_MV: &str = "NODE n\nSQL >\n    SELECT toDate(ts) AS d, country, count() AS n FROM events GROUP BY d, country\n\nTYPE materialized\nDATASOURCE daily\n";
const MONTHLY: &str = "SCHEMA >\n    `m` Date,\n    `n` UInt64\n\nENGINE \"SummingMergeTree\"\nENGINE_SORTING_KEY \"m\"\n";
const MONTHLY_MV: &str = "NODE n\nSQL >\n    SELECT toStartOfMonth(d) AS m, sum(n) AS n FROM daily GROUP BY m\n\nTYPE materialized\nDATASOURCE monthly\n";

const EVENTS_TTL: &str = "SCHEMA >\n    `ts` DateTime `json:$.ts`,\n    `country` String `json:$.country`\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"ts\"\nENGINE_TTL \"ts + toIntervalDay(30)\"\n";
const DAILY_BACKFILL: &str = "NODE n\nSQL >\n    SELECT toDate(ts) AS d, country, count() AS n FROM events\n    WHERE ts < '2026-01-01 00:00:00'\n    GROUP BY d, country\n\nTYPE copy\nTARGET_DATASOURCE daily\n";
const CD_DEPLOY: &str = "#!/usr/bin/env bash\nset -euxo pipefail\n\ntb deploy\ntb pipe copy run daily_backfill --node n --wait --yes\n";

fn forward_base() -> Vec<(&'static str, &'static str)> {
    vec![
        ("datasources/events.datasource", EVENTS),
        ("datasources/daily.datasource", DAILY),
        ("pipes/daily_mv.pipe", DAILY_MV),
        ("datasources/monthly.datasource", MONTHLY),
        ("pipes/monthly_mv.pipe", MONTHLY_MV),
    ]
}

struct Scenario {
    name: &'static str,
    dialect: &'static str,
    base: Vec<(&'static str, &'static str)>,
    change: Vec<(&'static str, String)>,
    remove: Vec<&'static str>,
}

fn scenarios() -> Vec<Scenario> {
    let retyped = EVENTS.replace(
        "`country` String `json:$.country`",
        "`country` LowCardinality(String) `json:$.country`",
    );
    let added = EVENTS.replace(
        "`country` String `json:$.country`",
        "`country` String `json:$.country`,\n    `city` String `json:$.city`",
    );
    let classic_live = "NODE n\nSQL >\n    SELECT toDate(ts) AS d, country, count() AS n FROM events\n    WHERE ts > '2026-01-01 00:00:00'\n    GROUP BY d, country\n\nTYPE materialized\nDATASOURCE daily\n";
    vec![
        Scenario {
            name: "forward_retype_without_forward_query",
            dialect: "forward",
            base: forward_base(),
            change: vec![("datasources/events.datasource", retyped.clone())],
            remove: vec![],
        },
        Scenario {
            name: "forward_retype_with_forward_query",
            dialect: "forward",
            base: forward_base(),
            change: vec![(
                "datasources/events.datasource",
                format!(
                    "{retyped}\nFORWARD_QUERY >\n    SELECT ts, CAST(accurateCastOrDefault(country, 'String') AS LowCardinality(String)) AS country\n"
                ),
            )],
            remove: vec![],
        },
        // A FORWARD_QUERY that passes the deployed String into a UUID: a value that does not
        // parse fails the deploy.
        Scenario {
            name: "forward_retype_with_lossy_forward_query",
            dialect: "forward",
            base: forward_base(),
            change: vec![(
                "datasources/events.datasource",
                format!(
                    "{}\nFORWARD_QUERY >\n    SELECT ts, country\n",
                    EVENTS.replace("`country` String", "`country` UUID")
                ),
            )],
            remove: vec![],
        },
        Scenario {
            name: "forward_column_added_with_forward_query",
            dialect: "forward",
            base: forward_base(),
            change: vec![(
                "datasources/events.datasource",
                format!("{added}\nFORWARD_QUERY >\n    SELECT ts, country, '' AS city\n"),
            )],
            remove: vec![],
        },
        Scenario {
            name: "forward_column_added_in_place",
            dialect: "forward",
            base: forward_base(),
            change: vec![("datasources/events.datasource", added.clone())],
            remove: vec![],
        },
        Scenario {
            name: "forward_query_left_in_place",
            dialect: "forward",
            base: vec![
                (
                    "datasources/events.datasource",
                    "SCHEMA >\n    `ts` DateTime `json:$.ts`,\n    `country` LowCardinality(String) `json:$.country`\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"ts\"\n\nFORWARD_QUERY >\n    SELECT ts, CAST(accurateCastOrDefault(country, 'String') AS LowCardinality(String)) AS country\n",
                ),
                ("datasources/daily.datasource", DAILY),
                ("pipes/daily_mv.pipe", DAILY_MV),
            ],
            change: vec![(
                "pipes/top.pipe",
                "NODE n\nSQL >\n    SELECT country, sum(n) AS n FROM daily GROUP BY country\n\nTYPE endpoint\n".into(),
            )],
            remove: vec![],
        },
        Scenario {
            name: "forward_sorting_key_cascades",
            dialect: "forward",
            base: forward_base(),
            change: vec![(
                "datasources/daily.datasource",
                DAILY.replace("\"d, country\"", "\"country, d\""),
            )],
            remove: vec![],
        },
        Scenario {
            // The landing source keeps 30 days; the daily target everything: the replay of a
            // new sorting key loses the older days.
            name: "forward_rewrite_source_ttl",
            dialect: "forward",
            base: vec![
                ("datasources/events.datasource", EVENTS_TTL),
                ("datasources/daily.datasource", DAILY),
                ("pipes/daily_mv.pipe", DAILY_MV),
            ],
            change: vec![(
                "datasources/daily.datasource",
                DAILY.replace("\"d, country\"", "\"country, d\""),
            )],
            remove: vec![],
        },
        Scenario {
            name: "forward_materialized_source_changed",
            dialect: "forward",
            base: {
                let mut b = forward_base();
                b.push(("datasources/events_v2.datasource", EVENTS));
                b
            },
            change: vec![(
                "pipes/daily_mv.pipe",
                DAILY_MV.replace("FROM events", "FROM events_v2"),
            )],
            remove: vec![],
        },
        Scenario {
            name: "forward_column_and_pipe_removed",
            dialect: "forward",
            base: forward_base(),
            change: vec![(
                "datasources/daily.datasource",
                DAILY.replace("    `country` String,\n", ""),
            ), (
                "pipes/daily_mv.pipe",
                DAILY_MV.replace(", country", ""),
            )],
            remove: vec!["pipes/monthly_mv.pipe", "datasources/monthly.datasource"],
        },
        Scenario {
            // A column removed while the materialized pipe still reads it.
            name: "forward_removed_column_read",
            dialect: "forward",
            base: forward_base(),
            change: vec![(
                "datasources/events.datasource",
                EVENTS.replace(",\n    `country` String `json:$.country`", ""),
            )],
            remove: vec![],
        },
        Scenario {
            name: "classic_removed_column_read",
            dialect: "classic",
            base: vec![
                ("datasources/events.datasource", EVENTS),
                ("datasources/daily.datasource", DAILY),
                ("pipes/daily_mv.pipe", DAILY_MV),
            ],
            change: vec![(
                "datasources/events.datasource",
                EVENTS.replace(",\n    `country` String `json:$.country`", ""),
            )],
            remove: vec![],
        },
        Scenario {
            name: "classic_cutoff_on_deployed_pipe",
            dialect: "classic",
            base: vec![
                ("datasources/events.datasource", EVENTS),
                ("datasources/daily.datasource", DAILY),
                ("pipes/daily_mv.pipe", DAILY_MV),
            ],
            change: vec![("pipes/daily_mv.pipe", classic_live.into())],
            remove: vec![],
        },
        Scenario {
            name: "classic_new_live_pipe",
            dialect: "classic",
            base: vec![
                ("datasources/events.datasource", EVENTS),
                ("datasources/daily.datasource", DAILY),
                ("pipes/daily_mv.pipe", DAILY_MV),
            ],
            change: vec![
                ("pipes/daily_mv_live.pipe", classic_live.into()),
                ("datasources/daily.datasource", DAILY.replace("\"d, country\"", "\"country, d\"")),
            ],
            remove: vec![],
        },
        Scenario {
            // The whole migration in one change: the legacy target goes with its replacement.
            name: "classic_legacy_removed_with_replacement",
            dialect: "classic",
            base: vec![
                ("datasources/events.datasource", EVENTS),
                ("datasources/daily.datasource", DAILY),
                ("pipes/daily_mv.pipe", DAILY_MV),
            ],
            change: vec![
                ("datasources/daily_1.datasource", DAILY.into()),
                (
                    "pipes/daily_mv_1.pipe",
                    classic_live.replace("DATASOURCE daily", "DATASOURCE daily_1"),
                ),
            ],
            remove: vec!["datasources/daily.datasource", "pipes/daily_mv.pipe"],
        },
        Scenario {
            // The deployment folder copied to the next version, backfill included.
            name: "classic_backfill_run_again",
            dialect: "classic",
            base: vec![
                (".tinyenv", "VERSION=0.0.1\n"),
                ("datasources/events.datasource", EVENTS),
                ("datasources/daily.datasource", DAILY),
                ("pipes/daily_backfill.pipe", DAILY_BACKFILL),
                ("deploy/0.0.1/cd-deploy.sh", CD_DEPLOY),
            ],
            change: vec![
                (".tinyenv", "VERSION=0.0.2\n".into()),
                ("deploy/0.0.2/cd-deploy.sh", CD_DEPLOY.into()),
            ],
            remove: vec![],
        },
        Scenario {
            // A new live pipe cut at an instant before `--now`: not deployed yet, so the rows
            // between the cutoff and its deploy are lost.
            name: "classic_cutoff_passed_before_deploy",
            dialect: "classic",
            base: vec![
                ("datasources/events.datasource", EVENTS),
                ("datasources/daily.datasource", DAILY),
                ("pipes/daily_mv.pipe", DAILY_MV),
            ],
            change: vec![
                ("datasources/daily_1.datasource", DAILY.into()),
                (
                    "pipes/daily_mv_1.pipe",
                    classic_live
                        .replace("DATASOURCE daily", "DATASOURCE daily_1")
                        .replace("2026-01-01 00:00:00", "2025-05-01 00:00:00"),
                ),
            ],
            remove: vec![],
        },
    ]
}

/// Every scenario: `plan` (text and JSON) and `check --base main` on the change, in the
/// working tree and committed (the same plan against the first commit), snapshotted.
#[test]
fn plan_and_check_against_a_git_base() {
    let mut failures = vec![];
    for s in scenarios() {
        let dir = repo(&s.base);
        let root = dir.path();
        let changed: Vec<(&str, &str)> = s.change.iter().map(|(p, t)| (*p, t.as_str())).collect();
        write(root, &changed);
        for r in &s.remove {
            std::fs::remove_file(root.join(r)).unwrap();
        }
        let base = short_head(root, "main");
        let stable = |t: &str| t.replace(&base, "BASE");
        let (plan, plan_err, plan_code) =
            tb(root, &["plan", "--base", "main", "--dialect", s.dialect]);
        let (json, _, _) = tb(
            root,
            &[
                "plan",
                "--base",
                "main",
                "--dialect",
                s.dialect,
                "--format",
                "json",
            ],
        );
        let v: serde_json::Value = serde_json::from_str(&json).expect("plan JSON");
        assert_eq!(v["dialect"], s.dialect, "{}", s.name);
        assert_eq!(v["base"].as_str().map(|b| b.len()), Some(40), "{}", s.name);
        for c in v["changes"].as_array().unwrap() {
            for key in [
                "resource",
                "kind",
                "path",
                "change",
                "method",
                "downstream",
                "reasons",
                "inferred",
            ] {
                assert!(
                    c.get(key).is_some(),
                    "{}: a change without `{key}`: {c}",
                    s.name
                );
            }
        }
        let (check, _, check_code) = tb(
            root,
            &[
                "check",
                "--base",
                "main",
                "--dialect",
                s.dialect,
                "--now",
                "2025-06-01 00:00:00",
            ],
        );
        // The default base, with the change committed: the same plan against HEAD~1.
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "change"]);
        let (committed, _, _) = tb(root, &["plan", "--base", "HEAD~1", "--dialect", s.dialect]);
        assert_eq!(
            stable(&committed).replace("(HEAD~1)", "(main)"),
            stable(&plan),
            "{}: the committed change plans otherwise",
            s.name
        );
        let (nothing, _, code) = tb(root, &["plan", "--dialect", s.dialect]);
        assert_eq!(code, 0, "{}", s.name);
        assert!(
            nothing.contains("Nothing to deploy") || nothing.contains("unchanged"),
            "{}: HEAD against itself: {nothing}",
            s.name
        );
        let snapshot = format!(
            "## plan (exit {plan_code}){}\n{}\n## check --base main (exit {check_code})\n{}",
            if plan_err.is_empty() {
                String::new()
            } else {
                format!("\n{plan_err}")
            },
            stable(&plan),
            stable(&check)
        );
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/deploy")
            .join(format!("{}.txt", s.name));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        if let Some(d) = common::snapshot_difference(&path, &snapshot) {
            failures.push(d);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Without a repository, `plan` says so and fails with 2; `check --base` says so once and
/// runs the other rules.
#[test]
fn no_repository_is_said_once() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("datasources/events.datasource", EVENTS)]);
    let (_, err, code) = tb(dir.path(), &["plan", "--dialect", "forward"]);
    assert_eq!(code, 2);
    assert!(err.contains("not in a git repository"), "{err}");
    let (out, err, code) = tb(
        dir.path(),
        &["check", "--base", "main", "--dialect", "forward"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(err.matches("no base to compare with").count(), 1, "{err}");
    let dir = repo(&[("datasources/events.datasource", EVENTS)]);
    let (_, err, code) = tb(
        dir.path(),
        &["plan", "--base", "nope", "--dialect", "forward"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("`nope` is not a revision"), "{err}");
}

/// The quick fix of `needs-forward-query` makes the change deployable: applied, the plan is a
/// rewrite through the FORWARD_QUERY, no rule fires, and the official Forward parser accepts
/// the file.
#[test]
fn the_generated_forward_query_makes_the_change_deployable() {
    let fixture = r#"
        //- dialect: forward
        //- datasources/events.datasource
        SCHEMA >
            `ts` DateTime `json:$.ts`,
            `country` LowCardinality(String) `json:$.country`,
            `n` UInt32 `json:$.n`,
            `city` String `json:$.city` DEFAULT 'unknown',
            `score` Float64 `json:$.score`

        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "ts"
        //- base: datasources/events.datasource
        SCHEMA >
            `ts` DateTime `json:$.ts`,
            `country` String `json:$.country`,
            `n` UInt16 `json:$.n`

        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "ts"
    "#;
    let f = Fixture::parse(fixture);
    let a = f.analyze();
    let d = &a.diagnostics["datasources/events.datasource"];
    let needs: Vec<_> = d
        .iter()
        .filter(|d| d.code == "needs-forward-query")
        .collect();
    assert_eq!(needs.len(), 2, "{d:?}");
    let fix = &needs[0].fixes[0];
    assert_eq!(
        needs[1].fixes[0], *fix,
        "one FORWARD_QUERY for every retyped column"
    );
    let mut text = f.text("datasources/events.datasource").unwrap().to_string();
    let e = &fix.edits[0];
    text.replace_range(e.range.start..e.range.end, &e.new_text);
    let mut fixed = f.clone();
    fixed.files[0].1 = text.clone();
    let after = fixed.analyze();
    let plan = after.plan.as_ref().unwrap();
    assert_eq!(plan.changes.len(), 1);
    assert_eq!(plan.changes[0].method, analysis::deploy::Method::Rewrite);
    assert_eq!(
        plan.changes[0].backfill,
        Some(analysis::deploy::Backfill::ForwardQuery)
    );
    assert!(after.diagnostics.is_empty(), "{:?}", after.diagnostics);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.datasource");
    std::fs::write(&path, &text).unwrap();
    let verdict = &common::tb_oracle(&[path.to_string_lossy().into_owned()], "forward")[0];
    assert_eq!(verdict["forward"]["ok"], true, "{text}\n{verdict}");
}

/// `rewrite-source-ttl`: a rewrite replayed from a source with a 30-day TTL; its fix (a
/// FORWARD_QUERY) turns the backfill into a copy of the live table, the warning goes, and the
/// official Forward parser accepts the file.
#[test]
fn a_forward_query_keeps_the_history_a_replay_would_lose() {
    let fixture = r#"
        //- dialect: forward
        //- datasources/events.datasource
        SCHEMA >
            `ts` DateTime `json:$.ts`,
            `country` String `json:$.country`

        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "ts"
        ENGINE_TTL "ts + toIntervalDay(30)"
        //- datasources/daily.datasource
        SCHEMA >
            `d` Date,
            `country` String,
            `n` UInt64

        ENGINE "SummingMergeTree"
        ENGINE_SORTING_KEY "country, d"
        //- pipes/daily_mv.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS d, country, count() AS n FROM events GROUP BY d, country

        TYPE materialized
        DATASOURCE daily
        //- base: datasources/daily.datasource
        SCHEMA >
            `d` Date,
            `country` String,
            `n` UInt64

        ENGINE "SummingMergeTree"
        ENGINE_SORTING_KEY "d, country"
    "#;
    let f = Fixture::parse(fixture);
    let a = f.analyze();
    let d = &a.diagnostics["datasources/daily.datasource"];
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].code, "rewrite-source-ttl");
    assert!(
        d[0].message.contains("`events` keeps only 30 days"),
        "{}",
        d[0].message
    );
    let e = &d[0].fixes[0].edits[0];
    let mut text = f.text("datasources/daily.datasource").unwrap().to_string();
    text.replace_range(e.range.start..e.range.end, &e.new_text);
    assert!(
        text.ends_with(
            "\n\nFORWARD_QUERY >\n    SELECT\n        `d`,\n        `country`,\n        `n`\n"
        ),
        "{text}"
    );
    let mut fixed = f.clone();
    let at = fixed
        .files
        .iter()
        .position(|(p, _)| p == "datasources/daily.datasource")
        .unwrap();
    fixed.files[at].1 = text.clone();
    let after = fixed.analyze();
    assert!(after.diagnostics.is_empty(), "{:?}", after.diagnostics);
    let plan = after.plan.as_ref().unwrap();
    assert_eq!(
        plan.of_path("datasources/daily.datasource")
            .unwrap()
            .backfill,
        Some(analysis::deploy::Backfill::ForwardQuery)
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("daily.datasource");
    std::fs::write(&path, &text).unwrap();
    let verdict = &common::tb_oracle(&[path.to_string_lossy().into_owned()], "forward")[0];
    assert_eq!(verdict["forward"]["ok"], true, "{text}\n{verdict}");
}

/// Columns of a SCHEMA written inline.
fn columns(schema: &str) -> Vec<syntax::model::Column> {
    let f = Fixture::parse(&format!(
        "//- dialect: forward\n//- datasources/t.datasource\nSCHEMA >\n{schema}\n"
    ));
    let a = f.analyze();
    let fi = a.project.file_id("datasources/t.datasource").unwrap();
    a.project.files[fi]
        .datafile
        .schema()
        .unwrap()
        .columns
        .clone()
}

fn create(name: &str, cols: &[syntax::model::Column]) -> String {
    let list: Vec<String> = cols
        .iter()
        .map(|c| {
            let mut s = format!("`{}` {}", c.name, forward_query::full_type(c));
            if let Some(d) = &c.default {
                s.push_str(&format!(" DEFAULT {}", d.text));
            }
            s
        })
        .collect();
    format!(
        "CREATE TABLE {name} ({}) ENGINE = MergeTree ORDER BY tuple()",
        list.join(", ")
    )
}

/// Every generated FORWARD_QUERY, run over a table of the base schema holding rows (random
/// ones, and values that do not fit the new type), yields exactly the new schema's types
/// (`toTypeName` per column) and every row, inserted into a table of the new schema.
#[test]
fn generated_forward_queries_run_on_clickhouse() {
    let pairs = [
        (
            "    `a` String,\n    `b` UInt16",
            "    `a` LowCardinality(String),\n    `b` UInt32,\n    `c` String,\n    `d` UInt8 DEFAULT 7",
        ),
        (
            "    `a` String,\n    `t` DateTime",
            "    `a` UInt64,\n    `t` DateTime64(3)",
        ),
        (
            "    `a` Nullable(String),\n    `x` Int64",
            "    `a` String,\n    `x` Decimal(18, 2)",
        ),
        (
            "    `tags` Array(String),\n    `m` Map(String, UInt8)",
            "    `tags` Array(LowCardinality(String)),\n    `m` Map(String, UInt64),\n    `z` Nullable(Float64),\n    `e` Enum8('a' = 1, 'b' = 2)",
        ),
        (
            "    `u` String,\n    `d` String",
            "    `u` UUID,\n    `d` Date",
        ),
        (
            "    `f` Float64,\n    `g` Nullable(Float32)",
            "    `f` Int32,\n    `g` Nullable(UInt16)",
        ),
    ];
    let mut statements = vec![];
    let mut expect = vec![];
    for (i, (base, head)) in pairs.iter().enumerate() {
        let (b, h) = (columns(base), columns(head));
        let items = forward_query::select_items(&b, &h).join(", ");
        let (bt, ht) = (format!("b{i}"), format!("h{i}"));
        statements.push((create(&bt, &b), false));
        statements.push((
            format!("INSERT INTO {bt} SELECT * FROM generateRandom() LIMIT 50"),
            false,
        ));
        // Values that do not fit: text in a column that becomes a number, a UUID, a date.
        let strings: Vec<String> = b
            .iter()
            .map(|c| match forward_query::full_type(c).as_str() {
                "String" | "Nullable(String)" => "'not a value'".to_string(),
                _ => "DEFAULT".to_string(),
            })
            .collect();
        if strings.iter().any(|s| s != "DEFAULT") {
            let names: Vec<String> = b.iter().map(|c| format!("`{}`", c.name)).collect();
            let values: Vec<String> = b
                .iter()
                .zip(&strings)
                .map(|(c, s)| {
                    if s == "DEFAULT" {
                        format!("defaultValueOfTypeName('{}')", forward_query::full_type(c))
                    } else {
                        s.clone()
                    }
                })
                .collect();
            statements.push((
                format!(
                    "INSERT INTO {bt} ({}) SELECT {}",
                    names.join(", "),
                    values.join(", ")
                ),
                false,
            ));
        }
        statements.push((create(&ht, &h), false));
        statements.push((format!("INSERT INTO {ht} SELECT {items} FROM {bt}"), false));
        let types: Vec<String> = h
            .iter()
            .map(|c| format!("toTypeName(`{}`)", c.name))
            .collect();
        statements.push((
            format!(
                "SELECT {} FROM (SELECT {items} FROM {bt}) LIMIT 1",
                types.join(", ")
            ),
            true,
        ));
        statements.push((
            format!("SELECT (SELECT count() FROM {bt}), (SELECT count() FROM {ht})"),
            true,
        ));
        expect.push((
            i,
            h.iter().map(forward_query::full_type).collect::<Vec<_>>(),
            items,
        ));
    }
    let outcomes = chdb_project::run(&statements);
    for (o, (sql, _)) in outcomes.iter().zip(&statements) {
        assert!(o.ok, "{sql}\n{}", o.error);
    }
    let fetched: Vec<_> = outcomes
        .iter()
        .zip(&statements)
        .filter(|(_, (_, fetch))| *fetch)
        .map(|(o, _)| o.rows.clone())
        .collect();
    for (i, types, items) in expect {
        let got: Vec<String> = fetched[2 * i][0]
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect();
        let got: Vec<String> = got
            .iter()
            .map(|t| syntax::chtype::Type::parse(t).map_or(t.clone(), |t| t.to_string()))
            .collect();
        assert_eq!(got, types, "pair {i}: {items}");
        let counts = &fetched[2 * i + 1][0];
        assert_eq!(
            counts[0].to_string(),
            counts[1].to_string(),
            "pair {i}: rows lost"
        );
    }
}

/// Every change the table classifies as an ALTER in place is an `ALTER TABLE` ClickHouse
/// applies to a table of the base schema holding rows.
/// (And a TTL added deletes the rows already older than it, as `destructive-change` says.)
#[test]
fn a_ttl_added_deletes_the_rows_older_than_it() {
    let outcomes = chdb_project::run(&[
        (
            "CREATE TABLE t (`ts` DateTime) ENGINE = MergeTree ORDER BY ts".into(),
            false,
        ),
        (
            "INSERT INTO t SELECT now() - toIntervalDay(number) FROM numbers(60)".into(),
            false,
        ),
        (
            "ALTER TABLE t MODIFY TTL ts + toIntervalDay(30)".into(),
            false,
        ),
        ("SELECT count() <= 31 FROM t".into(), true),
    ]);
    assert!(outcomes.iter().all(|o| o.ok), "{outcomes:?}");
    assert_eq!(
        outcomes[3].rows[0][0].to_string(),
        "1",
        "rows older than the TTL remain"
    );
}

#[test]
fn every_alter_in_the_table_is_applied_by_clickhouse() {
    let base = "SCHEMA >\n    `ts` DateTime,\n    `a` String,\n    `b` UInt32\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"ts\"\nINDEXES >\n    idx_a a TYPE bloom_filter GRANULARITY 4\n";
    let heads = [
        // a column added, one removed, one made Nullable
        "SCHEMA >\n    `ts` DateTime,\n    `a` Nullable(String),\n    `c` String\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"ts\"\nINDEXES >\n    idx_a a TYPE bloom_filter GRANULARITY 4\n",
        // a TTL added, an index dropped and another added
        "SCHEMA >\n    `ts` DateTime,\n    `a` String,\n    `b` UInt32\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"ts\"\nENGINE_TTL \"ts + toIntervalDay(30)\"\nINDEXES >\n    idx_b b TYPE minmax GRANULARITY 1\n",
    ];
    let mut statements = vec![];
    for (i, head) in heads.iter().enumerate() {
        let fixture = format!(
            "//- dialect: forward\n//- datasources/t.datasource\n{head}//- base: datasources/t.datasource\n{base}"
        );
        let f = Fixture::parse(&fixture);
        let a = f.analyze();
        let plan = a.plan.as_ref().unwrap();
        assert_eq!(plan.changes.len(), 1);
        let c = &plan.changes[0];
        assert_eq!(c.method, analysis::deploy::Method::Alter, "{:?}", c.details);
        let fi = a.project.file_id("datasources/t.datasource").unwrap();
        let h = &a.project.files[fi].datafile;
        let table = format!("t{i}");
        statements.push((
            format!(
                "CREATE TABLE {table} (`ts` DateTime, `a` String, `b` UInt32, INDEX idx_a a TYPE bloom_filter GRANULARITY 4) ENGINE = MergeTree ORDER BY ts"
            ),
            false,
        ));
        // Recent rows: a TTL deletes the rows older than it (the destructive-change rule).
        statements.push((
            format!("INSERT INTO {table} SELECT now() - number, toString(number), number FROM numbers(100)"),
            false,
        ));
        for d in &c.details {
            let name = d.subject();
            let col = h
                .schema()
                .and_then(|s| s.columns.iter().find(|c| c.name == name));
            let alter = match d.what {
                What::ColumnAdded => format!(
                    "ADD COLUMN `{name}` {}",
                    forward_query::full_type(col.unwrap())
                ),
                What::ColumnRemoved => format!("DROP COLUMN `{name}`"),
                What::ColumnMadeNullable => format!(
                    "MODIFY COLUMN `{name}` {}",
                    forward_query::full_type(col.unwrap())
                ),
                What::TtlChanged => format!(
                    "MODIFY TTL {}",
                    h.engine().and_then(|e| e.param("ttl")).unwrap().text
                ),
                What::IndexChanged if d.text.ends_with("dropped") => format!("DROP INDEX `{name}`"),
                What::IndexChanged => {
                    let idx = h
                        .default_node()
                        .unwrap()
                        .indexes
                        .iter()
                        .find(|x| x.name.text == name)
                        .unwrap();
                    format!(
                        "ADD INDEX `{name}` {} TYPE {} GRANULARITY {}",
                        idx.expr.text,
                        idx.type_full.text,
                        idx.granularity.as_ref().map_or("1", |g| g.text.as_str())
                    )
                }
                other => panic!("{other:?} is not an ALTER in the table"),
            };
            statements.push((format!("ALTER TABLE {table} {alter}"), false));
        }
        statements.push((format!("SELECT count() FROM {table}"), true));
    }
    let outcomes = chdb_project::run(&statements);
    for (o, (sql, _)) in outcomes.iter().zip(&statements) {
        assert!(o.ok, "{sql}\n{}", o.error);
    }
    for o in outcomes.iter().zip(&statements).filter(|(_, (_, f))| *f) {
        assert_eq!(o.0.rows[0][0].to_string().trim_matches('"'), "100");
    }
}

/// `check --since REF` / `--changed` report only the files changed against the revision
/// (edited, committed after it, or new), from an analysis of the whole project: a reader of a
/// changed datasource that broke is not reported unless it changed too.
#[test]
fn check_reports_only_the_files_changed() {
    let reader = "NODE n\nSQL >\n    SELECT nope FROM events\n";
    let dir = repo(&[
        ("datasources/events.datasource", EVENTS),
        (
            "pipes/old.pipe",
            "NODE n\nSQL >\n    SELECT * FROM missing_a\n",
        ),
        ("pipes/reader.pipe", reader),
    ]);
    let root = dir.path();
    let all = |args: &[&str]| {
        let mut a = vec![
            "check",
            "--format",
            "json",
            "--dialect",
            "classic",
            "--error-on-warnings",
        ];
        a.extend_from_slice(args);
        let (out, err, code) = tb(root, &a);
        let v: serde_json::Value = serde_json::from_str(&out).expect("check JSON");
        let mut files: Vec<String> = v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["path"].as_str().unwrap().to_string())
            .collect();
        files.dedup();
        (files, err, code)
    };
    // Nothing changed: nothing reported, and it says so.
    let (files, err, code) = all(&["--since", "main"]);
    assert!(files.is_empty(), "{files:?}");
    assert_eq!(code, 0);
    assert!(
        err.contains("only the files changed against main ("),
        "{err}"
    );
    assert!(err.contains("none changed"), "{err}");
    // A new file with a problem, one edited in the working tree, one committed after main.
    write(
        root,
        &[(
            "pipes/new.pipe",
            "NODE n\nSQL >\n    SELECT * FROM missing_b\n",
        )],
    );
    git(root, &["checkout", "-q", "-b", "feature"]);
    write(
        root,
        &[(
            "pipes/committed.pipe",
            "NODE n\nSQL >\n    SELECT * FROM missing_c\n",
        )],
    );
    git(root, &["add", "pipes/committed.pipe"]);
    git(root, &["commit", "-q", "-m", "c"]);
    write(
        root,
        &[(
            "pipes/old.pipe",
            "NODE n\nSQL >\n    SELECT * FROM missing_d\n",
        )],
    );
    // The datasource the reader reads is deleted: the reader now reads an unknown table.
    std::fs::remove_file(root.join("datasources/events.datasource")).unwrap();
    let (everything, _, _) = all(&[]);
    assert!(
        everything.contains(&"pipes/reader.pipe".to_string()),
        "{everything:?}"
    );
    let (files, err, code) = all(&["--since", "main"]);
    assert_eq!(
        files,
        vec!["pipes/committed.pipe", "pipes/new.pipe", "pipes/old.pipe"],
        "{err}"
    );
    assert_eq!(code, 1);
    assert!(err.contains("3 files"), "{err}");
    // `--changed`: the default base. The branch has no upstream, so HEAD: the committed file
    // is not new against it.
    let (files, _, _) = all(&["--changed"]);
    assert_eq!(files, vec!["pipes/new.pipe", "pipes/old.pipe"]);
    // Outside git: every file, with a note.
    let plain = tempfile::tempdir().unwrap();
    write(
        plain.path(),
        &[("pipes/x.pipe", "NODE n\nSQL >\n    SELECT * FROM missing\n")],
    );
    let (out, err, code) = tb(
        plain.path(),
        &[
            "check",
            "--changed",
            "--format",
            "json",
            "--error-on-warnings",
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("missing"), "{out}");
    assert!(err.contains("cannot tell which files changed"), "{err}");
}

/// The README's `plan` walk-through on examples/forward-events, in a repository holding a copy:
/// the retype is refused, `check --base` offers the FORWARD_QUERY, and with it applied the
/// plan rewrites `events` through it and `daily_countries` downstream. The official Forward
/// parser accepts the fixed file.
#[test]
fn the_forward_example_plans_as_the_readme_says() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/forward-events");
    let files: Vec<(String, String)> = disk::walk(&example)
        .into_iter()
        .map(|rel| {
            let text = std::fs::read_to_string(example.join(&rel)).unwrap();
            (rel, text)
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let dir = repo(&refs);
    let root = dir.path();
    let events = root.join("datasources/events.datasource");
    let text = std::fs::read_to_string(&events).unwrap();
    let retyped = text.replace("`country` String", "`country` LowCardinality(String)");
    assert_ne!(
        retyped, text,
        "the example's events.datasource changed: update the README"
    );
    std::fs::write(&events, &retyped).unwrap();
    let (plan, _, code) = tb(root, &["plan", "--base", "HEAD"]);
    assert_eq!(code, 1, "{plan}");
    assert!(
        plan.contains("changed datasource `events` (datasources/events.datasource): REFUSED"),
        "{plan}"
    );
    let report = cli::check::check_path(
        root,
        cli::check::CheckOptions {
            base: Some(Some("HEAD".into())),
            ..Default::default()
        },
    )
    .unwrap();
    let d: Vec<_> = report
        .files()
        .flat_map(|f| f.diagnostics.iter().map(move |d| (f, d)))
        .collect();
    assert_eq!(
        d.len(),
        1,
        "{:?}",
        d.iter().map(|(_, d)| &d.message).collect::<Vec<_>>()
    );
    let (file, diag) = d[0];
    assert_eq!(diag.code, "needs-forward-query");
    let mut fixed = retyped.clone();
    let e = &diag.fixes[0].edits[0];
    fixed.replace_range(e.range.start..e.range.end, &e.new_text);
    std::fs::write(root.join(&file.path), &fixed).unwrap();
    let (plan, _, code) = tb(root, &["plan", "--base", "HEAD"]);
    assert_eq!(code, 0, "{plan}");
    assert!(
        plan.contains("changed datasource `events` (datasources/events.datasource): rewrite through FORWARD_QUERY · 1 downstream"),
        "{plan}"
    );
    assert!(
        plan.contains("unchanged datasource `daily_countries` (datasources/daily_countries.datasource): rewrite, replayed from daily_countries_mv"),
        "{plan}"
    );
    let verdict = &common::tb_oracle(&[events.to_string_lossy().into_owned()], "forward")[0];
    assert_eq!(verdict["forward"]["ok"], true, "{fixed}\n{verdict}");
}

/// `forward-query-conversion`: a FORWARD_QUERY that passes deployed columns through to new
/// types. As written, ClickHouse fails inserting its rows into the new table (text that is
/// no number) or turns NULLs into zeros; both quick fixes applied, the warnings go, the
/// official Forward parser accepts the file, and the query fills the new table from a table
/// of the base schema holding such values, every row kept.
#[test]
fn a_forward_query_converting_with_loss_is_fixed() {
    let base = "    `ts` DateTime,\n    `n` String,\n    `m` Nullable(Int64)";
    let head = "    `ts` DateTime,\n    `n` UInt32,\n    `m` Int32";
    let fixture = format!(
        "//- dialect: forward\n//- datasources/events.datasource\nSCHEMA >\n{head}\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"ts\"\n\nFORWARD_QUERY >\n    SELECT ts, n, m AS m\n//- base: datasources/events.datasource\nSCHEMA >\n{base}\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"ts\"\n"
    );
    let f = Fixture::parse(&fixture);
    let a = f.analyze();
    let d: Vec<_> = a.diagnostics["datasources/events.datasource"]
        .iter()
        .filter(|d| d.code == "forward-query-conversion")
        .collect();
    assert_eq!(d.len(), 2, "{d:?}");
    let mut text = f.text("datasources/events.datasource").unwrap().to_string();
    let fq_of = |t: &str| t[t.find("SELECT").unwrap()..].trim().to_string();
    let written = fq_of(&text);
    let mut edits: Vec<_> = d.iter().map(|d| d.fixes[0].edits[0].clone()).collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
    for e in &edits {
        text.replace_range(e.range.start..e.range.end, &e.new_text);
    }
    let mut fixed = f.clone();
    fixed.files[0].1 = text.clone();
    let after = fixed.analyze();
    assert!(
        after.diagnostics.is_empty(),
        "{text}\n{:?}",
        after.diagnostics
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.datasource");
    std::fs::write(&path, &text).unwrap();
    let verdict = &common::tb_oracle(&[path.to_string_lossy().into_owned()], "forward")[0];
    assert_eq!(verdict["forward"]["ok"], true, "{text}\n{verdict}");

    let (b, h) = (columns(base), columns(head));
    let outcomes = chdb_project::run(&[
        (create("b", &b), false),
        (
            "INSERT INTO b VALUES ('2026-01-01 00:00:00', '12', 5), ('2026-01-01 00:00:01', 'twelve', NULL)".into(),
            false,
        ),
        (create("h", &h), false),
        (format!("INSERT INTO h {written} FROM b"), false),
        (format!("INSERT INTO h {} FROM b", fq_of(&text)), false),
        ("SELECT count(), sum(n), sum(m) FROM h".into(), true),
    ]);
    assert!(outcomes[..3].iter().all(|o| o.ok), "{outcomes:?}");
    assert!(!outcomes[3].ok, "the query as written inserts: {written}");
    assert!(outcomes[4].ok, "{}", outcomes[4].error);
    assert_eq!(
        outcomes[5].rows,
        vec![vec![
            serde_json::json!(2),
            serde_json::json!(12),
            serde_json::json!(5)
        ]]
    );
}

/// `forward-query-order`: the fix puts every column in SCHEMA order, each written as it was;
/// the hint goes and the official Forward parser accepts the file.
#[test]
fn forward_query_columns_are_put_in_schema_order() {
    let fixture = "//- dialect: forward\n//- datasources/events.datasource\nSCHEMA >\n    `ts` DateTime,\n    `n` UInt32,\n    `country` String\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"ts\"\n\nFORWARD_QUERY >\n    SELECT country, accurateCastOrDefault(n, 'UInt32') AS n,\n        ts\n";
    let f = Fixture::parse(fixture);
    let a = f.analyze();
    let d: Vec<_> = a.diagnostics["datasources/events.datasource"]
        .iter()
        .filter(|d| d.code == "forward-query-order")
        .collect();
    assert_eq!(d.len(), 1, "{d:?}");
    let mut text = f.text("datasources/events.datasource").unwrap().to_string();
    let mut edits = d[0].fixes[0].edits.clone();
    edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
    for e in &edits {
        text.replace_range(e.range.start..e.range.end, &e.new_text);
    }
    assert!(
        text.ends_with("SELECT ts, accurateCastOrDefault(n, 'UInt32') AS n,\n        country\n"),
        "{text}"
    );
    let mut fixed = f.clone();
    fixed.files[0].1 = text.clone();
    assert!(fixed.analyze().diagnostics.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.datasource");
    std::fs::write(&path, &text).unwrap();
    let verdict = &common::tb_oracle(&[path.to_string_lossy().into_owned()], "forward")[0];
    assert_eq!(verdict["forward"]["ok"], true, "{text}\n{verdict}");
}

/// A float column made an integer: the generated FORWARD_QUERY keeps each value's integer part
/// (`accurateCastOrDefault` alone turns 1.5 into 0), and a value out of range becomes the
/// default instead of wrapping around.
#[test]
fn a_float_made_an_integer_keeps_its_integer_part() {
    let (b, h) = (columns("    `f` Float64"), columns("    `f` Int32"));
    let items = forward_query::select_items(&b, &h).join(", ");
    let outcomes = chdb_project::run(&[
        (create("b", &b), false),
        ("INSERT INTO b VALUES (1.5), (-2.7), (1e12)".into(), false),
        (
            format!("SELECT groupArray(f) FROM (SELECT {items} FROM b ORDER BY f)"),
            true,
        ),
    ]);
    assert!(outcomes.iter().all(|o| o.ok), "{items}: {outcomes:?}");
    assert_eq!(
        outcomes[2].rows,
        // (sorted by the converted value: -2.7, 1e12, 1.5)
        vec![vec![serde_json::json!([-2, 0, 1])]],
        "{items}"
    );
}
