//! The Matinee relay: rooms, authoritative playback state and fan-out over
//! WebSocket.
//!
//! A library first: the desktop app embeds it ("host on this computer"),
//! tests start it on an ephemeral loopback port, and the `matinee-relay`
//! binary runs it standalone.
//!
//! ```no_run
//! # async fn demo() -> Result<(), matinee_relay::RelayError> {
//! let relay = matinee_relay::start(matinee_relay::RelayConfig::loopback()).await?;
//! println!("clients connect to {}", relay.ws_url());
//! relay.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Layout
//!
//! This file only declares the modules and re-exports what the crate
//! offers. Read them from the outside in:
//!
//! - `server`: [`start`] binds, builds the state below and serves;
//!   [`RelayHandle`] is the running relay.
//! - `listener`, `serve`, `http`, `tls`: sockets, the header timeout, TLS,
//!   the routes (WebSocket upgrade, health, metrics, invite pages from
//!   `landing`).
//! - `shared`: what every connection shares (settings, clock, metrics,
//!   limits per address from `limits`, the way to rooms).
//! - `connection`: one Matinee client's WebSocket, from hello to leaving;
//!   `syncplay`: one Syncplay client, bridged into the same rooms.
//! - `rooms`: creating and finding rooms, here or across the `cluster`
//!   (Redis), which reaches rooms only through traits `room` defines.
//! - `room`: a room is an actor owning its state (seats, control, shared
//!   files); `room::RoomHost` is all it sees of the relay.
//! - `outbox`, `refusal`, `tokens`, `clock`, `metrics`, `p2p`, `config`,
//!   `error`: frames queued per client, every refusal's sentence, resume
//!   tokens and host proofs, the server clock, Prometheus metrics, the
//!   peer-to-peer accept loop, settings and the crate's error.

mod clock;
mod cluster;
mod config;
mod connection;
mod error;
mod http;
mod iroh_beside;
mod landing;
mod limits;
mod listener;
mod metrics;
mod outbox;
mod p2p;
mod refusal;
mod room;
mod rooms;
mod serve;
mod server;
mod shared;
mod syncplay;
#[cfg(feature = "testing")]
#[doc(hidden)]
pub mod testing;
mod tls;
mod tokens;

pub use clock::ServerClock;
pub use config::RelayConfig;
pub use error::RelayError;
pub use landing::deep_link;
pub use server::{start, RelayHandle};
pub use tls::TlsIdentity;
