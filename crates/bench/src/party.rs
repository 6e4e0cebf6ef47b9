//! A benchmark party: an in-process relay, one proxy and one real headless
//! mpv per client, and a recorder sampling every mpv over its own IPC
//! connection.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use matinee_client_core::{
    now_ms, Backoff, MediaSource, PartyHandle, PartySession, Role, SessionCmd, SessionConfig,
};
use matinee_mpv::{LaunchOptions, MpvBinary, MpvClient, MpvEvent, Property};
use matinee_protocol::{ControlMode, RoomCode};
use matinee_relay::{RelayConfig, RelayHandle};
use matinee_sync::{ControllerKind, EngineConfig};

use matinee_testkit::proxy::{LinkProfile, Proxy};

/// One sample of every player at the same instant.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Seconds since the party started.
    pub t: f64,
    pub pos: Vec<Option<f64>>,
    pub paused: Vec<bool>,
    pub speed: Vec<f64>,
    pub seeking: Vec<bool>,
    pub room_speed: f64,
    /// Per player, what the engines believed against the truth.
    pub diag: Vec<PeerDiag>,
}

/// One player's view against the truth, for `--trace`: the bench knows
/// the relay's real clock, so it can tell clock errors from player errors.
#[derive(Debug, Clone, Copy, Default)]
pub struct PeerDiag {
    /// Player position minus the room position at the relay's real time, ms.
    pub room_drift_ms: Option<f64>,
    /// The drift the engine measured, ms.
    pub engine_drift_ms: Option<f64>,
    /// The engine's clock offset minus the real one, ms.
    pub clock_err_ms: Option<f64>,
}

/// What a party's recorder wrote: a frame every 10 ms since the start.
#[derive(Clone)]
pub struct Recording {
    started: Instant,
    frames: Arc<Mutex<Vec<Frame>>>,
}

impl Recording {
    pub fn new() -> Recording {
        Recording {
            started: Instant::now(),
            frames: Arc::default(),
        }
    }

    /// Seconds since the start.
    pub fn t(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// Seconds from the start to `at`.
    pub fn t_of(&self, at: Instant) -> f64 {
        at.duration_since(self.started).as_secs_f64()
    }

    pub fn push(&self, frame: Frame) {
        self.frames.lock().unwrap().push(frame);
    }

    /// Frames recorded from `t0` to `t1` (seconds since start).
    pub fn window(&self, t0: f64, t1: f64) -> Vec<Frame> {
        self.frames
            .lock()
            .unwrap()
            .iter()
            .filter(|f| f.t >= t0 && f.t <= t1)
            .cloned()
            .collect()
    }

    pub fn all(&self) -> Vec<Frame> {
        self.frames.lock().unwrap().clone()
    }
}

/// A real mpv the bench watches over its own IPC connection, behind a
/// link, and what it saw happen.
pub struct Watched {
    pub profile: LinkProfile,
    pub mpv: MpvClient,
    /// (time, paused) of every pause change seen by the sampler.
    pub pauses: Arc<Mutex<Vec<(Instant, bool)>>>,
    /// Times of every playback restart (a seek landed).
    pub restarts: Arc<Mutex<Vec<Instant>>>,
}

impl Watched {
    /// Starts noting `mpv`'s pause changes and restarts.
    pub fn new(profile: LinkProfile, mpv: MpvClient) -> Watched {
        let pauses: Arc<Mutex<Vec<(Instant, bool)>>> = Arc::default();
        let restarts: Arc<Mutex<Vec<Instant>>> = Arc::default();
        let (p, r) = (pauses.clone(), restarts.clone());
        let mut events = mpv.events();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(MpvEvent::Property(Property::Pause(v))) => {
                        p.lock().unwrap().push((Instant::now(), v))
                    }
                    Ok(MpvEvent::PlaybackRestart) => r.lock().unwrap().push(Instant::now()),
                    Ok(MpvEvent::Closed)
                    | Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                    _ => {}
                }
            }
        });
        Watched {
            profile,
            mpv,
            pauses,
            restarts,
        }
    }
}

/// A Matinee member: its session and its watched player.
pub struct Peer {
    pub session: PartyHandle,
    pub watched: Watched,
}

impl std::ops::Deref for Peer {
    type Target = Watched;
    fn deref(&self) -> &Watched {
        &self.watched
    }
}

pub struct Party {
    pub relay: RelayHandle,
    pub proxies: Vec<Proxy>,
    pub peers: Vec<Peer>,
    pub recording: Recording,
    pub code: Option<RoomCode>,
    /// The relay's clock minus the clients' `now_ms`, ms (one process).
    server_minus_local_ms: f64,
    controller: ControllerKind,
    binary: MpvBinary,
    recorder: Option<tokio::task::JoinHandle<()>>,
}

impl Party {
    pub async fn new(controller: ControllerKind, binary: MpvBinary) -> Party {
        let relay = matinee_relay::start(RelayConfig {
            max_joins_per_minute: 1000,
            max_messages_per_sec: 200,
            ..RelayConfig::loopback()
        })
        .await
        .expect("relay starts");
        let server_minus_local_ms = relay.server_time_ms() - now_ms();
        Party {
            relay,
            proxies: Vec::new(),
            peers: Vec::new(),
            recording: Recording::new(),
            code: None,
            server_minus_local_ms,
            controller,
            binary,
            recorder: None,
        }
    }

    pub fn t(&self) -> f64 {
        self.recording.t()
    }

    /// Adds a client behind a proxy with `profile`, playing `media` (a path
    /// or URL). The first one creates the (shared-control) room.
    pub async fn add_peer(&mut self, profile: LinkProfile, media: PathBuf) -> usize {
        let proxy = Proxy::start(self.relay.addr(), profile)
            .await
            .expect("proxy starts");
        let role = match &self.code {
            None => Role::Host {
                control_mode: ControlMode::Shared,
            },
            Some(code) => Role::Join { code: code.clone() },
        };
        let i = self.peers.len();
        let config = SessionConfig {
            relay: vec![matinee_client_core::RelayEndpoint::url(proxy.ws_url())],
            nickname: format!("peer{}", i + 1),
            role,
            media: MediaSource::file(media),
            mpv: LaunchOptions::headless(self.binary.clone()),
            engine: EngineConfig {
                controller: self.controller,
                ..EngineConfig::default()
            },
            client_name: "matinee-bench".into(),
            osd_notices: false,
            backoff: Backoff::new(Duration::from_millis(200), Duration::from_secs(2)),
            film_folders: Vec::new(),
            jellyfin: None,
            reporter: None,
        };
        let session = PartySession::start(config).await.expect("session starts");
        let snap = session.snapshot();
        self.code.get_or_insert(snap.code.clone());
        let mpv = MpvClient::connect(&snap.player_endpoint.expect("player"))
            .await
            .expect("sampler connects");
        self.proxies.push(proxy);
        self.peers.push(Peer {
            session,
            watched: Watched::new(profile, mpv),
        });
        self.restart_recorder();
        i
    }

    fn restart_recorder(&mut self) {
        if let Some(r) = self.recorder.take() {
            r.abort();
        }
        let states: Vec<_> = self.peers.iter().map(|p| p.mpv.state()).collect();
        let snapshots: Vec<_> = self.peers.iter().map(|p| p.session.watch()).collect();
        let host = self.peers[0].session.watch();
        let server_minus_local = self.server_minus_local_ms;
        let recording = self.recording.clone();
        self.recorder = Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            loop {
                tick.tick().await;
                let now = Instant::now();
                let server_now = now_ms() + server_minus_local;
                let mut f = Frame {
                    t: recording.t_of(now),
                    pos: Vec::new(),
                    paused: Vec::new(),
                    speed: Vec::new(),
                    seeking: Vec::new(),
                    room_speed: host.borrow().playback.speed,
                    diag: Vec::new(),
                };
                // Positions in the room's time: a copy aligned to the host's
                // by sound is measured by content (the identity otherwise).
                for (s, snap) in states.iter().zip(&snapshots) {
                    let line = snap.borrow().line;
                    let s = s.borrow();
                    f.pos.push(s.position_at(now).map(|p| line.to_room(p)));
                    f.paused.push(s.pause);
                    f.speed.push(line.speed_to_room(s.speed));
                    f.seeking.push(s.seeking);
                }
                for (s, snap) in states.iter().zip(&snapshots) {
                    let snap = snap.borrow();
                    let pos = s.borrow().position_at(now).map(|p| snap.line.to_room(p));
                    let room = &snap.playback;
                    f.diag.push(PeerDiag {
                        room_drift_ms: pos
                            .filter(|_| room.is_playing_at(server_now))
                            .map(|p| (p - room.position_at(server_now)) * 1000.0),
                        engine_drift_ms: snap.drift_ms,
                        clock_err_ms: snap.clock_offset_ms.map(|o| o - server_minus_local),
                    });
                }
                recording.push(f);
            }
        }));
    }

    pub fn host(&self) -> &PartyHandle {
        &self.peers[0].session
    }

    pub async fn start_playback(&self) {
        self.host().send(SessionCmd::Start { force: true });
        let mut w = self.host().watch();
        let _ =
            tokio::time::timeout(Duration::from_secs(5), w.wait_for(|s| !s.playback.paused)).await;
    }

    pub fn seeks(&self) -> u64 {
        self.peers.iter().map(|p| p.session.snapshot().seeks).sum()
    }

    pub fn controls(&self) -> u64 {
        self.peers
            .iter()
            .map(|p| p.session.snapshot().controls_sent)
            .sum()
    }

    /// Samples recorded from `t0` to `t1` (seconds since start).
    pub fn window(&self, t0: f64, t1: f64) -> Vec<Frame> {
        self.recording.window(t0, t1)
    }

    pub async fn finish(mut self) -> Vec<Frame> {
        if let Some(r) = self.recorder.take() {
            r.abort();
        }
        for p in self.peers {
            p.session.leave().await;
        }
        self.relay.shutdown().await;
        self.recording.all()
    }
}

pub async fn sleep_s(secs: f64) {
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
}
