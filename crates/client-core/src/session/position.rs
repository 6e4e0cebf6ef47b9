//! Where this player is, told to the app as it moves: about four times a
//! second while it plays, at once when it pauses, resumes, jumps or learns
//! the film's length, and not at all while nothing changes. The window's
//! time and seek bar follow these instead of asking.

use std::time::Duration;

use tokio::time::Instant;

/// Shortest time between two reports of a playing player.
const EVERY: Duration = Duration::from_millis(250);
/// A move this much beyond what playing explains is a jump, told at once, s.
const JUMP_S: f64 = 1.0;

/// What a report says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlayerSpot {
    pub position: Option<f64>,
    pub duration: Option<f64>,
    pub paused: bool,
}

#[derive(Default)]
pub struct PositionPacer {
    last: Option<(PlayerSpot, Instant)>,
}

impl PositionPacer {
    /// The report to send now, if any.
    pub fn next(&mut self, spot: PlayerSpot, now: Instant) -> Option<PlayerSpot> {
        let due = match self.last {
            None => true,
            Some((last, at)) => {
                let since = now.saturating_duration_since(at);
                let expected = match (last.position, last.paused) {
                    (Some(p), false) => Some(p + since.as_secs_f64()),
                    (p, _) => p,
                };
                let jumped = match (spot.position, expected) {
                    (Some(p), Some(e)) => (p - e).abs() > JUMP_S,
                    (a, b) => a.is_some() != b.is_some(),
                };
                spot.paused != last.paused
                    || spot.duration != last.duration
                    || jumped
                    || (spot.position != last.position && since >= EVERY)
            }
        };
        if due {
            self.last = Some((spot, now));
            Some(spot)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spot(position: f64, paused: bool) -> PlayerSpot {
        PlayerSpot {
            position: Some(position),
            duration: Some(600.0),
            paused,
        }
    }

    #[test]
    fn playing_is_told_four_times_a_second_and_changes_at_once() {
        let mut pacer = PositionPacer::default();
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        assert!(
            pacer.next(spot(10.0, false), t0).is_some(),
            "the first is told"
        );
        // Ticks every 50 ms while playing: one report per 250 ms.
        let told = (1..=20)
            .filter(|i| {
                pacer
                    .next(spot(10.0 + 0.05 * *i as f64, false), ms(50 * i))
                    .is_some()
            })
            .count();
        assert_eq!(told, 4);
        // A pause and a jump go at once.
        assert!(pacer.next(spot(11.02, true), ms(1010)).is_some());
        assert!(pacer.next(spot(90.0, true), ms(1020)).is_some());
        // Standing still: nothing more.
        assert!((1..40).all(|i| pacer.next(spot(90.0, true), ms(1020 + 250 * i)).is_none()));
        // The length learnt late goes at once.
        let longer = PlayerSpot {
            duration: Some(601.0),
            ..spot(90.0, true)
        };
        assert!(pacer.next(longer, ms(20_000)).is_some());
    }
}
