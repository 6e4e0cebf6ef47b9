//! A room's state and its handling of membership, chat and reports.

use std::sync::Arc;
use std::time::{Duration, Instant};

use matinee_protocol::{
    ClientMsg, ControlMode, ErrorCode, Joined, MediaInfo, NoticeEvent, ParticipantId,
    PlaybackState, RoomCode, RoomRebuild, RoomSnapshot, ServerMsg, StateReport,
};

use super::seat::Seat;
use super::{Refusal, RoomCmd};
use crate::outbox::{frame, Outbox};
use crate::Shared;

/// Every how many ticks the participant list goes out with fresh figures.
const ROSTER_REFRESH_TICKS: u64 = 2;

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
    roster_dirty: bool,
    /// Rebuilt after a restart (its first seat came from a member's memory).
    rebuilt: bool,
    /// Rebuilt, and the host role went back to a member who held it.
    host_reclaimed: bool,
    pub(super) shared: Arc<Shared>,
}

impl Room {
    pub fn new(code: RoomCode, control_mode: ControlMode, shared: Arc<Shared>) -> Self {
        Self {
            code,
            control_mode,
            media: None,
            playback: PlaybackState::initial(shared.clock.now_ms()),
            seats: Vec::new(),
            next_id: 1,
            stored_dirty: true,
            ticks: 0,
            empty_since: Some(Instant::now()),
            roster_dirty: false,
            rebuilt: false,
            host_reclaimed: false,
            shared,
        }
    }

    pub fn code(&self) -> &RoomCode {
        &self.code
    }

    pub(super) fn now_ms(&self) -> f64 {
        self.shared.clock.now_ms()
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
                    msg: ClientMsg::State(_) | ClientMsg::Chat { .. },
                    ..
                }
        );
        match cmd {
            RoomCmd::Join {
                nickname,
                media,
                outbox,
                reply,
            } => {
                let _ = reply.send(self.join(nickname, media, outbox));
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
            } => {
                if let Some(idx) = self.seat_of(pid, conn_id) {
                    self.seats[idx].add_rtt(rtt_ms);
                }
            }
            RoomCmd::Disconnected { pid, conn_id } => {
                if let Some(idx) = self.seat_of(pid, conn_id) {
                    self.drop_link(idx);
                }
            }
        }
        self.flush_roster();
        self.stored_dirty |= self.playback != playback;
    }

    /// Periodic work: state refresh, expiries.
    pub fn tick(&mut self) -> Lifecycle {
        let now = Instant::now();
        let grace = Duration::from_secs_f64(self.shared.config.resume_grace_secs.max(0.0));
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
        self.broadcast_state(None);
        // Changes to who is there go out at once; the figures (RTT, drift,
        // position) are refreshed every few ticks.
        self.ticks += 1;
        if self.ticks.is_multiple_of(ROSTER_REFRESH_TICKS) {
            self.roster_dirty = true;
        }
        self.flush_roster();

        if self.seats.iter().any(Seat::is_connected) {
            self.empty_since = None;
        } else {
            let since = *self.empty_since.get_or_insert(now);
            let room_grace = Duration::from_secs_f64(self.shared.config.room_grace_secs.max(0.0));
            if now.duration_since(since) >= room_grace {
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
            participants: self.seats.iter().map(Seat::view).collect(),
            playback: self.playback,
            media: self.media.clone(),
        }
    }

    fn welcome_seat(&mut self, idx: usize) {
        let seat = &self.seats[idx];
        let joined = ServerMsg::Joined(Box::new(Joined {
            you: seat.id,
            resume_token: seat.token.clone(),
            resume_grace_secs: self.shared.config.resume_grace_secs,
            room: self.snapshot(),
            server_ms: self.now_ms(),
        }));
        if let Some(conn) = &seat.conn {
            conn.send_msg(&joined);
        }
    }

    fn join(
        &mut self,
        nickname: String,
        media: Option<MediaInfo>,
        outbox: Outbox,
    ) -> Result<ParticipantId, Refusal> {
        let max = self.shared.config.max_participants;
        if self.seats.len() >= max {
            return Err((
                ErrorCode::RoomFull,
                format!("This room is full ({max} people)."),
            ));
        }
        let id = self.next_id;
        self.next_id += 1;
        let first = self.seats.is_empty();
        if first && self.media.is_none() {
            self.media = media.clone();
        }
        let token = self.shared.tokens.mint(&self.code, id);
        let mut seat = Seat::new(
            id,
            nickname.trim().to_string(),
            token,
            media,
            outbox,
            self.now_ms(),
        );
        seat.host = first;
        let name = seat.nickname.clone();
        self.seats.push(seat);
        self.empty_since = None;
        self.welcome_seat(self.seats.len() - 1);
        self.roster_dirty = true;
        if !first {
            self.notice(NoticeEvent::Joined, format!("{name} joined"), Some(id));
        }
        Ok(id)
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
        if self.seats.iter().any(|s| s.id == pid) {
            return self.resume(&token, outbox);
        }
        let max = self.shared.config.max_participants;
        if self.seats.len() >= max {
            return Err((
                ErrorCode::RoomFull,
                format!("This room is full ({max} people)."),
            ));
        }
        let now = self.now_ms();
        let first = self.seats.is_empty();
        if first {
            self.control_mode = r.control_mode;
            self.media = r.media.clone();
            let mut playback = r.playback;
            // A state from a clock far off (or far back) restarts where it
            // stood rather than extrapolating across it.
            if (now - playback.anchor_ms).abs() > 24.0 * 3600.0 * 1000.0 {
                playback.anchor_ms = now;
            }
            playback.waiting_for_buffering = false;
            self.playback = playback;
        }
        self.next_id = self.next_id.max(pid + 1);
        let mut seat = Seat::new(
            pid,
            r.nickname.trim().to_string(),
            token,
            r.media,
            outbox,
            now,
        );
        seat.ready = r.ready;
        let name = seat.nickname.clone();
        self.seats.push(seat);
        let idx = self.seats.len() - 1;
        // Only in a room this relay rebuilt does a former host take the
        // role back: in a room that lived on, a member whose seat expired
        // comes back as a guest (the role has moved on to someone present).
        self.rebuilt |= first;
        if first || (r.host && self.rebuilt && !self.host_reclaimed) {
            self.set_host(idx);
            self.host_reclaimed = r.host;
        }
        self.empty_since = None;
        self.roster_dirty = true;
        tracing::info!(room = %self.code, participant = pid, "seat rebuilt after a restart");
        self.welcome_seat(idx);
        if !first {
            self.notice(
                NoticeEvent::Reconnected,
                format!("{name} is back"),
                Some(pid),
            );
        }
        Ok(pid)
    }

    fn resume(&mut self, token: &str, outbox: Outbox) -> Result<ParticipantId, Refusal> {
        let Some(idx) = self.seats.iter().position(|s| s.token_matches(token)) else {
            return Err((
                ErrorCode::InvalidToken,
                "That seat cannot be resumed; join the room again.".into(),
            ));
        };
        let seat = &mut self.seats[idx];
        if let Some(old) = seat.conn.replace(outbox) {
            old.close(ErrorCode::SessionReplaced);
        }
        let was_away = seat.disconnected_at.take().is_some();
        let (id, name) = (seat.id, seat.nickname.clone());
        self.empty_since = None;
        self.welcome_seat(idx);
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
            ClientMsg::Ready { ready } => {
                self.seats[idx].ready = ready;
                self.roster_dirty = true;
            }
            ClientMsg::State(report) => self.on_report(idx, &report),
            ClientMsg::Chat { text } => self.on_chat(idx, text),
            ClientMsg::Rename { nickname } => {
                let nickname = nickname.trim().to_string();
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
            ClientMsg::Control {
                seq,
                action,
                server_ms,
            } => self.on_control(idx, seq, action, server_ms),
            ClientMsg::Start { force } => self.on_start(idx, force),
            ClientMsg::SetControlMode { mode } => self.on_set_mode(idx, mode),
            ClientMsg::PassHost { to } => self.on_pass_host(idx, to),
            ClientMsg::Kick { participant } => self.on_kick(idx, participant),
            ClientMsg::Hello { .. }
            | ClientMsg::Create { .. }
            | ClientMsg::Join { .. }
            | ClientMsg::Resume { .. }
            | ClientMsg::Ping { .. } => {
                self.refuse(
                    idx,
                    ErrorCode::AlreadyInRoom,
                    "You are already in a room; leave it first.",
                );
            }
        }
    }

    fn on_chat(&mut self, idx: usize, text: String) {
        let max = self.shared.config.max_chat_chars();
        if text.chars().count() > max {
            return self.refuse(
                idx,
                ErrorCode::InvalidValue,
                &format!("Chat lines are at most {max} characters."),
            );
        }
        let seat = &self.seats[idx];
        let msg = ServerMsg::Chat {
            from: seat.id,
            nickname: seat.nickname.clone(),
            text,
            server_ms: self.now_ms(),
        };
        self.broadcast(&msg);
    }

    fn on_report(&mut self, idx: usize, report: &StateReport) {
        let current = report.epoch == self.playback.epoch;
        if !current {
            self.shared.metrics.stale_reports.inc();
        }
        let room_pos = current.then(|| self.playback.position_at(report.server_ms));
        let seat = &mut self.seats[idx];
        seat.record_report(report, room_pos);
        let (id, name) = (seat.id, seat.nickname.clone());
        if seat.player_closed != report.player_closed {
            seat.player_closed = report.player_closed;
            self.roster_dirty = true;
            if report.player_closed {
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
    pub(super) fn refuse(&mut self, idx: usize, code: ErrorCode, message: &str) {
        self.shared.metrics.error(code);
        if let Some(conn) = &self.seats[idx].conn {
            conn.send_msg(&ServerMsg::error(code, message, false));
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
        self.refuse(
            idx,
            ErrorCode::NotHost,
            &format!("Only the host can {what}."),
        );
        false
    }

    /// The link dropped: keep the seat for a resume.
    fn drop_link(&mut self, idx: usize) {
        let seat = &mut self.seats[idx];
        if seat.conn.take().is_none() {
            return;
        }
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
        for (i, s) in self.seats.iter_mut().enumerate() {
            s.host = i == idx;
        }
        let (id, name) = (self.seats[idx].id, self.seats[idx].nickname.clone());
        self.roster_dirty = true;
        self.notice(
            NoticeEvent::HostChanged,
            format!("{name} is now the host"),
            Some(id),
        );
    }

    fn on_set_mode(&mut self, idx: usize, mode: ControlMode) {
        if !self.require_host(idx, "change who controls playback") {
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
            None => self.refuse(idx, ErrorCode::UnknownParticipant, "No such participant."),
        }
    }

    fn on_kick(&mut self, idx: usize, pid: ParticipantId) {
        if !self.require_host(idx, "remove people") {
            return;
        }
        let Some(target) = self.index_of(pid).filter(|t| *t != idx) else {
            return self.refuse(
                idx,
                ErrorCode::UnknownParticipant,
                "No such participant (or it is you).",
            );
        };
        let name = self.seats[target].nickname.clone();
        if let Some(conn) = self.seats[target].conn.take() {
            conn.send_msg(&ServerMsg::Left {
                reason: "The host removed you from the room.".into(),
            });
            conn.evict();
        }
        self.remove_seat(target);
        self.notice(
            NoticeEvent::Kicked,
            format!("{name} was removed by the host"),
            Some(pid),
        );
    }

    /// Sends a message to every connected seat. Seats too slow to take it
    /// lose their link (they may resume).
    pub(super) fn broadcast(&mut self, msg: &ServerMsg) {
        let text = frame(msg);
        let mut slow = Vec::new();
        for (i, seat) in self.seats.iter().enumerate() {
            if let Some(conn) = &seat.conn {
                if conn.send(text.clone()) {
                    self.shared.metrics.messages_sent.inc();
                } else {
                    slow.push(i);
                }
            }
        }
        for i in slow.into_iter().rev() {
            tracing::warn!(room = %self.code, participant = self.seats[i].id, "dropping a client that does not read");
            self.drop_link(i);
        }
    }

    /// Tells everyone what happened, after the roster change it explains.
    pub(super) fn notice(&mut self, event: NoticeEvent, text: String, who: Option<ParticipantId>) {
        self.flush_roster();
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

    fn flush_roster(&mut self) {
        // Sending can drop slow links, which changes the roster again; a
        // second round covers that, later changes wait for the next tick.
        for _ in 0..2 {
            if !std::mem::take(&mut self.roster_dirty) {
                return;
            }
            let participants = self.seats.iter().map(Seat::view).collect();
            self.broadcast(&ServerMsg::Participants { participants });
        }
    }
}

fn seat_buffering_changed(seat: &mut Seat, buffering: bool) -> bool {
    let changed = seat.buffering != buffering;
    seat.buffering = buffering;
    changed
}
