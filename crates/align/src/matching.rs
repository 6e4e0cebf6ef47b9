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
    /// The same speed first.
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

/// Offsets within this share of differing bits of the best one tie.
const TIE: f64 = 0.02;
/// Tied offsets further apart than this many items make the sound
/// ambiguous (silence, a steady tone, music that repeats).
const SAME_PLACE_ITEMS: i64 = 2;

/// The share of differing bits at each offset `d` (host item `i` meets
/// this copy's item `i - d`) with enough overlap, within `range`.
fn shares(
    host: &[u32],
    mine: &[u32],
    range: std::ops::RangeInclusive<i64>,
) -> Vec<(i64, f64, usize)> {
    let (h, m) = (host.len() as i64, mine.len() as i64);
    let mut out = Vec::new();
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
        out.push((d, f64::from(bits) / (32.0 * n as f64), n));
    }
    out
}

fn all_offsets(host: &[u32], mine: &[u32]) -> std::ops::RangeInclusive<i64> {
    -(mine.len() as i64 - MIN_OVERLAP as i64)..=(host.len() as i64 - MIN_OVERLAP as i64)
}

/// A candidate: ratio, declared rate, offset, share of differing bits,
/// overlap in items.
type Candidate = (Ratio, u32, i64, f64, usize);

/// Why no line was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unmatched {
    /// The sound differs (another film, another language track).
    Different,
    /// One side's sound hardly changes (silence, a steady tone): nothing
    /// to align by.
    TooEven,
    /// It fits several places, none of them as the copies are.
    Ambiguous,
}

/// A print whose items hardly change carries no timing.
fn too_even(print: &[u32]) -> bool {
    let changes = print.windows(2).filter(|w| w[0] != w[1]).count();
    changes * 20 < print.len()
}

/// Finds where `mine` (a window of this copy) meets the host's print, or
/// why not. When the sound fits the copies as they are as well as
/// anywhere else (music that repeats), they are taken as they are.
pub fn align(host: &Print, mine: &AudioWindow) -> Result<Alignment, Unmatched> {
    let item = item_secs();
    if too_even(&host.values) {
        return Err(Unmatched::TooEven);
    }
    // This copy's print at each ratio (the first, at the same speed, is its
    // print as it is).
    let prints: Vec<(Ratio, u32, Vec<u32>)> = Ratio::ALL
        .into_iter()
        .map(|ratio| {
            let declared = (f64::from(SAMPLE_RATE) / ratio.value()).round() as u32;
            (ratio, declared, fingerprint(&mine.samples, declared))
        })
        .collect();
    if too_even(&prints[0].2) {
        return Err(Unmatched::TooEven);
    }
    let mut all: Vec<Candidate> = Vec::new();
    for (ratio, declared, print) in &prints {
        for (d, share, n) in shares(&host.values, print, all_offsets(&host.values, print)) {
            all.push((*ratio, *declared, d, share, n));
        }
    }
    let best = all.iter().map(|c| c.3).fold(f64::INFINITY, f64::min);
    if best > NO_MATCH_ABOVE {
        return Err(Unmatched::Different);
    }
    let near: Vec<&Candidate> = all.iter().filter(|c| c.3 <= best + TIE).collect();
    // The offset at which the copies line up as they are.
    let as_is = ((mine.start - host.start) / item).round() as i64;
    let same_place = |c: &Candidate| c.0 == Ratio::Same && (c.2 - as_is).abs() <= SAME_PLACE_ITEMS;
    let one_place = near
        .iter()
        .all(|c| c.0 == near[0].0 && (c.2 - near[0].2).abs() <= SAME_PLACE_ITEMS);
    if !one_place {
        if near.iter().any(|c| same_place(c)) {
            // The sound fits anywhere, as it is too: the same copy.
            let overlap = near.iter().map(|c| c.4).max().unwrap_or(0);
            return Ok(Alignment {
                line: Line {
                    a: 1.0,
                    b: host.start - mine.start,
                },
                ratio: Ratio::Same,
                difference: best,
                overlap_secs: overlap as f64 * item,
            });
        }
        tracing::debug!(candidates = near.len(), "the sound fits several places");
        return Err(Unmatched::Ambiguous);
    }
    let &(ratio, declared, d, share, n) = *near
        .iter()
        .min_by(|a, b| a.3.total_cmp(&b.3))
        .expect("the best is near itself");
    tracing::debug!(?ratio, d, share, n, "sound match");
    // To a sixteenth of an item: start this copy's print a little later.
    let step = item * f64::from(declared) / REFINE_STEPS as f64;
    let mut best = (0usize, d, share, n);
    for k in 1..REFINE_STEPS {
        let skip = (k as f64 * step).round() as usize;
        let Some(rest) = mine.samples.get(skip..) else {
            break;
        };
        let print = fingerprint(rest, declared);
        for (dk, s, nk) in shares(&host.values, &print, (d - 1)..=(d + 1)) {
            if s < best.2 {
                best = (skip, dk, s, nk);
            }
        }
    }
    let (skip, d, share, n) = best;
    let a = f64::from(SAMPLE_RATE) / f64::from(declared);
    let b = host.start + d as f64 * item - skip as f64 / f64::from(declared) - a * mine.start;
    Ok(Alignment {
        line: Line { a, b },
        ratio,
        difference: share,
        overlap_secs: n as f64 * item,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(seconds: f64) -> Vec<i16> {
        let n = (seconds * f64::from(SAMPLE_RATE)) as usize;
        (0..n)
            .map(|i| {
                let t = i as f64 / f64::from(SAMPLE_RATE);
                (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16
            })
            .collect()
    }

    #[test]
    fn a_steady_tone_is_too_even_to_align_by() {
        let samples = tone(60.0);
        let host = Print {
            start: 0.0,
            values: fingerprint(&samples, SAMPLE_RATE),
        };
        let mine = AudioWindow {
            start: 0.0,
            samples: samples[5000..].to_vec(),
        };
        assert_eq!(align(&host, &mine), Err(Unmatched::TooEven));
    }

    #[test]
    fn silence_against_sound_is_no_match() {
        let host = Print {
            start: 0.0,
            values: fingerprint(&tone(60.0), SAMPLE_RATE),
        };
        let mine = AudioWindow {
            start: 0.0,
            samples: vec![0; 60 * SAMPLE_RATE as usize],
        };
        assert_eq!(align(&host, &mine), Err(Unmatched::TooEven));
    }
}
