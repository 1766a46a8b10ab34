//! Protocol tests: the real `tinybird-lsp serve` binary over stdio, driven by a small client.

#[path = "support/lsp_client.rs"]
mod lsp_client;

use lsp_client::{client_caps, codes, copy_of, fast, project, uri, LspClient};
use serde_json::{json, Value};
use std::time::Duration;

const DS: &str = "SCHEMA >\n    `ts` DateTime,\n    `user_id` String\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"ts\"\n";
const READER: &str =
    "NODE totals\nSQL >\n    SELECT user_id, count() AS hits FROM events GROUP BY user_id\n";

#[test]
fn lifecycle_encoding_and_exit_codes() {
    let dir = project(&[("datasources/events.datasource", DS)]);
    // UTF-8 when offered.
    let mut c = LspClient::spawn(&[]);
    let r = c.initialize(dir.path(), client_caps(true), Value::Null);
    let caps = &r["result"]["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-8");
    assert_eq!(caps["textDocumentSync"]["change"], 2, "incremental sync");
    assert_eq!(r["result"]["serverInfo"]["name"], "tinybird-lsp");
    assert!(caps.get("diagnosticProvider").is_none(), "push client");
    let r = c.request("shutdown", Value::Null);
    assert_eq!(r["result"], Value::Null);
    c.notify("exit", Value::Null);
    // stdin stays open: the process must end by itself, with 0 after shutdown.
    let status = c.wait_exit(Duration::from_secs(5)).expect("exited");
    assert_eq!(status.code(), Some(0));

    // UTF-16 otherwise; exit without shutdown is code 1.
    let mut c = LspClient::spawn(&[]);
    let r = c.initialize(dir.path(), client_caps(false), Value::Null);
    assert_eq!(r["result"]["capabilities"]["positionEncoding"], "utf-16");
    c.notify("exit", Value::Null);
    let status = c.wait_exit(Duration::from_secs(5)).expect("exited");
    assert_eq!(status.code(), Some(1));
}

#[test]
fn indexes_workspace_with_progress_and_publishes_unopened_files() {
    let dir = project(&[
        ("datasources/events.datasource", DS),
        ("pipes/totals.pipe", &READER.replace("events", "evnts")),
    ]);
    let mut c = LspClient::spawn(&[]);
    c.initialize(dir.path(), client_caps(true), fast());
    let create = c.wait_for(|m| m["method"] == "window/workDoneProgress/create");
    let token = create["params"]["token"].clone();
    let begin =
        c.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "begin");
    assert_eq!(begin["params"]["token"], token);
    let end = c.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end");
    assert!(end["params"]["value"]["message"]
        .as_str()
        .unwrap()
        .contains("2 files"));
    // The watcher registration was made dynamically.
    assert!(c
        .received
        .iter()
        .any(|m| m["method"] == "client/registerCapability"
            && m["params"]["registrations"][0]["method"] == "workspace/didChangeWatchedFiles"));
    let pipe = uri(&dir.path().join("pipes/totals.pipe"));
    // Published during indexing, before the progress ended.
    let d = c
        .last_diagnostics(&pipe)
        .expect("published without being opened");
    assert_eq!(codes(&d), vec!["unknown-table"]);
    assert!(
        d["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("events"),
        "did you mean"
    );
    assert_eq!(d["version"], Value::Null, "not open: no version");
}

#[test]
fn open_change_close_with_versions() {
    let dir = project(&[
        ("datasources/events.datasource", DS),
        ("pipes/totals.pipe", READER),
    ]);
    let path = dir.path().join("pipes/totals.pipe");
    let u = uri(&path);
    let mut c = LspClient::spawn(&[]);
    c.initialize(dir.path(), client_caps(false), fast());
    c.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end");
    c.open(&path, READER, 1);
    let d = c.next_diagnostics(&u);
    assert_eq!(d["version"], 1);
    assert!(codes(&d).is_empty());
    // Break the table name with an incremental edit (line 2, "events" → "evnts").
    let line = "    SELECT user_id, count() AS hits FROM events GROUP BY user_id";
    let col = line.find("events").unwrap() as u32;
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 2, "character": col + 1}, "end": {"line": 2, "character": col + 2}}, "text": ""}
        ]}),
    );
    let d = c.next_diagnostics(&u);
    assert_eq!(d["version"], 2);
    assert_eq!(codes(&d), vec!["unknown-table"]);
    let range = &d["diagnostics"][0]["range"];
    assert_eq!(range["start"], json!({"line": 2, "character": col}));
    assert_eq!(range["end"], json!({"line": 2, "character": col + 5}));
    // Close without saving: the file on disk (correct) takes over; no version.
    c.notify("textDocument/didClose", json!({"textDocument": {"uri": u}}));
    let d = c.next_diagnostics(&u);
    assert!(codes(&d).is_empty());
    assert_eq!(d["version"], Value::Null);
}

#[test]
fn edit_in_one_file_republishes_its_dependents() {
    let dir = project(&[
        ("datasources/events.datasource", DS),
        ("datasources/daily.datasource", DS),
        (
            "pipes/base.pipe",
            "NODE n\nSQL >\n    SELECT * FROM events\n",
        ),
        (
            "pipes/reader.pipe",
            "NODE m\nSQL >\n    SELECT * FROM base\n",
        ),
    ]);
    let base = dir.path().join("pipes/base.pipe");
    let reader = uri(&dir.path().join("pipes/reader.pipe"));
    let mut c = LspClient::spawn(&[]);
    c.initialize(dir.path(), client_caps(true), fast());
    c.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end");
    let text = "NODE n\nSQL >\n    SELECT * FROM events\n";
    c.open(&base, text, 1);
    // Make `base` a materialized pipe: `reader` now reads a materialized pipe.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&base), "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 3, "character": 0}, "end": {"line": 3, "character": 0}},
             "text": "\nTYPE materialized\nDATASOURCE daily\n"}
        ]}),
    );
    let d = c.next_diagnostics(&reader);
    assert_eq!(codes(&d), vec!["reads-materialized-pipe"]);
    let related = &d["diagnostics"][0]["relatedInformation"][0]["location"];
    assert_eq!(related["uri"], uri(&base));
    // Undo: the dependent is cleared again.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&base), "version": 3}, "contentChanges": [{"text": text}]}),
    );
    let d = c.next_diagnostics(&reader);
    assert!(codes(&d).is_empty());
}

#[test]
fn watched_file_changes_are_reindexed() {
    let dir = project(&[
        ("datasources/events.datasource", DS),
        ("pipes/totals.pipe", READER),
    ]);
    let pipe = uri(&dir.path().join("pipes/totals.pipe"));
    let mut c = LspClient::spawn(&[]);
    c.initialize(dir.path(), client_caps(true), fast());
    c.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end");
    // A file created outside the editor.
    let extra = dir.path().join("pipes/extra.pipe");
    std::fs::write(&extra, "NODE x\nSQL >\n    SELECT * FROM nowhere\n").unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&extra), "type": 1}]}),
    );
    let d = c.next_diagnostics(&uri(&extra));
    assert_eq!(codes(&d), vec!["unknown-table"]);
    // Deleted: its diagnostics are cleared.
    std::fs::remove_file(&extra).unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&extra), "type": 3}]}),
    );
    let d = c.next_diagnostics(&uri(&extra));
    assert!(codes(&d).is_empty());
    // The datasource deleted (a checkout): its reader now reads an unknown table.
    let ds = dir.path().join("datasources/events.datasource");
    std::fs::remove_file(&ds).unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&ds), "type": 3}]}),
    );
    let d = c.next_diagnostics(&pipe);
    assert_eq!(codes(&d), vec!["unknown-table"]);
    // Restored and changed on disk.
    std::fs::write(&ds, DS).unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&ds), "type": 1}]}),
    );
    let d = c.next_diagnostics(&pipe);
    assert!(codes(&d).is_empty());
    // A whole folder deleted.
    std::fs::remove_dir_all(dir.path().join("datasources")).unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&dir.path().join("datasources")), "type": 3}]}),
    );
    let d = c.next_diagnostics(&pipe);
    assert_eq!(codes(&d), vec!["unknown-table"]);
}

/// The project's `tinybird-lsp.toml` applies in the editor as in `check`: its rule levels and
/// ignores, re-read when it changes on disk; its problems are shown; the editor's settings win.
#[test]
fn the_project_configuration_file_applies_and_is_reread() {
    let dir = project(&[
        ("pipes/totals.pipe", READER),
        (
            "tinybird-lsp.toml",
            "[rules]\nunknown-table = \"error\"\nunknwn-function = \"off\"\n",
        ),
    ]);
    let pipe = uri(&dir.path().join("pipes/totals.pipe"));
    let mut c = LspClient::spawn(&[]);
    c.initialize(dir.path(), client_caps(true), fast());
    let warning = c.wait_for(|m| m["method"] == "window/showMessage");
    assert!(warning["params"]["message"]
        .as_str()
        .unwrap()
        .contains("did you mean `unknown-function`"));
    let d = c.next_diagnostics(&pipe);
    assert_eq!(codes(&d), vec!["unknown-table"]);
    assert_eq!(
        d["diagnostics"][0]["severity"], 1,
        "an error, as the file says"
    );
    // Changed on disk: an ignore for the pipe.
    let toml = dir.path().join("tinybird-lsp.toml");
    std::fs::write(
        &toml,
        "[[ignore]]\nresources = [\"totals\"]\nreason = \"reads a table made by hand\"\n",
    )
    .unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&toml), "type": 2}]}),
    );
    let d = c.next_diagnostics(&pipe);
    assert!(codes(&d).is_empty(), "{d}");
    // The file turns the rule off; the editor's setting turns it back on, as a hint.
    std::fs::write(&toml, "[rules]\nunknown-table = \"off\"\n").unwrap();
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"tinybird": {"rules": {"unknown-table": "hint"}}}}),
    );
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&toml), "type": 2}]}),
    );
    let d = c.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == pipe.as_str()
            && m["params"]["diagnostics"][0]["severity"] == 4
    });
    assert_eq!(codes(&d["params"]), vec!["unknown-table"]);
}

#[test]
fn configuration_changes_severity_disables_rules_and_warns_once() {
    let dir = project(&[("pipes/totals.pipe", READER)]);
    let pipe = uri(&dir.path().join("pipes/totals.pipe"));
    let mut c = LspClient::spawn(&[]);
    c.initialize(
        dir.path(),
        client_caps(true),
        json!({"diagnostics": {"debounceMs": 0}, "bogus": 1}),
    );
    let warning = c.wait_for(|m| m["method"] == "window/showMessage");
    assert_eq!(warning["params"]["type"], 2);
    assert!(warning["params"]["message"]
        .as_str()
        .unwrap()
        .contains("unknown setting `bogus`"));
    let d = c.next_diagnostics(&pipe);
    assert_eq!(d["diagnostics"][0]["severity"], 2);
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"tinybird": {"rules": {"unknown-table": "error"}}}}),
    );
    let d = c.next_diagnostics(&pipe);
    assert_eq!(d["diagnostics"][0]["severity"], 1);
    // Pull model: empty settings make the server ask (workspace/configuration).
    c.configuration = json!({"rules": {"unknown-table": "off"}, "typo": true});
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": null}),
    );
    let d = c.next_diagnostics(&pipe);
    assert!(codes(&d).is_empty());
    let warnings: Vec<&Value> = c
        .received
        .iter()
        .filter(|m| m["method"] == "window/showMessage")
        .collect();
    assert_eq!(
        warnings.len(),
        2,
        "one warning per settings change with problems"
    );
    assert!(warnings[1]["params"]["message"]
        .as_str()
        .unwrap()
        .contains("`typo`"));
}

#[test]
fn a_panicking_handler_gets_an_error_and_the_server_keeps_serving() {
    let dir = project(&[("datasources/events.datasource", DS)]);
    let path = dir.path().join("datasources/events.datasource");
    let mut c = LspClient::spawn(&[]);
    c.initialize(dir.path(), client_caps(true), fast());
    c.open(&path, DS, 1);
    let r = c.request("tinybird/debug/panic", json!({}));
    assert_eq!(r["error"]["code"], -32603);
    assert!(r["error"]["message"]
        .as_str()
        .unwrap()
        .contains("injected panic"));
    let r = c.request("tinybird/debug/panic", json!({"in": "engine"}));
    assert_eq!(r["error"]["code"], -32603);
    // Still serving, with its state intact.
    let r = c.request("tinybird/debug/document", json!({"uri": uri(&path)}));
    assert_eq!(r["result"]["text"], DS);
    let r = c.request(
        "textDocument/foldingRange",
        json!({"textDocument": {"uri": uri(&path)}}),
    );
    assert_eq!(r["result"][0]["startLine"], 0, "{r}");
    let r = c.request("shutdown", Value::Null);
    assert!(r.get("error").is_none());
}

#[test]
fn positions_follow_the_negotiated_encoding() {
    // An error after non-ASCII text on the same line.
    let text =
        "DESCRIPTION >\n    Café 😀 stats\n\nNODE n\nSQL >\n    SELECT 'é😀', x FROM nowhere\n";
    let col_utf8 = "    SELECT 'é😀', x FROM ".len() as u64;
    let col_utf16 = "    SELECT 'é😀', x FROM ".encode_utf16().count() as u64;
    assert_ne!(col_utf8, col_utf16);
    for (utf8, col) in [(true, col_utf8), (false, col_utf16)] {
        let dir = project(&[("pipes/p.pipe", text)]);
        let path = dir.path().join("pipes/p.pipe");
        let mut c = LspClient::spawn(&[]);
        c.initialize(dir.path(), client_caps(utf8), fast());
        c.open(&path, text, 7);
        let d = c.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == 7
        })["params"]
            .clone();
        assert_eq!(codes(&d), vec!["unknown-table"]);
        assert_eq!(
            d["diagnostics"][0]["range"]["start"],
            json!({"line": 5, "character": col})
        );
    }
}

#[test]
fn pull_diagnostics_when_the_client_supports_them() {
    let dir = project(&[("pipes/totals.pipe", READER)]);
    let pipe = uri(&dir.path().join("pipes/totals.pipe"));
    let mut caps = client_caps(true);
    caps["textDocument"]["diagnostic"] = json!({"dynamicRegistration": false});
    caps["workspace"]["diagnostics"] = json!({"refreshSupport": true});
    let mut c = LspClient::spawn(&[]);
    let r = c.initialize(dir.path(), caps, fast());
    assert_eq!(
        r["result"]["capabilities"]["diagnosticProvider"]["workspaceDiagnostics"],
        true
    );
    let r = c.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": pipe}}),
    );
    assert_eq!(r["result"]["kind"], "full");
    assert_eq!(r["result"]["items"][0]["code"], "unknown-table");
    let id = r["result"]["resultId"].clone();
    let r = c.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": pipe}, "previousResultId": id}),
    );
    assert_eq!(r["result"]["kind"], "unchanged");
    let r = c.request("workspace/diagnostic", json!({"previousResultIds": []}));
    let items = r["result"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["uri"], pipe);
    c.drain(Duration::from_millis(300));
    let refreshes = |c: &LspClient| {
        c.received
            .iter()
            .filter(|m| m["method"] == "workspace/diagnostic/refresh")
            .count()
    };
    let before = refreshes(&c);

    // Opening the file changes its version, not its diagnostics: no refresh (a refresh makes
    // the client re-pull every open file) and the result id holds.
    c.open(&dir.path().join("pipes/totals.pipe"), READER, 1);
    let r = c.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": pipe}, "previousResultId": id}),
    );
    assert_eq!(r["result"]["kind"], "unchanged", "{r}");
    c.drain(Duration::from_millis(300));
    assert_eq!(refreshes(&c), before, "opening a file asks for no re-pull");

    // An edit that changes the diagnostics does.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": pipe, "version": 2},
               "contentChanges": [{"text": READER.replace("FROM events", "FROM (SELECT 'a' AS user_id)")}]}),
    );
    c.wait_for(|m| m["method"] == "workspace/diagnostic/refresh");
    let r = c.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": pipe}, "previousResultId": id}),
    );
    assert_eq!(r["result"]["kind"], "full", "{r}");
    assert_eq!(r["result"]["items"], json!([]), "{r}");
    assert!(
        !c.received
            .iter()
            .any(|m| m["method"] == "textDocument/publishDiagnostics"),
        "pull clients get no pushed diagnostics"
    );
}

#[test]
fn cancelled_requests_are_answered_as_cancelled() {
    let dir = project(&[("datasources/events.datasource", DS)]);
    let mut c = LspClient::spawn(&[]);
    c.initialize(dir.path(), client_caps(true), fast());
    let id = c.request_async("tinybird/debug/sleep", json!({"ms": 30000}));
    c.notify("$/cancelRequest", json!({"id": id}));
    let started = std::time::Instant::now();
    let r = c.response(id);
    assert_eq!(r["error"]["code"], -32800, "{r}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let r = c.request("tinybird/debug/stats", json!({}));
    assert_eq!(r["result"]["projects"][0]["files"], 1);
}

#[test]
fn every_workspace_folder_is_indexed() {
    let a = project(&[(
        "pipes/a.pipe",
        "NODE n\nSQL >\n    SELECT * FROM missing_a\n",
    )]);
    let b = project(&[
        (".tinyenv", "VERSION=0.0.1\n"),
        (
            "pipes/b.pipe",
            "NODE n\nSQL >\n    SELECT * FROM missing_b\n",
        ),
    ]);
    let mut c = LspClient::spawn(&[]);
    c.request(
        "initialize",
        json!({
            "processId": null,
            "workspaceFolders": [{"uri": uri(a.path()), "name": "a"}, {"uri": uri(b.path()), "name": "b"}],
            "capabilities": client_caps(true),
            "initializationOptions": fast(),
        }),
    );
    c.notify("initialized", json!({}));
    let r = c.request("tinybird/debug/stats", json!({}));
    let projects = r["result"]["projects"].as_array().unwrap();
    assert_eq!(projects.len(), 2, "{r}");
    for (dir, name) in [(&a, "pipes/a.pipe"), (&b, "pipes/b.pipe")] {
        let d = c.diagnostics_eventually(&uri(&dir.path().join(name)));
        assert_eq!(codes(&d), vec!["unknown-table"]);
    }
}

#[test]
fn workspace_folders_added_and_removed() {
    let a = project(&[("pipes/a.pipe", READER)]);
    let b = project(&[(
        "pipes/b.pipe",
        "NODE n\nSQL >\n    SELECT * FROM missing_b\n",
    )]);
    let b_pipe = uri(&b.path().join("pipes/b.pipe"));
    let mut c = LspClient::spawn(&[]);
    let r = c.initialize(a.path(), client_caps(true), fast());
    assert_eq!(
        r["result"]["capabilities"]["workspace"]["workspaceFolders"]["changeNotifications"],
        true
    );
    c.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [{"uri": uri(b.path()), "name": "b"}], "removed": []}}),
    );
    let d = c.next_diagnostics(&b_pipe);
    assert_eq!(codes(&d), vec!["unknown-table"]);
    c.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [], "removed": [{"uri": uri(b.path()), "name": "b"}]}}),
    );
    let d = c.next_diagnostics(&b_pipe);
    assert!(codes(&d).is_empty(), "cleared when its folder is removed");
    let r = c.request("tinybird/debug/stats", json!({}));
    assert_eq!(r["result"]["projects"].as_array().unwrap().len(), 1);
}

/// The requests the editor commands use: `tinybird/materializedViews` (what "add a column"
/// asks about) and `tinybird/graph`, on the example project; editor-side settings (`server`,
/// `trace`) are accepted without a warning.
#[test]
fn editor_requests_list_materialized_views_and_the_graph() {
    let dir = copy_of("examples/web-sessions");
    let root = uri(dir.path());
    let mut c = LspClient::spawn(&[]);
    let options = json!({"tinybird": {"diagnostics": {"debounceMs": 0}, "server": {"path": "/x"}, "trace": {"server": "off"}}});
    c.initialize(dir.path(), client_caps(true), options);
    c.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end");
    let pipe = uri(&dir.path().join("pipes/visits.pipe"));
    let views = c.request("tinybird/materializedViews", json!({"uri": pipe}));
    let expected = json!({"projects": [{
        "dialect": "classic",
        "root": root,
        "views": [{
            "datasource": "visits_mv",
            "path": "datasources/visits_mv.datasource",
            "uri": uri(&dir.path().join("datasources/visits_mv.datasource")),
            "columns": ["day", "visit_id", "device", "first_seen", "last_seen", "views"],
            "writers": [{"node": "visits.aggregate_visits", "path": "pipes/visits.pipe"}],
            "timeColumns": ["event_time"],
            "migrating": false,
        }],
    }]});
    assert_eq!(views["result"], expected);
    let graph = c.request("tinybird/graph", json!({}));
    let g = &graph["result"]["projects"][0];
    assert_eq!(g["root"], root);
    let names: Vec<&str> = g["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "daily_visits",
            "page_events",
            "page_views",
            "tests/visits.yaml",
            "visit_length",
            "visits",
            "visits_mv"
        ]
    );
    assert_eq!(
        g["nodes"][6]["uri"],
        uri(&dir.path().join("datasources/visits_mv.datasource"))
    );
    assert!(g["edges"]
        .as_array()
        .unwrap()
        .contains(&json!({"from": "visits", "to": "visits_mv", "kind": "materializes_into"})));
    assert!(g["mermaid"].as_str().unwrap().starts_with("flowchart LR"));
    let bad = c.request("tinybird/graph", json!({"uri": 3}));
    assert_eq!(bad["error"]["code"], -32602);
    // No settings warning was shown for the editor-side keys.
    c.drain(Duration::from_millis(200));
    assert!(!c.seen().iter().any(|m| m["method"] == "window/showMessage"
        && m["params"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("unknown setting")));
}

/// Position of the first `needle` in `text` (UTF-8 columns: the test negotiates UTF-8).
fn position_of(text: &str, needle: &str) -> Value {
    let at = text.find(needle).unwrap();
    let line = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": col})
}

#[test]
fn editor_features_over_the_protocol() {
    let dir = copy_of("examples/web-sessions");
    let mut c = LspClient::spawn(&[]);
    let mut caps = client_caps(true);
    caps["workspace"]["workspaceEdit"] = json!({
        "documentChanges": true,
        "resourceOperations": ["create", "rename", "delete"],
        "changeAnnotationSupport": {"groupsOnLabel": true}
    });
    caps["textDocument"]["completion"] = json!({"completionItem": {"snippetSupport": true}});
    c.initialize(dir.path(), caps, json!({"tinybird": fast()}));
    c.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end");
    let path = dir.path().join("pipes/visits.pipe");
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = uri(&path);
    c.open(&path, &text, 1);
    let at = |needle: &str| json!({"textDocument": {"uri": doc}, "position": position_of(&text, needle)});

    let hover = c.request("textDocument/hover", at("page_views"));
    let value = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        value.starts_with("**endpoint pipe** `page_views`"),
        "{value}"
    );
    let hover = c.request("textDocument/hover", at("countState"));
    let value = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        value.contains("`countState` = `count` + `State`"),
        "{value}"
    );

    let def = c.request("textDocument/definition", at("page_views"));
    assert_eq!(
        def["result"][0]["uri"],
        uri(&dir.path().join("pipes/page_views.pipe"))
    );
    let mut refs_params = at("visits_mv\n");
    refs_params["context"] = json!({"includeDeclaration": true});
    let refs = c.request("textDocument/references", refs_params);
    assert!(!refs["result"].as_array().unwrap().is_empty());
    let hl = c.request("textDocument/documentHighlight", at("visit_id,"));
    assert!(hl["result"].as_array().unwrap().len() >= 2, "{hl}");

    let completion = c.request("textDocument/completion", at("page_views\n"));
    let labels: Vec<&str> = completion["result"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(labels.contains(&"page_events"), "{labels:?}");

    let prepare = c.request("textDocument/prepareRename", at("aggregate_visits"));
    assert_eq!(prepare["result"]["placeholder"], "aggregate_visits");
    let refused = c.request("textDocument/prepareRename", at("countState"));
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("cannot be renamed"));
    let mut rename = at("visits_mv\n");
    rename["newName"] = json!("visit_states");
    let edit = c.request("textDocument/rename", rename);
    let ops = edit["result"]["documentChanges"].as_array().unwrap();
    assert!(ops.iter().any(|o| o["kind"] == "rename"
        && o["newUri"]
            .as_str()
            .unwrap()
            .ends_with("datasources/visit_states.datasource")));
    // The open document's edit carries the version it was computed on.
    assert!(
        ops.iter()
            .any(|o| o["textDocument"]["uri"] == doc && o["textDocument"]["version"] == 1),
        "{edit}"
    );
    // Renaming a materialized view's output renames its target's column: an edit to confirm.
    let mut views = at("views\n");
    views["newName"] = json!("view_states");
    let edit = c.request("textDocument/rename", views);
    let notes = edit["result"]["changeAnnotations"]
        .as_object()
        .expect("annotations");
    let (id, note) = notes.iter().next().unwrap();
    assert_eq!(note["needsConfirmation"], true, "{edit}");
    assert!(
        note["label"]
            .as_str()
            .unwrap()
            .contains("datasource `visits_mv`"),
        "{edit}"
    );
    let annotated: Vec<&Value> = edit["result"]["documentChanges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["edits"].as_array().into_iter().flatten())
        .filter(|e| e["annotationId"] == *id)
        .collect();
    assert!(!annotated.is_empty(), "{edit}");
    // The editor renames the file: every reference follows, the move stays the editor's.
    let ds = dir.path().join("datasources/visits_mv.datasource");
    let moved = dir.path().join("datasources/visit_states.datasource");
    let will = c.request(
        "workspace/willRenameFiles",
        json!({"files": [{"oldUri": uri(&ds), "newUri": uri(&moved)}]}),
    );
    let edit = &will["result"];
    let text_edits: Vec<&Value> = match edit["documentChanges"].as_array() {
        Some(ops) => {
            assert!(
                !ops.iter()
                    .any(|o| o["kind"] == "rename" && o["oldUri"] == uri(&ds)),
                "the editor moves the file itself: {edit}"
            );
            ops.iter()
                .filter(|o| o["textDocument"]["uri"] == doc)
                .flat_map(|o| o["edits"].as_array().unwrap())
                .collect()
        }
        None => edit["changes"][doc.as_str()]
            .as_array()
            .unwrap_or_else(|| panic!("no edit of the reader: {edit}"))
            .iter()
            .collect(),
    };
    assert!(
        text_edits.iter().any(|e| e["newText"] == "visit_states"),
        "{edit}"
    );
    let same = c.request(
        "workspace/willRenameFiles",
        json!({"files": [{"oldUri": uri(&ds), "newUri": uri(&dir.path().join("old/visits_mv.datasource"))}]}),
    );
    assert!(
        same["result"].is_null(),
        "a move that keeps the name edits nothing: {same}"
    );
    let mut taken = at("visits_mv\n");
    taken["newName"] = json!("page_views");
    let taken = c.request("textDocument/rename", taken);
    assert!(taken["error"]["message"]
        .as_str()
        .unwrap()
        .contains("already exists"));
    // Names that would take a file out of its folder are refused, for every kind of symbol
    // (a datasource, a node, a column), with nothing to apply.
    for target in ["visits_mv\n", "aggregate_visits", "visit_id,"] {
        for bad in ["../evil", "/tmp/evil", "a/b", "..", "x\\y"] {
            let mut p = at(target);
            p["newName"] = json!(bad);
            let r = c.request("textDocument/rename", p);
            assert!(
                r["result"].is_null() && r["error"]["message"].is_string(),
                "{target} -> {bad}: {r}"
            );
        }
    }

    let symbols = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": doc}}),
    );
    assert_eq!(symbols["result"][0]["name"], "aggregate_visits");
    let ws = c.request("workspace/symbol", json!({"query": "visits"}));
    assert!(ws["result"].as_array().unwrap().len() >= 2);
    let tokens = c.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": doc}}),
    );
    assert!(tokens["result"]["data"].as_array().unwrap().len() > 20);
    let sel = c.request(
        "textDocument/selectionRange",
        json!({"textDocument": {"uri": doc}, "positions": [position_of(&text, "event_time)")]}),
    );
    assert!(sel["result"][0]["parent"].is_object());
    let lens = c.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": doc}}),
    );
    assert_eq!(
        lens["result"][0]["command"]["command"],
        "tinybird.showReferences"
    );
    assert!(lens["result"][0]["command"]["title"]
        .as_str()
        .unwrap()
        .contains("materializes into visits_mv"));
    let links = c.request(
        "textDocument/documentLink",
        json!({"textDocument": {"uri": doc}}),
    );
    // `DATASOURCE visits_mv` opens the datasource's file.
    let targets: Vec<&str> = links["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets.len(), 1, "{links}");
    assert!(
        targets[0].ends_with("/datasources/visits_mv.datasource"),
        "{links}"
    );
    let fmt = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": doc}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    assert_eq!(fmt["result"], json!([]), "the example is formatted");
}

/// The editor process given as `processId` dies without `shutdown` or `exit` (a crash, a kill):
/// the server does not live on as an orphan, it exits once it sees the process gone.
#[test]
fn the_server_exits_when_the_editor_process_is_gone() {
    let dir = project(&[("pipes/a.pipe", READER)]);
    let mut editor = std::process::Command::new("sleep")
        .arg("2")
        .spawn()
        .expect("run sleep");
    let mut c = LspClient::spawn(&[]);
    c.request(
        "initialize",
        json!({
            "processId": editor.id(),
            "rootUri": uri(dir.path()),
            "capabilities": client_caps(true),
            "initializationOptions": fast(),
        }),
    );
    c.notify("initialized", json!({}));
    assert!(
        c.wait_exit(Duration::from_millis(500)).is_none(),
        "the server stopped while the editor was running"
    );
    // Reaped: a dead process that nobody waited for still exists as a zombie.
    editor.wait().unwrap();
    let status = c
        .wait_exit(Duration::from_secs(20))
        .expect("the server is still running after the editor process is gone");
    assert_eq!(status.code(), Some(1));
}

/// A message that is not JSON (framing intact) gets the JSON-RPC parse error (-32700, id
/// null) and the session goes on: the next request is answered as usual.
#[test]
fn a_malformed_message_gets_a_parse_error_and_the_server_keeps_serving() {
    let dir = project(&[("pipes/a.pipe", READER)]);
    let mut c = LspClient::spawn(&[]);
    c.initialize(dir.path(), client_caps(true), fast());
    c.send_raw("{\"jsonrpc\": \"2.0\", \"id\": 7, \"method\": ");
    let error = c.wait_for(|m| m["id"].is_null() && m.get("error").is_some());
    assert_eq!(error["error"]["code"], -32700, "{error}");
    let r = c.request("workspace/symbol", json!({"query": "a"}));
    assert!(r["result"].is_array(), "{r}");
    let r = c.request("shutdown", Value::Null);
    assert_eq!(r["result"], Value::Null);
}

/// A diagnostic of SQL offers a quick fix that ignores it inline; applied, the diagnostic goes
/// and the ignore is not reported as unused.
#[test]
fn a_sql_diagnostic_can_be_ignored_inline_by_a_quick_fix() {
    let dir = project(&[("pipes/totals.pipe", READER)]);
    let path = dir.path().join("pipes/totals.pipe");
    let u = uri(&path);
    let mut c = LspClient::spawn(&[]);
    c.initialize(dir.path(), client_caps(true), fast());
    c.open(&path, READER, 1);
    let d = c.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == u.as_str()
            && m["params"]["version"] == 1
    })["params"]
        .clone();
    assert_eq!(codes(&d), vec!["unknown-table"]);
    let r = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": u}, "range": d["diagnostics"][0]["range"], "context": {"diagnostics": []}}),
    );
    let action = r["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .unwrap()
                .starts_with("Ignore `unknown-table`")
        })
        .expect("the ignore quick fix")
        .clone();
    let edit = &action["edit"]["changes"][u.as_str()][0];
    assert_eq!(edit["range"]["start"]["line"], 2);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [
            {"range": edit["range"], "text": edit["newText"]}
        ]}),
    );
    let d = c.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == u.as_str()
            && m["params"]["version"] == 2
    })["params"]
        .clone();
    assert!(codes(&d).is_empty(), "{d}");
}
