//! The baseline: Syncplay 1.7's default thresholds.
//!
//! Syncplay only ever slows down: at 0.95× when more than 1.5 s ahead, back
//! to 1.0× under 0.1 s; it rewinds when more than 4 s ahead and
//! fast-forwards when more than 5 s behind. Small drifts are left alone.

use super::{Correction, DriftController};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyncplayParams {
    pub slowdown_threshold_s: f64,
    pub slowdown_reset_s: f64,
    pub slowdown_rate: f64,
    pub rewind_threshold_s: f64,
    pub fastforward_threshold_s: f64,
    pub seek_cooldown_ms: f64,
}

impl Default for SyncplayParams {
    fn default() -> Self {
        Self {
            slowdown_threshold_s: 1.5,
            slowdown_reset_s: 0.1,
            slowdown_rate: 0.95,
            rewind_threshold_s: 4.0,
            fastforward_threshold_s: 5.0,
            seek_cooldown_ms: 1000.0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SyncplayController {
    p: SyncplayParams,
    slowed: bool,
    last_seek_ms: f64,
}

impl SyncplayController {
    pub fn new(p: SyncplayParams) -> Self {
        Self {
            p,
            slowed: false,
            last_seek_ms: f64::NEG_INFINITY,
        }
    }
}

impl DriftController for SyncplayController {
    fn name(&self) -> &'static str {
        "syncplay"
    }

    fn decide(&mut self, drift_s: f64, now_ms: f64) -> Correction {
        let may_seek = now_ms - self.last_seek_ms >= self.p.seek_cooldown_ms;
        if may_seek
            && (drift_s > self.p.rewind_threshold_s || drift_s < -self.p.fastforward_threshold_s)
        {
            self.last_seek_ms = now_ms;
            self.slowed = false;
            return Correction::Seek;
        }
        if !self.slowed && drift_s > self.p.slowdown_threshold_s {
            self.slowed = true;
            return Correction::Speed(self.p.slowdown_rate);
        }
        if self.slowed && drift_s < self.p.slowdown_reset_s {
            self.slowed = false;
            return Correction::Speed(1.0);
        }
        Correction::Hold
    }

    fn reset(&mut self, _now_ms: f64) {
        self.slowed = false;
    }

    fn factor(&self) -> f64 {
        if self.slowed {
            self.p.slowdown_rate
        } else {
            1.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_syncplay_thresholds() {
        let mut c = SyncplayController::new(SyncplayParams::default());
        assert_eq!(
            c.decide(1.0, 0.0),
            Correction::Hold,
            "1 s ahead is tolerated"
        );
        assert_eq!(
            c.decide(-4.9, 0.0),
            Correction::Hold,
            "4.9 s behind is tolerated"
        );
        assert_eq!(c.decide(1.6, 0.0), Correction::Speed(0.95));
        assert_eq!(c.decide(0.5, 100.0), Correction::Hold);
        assert_eq!(c.decide(0.05, 200.0), Correction::Speed(1.0));
        assert_eq!(c.decide(4.5, 300.0), Correction::Seek);
        assert_eq!(c.decide(4.5, 400.0), Correction::Speed(0.95), "cooldown");
        assert_eq!(c.decide(-5.5, 1400.0), Correction::Seek);
    }
}
