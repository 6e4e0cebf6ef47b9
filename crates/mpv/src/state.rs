//! The latest observed state of the player.

use std::time::Instant;

use crate::Property;

/// Everything observed so far, with when `time-pos` last changed.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerState {
    pub time_pos: Option<f64>,
    /// When the current `time_pos` was received.
    pub time_pos_at: Option<Instant>,
    pub pause: bool,
    pub speed: f64,
    pub duration: Option<f64>,
    pub seeking: bool,
    pub paused_for_cache: bool,
    pub eof_reached: bool,
    pub filename: Option<String>,
    pub file_size: Option<u64>,
    /// The connection to mpv is gone.
    pub closed: bool,
}

impl Default for PlayerState {
    fn default() -> Self {
        Self {
            time_pos: None,
            time_pos_at: None,
            pause: true,
            speed: 1.0,
            duration: None,
            seeking: false,
            paused_for_cache: false,
            eof_reached: false,
            filename: None,
            file_size: None,
            closed: false,
        }
    }
}

impl PlayerState {
    pub(crate) fn apply(&mut self, p: &Property, at: Instant) {
        let was_running = self.is_running();
        self.apply_value(p, at);
        // The position only starts moving now: extrapolate from here, not
        // from the last change seen before the pause.
        if !was_running && self.is_running() {
            self.time_pos_at = Some(at);
        }
    }

    fn apply_value(&mut self, p: &Property, at: Instant) {
        match p {
            Property::TimePos(v) => {
                self.time_pos = *v;
                self.time_pos_at = Some(at);
            }
            Property::Pause(v) => self.pause = *v,
            Property::Speed(v) => self.speed = *v,
            Property::Duration(v) => self.duration = *v,
            Property::Seeking(v) => self.seeking = *v,
            Property::PausedForCache(v) => self.paused_for_cache = *v,
            Property::EofReached(v) => self.eof_reached = *v,
            Property::Filename(v) => self.filename = v.clone(),
            Property::FileSize(v) => self.file_size = *v,
        }
    }

    /// Whether the position is advancing.
    pub fn is_running(&self) -> bool {
        !self.pause && !self.seeking && !self.paused_for_cache && !self.eof_reached && !self.closed
    }

    /// The position at `now`, extrapolated from the last `time-pos` change.
    pub fn position_at(&self, now: Instant) -> Option<f64> {
        let pos = self.time_pos?;
        let at = self.time_pos_at?;
        if !self.is_running() {
            return Some(pos);
        }
        Some(pos + now.saturating_duration_since(at).as_secs_f64() * self.speed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn extrapolates_only_while_running() {
        let t0 = Instant::now();
        let mut s = PlayerState::default();
        assert_eq!(s.position_at(t0), None);
        s.apply(&Property::TimePos(Some(10.0)), t0);
        assert_eq!(s.position_at(t0 + Duration::from_secs(1)), Some(10.0));
        s.apply(&Property::Pause(false), t0);
        s.apply(&Property::Speed(2.0), t0);
        assert_eq!(s.position_at(t0 + Duration::from_millis(500)), Some(11.0));
        s.apply(&Property::PausedForCache(true), t0);
        assert_eq!(s.position_at(t0 + Duration::from_millis(500)), Some(10.0));
    }

    #[test]
    fn resuming_restarts_extrapolation_from_the_resume() {
        let t0 = Instant::now();
        let mut s = PlayerState::default();
        s.apply(&Property::TimePos(Some(10.0)), t0);
        // Paused for 5 s, then resumed: no jump of 5 s.
        let resumed = t0 + Duration::from_secs(5);
        s.apply(&Property::Pause(false), resumed);
        let later = resumed + Duration::from_millis(100);
        assert!((s.position_at(later).unwrap() - 10.1).abs() < 1e-9);
    }
}
