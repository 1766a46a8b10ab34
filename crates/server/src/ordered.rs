//! The transport-side guarantees, as a tower middleware around the LSP service:
//!
//! - **Ordered text synchronisation.** The transport calls `Service::call` once per message, in
//!   wire order, on one task. Here, synchronously inside `call`, the document notifications
//!   (`didOpen`, `didChange`, `didClose`, `didSave`, `didChangeWatchedFiles`) are put on the
//!   engine's queue and never reach a concurrently running handler. No two edits can
//!   interleave, whatever any handler does or awaits (tower-lsp issue #284).
//! - **No panic reaches the client.** Every handler future runs under `catch_unwind`: a panic
//!   is logged, the request gets an InternalError response, and the server keeps serving.
//! - **Exit.** `exit` ends the process with 0 after `shutdown`, 1 otherwise, even if the
//!   client keeps stdin open.

use super::engine::{panic_message, EngineHandle, Msg, Negotiated};
use futures::future::{self, BoxFuture, FutureExt};
use serde::de::DeserializeOwned;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::Service;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Request, Response};
use tower_lsp_server::ls_types as lsp;
use tower_lsp_server::ExitedError;

pub struct Ordered<S> {
    inner: S,
    engine: EngineHandle,
    shutdown: Arc<AtomicBool>,
    exit_code: Arc<AtomicI32>,
}

impl<S> Ordered<S> {
    pub fn new(inner: S, engine: EngineHandle, exit_code: Arc<AtomicI32>) -> Self {
        Ordered {
            inner,
            engine,
            shutdown: Arc::new(AtomicBool::new(false)),
            exit_code,
        }
    }
}

fn params<T: DeserializeOwned>(req: &Request) -> Option<T> {
    let value = req.params()?.clone();
    match serde_json::from_value(value) {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::warn!("invalid params for {}: {e}", req.method());
            None
        }
    }
}

impl<S> Service<Request> for Ordered<S>
where
    S: Service<Request, Response = Option<Response>, Error = ExitedError>,
    S::Future: Send + 'static,
{
    type Response = Option<Response>;
    type Error = ExitedError;
    type Future = BoxFuture<'static, Result<Option<Response>, ExitedError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ExitedError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let sync = match req.method() {
            "textDocument/didOpen" => Some(params(&req).map(Msg::Open)),
            "textDocument/didChange" => Some(params(&req).map(Msg::Change)),
            "textDocument/didClose" => Some(params(&req).map(Msg::Close)),
            "textDocument/didSave" => {
                Some(params::<lsp::DidSaveTextDocumentParams>(&req).map(|_| Msg::Save))
            }
            "workspace/didChangeWatchedFiles" => Some(params(&req).map(Msg::Watched)),
            _ => None,
        };
        if let Some(msg) = sync {
            if let Some(msg) = msg {
                self.engine.send(msg);
            }
            return future::ready(Ok(None)).boxed();
        }
        match req.method() {
            "initialize" => {
                if let Some(p) = params::<lsp::InitializeParams>(&req) {
                    self.engine
                        .send(Msg::Initialize(Box::new(Negotiated::from_params(&p))));
                }
            }
            // Indexing starts here, in wire order, so every request after `initialized` sees
            // the indexed workspace.
            "initialized" => self.engine.send(Msg::Initialized),
            "shutdown" => self.shutdown.store(true, Ordering::SeqCst),
            "exit" => {
                let code = if self.shutdown.load(Ordering::SeqCst) {
                    0
                } else {
                    1
                };
                self.exit_code.store(code, Ordering::SeqCst);
                // The transport stops reading after `exit`; if a handler never finishes, do
                // not wait for it.
                std::thread::spawn(move || {
                    std::thread::sleep(std::time::Duration::from_secs(2));
                    std::process::exit(code);
                });
            }
            _ => {}
        }
        let id = req.id().cloned();
        let method = req.method().to_string();
        let fut = match catch_unwind(AssertUnwindSafe(|| self.inner.call(req))) {
            Ok(f) => f,
            Err(p) => return future::ready(Ok(panicked(&method, id, &p))).boxed(),
        };
        AssertUnwindSafe(fut)
            .catch_unwind()
            .map(move |r| match r {
                Ok(r) => r,
                Err(p) => Ok(panicked(&method, id, &p)),
            })
            .boxed()
    }
}

fn panicked(
    method: &str,
    id: Option<tower_lsp_server::jsonrpc::Id>,
    p: &Box<dyn std::any::Any + Send>,
) -> Option<Response> {
    let msg = panic_message(p);
    tracing::error!("internal error handling {method}: {msg}");
    id.map(|id| {
        Response::from_error(
            id,
            Error {
                code: ErrorCode::InternalError,
                message: format!("internal error in tinybird-lsp handling {method}: {msg}").into(),
                data: None,
            },
        )
    })
}
