//! Launch mpv and drive it over its JSON IPC with typed commands.
//!
//! - [`locate`] finds the mpv binary and checks its version.
//! - [`MpvProcess::launch`] starts mpv on a private IPC endpoint (a random
//!   socket name in a fresh 0700 directory on Unix, a random named pipe on
//!   Windows) and connects to it.
//! - [`MpvClient`] sends commands with `request_id`s, matches replies, and
//!   fans out [`MpvEvent`]s; the latest observed state is in
//!   [`MpvClient::state`].
//!
//! Only typed commands are public: nothing received from peers can reach
//! mpv as a raw command (IPC can run programs).

mod client;
mod error;
mod event;
mod launch;
mod locate;
mod state;
mod tracks;

pub use client::{MpvClient, REQUEST_TIMEOUT};
pub use error::MpvError;
pub use event::{EndReason, MpvEvent, Property};
pub use launch::{LaunchOptions, MpvProcess};
pub use locate::{locate, MpvBinary, MIN_VERSION};
pub use state::PlayerState;
pub use tracks::{Track, TrackType};
