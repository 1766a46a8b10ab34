//! Protocol tests of the migration code actions: quick fixes, resource operations and lazy
//! resolution, over the real `tinybird-lsp serve` binary.

#[path = "support/lsp_client.rs"]
mod lsp_client;

use lsp_client::{client_caps, codes, copy_of, fast, project, uri, LspClient};
use serde_json::{json, Value};
use std::time::Duration;

const DS: &str = "SCHEMA >\n    `ts` DateTime,\n    `user_id` String\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"ts\"\n";
const READER: &str =
    "NODE totals\nSQL >\n    SELECT user_id, count() AS hits FROM events GROUP BY user_id\n";

#[test]
fn quick_fix_repoints_a_dependent_of_a_completed_migration() {
    let legacy = "SCHEMA >\n    `date` Date,\n    `hits` AggregateFunction(count)\n\nENGINE \"AggregatingMergeTree\"\nENGINE_SORTING_KEY \"date\"\n";
    let new = "SCHEMA >\n    `date` Date,\n    `env` SimpleAggregateFunction(any, String),\n    `hits` AggregateFunction(count)\n\nENGINE \"AggregatingMergeTree\"\nENGINE_SORTING_KEY \"date\"\n";
    let hits = "SCHEMA >\n    `ts` DateTime,\n    `env` String\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"ts\"\n";
    let mv = |target: &str, filter: &str| {
        format!("NODE n\nSQL >\n    SELECT toDate(ts) AS date, anySimpleState(env) AS env, countState() AS hits\n    FROM hits\n    {filter}\n    GROUP BY date\n\nTYPE materialized\nDATASOURCE {target}\n")
    };
    let api = "NODE e\nSQL >\n    SELECT date, countMerge(hits) AS hits FROM daily GROUP BY date\n\nTYPE endpoint\n";
    let dir = project(&[
        ("datasources/hits.datasource", hits),
        ("datasources/daily.datasource", legacy),
        ("datasources/daily_v2.datasource", new),
        (
            "pipes/daily.pipe",
            &mv("daily", "").replace("anySimpleState(env) AS env, ", ""),
        ),
        (
            "pipes/daily_v2.pipe",
            &mv("daily_v2", "WHERE ts > '2024-05-28 00:00:00'"),
        ),
        (
            "pipes/daily_v2_backfill.pipe",
            &mv("daily_v2", "WHERE ts <= '2024-05-28 00:00:00'"),
        ),
        ("pipes/api.pipe", api),
    ]);
    let path = dir.path().join("pipes/api.pipe");
    let u = uri(&path);
    let mut c = LspClient::spawn(&[]);
    c.initialize(
        dir.path(),
        client_caps(false),
        json!({"diagnostics": {"debounceMs": 0}, "migration": {"now": "2024-06-01 00:00:00"}}),
    );
    c.open(&path, api, 1);
    let d = c.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == u
            && m["params"]["version"] == 1
    })["params"]
        .clone();
    assert_eq!(codes(&d), vec!["migration-unrepointed-dependent"]);
    let range = d["diagnostics"][0]["range"].clone();
    let r = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": u}, "range": range, "context": {"diagnostics": []}}),
    );
    let action = &r["result"][0];
    assert_eq!(action["title"], "Repoint to `daily_v2`");
    assert_eq!(action["kind"], "quickfix");
    let edits = action["edit"]["changes"][&u].as_array().unwrap();
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0]["newText"], "daily_v2");
    // The client applies the edit.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [
            {"range": edits[0]["range"], "text": "daily_v2"}
        ]}),
    );
    let d = c.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == u
            && m["params"]["version"] == 2
    })["params"]
        .clone();
    assert!(codes(&d).is_empty(), "{d}");
    let r = c.request("tinybird/debug/document", json!({"uri": u}));
    assert!(r["result"]["text"]
        .as_str()
        .unwrap()
        .contains("FROM daily_v2 GROUP BY"));
}

/// The migration actions through LSP: a refactoring on a target's SCHEMA whose WorkspaceEdit
/// creates the new files (resource operations), `workspace/executeCommand` `tinybird.migrate`
/// sending `workspace/applyEdit`, and a client without resource operations told why not.
#[test]
fn migration_actions_create_files_with_resource_operations() {
    let dir = copy_of("tests/fixtures/migration/base");
    let path = dir
        .path()
        .join("datasources/analytics_sessions_mv.datasource");
    let text = std::fs::read_to_string(&path).unwrap();
    let u = uri(&path);
    let options =
        json!({"diagnostics": {"debounceMs": 0}, "migration": {"now": "2023-11-07 10:00:00"}});
    let schema_line =
        json!({"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 4}});
    // Starts a client with `caps` and returns the add-column action offered on the SCHEMA.
    let add_column_action = |caps: Value| {
        let mut c = LspClient::spawn(&[]);
        c.initialize(dir.path(), caps, options.clone());
        c.open(&path, &text, 1);
        let r = c.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": u}, "range": schema_line, "context": {"diagnostics": []}}),
        );
        let action = r["result"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| {
                a["title"]
                    == "Add column to materialized view `analytics_sessions_mv` (safe migration)"
            })
            .unwrap_or_else(|| panic!("no add-column action: {r}"))
            .clone();
        (c, action)
    };
    // A client with resource operations.
    let mut caps = client_caps(false);
    caps["workspace"]["workspaceEdit"] =
        json!({"documentChanges": true, "resourceOperations": ["create", "rename", "delete"]});
    caps["textDocument"]["codeAction"] = json!({"disabledSupport": true});
    let (mut c, action) = add_column_action(caps);
    assert_eq!(action["kind"], "refactor.rewrite");
    let ops = action["edit"]["documentChanges"].as_array().unwrap();
    assert_eq!(ops[0]["kind"], "create");
    assert!(ops[0]["uri"]
        .as_str()
        .unwrap()
        .ends_with("datasources/analytics_sessions_mv_1.datasource"));
    assert_eq!(ops[0]["options"]["overwrite"], false);
    assert!(ops[1]["edits"][0]["newText"]
        .as_str()
        .unwrap()
        .contains("`new_column` SimpleAggregateFunction(any, String)"));
    assert!(ops.iter().any(|o| o["kind"] == "create"
        && o["uri"]
            .as_str()
            .unwrap()
            .ends_with("pipes/analytics_sessions_1.pipe")));
    assert_eq!(action["command"]["command"], "tinybird.migrationNotes");
    // The command, with the column's inputs: the server asks the client to apply the edit.
    let r = c.request(
        "workspace/executeCommand",
        json!({"command": "tinybird.migrate", "arguments": [{
            "action": "add-column", "datasource": "analytics_sessions_mv",
            "column": {"name": "environment", "type": "SimpleAggregateFunction(any, String)",
                       "expression": "anySimpleState(environment)"}}]}),
    );
    assert!(
        r["result"]["notes"]
            .as_array()
            .is_some_and(|n| !n.is_empty()),
        "{r}"
    );
    let apply = c
        .received
        .iter()
        .find(|m| m["method"] == "workspace/applyEdit")
        .expect("the server asked the client to apply the edit")
        .clone();
    let created: Vec<&Value> = apply["params"]["edit"]["documentChanges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "create")
        .collect();
    assert_eq!(created.len(), 2, "{apply}");
    let text_of_new = apply["params"]["edit"]["documentChanges"][1]["edits"][0]["newText"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text_of_new.contains("`environment` SimpleAggregateFunction(any, String)"));
    // A name collision is refused with the reason; bad arguments too.
    let r = c.request(
        "workspace/executeCommand",
        json!({"command": "tinybird.migrate", "arguments": [{"action": "add-column", "datasource": "nope"}]}),
    );
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no datasource"),
        "{r}"
    );
    c.request("shutdown", Value::Null);
    c.notify("exit", Value::Null);
    c.wait_exit(Duration::from_secs(10));
    // A client without resource operations: the action is shown disabled, with the reason.
    let mut caps = client_caps(false);
    caps["textDocument"]["codeAction"] = json!({"disabledSupport": true});
    let (mut c, action) = add_column_action(caps);
    assert!(action["disabled"]["reason"]
        .as_str()
        .unwrap()
        .contains("cannot create"));
    assert!(action.get("edit").is_none() || action["edit"].is_null());
    c.request("shutdown", Value::Null);
    c.notify("exit", Value::Null);
    c.wait_exit(Duration::from_secs(10));
}

/// A client that resolves code actions lazily gets the migration steps without their edits,
/// and each edit when it resolves the action: the same edit as computed eagerly. A step that
/// cannot be carried out any more comes back disabled, with the reason shown.
#[test]
fn migration_actions_are_resolved_lazily_when_the_client_can() {
    let dir = copy_of("tests/fixtures/migration/base");
    let path = dir
        .path()
        .join("datasources/analytics_sessions_mv.datasource");
    let text = std::fs::read_to_string(&path).unwrap();
    let u = uri(&path);
    let options =
        json!({"diagnostics": {"debounceMs": 0}, "migration": {"now": "2023-11-07 10:00:00"}});
    let schema_line =
        json!({"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 4}});
    let title = "Add column to materialized view `analytics_sessions_mv` (safe migration)";
    let action_of = |c: &mut LspClient| {
        let r = c.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": u}, "range": schema_line, "context": {"diagnostics": []}}),
        );
        r["result"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["title"] == title)
            .unwrap_or_else(|| panic!("no add-column action: {r}"))
            .clone()
    };
    let mut caps = client_caps(false);
    caps["workspace"]["workspaceEdit"] =
        json!({"documentChanges": true, "resourceOperations": ["create", "rename", "delete"]});
    caps["textDocument"]["codeAction"] = json!({"disabledSupport": true});
    // Eager: the edit comes with the action.
    let mut eager = LspClient::spawn(&[]);
    eager.initialize(dir.path(), caps.clone(), options.clone());
    eager.open(&path, &text, 1);
    let expected = action_of(&mut eager);
    assert!(expected["edit"].is_object(), "{expected}");
    eager.request("shutdown", Value::Null);
    eager.notify("exit", Value::Null);
    eager.wait_exit(Duration::from_secs(10));
    // Lazy: no edit, data to resolve it with.
    caps["textDocument"]["codeAction"] =
        json!({"disabledSupport": true, "resolveSupport": {"properties": ["edit"]}});
    let mut c = LspClient::spawn(&[]);
    let init = c.initialize(dir.path(), caps, options);
    assert_eq!(
        init["result"]["capabilities"]["codeActionProvider"]["resolveProvider"],
        true
    );
    c.open(&path, &text, 1);
    let action = action_of(&mut c);
    assert!(
        action.get("edit").is_none() || action["edit"].is_null(),
        "{action}"
    );
    assert!(action["data"].is_object(), "{action}");
    let resolved = c.request("codeAction/resolve", action.clone());
    assert_eq!(resolved["result"]["edit"], expected["edit"], "{resolved}");
    assert_eq!(resolved["result"]["command"], expected["command"]);
    assert_eq!(resolved["result"]["title"], title);
    // The project changed so that the step is no longer offered there.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"text": ""}]}),
    );
    let stale = c.request("codeAction/resolve", action);
    assert!(
        stale["result"]["disabled"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("changed")),
        "{stale}"
    );
    // The reason is shown too (it may arrive before or after the response).
    let shown = |m: &Value| {
        m["method"] == "window/showMessage"
            && m["params"]["message"]
                .as_str()
                .is_some_and(|t| t.contains("changed"))
    };
    if !c.received.iter().any(shown) {
        c.wait_for(shown);
    }
    c.request("shutdown", Value::Null);
    c.notify("exit", Value::Null);
    c.wait_exit(Duration::from_secs(10));
}

/// A client that cannot watch files (Neovim on Linux): the server watches the workspace itself,
/// so a file created, changed or deleted on disk is seen without any notification.
#[test]
fn the_server_watches_files_when_the_client_cannot() {
    let dir = project(&[
        ("datasources/events.datasource", DS),
        ("pipes/totals.pipe", READER),
    ]);
    let pipe = uri(&dir.path().join("pipes/totals.pipe"));
    let mut caps = client_caps(true);
    caps["workspace"]["didChangeWatchedFiles"] = json!({"dynamicRegistration": false});
    let mut c = LspClient::spawn(&[]);
    c.initialize(dir.path(), caps, fast());
    c.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end");
    let extra = dir.path().join("pipes/extra.pipe");
    std::fs::write(&extra, "NODE x\nSQL >\n    SELECT * FROM nowhere\n").unwrap();
    // The watcher may see the file created empty first (nothing to report), then written.
    let extra_uri = uri(&extra);
    let d = c.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == extra_uri
            && !codes(&m["params"]).is_empty()
    });
    assert_eq!(codes(&d["params"]), vec!["unknown-table"]);
    let ds = dir.path().join("datasources/events.datasource");
    std::fs::remove_file(&ds).unwrap();
    c.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == pipe
            && codes(&m["params"]) == vec!["unknown-table"]
    });
    std::fs::write(&ds, DS).unwrap();
    c.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == pipe
            && codes(&m["params"]).is_empty()
    });
}
