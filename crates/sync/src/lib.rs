//! Matinee's sync engine. No I/O and no clock of its own: callers pass
//! timestamps and events in and get actions out, which makes every
//! behaviour testable with simulated time and networks.
//!
//! - [`ClockEstimator`]: NTP-style offset to the relay's clock, from the
//!   fastest trip seen each way.
//! - [`DriftController`]: decides between holding, adjusting speed, or a
//!   hard seek; [`MatineeController`] (default) and [`SyncplayController`]
//!   (Syncplay 1.7's defaults, the baseline).
//! - [`SyncEngine`]: follows the room's playback, tells the player what to
//!   do, recognises the echoes of its own commands, and turns the user's
//!   own play/pause/seek/speed into control messages.
//!
//! Times: `now` is a local monotonic clock in milliseconds; server times are
//! milliseconds on the relay's clock; positions are seconds.

mod clock;
mod controller;
mod echo;
mod engine;

pub use clock::{ClockEstimator, ClockSample};
pub use controller::{
    ControllerKind, Correction, DriftController, MatineeController, MatineeParams,
    SyncplayController, SyncplayParams,
};
pub use echo::EchoTracker;
pub use engine::{
    Action, EngineConfig, PlayerCommand, PlayerSample, Stats, SyncEngine, SyncEvent, SyncStatus,
};
