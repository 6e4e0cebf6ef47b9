//! Offset between the local clock and the relay's, from ping/pong
//! exchanges (NTP's four timestamps).

use std::collections::VecDeque;

/// One exchange's result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClockSample {
    /// server time − local time, in ms.
    pub offset_ms: f64,
    /// Round trip minus the relay's processing time, in ms.
    pub rtt_ms: f64,
    /// Local time the answer arrived.
    pub at_ms: f64,
}

/// Keeps a window of samples and estimates the offset from the ones with
/// the lowest RTT, whose two directions were least delayed and so least
/// asymmetric.
#[derive(Debug, Clone)]
pub struct ClockEstimator {
    window: VecDeque<ClockSample>,
    capacity: usize,
    offset_ms: Option<f64>,
    /// Offset guessed from a server timestamp alone, used until the first
    /// ping answer.
    rough_offset_ms: Option<f64>,
}

/// Largest change of the estimate per sample once settled, in ms; larger
/// moves are taken at once (a real clock step).
const SLEW_MS: f64 = 2.0;
const JUMP_MS: f64 = 50.0;

impl Default for ClockEstimator {
    fn default() -> Self {
        Self::new(32)
    }
}

impl ClockEstimator {
    pub fn new(capacity: usize) -> Self {
        Self {
            window: VecDeque::with_capacity(capacity),
            capacity: capacity.max(1),
            offset_ms: None,
            rough_offset_ms: None,
        }
    }

    /// Adds an exchange: `t0` local send, `t1` server receive, `t2` server
    /// send, `t3` local receive. Returns the sample, or None when the
    /// timestamps are inconsistent.
    pub fn add(&mut self, t0: f64, t1: f64, t2: f64, t3: f64) -> Option<ClockSample> {
        let rtt = (t3 - t0) - (t2 - t1);
        if !(rtt.is_finite() && rtt >= 0.0 && t3 >= t0) {
            return None;
        }
        let sample = ClockSample {
            offset_ms: ((t1 - t0) + (t2 - t3)) / 2.0,
            rtt_ms: rtt,
            at_ms: t3,
        };
        if self.window.len() == self.capacity {
            self.window.pop_front();
        }
        self.window.push_back(sample);
        let target = self.best_offset();
        self.offset_ms = Some(match self.offset_ms {
            Some(prev) if (target - prev).abs() < JUMP_MS && self.window.len() > 4 => {
                prev + (target - prev).clamp(-SLEW_MS, SLEW_MS)
            }
            _ => target,
        });
        Some(sample)
    }

    /// A first guess from a server timestamp received at local `now`
    /// (ignores the one-way delay); only used before any ping answer.
    pub fn seed(&mut self, server_ms: f64, now_ms: f64) {
        if self.rough_offset_ms.is_none() {
            self.rough_offset_ms = Some(server_ms - now_ms);
        }
    }

    /// Median offset of the lowest-RTT quarter of the window.
    fn best_offset(&self) -> f64 {
        let mut by_rtt: Vec<ClockSample> = self.window.iter().copied().collect();
        by_rtt.sort_by(|a, b| a.rtt_ms.total_cmp(&b.rtt_ms));
        let keep = (by_rtt.len() / 4).max(1);
        let mut offsets: Vec<f64> = by_rtt[..keep].iter().map(|s| s.offset_ms).collect();
        offsets.sort_by(f64::total_cmp);
        offsets[offsets.len() / 2]
    }

    /// server − local, in ms.
    pub fn offset_ms(&self) -> Option<f64> {
        self.offset_ms.or(self.rough_offset_ms)
    }

    /// Whether any ping answer has been seen.
    pub fn is_measured(&self) -> bool {
        self.offset_ms.is_some()
    }

    /// Lowest RTT in the window, ms.
    pub fn min_rtt_ms(&self) -> Option<f64> {
        self.window.iter().map(|s| s.rtt_ms).min_by(f64::total_cmp)
    }

    /// Latest RTT, ms.
    pub fn last_rtt_ms(&self) -> Option<f64> {
        self.window.back().map(|s| s.rtt_ms)
    }

    /// How much to trust the offset, 0..=1: grows with the number of
    /// samples and shrinks with the spread of the best ones.
    pub fn confidence(&self) -> f64 {
        if self.window.is_empty() {
            return 0.0;
        }
        let count = (self.window.len() as f64 / 8.0).min(1.0);
        let min = self.min_rtt_ms().unwrap_or(0.0);
        // Half the minimum RTT bounds the error from asymmetry.
        count / (1.0 + min / 2.0 / 20.0)
    }

    pub fn samples(&self) -> usize {
        self.window.len()
    }

    /// Local time → server time.
    pub fn to_server(&self, local_ms: f64) -> Option<f64> {
        self.offset_ms().map(|o| local_ms + o)
    }

    /// Server time → local time.
    pub fn to_local(&self, server_ms: f64) -> Option<f64> {
        self.offset_ms().map(|o| server_ms - o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An exchange with the server `offset` ahead and the given one-way delays.
    fn exchange(c: &mut ClockEstimator, t0: f64, offset: f64, up: f64, down: f64) {
        let t1 = t0 + up + offset;
        let t2 = t1 + 0.1;
        let t3 = t2 - offset + down;
        c.add(t0, t1, t2, t3).unwrap();
    }

    #[test]
    fn symmetric_delay_gives_the_exact_offset() {
        let mut c = ClockEstimator::default();
        exchange(&mut c, 1000.0, 5000.0, 75.0, 75.0);
        assert!((c.offset_ms().unwrap() - 5000.0).abs() < 1e-9);
        assert!((c.last_rtt_ms().unwrap() - 150.0).abs() < 1e-9);
    }

    #[test]
    fn min_rtt_filter_rejects_asymmetric_jitter() {
        let mut c = ClockEstimator::default();
        // Jittery uplink: most samples have 0..60 ms extra one way only.
        for i in 0..32 {
            let extra = f64::from((i * 37) % 61);
            exchange(&mut c, f64::from(i) * 1000.0, -1234.0, 75.0 + extra, 75.0);
        }
        let err = c.offset_ms().unwrap() + 1234.0;
        // A naive mean would be ~15 ms off; the best quarter is within ~4 ms.
        assert!(err.abs() < 5.0, "offset error {err} ms");
        assert!(c.confidence() > 0.0 && c.confidence() <= 1.0);
    }

    #[test]
    fn settled_estimates_move_slowly_but_real_steps_are_taken() {
        let mut c = ClockEstimator::default();
        for i in 0..8 {
            exchange(&mut c, f64::from(i) * 1000.0, 0.0, 50.0, 50.0);
        }
        // One lucky low-RTT asymmetric sample cannot yank the estimate.
        exchange(&mut c, 9000.0, 0.0, 1.0, 30.0);
        assert!(c.offset_ms().unwrap().abs() <= SLEW_MS + 1e-9);
        // A genuine clock step of 10 s is followed at once.
        for i in 10..40 {
            exchange(&mut c, f64::from(i) * 1000.0, 10_000.0, 50.0, 50.0);
        }
        assert!((c.offset_ms().unwrap() - 10_000.0).abs() < 1e-6);
    }

    #[test]
    fn inconsistent_timestamps_are_rejected() {
        let mut c = ClockEstimator::default();
        assert!(c.add(100.0, 0.0, 500.0, 200.0).is_none());
        assert!(c.add(100.0, 0.0, 1.0, 50.0).is_none());
        assert_eq!(c.offset_ms(), None);
        c.seed(10_000.0, 1_000.0);
        assert_eq!(c.offset_ms(), Some(9_000.0));
        assert!(!c.is_measured());
    }
}
