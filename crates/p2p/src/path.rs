//! Which way a peer-to-peer connection's packets travel now: straight
//! between the two computers (a hole punched through their routers), or
//! through an iroh relay. iroh moves a connection between the two as the
//! network allows; the WebSocket on top never notices.

use std::net::SocketAddr;
use std::time::Duration;

use iroh::endpoint::Connection;

/// How a connection travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    /// Straight to this address.
    Direct(SocketAddr),
    /// Through an iroh relay.
    Relayed,
}

/// A live view of a connection's path (cheap to clone).
#[derive(Clone)]
pub struct P2pPath {
    conn: Connection,
}

impl std::fmt::Debug for P2pPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("P2pPath")
            .field("kind", &self.kind())
            .finish()
    }
}

impl P2pPath {
    pub(crate) fn new(conn: Connection) -> Self {
        Self { conn }
    }

    /// The path packets take now (the selected one).
    pub fn kind(&self) -> PathKind {
        let paths = self.conn.paths();
        let selected = paths.iter().find(|p| p.is_selected());
        match selected {
            Some(p) if p.is_ip() => match p.remote_addr() {
                iroh::TransportAddr::Ip(addr) => PathKind::Direct(*addr),
                _ => PathKind::Relayed,
            },
            _ => PathKind::Relayed,
        }
    }

    /// Round-trip time on the selected path.
    pub fn rtt(&self) -> Option<Duration> {
        let paths = self.conn.paths();
        let selected = paths.iter().find(|p| p.is_selected());
        selected.map(|p| p.rtt())
    }

    /// The other end's endpoint id.
    pub fn remote(&self) -> crate::EndpointId {
        *self.conn.remote_id().as_bytes()
    }

    /// Resolves when the path becomes direct, or with the last kind
    /// after `within`.
    pub async fn wait_direct(&self, within: Duration) -> PathKind {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let kind = self.kind();
            if matches!(kind, PathKind::Direct(_)) || tokio::time::Instant::now() >= deadline {
                return kind;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
