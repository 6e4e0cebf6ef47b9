//! Friends with Syncplay (on macOS, Android, or who already use it) join a
//! Matinee room with the player they have: the relay speaks Syncplay's
//! line protocol on its own port (the listener tells a Syncplay client by
//! its first byte, `{`). The Syncplay room name is the room code; each
//! Syncplay client takes a seat like anyone else (shown "via Syncplay"),
//! and [`bridge::Bridge`] translates between the two protocols.
//!
//! Limits hold as for WebSockets: the address's connection quota, the join
//! throttle, the message rate, the hello and idle timeouts; a line over
//! [`MAX_LINE_BYTES`], a line that is not JSON or an unknown command gets a
//! Syncplay `Error` and the connection closes. Nothing else in the room is
//! affected.

mod bridge;
mod wire;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use matinee_protocol::{Joined, LinkKind, ParticipantId, RoomCode, ServerMsg};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_util::codec::{Framed, LinesCodec, LinesCodecError};
use tokio_util::either::Either;

use crate::limits::TokenBucket;
use crate::listener::Peer;
use crate::outbox::{outbox, Inbox, Outbox, Outgoing};
use crate::refusal;
use crate::room::{RoomCmd, RoomHandle};
use crate::shared::Shared;
use bridge::{Bridge, Effect};

/// Longest line a Syncplay client may send.
pub(crate) const MAX_LINE_BYTES: usize = 16 * 1024;
/// Longest wait for the socket to take a line.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Over-rate lines tolerated before the connection closes (a Syncplay
/// client sends about two a second).
const RATE_STRIKES_BEFORE_CLOSE: u32 = 20;
/// How long a refused connection's last lines are read and dropped.
const CLOSE_LINGER: Duration = Duration::from_secs(2);
/// Longest wait for the room's `joined` after it seated us.
const JOINED_TIMEOUT: Duration = Duration::from_secs(5);

type Io = Either<TcpStream, TlsStream<TcpStream>>;
type Lines = Framed<Io, LinesCodec>;

/// Serves one Syncplay client until it leaves, breaks a rule or the relay
/// stops.
pub(crate) async fn serve(stream: TcpStream, peer: Peer, shared: Arc<Shared>) {
    let ip = peer.addr.ip();
    let mut lines = framed(Either::Left(stream));
    let Some(_place) = shared.websockets.take(ip) else {
        tracing::warn!(%ip, "Syncplay connection refused: its address holds its quota");
        let cap = shared.websockets.cap();
        let text = format!(
            "Too many connections from your address ({cap} at most); close some and try again."
        );
        let _ = send_line(&mut lines, &wire::error(&text)).await;
        return;
    };
    shared.metrics.connections.inc();
    shared.metrics.connections_total.inc();
    let conn_id = shared.next_conn_id();
    tracing::debug!(conn = conn_id, %ip, "Syncplay connection opened");
    if let Some((lines, hello)) = greet(lines, &shared).await {
        run(lines, hello, ip, conn_id, &shared).await;
    }
    shared.metrics.connections.dec();
    tracing::debug!(conn = conn_id, "Syncplay connection closed");
    drop(peer);
}

fn framed(io: Io) -> Lines {
    Framed::new(io, LinesCodec::new_with_max_length(MAX_LINE_BYTES))
}

/// Writes one line with Syncplay's CRLF ending.
async fn send_line(lines: &mut Lines, line: &str) -> bool {
    let sent = tokio::time::timeout(WRITE_TIMEOUT, lines.send(format!("{line}\r"))).await;
    matches!(sent, Ok(Ok(())))
}

/// Sends a Syncplay error and gives up the connection (its caller returns).
/// It then reads and drops what the client still sends for a moment:
/// closing a socket with unread data resets it, and a reset discards the
/// error before the client reads it.
async fn refuse(lines: &mut Lines, message: &str) {
    tracing::debug!(message, "Syncplay connection refused");
    if !send_line(lines, &wire::error(message)).await {
        return;
    }
    let _ = tokio::io::AsyncWriteExt::shutdown(lines.get_mut()).await;
    let _ = tokio::time::timeout(CLOSE_LINGER, async {
        while let Some(read) = lines.next().await {
            if matches!(read, Err(LinesCodecError::Io(_))) {
                break;
            }
        }
    })
    .await;
}

/// What a line read became: its commands, or the error to close with.
fn read(
    line: Option<Result<String, LinesCodecError>>,
) -> Result<Vec<wire::Incoming>, Option<String>> {
    match line {
        None => Err(None),
        Some(Err(LinesCodecError::MaxLineLengthExceeded)) => Err(Some(format!(
            "Lines are at most {} KiB; the connection is closed.",
            MAX_LINE_BYTES / 1024
        ))),
        Some(Err(LinesCodecError::Io(e))) if e.kind() == std::io::ErrorKind::InvalidData => {
            Err(Some("Not a UTF-8 line.".into()))
        }
        Some(Err(_)) => Err(None),
        Some(Ok(line)) if line.trim().is_empty() => Ok(Vec::new()),
        Some(Ok(line)) => wire::parse_line(line.trim()).map_err(|e| Some(e.to_string())),
    }
}

/// Waits for the client's `Hello`, answering a `TLS` question on the way
/// (and upgrading, when the relay has a certificate Syncplay can verify).
async fn greet(mut lines: Lines, shared: &Shared) -> Option<(Lines, wire::Hello)> {
    let deadline = tokio::time::Instant::now() + shared.config.hello_timeout();
    loop {
        let next = tokio::select! {
            next = lines.next() => next,
            _ = tokio::time::sleep_until(deadline) => {
                refuse(&mut lines, refusal::SYNCPLAY_NO_HELLO).await;
                return None;
            }
            _ = shared.shutdown.cancelled() => return None,
        };
        let commands = match read(next) {
            Ok(commands) => commands,
            Err(Some(message)) => {
                refuse(&mut lines, &message).await;
                return None;
            }
            Err(None) => return None,
        };
        for command in commands {
            match command {
                wire::Incoming::Hello(hello) => return Some((lines, hello)),
                wire::Incoming::StartTls => lines = start_tls(lines, shared).await?,
                _ => {
                    refuse(&mut lines, refusal::SYNCPLAY_HELLO_FIRST).await;
                    return None;
                }
            }
        }
    }
}

/// Answers Syncplay's `TLS` question: yes (and the handshake follows at
/// once) when the relay's certificate comes from its operator (a public
/// authority's, which Syncplay checks against its own list); no with the
/// app's self-signed one, which only Matinee can pin.
async fn start_tls(mut lines: Lines, shared: &Shared) -> Option<Lines> {
    let acceptor = match (&shared.syncplay_tls, lines.get_ref()) {
        (Some(acceptor), Either::Left(_)) => acceptor.clone(),
        _ => {
            send_line(&mut lines, &wire::tls(false))
                .await
                .then_some(())?;
            return Some(lines);
        }
    };
    send_line(&mut lines, &wire::tls(true))
        .await
        .then_some(())?;
    let parts = lines.into_parts();
    if !parts.read_buf.is_empty() {
        // The client spoke before the handshake: not a TLS client.
        return None;
    }
    let Either::Left(tcp) = parts.io else {
        return None;
    };
    let handshake = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await;
    match handshake {
        Ok(Ok(tls)) => Some(framed(Either::Right(tls))),
        _ => {
            tracing::debug!("Syncplay TLS handshake failed");
            None
        }
    }
}

/// A version as shown to people: digits, letters, dots and dashes only.
fn shown_version(v: &str) -> String {
    v.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
        .take(16)
        .collect()
}

/// Takes the seat: the room by its code, then the room's `joined`.
async fn take_seat(
    hello: &wire::Hello,
    outbox: Outbox,
    inbox: &mut Inbox,
    ip: IpAddr,
    shared: &Arc<Shared>,
) -> Result<(RoomHandle, ParticipantId, Joined), String> {
    let Ok(code) = RoomCode::parse(&hello.room) else {
        return Err(format!(
            "There is no Matinee room \"{}\": the room name is the 6-character code your host gave you (like K7MQ2X).",
            hello.room.chars().take(40).collect::<String>()
        ));
    };
    if !shared.join_throttle.attempt(ip, Instant::now()) {
        return Err(crate::refusal::join_throttled().1);
    }
    let room = match shared.rooms.find(&code).await {
        Ok(Some(room)) => room,
        Ok(None) => {
            return Err(format!(
                "There is no Matinee room {code}: check the code with your host, or the party may have ended."
            ))
        }
        Err((_, message)) => return Err(message),
    };
    let via = format!("Syncplay {}", shown_version(&hello.version));
    let conn_id = outbox.conn_id;
    let nickname = matinee_protocol::clean_nickname(&hello.username)
        .map(|_| hello.username.clone())
        .map_err(|e| format!("That user name cannot be used: {e}"))?;
    let pid = room
        .join(nickname, None, Some(via), outbox)
        .await
        .map_err(|(_, message)| message)?;
    let joined = tokio::time::timeout(JOINED_TIMEOUT, async {
        while let Some(item) = inbox.rx.recv().await {
            if let Outgoing::Frame(text) = item {
                if let Ok(ServerMsg::Joined(joined)) = ServerMsg::decode(&text) {
                    return Some(*joined);
                }
            }
        }
        None
    })
    .await;
    match joined {
        Ok(Some(joined)) => Ok((room, pid, joined)),
        _ => {
            // Seated but never told: give the seat up, as a dropped link.
            room.send(RoomCmd::Disconnected { pid, conn_id }).await;
            Err("The room did not answer; try again.".into())
        }
    }
}

async fn run(mut lines: Lines, hello: wire::Hello, ip: IpAddr, conn_id: u64, shared: &Arc<Shared>) {
    let (outbox, mut inbox) = outbox(conn_id, ip, shared.config.send_queue);
    let (room, pid, joined) = match take_seat(&hello, outbox, &mut inbox, ip, shared).await {
        Ok(seat) => seat,
        Err(message) => return refuse(&mut lines, &message).await,
    };
    tracing::info!(room = %room.code, participant = pid, version = %hello.version, "Syncplay client seated");
    let mut bridge = Bridge::new(&joined);
    let mut conn = Conn {
        lines,
        room,
        pid,
        conn_id,
        shared: shared.clone(),
        bucket: TokenBucket::new(shared.config.max_messages_per_sec),
        strikes: 0,
        last_message: Instant::now(),
    };
    let now = shared.clock.now_ms();
    let greeting = bridge.hello(&hello, shared.config.max_chat_chars(), now);
    let left = if conn.apply(greeting).await {
        conn.serve(&mut bridge, &mut inbox).await
    } else {
        true
    };
    if left {
        // Syncplay has no leave: a closed connection is a friend gone.
        conn.tell_room(matinee_protocol::ClientMsg::Leave).await;
    }
    conn.room
        .send(RoomCmd::Disconnected {
            pid: conn.pid,
            conn_id,
        })
        .await;
}

struct Conn {
    lines: Lines,
    room: RoomHandle,
    pid: ParticipantId,
    conn_id: u64,
    shared: Arc<Shared>,
    bucket: TokenBucket,
    strikes: u32,
    last_message: Instant,
}

impl Conn {
    /// Carries out the bridge's effects; false once the connection is to
    /// close.
    async fn apply(&mut self, effects: Vec<Effect>) -> bool {
        for effect in effects {
            match effect {
                Effect::Line(line) => {
                    if !send_line(&mut self.lines, &line).await {
                        return false;
                    }
                }
                Effect::Room(msg) => {
                    if let Err(e) = msg.validate() {
                        let text = format!("Not passed on to the room: {e}");
                        if !send_line(&mut self.lines, &wire::chat(bridge::RELAY_NAME, &text)).await
                        {
                            return false;
                        }
                        continue;
                    }
                    if !self.tell_room(msg).await {
                        return false;
                    }
                }
                Effect::Rtt(rtt_ms) => {
                    let cmd = RoomCmd::Rtt {
                        pid: self.pid,
                        conn_id: self.conn_id,
                        rtt_ms,
                        link: Some(LinkKind::Direct),
                    };
                    self.room.send(cmd).await;
                }
                Effect::Close => return false,
            }
        }
        true
    }

    async fn tell_room(&mut self, msg: matinee_protocol::ClientMsg) -> bool {
        let cmd = RoomCmd::Client {
            pid: self.pid,
            conn_id: self.conn_id,
            msg,
        };
        self.room.send(cmd).await
    }

    /// Within the rate, or false (with an error sent once) when the line is
    /// dropped; `None` when the client floods and must go.
    async fn within_rate(&mut self) -> Option<bool> {
        if self.bucket.take(Instant::now()) {
            self.strikes = 0;
            return Some(true);
        }
        self.strikes += 1;
        if self.strikes > RATE_STRIKES_BEFORE_CLOSE {
            refuse(&mut self.lines, refusal::SYNCPLAY_FLOOD).await;
            return None;
        }
        Some(false)
    }

    /// The connection's life in the room. True when the friend left (the
    /// seat goes), false when the room or the relay ended it.
    async fn serve(&mut self, bridge: &mut Bridge, inbox: &mut Inbox) -> bool {
        let shutdown = self.shared.shutdown.clone();
        loop {
            let now_ms = self.shared.clock.now_ms();
            let idle = tokio::time::Instant::from_std(
                self.last_message + self.shared.config.idle_timeout(),
            );
            let wake = bridge.next_wake_ms(now_ms).map(|at| {
                tokio::time::Instant::now()
                    + Duration::from_secs_f64(((at - now_ms) / 1000.0).max(0.0))
            });
            let effects = tokio::select! {
                biased;
                _ = shutdown.cancelled() => {
                    refuse(&mut self.lines, refusal::SYNCPLAY_SHUTTING_DOWN).await;
                    return false;
                }
                changed = inbox.kill.changed() => {
                    let code = (*inbox.kill.borrow()).filter(|_| changed.is_ok());
                    refuse(&mut self.lines, refusal::closed_reason(code, false)).await;
                    return true;
                }
                out = inbox.rx.recv() => match out {
                    Some(Outgoing::Frame(text)) => match ServerMsg::decode(&text) {
                        Ok(msg) => bridge.on_room(msg, self.shared.clock.now_ms()),
                        Err(_) => Vec::new(),
                    },
                    Some(Outgoing::Frames(frames)) => frames
                        .iter()
                        .filter_map(|text| ServerMsg::decode(text).ok())
                        .flat_map(|msg| bridge.on_room(msg, self.shared.clock.now_ms()))
                        .collect(),
                    // Left or removed: the room said why in a `left` first.
                    Some(Outgoing::Evicted) | None => return false,
                },
                line = self.lines.next() => {
                    self.last_message = Instant::now();
                    let commands = match read(line) {
                        Ok(commands) => commands,
                        Err(Some(message)) => {
                            refuse(&mut self.lines, &message).await;
                            return true;
                        }
                        Err(None) => return true,
                    };
                    match self.within_rate().await {
                        None => return true,
                        Some(false) => continue,
                        Some(true) => {}
                    }
                    let now_ms = self.shared.clock.now_ms();
                    commands.into_iter().flat_map(|c| bridge.on_client(c, now_ms)).collect()
                }
                _ = tokio::time::sleep_until(wake.unwrap_or(idle)), if wake.is_some() => {
                    bridge.tick(self.shared.clock.now_ms())
                }
                _ = tokio::time::sleep_until(idle) => {
                    refuse(&mut self.lines, refusal::SYNCPLAY_IDLE).await;
                    return true;
                }
            };
            if !self.apply(effects).await {
                return true;
            }
        }
    }
}
