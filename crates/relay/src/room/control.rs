//! Playback control: play/pause/seek/speed, the ready-check start, and
//! pausing the room while someone buffers.

use matinee_protocol::{ControlAction, ControlCause, ControlMode, ErrorCode, NoticeEvent};

use super::state::Room;

/// How far back a client may date its control action, in ms.
const MAX_BACKDATE_MS: f64 = 2000.0;
/// Longest delay before a scheduled start, in ms.
const MAX_START_LEAD_MS: f64 = 3000.0;
/// Play pressed this close to the end of the film starts it again, s.
const RESTART_WITHIN_S: f64 = 0.5;

fn clock_label(secs: f64) -> String {
    matinee_protocol::clock_text(secs)
}

impl Room {
    fn may_control(&mut self, idx: usize) -> bool {
        if self.control_mode == ControlMode::Shared {
            return true;
        }
        self.require_host(idx, "control playback in this room")
    }

    pub(super) fn on_control(
        &mut self,
        idx: usize,
        seq: u64,
        action: ControlAction,
        server_ms: Option<f64>,
    ) {
        if !self.may_control(idx) {
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
            "The film has ended. Press Play to watch it again from the start.".into(),
            None,
        );
    }

    /// Delay before a shared start: the configured lead plus the slowest RTT.
    fn start_lead_ms(&self) -> f64 {
        let slowest = self
            .seats
            .iter()
            .filter(|s| s.is_connected())
            .filter_map(|s| s.rtt_ms)
            .fold(0.0, f64::max);
        (self.shared.config.start_lead_ms + slowest).min(MAX_START_LEAD_MS)
    }

    /// Plays from the current position at a shared future server time.
    fn schedule_play(&mut self) -> f64 {
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
        if !self.may_control(idx) {
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
                let msg = format!("Not everyone is ready: {}.", waiting.join(", "));
                return self.refuse(idx, ErrorCode::NotAllReady, &msg);
            }
        }
        let name = self.seats[idx].nickname.clone();
        let lead = self.schedule_play();
        self.notice(
            NoticeEvent::StartScheduled,
            format!("{name} started playback (in {:.1} s)", lead / 1000.0),
            None,
        );
    }

    pub(super) fn on_buffering_changed(&mut self, idx: usize) {
        if !self.shared.config.wait_for_buffering {
            return;
        }
        let seat = &self.seats[idx];
        if !seat.buffering {
            return self.resume_if_nobody_buffers();
        }
        let now = self.now_ms();
        if !self.playback.is_playing_at(now) {
            return;
        }
        let (id, name) = (seat.id, seat.nickname.clone());
        let p = &mut self.playback;
        p.position = p.position_at(now);
        p.paused = true;
        p.anchor_ms = now;
        p.epoch += 1;
        p.waiting_for_buffering = true;
        self.broadcast_state(None);
        self.notice(
            NoticeEvent::Buffering,
            format!("Waiting for {name} (buffering)"),
            Some(id),
        );
    }

    /// After a buffering pause, plays again together once nobody buffers.
    pub(super) fn resume_if_nobody_buffers(&mut self) {
        if !self.playback.waiting_for_buffering
            || self.seats.iter().any(|s| s.buffering && s.is_connected())
        {
            return;
        }
        self.schedule_play();
        self.notice(
            NoticeEvent::BufferingDone,
            "Everyone has caught up; resuming".into(),
            None,
        );
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
