//! A real WebSocket client for relay tests, on loopback.
#![allow(dead_code)]

use std::time::Duration;

use matinee_protocol::{
    ClientMsg, ControlMode, ErrorCode, Joined, ParticipantId, RoomCode, ServerMsg, PROTOCOL_VERSION,
};
pub use matinee_relay::{RelayConfig, RelayHandle};
use matinee_testkit::ws::{Read, WsClient};
use tokio_tungstenite::tungstenite::Message;

pub const WAIT: Duration = Duration::from_secs(5);

/// Test defaults: loopback, generous join limits, fast ticks.
pub fn config() -> RelayConfig {
    RelayConfig {
        max_joins_per_minute: 1000,
        tick_ms: 200,
        ..RelayConfig::loopback()
    }
}

pub async fn relay(config: RelayConfig) -> RelayHandle {
    matinee_relay::start(config).await.expect("relay starts")
}

pub struct Client {
    ws: WsClient,
    pub id: ParticipantId,
    pub token: String,
    pub code: Option<RoomCode>,
    /// The newest host proof the relay sent this client.
    pub host_proof: Option<String>,
}

impl Client {
    /// Connects without saying hello.
    pub async fn raw(relay: &RelayHandle) -> Self {
        Self::raw_url(&relay.ws_url()).await
    }

    /// Connects to a relay by URL without saying hello.
    pub async fn raw_url(url: &str) -> Self {
        let ws = WsClient::connect(url).await.expect("websocket connects");
        Self {
            ws,
            id: 0,
            token: String::new(),
            code: None,
            host_proof: None,
        }
    }

    /// Connects through a socket with a tiny receive buffer, says hello and
    /// joins, for tests of clients that stop reading.
    pub async fn guest_with_small_buffer(
        relay: &RelayHandle,
        code: &RoomCode,
        nickname: &str,
    ) -> Self {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(2048).unwrap();
        let stream = socket.connect(relay.addr()).await.unwrap();
        let ws = WsClient::over(&relay.ws_url(), stream)
            .await
            .expect("websocket connects");
        let mut c = Self {
            ws,
            id: 0,
            token: String::new(),
            code: None,
            host_proof: None,
        };
        c.hello().await;
        c.join(code, nickname).await;
        c
    }

    /// Connects from another loopback address (127.0.0.2, …: Linux
    /// answers the whole 127/8), without saying hello; Err carries the
    /// refusal (an HTTP status and body) when the handshake fails.
    pub async fn raw_from(
        relay: &RelayHandle,
        source: std::net::IpAddr,
    ) -> Result<Self, tokio_tungstenite::tungstenite::Error> {
        Self::raw_from_url(&relay.ws_url(), source).await
    }

    /// [`Client::raw_from`] for a relay known by its (plain ws://) URL.
    pub async fn raw_from_url(
        url: &str,
        source: std::net::IpAddr,
    ) -> Result<Self, tokio_tungstenite::tungstenite::Error> {
        let addr: std::net::SocketAddr = url
            .trim_start_matches("ws://")
            .trim_end_matches("/ws")
            .parse()
            .expect("a ws://IP:PORT/ws URL");
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket
            .bind(std::net::SocketAddr::new(source, 0))
            .expect("bind a loopback source address");
        let stream = socket.connect(addr).await.unwrap();
        let ws = WsClient::over(url, stream).await?;
        Ok(Self {
            ws,
            id: 0,
            token: String::new(),
            code: None,
            host_proof: None,
        })
    }

    /// Connects from `source` and says hello.
    pub async fn connect_from(relay: &RelayHandle, source: &str) -> Self {
        let mut c = Self::raw_from(relay, source.parse().unwrap())
            .await
            .expect("websocket connects");
        c.hello().await;
        c
    }

    /// Connects and says hello.
    pub async fn connect(relay: &RelayHandle) -> Self {
        let mut c = Self::raw(relay).await;
        c.hello().await;
        c
    }

    /// Says hello and checks the welcome.
    pub async fn hello(&mut self) {
        let welcome = self.ws.hello("relay-test", WAIT).await;
        let welcome = welcome.expect("the relay welcomes a hello");
        assert_eq!(welcome.protocol, PROTOCOL_VERSION);
    }

    /// Joins a room by code and waits for the seat.
    pub async fn join(&mut self, code: &RoomCode, nickname: &str) {
        self.send(&ClientMsg::Join {
            code: code.clone(),
            nickname: nickname.into(),
            media: None,
        })
        .await;
        self.expect_joined().await;
    }

    /// Connects and creates a room.
    pub async fn host(relay: &RelayHandle, nickname: &str, mode: ControlMode) -> Self {
        let mut c = Self::connect(relay).await;
        c.send(&ClientMsg::Create {
            nickname: nickname.into(),
            control_mode: mode,
            media: None,
        })
        .await;
        c.expect_joined().await;
        c
    }

    /// Connects and joins a room.
    pub async fn guest(relay: &RelayHandle, code: &RoomCode, nickname: &str) -> Self {
        let mut c = Self::connect(relay).await;
        c.join(code, nickname).await;
        c
    }

    pub async fn expect_joined(&mut self) -> Joined {
        let joined = self
            .recv_until(|m| match m {
                ServerMsg::Joined(j) => Some((**j).clone()),
                ServerMsg::Error { code, message, .. } => {
                    panic!("expected joined, got error {code:?}: {message}")
                }
                _ => None,
            })
            .await;
        self.id = joined.you;
        self.token = joined.resume_token.clone();
        self.code = Some(joined.room.code.clone());
        joined
    }

    /// Reads until a host proof arrives; returns it.
    pub async fn expect_host_proof(&mut self) -> String {
        self.recv_until(|m| match m {
            ServerMsg::HostProof { proof } => Some(proof.clone()),
            _ => None,
        })
        .await
    }

    pub fn code(&self) -> RoomCode {
        self.code.clone().expect("in a room")
    }

    pub async fn send(&mut self, msg: &ClientMsg) {
        self.send_raw(msg.encode()).await;
    }

    /// Sends a control change dated now.
    pub async fn control(&mut self, seq: u64, action: matinee_protocol::ControlAction) {
        self.send(&ClientMsg::Control {
            seq,
            action,
            server_ms: None,
        })
        .await;
    }

    /// Chats in rounds (reading the echoes) until a participant list shows
    /// `name` as reconnecting, or `rounds` are done; true when it did.
    pub async fn flood_until_away(&mut self, name: &str, rounds: usize) -> bool {
        let big = "z".repeat(1000);
        for _ in 0..rounds {
            for _ in 0..20 {
                self.send(&ClientMsg::Chat { text: big.clone() }).await;
            }
            let mut echoes = 0;
            while echoes < 20 {
                match self.recv().await {
                    ServerMsg::Chat { .. } => echoes += 1,
                    ServerMsg::Participants { participants }
                        if participants
                            .iter()
                            .any(|p| p.nickname == name && p.reconnecting) =>
                    {
                        return true;
                    }
                    _ => {}
                }
            }
        }
        false
    }

    pub async fn send_raw(&mut self, text: impl Into<String>) {
        assert!(
            self.ws.send_frame(Message::text(text.into())).await,
            "send succeeds"
        );
    }

    /// Creates a room (already said hello); the relay's answer.
    pub async fn create(&mut self, nickname: &str) -> Result<Joined, (ErrorCode, String)> {
        self.send(&ClientMsg::Create {
            nickname: nickname.into(),
            control_mode: ControlMode::HostOnly,
            media: None,
        })
        .await;
        self.seat_answer().await
    }

    /// Joins by code (already said hello); the relay's answer.
    pub async fn try_join(
        &mut self,
        code: &RoomCode,
        nickname: &str,
    ) -> Result<Joined, (ErrorCode, String)> {
        self.send(&ClientMsg::Join {
            code: code.clone(),
            nickname: nickname.into(),
            media: None,
        })
        .await;
        self.seat_answer().await
    }

    /// The relay's answer to a create, join or resume: the seat (kept as
    /// this client's), or the refusal.
    pub async fn seat_answer(&mut self) -> Result<Joined, (ErrorCode, String)> {
        let answer = self
            .recv_until(|m| match m {
                ServerMsg::Joined(j) => Some(Ok((**j).clone())),
                ServerMsg::Error { code, message, .. } => Some(Err((*code, message.clone()))),
                _ => None,
            })
            .await;
        if let Ok(j) = &answer {
            self.id = j.you;
            self.token = j.resume_token.clone();
            self.code = Some(j.room.code.clone());
        }
        answer
    }

    /// Reads until a notice of `event`; returns its text.
    pub async fn notice_text(&mut self, event: matinee_protocol::NoticeEvent) -> String {
        self.recv_until(|m| match m {
            ServerMsg::Notice { event: e, text, .. } if *e == event => Some(text.clone()),
            _ => None,
        })
        .await
    }

    /// Reads frames for `wait`, adding up the bytes of the text frames.
    pub async fn bytes_received_within(&mut self, wait: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + wait;
        let mut total = 0;
        while let Read::Got(frame) = self.ws.next_frame(deadline).await {
            if let Message::Text(t) = frame {
                total += t.len();
            }
        }
        total
    }

    pub async fn send_message(&mut self, msg: Message) -> bool {
        self.ws.send_frame(msg).await
    }

    /// Next relay message, or None when the connection closed.
    pub async fn next(&mut self) -> Option<ServerMsg> {
        match self.ws.next_msg(tokio::time::Instant::now() + WAIT).await {
            Read::Got(msg) => {
                if let ServerMsg::HostProof { proof } = &msg {
                    self.host_proof = Some(proof.clone());
                }
                Some(msg)
            }
            Read::Closed => None,
            Read::TimedOut => panic!("relay answers in time"),
        }
    }

    pub async fn recv(&mut self) -> ServerMsg {
        self.next().await.expect("connection open")
    }

    /// Reads until `pick` returns Some; panics after [`WAIT`].
    pub async fn recv_until<T>(&mut self, pick: impl FnMut(&ServerMsg) -> Option<T>) -> T {
        self.recv_until_within(WAIT, pick).await
    }

    /// Reads until `pick` returns Some; panics after `wait`.
    pub async fn recv_until_within<T>(
        &mut self,
        wait: Duration,
        mut pick: impl FnMut(&ServerMsg) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + wait;
        let mut seen = Vec::new();
        loop {
            let msg = tokio::time::timeout_at(deadline, self.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "awaited message never came; last seen: {:?}",
                        seen.iter().rev().take(4).collect::<Vec<_>>()
                    )
                });
            if let Some(v) = pick(&msg) {
                return v;
            }
            seen.push(msg);
        }
    }

    /// Reads until an error with this code; returns (message, fatal).
    pub async fn expect_error(&mut self, want: ErrorCode) -> (String, bool) {
        self.recv_until(|m| match m {
            ServerMsg::Error {
                code,
                message,
                fatal,
            } if *code == want => Some((message.clone(), *fatal)),
            _ => None,
        })
        .await
    }

    /// Reads until the connection closes; panics if it stays open.
    pub async fn expect_closed(&mut self) {
        while self.next().await.is_some() {}
    }

    /// Checks that no error arrives within `wait` (other messages pass).
    pub async fn expect_no_error_for(&mut self, wait: Duration) {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match self.ws.next_msg(deadline).await {
                Read::TimedOut => return,
                Read::Got(ServerMsg::Error { code, message, .. }) => {
                    panic!("unexpected error {code:?}: {message}")
                }
                Read::Got(_) => {}
                Read::Closed => panic!("connection closed"),
            }
        }
    }

    /// Waits for a participant list satisfying `check`.
    pub async fn participants_where(
        &mut self,
        check: impl Fn(&[matinee_protocol::Participant]) -> bool,
    ) -> Vec<matinee_protocol::Participant> {
        self.recv_until(|m| match m {
            ServerMsg::Participants { participants } if check(participants) => {
                Some(participants.clone())
            }
            _ => None,
        })
        .await
    }

    /// Waits for a state message satisfying `check`.
    pub async fn state_where(
        &mut self,
        check: impl Fn(&matinee_protocol::PlaybackState) -> bool,
    ) -> (matinee_protocol::PlaybackState, f64) {
        self.recv_until(|m| match m {
            ServerMsg::State {
                playback,
                server_ms,
                ..
            } if check(playback) => Some((*playback, *server_ms)),
            _ => None,
        })
        .await
    }

    pub async fn close(mut self) {
        self.ws.close().await;
    }

    /// Drops the TCP connection without a close handshake.
    pub fn drop_link(self) {
        drop(self.ws);
    }
}

/// The nicknames holding the host role.
pub fn hosts(list: &[matinee_protocol::Participant]) -> Vec<String> {
    list.iter()
        .filter(|p| p.host)
        .map(|p| p.nickname.clone())
        .collect()
}

/// Resident memory of a process (`self`, or a pid), in KiB.
pub fn rss_kib(process: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{process}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PROCESS/status")
}
