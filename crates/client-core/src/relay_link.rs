//! The connection to the relay: hello on connect, reconnects with
//! exponential backoff and jitter, events out, messages in.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use matinee_protocol::{ClientMsg, ErrorCode, ServerMsg, Welcome, PROTOCOL_VERSION};
use rand::Rng;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::ClientError;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_INCOMING: usize = 1 << 20;
const OUTBOX: usize = 256;
const EVENTS: usize = 1024;

/// Exponential backoff with jitter: each delay is drawn from
/// [d/2, d] where d doubles from `base` up to `max`.
#[derive(Debug, Clone)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Self {
        Self {
            base,
            max,
            attempt: 0,
        }
    }

    pub fn next_delay(&mut self) -> Duration {
        let exp = self.base.saturating_mul(1u32 << self.attempt.min(16));
        let cap = exp.min(self.max);
        self.attempt += 1;
        let half = cap / 2;
        half + Duration::from_secs_f64(rand::rng().random_range(0.0..=half.as_secs_f64()))
    }

    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(Duration::from_millis(400), Duration::from_secs(8))
    }
}

/// What the link reports.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkEvent {
    Message(ServerMsg),
    /// The connection dropped; the next try is in `retry_in`.
    Down {
        reason: String,
        attempt: u32,
        retry_in: Duration,
    },
    /// Connected again (hello done); the session should resume its seat.
    Up(Welcome),
}

/// Sending side of the relay connection. Dropping it closes the link.
#[derive(Clone)]
pub struct RelayLink {
    out: mpsc::Sender<ClientMsg>,
}

async fn open(url: &str, client: &str) -> Result<(Ws, Welcome), ClientError> {
    let unreachable = |reason: String| ClientError::RelayUnreachable {
        url: url.to_string(),
        reason,
    };
    let config = WebSocketConfig::default().max_message_size(Some(MAX_INCOMING));
    let (mut ws, _) = tokio::time::timeout(
        CONNECT_TIMEOUT,
        tokio_tungstenite::connect_async_with_config(url, Some(config), true),
    )
    .await
    .map_err(|_| unreachable("no answer within 10 s".into()))?
    .map_err(|e| unreachable(e.to_string()))?;
    let hello = ClientMsg::Hello {
        protocol: PROTOCOL_VERSION,
        client: client.to_string(),
    };
    ws.send(Message::text(hello.encode()))
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let incompatible = |reason: String| ClientError::RelayIncompatible {
        url: url.to_string(),
        reason,
    };
    // The relay may ping before it welcomes; skip control frames.
    let first_data = async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => return other,
            }
        }
    };
    let answer = tokio::time::timeout(CONNECT_TIMEOUT, first_data)
        .await
        .map_err(|_| incompatible("no welcome within 10 s".into()))?;
    match answer {
        Some(Ok(Message::Text(text))) => match ServerMsg::decode(&text) {
            Ok(ServerMsg::Welcome(w)) => Ok((ws, w)),
            Ok(ServerMsg::Error {
                code: ErrorCode::ProtocolVersion,
                message,
                ..
            }) => Err(incompatible(message)),
            Ok(ServerMsg::Error { code, message, .. }) => {
                Err(ClientError::Refused { code, message })
            }
            Ok(other) => Err(incompatible(format!("unexpected first message {other:?}"))),
            Err(e) => Err(incompatible(e.to_string())),
        },
        Some(Ok(_)) => Err(incompatible("unexpected frame".into())),
        Some(Err(e)) => Err(unreachable(e.to_string())),
        None => Err(unreachable("closed during hello".into())),
    }
}

impl RelayLink {
    /// Connects and says hello. The first connection must succeed; after
    /// that the link reconnects by itself and reports [`LinkEvent`]s.
    pub async fn connect(
        url: &str,
        client: &str,
        backoff: Backoff,
    ) -> Result<(Self, Welcome, mpsc::Receiver<LinkEvent>), ClientError> {
        let (ws, welcome) = open(url, client).await?;
        let (out_tx, out_rx) = mpsc::channel(OUTBOX);
        let (ev_tx, ev_rx) = mpsc::channel(EVENTS);
        tokio::spawn(run(
            ws,
            url.to_string(),
            client.to_string(),
            backoff,
            out_rx,
            ev_tx,
        ));
        Ok((Self { out: out_tx }, welcome, ev_rx))
    }

    /// Queues a message; false when the link is gone or its queue is full
    /// (messages sent while disconnected are dropped).
    pub fn send(&self, msg: ClientMsg) -> bool {
        self.out.try_send(msg).is_ok()
    }
}

async fn run(
    mut ws: Ws,
    url: String,
    client: String,
    mut backoff: Backoff,
    mut out_rx: mpsc::Receiver<ClientMsg>,
    ev_tx: mpsc::Sender<LinkEvent>,
) {
    loop {
        let reason = loop {
            tokio::select! {
                out = out_rx.recv() => match out {
                    Some(msg) => {
                        if let Err(e) = ws.send(Message::text(msg.encode())).await {
                            break e.to_string();
                        }
                    }
                    None => {
                        let _ = ws.close(None).await;
                        return;
                    }
                },
                frame = ws.next() => match frame {
                    Some(Ok(Message::Text(text))) => match ServerMsg::decode(&text) {
                        Ok(msg) => {
                            if ev_tx.send(LinkEvent::Message(msg)).await.is_err() {
                                return;
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "undecodable message from the relay"),
                    },
                    Some(Ok(Message::Close(frame))) => {
                        break frame.map_or("closed by the relay".into(), |f| format!("closed by the relay ({})", f.reason));
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => break e.to_string(),
                    None => break "connection closed".into(),
                },
            }
        };
        tracing::warn!(%reason, "relay connection lost");
        ws = loop {
            let retry_in = backoff.next_delay();
            let down = LinkEvent::Down {
                reason: reason.clone(),
                attempt: backoff.attempt(),
                retry_in,
            };
            if ev_tx.send(down).await.is_err() {
                return;
            }
            // Wait, dropping what is sent meanwhile.
            let sleep = tokio::time::sleep(retry_in);
            tokio::pin!(sleep);
            loop {
                tokio::select! {
                    _ = &mut sleep => break,
                    out = out_rx.recv() => if out.is_none() { return },
                }
            }
            match open(&url, &client).await {
                Ok((ws, welcome)) => {
                    backoff.reset();
                    if ev_tx.send(LinkEvent::Up(welcome)).await.is_err() {
                        return;
                    }
                    break ws;
                }
                Err(e) => tracing::info!(error = %e, "reconnect failed"),
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        let d: Vec<Duration> = (0..8).map(|_| b.next_delay()).collect();
        assert!(d[0] >= Duration::from_millis(50) && d[0] <= Duration::from_millis(100));
        assert!(d[3] >= Duration::from_millis(400) && d[3] <= Duration::from_millis(800));
        assert!(d[7] <= Duration::from_secs(1) && d[7] >= Duration::from_millis(500));
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(100));
    }
}
