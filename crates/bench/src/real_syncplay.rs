//! The real Syncplay on the same links as Matinee: Debian's
//! `syncplay-server` on loopback and one `syncplay` client per link (each
//! behind the same kind of delay proxy, driving its own headless mpv),
//! sampled the same way, so the README's comparison is a measurement.

use std::path::Path;
use std::time::{Duration, Instant};

use matinee_mpv::MpvClient;
use matinee_testkit::proxy::{LinkProfile, Proxy};
use matinee_testkit::syncplay::{SyncplayClient, SyncplayServer};

use crate::party::{sleep_s, Frame, PeerDiag, Recording, Watched};

/// The Syncplay room every client joins.
const ROOM: &str = "matinee-bench";

/// A Syncplay client and its watched player.
pub struct SyncplayPeer {
    pub client: SyncplayClient,
    pub watched: Watched,
}

impl std::ops::Deref for SyncplayPeer {
    type Target = Watched;
    fn deref(&self) -> &Watched {
        &self.watched
    }
}

pub struct SyncplayParty {
    pub peers: Vec<SyncplayPeer>,
    recording: Recording,
    recorder: tokio::task::JoinHandle<()>,
    _proxies: Vec<Proxy>,
    _server: SyncplayServer,
}

impl SyncplayParty {
    /// The server, then one client per link, each with `clip` loaded.
    pub async fn new(profiles: &[LinkProfile], clip: &Path, mpv: &Path) -> Result<Self, String> {
        let server = SyncplayServer::start().await?;
        let mut proxies = Vec::new();
        let mut peers = Vec::new();
        for (i, profile) in profiles.iter().enumerate() {
            let proxy = Proxy::start(server.addr(), *profile)
                .await
                .map_err(|e| e.to_string())?;
            let name = format!("peer{}", i + 1);
            let client = SyncplayClient::start(proxy.addr, ROOM, &name, clip, mpv).await?;
            let ipc = MpvClient::connect(&client.mpv_socket().display().to_string())
                .await
                .map_err(|e| e.to_string())?;
            peers.push(SyncplayPeer {
                client,
                watched: Watched::new(*profile, ipc),
            });
            proxies.push(proxy);
        }
        let loaded_by = Instant::now() + Duration::from_secs(20);
        while peers
            .iter()
            .any(|p| p.mpv.state().borrow().position_at(Instant::now()).is_none())
        {
            if Instant::now() > loaded_by {
                return Err("a Syncplay client's mpv did not load the film within 20 s".into());
            }
            sleep_s(0.1).await;
        }
        let recording = Recording::new();
        let recorder = tokio::spawn(record(
            peers.iter().map(|p| p.mpv.state()).collect(),
            recording.clone(),
        ));
        Ok(SyncplayParty {
            peers,
            recording,
            recorder,
            _proxies: proxies,
            _server: server,
        })
    }

    pub fn t(&self) -> f64 {
        self.recording.t()
    }

    /// Starts the film the way Syncplay users do: the others say they are
    /// ready, then the first presses play (Syncplay unpauses at once only
    /// when the others are ready; otherwise the press marks the presser
    /// ready, and the next press plays).
    pub async fn start_playback(&mut self) -> Result<(), String> {
        for p in &mut self.peers[1..] {
            p.client.type_line("t").await.map_err(|e| e.to_string())?;
        }
        sleep_s(1.0).await;
        for _ in 0..5 {
            self.peers[0]
                .mpv
                .set_pause(false)
                .await
                .map_err(|e| e.to_string())?;
            let tried = Instant::now();
            while tried.elapsed() < Duration::from_secs(2) {
                if self.peers.iter().all(|p| !p.mpv.state().borrow().pause) {
                    return Ok(());
                }
                sleep_s(0.05).await;
            }
        }
        let said: Vec<String> = self
            .peers
            .iter()
            .map(|p| {
                let t = p.client.transcript();
                t.chars()
                    .skip(t.chars().count().saturating_sub(1500))
                    .collect()
            })
            .collect();
        Err(format!(
            "the Syncplay players did not all start after five presses of play; they said:\n{}",
            said.join("\n---\n")
        ))
    }

    /// Seeks the players finished since `at` (every restart of playback).
    pub fn restarts_since(&self, at: Instant) -> u64 {
        self.peers
            .iter()
            .map(|p| {
                p.restarts
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|t| **t >= at)
                    .count() as u64
            })
            .sum()
    }

    /// Samples recorded from `t0` to `t1` (seconds since start).
    pub fn window(&self, t0: f64, t1: f64) -> Vec<Frame> {
        self.recording.window(t0, t1)
    }

    pub fn finish(self) -> Vec<Frame> {
        self.recorder.abort();
        self.recording.all()
    }
}

/// Samples every player each 10 ms (Syncplay has no room speed but 1.0).
async fn record(
    states: Vec<tokio::sync::watch::Receiver<matinee_mpv::PlayerState>>,
    recording: Recording,
) {
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    loop {
        tick.tick().await;
        let now = Instant::now();
        let mut f = Frame {
            t: recording.t_of(now),
            pos: Vec::new(),
            paused: Vec::new(),
            speed: Vec::new(),
            seeking: Vec::new(),
            room_speed: 1.0,
            diag: vec![PeerDiag::default(); states.len()],
        };
        for s in &states {
            let s = s.borrow();
            f.pos.push(s.position_at(now));
            f.paused.push(s.pause);
            f.speed.push(s.speed);
            f.seeking.push(s.seeking);
        }
        recording.push(f);
    }
}
