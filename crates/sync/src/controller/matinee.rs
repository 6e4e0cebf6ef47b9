//! Matinee's default controller: a filtered proportional speed correction
//! with a deadband and hysteresis, and a hard seek only for large jumps.
//!
//! With factor `1 − gain·drift`, drift decays exponentially with time
//! constant `1/gain` (2 s by default) and cannot overshoot, so it does not
//! oscillate; the deadband keeps the speed at exactly 1.0 when in sync.

use super::{Correction, DriftController};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatineeParams {
    /// Seek when |drift| exceeds this, in seconds.
    pub seek_threshold_s: f64,
    /// No second seek within this long, in ms.
    pub seek_cooldown_ms: f64,
    /// Start correcting above this |drift|, in seconds.
    pub enter_s: f64,
    /// Stop correcting below this |drift|, in seconds.
    pub exit_s: f64,
    /// Speed change per second of drift (1/s).
    pub gain: f64,
    /// Largest speed change (0.05 = ±5 %).
    pub max_adjust: f64,
    /// Weight of a new drift measurement in the filter.
    pub smoothing: f64,
    /// Smallest factor change worth sending to the player.
    pub min_step: f64,
}

impl Default for MatineeParams {
    fn default() -> Self {
        Self {
            seek_threshold_s: 1.0,
            seek_cooldown_ms: 3000.0,
            enter_s: 0.003,
            exit_s: 0.001,
            gain: 0.5,
            max_adjust: 0.05,
            smoothing: 0.1,
            min_step: 0.001,
        }
    }
}

#[derive(Debug, Clone)]
pub struct MatineeController {
    p: MatineeParams,
    filtered: Option<f64>,
    factor: f64,
    correcting: bool,
    last_seek_ms: f64,
}

impl MatineeController {
    pub fn new(p: MatineeParams) -> Self {
        Self {
            p,
            filtered: None,
            factor: 1.0,
            correcting: false,
            last_seek_ms: f64::NEG_INFINITY,
        }
    }
}

impl DriftController for MatineeController {
    fn name(&self) -> &'static str {
        "matinee"
    }

    fn decide(&mut self, drift_s: f64, now_ms: f64) -> Correction {
        if drift_s.abs() > self.p.seek_threshold_s {
            if now_ms - self.last_seek_ms < self.p.seek_cooldown_ms {
                // Still settling after a seek: correct by speed meanwhile.
                let factor = 1.0 - self.p.max_adjust * drift_s.signum();
                return self.set_factor(factor);
            }
            self.last_seek_ms = now_ms;
            self.filtered = None;
            self.factor = 1.0;
            self.correcting = false;
            return Correction::Seek;
        }
        let d = match self.filtered {
            Some(f) => f + self.p.smoothing * (drift_s - f),
            None => drift_s,
        };
        self.filtered = Some(d);
        if self.correcting && d.abs() < self.p.exit_s {
            self.correcting = false;
        } else if !self.correcting && d.abs() > self.p.enter_s {
            self.correcting = true;
        }
        let factor = if self.correcting {
            1.0 - (self.p.gain * d).clamp(-self.p.max_adjust, self.p.max_adjust)
        } else {
            1.0
        };
        self.set_factor(factor)
    }

    fn reset(&mut self, _now_ms: f64) {
        self.filtered = None;
        self.factor = 1.0;
        self.correcting = false;
    }

    fn factor(&self) -> f64 {
        self.factor
    }
}

impl MatineeController {
    fn set_factor(&mut self, factor: f64) -> Correction {
        let back_to_one = factor == 1.0 && self.factor != 1.0;
        if back_to_one || (factor - self.factor).abs() >= self.p.min_step {
            self.factor = factor;
            Correction::Speed(factor)
        } else {
            Correction::Hold
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the controller against a perfect player for `secs`, starting
    /// at `drift`; returns (final drift, seeks, max |factor − 1|).
    fn converge(drift: f64, secs: f64) -> (f64, u32, f64) {
        let mut c = MatineeController::new(MatineeParams::default());
        let (mut d, mut seeks, mut worst) = (drift, 0, 0.0f64);
        let step = 50.0;
        let mut t = 0.0;
        while t < secs * 1000.0 {
            match c.decide(d, t) {
                Correction::Seek => {
                    d = 0.0;
                    seeks += 1;
                }
                Correction::Speed(_) | Correction::Hold => {}
            }
            worst = worst.max((c.factor() - 1.0).abs());
            d += (c.factor() - 1.0) * step / 1000.0;
            t += step;
        }
        (d, seeks, worst)
    }

    #[test]
    fn small_drifts_converge_by_speed_without_seeking() {
        for start in [-0.8, -0.2, -0.05, 0.03, 0.15, 0.9] {
            let (end, seeks, worst) = converge(start, 30.0);
            assert_eq!(seeks, 0, "from {start}");
            assert!(end.abs() < 0.005, "from {start} ended at {end}");
            assert!(worst <= 0.05 + 1e-12);
        }
    }

    #[test]
    fn large_jumps_seek_once() {
        let (end, seeks, _) = converge(30.0, 5.0);
        assert_eq!(seeks, 1);
        assert!(end.abs() < 0.005);
    }

    #[test]
    fn in_sync_players_keep_exactly_normal_speed() {
        let mut c = MatineeController::new(MatineeParams::default());
        for i in 0..100 {
            let noise = if i % 2 == 0 { 0.0025 } else { -0.0025 };
            assert_eq!(c.decide(noise, f64::from(i) * 50.0), Correction::Hold);
        }
        assert_eq!(c.factor(), 1.0);
    }

    #[test]
    fn no_second_seek_within_the_cooldown() {
        let mut c = MatineeController::new(MatineeParams::default());
        assert_eq!(c.decide(5.0, 0.0), Correction::Seek);
        assert_eq!(c.decide(5.0, 1000.0), Correction::Speed(0.95));
        assert_eq!(c.decide(5.0, 3100.0), Correction::Seek);
    }
}
