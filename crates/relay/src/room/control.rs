//! Playback control: play/pause/seek/speed, the ready-check start, and
//! pausing the room while someone buffers.

use matinee_protocol::{ControlAction, ControlCause, ControlMode, NoticeEvent, ParticipantId};

use super::state::Room;
use crate::refusal;

/// How far back a client may date its control action, in ms.
const MAX_BACKDATE_MS: f64 = 2000.0;
/// Longest delay before a scheduled start, in ms.
const MAX_START_LEAD_MS: f64 = 3000.0;
/// Play pressed this close to the end of the film starts it again, s.
const RESTART_WITHIN_S: f64 = 0.5;
/// One member's buffering pauses the room at most once in this long, ms.
pub(crate) const BUFFER_PAUSE_COOLDOWN_MS: f64 = 30_000.0;

fn clock_label(secs: f64) -> String {
    matinee_protocol::clock_text(secs)
}

impl Room {
    /// Whether seat `idx` may `what` (anyone in a shared room, else the
    /// host); refuses it when not.
    pub(super) fn may_control(&mut self, idx: usize, what: &str) -> bool {
        if self.control_mode == ControlMode::Shared {
            return true;
        }
        self.require_host(idx, what)
    }

    pub(super) fn on_control(
        &mut self,
        idx: usize,
        seq: u64,
        action: ControlAction,
        server_ms: Option<f64>,
    ) {
        if !self.may_control(idx, "control playback in this room") {
            return;
        }
        let now = self.now_ms();
        let anchor = server_ms.map_or(now, |t| t.clamp(now - MAX_BACKDATE_MS, now));
        // Play at the very end of the film means "watch it again".
        let action = match (action, self.film_duration()) {
            (ControlAction::Play { position }, Some(d)) if position >= d - RESTART_WITHIN_S => {
                ControlAction::Play { position: 0.0 }
            }
            (action, _) => action,
        };
        let (event, verb) = match action {
            ControlAction::Play { .. } => (NoticeEvent::Played, "played"),
            ControlAction::Pause { .. } => (NoticeEvent::Paused, "paused"),
            ControlAction::Seek { .. } => (NoticeEvent::Seeked, "jumped to"),
            ControlAction::Speed { .. } => (NoticeEvent::SpeedChanged, "set speed"),
        };
        self.playback.apply(action, anchor);
        self.playback.epoch += 1;
        self.controls_taken();
        let (by, name) = (self.seats[idx].id, self.seats[idx].nickname.clone());
        self.broadcast_state(Some(ControlCause { by, seq, action }));
        let text = match action {
            ControlAction::Speed { speed, .. } => format!("{name} {verb} to {speed}×"),
            _ => format!("{name} {verb} {}", clock_label(action.position())),
        };
        self.notice(event, text, Some(by));
    }

    /// The room's film length (from the host's copy), when known.
    pub(super) fn film_duration(&self) -> Option<f64> {
        self.media
            .as_ref()
            .and_then(|m| m.duration)
            .filter(|d| d.is_finite() && *d > 0.0)
    }

    /// A playing room that reached the end of the film pauses there, for
    /// everyone, and says so: nobody's copy keeps "playing" into nothing.
    pub(super) fn end_film_if_over(&mut self) {
        let Some(duration) = self.film_duration() else {
            return;
        };
        let now = self.now_ms();
        if self.playback.paused || self.playback.position_at(now) < duration {
            return;
        }
        let p = &mut self.playback;
        p.position = duration;
        p.paused = true;
        p.anchor_ms = now;
        p.epoch += 1;
        p.waiting_for_buffering = false;
        self.broadcast_state(None);
        self.notice(
            NoticeEvent::Ended,
            "The film has ended; playing it again starts from the beginning.".into(),
            None,
        );
        self.count_down_to_next_entry();
    }

    /// Delay before a shared start: the configured lead plus the slowest RTT.
    fn start_lead_ms(&self) -> f64 {
        let slowest = self
            .seats
            .iter()
            .filter(|s| s.is_connected())
            .filter_map(|s| s.rtt_ms)
            .fold(0.0, f64::max);
        (self.env.config.start_lead_ms + slowest).min(MAX_START_LEAD_MS)
    }

    /// Plays from the current position at a shared future server time.
    pub(super) fn schedule_play(&mut self) -> f64 {
        let now = self.now_ms();
        let lead = self.start_lead_ms();
        let p = &mut self.playback;
        p.position = p.position_at(now);
        p.paused = false;
        p.anchor_ms = now + lead;
        p.epoch += 1;
        p.waiting_for_buffering = false;
        self.broadcast_state(None);
        lead
    }

    pub(super) fn on_start(&mut self, idx: usize, force: bool) {
        if !self.may_control(idx, "control playback in this room") {
            return;
        }
        if !force {
            let waiting: Vec<String> = self
                .seats
                .iter()
                .filter(|s| s.is_connected() && !s.ready)
                .map(|s| s.nickname.clone())
                .collect();
            if !waiting.is_empty() {
                return self.refuse(idx, refusal::not_all_ready(&waiting));
            }
        }
        let name = self.seats[idx].nickname.clone();
        self.controls_taken();
        self.schedule_play();
        self.notice(
            NoticeEvent::StartScheduled,
            format!("{name} started the film for everyone"),
            None,
        );
    }

    /// A member started or stopped buffering. The room pauses for them
    /// (and plays on together when nobody holds it any more), unless the
    /// host chose not to wait for them, or their buffering paused the room
    /// less than [`BUFFER_PAUSE_COOLDOWN_MS`] ago: then they catch up on
    /// their own, and a member toggling its buffering flag cannot stop and
    /// start the room for everyone.
    pub(super) fn on_buffering_changed(&mut self, idx: usize) {
        if !self.env.config.wait_for_buffering {
            return;
        }
        let now = self.now_ms();
        let seat = &mut self.seats[idx];
        if !seat.buffering {
            seat.catching_up = false;
            return self.resume_if_nobody_buffers();
        }
        if seat.skip_wait {
            return;
        }
        if seat
            .last_buffer_pause_ms
            .is_some_and(|t| now - t < BUFFER_PAUSE_COOLDOWN_MS)
        {
            seat.catching_up = true;
            return;
        }
        if !self.playback.is_playing_at(now) {
            return;
        }
        seat.last_buffer_pause_ms = Some(now);
        let (id, name) = (seat.id, seat.nickname.clone());
        let p = &mut self.playback;
        p.position = p.position_at(now);
        p.paused = true;
        p.anchor_ms = now;
        p.epoch += 1;
        p.waiting_for_buffering = true;
        self.buffer_pause_since = Some(now);
        self.broadcast_state(None);
        self.notice(
            NoticeEvent::Buffering,
            format!("Waiting for {name} (buffering)"),
            Some(id),
        );
    }

    /// After a buffering pause, plays again together once nobody holds the
    /// room.
    pub(super) fn resume_if_nobody_buffers(&mut self) {
        if !self.playback.waiting_for_buffering || self.seats.iter().any(|s| s.holds_the_room()) {
            return;
        }
        self.play_on("Everyone has caught up; resuming".into());
    }

    fn play_on(&mut self, text: String) {
        self.buffer_pause_since = None;
        self.schedule_play();
        self.notice(NoticeEvent::BufferingDone, text, None);
    }

    /// The room waited as long as it waits for buffering members: it plays
    /// on, and they catch up on their own.
    pub(super) fn stop_waiting_if_too_long(&mut self) {
        let wait_ms = self.env.config.max_buffering_wait_secs.max(0.0) * 1000.0;
        let Some(since) = self.buffer_pause_since else {
            return;
        };
        if !self.playback.waiting_for_buffering {
            self.buffer_pause_since = None;
            return;
        }
        if self.now_ms() - since < wait_ms {
            return;
        }
        let mut names = Vec::new();
        for seat in self.seats.iter_mut().filter(|s| s.holds_the_room()) {
            seat.catching_up = true;
            names.push(seat.nickname.clone());
        }
        self.roster_dirty = true;
        self.play_on(format!(
            "Playing on without {} (still buffering; they will catch up)",
            names.join(", ")
        ));
    }

    /// Host only: the room no longer waits while `pid` buffers.
    pub(super) fn on_stop_waiting_for(&mut self, idx: usize, pid: ParticipantId) {
        if !self.require_host(idx, "choose whom the room waits for") {
            return;
        }
        let Some(target) = self.index_of(pid) else {
            return self.refuse(idx, refusal::no_such_participant());
        };
        let seat = &mut self.seats[target];
        if seat.skip_wait {
            return;
        }
        seat.skip_wait = true;
        let name = seat.nickname.clone();
        self.roster_dirty = true;
        let holding = self.seats.iter().any(|s| s.holds_the_room());
        if self.playback.waiting_for_buffering && !holding {
            self.play_on(format!("Playing on without waiting for {name}"));
        } else {
            self.notice(
                NoticeEvent::BufferingDone,
                format!("The room will not wait for {name} when they buffer"),
                Some(pid),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::clock_label;

    #[test]
    fn clock_labels() {
        assert_eq!(clock_label(0.0), "0:00");
        // Rounded, not cut: a seek to 80 s (79.996 after a round trip)
        // reads 1:20, not 1:19.
        assert_eq!(clock_label(75.9), "1:16");
        assert_eq!(clock_label(79.996), "1:20");
        assert_eq!(clock_label(3725.0), "1:02:05");
    }
}
