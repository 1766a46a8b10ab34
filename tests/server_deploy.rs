//! The deploy plan in the editor, over the protocol: the base read from git (the default
//! merge-base, HEAD, or the `deploy.base` setting), change-aware diagnostics, the deploy lens
//! and hover, the `tinybird/plan` request, and a re-plan when HEAD moves. The repositories are
//! built by the tests.

mod common;
#[path = "support/lsp_client.rs"]
mod lsp_client;

use lsp_client::{client_caps, codes, project, uri, LspClient};
use serde_json::{json, Value};

use common::git;

const BASE: &str = "SCHEMA >\n    `ts` DateTime,\n    `country` String\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"ts\"\n";
const RETYPED: &str = "SCHEMA >\n    `ts` DateTime,\n    `country` LowCardinality(String)\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"ts\"\n";

fn options(base: Value) -> Value {
    json!({"dialect": "forward", "diagnostics": {"debounceMs": 0}, "deploy": {"base": base}})
}

/// A Forward project committed with `country String`, retyped in the working tree.
fn repo() -> tempfile::TempDir {
    let dir = project(&[("datasources/events.datasource", BASE)]);
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    std::fs::write(dir.path().join("datasources/events.datasource"), RETYPED).unwrap();
    dir
}

fn position_of(text: &str, needle: &str) -> Value {
    let at = text.find(needle).unwrap();
    let line = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": col + 2})
}

#[test]
fn the_plan_follows_head_and_the_setting() {
    let dir = repo();
    let ds = dir.path().join("datasources/events.datasource");
    let ds_uri = uri(&ds);
    let mut c = LspClient::spawn(&[]);
    c.initialize(dir.path(), client_caps(true), options(json!("auto")));
    // The default base is HEAD (no upstream): the retype needs a FORWARD_QUERY.
    let d = c.diagnostics_eventually(&ds_uri);
    assert_eq!(codes(&d), vec!["needs-forward-query"]);

    // The lens says how the datasource deploys and opens the plan.
    let lenses = c.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": ds_uri}}),
    );
    let deploy: Vec<&Value> = lenses["result"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["command"]["command"] == "tinybird.showDeployPlan")
        .collect();
    assert_eq!(deploy.len(), 1, "{lenses}");
    assert_eq!(
        deploy[0]["command"]["title"],
        "deploys as: REFUSED: the deploy fails"
    );
    assert_eq!(deploy[0]["command"]["arguments"][0], ds_uri.as_str());

    // The hover on the retyped column says why.
    let hover = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": ds_uri}, "position": position_of(RETYPED, "LowCardinality")}),
    );
    let md = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(md.contains("**Deploy** against `"), "{hover}");
    assert!(
        md.contains("This change: column `country` String → LowCardinality(String)"),
        "{md}"
    );

    // The plan request: the text a reviewer reads and the JSON of `plan --format json`.
    let head = git(dir.path(), &["rev-parse", "HEAD"]);
    let plan = c.request("tinybird/plan", json!({"uri": ds_uri}));
    let p = &plan["result"]["projects"][0];
    assert_eq!(p["base"], head.as_str(), "{plan}");
    assert_eq!(p["baseLabel"], "HEAD");
    assert_eq!(p["plan"]["changes"][0]["method"], "refused");
    assert_eq!(p["plan"]["changes"][0]["uri"], ds_uri.as_str());
    let text = p["text"].as_str().unwrap();
    assert!(
        text.starts_with(&format!(
            "Deploy plan against {} (HEAD), Forward",
            &head[..7]
        )),
        "{text}"
    );
    assert!(
        text.contains("changed datasource `events` (datasources/events.datasource): REFUSED"),
        "{text}"
    );

    // Committed: HEAD moves, the files are the deployed version's, nothing is left to say.
    git(dir.path(), &["commit", "-q", "-am", "retype"]);
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&dir.path().join(".git/refs/heads/main")), "type": 2}]}),
    );
    let d = c.next_diagnostics(&ds_uri);
    assert!(codes(&d).is_empty(), "{d}");
    let plan = c.request("tinybird/plan", json!({}));
    let text = plan["result"]["projects"][0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.contains("Nothing to deploy"), "{text}");
    let lenses = c.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": ds_uri}}),
    );
    assert!(!lenses.to_string().contains("showDeployPlan"), "{lenses}");

    // The setting names another base: the change is back.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": options(json!("HEAD~1"))}),
    );
    let d = c.next_diagnostics(&ds_uri);
    assert_eq!(codes(&d), vec!["needs-forward-query"]);

    // A revision that does not exist: said once, and the change-aware rules are left out.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": options(json!("no-such-branch"))}),
    );
    let shown = c.wait_for(|m| m["method"] == "window/showMessage");
    let msg = shown["params"]["message"].as_str().unwrap();
    assert!(msg.contains("`no-such-branch` is not a revision"), "{msg}");
    let d = c.next_diagnostics(&ds_uri);
    assert!(codes(&d).is_empty(), "{d}");
    let plan = c.request("tinybird/plan", json!({}));
    let p = &plan["result"]["projects"][0];
    assert!(p["plan"].is_null() && p["text"].is_null(), "{plan}");
    assert!(
        p["note"].as_str().unwrap().contains("no-such-branch"),
        "{plan}"
    );

    // Off: no plan either.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": options(json!("off"))}),
    );
    let plan = c.request("tinybird/plan", json!({}));
    assert!(plan["result"]["projects"][0]["plan"].is_null(), "{plan}");
}

/// A client that cannot watch files (Neovim on Linux): the server's own watcher sees the commit.
#[test]
fn a_commit_is_seen_without_the_client_watching() {
    let dir = repo();
    let ds_uri = uri(&dir.path().join("datasources/events.datasource"));
    let mut caps = client_caps(true);
    caps["workspace"]["didChangeWatchedFiles"] = json!({"dynamicRegistration": false});
    let mut c = LspClient::spawn(&[]);
    c.initialize(dir.path(), caps, options(Value::Null));
    let d = c.diagnostics_eventually(&ds_uri);
    assert_eq!(codes(&d), vec!["needs-forward-query"]);
    git(dir.path(), &["commit", "-q", "-am", "retype"]);
    let d = c.next_diagnostics(&ds_uri);
    assert!(codes(&d).is_empty(), "{d}");
}

/// A commit made after the first analysis read the base but before the server's own watcher
/// began is seen all the same: the server looks at HEAD once when it starts watching (under
/// load, CI saw such a commit go unnoticed). The test widens that moment to 1.5 s.
#[test]
fn a_commit_before_the_watch_begins_is_seen() {
    let dir = repo();
    let ds_uri = uri(&dir.path().join("datasources/events.datasource"));
    let mut caps = client_caps(true);
    caps["workspace"]["didChangeWatchedFiles"] = json!({"dynamicRegistration": false});
    let mut c = LspClient::spawn(&[("TINYBIRD_LSP_TEST_WATCH_DELAY_MS", "1500")]);
    c.initialize(dir.path(), caps, options(Value::Null));
    let d = c.diagnostics_eventually(&ds_uri);
    assert_eq!(codes(&d), vec!["needs-forward-query"]);
    git(dir.path(), &["commit", "-q", "-am", "retype"]);
    let d = c.next_diagnostics(&ds_uri);
    assert!(codes(&d).is_empty(), "{d}");
}

/// Outside git: no plan, no message, the rest works.
#[test]
fn no_repository_no_plan() {
    let dir = project(&[("datasources/events.datasource", RETYPED)]);
    let ds_uri = uri(&dir.path().join("datasources/events.datasource"));
    let mut c = LspClient::spawn(&[]);
    c.initialize(dir.path(), client_caps(true), options(json!("auto")));
    c.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end");
    let plan = c.request("tinybird/plan", json!({"uri": ds_uri}));
    let p = &plan["result"]["projects"][0];
    assert!(p["plan"].is_null(), "{plan}");
    assert!(
        p["note"]
            .as_str()
            .unwrap()
            .contains("not in a git repository"),
        "{plan}"
    );
    assert!(!c.seen().iter().any(|m| m["method"] == "window/showMessage"));
    assert!(c
        .last_diagnostics(&ds_uri)
        .is_none_or(|d| codes(&d).is_empty()));
}

/// Two projects in one repository (a monorepo): each is planned against its own folder at the
/// shared base commit, and a commit re-plans both.
#[test]
fn projects_of_one_repository_share_the_base() {
    let dir = project(&[
        ("one/datasources/events.datasource", BASE),
        ("two/datasources/events.datasource", BASE),
    ]);
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    for p in ["one", "two"] {
        std::fs::write(
            dir.path().join(p).join("datasources/events.datasource"),
            RETYPED,
        )
        .unwrap();
    }
    let uris: Vec<String> = ["one", "two"]
        .iter()
        .map(|p| uri(&dir.path().join(p).join("datasources/events.datasource")))
        .collect();
    let mut c = LspClient::spawn(&[]);
    c.initialize(dir.path(), client_caps(true), options(json!("auto")));
    for u in &uris {
        let d = c.diagnostics_eventually(u);
        assert_eq!(codes(&d), vec!["needs-forward-query"], "{u}");
    }
    git(dir.path(), &["commit", "-q", "-am", "retype"]);
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&dir.path().join(".git/refs/heads/main")), "type": 2}]}),
    );
    for u in &uris {
        let d = c.next_diagnostics(u);
        assert!(codes(&d).is_empty(), "{u}: {d}");
    }
    let plan = c.request("tinybird/plan", json!({}));
    let projects = plan["result"]["projects"].as_array().unwrap();
    assert_eq!(projects.len(), 2, "{plan}");
    let head = git(dir.path(), &["rev-parse", "HEAD"]);
    for p in projects {
        assert_eq!(p["base"], head.as_str(), "{plan}");
    }
}
