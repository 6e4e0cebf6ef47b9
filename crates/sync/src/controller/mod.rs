//! Drift controllers: given how far the local player is from the room,
//! hold, adjust speed, or seek.

mod matinee;
mod syncplay;

pub use matinee::{MatineeController, MatineeParams};
pub use syncplay::{SyncplayController, SyncplayParams};

/// What to do about the drift.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Correction {
    /// Keep the current speed factor.
    Hold,
    /// Play at the room speed times this factor.
    Speed(f64),
    /// Jump to the room position (and play at the room speed).
    Seek,
}

/// A drift controller. `drift_s` is local minus room position in seconds
/// (positive = ahead); `now_ms` is local monotonic time.
pub trait DriftController: Send {
    fn name(&self) -> &'static str;
    /// Called about every 50–100 ms while both room and player play.
    fn decide(&mut self, drift_s: f64, now_ms: f64) -> Correction;
    /// Playback was (re)aligned by other means (pause, seek, load): forget
    /// filters and go back to factor 1.
    fn reset(&mut self, now_ms: f64);
    /// The speed factor in effect.
    fn factor(&self) -> f64;
}

/// Which controller to run.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum ControllerKind {
    /// Ours: proportional speed within ±5 %, seeks only for large jumps.
    #[default]
    Matinee,
    /// Syncplay 1.7's defaults, as the baseline.
    Syncplay,
}

impl ControllerKind {
    pub fn build(self) -> Box<dyn DriftController> {
        match self {
            ControllerKind::Matinee => Box::new(MatineeController::new(MatineeParams::default())),
            ControllerKind::Syncplay => {
                Box::new(SyncplayController::new(SyncplayParams::default()))
            }
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "matinee" => Some(Self::Matinee),
            "syncplay" => Some(Self::Syncplay),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ControllerKind::Matinee => "matinee",
            ControllerKind::Syncplay => "syncplay",
        }
    }
}
