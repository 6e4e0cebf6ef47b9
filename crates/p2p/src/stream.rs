//! One QUIC bidirectional stream as a byte stream (what a TCP socket is
//! to the WebSocket on top).

use std::pin::Pin;
use std::task::{Context, Poll};

use iroh::endpoint::{RecvStream, SendStream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::P2pPath;

/// The WebSocket's transport on the peer-to-peer path. It keeps its
/// connection open while it lives.
pub struct P2pStream {
    send: SendStream,
    recv: RecvStream,
    path: P2pPath,
}

impl P2pStream {
    pub(crate) fn new(send: SendStream, recv: RecvStream, path: P2pPath) -> Self {
        Self { send, recv, path }
    }

    /// How the connection under this stream travels now.
    pub fn path(&self) -> &P2pPath {
        &self.path
    }
}

impl AsyncRead for P2pStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.recv).poll_read(cx, buf)
    }
}

impl AsyncWrite for P2pStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.send)
            .poll_write(cx, buf)
            .map_err(std::io::Error::other)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.send).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.send).poll_shutdown(cx)
    }
}
