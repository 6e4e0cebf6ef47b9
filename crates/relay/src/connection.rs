//! One WebSocket connection: reads frames, enforces limits, talks to its
//! room, and writes what the room queues for it.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use matinee_protocol::{
    ClientMsg, DecodeError, ErrorCode, ParticipantId, Pong, RoomCode, RoomRebuild, ServerMsg,
    Welcome, PROTOCOL_VERSION,
};

use crate::limits::TokenBucket;
use crate::outbox::{outbox, Inbox, Outbox, Outgoing};
use crate::refusal::{
    self, join_throttled, no_room, too_many_creations, too_many_rooms_open, Refusal,
};
use crate::room::{RoomCmd, RoomHandle};
use crate::shared::Shared;

/// Longest wait for the socket to take one frame before the client counts
/// as not reading.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Most queued frames written together.
const WRITE_BATCH: usize = 32;
/// Over-limit messages tolerated within one refill of the bucket before the
/// connection is closed.
const RATE_STRIKES_BEFORE_CLOSE: u32 = 200;
/// Pings in flight whose pongs are awaited (a pong must answer one).
const PINGS_IN_FLIGHT: usize = 4;
/// Longest part of a client's input quoted back in an error, in characters.
const MAX_QUOTED_CHARS: usize = 160;
/// After the relay closes a connection, how long it keeps reading (and
/// dropping) what the client still sends, so the client reads the error and
/// the close before the socket goes away. Closing a socket with unread data
/// makes the kernel reset it, and a reset discards what the client had not
/// read yet.
const CLOSE_LINGER: Duration = Duration::from_secs(2);

enum Phase {
    /// Waiting for the hello.
    New,
    /// Said hello, not in a room.
    Lobby,
    InRoom {
        room: RoomHandle,
        pid: ParticipantId,
    },
}

/// Whether the connection goes on after handling something.
enum Flow {
    Continue,
    Close,
}

struct Connection {
    ws: WebSocket,
    ip: IpAddr,
    shared: Arc<Shared>,
    outbox: Outbox,
    phase: Phase,
    bucket: TokenBucket,
    strikes: u32,
    last_message: Instant,
    /// The relay sent a close frame: linger before dropping the socket.
    closing: bool,
    /// Stamps of the pings sent and not yet answered: a pong carrying any
    /// other stamp (unsolicited, or forged to fake a long RTT) is ignored.
    pings: std::collections::VecDeque<[u8; 8]>,
    /// Reached peer-to-peer: which way it travels now.
    p2p: Option<Arc<crate::p2p::P2pPeer>>,
}

pub(crate) async fn serve(
    ws: WebSocket,
    ip: IpAddr,
    p2p: Option<Arc<crate::p2p::P2pPeer>>,
    shared: Arc<Shared>,
) {
    let conn_id = shared.next_conn_id();
    let (outbox, inbox) = outbox(conn_id, ip, shared.config.send_queue);
    shared.metrics.connections.inc();
    shared.metrics.connections_total.inc();
    tracing::debug!(conn = conn_id, %ip, "connection opened");
    let mut conn = Connection {
        ws,
        ip,
        bucket: TokenBucket::new(shared.config.max_messages_per_sec),
        shared: shared.clone(),
        outbox,
        phase: Phase::New,
        strikes: 0,
        last_message: Instant::now(),
        closing: false,
        pings: std::collections::VecDeque::new(),
        p2p,
    };
    conn.run(inbox).await;
    if let Phase::InRoom { room, pid } = std::mem::replace(&mut conn.phase, Phase::Lobby) {
        room.send(RoomCmd::Disconnected { pid, conn_id }).await;
    }
    if conn.closing {
        conn.linger().await;
    }
    shared.metrics.connections.dec();
    tracing::debug!(conn = conn_id, "connection closed");
}

fn close_code(code: ErrorCode) -> u16 {
    match code {
        ErrorCode::MessageTooLarge => 1009,
        ErrorCode::ShuttingDown => 1001,
        ErrorCode::Unavailable | ErrorCode::ServerFull => 1013,
        _ => 1008,
    }
}

fn decode_error(e: &DecodeError) -> ErrorCode {
    match e {
        DecodeError::Value(_) => ErrorCode::InvalidValue,
        _ => ErrorCode::BadMessage,
    }
}

impl Connection {
    async fn run(&mut self, mut inbox: Inbox) {
        let mut ping = tokio::time::interval(self.shared.config.tick());
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let shutdown = self.shared.shutdown.clone();
        loop {
            let idle_limit = match self.phase {
                Phase::New => self.shared.config.hello_timeout(),
                _ => self.shared.config.idle_timeout(),
            };
            let idle_deadline = tokio::time::Instant::from_std(self.last_message + idle_limit);
            let flow = tokio::select! {
                biased;
                _ = shutdown.cancelled() => {
                    self.close_with(refusal::shutting_down()).await
                }
                changed = inbox.kill.changed() => {
                    let code = (*inbox.kill.borrow()).filter(|_| changed.is_ok());
                    match code {
                        // The seat now belongs to the newer link.
                        Some(ErrorCode::SessionReplaced) => self.phase = Phase::Lobby,
                        // The node running the room is gone; coming back
                        // moves the room to a live node.
                        Some(ErrorCode::Unavailable) => self.phase = Phase::Lobby,
                        // Else the phase stays (a slow reader's room hears
                        // of it when the connection ends, as for any
                        // dropped link).
                        _ => {}
                    }
                    match code {
                        Some(code) => self.close_with(refusal::closed(code, true)).await,
                        None => Flow::Close,
                    }
                }
                out = inbox.rx.recv() => match out {
                    Some(item) => Box::pin(self.write_queued(item, &mut inbox)).await,
                    None => Flow::Close,
                },
                frame = self.ws.recv() => match frame {
                    // Handling a message needs more state than waiting for one:
                    // boxed, it is held only while it runs, not by every
                    // idle connection's task.
                    Some(Ok(Message::Text(text))) => Box::pin(self.on_text(text)).await,
                    Some(Ok(Message::Binary(_))) if matches!(self.phase, Phase::New) => {
                        // Nothing but a hello opens a connection (and only
                        // a message resets the hello timer).
                        self.close_with(refusal::hello_first()).await
                    }
                    Some(Ok(Message::Binary(_))) => {
                        self.last_message = Instant::now();
                        if self.rate_limited().await {
                            Flow::Continue
                        } else {
                            self.send_error(refusal::binary_frame(), false).await
                        }
                    }
                    // Pings and pongs count like messages: each ping is
                    // answered, so a flood of them is a flood of writes. A
                    // pong answering one of the relay's own pings (at most
                    // a few a tick) is the relay's doing, not the client's.
                    Some(Ok(Message::Pong(payload))) if self.awaited(&payload) => {
                        self.on_pong(&payload).await;
                        Flow::Continue
                    }
                    Some(Ok(Message::Pong(_))) => self.over_rate().await.unwrap_or(Flow::Continue),
                    Some(Ok(Message::Ping(_))) => self.over_rate().await.unwrap_or(Flow::Continue),
                    Some(Ok(Message::Close(_))) | None => Flow::Close,
                    Some(Err(e)) => {
                        tracing::debug!(error = %e, "read failed");
                        Flow::Close
                    }
                },
                _ = ping.tick() => {
                    let stamp = self.shared.clock.now_ms().to_le_bytes();
                    if self.pings.len() >= PINGS_IN_FLIGHT {
                        self.pings.pop_front();
                    }
                    self.pings.push_back(stamp);
                    self.write(Message::Ping(stamp.to_vec().into())).await
                }
                _ = tokio::time::sleep_until(idle_deadline) => {
                    self.close_with(refusal::idle()).await
                }
            };
            if let Flow::Close = flow {
                break;
            }
        }
    }

    async fn write(&mut self, msg: Message) -> Flow {
        let written = tokio::time::timeout(WRITE_TIMEOUT, self.ws.send(msg)).await;
        self.after_write(written)
    }

    /// Whether the connection goes on after a write (within the timeout).
    fn after_write(
        &self,
        written: Result<Result<(), axum::Error>, tokio::time::error::Elapsed>,
    ) -> Flow {
        match written {
            Ok(Ok(())) => Flow::Continue,
            Ok(Err(_)) => Flow::Close,
            Err(_) => {
                tracing::warn!(
                    conn = self.outbox.conn_id,
                    "client stopped reading; closing"
                );
                Flow::Close
            }
        }
    }

    /// Writes a queued item and those queued behind it (a state, the
    /// roster and a notice often come together) before one flush. A
    /// shared file's frames go out one by one, each within the write
    /// timeout: a member that reads slowly takes them at its pace.
    async fn write_queued(&mut self, first: Outgoing, inbox: &mut Inbox) -> Flow {
        let mut item = Some(first);
        let mut taken = 0;
        while let Some(current) = item.take() {
            let flow = match current {
                Outgoing::Frame(text) => self.feed(text).await,
                Outgoing::Frames(frames) => self.feed_all(&frames).await,
                Outgoing::Evicted => {
                    self.phase = Phase::Lobby;
                    Flow::Continue
                }
            };
            if let Flow::Close = flow {
                return flow;
            }
            taken += 1;
            if taken < WRITE_BATCH {
                item = inbox.rx.try_recv().ok();
            }
        }
        use futures_util::SinkExt;
        let flushed = tokio::time::timeout(WRITE_TIMEOUT, self.ws.flush()).await;
        self.after_write(flushed)
    }

    async fn feed(&mut self, text: Utf8Bytes) -> Flow {
        use futures_util::SinkExt;
        let fed = tokio::time::timeout(WRITE_TIMEOUT, self.ws.feed(Message::Text(text))).await;
        self.after_write(fed)
    }

    async fn feed_all(&mut self, frames: &[Utf8Bytes]) -> Flow {
        for text in frames {
            if let Flow::Close = self.feed(text.clone()).await {
                return Flow::Close;
            }
        }
        Flow::Continue
    }

    async fn send(&mut self, msg: &ServerMsg) -> Flow {
        self.write(Message::Text(Utf8Bytes::from(msg.encode())))
            .await
    }

    async fn send_error(&mut self, (code, message): Refusal, fatal: bool) -> Flow {
        self.shared.metrics.error(code);
        let flow = self.send(&ServerMsg::error(code, &message, fatal)).await;
        if fatal {
            let frame = CloseFrame {
                code: close_code(code),
                reason: Utf8Bytes::from(code.as_str()),
            };
            if let Flow::Continue = self.write(Message::Close(Some(frame))).await {
                self.closing = true;
            }
            return Flow::Close;
        }
        flow
    }

    /// Reads and drops frames until the client answers the close (or goes),
    /// for at most [`CLOSE_LINGER`].
    async fn linger(&mut self) {
        let _ = tokio::time::timeout(CLOSE_LINGER, async {
            while let Some(Ok(frame)) = self.ws.recv().await {
                if let Message::Close(_) = frame {
                    break;
                }
            }
        })
        .await;
    }

    /// Takes back a seat; after a restart, rebuilds the room for a member
    /// whose token this relay's key signed.
    async fn resume(
        &mut self,
        code: RoomCode,
        token: String,
        rebuild: Option<Box<RoomRebuild>>,
    ) -> Result<(RoomHandle, ParticipantId), Refusal> {
        let shared = self.shared.clone();
        let member = rebuild
            .filter(|_| shared.tokens.persistent)
            .and_then(|r| Some((shared.tokens.verify(&code, &token)?, r)));
        let room = match &member {
            Some((_, r)) => shared.rooms.find_or_rebuild(&code, r.control_mode).await?,
            None => shared
                .rooms
                .find(&code)
                .await?
                .ok_or_else(|| no_room(&code))?,
        };
        let resumed = room.resume(token.clone(), self.outbox.clone()).await;
        match (resumed, member) {
            (Err((ErrorCode::InvalidToken, _)), Some((pid, r))) => room
                .rebuild(pid, token, r, self.outbox.clone())
                .await
                .map(|pid| (room, pid)),
            (other, _) => other.map(|pid| (room, pid)),
        }
    }

    async fn close_with(&mut self, refused: Refusal) -> Flow {
        self.send_error(refused, true).await
    }

    async fn refuse(&mut self, refused: Refusal) -> Flow {
        self.send_error(refused, false).await
    }

    /// True when the message must be dropped for the rate limit (an error
    /// has been sent, or the connection is to close).
    async fn rate_limited(&mut self) -> bool {
        if self.bucket.take(Instant::now()) {
            self.strikes = 0;
            return false;
        }
        self.strikes += 1;
        if self.strikes == 1 {
            let _ = self.send_error(refusal::messages_dropped(), false).await;
        }
        true
    }

    /// Counts a frame against the rate limit: what to do with it when it
    /// is over (drop it, or close after too many strikes), or `None`.
    async fn over_rate(&mut self) -> Option<Flow> {
        if !self.rate_limited().await {
            return None;
        }
        if self.strikes > RATE_STRIKES_BEFORE_CLOSE {
            return Some(self.close_with(refusal::far_too_many_messages()).await);
        }
        Some(Flow::Continue)
    }

    /// The payload is the stamp of a ping the relay sent and awaits.
    fn awaited(&self, payload: &[u8]) -> bool {
        <[u8; 8]>::try_from(payload).is_ok_and(|stamp| self.pings.contains(&stamp))
    }

    async fn on_pong(&mut self, payload: &[u8]) {
        let Ok(stamp) = <[u8; 8]>::try_from(payload) else {
            return;
        };
        let Some(sent) = self.pings.iter().position(|p| *p == stamp) else {
            return;
        };
        // Older pings left unanswered are not answered later.
        self.pings.drain(..=sent);
        let rtt_ms = self.shared.clock.now_ms() - f64::from_le_bytes(stamp);
        if !(0.0..60_000.0).contains(&rtt_ms) {
            return;
        }
        if let Phase::InRoom { room, pid } = &self.phase {
            let cmd = RoomCmd::Rtt {
                pid: *pid,
                conn_id: self.outbox.conn_id,
                rtt_ms,
                link: Some(match &self.p2p {
                    Some(p2p) => p2p.link(),
                    None => matinee_protocol::LinkKind::Direct,
                }),
            };
            room.send(cmd).await;
        }
    }

    async fn on_text(&mut self, text: Utf8Bytes) -> Flow {
        self.last_message = Instant::now();
        self.shared.metrics.messages_received.inc();
        let limit = self.shared.config.max_frame_bytes;
        if text.len() > limit {
            return self.close_with(refusal::frame_too_large(limit)).await;
        }
        if let Some(flow) = self.over_rate().await {
            return flow;
        }
        let msg = match ClientMsg::decode(&text) {
            Ok(msg) => msg,
            Err(e) => {
                let fatal = matches!(self.phase, Phase::New);
                let refused = (decode_error(&e), shortened(&e.to_string()));
                return self.send_error(refused, fatal).await;
            }
        };
        match (&self.phase, msg) {
            (Phase::New, ClientMsg::Hello { protocol, client }) => {
                self.on_hello(protocol, &client).await
            }
            (Phase::New, _) => self.close_with(refusal::hello_first()).await,
            (_, ClientMsg::Hello { .. }) => self.send_error(refusal::hello_again(), false).await,
            (_, ClientMsg::Ping { client_ms }) => {
                let recv = self.shared.clock.now_ms();
                self.send(&ServerMsg::Pong(Pong {
                    client_ms,
                    server_recv_ms: recv,
                    server_send_ms: self.shared.clock.now_ms(),
                }))
                .await
            }
            (Phase::Lobby, msg) => self.in_lobby(msg).await,
            (Phase::InRoom { room, pid }, msg) => {
                let (room, pid) = (room.clone(), *pid);
                let cmd = RoomCmd::Client {
                    pid,
                    conn_id: self.outbox.conn_id,
                    msg,
                };
                if room.send(cmd).await {
                    Flow::Continue
                } else {
                    self.phase = Phase::Lobby;
                    self.send_error(refusal::room_has_ended(), false).await
                }
            }
        }
    }

    async fn on_hello(&mut self, protocol: u32, client: &str) -> Flow {
        if protocol != PROTOCOL_VERSION {
            let refused = refusal::protocol_mismatch(protocol, PROTOCOL_VERSION);
            return self.close_with(refused).await;
        }
        tracing::debug!(conn = self.outbox.conn_id, client, "hello");
        self.phase = Phase::Lobby;
        let welcome = ServerMsg::Welcome(Welcome {
            protocol: PROTOCOL_VERSION,
            server: concat!("matinee-relay/", env!("CARGO_PKG_VERSION")).into(),
            server_ms: self.shared.clock.now_ms(),
            max_frame_bytes: self.shared.config.max_frame_bytes,
            max_chat_chars: self.shared.config.max_chat_chars(),
        });
        self.send(&welcome).await
    }

    fn join_allowed(&self) -> bool {
        let ok = self.shared.join_throttle.attempt(self.ip, Instant::now());
        if !ok {
            tracing::warn!(ip = %self.ip, "join attempts throttled");
        }
        ok
    }

    /// A room may be created from this address: within its rooms a
    /// minute, and its rooms open at once (the place returned).
    fn create_allowed(&self) -> Result<Option<Arc<crate::limits::Held>>, Refusal> {
        let config = &self.shared.config;
        let Some(place) = self.shared.rooms_held.take(self.ip) else {
            tracing::warn!(ip = %self.ip, "room creation refused: too many open rooms");
            return Err(too_many_rooms_open(config.max_rooms_per_address));
        };
        if !self.shared.create_throttle.attempt(self.ip, Instant::now()) {
            tracing::warn!(ip = %self.ip, "room creation throttled");
            return Err(too_many_creations(config.max_creates_per_minute));
        }
        Ok(Some(Arc::new(place)))
    }

    async fn in_lobby(&mut self, msg: ClientMsg) -> Flow {
        let result = match msg {
            ClientMsg::Create {
                nickname,
                control_mode,
                media,
            } => {
                let place = match self.create_allowed() {
                    Ok(place) => place,
                    Err(refusal) => return self.refuse(refusal).await,
                };
                let shared = self.shared.clone();
                let room = shared.rooms.create(control_mode, place).await;
                match room {
                    Ok(room) => room
                        .join(nickname, media, None, self.outbox.clone())
                        .await
                        .map(|pid| (room, pid)),
                    Err(refusal) => Err(refusal),
                }
            }
            ClientMsg::Join {
                code,
                nickname,
                media,
            } => {
                if !self.join_allowed() {
                    return self.refuse(join_throttled()).await;
                }
                let shared = self.shared.clone();
                match shared.rooms.find(&code).await {
                    Ok(Some(room)) => room
                        .join(nickname, media, None, self.outbox.clone())
                        .await
                        .map(|pid| (room, pid)),
                    Ok(None) => Err(no_room(&code)),
                    Err(refusal) => Err(refusal),
                }
            }
            ClientMsg::Resume {
                code,
                token,
                rebuild,
            } => {
                if !self.join_allowed() {
                    return self.refuse(join_throttled()).await;
                }
                self.resume(code, token, rebuild).await
            }
            _ => Err(refusal::not_in_room()),
        };
        match result {
            Ok((room, pid)) => {
                tracing::info!(room = %room.code, participant = pid, "seat taken");
                self.phase = Phase::InRoom { room, pid };
                Flow::Continue
            }
            Err(refusal) => self.refuse(refusal).await,
        }
    }
}

/// An error text quoting the client's input, cut to [`MAX_QUOTED_CHARS`]
/// (a 60 kB value is not sent back whole).
fn shortened(text: &str) -> String {
    if text.chars().count() <= MAX_QUOTED_CHARS {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(MAX_QUOTED_CHARS).collect();
    cut.push('…');
    cut
}
