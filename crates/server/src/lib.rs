//! The language server (`tinybird-lsp serve`): LSP over stdio on tower-lsp-server and tokio.
//! Thin glue over the core: [`input`] (a malformed message gets a parse error instead of
//! ending the session), [`ordered`] (transport guarantees: ordered text sync, panics
//! contained, exit), [`engine`] (the one thread owning all state: documents, projects,
//! analysis, publishing), [`backend`] (capabilities and requests), [`migrate`] (migration
//! actions as code actions and commands), [`outbox`] (ordered
//! delivery to the client), [`parent`] (exit when the editor process given at `initialize` is
//! gone), plus conversions ([`position`], [`convert`]), [`config`] and [`logging`]. The editor features (hover, completion, rename, ...) are one file per request
//! family ([`navigation`], [`completion`], [`rename`], [`symbols`], [`semantic_tokens`],
//! [`selection`], [`formatting`], [`links`]) over [`ide`], each given an
//! [`engine::FileContext`].

mod backend;
mod completion;
mod config;
mod convert;
mod documents;
mod engine;
mod folding;
mod formatting;
mod input;
mod links;
mod logging;
mod migrate;
mod navigation;
mod ordered;
mod outbox;
mod parent;
mod position;
mod rename;
mod selection;
mod semantic_tokens;
mod symbols;
mod watcher;

/// An in-process editing session over the engine, for the session fuzz target and tests
/// ([`engine::harness`]).
#[doc(hidden)]
pub mod testing {
    pub use crate::engine::harness::{Broken, Session, Step, ROOT};
}

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use tower_lsp_server::{LspService, Server};

/// Serves LSP on stdin/stdout until `exit`; returns the process exit code.
pub fn run() -> i32 {
    let logs = logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tinybird-lsp: cannot start the async runtime: {e}");
            return 2;
        }
    };
    let exit_code = Arc::new(AtomicI32::new(1));
    let code = exit_code.clone();
    runtime.block_on(async move {
        let (outbox, outgoing) = outbox::Outbox::new();
        let engine = engine::spawn(outbox);
        let engine_for_backend = engine.clone();
        let (service, socket) = LspService::build(move |client| {
            tokio::spawn(outbox::deliver(client.clone(), outgoing, logs));
            backend::Backend::new(client, engine_for_backend)
        })
        .custom_method("tinybird/graph", backend::Backend::graph)
        .custom_method(
            "tinybird/materializedViews",
            backend::Backend::materialized_views,
        )
        .custom_method("tinybird/plan", backend::Backend::plan)
        .custom_method("tinybird/debug/panic", backend::Backend::debug_panic)
        .custom_method("tinybird/debug/document", backend::Backend::debug_document)
        .custom_method("tinybird/debug/stats", backend::Backend::debug_stats)
        .custom_method("tinybird/debug/sleep", backend::Backend::debug_sleep)
        .custom_method(input::PARSE_ERROR_METHOD, backend::Backend::parse_error)
        .finish();
        let service = ordered::Ordered::new(service, engine, code);
        // A malformed message is answered, not the end of the session (see `input`).
        let (reader, writer) = tokio::io::duplex(1 << 20);
        tokio::spawn(input::filter(tokio::io::stdin(), writer));
        Server::new(reader, tokio::io::stdout(), socket)
            .serve(service)
            .await;
    });
    let code = exit_code.load(Ordering::SeqCst);
    tracing::info!("exiting with code {code}");
    // Do not wait for the runtime's blocking stdin reader: the client may keep stdin open.
    std::process::exit(code)
}
