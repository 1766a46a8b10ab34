//! Everything the server sends on its own (diagnostics, progress, messages, logs) goes through
//! one queue drained by one task, so it reaches the client in the order it was produced.

use tower_lsp_server::ls_types::{self as lsp, notification, Uri};
use tower_lsp_server::Client;

pub enum Outgoing {
    Publish {
        uri: Uri,
        diagnostics: Vec<lsp::Diagnostic>,
        version: Option<i32>,
    },
    /// `window/workDoneProgress/create`; progress for the token is sent only once the client
    /// accepted it.
    CreateProgress(lsp::ProgressToken),
    Progress(lsp::ProgressParams),
    /// `show`: `window/showMessage` (else `window/logMessage`).
    Message {
        typ: lsp::MessageType,
        text: String,
        show: bool,
    },
    /// Ask a pull-diagnostics client to pull again.
    RefreshDiagnostics,
}

#[derive(Clone)]
pub struct Outbox {
    tx: tokio::sync::mpsc::UnboundedSender<Outgoing>,
}

impl Outbox {
    pub fn new() -> (Outbox, tokio::sync::mpsc::UnboundedReceiver<Outgoing>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        (Outbox { tx }, rx)
    }

    pub fn send(&self, m: Outgoing) {
        let _ = self.tx.send(m);
    }
}

/// Drains the queue into the client, in order. Logs from `tracing` arrive on `logs` (bounded:
/// when the client is slow, log lines are dropped rather than held).
pub async fn deliver(
    client: Client,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Outgoing>,
    mut logs: tokio::sync::mpsc::Receiver<(lsp::MessageType, String)>,
) {
    let mut logs_open = true;
    let mut refused: Vec<lsp::ProgressToken> = Vec::new();
    loop {
        let m = tokio::select! {
            biased;
            m = rx.recv() => match m { Some(m) => m, None => return },
            l = logs.recv(), if logs_open => match l {
                Some((typ, text)) => Outgoing::Message { typ, text, show: false },
                None => {
                    logs_open = false;
                    continue;
                }
            },
        };
        match m {
            Outgoing::Publish {
                uri,
                diagnostics,
                version,
            } => client.publish_diagnostics(uri, diagnostics, version).await,
            Outgoing::CreateProgress(token) => {
                // Awaited here, holding the queue, so no progress goes out before the answer.
                if client
                    .create_work_done_progress(token.clone())
                    .await
                    .is_err()
                {
                    refused.push(token);
                }
            }
            Outgoing::Progress(p) => {
                if !refused.contains(&p.token) {
                    client.send_notification::<notification::Progress>(p).await
                }
            }
            Outgoing::Message { typ, text, show } => {
                if show {
                    client.show_message(typ, text).await
                } else {
                    client.log_message(typ, text).await
                }
            }
            Outgoing::RefreshDiagnostics => {
                // A request: do not hold the queue while the client answers.
                let c = client.clone();
                tokio::spawn(async move {
                    let _ = c.workspace_diagnostic_refresh().await;
                });
            }
        }
    }
}
