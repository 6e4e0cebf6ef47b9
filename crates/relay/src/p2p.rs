//! Friends who reach this relay peer-to-peer (the host's embedded relay
//! behind carrier-grade NAT, or a router that maps no port): each stream
//! [`matinee_p2p::P2pHost`] accepts is served like an accepted socket, by
//! the same HTTP and WebSocket handlers with the same limits.
//!
//! Endpoint ids cost nothing to make. A connection counts under the
//! address its first packet came from when that came straight from the
//! peer; through an iroh relay the address is unknown, and it counts
//! under an address made from its id (in `100::/8`, outside the global
//! unicast range, so never a real member's). The number of
//! peer-to-peer connections is capped as a whole by the host endpoint.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use matinee_p2p::{P2pIncoming, P2pPath, PathKind};
use matinee_protocol::LinkKind;
use tokio::sync::OwnedSemaphorePermit;

/// What the relay keeps of a peer-to-peer connection.
pub(crate) struct P2pPeer {
    path: P2pPath,
    /// Its place among the peer-to-peer connections.
    _place: OwnedSemaphorePermit,
}

impl P2pPeer {
    /// Which way it travels now.
    pub fn link(&self) -> LinkKind {
        match self.path.kind() {
            PathKind::Direct(_) => LinkKind::PeerToPeer,
            PathKind::Relayed => LinkKind::Relayed,
        }
    }
}

impl std::fmt::Debug for P2pPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.path.fmt(f)
    }
}

/// The stream to serve, the address it counts under, and what the relay
/// keeps of it.
pub(crate) fn take(incoming: P2pIncoming) -> (matinee_p2p::P2pStream, SocketAddr, P2pPeer) {
    let P2pIncoming {
        stream,
        direct,
        place,
    } = incoming;
    let addr = match direct {
        Some(addr) => SocketAddr::new(addr.ip().to_canonical(), addr.port()),
        None => SocketAddr::new(IpAddr::V6(id_address(&stream.path().remote())), 0),
    };
    let peer = P2pPeer {
        path: stream.path().clone(),
        _place: place,
    };
    (stream, addr, peer)
}

/// An address that stands for an endpoint id in per-address limits:
/// `100:…`, outside the global unicast range, its /64 different for
/// each id (IPv6 addresses count by their /64).
fn id_address(id: &[u8; 32]) -> Ipv6Addr {
    let word = |i: usize| u16::from_be_bytes([id[i], id[i + 1]]);
    Ipv6Addr::new(0x0100, word(0), word(2), word(4), 0, 0, 0, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_stand_for_distinct_addresses_that_are_not_on_the_internet() {
        let a = id_address(&[1; 32]);
        let b = id_address(&[2; 32]);
        assert_ne!(a, b);
        // Not in 2000::/3, so never a real member's address.
        assert!(!matinee_protocol::is_global_ipv6(IpAddr::V6(a)));
    }
}
