//! A process-wide monotonic clock in milliseconds, the engine's `now`.

use std::sync::OnceLock;
use std::time::Instant;

fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

/// Milliseconds since the first call in this process.
pub fn now_ms() -> f64 {
    base().elapsed().as_secs_f64() * 1000.0
}
