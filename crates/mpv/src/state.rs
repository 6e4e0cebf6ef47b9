//! The latest observed state of the player.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::Property;

/// How far back the position filter looks.
const ANCHOR_WINDOW: Duration = Duration::from_millis(500);
/// An anchor further than this from the estimate is a real change (a
/// stall, a skip), not lateness: start over from it.
const ANCHOR_JUMP_S: f64 = 0.025;
/// This many anchors in a row all below the estimate by more than
/// `ANCHOR_STALE_S` mean a small stall, not late events: start over from
/// the best of them.
const ANCHOR_STALE_RUN: usize = 6;
const ANCHOR_STALE_S: f64 = 0.006;

/// Where playback is between `time-pos` events.
///
/// `time-pos` arrives a little after the frame it names: over IPC on a
/// quiet machine 0–10 ms late (p50 1.3 ms, p95 4.2 ms, measured with a
/// 120 fps clip), more under load. Playing at a steady speed,
/// `position − speed·elapsed` (the anchor) would be constant but for that
/// lateness, which only ever lowers it; so the largest anchor of the last
/// half second is the best estimate, as the lowest-RTT ping is for a clock.
/// Extrapolating from the latest event alone carries all of its lateness.
#[derive(Debug, Clone, PartialEq)]
struct Anchors {
    base: Instant,
    speed: f64,
    /// Where playback was when it (re)started or changed speed, until the
    /// first `time-pos` after that.
    provisional: Option<f64>,
    recent: VecDeque<(Instant, f64)>,
}

impl Anchors {
    fn start(base: Instant, position: f64, speed: f64) -> Self {
        Self {
            base,
            speed,
            provisional: Some(position),
            recent: VecDeque::new(),
        }
    }

    fn elapsed(&self, at: Instant) -> f64 {
        if at >= self.base {
            at.duration_since(self.base).as_secs_f64()
        } else {
            -self.base.duration_since(at).as_secs_f64()
        }
    }

    fn anchor(&self) -> Option<f64> {
        let best = self.recent.iter().map(|r| r.1).max_by(f64::total_cmp);
        best.or(self.provisional)
    }

    fn position_at(&self, now: Instant) -> Option<f64> {
        Some(self.anchor()? + self.elapsed(now) * self.speed)
    }

    fn observe(&mut self, position: f64, at: Instant) {
        let anchor = position - self.elapsed(at) * self.speed;
        if self.recent.back().is_some_and(|_| {
            self.anchor()
                .is_some_and(|a| (anchor - a).abs() > ANCHOR_JUMP_S)
        }) {
            self.recent.clear();
        }
        self.provisional = None;
        let best = self.anchor();
        let run = self.recent.len().saturating_sub(ANCHOR_STALE_RUN - 1);
        if let Some(best) = best.filter(|_| run > 0) {
            let stale = |a: f64| a < best - ANCHOR_STALE_S;
            if stale(anchor) && self.recent.iter().skip(run).all(|r| stale(r.1)) {
                self.recent.drain(..run);
            }
        }
        while self
            .recent
            .front()
            .is_some_and(|r| at.saturating_duration_since(r.0) > ANCHOR_WINDOW)
        {
            self.recent.pop_front();
        }
        self.recent.push_back((at, anchor));
    }
}

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
    /// Audio, video and subtitle tracks, with which are selected.
    pub tracks: Vec<crate::Track>,
    /// The connection to mpv is gone.
    pub closed: bool,
    /// The position filter while running.
    anchors: Option<Anchors>,
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
            tracks: Vec::new(),
            closed: false,
            anchors: None,
        }
    }
}

impl PlayerState {
    pub(crate) fn apply(&mut self, p: &Property, at: Instant) {
        let was_running = self.is_running();
        let before = self.position_at(at);
        self.apply_value(p, at);
        if !self.is_running() {
            self.anchors = None;
            return;
        }
        match p {
            // The position only starts moving now: extrapolate from here,
            // not from the last change seen before the pause.
            _ if !was_running => {
                self.time_pos_at = Some(at);
                self.anchors = self.time_pos.map(|pos| Anchors::start(at, pos, self.speed));
            }
            Property::Speed(speed) => {
                self.anchors = before.map(|pos| Anchors::start(at, pos, *speed));
            }
            Property::TimePos(Some(pos)) => match self.anchors.as_mut() {
                Some(a) => a.observe(*pos, at),
                None => self.anchors = Some(Anchors::start(at, *pos, self.speed)),
            },
            Property::TimePos(None) => self.anchors = None,
            _ => {}
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
            Property::TrackList(v) => self.tracks = v.clone(),
        }
    }

    /// Whether the position is advancing.
    pub fn is_running(&self) -> bool {
        !self.pause && !self.seeking && !self.paused_for_cache && !self.eof_reached && !self.closed
    }

    /// The position at `now`: while playing, extrapolated from the recent
    /// `time-pos` changes with their delivery lateness filtered out (see
    /// `Anchors`); otherwise the last `time-pos`.
    pub fn position_at(&self, now: Instant) -> Option<f64> {
        let pos = self.time_pos?;
        if !self.is_running() {
            return Some(pos);
        }
        match &self.anchors {
            Some(a) => a.position_at(now),
            None => {
                let at = self.time_pos_at?;
                Some(pos + now.saturating_duration_since(at).as_secs_f64() * self.speed)
            }
        }
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

    fn playing_at(t0: Instant) -> PlayerState {
        let mut s = PlayerState::default();
        s.apply(&Property::TimePos(Some(0.0)), t0);
        s.apply(&Property::Pause(false), t0);
        s
    }

    fn ms(t: Instant, ms: u64) -> Instant {
        t + Duration::from_millis(ms)
    }

    #[test]
    fn late_events_do_not_pull_the_position_back() {
        let t0 = Instant::now();
        let mut s = playing_at(t0);
        // Frames every 10 ms, delivered 0 to 7 ms late.
        for i in 1..=100u64 {
            let late = (i * 7) % 8;
            s.apply(
                &Property::TimePos(Some(i as f64 / 100.0)),
                ms(t0, i * 10 + late),
            );
        }
        // The last event (1.00 s) was 4 ms late: extrapolating from it
        // alone would say 1.006 s at 1010 ms. The filter is exact.
        let now = ms(t0, 1010);
        assert!((s.position_at(now).unwrap() - 1.01).abs() < 1e-9);
    }

    #[test]
    fn a_stall_or_skip_is_followed_at_once() {
        let t0 = Instant::now();
        let mut s = playing_at(t0);
        for i in 1..=20u64 {
            s.apply(&Property::TimePos(Some(i as f64 / 100.0)), ms(t0, i * 10));
        }
        // The player stalled for 100 ms: the next frame shows it.
        s.apply(&Property::TimePos(Some(0.21)), ms(t0, 310));
        assert!((s.position_at(ms(t0, 320)).unwrap() - 0.22).abs() < 1e-9);
        // And a skip forward.
        s.apply(&Property::TimePos(Some(5.0)), ms(t0, 330));
        assert!((s.position_at(ms(t0, 340)).unwrap() - 5.01).abs() < 1e-9);
    }

    #[test]
    fn a_small_stall_is_followed_within_a_few_frames() {
        let t0 = Instant::now();
        let mut s = playing_at(t0);
        for i in 1..=20u64 {
            s.apply(&Property::TimePos(Some(i as f64 / 100.0)), ms(t0, i * 10));
        }
        // The player fell 10 ms behind (less than a jump): five frames in
        // a row showing it are not enough (late events come in runs)…
        for i in 21..=25u64 {
            s.apply(
                &Property::TimePos(Some(i as f64 / 100.0)),
                ms(t0, i * 10 + 10),
            );
        }
        assert!((s.position_at(ms(t0, 260)).unwrap() - 0.26).abs() < 1e-9);
        // …the sixth is, and the filter follows.
        s.apply(&Property::TimePos(Some(0.26)), ms(t0, 270));
        assert!((s.position_at(ms(t0, 280)).unwrap() - 0.27).abs() < 1e-9);
        // One late frame after that does not pull it back.
        s.apply(&Property::TimePos(Some(0.27)), ms(t0, 288));
        assert!((s.position_at(ms(t0, 290)).unwrap() - 0.28).abs() < 1e-9);
    }

    #[test]
    fn a_speed_change_keeps_the_position_continuous() {
        let t0 = Instant::now();
        let mut s = playing_at(t0);
        for i in 1..=50u64 {
            s.apply(
                &Property::TimePos(Some(i as f64 / 100.0)),
                ms(t0, i * 10 + 3),
            );
        }
        // Every event 3 ms late: the filter is 3 ms behind (it cannot know
        // a constant lateness), 0.502 s at 505 ms, then 5 % faster.
        s.apply(&Property::Speed(1.05), ms(t0, 505));
        let p = s.position_at(ms(t0, 605)).unwrap();
        assert!((p - (0.502 + 0.105)).abs() < 1e-9, "{p}");
    }
}
