//! Server time: milliseconds since the Unix epoch, read from a monotonic
//! clock so it never jumps while the relay runs. The monotonic clock is
//! tokio's: a test that pauses tokio's time moves the server's clock by hand
//! (`tokio::time::advance`), so rooms' grace periods and waits are tested
//! without real waiting.

use std::time::{SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

#[derive(Debug, Clone, Copy)]
pub struct ServerClock {
    base: Instant,
    base_unix_ms: f64,
}

impl ServerClock {
    pub fn new() -> Self {
        let unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0);
        Self {
            base: Instant::now(),
            base_unix_ms: unix,
        }
    }

    /// Current server time in ms.
    pub fn now_ms(&self) -> f64 {
        self.base_unix_ms + self.base.elapsed().as_secs_f64() * 1000.0
    }
}

impl Default for ServerClock {
    fn default() -> Self {
        Self::new()
    }
}
