//! The session actor: one loop over relay events, player events, the
//! user's commands and timers.

use std::time::Duration;

use matinee_mpv::{MpvEvent, Property};
use matinee_protocol::{
    ClientMsg, ControlAction, ControlMode, ErrorCode, Joined, MediaInfo, NoticeEvent, Participant,
    ParticipantId, RoomRebuild, ServerMsg,
};
use matinee_sync::{Action, PlayerSample, SyncEngine, SyncEvent};
use tokio::sync::{broadcast, mpsc, watch};

use super::align::{AlignNews, AlignState, Aligner};
use super::effects::Effect;
use super::player::Player;
use super::sharing::{plan, proposal_expired, Sharing};
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
    align_news: mpsc::Receiver<AlignNews>,
    /// The last tick found nothing moving, and nothing happened since.
    resting: bool,
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
        let engine = SyncEngine::new(cfg.engine.clone());
        let (aligner, align_news) = Aligner::start(&cfg.mpv, &cfg.media);
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
            snapshot,
            local,
            lost_since: None,
            give_up_after: give_up_after(joined.resume_grace_secs),
            sharing: Sharing::default(),
            aligner,
            align_news,
            resting: false,
        };
        r.learn_media(&joined.room.participants);
        r.update_permissions();
        let actions = r
            .engine
            .on_joined(joined.you, joined.room.playback, joined.server_ms, now);
        r.apply(actions);
        r
    }

    fn emit(&self, ev: SessionEvent) {
        let _ = self.events.send(ev);
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
        self.snapshot
            .send_modify(|s| s.participants = participants.clone());
        self.update_permissions();
        self.emit(SessionEvent::Participants { participants });
    }

    fn update_permissions(&mut self) {
        let s = self.snapshot.borrow();
        let host = s.participants.iter().any(|p| p.id == s.you && p.host);
        let was_host = s.host;
        let may = host || s.control_mode == ControlMode::Shared;
        drop(s);
        self.snapshot.send_modify(|s| s.host = host);
        self.engine.set_may_control(may);
        if host != was_host {
            // The host's copy is the reference: a new host aligns to
            // nobody and sends its own fingerprints.
            self.aligner.resend_prints();
            self.measure_second_if_host();
            self.send_print_if_host();
            self.apply_line();
            if !host && self.aligner.measured() {
                // The new host's prints are on their way.
                self.aligner.state = AlignState::Waiting;
            }
            self.emit_alignment();
        }
    }

    fn is_host(&self) -> bool {
        self.snapshot.borrow().host
    }

    /// Sends our fingerprints not sent yet, when we are host.
    fn send_print_if_host(&mut self) {
        if !self.is_host() {
            return;
        }
        for print in self.aligner.prints_to_send() {
            self.link.send(ClientMsg::AudioPrint {
                start: print.start,
                data: print.encode(),
            });
        }
    }

    /// Maps the player through the current line (the host's copy is the
    /// room's time itself).
    fn apply_line(&mut self) {
        let line = if self.is_host() {
            matinee_align::Line::IDENTITY
        } else {
            self.aligner.line()
        };
        let changed = self.snapshot.borrow().line != line;
        if let Some(p) = &mut self.player {
            p.set_line(line);
        }
        self.snapshot.send_modify(|s| s.line = line);
        if changed && self.player.is_some() {
            let actions = self.engine.on_player_remapped(now_ms());
            self.apply(actions);
            self.tick();
        }
        if changed {
            self.place_shared_subtitles(line);
        }
    }

    fn emit_alignment(&mut self) {
        if self.is_host() && self.aligner.measured() {
            self.aligner.state = AlignState::Reference;
        }
        let message = self.aligner.message();
        if !message.is_empty() {
            self.emit(SessionEvent::Alignment {
                state: self.aligner.state.clone(),
                message,
                switchable: self.aligner.switchable() && !self.is_host(),
            });
        }
    }

    fn on_align(&mut self, news: AlignNews) {
        match news {
            AlignNews::Decoded(place, window) => {
                if let Ok(m) = &window {
                    tracing::info!(
                        place,
                        start = m.window.start,
                        seconds = m.window.seconds(),
                        "measured this copy's sound"
                    );
                }
                self.aligner.decoded(place, window);
                self.measure_second_if_host();
                self.send_print_if_host();
            }
            AlignNews::Matched(place, found) => {
                tracing::info!(
                    place,
                    ?found,
                    "matched this copy's sound against the host's"
                );
                self.aligner.matched(place, found);
                self.apply_line();
            }
        }
        self.emit_alignment();
    }

    /// The host also measures a place further in, for the speed ratio.
    fn measure_second_if_host(&mut self) {
        if !self.is_host() || !self.aligner.measured() {
            return;
        }
        let duration = self.player.as_ref().and_then(|p| p.state.borrow().duration);
        if let Some(d) = duration {
            self.aligner.measure_second(d);
        }
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
                    self.snapshot.send_modify(|s| s.status = status);
                    self.emit(SessionEvent::Status { status });
                }
                Action::Event(SyncEvent::Drift { drift_ms, factor }) => {
                    self.snapshot.send_modify(|s| s.drift_ms = Some(drift_ms));
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
        self.snapshot.send_if_modified(|s| {
            let changed = s.controls_sent != stats.controls_sent || s.seeks != stats.seeks;
            s.controls_sent = stats.controls_sent;
            s.seeks = stats.seeks;
            changed
        });
    }

    pub async fn run(mut self, mut cmds: mpsc::Receiver<SessionCmd>) {
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
            if let Flow::End(reason) = flow {
                break reason;
            }
        };
        tracing::info!(%reason, "session ended");
        if let Some(p) = self.player.take() {
            p.quit().await;
        }
        self.snapshot.send_modify(|s| {
            s.player_open = false;
            s.connection = ConnectionState::Offline {
                reason: reason.clone(),
            };
        });
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

    /// Paces outgoing subtitle parts, reports track changes, and applies a
    /// proposal that was waiting for the track list.
    fn tick_sharing(&mut self) {
        let now = tokio::time::Instant::now();
        if let Some(part) = self.sharing.next_part(now) {
            self.link.send(part);
        }
        let Some(p) = &self.player else { return };
        let report = self.sharing.tracks_to_report(&p.state.borrow().tracks, now);
        if let Some(report) = report {
            let you = self.snapshot.borrow().you;
            self.learn_tracks(you, report.clone());
            self.link.send(ClientMsg::Tracks { tracks: report });
        }
        if let Some((_, _, at)) = &self.sharing.pending {
            if proposal_expired(*at, now) || self.tracks_listed() {
                let (nickname, proposal, _) = self.sharing.pending.take().expect("checked");
                self.apply_proposal(nickname, proposal, false);
            }
        }
    }

    /// A member's tracks (ours too): kept in the snapshot and told, with
    /// how people read each.
    fn learn_tracks(
        &mut self,
        participant: ParticipantId,
        tracks: Vec<matinee_protocol::TrackInfo>,
    ) {
        self.snapshot
            .send_modify(|s| _ = s.tracks.insert(participant, tracks.clone()));
        self.emit(SessionEvent::Tracks {
            participant,
            labels: tracks.iter().map(|t| t.label()).collect(),
            tracks,
        });
    }

    /// Our name in the room (the one we asked for until the room says).
    fn my_nickname(&self) -> String {
        let s = self.snapshot.borrow();
        s.participants
            .iter()
            .find(|p| p.id == s.you)
            .map_or_else(|| self.cfg.nickname.clone(), |p| p.nickname.clone())
    }

    /// This player's audio and subtitle tracks as the room sees them.
    fn my_tracks(&self) -> Vec<matinee_protocol::TrackInfo> {
        self.player.as_ref().map_or_else(Vec::new, |p| {
            super::sharing::track_infos(&p.state.borrow().tracks)
        })
    }

    /// Whether the player lists its tracks, shared files given to it
    /// included (a proposal waits for that).
    fn tracks_listed(&self) -> bool {
        self.player.as_ref().is_some_and(|p| {
            let tracks = &p.state.borrow().tracks;
            !tracks.is_empty() && !self.sharing.awaited_in_player(tracks)
        })
    }

    /// Picks this copy's best matches for a proposal; `may_wait`: when the
    /// player has not listed its tracks yet, wait for the list first.
    fn apply_proposal(
        &mut self,
        nickname: String,
        proposal: matinee_protocol::TrackProposal,
        may_wait: bool,
    ) {
        if !self.tracks_listed() && self.player.is_some() && may_wait {
            // Not listed yet (or a shared file just added is not): wait for
            // the list (a few seconds at most).
            self.sharing.pending = Some((nickname, proposal, tokio::time::Instant::now()));
            return;
        }
        let mut plan = plan(&self.my_tracks(), &proposal);
        // A delay in the room's seconds, in this copy's.
        let line = self.snapshot.borrow().line;
        plan.sub_delay = plan.sub_delay.map(|d| line.speed_to_mine(d));
        if let Some(p) = &self.player {
            p.effect(Effect::Tracks {
                audio: plan.audio,
                sub: plan.sub,
                sub_delay: plan.sub_delay,
            });
        }
        self.osd(plan.outcome.join(" "));
        self.emit(SessionEvent::TrackProposal {
            nickname,
            description: proposal.describe(),
            proposal,
            outcome: plan.outcome,
        });
    }

    /// One part of a shared file from the room; the file goes into the
    /// player once whole.
    fn take_subtitle_part(
        &mut self,
        incoming: super::sharing::IncomingPart<'_>,
        line: matinee_align::Line,
    ) {
        match self.sharing.take_part(incoming, line) {
            Ok(Some(arrived)) => self.add_received(arrived),
            Ok(None) => {}
            Err(why) => {
                tracing::warn!(%why, "shared subtitle dropped");
                self.emit(SessionEvent::Refused {
                    message: format!("A shared subtitle was not taken: {why}."),
                });
            }
        }
    }

    /// A reopened player gets the room's shared files back (the newest
    /// shown, as when it arrived).
    fn readd_shared_subtitles(&self) {
        let (Some(p), false) = (&self.player, self.sharing.received.is_empty()) else {
            return;
        };
        let files = self.sharing.received.values().map(|r| r.file()).collect();
        p.effect(Effect::RestoreSubtitles(files));
    }

    /// Shared files follow this copy's line: written again through it, and
    /// read again by the player.
    fn place_shared_subtitles(&mut self, line: matinee_align::Line) {
        let moved = match self.sharing.place_through(line) {
            Ok(moved) => moved,
            Err(why) => return tracing::warn!(%why, "shared subtitles not moved"),
        };
        if let Some(p) = &self.player {
            p.effect(Effect::ReloadSubtitles(
                moved.iter().map(|r| r.file()).collect(),
            ));
        }
    }

    /// Puts a received file in the player (selected when the member shows
    /// no subtitles now) and tells the member.
    fn add_received(&mut self, arrived: super::sharing::Arrived) {
        if self.player.is_none() {
            return;
        }
        let select = self.show_in_player(&arrived.received);
        let label = arrived.received.meta.label();
        self.osd(format!("{} shared {label}", arrived.nickname));
        self.emit(SessionEvent::SubtitleShared {
            id: arrived.id,
            from: arrived.from,
            nickname: arrived.nickname,
            label,
            selected: select,
        });
    }

    /// Adds a shared file to the player, selected when no subtitles show
    /// now; says whether it was selected.
    fn show_in_player(&self, r: &super::sharing::Received) -> bool {
        let Some(p) = &self.player else {
            return false;
        };
        let showing_subs = p
            .state
            .borrow()
            .tracks
            .iter()
            .any(|t| t.kind == matinee_mpv::TrackType::Sub && t.selected);
        let select = !showing_subs;
        p.effect(Effect::AddSubtitle {
            file: r.file(),
            select,
        });
        select
    }

    /// Shows a shared file (adding it back if it was taken out), or takes
    /// it out of the player.
    fn use_subtitle(&mut self, id: u32, used: bool) {
        let (Some(p), Some(r)) = (&self.player, self.sharing.received.get(&id)) else {
            self.emit(SessionEvent::Refused {
                message: "That subtitle file is not here (any more).".into(),
            });
            return;
        };
        p.effect(Effect::ShowSubtitle {
            file: r.file(),
            shown: used,
        });
        if used {
            self.sharing.taken_out.remove(&id);
        } else {
            self.sharing.taken_out.insert(id);
        }
        self.emit(SessionEvent::SubtitleUse { id, used });
    }

    async fn on_command(&mut self, cmd: SessionCmd) -> Flow {
        let now = now_ms();
        match cmd {
            SessionCmd::Play
            | SessionCmd::Pause
            | SessionCmd::SetSpeed { speed: _ }
            | SessionCmd::Seek { position: _ } => {
                self.tick();
                let here = self
                    .player
                    .as_ref()
                    .and_then(|p| p.sample().position)
                    .or_else(|| self.engine.room_position(now))
                    .unwrap_or(0.0);
                let action = match cmd {
                    SessionCmd::Play => ControlAction::Play { position: here },
                    SessionCmd::Pause => ControlAction::Pause { position: here },
                    SessionCmd::Seek { position } => ControlAction::Seek {
                        position: position.max(0.0),
                    },
                    SessionCmd::SetSpeed { speed } => ControlAction::Speed {
                        speed: speed.clamp(0.25, 4.0),
                        position: here,
                    },
                    _ => unreachable!("matched above"),
                };
                let actions = self.engine.request(action, now);
                self.apply(actions);
            }
            SessionCmd::Ready { ready } => {
                self.link.send(ClientMsg::Ready { ready });
            }
            SessionCmd::Start { force } => {
                self.link.send(ClientMsg::Start { force });
            }
            SessionCmd::Chat { text } => {
                self.link.send(ClientMsg::Chat { text });
            }
            SessionCmd::Rename { name: nickname } => {
                self.cfg.nickname = nickname.clone();
                self.link.send(ClientMsg::Rename { nickname });
            }
            SessionCmd::SetControlMode { mode } => {
                self.link.send(ClientMsg::SetControlMode { mode });
            }
            SessionCmd::PassHost { to } => {
                self.link.send(ClientMsg::PassHost { to });
            }
            SessionCmd::Kick { participant } => {
                self.link.send(ClientMsg::Kick { participant });
            }
            SessionCmd::StopWaitingFor { participant } => {
                self.link.send(ClientMsg::StopWaitingFor { participant });
            }
            SessionCmd::ReopenPlayer => return self.reopen_player().await,
            SessionCmd::ShareSubtitle { path } => {
                let read = tokio::task::spawn_blocking(move || crate::read_subtitle(&path)).await;
                match read {
                    Ok(Ok(file)) => {
                        if let Some(encoding) = file.converted_from {
                            tracing::info!(encoding, "subtitle converted to UTF-8");
                        }
                        // The sharer's own player shows it too.
                        match self.sharing.keep_own(&file, &self.my_nickname()) {
                            Ok(own) => _ = self.show_in_player(&own),
                            Err(why) => tracing::warn!(%why, "own shared subtitle not kept"),
                        }
                        let line = self.snapshot.borrow().line;
                        self.sharing.share(file, line);
                        self.tick_sharing();
                    }
                    Ok(Err(e)) => self.emit(SessionEvent::Refused {
                        message: e.to_string(),
                    }),
                    Err(_) => {}
                }
            }
            SessionCmd::UseSubtitle { id, used: true } => self.use_subtitle(id, true),
            SessionCmd::UseSubtitle { id, used: false } => self.use_subtitle(id, false),
            SessionCmd::ProposeTracks { proposal } => {
                self.link.send(ClientMsg::ProposeTracks { proposal });
            }
            SessionCmd::SetAlignment { on } => {
                self.aligner.set_enabled(on);
                self.apply_line();
                self.emit_alignment();
            }
            SessionCmd::SelectTrack { track: kind, id } => {
                if let Some(p) = &self.player {
                    let kind = match kind {
                        matinee_protocol::TrackKind::Audio => matinee_mpv::TrackType::Audio,
                        matinee_protocol::TrackKind::Sub => matinee_mpv::TrackType::Sub,
                    };
                    p.effect(Effect::SelectTrack(kind, id));
                }
            }
            SessionCmd::EndParty => {
                self.link.send(ClientMsg::EndParty);
            }
            SessionCmd::Leave => {
                self.link.send(ClientMsg::Leave);
                // Give the relay a moment to take the leave.
                tokio::time::sleep(Duration::from_millis(100)).await;
                return Flow::End("you left the room".into());
            }
        }
        Flow::Go
    }

    async fn reopen_player(&mut self) -> Flow {
        if self.player.is_some() {
            return Flow::Go;
        }
        let line = self.snapshot.borrow().line;
        let start = self.engine.room_position(now_ms()).map(|r| line.to_mine(r));
        match Player::open(&self.cfg.mpv, &self.cfg.media, start).await {
            Ok(mut p) => {
                p.set_line(line);
                let (endpoint, pid) = (p.endpoint(), p.pid());
                self.player = Some(p);
                let actions = self.engine.on_player_opened(now_ms());
                self.apply(actions);
                self.snapshot.send_modify(|s| {
                    s.player_open = true;
                    s.player_endpoint = Some(endpoint);
                    s.player_pid = pid;
                });
                self.emit(SessionEvent::PlayerReopened);
                self.readd_shared_subtitles();
                self.tick();
            }
            Err(e) => self.emit(SessionEvent::Refused {
                message: format!("Could not reopen the player: {e}"),
            }),
        }
        Flow::Go
    }

    async fn on_player(&mut self, ev: MpvEvent) -> Flow {
        let now = now_ms();
        let actions = match ev {
            MpvEvent::Property(Property::Pause(paused)) => {
                let pos = self
                    .player
                    .as_ref()
                    .and_then(|p| p.state.borrow().time_pos.map(|x| p.to_room(x)));
                self.engine.on_player_pause(paused, pos, now)
            }
            MpvEvent::Property(Property::Speed(speed)) => {
                let speed = self
                    .player
                    .as_ref()
                    .map_or(speed, |p| p.speed_to_room(speed));
                self.engine.on_player_speed(speed, now)
            }
            MpvEvent::PlaybackRestart => {
                let pos = match &self.player {
                    Some(p) => p
                        .client()
                        .get_number("time-pos")
                        .await
                        .ok()
                        .flatten()
                        .map(|x| p.to_room(x)),
                    None => None,
                };
                match pos {
                    Some(pos) => self.engine.on_player_seeked(pos, now_ms()),
                    None => Vec::new(),
                }
            }
            MpvEvent::Property(Property::PausedForCache(_)) => {
                self.tick();
                Vec::new()
            }
            MpvEvent::Closed | MpvEvent::Shutdown => {
                if let Some(p) = self.player.take() {
                    p.quit().await;
                    self.snapshot.send_modify(|s| {
                        s.player_open = false;
                        s.player_endpoint = None;
                        s.player_pid = None;
                    });
                    self.local.send_replace(None);
                    self.emit(SessionEvent::PlayerClosed);
                    self.engine.on_player_closed(now)
                } else {
                    Vec::new()
                }
            }
            _ => Vec::new(),
        };
        self.apply(actions);
        if self.resting {
            // The slow tick would judge this late: judge it now.
            self.tick();
        }
        Flow::Go
    }

    async fn on_link(&mut self, ev: LinkEvent) -> Flow {
        let now = now_ms();
        match ev {
            LinkEvent::Down {
                attempt, retry_in, ..
            } => {
                self.lost_since
                    .get_or_insert_with(tokio::time::Instant::now);
                let connection = ConnectionState::Reconnecting {
                    attempt,
                    retry_in_ms: retry_in.as_millis() as u64,
                };
                self.snapshot
                    .send_modify(|s| s.connection = connection.clone());
                self.emit(SessionEvent::Connection { connection });
            }
            LinkEvent::Up(_) => {
                self.lost_since = None;
                self.sharing.forget_reported_tracks();
                // What we know of the room goes along, so a relay that
                // restarted (and lost it) can rebuild it.
                let nickname = self.my_nickname();
                let (code, rebuild) = {
                    let s = self.snapshot.borrow();
                    let me = s.participants.iter().find(|p| p.id == s.you);
                    let rebuild = RoomRebuild {
                        nickname,
                        host_proof: self.host_proof.clone(),
                        ready: me.is_some_and(|p| p.ready),
                        control_mode: s.control_mode,
                        playback: s.playback,
                        media: s.room_media.clone().or_else(|| Some(s.media.clone())),
                    };
                    (s.code.clone(), rebuild)
                };
                self.resuming = true;
                self.pings = 0;
                self.link.send(ClientMsg::Resume {
                    code,
                    token: self.token.clone(),
                    rebuild: Some(Box::new(rebuild)),
                });
            }
            LinkEvent::Message(msg) => return self.on_message(msg, now),
        }
        Flow::Go
    }

    fn on_message(&mut self, msg: ServerMsg, now: f64) -> Flow {
        match msg {
            ServerMsg::Joined(j) => {
                self.resuming = false;
                // A relay that rebuilt the room lost the fingerprints.
                self.aligner.resend_prints();
                self.token = j.resume_token.clone();
                self.learn_media(&j.room.participants);
                let participants = self.with_media(j.room.participants.clone());
                self.snapshot.send_modify(|s| {
                    s.you = j.you;
                    s.participants = participants;
                    s.control_mode = j.room.control_mode;
                    s.playback = j.room.playback;
                    s.connection = ConnectionState::Connected;
                });
                self.update_permissions();
                self.send_print_if_host();
                self.emit(SessionEvent::Connection {
                    connection: ConnectionState::Connected,
                });
                let actions = self
                    .engine
                    .on_joined(j.you, j.room.playback, j.server_ms, now);
                self.apply(actions);
            }
            ServerMsg::State {
                playback,
                server_ms,
                cause,
            } => {
                let actions = self.engine.on_room_state(playback, server_ms, cause, now);
                let changed = self.snapshot.borrow().playback != playback;
                self.snapshot.send_modify(|s| s.playback = playback);
                if changed {
                    self.emit(SessionEvent::Playback { playback });
                }
                self.apply(actions);
            }
            ServerMsg::Participants { participants } => self.set_participants(participants),
            ServerMsg::Media { participant, media } => {
                match media {
                    Some(m) => self.media_of.insert(participant, m),
                    None => self.media_of.remove(&participant),
                };
                let current = self.snapshot.borrow().participants.clone();
                self.set_participants(current);
            }
            ServerMsg::HostProof { proof } => self.host_proof = Some(proof),
            ServerMsg::Subtitle {
                id,
                from,
                nickname,
                meta,
                part,
                parts,
                text,
            } => {
                let line = self.snapshot.borrow().line;
                let incoming = super::sharing::IncomingPart {
                    id,
                    from,
                    nickname: &nickname,
                    meta,
                    part,
                    parts,
                    text: &text,
                };
                self.take_subtitle_part(incoming, line);
            }
            ServerMsg::Tracks {
                participant,
                tracks,
            } => self.learn_tracks(participant, tracks),
            ServerMsg::TrackProposal {
                nickname, proposal, ..
            } => self.apply_proposal(nickname, proposal, true),
            ServerMsg::AudioPrint {
                nickname,
                start,
                data,
                ..
            } => match matinee_align::Print::decode(start, &data) {
                Ok(print) if !self.is_host() => {
                    self.aligner.host_print(nickname, print);
                    self.emit_alignment();
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "unreadable fingerprint from the host"),
            },
            ServerMsg::ControlMode { mode } => {
                self.snapshot.send_modify(|s| s.control_mode = mode);
                self.update_permissions();
                self.emit(SessionEvent::ControlMode { mode });
            }
            ServerMsg::Pong(p) => {
                self.engine
                    .on_pong(p.client_ms, p.server_recv_ms, p.server_send_ms, now);
                let offset = self.engine.clock().offset_ms();
                self.snapshot.send_modify(|s| s.clock_offset_ms = offset);
            }
            ServerMsg::Chat {
                from,
                nickname,
                text,
                ..
            } => {
                // One line on the video: a line break cannot start a line
                // that looks like another speaker's.
                self.osd(format!("{nickname}: {}", text.replace(['\n', '\r'], " ⏎ ")));
                self.emit(SessionEvent::Chat {
                    from,
                    nickname,
                    text,
                });
            }
            ServerMsg::Notice {
                event,
                text,
                participant,
                ..
            } => {
                // A shared file and a proposal come with events of their
                // own that say more (what this player did); the sharer
                // gets the notice as the confirmation.
                let mine = participant == Some(self.snapshot.borrow().you);
                let said_otherwise = match event {
                    NoticeEvent::SubtitleShared => !mine,
                    NoticeEvent::TracksProposed => true,
                    _ => false,
                };
                if !said_otherwise {
                    self.osd(text.clone());
                    self.emit(SessionEvent::Notice { event, text });
                }
            }
            ServerMsg::Left { reason } => return Flow::End(reason),
            ServerMsg::Error {
                code,
                message,
                fatal,
            } => {
                if self.resuming
                    && matches!(
                        code,
                        ErrorCode::InvalidToken | ErrorCode::RoomNotFound | ErrorCode::Banned
                    )
                {
                    return Flow::End(format!("Could not return to the room: {message}"));
                }
                let actions = match code {
                    ErrorCode::NotHost => self.engine.on_control_refused(&message, now),
                    _ => {
                        self.emit(SessionEvent::Refused {
                            message: message.clone(),
                        });
                        Vec::new()
                    }
                };
                self.apply(actions);
                if fatal {
                    tracing::warn!(?code, %message, "the relay closed the connection");
                }
            }
            ServerMsg::Welcome(_) => {}
        }
        Flow::Go
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
