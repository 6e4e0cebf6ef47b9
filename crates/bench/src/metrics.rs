//! Figures computed from recorded frames and events.

use std::time::Instant;

use serde::Serialize;

use crate::party::{Frame, Watched};

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    pub p50: f64,
    pub p95: f64,
    pub max: f64,
    pub n: usize,
}

pub fn summarize(v: Vec<f64>) -> Option<Summary> {
    use matinee_testkit::stats::{quantile, sorted};
    let v = sorted(v);
    Some(Summary {
        p50: quantile(&v, 0.5)?,
        p95: quantile(&v, 0.95)?,
        max: quantile(&v, 1.0)?,
        n: v.len(),
    })
}

fn all_playing(f: &Frame) -> bool {
    f.pos.iter().all(Option::is_some)
        && !f.paused.iter().any(|p| *p)
        && !f.seeking.iter().any(|s| *s)
}

/// Largest pairwise gap of a frame, seconds.
pub fn max_gap(f: &Frame) -> Option<f64> {
    let pos: Vec<f64> = f.pos.iter().copied().collect::<Option<Vec<_>>>()?;
    let max = pos.iter().copied().fold(f64::MIN, f64::max);
    let min = pos.iter().copied().fold(f64::MAX, f64::min);
    Some(max - min)
}

/// Every pairwise gap (ms) of frames in which everyone plays.
pub fn pairwise_drift_ms(frames: &[Frame]) -> Option<Summary> {
    let mut gaps = Vec::new();
    for f in frames.iter().filter(|f| all_playing(f)) {
        let pos: Vec<f64> = f.pos.iter().map(|p| p.unwrap()).collect();
        for i in 0..pos.len() {
            for j in i + 1..pos.len() {
                gaps.push((pos[i] - pos[j]).abs() * 1000.0);
            }
        }
    }
    summarize(gaps)
}

/// Seconds from `from` until every pairwise gap stays under `tol_s` for
/// `hold_s` (frames while paused count as in sync when positions agree).
pub fn convergence_s(frames: &[Frame], from: f64, tol_s: f64, hold_s: f64) -> Option<f64> {
    let mut since: Option<f64> = None;
    for f in frames.iter().filter(|f| f.t >= from) {
        let ok = max_gap(f).is_some_and(|g| g < tol_s) && !f.seeking.iter().any(|s| *s);
        match (ok, since) {
            (true, None) => since = Some(f.t),
            (true, Some(s)) if f.t - s >= hold_s => return Some(s - from),
            (false, _) => since = None,
            _ => {}
        }
    }
    None
}

/// Seconds spent, summed over players, at a speed other than the room's.
pub fn off_speed_s(frames: &[Frame]) -> f64 {
    let mut total = 0.0;
    for w in frames.windows(2) {
        let dt = w[1].t - w[0].t;
        let f = &w[0];
        for s in &f.speed {
            if (s / f.room_speed - 1.0).abs() > 5e-4 && !f.paused.iter().any(|p| *p) {
                total += dt;
            }
        }
    }
    total
}

/// For each peer other than `from`, the delay (ms) from `at` to the first
/// time `seen` picks at or after `at`.
fn delays_ms<P: std::ops::Deref<Target = Watched>>(
    peers: &[P],
    from: usize,
    at: Instant,
    seen: impl Fn(&Watched) -> Option<Instant>,
) -> Vec<(usize, f64)> {
    peers
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != from)
        .filter_map(|(i, p)| seen(p).map(|t| (i, t.duration_since(at).as_secs_f64() * 1000.0)))
        .collect()
}

/// Delays (ms) until each peer other than `from` reported pause = `paused`
/// after `at`.
pub fn pause_delays_ms<P: std::ops::Deref<Target = Watched>>(
    peers: &[P],
    from: usize,
    at: Instant,
    paused: bool,
) -> Vec<(usize, f64)> {
    delays_ms(peers, from, at, |p| {
        let pauses = p.pauses.lock().unwrap();
        pauses
            .iter()
            .find(|(t, v)| *t >= at && *v == paused)
            .map(|(t, _)| *t)
    })
}

/// Delays (ms) until each other peer finished a seek after `at`.
pub fn seek_delays_ms<P: std::ops::Deref<Target = Watched>>(
    peers: &[P],
    from: usize,
    at: Instant,
) -> Vec<(usize, f64)> {
    delays_ms(peers, from, at, |p| {
        p.restarts
            .lock()
            .unwrap()
            .iter()
            .find(|t| **t >= at)
            .copied()
    })
}
