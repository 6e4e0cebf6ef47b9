//! Messages the relay sends to clients.

use serde::{Deserialize, Serialize};

use crate::{ControlCause, Participant, ParticipantId, PlaybackState};

/// A relay → client message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// Answer to a valid hello.
    Welcome(Welcome),
    /// Answer to create, join and resume: you are in.
    Joined(Box<Joined>),
    /// The participant list changed (or the 1 Hz refresh of RTT, position
    /// and drift).
    Participants { participants: Vec<Participant> },
    /// The authoritative playback state: on every change (with `cause`)
    /// and once a second.
    State {
        playback: PlaybackState,
        /// Server time at which this message was sent.
        server_ms: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cause: Option<ControlCause>,
    },
    /// The control mode changed.
    ControlMode { mode: crate::ControlMode },
    /// You are the host. Keep the newest proof: a relay that restarted
    /// gives the host role back only to the member showing it (in
    /// [`crate::RoomRebuild::host_proof`]). Sent when you become host and
    /// whenever the room's bans change.
    HostProof { proof: String },
    /// A participant's media details (sent once on join and on change;
    /// participant lists leave them out).
    Media {
        participant: ParticipantId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        media: Option<crate::MediaInfo>,
    },
    /// One part of a subtitle file a member shared (parts arrive in
    /// order; `id` is the room's number for the file).
    Subtitle {
        id: u32,
        from: ParticipantId,
        nickname: String,
        meta: crate::SubtitleMeta,
        part: u32,
        parts: u32,
        text: String,
    },
    /// A member's audio and subtitle tracks (sent on change, and for each
    /// member to a newcomer).
    Tracks {
        participant: ParticipantId,
        tracks: Vec<crate::TrackInfo>,
    },
    /// Someone proposed which tracks everyone picks (also sent to a
    /// newcomer: the room's latest proposal).
    TrackProposal {
        from: ParticipantId,
        nickname: String,
        proposal: crate::TrackProposal,
        server_ms: f64,
    },
    /// The host's sound fingerprint (see [`crate::ClientMsg::AudioPrint`]);
    /// also sent to newcomers while that member is host.
    AudioPrint {
        from: ParticipantId,
        nickname: String,
        start: f64,
        data: String,
    },
    /// The room's queue changed (or you just came back and it may have).
    Queue { queue: crate::QueueState },
    /// A chat line.
    Chat {
        from: ParticipantId,
        nickname: String,
        text: String,
        server_ms: f64,
    },
    /// Something happened in the room, written for people.
    Notice {
        event: NoticeEvent,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        participant: Option<ParticipantId>,
        server_ms: f64,
    },
    /// You are no longer in the room (left, kicked, or the seat expired).
    Left { reason: String },
    /// Answer to a ping.
    Pong(Pong),
    /// A request was refused or the connection broke a rule. When `fatal`
    /// is true the relay closes the connection after this message.
    Error {
        code: ErrorCode,
        message: String,
        #[serde(default)]
        fatal: bool,
    },
}

/// Answer to a valid hello.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Welcome {
    pub protocol: u32,
    /// Relay name and version.
    pub server: String,
    pub server_ms: f64,
    /// Largest frame the relay accepts, in bytes.
    pub max_frame_bytes: usize,
    /// Longest chat line, in characters.
    pub max_chat_chars: usize,
}

/// You have a seat in a room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Joined {
    /// Your participant id.
    pub you: ParticipantId,
    /// Secret to take the seat back with `resume` after a dropped link.
    pub resume_token: String,
    /// How long the seat is kept after the link drops, in seconds.
    pub resume_grace_secs: f64,
    pub room: RoomSnapshot,
    pub server_ms: f64,
}

/// Everything a newcomer needs to know about a room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomSnapshot {
    pub code: crate::RoomCode,
    pub control_mode: crate::ControlMode,
    pub participants: Vec<Participant>,
    pub playback: PlaybackState,
    /// Media the room was created with (the host's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<crate::MediaInfo>,
    /// The room's queue.
    #[serde(default, skip_serializing_if = "crate::QueueState::is_empty")]
    pub queue: crate::QueueState,
}

/// NTP-style clock probe answer: the client's send time `client_ms`
/// comes back with the server's receive and send times.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pong {
    pub client_ms: f64,
    pub server_recv_ms: f64,
    pub server_send_ms: f64,
}

/// Kinds of room notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum NoticeEvent {
    Joined,
    Left,
    Reconnecting,
    Reconnected,
    Kicked,
    HostChanged,
    ControlModeChanged,
    Played,
    Paused,
    Seeked,
    SpeedChanged,
    StartScheduled,
    Buffering,
    BufferingDone,
    PlayerClosed,
    /// The room reached the end of the film and paused there.
    Ended,
    /// Someone changed their name.
    Renamed,
    /// Someone shared a subtitle file.
    SubtitleShared,
    /// Someone proposed tracks for everyone.
    TracksProposed,
    /// The queue changed (entries added, removed or moved).
    QueueChanged,
    /// The room went on to a queue entry.
    QueueAdvanced,
}

/// Machine-readable reason of an [`ServerMsg::Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not valid JSON, or not a known message.
    BadMessage,
    /// A field has a value out of range.
    InvalidValue,
    /// The frame is larger than the relay accepts.
    MessageTooLarge,
    /// Binary frames are not part of the protocol.
    BinaryNotSupported,
    /// Too many messages per second.
    RateLimited,
    /// The client speaks another protocol version.
    ProtocolVersion,
    /// The first message must be a hello.
    HelloRequired,
    /// The message needs a seat in a room.
    NotInRoom,
    /// Create/join/resume while already in a room.
    AlreadyInRoom,
    /// No room with that code.
    RoomNotFound,
    RoomFull,
    /// The relay holds as many rooms as it may.
    ServerFull,
    /// Too many join attempts from this address; wait a minute.
    JoinThrottled,
    /// Only the host may do that.
    NotHost,
    /// A start without `force` while someone is not ready.
    NotAllReady,
    /// The resume token is not valid for this room.
    InvalidToken,
    /// No participant with that id.
    UnknownParticipant,
    /// The seat was taken back by a newer connection.
    SessionReplaced,
    /// Nothing received for too long.
    IdleTimeout,
    /// The client did not read fast enough.
    SlowConsumer,
    /// The relay is shutting down.
    ShuttingDown,
    /// The relay could not do it; try again.
    Unavailable,
    /// The client's address is over a quota (rooms created a minute, rooms
    /// open at once).
    QuotaExceeded,
    /// The host removed this seat or address from the room.
    Banned,
    /// The queue holds as many entries as it may, or the entry is gone.
    QueueRefused,
}

impl ErrorCode {
    /// The wire name, as used in the JSON `code` field.
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorCode::BadMessage => "bad_message",
            ErrorCode::InvalidValue => "invalid_value",
            ErrorCode::MessageTooLarge => "message_too_large",
            ErrorCode::BinaryNotSupported => "binary_not_supported",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::ProtocolVersion => "protocol_version",
            ErrorCode::HelloRequired => "hello_required",
            ErrorCode::NotInRoom => "not_in_room",
            ErrorCode::AlreadyInRoom => "already_in_room",
            ErrorCode::RoomNotFound => "room_not_found",
            ErrorCode::RoomFull => "room_full",
            ErrorCode::ServerFull => "server_full",
            ErrorCode::JoinThrottled => "join_throttled",
            ErrorCode::NotHost => "not_host",
            ErrorCode::NotAllReady => "not_all_ready",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::UnknownParticipant => "unknown_participant",
            ErrorCode::SessionReplaced => "session_replaced",
            ErrorCode::IdleTimeout => "idle_timeout",
            ErrorCode::SlowConsumer => "slow_consumer",
            ErrorCode::ShuttingDown => "shutting_down",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::QuotaExceeded => "quota_exceeded",
            ErrorCode::Banned => "banned",
            ErrorCode::QueueRefused => "queue_refused",
        }
    }
}

impl ServerMsg {
    /// An error message.
    pub fn error(code: ErrorCode, message: impl Into<String>, fatal: bool) -> Self {
        ServerMsg::Error {
            code,
            message: message.into(),
            fatal,
        }
    }
}
