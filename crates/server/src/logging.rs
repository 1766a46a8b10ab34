//! Logging through `tracing`: to stderr, and to the client as `window/logMessage`. The level
//! comes from `TINYBIRD_LSP_LOG` (an env-filter directive such as `debug` or
//! `tinybird_lsp=trace`); the default is `info` for this crate and `warn` for the rest.

use std::fmt::Write;
use tokio::sync::mpsc;
use tower_lsp_server::ls_types::MessageType;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Lines waiting for the client beyond this are dropped (bounded memory).
const CLIENT_LOG_QUEUE: usize = 256;

struct ClientLayer {
    tx: mpsc::Sender<(MessageType, String)>,
}

struct MessageVisitor(String);

impl Visit for MessageVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}

impl<S: Subscriber> Layer<S> for ClientLayer {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let typ = match *event.metadata().level() {
            Level::ERROR => MessageType::ERROR,
            Level::WARN => MessageType::WARNING,
            Level::INFO => MessageType::INFO,
            _ => MessageType::LOG,
        };
        let mut v = MessageVisitor(String::new());
        event.record(&mut v);
        let _ = self.tx.try_send((typ, v.0));
    }
}

/// Installs the subscriber; returns the receiver of lines for the client.
pub fn init() -> mpsc::Receiver<(MessageType, String)> {
    let (tx, rx) = mpsc::channel(CLIENT_LOG_QUEUE);
    let filter = EnvFilter::try_from_env("TINYBIRD_LSP_LOG")
        .unwrap_or_else(|_| EnvFilter::new("warn,tinybird_lsp=info"));
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false);
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(ClientLayer { tx })
        .try_init();
    rx
}
