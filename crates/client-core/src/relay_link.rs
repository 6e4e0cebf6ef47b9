//! The connection to the relay: hello on connect, reconnects with
//! exponential backoff and jitter, events out, messages in.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use matinee_protocol::{ClientMsg, ErrorCode, RelayEndpoint, ServerMsg, Welcome, PROTOCOL_VERSION};
use rand::Rng;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use crate::{tls, ClientError};

/// A TCP socket, or a stream of a peer-to-peer connection to the host.
type Transport = tokio_util::either::Either<TcpStream, matinee_p2p::P2pStream>;
type Ws = WebSocketStream<MaybeTlsStream<Transport>>;

/// What the WebSocket handshake names on the peer-to-peer path (the QUIC
/// connection, authenticated by the host's endpoint id, is the address).
const P2P_REQUEST_URL: &str = "ws://matinee-p2p/ws";
/// Longest wait for the host's endpoint (a second inside the handshake's
/// own deadline).
const P2P_DIAL_TIMEOUT: Duration = Duration::from_secs(9);

/// The dialer of hosts' peer-to-peer endpoints, and the relays it was
/// made with.
type SharedDialer = (matinee_p2p::P2pRelays, Arc<matinee_p2p::Dialer>);
static DIALER: std::sync::Mutex<Option<SharedDialer>> = std::sync::Mutex::new(None);

/// Chooses the iroh relays this process dials hosts with (the app's
/// setting); without it, those of `MATINEE_IROH_RELAY`. The invite's
/// relay comes first for each host either way.
pub fn use_p2p_relays(relays: matinee_p2p::P2pRelays) {
    let mut slot = DIALER.lock().expect("dialer lock");
    if slot.as_ref().is_some_and(|(r, _)| *r == relays) {
        return;
    }
    *slot = Some(shared_dialer(relays));
}

fn shared_dialer(relays: matinee_p2p::P2pRelays) -> SharedDialer {
    let dialer = Arc::new(matinee_p2p::Dialer::new(relays.clone()));
    (relays, dialer)
}

/// Closes the peer-to-peer connections to hosts, politely (before the
/// process ends).
pub async fn close_p2p() {
    let dialer = DIALER.lock().expect("dialer lock").take();
    if let Some((_, dialer)) = dialer {
        dialer.close().await;
    }
}

/// The dialer: one endpoint per relay set for the process's life, made
/// on first use.
fn dialer() -> Arc<matinee_p2p::Dialer> {
    let mut slot = DIALER.lock().expect("dialer lock");
    let (_, dialer) = slot.get_or_insert_with(|| {
        shared_dialer(matinee_p2p::P2pRelays::from_env().unwrap_or_else(|e| {
            tracing::warn!("{e}; using iroh's public relays");
            matinee_p2p::P2pRelays::Public
        }))
    });
    dialer.clone()
}

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

/// The first connection: the relay's welcome, and which URL answered.
#[derive(Debug, Clone)]
pub struct Connected {
    pub welcome: Welcome,
    pub url: String,
}

/// Sending side of the relay connection. Dropping it closes the link.
#[derive(Clone)]
pub struct RelayLink {
    out: mpsc::Sender<ClientMsg>,
}

/// Delay between starting attempts at successive candidates (RFC 8305's
/// "Connection Attempt Delay").
pub const CANDIDATE_STAGGER: Duration = Duration::from_millis(250);

/// Connects to one endpoint: TCP, TLS (pinned or checked), WebSocket,
/// hello, welcome.
async fn open(endpoint: &RelayEndpoint, client: &str) -> Result<(Ws, Welcome), ClientError> {
    let url = endpoint.url.as_str();
    let unreachable = |reason: String| ClientError::RelayUnreachable {
        url: url.to_string(),
        reason,
    };
    let request = match &endpoint.p2p {
        Some(_) => P2P_REQUEST_URL,
        None => url,
    }
    .into_client_request()
    .map_err(|e| unreachable(e.to_string()))?;
    let host = request
        .uri()
        .host()
        .ok_or_else(|| unreachable("the address has no host".into()))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let secure = request.uri().scheme_str() == Some("wss");
    let port = request
        .uri()
        .port_u16()
        .unwrap_or(if secure { 443 } else { 80 });
    let mismatch = Arc::new(AtomicBool::new(false));
    let connector = match (secure, endpoint.pin) {
        (false, _) => Connector::Plain,
        (true, Some(pin)) => Connector::Rustls(tls::pinned(pin, mismatch.clone())),
        (true, None) => Connector::Rustls(tls::public_roots()),
    };
    let config = WebSocketConfig::default().max_message_size(Some(MAX_INCOMING));
    let handshake = async {
        let transport = match &endpoint.p2p {
            Some(route) => tokio_util::either::Either::Right(
                dialer()
                    // Within the handshake's deadline, so that its own
                    // reason (peer-to-peer) is the one people read.
                    .dial(&route.id, route.relay.as_deref(), P2P_DIAL_TIMEOUT)
                    .await
                    .map_err(|e| e.to_string())?,
            ),
            None => {
                let tcp = TcpStream::connect((host.as_str(), port))
                    .await
                    .map_err(|e| tcp_reason(&e))?;
                let _ = tcp.set_nodelay(true);
                tokio_util::either::Either::Left(tcp)
            }
        };
        tokio_tungstenite::client_async_tls_with_config(
            request,
            transport,
            Some(config),
            Some(connector),
        )
        .await
        .map_err(|e| ws_reason(&e, &endpoint.url))
    };
    let (mut ws, _) = match tokio::time::timeout(CONNECT_TIMEOUT, handshake).await {
        Err(_) => return Err(unreachable("no answer within 10 s".into())),
        Ok(Err(_)) if mismatch.load(Ordering::SeqCst) => {
            return Err(ClientError::NotYourHost {
                url: url.to_string(),
            })
        }
        Ok(Err(reason)) => return Err(unreachable(reason)),
        Ok(Ok(done)) => done,
    };
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

/// Why a TCP connection failed, for people.
fn tcp_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => "nothing answers there (is Matinee open at that address, \
                                 and is the port right?)"
            .into(),
        K::NetworkUnreachable | K::HostUnreachable => {
            "that address cannot be reached from this network".into()
        }
        K::TimedOut => "no answer (a firewall may be dropping the connection)".into(),
        _ if e.to_string().contains("lookup") => "that name is unknown (check its spelling)".into(),
        _ => e.to_string(),
    }
}

/// Why the WebSocket handshake failed, for people.
fn ws_reason(e: &tokio_tungstenite::tungstenite::Error, url: &str) -> String {
    use tokio_tungstenite::tungstenite::Error as E;
    match e {
        // The relay's own refusal (too many connections from this address,
        // a full relay) says why in its body.
        E::Http(response)
            if matches!(response.status().as_u16(), 429 | 503)
                && response.body().as_ref().is_some_and(|b| !b.is_empty()) =>
        {
            let body = response.body().as_deref().unwrap_or_default();
            String::from_utf8_lossy(body)
                .trim()
                .trim_end_matches('.')
                .to_string()
        }
        E::Http(response) if url.trim_end_matches('/').ends_with("/ws") => format!(
            "it answered, but not as a Matinee relay (HTTP {}): another program may be using that port",
            response.status().as_u16()
        ),
        E::Http(response) => format!(
            "it answered, but not as a Matinee relay (HTTP {}); a relay's address ends in /ws",
            response.status().as_u16()
        ),
        E::Io(io) if io.to_string().contains("UnknownIssuer") => {
            "its certificate is not from an authority this computer trusts (a friend's \
             computer has its own: join with the whole invite, which carries its fingerprint)"
                .into()
        }
        E::Io(io) if io.to_string().contains("certificate") => {
            format!("its certificate is not trusted ({io})")
        }
        E::Io(io) => tcp_reason(io),
        other => other.to_string(),
    }
}

/// Tries every endpoint, the next one starting [`CANDIDATE_STAGGER`] after
/// the last (or at once when the last failed), and keeps the first that
/// completes the handshake and the hello; the others are closed. Returns
/// the winner's index.
pub(crate) async fn open_any(
    endpoints: &[RelayEndpoint],
    client: &str,
) -> Result<(Ws, Welcome, usize), ClientError> {
    let mut attempts = tokio::task::JoinSet::new();
    let mut failures: Vec<(usize, ClientError)> = Vec::new();
    let mut next = 0;
    loop {
        if next < endpoints.len() {
            let (endpoint, client) = (endpoints[next].clone(), client.to_string());
            let index = next;
            attempts.spawn(async move { (index, open(&endpoint, &client).await) });
            next += 1;
        }
        // Wait for an attempt to end, or for the stagger before the next.
        let stagger = tokio::time::sleep(CANDIDATE_STAGGER);
        tokio::select! {
            done = attempts.join_next() => match done {
                Some(Ok((index, Ok((ws, welcome))))) => {
                    tracing::info!(url = %endpoints[index].url, "connected to the relay");
                    return Ok((ws, welcome, index));
                }
                Some(Ok((index, Err(e)))) => {
                    tracing::debug!(url = %endpoints[index].url, error = %e, "candidate failed");
                    failures.push((index, e));
                }
                Some(Err(e)) => tracing::warn!("connection attempt ended: {e}"),
                None if next >= endpoints.len() => {
                    return Err(explain_failures(endpoints, failures));
                }
                None => {}
            },
            _ = stagger, if next < endpoints.len() => {}
        }
    }
}

/// One error for people out of every candidate's.
fn explain_failures(
    endpoints: &[RelayEndpoint],
    mut failures: Vec<(usize, ClientError)>,
) -> ClientError {
    failures.sort_by_key(|(_, e)| match e {
        ClientError::NotYourHost { .. } => 0,
        ClientError::Refused { .. } => 1,
        ClientError::RelayIncompatible { .. } => 2,
        _ => 3,
    });
    let Some((_, first)) = failures.first() else {
        return ClientError::NoRelay;
    };
    match first {
        ClientError::RelayUnreachable { .. }
            if endpoints.len() > 1 || endpoints.iter().all(|e| e.pin.is_some()) =>
        {
            let tried: Vec<&str> = endpoints.iter().map(RelayEndpoint::authority).collect();
            // A host's own relay known only by home-network addresses.
            let all_private = endpoints.iter().all(|e| e.pin.is_some() && e.is_private());
            let why = if all_private {
                "the invite only has addresses inside the host's own network, so the host's \
                 router did not open a port for Matinee; the host can use a relay \
                 (Settings → Relay)"
                    .to_string()
            } else {
                let reasons: Vec<String> = failures.iter().map(|(_, e)| e.to_string()).collect();
                reasons.join("; ")
            };
            ClientError::HostUnreachable {
                tried: tried.join(", "),
                why,
            }
        }
        _ => failures.swap_remove(0).1,
    }
}

impl RelayLink {
    /// Connects and says hello. The first connection must succeed; after
    /// that the link reconnects by itself and reports [`LinkEvent`]s.
    /// The endpoints are the ways to one relay (an invite's candidates):
    /// the first to answer is used, and tried first on every reconnect.
    pub async fn connect(
        endpoints: &[RelayEndpoint],
        client: &str,
        backoff: Backoff,
    ) -> Result<(Self, Connected, mpsc::Receiver<LinkEvent>), ClientError> {
        let (ws, welcome, winner) = open_any(endpoints, client).await?;
        let mut order = endpoints.to_vec();
        order[..=winner].rotate_right(1);
        let connected = Connected {
            welcome,
            url: order[0].url.clone(),
        };
        let (out_tx, out_rx) = mpsc::channel(OUTBOX);
        let (ev_tx, ev_rx) = mpsc::channel(EVENTS);
        tokio::spawn(run(ws, order, client.to_string(), backoff, out_rx, ev_tx));
        Ok((Self { out: out_tx }, connected, ev_rx))
    }

    /// Queues a message; false when the link is gone or its queue is full
    /// (messages sent while disconnected are dropped).
    pub fn send(&self, msg: ClientMsg) -> bool {
        self.out.try_send(msg).is_ok()
    }
}

async fn run(
    mut ws: Ws,
    mut endpoints: Vec<RelayEndpoint>,
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
            match open_any(&endpoints, &client).await {
                Ok((ws, welcome, winner)) => {
                    endpoints[..=winner].rotate_right(1);
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

    #[test]
    fn a_relay_refusal_is_shown_in_its_own_words() {
        use tokio_tungstenite::tungstenite::{http, Error};
        let refusal = |status: u16, body: &str| {
            let response = http::Response::builder()
                .status(status)
                .body(Some(body.as_bytes().to_vec()))
                .unwrap();
            ws_reason(&Error::Http(Box::new(response)), "wss://relay.example.com/")
        };
        assert_eq!(
            refusal(
                429,
                "Too many connections from your address (32 at most); close some and try again.\n"
            ),
            "Too many connections from your address (32 at most); close some and try again"
        );
        assert!(refusal(404, "nope").contains("not as a Matinee relay (HTTP 404)"));
        // An address that already ends in /ws is not told to end in /ws.
        let response = http::Response::builder().status(426).body(None).unwrap();
        let said = ws_reason(
            &Error::Http(Box::new(response)),
            "wss://relay.example.com/ws",
        );
        assert!(
            said.contains("another program may be using that port"),
            "{said}"
        );
        let untrusted = std::io::Error::other("invalid peer certificate: UnknownIssuer");
        let said = ws_reason(&Error::Io(untrusted), "wss://10.0.0.2:7878/ws");
        assert!(said.contains("join with the whole invite"), "{said}");
    }
}
