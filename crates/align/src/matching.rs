//! Where a copy's sound meets the host's: the speed ratio (one of the
//! common release speeds), the whole-item offset with the fewest differing
//! fingerprint bits, then that offset to a sixteenth of an item (8 ms).

use crate::fingerprint::{fingerprint, item_secs, Print};
use crate::{AudioWindow, Line, SAMPLE_RATE};

/// A match differing in more bits than this share is no match (unrelated
/// sound differs in about half).
pub const NO_MATCH_ABOVE: f64 = 0.30;
/// The least overlap of a match, in fingerprint items (about 10 s).
const MIN_OVERLAP: usize = 80;
/// Steps an item is cut into when refining the offset.
const REFINE_STEPS: usize = 16;

/// How much faster this copy runs than the host's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ratio {
    /// The same speed.
    Same,
    /// A 25 fps release of a 23.976 fps film (4.3 % faster).
    Pal,
    /// A 23.976 fps release of what the host has at 25 fps.
    Film,
}

impl Ratio {
    const ALL: [Ratio; 3] = [Ratio::Same, Ratio::Pal, Ratio::Film];

    /// This copy's speed over the host's.
    pub fn value(self) -> f64 {
        let film = 24000.0 / 1001.0;
        match self {
            Ratio::Same => 1.0,
            Ratio::Pal => 25.0 / film,
            Ratio::Film => film / 25.0,
        }
    }
}

/// What matching found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Alignment {
    pub line: Line,
    pub ratio: Ratio,
    /// Share of fingerprint bits that differ where the copies overlap
    /// (0 = the same sound).
    pub difference: f64,
    /// Seconds of sound that overlap.
    pub overlap_secs: f64,
}

/// The offset (host item `i` meets this copy's item `i - d`) with the
/// fewest differing bits, as (d, share of differing bits, overlap).
fn best_offset(host: &[u32], mine: &[u32], around: Option<i64>) -> Option<(i64, f64, usize)> {
    let (h, m) = (host.len() as i64, mine.len() as i64);
    let range = match around {
        Some(d) => (d - 1)..=(d + 1),
        None => (-(m - MIN_OVERLAP as i64))..=(h - MIN_OVERLAP as i64),
    };
    let mut best: Option<(i64, f64, usize)> = None;
    for d in range {
        let from = d.max(0);
        let to = h.min(m + d);
        if to - from < MIN_OVERLAP as i64 {
            continue;
        }
        let bits: u32 = (from..to)
            .map(|i| (host[i as usize] ^ mine[(i - d) as usize]).count_ones())
            .sum();
        let n = (to - from) as usize;
        let share = f64::from(bits) / (32.0 * n as f64);
        if best.is_none_or(|b| share < b.1) {
            best = Some((d, share, n));
        }
    }
    best
}

/// Finds where `mine` (a window of this copy) meets the host's print, or
/// None when the sound does not match (another film, another language).
pub fn align(host: &Print, mine: &AudioWindow) -> Option<Alignment> {
    let item = item_secs();
    let mut found: Option<(Ratio, u32, i64, f64, usize)> = None;
    for ratio in Ratio::ALL {
        let declared = (f64::from(SAMPLE_RATE) / ratio.value()).round() as u32;
        let print = fingerprint(&mine.samples, declared);
        if let Some((d, share, n)) = best_offset(&host.values, &print, None) {
            tracing::debug!(?ratio, d, share, n, "sound match");
            if found.is_none_or(|f| share < f.3) {
                found = Some((ratio, declared, d, share, n));
            }
        }
    }
    let (ratio, declared, d, share, n) = found?;
    if share > NO_MATCH_ABOVE {
        return None;
    }
    // To a sixteenth of an item: start this copy's print a little later.
    let step = item * f64::from(declared) / REFINE_STEPS as f64;
    let mut best = (0usize, d, share, n);
    for k in 1..REFINE_STEPS {
        let skip = (k as f64 * step).round() as usize;
        let Some(rest) = mine.samples.get(skip..) else {
            break;
        };
        let print = fingerprint(rest, declared);
        if let Some((dk, s, nk)) = best_offset(&host.values, &print, Some(d)) {
            if s < best.2 {
                best = (skip, dk, s, nk);
            }
        }
    }
    let (skip, d, share, n) = best;
    let a = f64::from(SAMPLE_RATE) / f64::from(declared);
    let b = host.start + d as f64 * item - skip as f64 / f64::from(declared) - a * mine.start;
    Some(Alignment {
        line: Line { a, b },
        ratio,
        difference: share,
        overlap_secs: n as f64 * item,
    })
}
