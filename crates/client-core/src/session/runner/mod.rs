//! The session actor: one loop over relay events, player events, the
//! user's commands and timers. It owns the room model (`model`) and
//! publishes it as the session's snapshot; each source of events has its
//! own file: `relay.rs`, `commands.rs`, `player_events.rs`, and the parts
//! of the room beside playback, `alignment.rs` and `shared_media.rs`.

mod alignment;
mod commands;
mod player_events;
mod queue;
mod relay;
mod shared_media;

use std::time::Duration;

use matinee_mpv::MpvEvent;
use matinee_protocol::{Joined, MediaInfo, Participant, ParticipantId, QueueState};
use matinee_sync::{Action, PlayerSample, SyncEngine, SyncEvent};
use tokio::sync::{broadcast, mpsc, watch};

use super::align::{AlignNews, AlignWorker, Aligner};
use super::effects::Effect;
use super::player::Player;
use super::position::{PlayerSpot, PositionPacer};
use super::sharing::Sharing;
use super::{ConnectionState, SessionCmd, SessionConfig, SessionEvent, SessionSnapshot};
use crate::{now_ms, LinkEvent, RelayLink};

const TICK: Duration = Duration::from_millis(50);
/// The tick while nothing moves (see [`SyncEngine::at_rest`]): an idle
/// paused room costs a fifth of the wakeups; every player event still
/// runs a tick at once.
const REST_TICK: Duration = Duration::from_millis(250);
/// Ten pings a second for the first three seconds so the clock settles
/// quickly, then two a second (each ~100 bytes; more samples make a
/// tighter clock estimate).
const FAST_PINGS: u32 = 30;
const FAST_PING_GAP_MS: u64 = 100;
const PING_GAP_MS: u64 = 500;

pub(super) struct Runner {
    cfg: SessionConfig,
    link: RelayLink,
    link_events: mpsc::Receiver<LinkEvent>,
    player: Option<Player>,
    engine: SyncEngine,
    token: String,
    /// The newest proof of the host role the relay gave us, for a rebuild.
    host_proof: Option<String>,
    /// Each participant's media details: the relay sends them once (in the
    /// join snapshot, then on their own), participant lists leave them out.
    media_of: std::collections::HashMap<ParticipantId, MediaInfo>,
    resuming: bool,
    pings: u32,
    events: broadcast::Sender<SessionEvent>,
    /// What the session knows of the room and this player, owned here;
    /// `snapshot` publishes it (see [`Runner::publish`]).
    model: SessionSnapshot,
    snapshot: watch::Sender<SessionSnapshot>,
    /// The local player as last sampled; none while it is closed.
    local: watch::Sender<Option<PlayerSample>>,
    /// Since when the relay has been unreachable, if it is.
    lost_since: Option<tokio::time::Instant>,
    /// How long to keep trying before the party counts as over: the
    /// relay's resume grace (the seat is gone after it) plus a margin for
    /// a relay that restarts and rebuilds the room.
    give_up_after: Duration,
    /// Subtitle files and tracks shared with the room.
    sharing: Sharing,
    /// This copy aligned to the host's by sound.
    aligner: Aligner,
    /// Runs what the aligner asks for (decoding, matching).
    align_worker: AlignWorker,
    align_news: mpsc::Receiver<AlignNews>,
    /// The last tick found nothing moving, and nothing happened since.
    resting: bool,
    /// When to tell the app where the player is.
    position: PositionPacer,
    /// Series night: our copies of the queue's entries.
    queue_side: queue::QueueSide,
    /// What the lookups on our Jellyfin server found, by entry.
    server_found: mpsc::Receiver<(u32, Option<crate::ServerCopy>)>,
    /// The playback report of what our player has open, when it is an
    /// item of our Jellyfin server.
    report: Option<crate::jellyfin::ItemReport>,
}

/// The margin after the resume grace: half of it, at least 5 s.
fn give_up_after(resume_grace_secs: f64) -> Duration {
    let grace = resume_grace_secs.clamp(0.0, 3600.0);
    Duration::from_secs_f64(grace + (grace / 2.0).max(5.0))
}

enum Flow {
    Go,
    End(String),
}

/// Where a session tells the app and the CLI what happens.
pub struct Outlets {
    pub events: broadcast::Sender<SessionEvent>,
    pub snapshot: watch::Sender<SessionSnapshot>,
    /// The local player as last sampled; none while it is closed.
    pub local: watch::Sender<Option<PlayerSample>>,
}

/// The relay connection a session runs on, and what it hears from it.
pub struct Relay {
    pub link: RelayLink,
    pub events: mpsc::Receiver<LinkEvent>,
}

impl Runner {
    pub fn new(
        cfg: SessionConfig,
        relay: Relay,
        player: Player,
        joined: Joined,
        outlets: Outlets,
        now: f64,
    ) -> Self {
        let Outlets {
            events,
            snapshot,
            local,
        } = outlets;
        // The first snapshot, as the session was set up.
        let mut model = snapshot.borrow().clone();
        // What the room's queue is: the app shows it from the start.
        model.queue = joined.room.queue.clone();
        let engine = SyncEngine::new(cfg.engine.clone());
        let cfg_folders = cfg.film_folders.clone();
        let opened_with = std::fs::metadata(&cfg.media.target)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| crate::own_copies::LocalFile {
                path: cfg.media.target.clone().into(),
                size_bytes: m.len(),
                duration: model.media.duration,
            });
        let (align_worker, align_news) = AlignWorker::new(&cfg.mpv, &cfg.media);
        let (queue_side, server_found) =
            queue::QueueSide::new(cfg_folders, opened_with, cfg.jellyfin.clone());
        let report = cfg.reporter.clone().map(crate::jellyfin::ItemReport::new);
        let aligner = Aligner::new();
        let mut r = Self {
            engine,
            cfg,
            link: relay.link,
            link_events: relay.events,
            player: Some(player),
            token: joined.resume_token.clone(),
            host_proof: None,
            media_of: std::collections::HashMap::new(),
            resuming: false,
            pings: 0,
            events,
            model,
            snapshot,
            local,
            lost_since: None,
            give_up_after: give_up_after(joined.resume_grace_secs),
            sharing: Sharing::default(),
            aligner,
            align_worker,
            align_news,
            resting: false,
            position: PositionPacer::default(),
            queue_side,
            server_found,
            report,
        };
        r.learn_media(&joined.room.participants);
        r.update_permissions();
        let actions = r
            .engine
            .on_joined(joined.you, joined.room.playback, joined.server_ms, now);
        r.apply(actions);
        r.run_align_jobs();
        r.publish();
        r
    }

    /// Hands what the aligner asked for to its worker.
    fn run_align_jobs(&mut self) {
        for job in self.aligner.take_jobs() {
            self.align_worker.run(job);
        }
    }

    /// Tells the app and the CLI; the snapshot they read on hearing it
    /// already shows what changed.
    fn emit(&self, ev: SessionEvent) {
        self.publish();
        let _ = self.events.send(ev);
    }

    /// Publishes the room model as the session's snapshot, when it changed
    /// (the snapshot is derived from the model, never read back).
    fn publish(&self) {
        self.snapshot.send_if_modified(|published| {
            let changed = *published != self.model;
            if changed {
                published.clone_from(&self.model);
            }
            changed
        });
    }

    /// Remembers the media details a snapshot carries.
    fn learn_media(&mut self, participants: &[Participant]) {
        for p in participants {
            if let Some(m) = &p.media {
                self.media_of.insert(p.id, m.clone());
            }
        }
    }

    /// A participant list with each member's media details filled in, as
    /// it goes out to the app and the CLI.
    fn with_media(&self, mut participants: Vec<Participant>) -> Vec<Participant> {
        for p in &mut participants {
            if p.media.is_none() {
                p.media = self.media_of.get(&p.id).cloned();
            }
        }
        participants
    }

    fn set_participants(&mut self, participants: Vec<Participant>) {
        let participants = self.with_media(participants);
        self.model.participants = participants.clone();
        self.update_permissions();
        self.emit(SessionEvent::Participants { participants });
    }

    fn is_host(&self) -> bool {
        self.model.host
    }

    fn osd(&self, text: String) {
        if !self.cfg.osd_notices {
            return;
        }
        if let Some(p) = &self.player {
            p.effect(Effect::Notice(text));
        }
    }

    fn apply(&mut self, actions: Vec<Action>) {
        for a in actions {
            match a {
                Action::Player(cmd) => {
                    if let Some(p) = &self.player {
                        p.command(cmd);
                    }
                }
                Action::Send(msg) => {
                    self.link.send(msg);
                }
                Action::Event(SyncEvent::Status(status)) => {
                    self.model.status = status;
                    self.emit(SessionEvent::Status { status });
                }
                Action::Event(SyncEvent::Drift { drift_ms, factor }) => {
                    self.model.drift_ms = Some(drift_ms);
                    self.emit(SessionEvent::Drift { drift_ms, factor });
                }
                Action::Event(SyncEvent::Refused(message)) => {
                    self.osd(message.clone());
                    self.emit(SessionEvent::Refused { message });
                }
                Action::Event(SyncEvent::UserAction(action)) => {
                    tracing::info!(?action, "sent the user's action to the room");
                }
            }
        }
        let stats = self.engine.stats();
        self.model.controls_sent = stats.controls_sent;
        self.model.seeks = stats.seeks;
    }

    pub async fn run(mut self, mut cmds: mpsc::Receiver<SessionCmd>, queue: QueueState) {
        if !queue.is_empty() {
            // Joined mid-queue: our copy of what the room is on.
            self.on_queue(queue).await;
        }
        let mut last_tick = tokio::time::Instant::now();
        let mut next_ping = tokio::time::Instant::now();
        let reason = loop {
            let deadline = self.deadline();
            let gap = if self.resting { REST_TICK } else { TICK };
            let flow = tokio::select! {
                cmd = cmds.recv() => {
                    self.resting = false;
                    match cmd {
                        Some(cmd) => self.on_command(cmd).await,
                        None => Flow::End("the app closed the session".into()),
                    }
                }
                ev = self.link_events.recv() => {
                    self.resting = false;
                    match ev {
                        Some(ev) => self.on_link(ev).await,
                        None => Flow::End("the relay connection closed".into()),
                    }
                }
                ev = next_player_event(&mut self.player) => self.on_player(ev).await,
                Some((id, copy)) = self.server_found.recv() => {
                    self.on_server_copy(id, copy).await;
                    Flow::Go
                }
                Some(news) = self.align_news.recv() => {
                    self.resting = false;
                    self.on_align(news);
                    Flow::Go
                }
                _ = tokio::time::sleep_until(last_tick + gap) => {
                    last_tick = tokio::time::Instant::now();
                    self.tick();
                    self.given_up()
                }
                _ = tokio::time::sleep_until(deadline) => {
                    self.tick();
                    Flow::Go
                }
                _ = tokio::time::sleep_until(next_ping) => {
                    self.pings += 1;
                    let gap = if self.pings < FAST_PINGS { FAST_PING_GAP_MS } else { PING_GAP_MS };
                    next_ping = tokio::time::Instant::now() + Duration::from_millis(gap);
                    self.link.send(self.engine.ping(now_ms()));
                    Flow::Go
                }
            };
            self.run_align_jobs();
            self.publish();
            if let Flow::End(reason) = flow {
                break reason;
            }
        };
        tracing::info!(%reason, "session ended");
        if let Some(p) = self.player.take() {
            p.quit().await;
        }
        self.model.player_open = false;
        self.model.connection = ConnectionState::Offline {
            reason: reason.clone(),
        };
        self.emit(SessionEvent::Ended { reason });
    }

    /// Ends the party once the relay has been unreachable for longer than
    /// a seat is kept: nobody will be there to come back to.
    fn given_up(&self) -> Flow {
        match self.lost_since {
            Some(since) if since.elapsed() >= self.give_up_after => Flow::End(format!(
                "the host's computer or the relay could not be reached for {} s, so the party \
                 ended (your film played on until now)",
                self.give_up_after.as_secs()
            )),
            _ => Flow::Go,
        }
    }

    /// When the engine wants an extra tick (a scheduled start).
    fn deadline(&self) -> tokio::time::Instant {
        let far = tokio::time::Instant::now() + Duration::from_secs(3600);
        let Some(at) = self.engine.next_deadline() else {
            return far;
        };
        let wait = at - now_ms();
        if wait <= 0.0 {
            return far; // already past: regular ticks handle it
        }
        tokio::time::Instant::now() + Duration::from_secs_f64(wait / 1000.0)
    }

    fn tick(&mut self) {
        let Some(p) = &self.player else { return };
        let sample = p.sample();
        self.local.send_replace(Some(sample));
        if let Some(report) = &mut self.report {
            report.sample(Some(sample));
        }
        let spot = PlayerSpot {
            position: sample.position,
            duration: p.duration().or(self.model.media.duration),
            paused: sample.paused,
        };
        if let Some(s) = self.position.next(spot, tokio::time::Instant::now()) {
            self.emit(SessionEvent::Position {
                position: s.position,
                duration: s.duration,
                paused: s.paused,
            });
        }
        self.engine.set_duration(p.duration());
        let now = now_ms();
        let actions = self.engine.tick(sample, now);
        self.apply(actions);
        self.tick_sharing();
        self.resting = self.engine.at_rest(now)
            && self.sharing.at_rest()
            && self.lost_since.is_none()
            && self.player.is_some();
    }

    /// Our name in the room (the one we asked for until the room says).
    fn my_nickname(&self) -> String {
        let s = &self.model;
        s.participants
            .iter()
            .find(|p| p.id == s.you)
            .map_or_else(|| self.cfg.nickname.clone(), |p| p.nickname.clone())
    }
}

async fn next_player_event(player: &mut Option<Player>) -> MpvEvent {
    match player {
        Some(p) => loop {
            match p.events.recv().await {
                Ok(ev) => return ev,
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::debug!(skipped = n, "player events lagged");
                }
                Err(broadcast::error::RecvError::Closed) => return MpvEvent::Closed,
            }
        },
        None => std::future::pending().await,
    }
}
