//! Reaching a host whom friends cannot dial: a host behind carrier-grade
//! NAT, or behind a router that maps no port.
//!
//! The host's embedded relay also listens on an [iroh] endpoint: QUIC
//! connections dialled by the endpoint's public key, with UDP hole
//! punching and, where punching fails, an encrypted relay in between
//! (which forwards packets it cannot read). A friend's app dials the id
//! and the home relay the invite carries, opens one bidirectional stream,
//! and speaks the same WebSocket over it as over TCP; the relay serves it
//! with the same connection handler and limits.
//!
//! Nothing here does NAT traversal by hand: that is iroh's.
//!
//! [iroh]: https://docs.rs/iroh

mod dial;
mod error;
mod host;
mod key;
mod path;
#[cfg(feature = "relay-server")]
mod relay_server;
mod relays;
mod stream;

pub use dial::Dialer;
pub use error::P2pError;
pub use host::{P2pHost, P2pIncoming};
pub use key::{load_or_create_key, LoadedKey, KEY_FILE};
pub use path::{P2pPath, PathKind};
#[cfg(feature = "relay-server")]
pub use relay_server::IrohRelayServer;
pub use relays::{P2pRelays, RELAY_CA_ENV, RELAY_ENV};
pub use stream::P2pStream;

/// The application protocol both sides name in the QUIC handshake.
pub const ALPN: &[u8] = b"matinee/relay/1";

/// An endpoint id (an Ed25519 public key) as bytes.
pub type EndpointId = [u8; 32];
