//! One "party session": a relay connection, the sync engine and a local mpv,
//! driven as one actor. The desktop app and `matinee-cli` are two faces of
//! this core.

mod error;
mod jellyfin;
mod jellyfin_copies;
mod media;
mod mono;
mod own_copies;
mod party;
mod relay_link;
mod session;
mod settings;
mod subtitle_file;
mod subtitle_times;
mod tls;

pub use error::ClientError;
pub use jellyfin::{report_playback, stream_media};
pub use jellyfin_copies::{
    entry_for, find_on_server, queue_items_from, same_provider_id, ServerCopy,
};
pub use matinee_p2p::P2pRelays;
pub use matinee_protocol::{Invite, InviteError, RelayEndpoint};
pub use media::{compare_media, local_media_info, MediaSource, MediaWarning};
pub use mono::now_ms;
pub use own_copies::{
    episode_in, find_copy, match_score, scan_folders, LocalFile, MAX_FILES_SCANNED,
};
pub use party::{
    invite_target, join_target, start_party, JoinTargetError, PartyMedia, PartyRequest,
    DEFAULT_RELAY,
};
pub use relay_link::{
    close_p2p, use_p2p_relays, Backoff, Connected, LinkEvent, RelayLink, CANDIDATE_STAGGER,
};
pub use session::{
    AlignState, ConnectionState, PartyHandle, PartySession, Role, SessionCmd, SessionConfig,
    SessionEvent, SessionSnapshot,
};
pub use settings::{Settings, SettingsError};
pub use subtitle_file::{read_subtitle, SubtitleFileError, SubtitleText};
