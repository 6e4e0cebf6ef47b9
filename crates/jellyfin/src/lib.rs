//! Matinee's Jellyfin client: check a server, sign in (password or Quick
//! Connect), browse and search, plan a direct stream for mpv, and report
//! playback so resume points and watched state follow the party. Tokens go
//! to the OS keyring ([`KeyringStore`]), never to files or logs.

mod account;
mod auth;
mod client;
mod error;
mod model;
mod reporting;
mod token_store;

pub use account::{Account, AccountStatus, PosterCache, Profile, ServerSummary, KEYRING_SERVICE};
pub use auth::DeviceInfo;
pub use client::{parse_server_url, ItemQuery, JellyfinClient, Session, StreamPlan, Token};
pub use error::JellyfinError;
pub use model::{
    seconds_to_ticks, ticks_to_seconds, BaseItemDto, ItemPage, MediaSourceInfo, PublicSystemInfo,
    QuickConnectResult, UserDto, UserItemData, TICKS_PER_SECOND,
};
pub use reporting::{PlaybackSample, Reporter, PROGRESS_EVERY};
pub use token_store::{KeyringStore, MemoryStore, TokenStore};
