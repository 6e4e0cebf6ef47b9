//! What the session tests share: a session's settings for tests, a peer
//! (a session with its own connection to its mpv, and its events), and
//! waiting for a condition within a bound. Each test crate uses part of it.
#![allow(dead_code)]

pub mod heard;

use std::time::{Duration, Instant};

use matinee_client_core::{
    start_party, Backoff, MediaSource, PartyHandle, PartyRequest, PartySession, RelayEndpoint,
    Role, SessionConfig, SessionEvent,
};
use matinee_mpv::{locate, LaunchOptions, MpvClient};
use matinee_sync::EngineConfig;
use tokio::sync::broadcast;

/// A session on the relay at `relay_url` playing `media` in a headless mpv,
/// reconnecting quickly (0.1–1 s), with notices on the video.
pub fn config(relay_url: String, nickname: &str, role: Role, media: MediaSource) -> SessionConfig {
    SessionConfig {
        relay: vec![RelayEndpoint::url(relay_url)],
        nickname: nickname.into(),
        role,
        media,
        mpv: LaunchOptions::headless(locate(None).expect("mpv installed")),
        engine: EngineConfig::default(),
        client_name: "matinee-tests".into(),
        osd_notices: true,
        backoff: Backoff::new(Duration::from_millis(100), Duration::from_secs(1)),
        film_folders: Vec::new(),
        jellyfin: None,
        reporter: None,
    }
}

/// A session plus an outside connection to its mpv (the way a person's
/// key presses reach it) and what it tells.
pub struct Peer {
    pub session: PartyHandle,
    pub events: broadcast::Receiver<SessionEvent>,
    pub mpv: MpvClient,
}

impl Peer {
    pub async fn start(cfg: SessionConfig) -> Peer {
        Self::with(PartySession::start(cfg).await.expect("session starts")).await
    }

    /// A party started the app's way (`start_party`).
    pub async fn party(req: PartyRequest) -> Peer {
        Self::with(start_party(req).await.expect("party starts")).await
    }

    async fn with(session: PartyHandle) -> Peer {
        let events = session.events();
        let endpoint = session.snapshot().player_endpoint.expect("player open");
        let mpv = MpvClient::connect(&endpoint).await.expect("mpv answers");
        Peer {
            session,
            events,
            mpv,
        }
    }

    /// The file or stream this peer's mpv has open ("" for none).
    pub async fn playing(&self) -> String {
        self.mpv
            .get_text("path")
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Where this player is at `at` (−1 while it does not say).
    pub fn position_at(&self, at: Instant) -> f64 {
        self.mpv.state().borrow().position_at(at).unwrap_or(-1.0)
    }

    pub fn paused(&self) -> bool {
        self.mpv.state().borrow().pause
    }

    /// The next event `pick` takes (10 s at most).
    pub async fn event<T>(&mut self, what: &str, pick: impl Fn(&SessionEvent) -> Option<T>) -> T {
        let wait = async {
            loop {
                match self.events.recv().await {
                    Ok(ev) => {
                        if let Some(v) = pick(&ev) {
                            return v;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(e) => panic!("{what}: events ended: {e}"),
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .unwrap_or_else(|_| panic!("{what}: not within 10 s"))
    }
}

/// Settings for a loopback relay that can be stopped and started again
/// at the same address with the same resume key (kept in `dir`), as a
/// relay that restarts is.
pub fn restartable_relay(dir: &std::path::Path) -> impl Fn() -> matinee_relay::RelayConfig {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let secret = dir.join("resume-secret");
    move || matinee_relay::RelayConfig {
        listen: format!("127.0.0.1:{port}").parse().unwrap(),
        resume_secret_file: Some(secret.clone()),
        ..matinee_relay::RelayConfig::loopback()
    }
}

/// Waits until `check` holds, looking every 20 ms, and fails the test after
/// `limit`; returns how long it took.
pub async fn eventually(what: &str, limit: Duration, mut check: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    start.elapsed()
}

/// Waits (60 s at most) until `peer`'s copy is aligned by sound, and
/// checks that its copy runs `shift` seconds ahead of the room's; gives
/// the line found.
pub async fn aligned(peer: &Peer, shift: f64) -> matinee_align::Line {
    let line = within(60, "the copy aligned", || {
        let line = peer.session.snapshot().line;
        (!line.is_identity()).then_some(line)
    })
    .await;
    let found = 100.0 - line.to_room(100.0);
    assert!((found - shift).abs() < 0.1, "line {line:?}, not {shift} s");
    line
}

/// The first value `f` gives within 15 s, looking every 50 ms.
pub async fn until<T>(what: &str, f: impl FnMut() -> Option<T>) -> T {
    within(15, what, f).await
}

/// The first value `f` gives within `secs`, looking every 50 ms.
pub async fn within<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
