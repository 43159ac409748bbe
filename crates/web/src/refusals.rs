//! Refusals made before any of clockface's code runs, in the documented JSON.
//!
//! hyper refuses some requests while reading them, with a bare status and no body: a request
//! target longer than it reads (64 KiB, fixed in hyper), a head larger than its buffer (431) and a
//! request line or header that is not HTTP (400). The middleware never sees those requests, so
//! [`Connection`] wraps each accepted socket and, when hyper writes one of those bare heads, writes
//! the JSON error answer in its place (and the connection closes, as hyper closes it after such a
//! refusal). A head is hyper's own when it carries only `content-length: 0`, `date` and
//! `connection`: every answer of the application carries the security headers as well.

use axum::serve::Listener;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A TCP listener whose connections answer hyper's own refusals in JSON.
pub struct JsonRefusals(pub TcpListener);

impl Listener for JsonRefusals {
    type Io = Connection<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, addr) = Listener::accept(&mut self.0).await;
        (Connection { inner: stream, replacing: None }, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// An accepted connection; see the module's documentation.
pub struct Connection<S> {
    inner: S,
    /// The JSON answer being written in place of hyper's bare head: its bytes, how many are out,
    /// and the length of the head it stands for (what hyper is told was written).
    replacing: Option<(Vec<u8>, usize, usize)>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Connection<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Connection<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.replacing.is_none() {
            if let Some(answer) = json_refusal(buf) {
                this.replacing = Some((answer, 0, buf.len()));
            }
        }
        let Some((answer, sent, stands_for)) = &mut this.replacing else {
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        };
        while *sent < answer.len() {
            match ready!(Pin::new(&mut this.inner).poll_write(cx, &answer[*sent..])) {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(n) => *sent += n,
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
        let written = *stands_for;
        this.replacing = None;
        Poll::Ready(Ok(written))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    // hyper then writes each head in one buffer of its own, which is what `json_refusal` reads.
    fn is_write_vectored(&self) -> bool {
        false
    }
}

/// The JSON answer that replaces `head` when it is one of hyper's bare refusals.
fn json_refusal(head: &[u8]) -> Option<Vec<u8>> {
    let head = std::str::from_utf8(head).ok()?.strip_suffix("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let (status, code, message) = match lines.next()? {
        "HTTP/1.1 414 URI Too Long" => (
            "414 URI Too Long",
            "uri_too_long",
            "the address is longer than 64 KiB, more than the server reads; the API reads at most 8 KiB (send long input in a body)",
        ),
        "HTTP/1.1 431 Request Header Fields Too Large" => {
            ("431 Request Header Fields Too Large", "headers_too_large", "the request's headers are larger than the server reads")
        }
        "HTTP/1.1 400 Bad Request" => ("400 Bad Request", "bad_request", "the request is not well-formed HTTP/1.1"),
        _ => return None,
    };
    let mut bare = false;
    for line in lines {
        let name = line.split_once(':')?.0.to_ascii_lowercase();
        match name.as_str() {
            "content-length" => bare = line.ends_with(": 0"),
            "date" | "connection" => {}
            _ => return None,
        }
    }
    if !bare {
        return None;
    }
    let body = serde_json::json!({"error": {"code": code, "message": message}}).to_string();
    let answer = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nx-content-type-options: nosniff\r\n\
         cache-control: no-store\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    Some(answer.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::json_refusal;

    #[test]
    fn only_hypers_bare_refusals_are_rewritten() {
        // As hyper 1.12 writes it.
        let bare = b"HTTP/1.1 414 URI Too Long\r\nconnection: close\r\ncontent-length: 0\r\ndate: Mon, 07 Dec 2026 08:27:10 GMT\r\n\r\n";
        let answer = String::from_utf8(json_refusal(bare).unwrap_or_default()).unwrap_or_default();
        assert!(answer.starts_with("HTTP/1.1 414 URI Too Long\r\ncontent-type: application/json\r\n"), "{answer}");
        let body = answer.split_once("\r\n\r\n").map(|(_, body)| body).unwrap_or_default();
        let error: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        assert_eq!(error["error"]["code"], "uri_too_long");
        assert!(answer.contains(&format!("content-length: {}\r\n", body.len())));

        // The application's own answers carry more headers, or a body: left as they are.
        let own = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nx-content-type-options: nosniff\r\n\r\n";
        assert_eq!(json_refusal(own), None);
        assert_eq!(json_refusal(b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 52\r\n\r\n"), None);
        assert_eq!(json_refusal(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"), None);
        assert_eq!(json_refusal(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n"), None, "not a whole head");
    }
}
