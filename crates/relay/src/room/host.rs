//! What the rooms of one relay share, and nothing else: the rooms running
//! here by code, what each room needs (its environment), where rooms keep
//! their state for other nodes, and the relay's stop signal. Connections
//! and the cluster reach rooms through this; no socket, throttle or
//! connection counter is in it.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::registry::Registry;
use super::state::RoomEnv;
use super::RoomStore;

pub(crate) struct RoomHost {
    /// What every room is given: settings, token signer, metrics, clock.
    pub env: RoomEnv,
    /// The rooms running in this process.
    pub registry: Registry,
    /// Where rooms keep their state for other nodes (the cluster, if any).
    pub store: Option<Arc<dyn RoomStore>>,
    /// Cancelled when the relay stops: every room ends.
    pub shutdown: CancellationToken,
}

impl RoomHost {
    /// Whether this process holds as many rooms as its settings allow.
    pub fn full(&self) -> bool {
        self.registry.len() >= self.env.config.max_rooms
    }
}
