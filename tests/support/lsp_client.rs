//! A small LSP client for the protocol tests: starts the real `tinybird-lsp` binary, speaks
//! JSON-RPC over its stdio, records every message the server sends, and answers the server's
//! own requests (registrations, progress tokens, configuration).

#![allow(dead_code)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(20);

pub struct LspClient {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Value>,
    next_id: i64,
    /// Every message received from the server, in order.
    pub received: Vec<Value>,
    /// How many of `received` `wait_for` has already looked at.
    cursor: usize,
    /// The answer to `workspace/configuration`.
    pub configuration: Value,
}

pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

impl LspClient {
    pub fn spawn(env: &[(&str, &str)]) -> LspClient {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tinybird-lsp"));
        cmd.arg("serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // TINYBIRD_LSP_TEST_STDERR=1 shows the server's log (for debugging tests).
            .stderr(if std::env::var_os("TINYBIRD_LSP_TEST_STDERR").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .env("TINYBIRD_LSP_DEBUG", "1");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start tinybird-lsp");
        let stdout = child.stdout.take().unwrap();
        let stdin = child.stdin.take();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = None;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; len.expect("Content-Length header")];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                let v: Value = serde_json::from_slice(&body).expect("server sent invalid JSON");
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        LspClient {
            child,
            stdin,
            rx,
            next_id: 1,
            received: Vec::new(),
            cursor: 0,
            configuration: Value::Null,
        }
    }

    pub fn send(&mut self, v: &Value) {
        let body = serde_json::to_string(v).unwrap();
        let stdin = self.stdin.as_mut().expect("stdin open");
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        stdin.flush().unwrap();
    }

    /// Sends a body as is, framed (to send what is not JSON).
    pub fn send_raw(&mut self, body: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        stdin.flush().unwrap();
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request without waiting; returns its id.
    pub fn request_async(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Sends a request and waits for its response (the whole message: `result` or `error`).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.request_async(method, params);
        self.response(id)
    }

    pub fn response(&mut self, id: i64) -> Value {
        if let Some(m) = self
            .received
            .iter()
            .find(|m| m["id"] == json!(id) && m.get("method").is_none())
        {
            return m.clone();
        }
        self.wait_for(|m| m["id"] == json!(id) && m.get("method").is_none())
    }

    /// Receives one message (answering it if it is a request from the server).
    fn recv(&mut self, timeout: Duration) -> Option<Value> {
        match self.rx.recv_timeout(timeout) {
            Ok(m) => {
                if let (Some(method), Some(id)) = (m.get("method"), m.get("id")) {
                    let result = match method.as_str() {
                        Some("workspace/configuration") => json!([self.configuration.clone()]),
                        // The edit is recorded in `received`; applying it is the test's job.
                        Some("workspace/applyEdit") => json!({"applied": true}),
                        _ => Value::Null,
                    };
                    let id = id.clone();
                    self.send(&json!({"jsonrpc": "2.0", "id": id, "result": result}));
                }
                self.received.push(m.clone());
                Some(m)
            }
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => None,
        }
    }

    /// The first message not yet looked at that matches; panics after [`TIMEOUT`].
    pub fn wait_for(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            while self.cursor < self.received.len() {
                let m = &self.received[self.cursor];
                self.cursor += 1;
                if pred(m) {
                    return m.clone();
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.recv(left).is_none() && Instant::now() >= deadline {
                panic!(
                    "timed out; last messages: {:#?}",
                    &self.received[self.received.len().saturating_sub(5)..]
                );
            }
        }
    }

    /// Every message received so far.
    #[allow(dead_code)]
    pub fn seen(&self) -> &[Value] {
        &self.received
    }

    /// Receives until the server has been silent for `quiet`.
    pub fn drain(&mut self, quiet: Duration) {
        while self.recv(quiet).is_some() {}
    }

    /// The next `publishDiagnostics` for `uri`.
    pub fn next_diagnostics(&mut self, uri: &str) -> Value {
        self.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        })["params"]
            .clone()
    }

    /// The diagnostics of `uri`: the last received, or else the next.
    pub fn diagnostics_eventually(&mut self, uri: &str) -> Value {
        match self.last_diagnostics(uri) {
            Some(d) => d,
            None => self.next_diagnostics(uri),
        }
    }

    /// The last `publishDiagnostics` received for `uri`, if any.
    pub fn last_diagnostics(&self, uri: &str) -> Option<Value> {
        self.received
            .iter()
            .rev()
            .find(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri)
            .map(|m| m["params"].clone())
    }

    pub fn initialize(&mut self, root: &Path, capabilities: Value, options: Value) -> Value {
        let r = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri(root),
                "workspaceFolders": [{"uri": uri(root), "name": "ws"}],
                "capabilities": capabilities,
                "initializationOptions": options,
            }),
        );
        self.notify("initialized", json!({}));
        r
    }

    pub fn open(&mut self, path: &Path, text: &str, version: i64) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(path), "languageId": "tinybird", "version": version, "text": text}}),
        );
    }

    /// Closes stdin's write side? No: keeps it open, as some clients do, and waits for exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(s) = self.child.try_wait().unwrap() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for LspClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Capabilities of a typical modern client (VS Code-like), push diagnostics.
pub fn client_caps(utf8: bool) -> Value {
    json!({
        "general": {"positionEncodings": if utf8 { json!(["utf-8", "utf-16"]) } else { json!(["utf-16"]) }},
        "window": {"workDoneProgress": true},
        "workspace": {
            "didChangeWatchedFiles": {"dynamicRegistration": true},
            "configuration": true,
        },
        "textDocument": {"publishDiagnostics": {"versionSupport": true}},
    })
}

/// Writes a project into a fresh temporary folder.
pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

pub fn codes(diags: &Value) -> Vec<String> {
    diags["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect()
}

/// A copy of a project of this repository in a fresh temporary folder.
pub fn copy_of(rel: &str) -> tempfile::TempDir {
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let files: Vec<(String, String)> = disk::walk(&base)
        .into_iter()
        .map(|rel| {
            let t = std::fs::read_to_string(base.join(&rel)).unwrap();
            (rel, t)
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    project(&refs)
}

pub fn fast() -> Value {
    json!({"diagnostics": {"debounceMs": 0}})
}
