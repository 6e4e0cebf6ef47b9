//! What every connection of one relay shares: its settings, clock and
//! metrics, the limits per address, TLS for Syncplay clients, and the way
//! to its rooms. Rooms see none of this (they get a
//! [`RoomHost`](crate::room::RoomHost)).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::clock::ServerClock;
use crate::cluster::Cluster;
use crate::config::RelayConfig;
use crate::limits::{HeldPerAddress, JoinThrottle};
use crate::metrics::Metrics;
use crate::rooms::Rooms;
use crate::tokens::TokenSigner;

pub(crate) struct Shared {
    pub config: Arc<RelayConfig>,
    pub clock: ServerClock,
    pub metrics: Arc<Metrics>,
    pub tokens: Arc<TokenSigner>,
    pub join_throttle: JoinThrottle,
    pub create_throttle: JoinThrottle,
    /// WebSockets held per address.
    pub websockets: Arc<HeldPerAddress>,
    /// Rooms open per address that created them.
    pub rooms_held: Arc<HeldPerAddress>,
    pub shutdown: CancellationToken,
    /// WebSockets need TLS (the relay has a certificate).
    pub tls: bool,
    /// Syncplay clients may upgrade to TLS: the relay's certificate is its
    /// operator's (files), which Syncplay can verify; the app's
    /// self-signed one only Matinee can pin.
    pub syncplay_tls: Option<tokio_rustls::TlsAcceptor>,
    /// The other nodes, when rooms are shared through Redis.
    pub cluster: Option<Arc<Cluster>>,
    /// Rooms here only, or across the cluster.
    pub rooms: Rooms,
    /// The next connection's id (see [`Shared::first_conn_ids`]).
    pub next_conn: AtomicU64,
}

impl Shared {
    /// Connection ids start at a random point, so that ids from different
    /// nodes of a cluster do not collide.
    pub fn first_conn_ids() -> AtomicU64 {
        AtomicU64::new(u64::from(rand::random::<u32>()) << 32)
    }

    pub fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }
}
