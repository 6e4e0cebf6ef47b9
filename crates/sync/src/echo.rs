//! Recognising the echoes of our own player commands.
//!
//! mpv reports every change, ours included, and coalesces rapid changes (it
//! may report only the last value, or nothing if the value came back). Each
//! command we send leaves an expectation with a deadline; an observed value
//! that matches one consumes it and every older one.

use std::collections::VecDeque;

/// How long an expected echo stays valid, in ms.
const ECHO_DEADLINE_MS: f64 = 3000.0;
/// Seek targets closer than this to the observed position are ours, in s.
const SEEK_TOLERANCE_S: f64 = 0.25;
const SPEED_TOLERANCE: f64 = 1e-4;

#[derive(Debug, Clone, Copy)]
struct Expected<T> {
    value: T,
    deadline_ms: f64,
}

#[derive(Debug, Default, Clone)]
pub struct EchoTracker {
    pause: VecDeque<Expected<bool>>,
    speed: VecDeque<Expected<f64>>,
    seek: VecDeque<Expected<f64>>,
}

fn expire<T>(q: &mut VecDeque<Expected<T>>, now_ms: f64) {
    q.retain(|e| e.deadline_ms >= now_ms);
}

/// Consumes the newest expectation matching `matches` and all older ones.
fn take<T: Copy>(q: &mut VecDeque<Expected<T>>, now_ms: f64, matches: impl Fn(T) -> bool) -> bool {
    expire(q, now_ms);
    match q.iter().rposition(|e| matches(e.value)) {
        Some(i) => {
            q.drain(..=i);
            true
        }
        None => false,
    }
}

impl EchoTracker {
    pub fn expect_pause(&mut self, paused: bool, now_ms: f64) {
        self.pause.push_back(Expected {
            value: paused,
            deadline_ms: now_ms + ECHO_DEADLINE_MS,
        });
    }

    pub fn expect_speed(&mut self, speed: f64, now_ms: f64) {
        self.speed.push_back(Expected {
            value: speed,
            deadline_ms: now_ms + ECHO_DEADLINE_MS,
        });
    }

    pub fn expect_seek(&mut self, target: f64, now_ms: f64) {
        self.seek.push_back(Expected {
            value: target,
            deadline_ms: now_ms + ECHO_DEADLINE_MS,
        });
    }

    /// True when an observed pause value is the echo of our command.
    pub fn take_pause(&mut self, paused: bool, now_ms: f64) -> bool {
        take(&mut self.pause, now_ms, |v| v == paused)
    }

    pub fn take_speed(&mut self, speed: f64, now_ms: f64) -> bool {
        take(&mut self.speed, now_ms, |v| {
            (v - speed).abs() < SPEED_TOLERANCE
        })
    }

    /// True when a seek that landed at `position` is one of ours.
    pub fn take_seek(&mut self, position: f64, now_ms: f64) -> bool {
        take(&mut self.seek, now_ms, |v| {
            (v - position).abs() < SEEK_TOLERANCE_S
        })
    }

    /// Whether one of our pause commands has not been echoed yet.
    pub fn pause_in_flight(&mut self, now_ms: f64) -> bool {
        expire(&mut self.pause, now_ms);
        !self.pause.is_empty()
    }

    pub fn seek_in_flight(&mut self, now_ms: f64) -> bool {
        expire(&mut self.seek, now_ms);
        !self.seek.is_empty()
    }

    /// Whether any command of ours still awaits its echo.
    pub fn any_in_flight(&mut self, now_ms: f64) -> bool {
        expire(&mut self.speed, now_ms);
        self.pause_in_flight(now_ms) || self.seek_in_flight(now_ms) || !self.speed.is_empty()
    }

    /// Forgets everything (player restarted).
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_are_consumed_once_and_coalesced_ones_clear_older_expectations() {
        let mut e = EchoTracker::default();
        e.expect_pause(true, 0.0);
        assert!(e.take_pause(true, 10.0));
        assert!(
            !e.take_pause(true, 20.0),
            "a second identical change is the user's"
        );

        e.expect_pause(true, 0.0);
        e.expect_pause(false, 0.0);
        // mpv coalesced true→false into a single "false".
        assert!(e.take_pause(false, 5.0));
        assert!(!e.pause_in_flight(5.0));
    }

    #[test]
    fn expectations_expire() {
        let mut e = EchoTracker::default();
        e.expect_speed(1.02, 0.0);
        assert!(!e.take_speed(1.02, ECHO_DEADLINE_MS + 1.0));
        e.expect_seek(42.0, 0.0);
        assert!(e.take_seek(42.1, 100.0));
        e.expect_seek(42.0, 0.0);
        assert!(!e.take_seek(50.0, 100.0), "a seek elsewhere is not ours");
        assert!(e.seek_in_flight(100.0));
    }
}
