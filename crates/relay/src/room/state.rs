//! A room's state and its handling of membership, chat and reports.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use matinee_protocol::{
    clean_nickname, unique_nickname, ClientMsg, ControlMode, ErrorCode, Joined, MediaInfo,
    NoticeEvent, ParticipantId, PlaybackState, QueueState, RoomCode, RoomRebuild, RoomSnapshot,
    ServerMsg, StateReport,
};

use super::seat::Seat;
use super::{Refusal, RoomCmd};
use crate::clock::ServerClock;
use crate::config::RelayConfig;
use crate::metrics::Metrics;
use crate::outbox::{frame, Outbox};
use crate::refusal::{self, banned, room_ended, room_full, seat_gone};
use crate::tokens::{Bans, HostProof, TokenSigner};
use axum::extract::ws::Utf8Bytes;

/// What a room needs of the relay: its settings, the key that signs tokens
/// and proofs, the metrics, and the server clock (tokio's, so a test with
/// paused time moves it by hand).
#[derive(Clone)]
pub(crate) struct RoomEnv {
    pub config: Arc<RelayConfig>,
    pub tokens: Arc<TokenSigner>,
    pub metrics: Arc<Metrics>,
    pub clock: ServerClock,
    /// Shared subtitle bytes per address, across the relay's rooms.
    pub allowance: Arc<super::shares::ShareAllowance>,
}

/// Every how many ticks the participant list goes out with fresh figures.
const ROSTER_REFRESH_TICKS: u64 = 2;
/// Shortest time between two participant lists that only carry changed
/// flags (ready, buffering): a member toggling one as fast as it may send
/// costs everyone at most this many lists a second.
pub(crate) const ROSTER_MIN_INTERVAL: Duration = Duration::from_millis(250);
/// Shortest time between two renames of one member, ms.
const RENAME_INTERVAL_MS: f64 = 2000.0;
/// Shortest time between two "player closed" notices about one member, ms.
const CLOSED_NOTICE_INTERVAL_MS: f64 = 10_000.0;

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Lifecycle {
    Open,
    Expired,
}

pub(crate) struct Room {
    code: RoomCode,
    pub(super) control_mode: ControlMode,
    pub(super) media: Option<MediaInfo>,
    pub(super) playback: PlaybackState,
    pub(super) seats: Vec<Seat>,
    pub(super) next_id: ParticipantId,
    /// Ticks so far.
    ticks: u64,
    /// Changed in what is stored for other nodes (see `stored`).
    stored_dirty: bool,
    /// Since when nobody has been connected.
    empty_since: Option<Instant>,
    /// The participant list changed and must be sent out.
    pub(super) roster_dirty: bool,
    /// When the participant list last went out.
    roster_sent: Option<Instant>,
    /// A second member has joined at some point (a room nobody else ever
    /// joined expires sooner once empty).
    pub(super) had_guests: bool,
    /// Who the host removed.
    pub(super) bans: Bans,
    /// When the current host's proof was issued (server ms; 0: none). A
    /// rebuilt seat takes the host role only with a newer proof.
    pub(super) host_proof_ms: u64,
    /// Rebuilt after a restart by a member without a host proof: that
    /// member holds the host role without a proof until this server time,
    /// waiting for a member with one to come back.
    provisional_until: Option<f64>,
    /// Since when the room has been paused for someone's buffering.
    pub(super) buffer_pause_since: Option<f64>,
    /// Shared subtitle files and the latest track proposal.
    pub(super) sharing: super::shares::Sharing,
    /// The queue, and the last entry number given.
    pub(super) queue: QueueState,
    pub(super) next_queue_id: u32,
    /// The room went on to a queue entry: it starts when all are ready.
    pub(super) queue_autostart: bool,
    /// The queue changed and must be sent out; when it last went out.
    pub(super) queue_dirty: bool,
    pub(super) queue_sent: Option<Instant>,
    /// The host ended the party: nobody is seated again, and the room
    /// goes at the next tick.
    ended: bool,
    pub(super) env: RoomEnv,
}

impl Room {
    pub fn new(code: RoomCode, control_mode: ControlMode, env: RoomEnv) -> Self {
        Self {
            code,
            control_mode,
            media: None,
            playback: PlaybackState::initial(env.clock.now_ms()),
            seats: Vec::new(),
            next_id: 1,
            stored_dirty: true,
            ticks: 0,
            empty_since: Some(Instant::now()),
            roster_dirty: false,
            roster_sent: None,
            had_guests: false,
            bans: Bans::default(),
            host_proof_ms: 0,
            provisional_until: None,
            buffer_pause_since: None,
            sharing: Default::default(),
            queue: QueueState::default(),
            next_queue_id: 0,
            queue_autostart: false,
            queue_dirty: false,
            queue_sent: None,
            ended: false,
            env,
        }
    }

    pub fn code(&self) -> &RoomCode {
        &self.code
    }

    /// The room's settings, to change (simulations only).
    #[cfg(feature = "testing")]
    pub fn config_mut(&mut self) -> &mut RelayConfig {
        Arc::make_mut(&mut self.env.config)
    }

    /// The room's playback now.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    pub fn playback(&self) -> PlaybackState {
        self.playback
    }

    pub(crate) fn now_ms(&self) -> f64 {
        self.env.clock.now_ms()
    }

    /// Whether what is stored for other nodes changed since last asked.
    pub fn take_stored_dirty(&mut self) -> bool {
        std::mem::take(&mut self.stored_dirty)
    }

    pub fn handle(&mut self, cmd: RoomCmd) {
        // Reports and chat change nothing stored (a report that changes the
        // playback, when someone buffers, is caught below); RTTs neither.
        let playback = self.playback;
        self.stored_dirty |= !matches!(
            cmd,
            RoomCmd::Rtt { .. }
                | RoomCmd::Client {
                    msg: ClientMsg::State(_)
                        | ClientMsg::Chat { .. }
                        | ClientMsg::ShareSubtitle { .. }
                        | ClientMsg::Tracks { .. }
                        | ClientMsg::ProposeTracks { .. }
                        | ClientMsg::AudioPrint { .. },
                    ..
                }
        );
        match cmd {
            RoomCmd::Join {
                nickname,
                media,
                via,
                outbox,
                reply,
            } => {
                let _ = reply.send(self.join(nickname, media, via, outbox));
            }
            RoomCmd::Resume {
                token,
                outbox,
                reply,
            } => {
                let _ = reply.send(self.resume(&token, outbox));
            }
            RoomCmd::Rebuild {
                pid,
                token,
                rebuild,
                outbox,
                reply,
            } => {
                let _ = reply.send(self.rebuild(pid, token, *rebuild, outbox));
            }
            RoomCmd::Client { pid, conn_id, msg } => {
                if let Some(idx) = self.seat_of(pid, conn_id) {
                    self.on_message(idx, msg);
                }
            }
            RoomCmd::Rtt {
                pid,
                conn_id,
                rtt_ms,
                link,
            } => {
                if let Some(idx) = self.seat_of(pid, conn_id) {
                    self.seats[idx].add_rtt(rtt_ms);
                    // A path that turns direct (or back) shows at once.
                    if link.is_some() && self.seats[idx].link != link {
                        self.seats[idx].link = link;
                        self.roster_dirty = true;
                    }
                }
            }
            RoomCmd::Disconnected { pid, conn_id } => {
                if let Some(idx) = self.seat_of(pid, conn_id) {
                    self.drop_link(idx);
                }
            }
        }
        self.flush_roster(false);
        self.stored_dirty |= self.playback != playback;
    }

    /// When a participant list held back by [`ROSTER_MIN_INTERVAL`] is due.
    pub fn roster_due(&self) -> Option<Instant> {
        if !self.roster_dirty {
            return None;
        }
        Some(
            self.roster_sent
                .map_or_else(Instant::now, |t| t + ROSTER_MIN_INTERVAL),
        )
    }

    /// When the participant list or the queue, held back so that a storm
    /// of changes goes out as one message per interval, is due.
    pub fn held_back_due(&self) -> Option<Instant> {
        match (self.roster_due(), self.queue_due()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Sends what was held back and is now due.
    pub fn send_held_back(&mut self) {
        self.flush_roster(false);
        self.flush_queue(false);
    }

    /// Periodic work: state refresh, expiries.
    pub fn tick(&mut self) -> Lifecycle {
        if self.ended {
            return Lifecycle::Expired;
        }
        let now = Instant::now();
        let grace = Duration::from_secs_f64(self.env.config.resume_grace_secs.max(0.0));
        let expired: Vec<ParticipantId> = self
            .seats
            .iter()
            .filter(|s| {
                s.disconnected_at
                    .is_some_and(|t| now.duration_since(t) >= grace)
            })
            .map(|s| s.id)
            .collect();
        for pid in expired {
            self.stored_dirty = true;
            if let Some(idx) = self.index_of(pid) {
                let name = self.seats[idx].nickname.clone();
                self.remove_seat(idx);
                self.notice(
                    NoticeEvent::Left,
                    format!("{name} left (connection lost)"),
                    Some(pid),
                );
            }
        }
        self.end_film_if_over();
        self.advance_queue_if_due();
        self.stop_waiting_if_too_long();
        self.confirm_provisional_host();
        self.drop_stalled_uploads();
        self.flush_tracks(None);
        self.flush_paced();
        self.broadcast_state(None);
        // Changes to who is there go out at once; the figures (RTT, drift,
        // position) are refreshed every few ticks.
        self.ticks += 1;
        if self.ticks.is_multiple_of(ROSTER_REFRESH_TICKS) {
            self.roster_dirty = true;
        }
        self.flush_roster(false);

        if self.seats.iter().any(Seat::is_connected) {
            self.empty_since = None;
        } else {
            let since = *self.empty_since.get_or_insert(now);
            let config = &self.env.config;
            let grace = if self.had_guests {
                config.room_grace_secs
            } else {
                config.lonely_room_grace_secs.min(config.room_grace_secs)
            };
            if now.duration_since(since) >= Duration::from_secs_f64(grace.max(0.0)) {
                return Lifecycle::Expired;
            }
        }
        Lifecycle::Open
    }

    fn seat_of(&self, pid: ParticipantId, conn_id: u64) -> Option<usize> {
        self.seats
            .iter()
            .position(|s| s.id == pid && s.is_connection(conn_id))
    }

    pub(super) fn index_of(&self, pid: ParticipantId) -> Option<usize> {
        self.seats.iter().position(|s| s.id == pid)
    }

    fn snapshot(&self) -> RoomSnapshot {
        RoomSnapshot {
            code: self.code.clone(),
            control_mode: self.control_mode,
            participants: self.seats.iter().map(Seat::full_view).collect(),
            playback: self.playback,
            media: self.media.clone(),
            queue: self.queue.clone(),
        }
    }

    fn welcome_seat(&mut self, idx: usize) {
        let seat = &self.seats[idx];
        let joined = ServerMsg::Joined(Box::new(Joined {
            you: seat.id,
            resume_token: seat.token.clone(),
            resume_grace_secs: self.env.config.resume_grace_secs,
            room: self.snapshot(),
            server_ms: self.now_ms(),
        }));
        if let Some(conn) = &seat.conn {
            conn.send_msg(&joined);
        }
    }

    /// Whether the host banned this address from the room.
    fn address_banned(&self, addr: std::net::IpAddr) -> bool {
        self.env
            .tokens
            .address_tag(addr)
            .is_some_and(|tag| self.bans.has_addr(&tag))
    }

    /// `raw` as the room shows it: cleaned, and told apart from the names
    /// of everyone but seat `except`.
    fn room_name(&self, raw: &str, except: Option<ParticipantId>) -> String {
        let clean = clean_nickname(raw).unwrap_or_else(|_| raw.trim().to_string());
        let others = self
            .seats
            .iter()
            .filter(|s| Some(s.id) != except)
            .map(|s| s.nickname.as_str());
        unique_nickname(&clean, others)
    }

    fn join(
        &mut self,
        nickname: String,
        media: Option<MediaInfo>,
        via: Option<String>,
        outbox: Outbox,
    ) -> Result<ParticipantId, Refusal> {
        if self.ended {
            return Err(room_ended());
        }
        let max = self.env.config.max_participants;
        if self.seats.len() >= max {
            return Err(room_full(max));
        }
        if self.address_banned(outbox.addr) {
            return Err(banned());
        }
        let id = self.next_id;
        self.next_id += 1;
        let first = self.seats.is_empty();
        if first && self.media.is_none() {
            self.media = media.clone();
        }
        self.had_guests |= !first;
        let token = self.env.tokens.mint(&self.code, id);
        let name = self.room_name(&nickname, None);
        let mut seat = Seat::new(id, name.clone(), token, media, outbox, self.now_ms());
        seat.host = first;
        seat.via = via;
        self.seats.push(seat);
        self.empty_since = None;
        let idx = self.seats.len() - 1;
        self.welcome_seat(idx);
        self.roster_dirty = true;
        if first {
            self.issue_host_proof(idx);
        } else {
            self.announce_media(idx);
            self.send_shared_to(idx);
            self.notice(NoticeEvent::Joined, format!("{name} joined"), Some(id));
        }
        Ok(id)
    }

    /// Tells everyone a newly seated member's media details (once: lists
    /// leave them out).
    fn announce_media(&mut self, idx: usize) {
        let seat = &self.seats[idx];
        if seat.media.is_some() {
            let msg = ServerMsg::Media {
                participant: seat.id,
                media: seat.media.clone(),
            };
            self.broadcast(&msg);
        }
    }

    /// Seats a member of this room as a relay before a restart knew it (its
    /// token verified by the caller), from what the member remembers. The
    /// first to come back sets the room's playback and mode; a member who
    /// held the host role takes it back.
    fn rebuild(
        &mut self,
        pid: ParticipantId,
        token: String,
        r: RoomRebuild,
        outbox: Outbox,
    ) -> Result<ParticipantId, Refusal> {
        if self.ended {
            return Err(room_ended());
        }
        if self.bans.has_seat(pid) || self.address_banned(outbox.addr) {
            return Err(banned());
        }
        if self.seats.iter().any(|s| s.id == pid) {
            return self.resume(&token, outbox);
        }
        let max = self.env.config.max_participants;
        if self.seats.len() >= max {
            return Err(room_full(max));
        }
        let now = self.now_ms();
        let first = self.seats.is_empty();
        let proof = r
            .host_proof
            .as_deref()
            .and_then(|p| self.env.tokens.verify_host_proof(&self.code, p))
            .filter(|p| p.seat == pid && p.issued_ms > self.host_proof_ms);
        if first {
            self.control_mode = r.control_mode;
            self.media = r.media.clone();
            self.playback = rebuilt_playback(r.playback, now);
            self.next_queue_id = r.queue.entries.iter().map(|e| e.id).max().unwrap_or(0);
            self.queue = r.queue.clone();
        }
        self.next_id = self.next_id.max(pid + 1);
        self.had_guests |= !first;
        let name = self.room_name(&r.nickname, None);
        let mut seat = Seat::new(pid, name.clone(), token, r.media.clone(), outbox, now);
        seat.ready = r.ready;
        self.seats.push(seat);
        let idx = self.seats.len() - 1;
        self.empty_since = None;
        self.roster_dirty = true;
        tracing::info!(room = %self.code, participant = pid, "seat rebuilt after a restart");
        // The host role goes by proof, never by a member's word: the newest
        // proof this relay signed wins (in a room that lived on, the
        // current host's is newer than any former host's). Without one, the
        // first member back holds the role provisionally.
        match proof {
            Some(proof) => self.reclaim_host(idx, proof, &r),
            None if first => {
                self.hold_host_role_provisionally();
                self.set_host(idx);
            }
            None => {}
        }
        let idx = self.index_of(pid).expect("seated");
        self.welcome_seat(idx);
        if !first {
            self.announce_media(idx);
            self.notice(
                NoticeEvent::Reconnected,
                format!("{name} is back"),
                Some(pid),
            );
        }
        Ok(pid)
    }

    /// After a restart nobody's role is sure until everyone has had the
    /// resume grace to come back: whoever holds it meanwhile (by a proof
    /// that a newer one may outrank, or by being first back) gets no
    /// fresh proof, and cannot remove people or change the control mode.
    fn hold_host_role_provisionally(&mut self) {
        let grace = self.env.config.resume_grace_secs.max(0.0) * 1000.0;
        self.provisional_until = Some(self.now_ms() + grace);
    }

    /// Whether the host holds the role for sure (see
    /// [`Room::hold_host_role_provisionally`]); when not, refuses `what`
    /// to seat `idx` saying how long until it may.
    pub(super) fn host_confirmed(&mut self, idx: usize, what: &str) -> bool {
        let Some(until) = self.provisional_until else {
            return true;
        };
        let secs = ((until - self.now_ms()) / 1000.0).ceil().max(1.0);
        self.refuse(idx, refusal::host_not_confirmed(what, secs));
        false
    }

    /// A member showing the newest valid host proof takes the role back,
    /// with the control mode and the film it remembers and the bans its
    /// proof lists (members banned meanwhile lose their seats). A newer
    /// proof still outranks it until the resume grace is over: taking the
    /// role back issues no fresh proof before then.
    fn reclaim_host(&mut self, idx: usize, proof: HostProof, r: &RoomRebuild) {
        let pid = self.seats[idx].id;
        self.hold_host_role_provisionally();
        self.host_proof_ms = proof.issued_ms;
        self.bans.merge(&proof.bans);
        let mode = r.control_mode;
        if self.control_mode != mode {
            self.control_mode = mode;
            self.broadcast(&ServerMsg::ControlMode { mode });
        }
        // The film is the host's, not whatever the first one back claimed.
        if r.media.is_some() && r.media != self.media {
            let epoch = self.playback.epoch.max(r.playback.epoch) + 1;
            self.media = r.media.clone();
            self.playback = rebuilt_playback(r.playback, self.now_ms());
            self.playback.epoch = epoch;
            self.broadcast_state(None);
        }
        self.set_host(self.index_of(pid).expect("seated"));
        let banned: Vec<ParticipantId> = self
            .seats
            .iter()
            .filter(|s| self.bans.has_seat(s.id))
            .map(|s| s.id)
            .collect();
        for id in banned {
            if let Some(i) = self.index_of(id) {
                self.remove_banned(i);
            }
        }
    }

    /// A provisional host (see `provisional_until`) whose wait is over
    /// becomes the host for good, with a proof.
    fn confirm_provisional_host(&mut self) {
        if self.provisional_until.is_none_or(|t| self.now_ms() < t) {
            return;
        }
        self.provisional_until = None;
        if let Some(idx) = self.seats.iter().position(|s| s.host) {
            self.issue_host_proof(idx);
        }
    }

    /// Sends the host a fresh proof of its role (with the room's bans).
    pub(super) fn issue_host_proof(&mut self, idx: usize) {
        if self.provisional_until.is_some() {
            return;
        }
        let issued_ms = (self.now_ms().max(0.0) as u64).max(self.host_proof_ms + 1);
        self.host_proof_ms = issued_ms;
        self.stored_dirty = true;
        let seat = &self.seats[idx];
        let proof = HostProof {
            room: self.code.to_string(),
            seat: seat.id,
            issued_ms,
            bans: self.bans.clone(),
        };
        let proof = self.env.tokens.sign_host_proof(&proof);
        if let Some(conn) = &seat.conn {
            conn.send_msg(&ServerMsg::HostProof { proof });
        }
    }

    fn resume(&mut self, token: &str, outbox: Outbox) -> Result<ParticipantId, Refusal> {
        let Some(idx) = self.seats.iter().position(|s| s.token_matches(token)) else {
            return Err(seat_gone());
        };
        let seat = &mut self.seats[idx];
        seat.addr = outbox.addr;
        seat.sharing.drop_upload();
        if let Some(old) = seat.conn.replace(outbox) {
            old.close(ErrorCode::SessionReplaced);
        }
        let was_away = seat.disconnected_at.take().is_some();
        let (id, name) = (seat.id, seat.nickname.clone());
        self.empty_since = None;
        self.welcome_seat(idx);
        if self.seats[idx].host {
            // A relay taking the room over from storage, or a new link:
            // the host gets a current proof.
            self.issue_host_proof(idx);
        }
        self.roster_dirty = true;
        if was_away {
            self.notice(
                NoticeEvent::Reconnected,
                format!("{name} is back"),
                Some(id),
            );
        }
        Ok(id)
    }

    fn on_message(&mut self, idx: usize, msg: ClientMsg) {
        match msg {
            ClientMsg::Leave => {
                let (id, name) = (self.seats[idx].id, self.seats[idx].nickname.clone());
                if let Some(conn) = self.seats[idx].conn.take() {
                    conn.send_msg(&ServerMsg::Left {
                        reason: "You left the room.".into(),
                    });
                    conn.evict();
                }
                self.remove_seat(idx);
                self.notice(NoticeEvent::Left, format!("{name} left"), Some(id));
            }
            ClientMsg::EndParty => self.on_end_party(idx),
            ClientMsg::Ready { ready } => {
                self.seats[idx].ready = ready;
                self.roster_dirty = true;
                self.start_entry_if_all_ready();
            }
            ClientMsg::State(report) => self.on_report(idx, &report),
            ClientMsg::Chat { text } => self.on_chat(idx, text),
            ClientMsg::Rename { nickname } => self.on_rename(idx, &nickname),
            ClientMsg::Control {
                seq,
                action,
                server_ms,
            } => self.on_control(idx, seq, action, server_ms),
            ClientMsg::Start { force } => self.on_start(idx, force),
            ClientMsg::QueueAdd { items } => self.on_queue_add(idx, items),
            ClientMsg::QueueRemove { id } => self.on_queue_remove(idx, id),
            ClientMsg::QueueMove { id, to } => self.on_queue_move(idx, id, to),
            ClientMsg::QueuePlay { id } => self.on_queue_play(idx, id),
            ClientMsg::QueueWait => self.on_queue_wait(idx),
            ClientMsg::QueueCopies { have } => self.on_queue_copies(idx, have),
            ClientMsg::SetControlMode { mode } => self.on_set_mode(idx, mode),
            ClientMsg::PassHost { to } => self.on_pass_host(idx, to),
            ClientMsg::Kick { participant } => self.on_kick(idx, participant),
            ClientMsg::StopWaitingFor { participant } => self.on_stop_waiting_for(idx, participant),
            ClientMsg::ShareSubtitle {
                part,
                parts,
                meta,
                text,
            } => self.on_share_subtitle(idx, part, parts, meta, text),
            ClientMsg::Tracks { tracks } => self.on_tracks(idx, tracks),
            ClientMsg::ProposeTracks { proposal } => self.on_propose_tracks(idx, proposal),
            ClientMsg::AudioPrint { start, data } => self.on_audio_print(idx, start, data),
            ClientMsg::Media { media } => {
                if self.seats[idx].media.as_ref() != Some(&media) {
                    self.seats[idx].media = Some(media);
                    self.announce_media(idx);
                }
                // Said again on each queue entry the member opens.
                self.host_media_for_entry(idx);
            }
            ClientMsg::Hello { .. }
            | ClientMsg::Create { .. }
            | ClientMsg::Join { .. }
            | ClientMsg::Resume { .. }
            | ClientMsg::Ping { .. } => {
                self.refuse(idx, refusal::already_in_room());
            }
        }
    }

    fn on_rename(&mut self, idx: usize, nickname: &str) {
        let now = self.now_ms();
        let seat = &self.seats[idx];
        if seat
            .last_rename_ms
            .is_some_and(|t| now - t < RENAME_INTERVAL_MS)
        {
            return self.refuse(idx, refusal::rename_too_soon());
        }
        let nickname = self.room_name(nickname, Some(seat.id));
        self.seats[idx].last_rename_ms = Some(now);
        let old = std::mem::replace(&mut self.seats[idx].nickname, nickname.clone());
        if old != nickname {
            self.roster_dirty = true;
            self.stored_dirty = true;
            let id = self.seats[idx].id;
            self.notice(
                NoticeEvent::Renamed,
                format!("{old} is now {nickname}"),
                Some(id),
            );
        }
    }

    fn on_chat(&mut self, idx: usize, text: String) {
        let max = self.env.config.max_chat_chars();
        if text.chars().count() > max {
            return self.refuse(idx, refusal::chat_too_long(max));
        }
        let seat = &self.seats[idx];
        let msg = ServerMsg::Chat {
            from: seat.id,
            nickname: seat.nickname.clone(),
            // Nobody's line reorders or breaks what others see after it.
            text: matinee_protocol::clean_line(&text),
            server_ms: self.now_ms(),
        };
        self.broadcast(&msg);
    }

    fn on_report(&mut self, idx: usize, report: &StateReport) {
        let current = report.epoch == self.playback.epoch;
        if !current {
            self.env.metrics.stale_reports.inc();
        }
        let room_pos = current.then(|| self.playback.position_at(report.server_ms));
        let seat = &mut self.seats[idx];
        seat.record_report(report, room_pos);
        let (id, name) = (seat.id, seat.nickname.clone());
        if seat.player_closed != report.player_closed {
            seat.player_closed = report.player_closed;
            self.roster_dirty = true;
            let now = self.env.clock.now_ms();
            let recently = seat
                .last_closed_notice_ms
                .is_some_and(|t| now - t < CLOSED_NOTICE_INTERVAL_MS);
            if report.player_closed && !recently {
                seat.last_closed_notice_ms = Some(now);
                self.notice(
                    NoticeEvent::PlayerClosed,
                    format!("{name}'s player closed"),
                    Some(id),
                );
            }
        }
        if seat_buffering_changed(&mut self.seats[idx], report.buffering) {
            self.roster_dirty = true;
            self.on_buffering_changed(idx);
        }
    }

    /// Sends an error to one seat.
    pub(super) fn refuse(&mut self, idx: usize, (code, message): Refusal) {
        self.env.metrics.error(code);
        if let Some(conn) = &self.seats[idx].conn {
            conn.send_msg(&ServerMsg::error(code, &message, false));
        }
    }

    pub(super) fn is_host(&self, idx: usize) -> bool {
        self.seats[idx].host
    }

    /// Refuses host-only requests from others; true when allowed.
    pub(super) fn require_host(&mut self, idx: usize, what: &str) -> bool {
        if self.is_host(idx) {
            return true;
        }
        self.refuse(idx, refusal::only_host(what));
        false
    }

    /// The link dropped: keep the seat for a resume.
    fn drop_link(&mut self, idx: usize) {
        let seat = &mut self.seats[idx];
        if seat.conn.take().is_none() {
            return;
        }
        seat.sharing.drop_upload();
        seat.disconnected_at = Some(Instant::now());
        let (id, name) = (seat.id, seat.nickname.clone());
        self.roster_dirty = true;
        self.notice(
            NoticeEvent::Reconnecting,
            format!("{name} is reconnecting…"),
            Some(id),
        );
        if self.seats[idx].buffering {
            self.seats[idx].buffering = false;
            self.on_buffering_changed(idx);
        }
    }

    /// Removes a seat for good, handing the host role on if needed.
    pub(super) fn remove_seat(&mut self, idx: usize) {
        let seat = self.seats.remove(idx);
        self.roster_dirty = true;
        if seat.host {
            self.elect_host();
        }
        if seat.buffering {
            self.resume_if_nobody_buffers();
        }
    }

    /// Makes the longest-present participant host, preferring connected ones.
    fn elect_host(&mut self) {
        let next = self
            .seats
            .iter()
            .enumerate()
            .min_by(|(_, a), (_, b)| {
                (!a.is_connected(), a.joined_ms)
                    .partial_cmp(&(!b.is_connected(), b.joined_ms))
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
            .map(|(i, _)| i);
        if let Some(i) = next {
            self.set_host(i);
        }
    }

    pub(super) fn set_host(&mut self, idx: usize) {
        if !self.seats[idx].host {
            self.forget_audio_print();
        }
        for (i, s) in self.seats.iter_mut().enumerate() {
            s.host = i == idx;
        }
        let (id, name) = (self.seats[idx].id, self.seats[idx].nickname.clone());
        self.roster_dirty = true;
        if self.seats.len() > 1 || self.had_guests {
            self.notice(
                NoticeEvent::HostChanged,
                format!("{name} is now the host"),
                Some(id),
            );
        }
        self.issue_host_proof(idx);
    }

    fn on_set_mode(&mut self, idx: usize, mode: ControlMode) {
        if !self.require_host(idx, "change who controls playback")
            || !self.host_confirmed(idx, "change who controls playback")
        {
            return;
        }
        self.control_mode = mode;
        self.broadcast(&ServerMsg::ControlMode { mode });
        let text = match mode {
            ControlMode::HostOnly => "Only the host controls playback now",
            ControlMode::Shared => "Everyone can control playback now",
        };
        self.notice(NoticeEvent::ControlModeChanged, text.into(), None);
    }

    fn on_pass_host(&mut self, idx: usize, to: ParticipantId) {
        if !self.require_host(idx, "pass the host role") {
            return;
        }
        match self.index_of(to) {
            Some(target) => self.set_host(target),
            None => self.refuse(idx, refusal::no_such_participant()),
        }
    }

    fn on_kick(&mut self, idx: usize, pid: ParticipantId) {
        if !self.require_host(idx, "remove people") || !self.host_confirmed(idx, "remove people") {
            return;
        }
        let Some(target) = self.index_of(pid).filter(|t| *t != idx) else {
            return self.refuse(idx, refusal::no_such_other());
        };
        let tag = self.env.tokens.address_tag(self.seats[target].addr);
        self.bans.add(pid, tag);
        self.stored_dirty = true;
        self.remove_banned(target);
        // The host's proof carries the bans, so a relay that restarts
        // keeps them.
        if let Some(host) = self.seats.iter().position(|s| s.host) {
            self.issue_host_proof(host);
        }
    }

    /// The host ends the party: everyone is told who ended it and leaves;
    /// the room is gone.
    fn on_end_party(&mut self, idx: usize) {
        if !self.require_host(idx, "end the party") {
            return;
        }
        let host = self.seats[idx].id;
        let name = self.seats[idx].nickname.clone();
        tracing::info!(room = %self.code, participant = host, "the host ended the party");
        for seat in &mut self.seats {
            let Some(conn) = seat.conn.take() else {
                continue;
            };
            let reason = if seat.id == host {
                "You ended the party.".to_string()
            } else {
                format!("{name} ended the party.")
            };
            conn.send_msg(&ServerMsg::Left { reason });
            conn.evict();
        }
        self.seats.clear();
        self.ended = true;
        self.stored_dirty = true;
    }

    /// Removes a banned member's seat, telling them and everyone.
    fn remove_banned(&mut self, idx: usize) {
        let (pid, name) = (self.seats[idx].id, self.seats[idx].nickname.clone());
        if let Some(conn) = self.seats[idx].conn.take() {
            conn.send_msg(&ServerMsg::Left {
                reason: "The host removed you from the room.".into(),
            });
            conn.evict();
        }
        self.remove_seat(idx);
        self.notice(
            NoticeEvent::Kicked,
            format!("{name} was removed by the host"),
            Some(pid),
        );
    }

    /// Sends a message to every connected seat. Seats too slow to take it
    /// lose their link (they may resume).
    pub(super) fn broadcast(&mut self, msg: &ServerMsg) {
        self.broadcast_frames(&[frame(msg)], None);
    }

    /// Sends frames, in order, to every connected seat but `except`; seats
    /// too slow to take them lose their link (they may resume).
    pub(super) fn broadcast_frames(&mut self, frames: &[Utf8Bytes], except: Option<usize>) {
        match frames {
            // Most broadcasts are one message: no batch to allocate.
            [one] => self.fan_out(except, 1, |conn| conn.send(one.clone())),
            _ => self.broadcast_batch(&Arc::from(frames), except),
        }
    }

    /// Sends frames, in order and as one place of each queue, to every
    /// connected seat but `except`; seats too slow to take them lose their
    /// link (they may resume).
    pub(super) fn broadcast_batch(&mut self, frames: &Arc<[Utf8Bytes]>, except: Option<usize>) {
        self.fan_out(except, frames.len(), |conn| conn.send_batch(frames.clone()));
    }

    /// Queues `send` for every connected seat but `except` (`count`
    /// messages each, for the metrics); drops the links of those too slow.
    fn fan_out(&mut self, except: Option<usize>, count: usize, send: impl Fn(&Outbox) -> bool) {
        let mut slow = Vec::new();
        for (i, seat) in self.seats.iter().enumerate() {
            let Some(conn) = seat.conn.as_ref().filter(|_| Some(i) != except) else {
                continue;
            };
            if send(conn) {
                self.env.metrics.messages_sent.inc_by(count as u64);
            } else {
                slow.push(i);
            }
        }
        for i in slow.into_iter().rev() {
            let gone = self.seats[i].conn.as_ref().is_some_and(Outbox::is_closed);
            let participant = self.seats[i].id;
            if gone {
                tracing::debug!(room = %self.code, participant, "client went away");
            } else {
                tracing::warn!(room = %self.code, participant, "dropping a client that does not read");
            }
            self.drop_link(i);
        }
    }

    /// Tells everyone what happened, after the roster change it explains.
    pub(super) fn notice(&mut self, event: NoticeEvent, text: String, who: Option<ParticipantId>) {
        self.flush_roster(true);
        let msg = ServerMsg::Notice {
            event,
            text,
            participant: who,
            server_ms: self.now_ms(),
        };
        self.broadcast(&msg);
    }

    pub(super) fn broadcast_state(&mut self, cause: Option<matinee_protocol::ControlCause>) {
        let msg = ServerMsg::State {
            playback: self.playback,
            server_ms: self.now_ms(),
            cause,
        };
        self.broadcast(&msg);
    }

    /// Sends the participant list if it changed: at once when `now` (a
    /// notice explains the change), else no sooner than
    /// [`ROSTER_MIN_INTERVAL`] after the last one ([`Room::roster_due`]
    /// says when).
    fn flush_roster(&mut self, now: bool) {
        let recent = self
            .roster_sent
            .is_some_and(|t| t.elapsed() < ROSTER_MIN_INTERVAL);
        if recent && !now {
            return;
        }
        // Sending can drop slow links, which changes the roster again; a
        // second round covers that, later changes wait for the next tick.
        for _ in 0..2 {
            if !std::mem::take(&mut self.roster_dirty) {
                return;
            }
            self.roster_sent = Some(Instant::now());
            let participants = self.seats.iter().map(Seat::view).collect();
            self.broadcast(&ServerMsg::Participants { participants });
        }
    }
}

/// A playback a member remembers, as a rebuilt room takes it: a state from
/// a clock far off (or far back) restarts where it stood rather than
/// extrapolating across it, and nobody is waited for yet.
fn rebuilt_playback(mut playback: PlaybackState, now: f64) -> PlaybackState {
    if (now - playback.anchor_ms).abs() > 24.0 * 3600.0 * 1000.0 {
        playback.anchor_ms = now;
    }
    playback.waiting_for_buffering = false;
    playback
}

fn seat_buffering_changed(seat: &mut Seat, buffering: bool) -> bool {
    let changed = seat.buffering != buffering;
    seat.buffering = buffering;
    changed
}
