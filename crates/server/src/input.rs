//! The client's byte stream before the transport reads it. tower-lsp-server stops reading for
//! good at the first message whose body is not JSON (its framed reader ends after a decode
//! error), so one malformed message would end the session. Here every framed message is
//! checked: a body that is not JSON is replaced by a request the server answers with the
//! JSON-RPC parse error (-32700, id null), and the session goes on. Framing itself is passed
//! through untouched.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The method a malformed message becomes; the backend answers it with a parse error.
pub const PARSE_ERROR_METHOD: &str = "tinybird/parseError";

/// The largest header block read before giving up on framing (the rest is passed through).
const MAX_HEADER: usize = 64 * 1024;

/// Copies `from` to `to` frame by frame, replacing bodies that are not JSON. Ends at EOF of
/// `from` (then closes `to`) or when `to` is closed.
pub async fn filter(mut from: impl AsyncRead + Unpin, mut to: impl AsyncWrite + Unpin) {
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        // Whole frames at the front of the buffer.
        while let Some((header_end, length)) = frame_header(&buf) {
            if buf.len() < header_end + length {
                break;
            }
            let body = &buf[header_end..header_end + length];
            let ok = serde_json::from_slice::<serde_json::Value>(body).is_ok();
            let written = if ok {
                to.write_all(&buf[..header_end + length]).await
            } else {
                tracing::warn!(
                    "a message from the client is not JSON: answered with a parse error"
                );
                let body = format!(
                    r#"{{"jsonrpc":"2.0","id":null,"method":"{PARSE_ERROR_METHOD}","params":{{}}}}"#
                );
                let frame = format!("Content-Length: {}\r\n\r\n{body}", body.len());
                to.write_all(frame.as_bytes()).await
            };
            if written.is_err() {
                return;
            }
            buf.drain(..header_end + length);
        }
        // Framing this filter cannot read: leave it to the transport.
        if buf.len() > MAX_HEADER && frame_header(&buf).is_none() {
            if to.write_all(&buf).await.is_err() {
                return;
            }
            buf.clear();
        }
        if to.flush().await.is_err() {
            return;
        }
        match from.read(&mut chunk).await {
            Ok(0) | Err(_) => {
                let _ = to.write_all(&buf).await;
                let _ = to.shutdown().await;
                return;
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// The end of the header block at the front of `buf` and the body's Content-Length, when the
/// whole header block is there and names a length.
fn frame_header(buf: &[u8]) -> Option<(usize, usize)> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let headers = std::str::from_utf8(&buf[..end]).ok()?;
    let length = headers.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse::<usize>().ok())
            .flatten()
    })?;
    Some((end, length))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[tokio::test(flavor = "current_thread")]
    async fn malformed_bodies_become_parse_error_requests() {
        let input = format!(
            "{}{}{}",
            frame(r#"{"jsonrpc":"2.0","id":1,"method":"a"}"#),
            frame("{not json"),
            frame(r#"{"jsonrpc":"2.0","id":2,"method":"b"}"#)
        );
        let mut out = Vec::new();
        filter(input.as_bytes(), &mut out).await;
        let out = String::from_utf8(out).unwrap();
        assert!(out.starts_with(&frame(r#"{"jsonrpc":"2.0","id":1,"method":"a"}"#)));
        assert!(out.contains(PARSE_ERROR_METHOD), "{out}");
        assert!(out.ends_with(&frame(r#"{"jsonrpc":"2.0","id":2,"method":"b"}"#)));
        assert!(!out.contains("not json"));
    }
}
