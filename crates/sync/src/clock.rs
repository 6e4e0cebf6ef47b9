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

/// Keeps a window of samples and estimates the offset from the fastest
/// trip seen in each direction (`floors_offset`). Delay only ever adds to
/// a trip, so each direction's fastest is its path's floor; a sample need
/// not be fast both ways at once, as the lowest-RTT filters need. On
/// links of 150±30 ms each way it is about a quarter as far off as the
/// median of the lowest-RTT quarter
/// (`fastest_trips_beat_the_best_quarter`), a messages-heavy downlink
/// holding pongs back does not bias it (`a_busy_downlink_does_not_bias_the_offset`),
/// nor does jitter on one direction only
/// (`one_way_jitter_does_not_bias_the_offset`).
///
/// A sample also proves where the offset is *not*: the true offset lies
/// within ±RTT/2 of each sample's. A new sample that contradicts older ones
/// (their intervals do not overlap) means the clocks stepped, for example a
/// relay restarted on another machine; the contradicted samples are dropped
/// and the estimate follows at once.
#[derive(Debug, Clone)]
pub struct ClockEstimator {
    window: VecDeque<ClockSample>,
    capacity: usize,
    offset_ms: Option<f64>,
    /// Offset guessed from a server timestamp alone, used until the first
    /// ping answer.
    rough_offset_ms: Option<f64>,
}

/// How much older samples are distrusted, ms of error per second of age:
/// two quartz clocks may run apart by tens of parts per million.
const AGE_MS_PER_S: f64 = 0.02;

impl Default for ClockEstimator {
    fn default() -> Self {
        Self::new(128)
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
        // Drop what the new sample proves wrong (a clock step).
        let contradicts = |old: &ClockSample| {
            (old.offset_ms - sample.offset_ms).abs() > (old.rtt_ms + sample.rtt_ms) / 2.0
        };
        if self.window.iter().any(contradicts) {
            self.window.retain(|old| !contradicts(old));
        }
        if self.window.len() == self.capacity {
            self.window.pop_front();
        }
        self.window.push_back(sample);
        self.offset_ms = self.floors_offset(t3);
        Some(sample)
    }

    /// A first guess from a server timestamp received at local `now`
    /// (ignores the one-way delay); only used before any ping answer.
    pub fn seed(&mut self, server_ms: f64, now_ms: f64) {
        if self.rough_offset_ms.is_none() {
            self.rough_offset_ms = Some(server_ms - now_ms);
        }
    }

    /// The offset from each direction's fastest trip: a sample's uplink
    /// time is its RTT/2 + offset, its downlink time RTT/2 − offset; the
    /// lowest of each (older ones counted a little slower, as clocks
    /// wander) is the path's floor plus or minus the offset, and half
    /// their difference is the offset when the two floors are equal.
    /// Each direction's floor is found on its own, so a sample need not
    /// be fast both ways at once.
    fn floors_offset(&self, now_ms: f64) -> Option<f64> {
        let aged = |s: &ClockSample| ((now_ms - s.at_ms) / 1000.0).max(0.0) * AGE_MS_PER_S;
        // sign +1: the uplink's trips; −1: the downlink's.
        let fastest = |sign: f64| {
            self.window
                .iter()
                .map(|s| s.rtt_ms / 2.0 + sign * s.offset_ms + aged(s))
                .min_by(f64::total_cmp)
        };
        Some((fastest(1.0)? - fastest(-1.0)?) / 2.0)
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
    fn one_way_jitter_does_not_bias_the_offset() {
        let mut c = ClockEstimator::default();
        // Jittery uplink: most samples have 0..60 ms extra one way only.
        for i in 0..32 {
            let extra = f64::from((i * 37) % 61);
            exchange(&mut c, f64::from(i) * 1000.0, -1234.0, 75.0 + extra, 75.0);
        }
        let err = c.offset_ms().unwrap() + 1234.0;
        // A mean would be ~15 ms off, the best quarter's median ~4 ms.
        assert!(err.abs() < 1.0, "offset error {err} ms");
        assert!(c.confidence() > 0.0 && c.confidence() <= 1.0);
    }

    #[test]
    fn a_clock_step_is_followed_at_once() {
        let mut c = ClockEstimator::default();
        for i in 0..20 {
            exchange(&mut c, f64::from(i) * 1000.0, 0.0, 50.0, 50.0);
        }
        // The relay came back with a clock 10 s ahead: the first sample
        // proves every older one wrong.
        exchange(&mut c, 21_000.0, 10_000.0, 60.0, 40.0);
        assert!((c.offset_ms().unwrap() - 10_010.0).abs() < 1e-6);
        assert_eq!(c.samples(), 1);
        // A small asymmetry is not a step: nothing is dropped.
        exchange(&mut c, 22_000.0, 10_000.0, 45.0, 55.0);
        assert_eq!(c.samples(), 2);
    }

    /// A small deterministic generator, so the statistics are repeatable.
    struct XorShift(u64);
    impl XorShift {
        fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            lo + (hi - lo) * ((self.0 >> 11) as f64 / (1u64 << 53) as f64)
        }
    }

    fn p95(mut errors: Vec<f64>) -> f64 {
        errors.sort_by(f64::total_cmp);
        errors[errors.len() * 95 / 100]
    }

    #[test]
    fn fastest_trips_beat_the_best_quarter() {
        // 150 ms ± 30 ms each way, 64 exchanges a second apart, 300 trials.
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let (mut ours, mut quarter) = (Vec::new(), Vec::new());
        for _ in 0..300 {
            let mut c = ClockEstimator::default();
            let mut samples = Vec::new();
            for i in 0..64 {
                let up = 150.0 + rng.uniform(-30.0, 30.0);
                let down = 150.0 + rng.uniform(-30.0, 30.0);
                exchange(&mut c, f64::from(i) * 1000.0, 777.0, up, down);
                samples.push((up + down, 777.0 + (up - down) / 2.0));
            }
            ours.push((c.offset_ms().unwrap() - 777.0).abs());
            // The classic filter: median offset of the lowest-RTT quarter.
            samples.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut best: Vec<f64> = samples[..16].iter().map(|s| s.1).collect();
            best.sort_by(f64::total_cmp);
            quarter.push((best[8] - 777.0).abs());
        }
        let (ours, quarter) = (p95(ours), p95(quarter));
        // The RTT-weighted line this replaced: 3.6 ms.
        assert!(ours < 2.0, "p95 error {ours:.2} ms");
        assert!(
            ours < quarter * 0.4,
            "ours {ours:.2} ms, best quarter {quarter:.2} ms"
        );
    }

    /// Over TCP a pong waits behind the messages sent before it, and the
    /// relay sends far more than it receives: the downlink's delays are
    /// longer and bunched (as through the benchmark's delaying proxy).
    #[test]
    fn a_busy_downlink_does_not_bias_the_offset() {
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
        let mut errors = Vec::new();
        for _ in 0..300 {
            let mut c = ClockEstimator::default();
            let (mut last_up, mut last_down) = (0.0f64, 0.0f64);
            for i in 0..32 {
                let mut up = 150.0 + rng.uniform(-30.0, 30.0);
                let mut down = 150.0 + rng.uniform(-30.0, 30.0);
                if rng.uniform(0.0, 1.0) < 0.5 {
                    down = down.max(last_down - rng.uniform(0.0, 40.0));
                }
                if rng.uniform(0.0, 1.0) < 0.2 {
                    up = up.max(last_up - rng.uniform(0.0, 40.0));
                }
                (last_up, last_down) = (up, down);
                exchange(&mut c, f64::from(i) * 500.0, -42.0, up, down);
            }
            errors.push((c.offset_ms().unwrap() + 42.0).abs());
        }
        let p95 = p95(errors);
        // The RTT-weighted line this replaced: 6.8 ms.
        assert!(p95 < 4.0, "p95 error {p95:.2} ms after 16 s");
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
