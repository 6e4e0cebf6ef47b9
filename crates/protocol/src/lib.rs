//! Wire types of the Matinee relay protocol.
//!
//! Every WebSocket text frame carries exactly one JSON object tagged by its
//! `"type"` field. Clients send [`ClientMsg`], the relay answers with
//! [`ServerMsg`]. The first message on a connection is [`ClientMsg::Hello`],
//! which carries [`PROTOCOL_VERSION`]. `docs/protocol.md` is the public
//! description of this contract, with an example of each message.
//!
//! Units: positions and durations are seconds (`f64`, like mpv);
//! timestamps are milliseconds since the Unix epoch (`f64`) and their names
//! end in `_ms`.

mod address;
mod client;
mod code;
mod decode;
mod invite;
mod limits;
mod names;
mod queue;
mod server;
mod sharing;
mod types;
mod validate;

pub use address::{is_global_ipv6, is_non_public};
pub use client::{subtitle_messages, ClientMsg, RoomRebuild, StateReport};
pub use code::{RoomCode, RoomCodeError, CODE_ALPHABET, CODE_LEN};
pub use decode::DecodeError;
pub use invite::{
    encode_fingerprint, relay_url_from_input, Invite, InviteError, P2pRoute, RelayEndpoint,
    MAX_CANDIDATES,
};
pub use limits::{ValidationError, MAX_CHAT_CHARS, MAX_NICKNAME_CHARS, MAX_POSITION_SECS};
pub use names::{clean_file_name, clean_line, clean_nickname, nickname_key, unique_nickname};
pub use queue::{
    EpisodeNumber, QueueEntry, QueueItem, QueueState, MAX_QUEUE_BYTES, MAX_QUEUE_ENTRIES,
    MAX_QUEUE_TITLE_CHARS,
};
pub use server::{ErrorCode, Joined, NoticeEvent, Pong, RoomSnapshot, ServerMsg, Welcome};
pub use sharing::{
    escaped_len, language_name, same_language, split_subtitle, SubtitleChoice, SubtitleFormat,
    SubtitleMeta, TrackChoice, TrackInfo, TrackKind, TrackProposal, MAX_SUBTITLE_BYTES,
    MAX_SUBTITLE_PARTS, MAX_SUB_DELAY_SECS, MAX_TRACKS, SUBTITLE_PART_BYTES,
};
pub use types::{
    ControlAction, ControlCause, ControlMode, LinkKind, MediaInfo, Participant, ParticipantId,
    PlaybackState,
};

/// A position or length as people read it: 83.4 → "1:23", 3723 → "1:02:03"
/// (rounded to the second).
pub fn clock_text(seconds: f64) -> String {
    let t = seconds.max(0.0).round() as u64;
    if t >= 3600 {
        format!("{}:{:02}:{:02}", t / 3600, (t / 60) % 60, t % 60)
    } else {
        format!("{}:{:02}", t / 60, t % 60)
    }
}

/// Version of the wire protocol. A relay refuses a hello with another major
/// version with [`ErrorCode::ProtocolVersion`].
pub const PROTOCOL_VERSION: u32 = 2;
