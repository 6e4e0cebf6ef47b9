//! A straight line from one copy's time to another's.

use serde::{Deserialize, Serialize};

/// `room = a · mine + b`: where the host's copy is (the room's time) when
/// this copy is at `mine`; `a` is how much faster this copy runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub a: f64,
    pub b: f64,
}

impl Line {
    /// The same time in both copies.
    pub const IDENTITY: Line = Line { a: 1.0, b: 0.0 };

    pub fn is_identity(&self) -> bool {
        *self == Self::IDENTITY
    }

    /// The room's time when this copy is at `mine`.
    pub fn to_room(&self, mine: f64) -> f64 {
        self.a * mine + self.b
    }

    /// This copy's time when the room is at `room`.
    pub fn to_mine(&self, room: f64) -> f64 {
        (room - self.b) / self.a
    }

    /// The room's speed when this player runs at `speed`.
    pub fn speed_to_room(&self, speed: f64) -> f64 {
        speed * self.a
    }

    /// The speed this player needs for the room to run at `speed`.
    pub fn speed_to_mine(&self, speed: f64) -> f64 {
        speed / self.a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_both_ways() {
        let line = Line {
            a: 25.0 / (24000.0 / 1001.0),
            b: -4.0,
        };
        for t in [0.0, 4.0, 1234.5] {
            assert!((line.to_mine(line.to_room(t)) - t).abs() < 1e-9);
            assert!((line.speed_to_mine(line.speed_to_room(1.25)) - 1.25).abs() < 1e-12);
        }
        assert_eq!(Line::IDENTITY.to_room(7.0), 7.0);
    }
}
