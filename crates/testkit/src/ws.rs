//! A relay client for tests and tools, at the level they share: connect
//! (also over a socket of one's own), say hello, send messages or raw
//! frames, and read the relay's messages with deadlines. The relay's tests
//! and the fuzzer build on it; the load generator keeps its own reader,
//! which timestamps every frame as it arrives.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use matinee_protocol::{ClientMsg, ServerMsg, Welcome, PROTOCOL_VERSION};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// What reading before a deadline found.
#[derive(Debug)]
pub enum Read<T> {
    Got(T),
    /// The relay closed the connection (or it broke).
    Closed,
    TimedOut,
}

pub struct WsClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl WsClient {
    /// Connects to a relay's `ws://` URL (without saying hello).
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let (ws, _) = tokio_tungstenite::connect_async(url).await?;
        Ok(Self { ws })
    }

    /// Connects over a TCP stream already open to the relay (one bound to
    /// a chosen source address, or with a small receive buffer).
    pub async fn over(url: &str, stream: TcpStream) -> Result<Self, Error> {
        let (ws, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream)).await?;
        Ok(Self { ws })
    }

    /// Says hello; the relay's welcome, or None when it answered otherwise.
    pub async fn hello(&mut self, client: &str, wait: Duration) -> Option<Welcome> {
        let hello = ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            client: client.into(),
        };
        if !self.send(&hello).await {
            return None;
        }
        match self.next_msg(Instant::now() + wait).await {
            Read::Got(ServerMsg::Welcome(w)) => Some(w),
            _ => None,
        }
    }

    /// Sends a message; false when the connection is gone.
    pub async fn send(&mut self, msg: &ClientMsg) -> bool {
        self.send_frame(Message::text(msg.encode())).await
    }

    /// Sends any frame (text that is not a message, binary, pong…).
    pub async fn send_frame(&mut self, frame: Message) -> bool {
        self.ws.send(frame).await.is_ok()
    }

    /// The next frame before `deadline`.
    pub async fn next_frame(&mut self, deadline: Instant) -> Read<Message> {
        match tokio::time::timeout_at(deadline, self.ws.next()).await {
            Err(_) => Read::TimedOut,
            Ok(Some(Ok(frame))) => Read::Got(frame),
            Ok(_) => Read::Closed,
        }
    }

    /// The next relay message before `deadline` (other frames skipped; a
    /// close frame ends the connection). Panics on a frame that is not a
    /// valid relay message: relays send only those.
    pub async fn next_msg(&mut self, deadline: Instant) -> Read<ServerMsg> {
        loop {
            match self.next_frame(deadline).await {
                Read::Got(Message::Text(t)) => {
                    return Read::Got(ServerMsg::decode(&t).expect("relays send valid messages"))
                }
                Read::Got(Message::Close(_)) | Read::Closed => return Read::Closed,
                Read::Got(_) => continue,
                Read::TimedOut => return Read::TimedOut,
            }
        }
    }

    /// Reads until `pick` returns Some, for `wait` at most; None when the
    /// connection closed or time ran out first.
    pub async fn until<T>(
        &mut self,
        wait: Duration,
        mut pick: impl FnMut(&ServerMsg) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + wait;
        loop {
            match self.next_msg(deadline).await {
                Read::Got(m) => {
                    if let Some(v) = pick(&m) {
                        return Some(v);
                    }
                }
                _ => return None,
            }
        }
    }

    /// Closes with a close handshake.
    pub async fn close(&mut self) {
        let _ = self.ws.close(None).await;
    }
}
