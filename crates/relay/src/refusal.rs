//! Every refusal the relay answers with, and every sentence it closes a
//! connection with: its code and its sentence for people, in one place.
//! Sections: joining a room, inside a room, sharing files, connections,
//! Syncplay clients (their protocol has no codes: sentences only).

use matinee_protocol::{ErrorCode, RoomCode};

/// A refusal: the code and a sentence for people.
pub(crate) type Refusal = (ErrorCode, String);

fn refusal(code: ErrorCode, text: impl Into<String>) -> Refusal {
    (code, text.into())
}

/// This relay holds as many rooms as it may.
pub(crate) fn server_full() -> Refusal {
    refusal(
        ErrorCode::ServerFull,
        "This relay holds as many rooms as it can; try again later.",
    )
}

pub(crate) fn room_full(max: usize) -> Refusal {
    refusal(
        ErrorCode::RoomFull,
        format!("This room is full ({max} people)."),
    )
}

pub(crate) fn no_room(code: &RoomCode) -> Refusal {
    refusal(
        ErrorCode::RoomNotFound,
        format!("No room {code}: check the code, or the room may have ended."),
    )
}

pub(crate) fn room_ended() -> Refusal {
    refusal(ErrorCode::RoomNotFound, "That room has just ended.")
}

pub(crate) fn seat_gone() -> Refusal {
    refusal(
        ErrorCode::InvalidToken,
        "That seat cannot be resumed; join the room again.",
    )
}

/// The host removed this seat or address.
pub(crate) fn banned() -> Refusal {
    refusal(ErrorCode::Banned, "The host removed you from this room.")
}

pub(crate) fn join_throttled() -> Refusal {
    refusal(
        ErrorCode::JoinThrottled,
        "Too many join attempts from your address; wait a minute.",
    )
}

pub(crate) fn too_many_rooms_open(max: usize) -> Refusal {
    refusal(
        ErrorCode::QuotaExceeded,
        format!("Your address has {max} rooms open, as many as it may; leave one first."),
    )
}

pub(crate) fn too_many_creations(max: u32) -> Refusal {
    refusal(
        ErrorCode::QuotaExceeded,
        format!("Your address created {max} rooms this minute, as many as it may; wait a minute."),
    )
}

/// The room store (Redis) cannot be reached.
pub(crate) fn unavailable() -> Refusal {
    refusal(
        ErrorCode::Unavailable,
        "The relay cannot reach its room store right now; try again in a moment.",
    )
}

/// The room is between two nodes of a cluster.
pub(crate) fn moving() -> Refusal {
    refusal(
        ErrorCode::Unavailable,
        "The room is moving between relay nodes; try again in a moment.",
    )
}

// Inside a room.

/// The host role after a restart is provisional until everyone had time
/// to come back.
pub(crate) fn host_not_confirmed(what: &str, secs: f64) -> Refusal {
    refusal(
        ErrorCode::NotHost,
        format!(
            "The relay restarted: the host role is yours for sure once everyone has had time to come back. You can {what} in {secs:.0} s."
        ),
    )
}

pub(crate) fn only_host(what: &str) -> Refusal {
    refusal(ErrorCode::NotHost, format!("Only the host can {what}."))
}

pub(crate) fn already_in_room() -> Refusal {
    refusal(
        ErrorCode::AlreadyInRoom,
        "You are already in a room; leave it first.",
    )
}

pub(crate) fn rename_too_soon() -> Refusal {
    refusal(
        ErrorCode::RateLimited,
        "You can change your name once every two seconds.",
    )
}

pub(crate) fn chat_too_long(max: usize) -> Refusal {
    refusal(
        ErrorCode::InvalidValue,
        format!("Chat lines are at most {max} characters."),
    )
}

pub(crate) fn no_such_participant() -> Refusal {
    refusal(ErrorCode::UnknownParticipant, "No such participant.")
}

/// Someone to remove who is not here, or is the host themselves.
pub(crate) fn no_such_other() -> Refusal {
    refusal(
        ErrorCode::UnknownParticipant,
        "No such participant (or it is you).",
    )
}

pub(crate) fn not_all_ready(waiting: &[String]) -> Refusal {
    refusal(
        ErrorCode::NotAllReady,
        format!("Not everyone is ready: {}.", waiting.join(", ")),
    )
}

// Sharing files.

fn kib(bytes: usize) -> usize {
    bytes / 1024
}

pub(crate) fn share_out_of_order() -> Refusal {
    refusal(
        ErrorCode::InvalidValue,
        "The subtitle file arrived out of order; share it again.",
    )
}

pub(crate) fn share_length_mismatch() -> Refusal {
    refusal(
        ErrorCode::InvalidValue,
        "The subtitle file's length does not match what was announced; share it again.",
    )
}

pub(crate) fn share_stalled() -> Refusal {
    refusal(
        ErrorCode::InvalidValue,
        "The subtitle file stopped arriving; share it again.",
    )
}

/// A file announced as larger than a room keeps.
pub(crate) fn share_over_room_limit(max: usize) -> Refusal {
    refusal(
        ErrorCode::InvalidValue,
        format!(
            "This room takes subtitle files of at most {} KiB.",
            kib(max)
        ),
    )
}

/// A file whose kept frames (escaped) cost more than a room keeps.
pub(crate) fn share_too_big(cost: usize, max: usize) -> Refusal {
    refusal(
        ErrorCode::InvalidValue,
        format!(
            "This file takes {} KiB as the relay keeps it (some of its characters need escaping); rooms keep at most {} KiB.",
            kib(cost),
            kib(max)
        ),
    )
}

pub(crate) fn share_rate(per_minute: usize) -> Refusal {
    refusal(
        ErrorCode::RateLimited,
        format!(
            "Subtitles are shared up to {} KiB a minute; try again in a minute.",
            kib(per_minute)
        ),
    )
}

pub(crate) fn relay_files_full() -> Refusal {
    refusal(
        ErrorCode::Unavailable,
        "This relay holds as many shared subtitles as it may; try again later.",
    )
}

// Connections.

/// Why the relay closes a connection its room or outbox gave up on
/// (`code` as the outbox set it). `reconnects`: the client comes back by
/// itself (Matinee's app does; a Syncplay client is told to).
pub(crate) fn closed(code: ErrorCode, reconnects: bool) -> Refusal {
    refusal(code, closed_reason(Some(code), reconnects))
}

/// The sentence of [`closed`] (no code: the room let the connection go).
pub(crate) fn closed_reason(code: Option<ErrorCode>, reconnects: bool) -> &'static str {
    match code {
        Some(ErrorCode::SlowConsumer) => "You did not read messages fast enough.",
        Some(ErrorCode::SessionReplaced) => "Your seat was taken back by a newer connection.",
        Some(ErrorCode::Unavailable) if reconnects => {
            "The room is moving to another relay node; reconnecting."
        }
        Some(ErrorCode::Unavailable) => "The room is moving to another relay node; reconnect.",
        _ => "Closed by the relay.",
    }
}

/// The queue holds as many entries as it may.
pub(crate) fn queue_full(max: usize, held: usize) -> Refusal {
    refusal(
        ErrorCode::QueueRefused,
        format!("The queue holds at most {max} entries ({held} now): take some out first."),
    )
}

pub(crate) fn queue_too_large(max_kib: usize) -> Refusal {
    refusal(
        ErrorCode::QueueRefused,
        format!(
            "The queue's titles and names would take more than {max_kib} KiB: take some entries out first."
        ),
    )
}

pub(crate) fn no_queue_entry() -> Refusal {
    refusal(
        ErrorCode::QueueRefused,
        "That entry is no longer in the queue.",
    )
}

pub(crate) fn queue_entry_playing() -> Refusal {
    refusal(
        ErrorCode::QueueRefused,
        "That entry is playing now: go on to another one before taking it out.",
    )
}

pub(crate) fn protocol_mismatch(theirs: u32, ours: u32) -> Refusal {
    refusal(
        ErrorCode::ProtocolVersion,
        format!("This relay speaks protocol {ours}, you speak {theirs}; update Matinee."),
    )
}

pub(crate) fn frame_too_large(limit: usize) -> Refusal {
    refusal(
        ErrorCode::MessageTooLarge,
        format!("Messages are at most {limit} bytes."),
    )
}

pub(crate) fn shutting_down() -> Refusal {
    refusal(ErrorCode::ShuttingDown, "The relay is shutting down.")
}

pub(crate) fn hello_first() -> Refusal {
    refusal(ErrorCode::HelloRequired, "Say hello first.")
}

pub(crate) fn hello_again() -> Refusal {
    refusal(ErrorCode::BadMessage, "You already said hello.")
}

pub(crate) fn binary_frame() -> Refusal {
    refusal(ErrorCode::BinaryNotSupported, "Send JSON text frames.")
}

pub(crate) fn idle() -> Refusal {
    refusal(ErrorCode::IdleTimeout, "Nothing received for too long.")
}

/// Messages over the rate: dropped, said once.
pub(crate) fn messages_dropped() -> Refusal {
    refusal(
        ErrorCode::RateLimited,
        "Too many messages; some were dropped.",
    )
}

/// Messages over the rate for long: the connection closes.
pub(crate) fn far_too_many_messages() -> Refusal {
    refusal(ErrorCode::RateLimited, "Far too many messages.")
}

pub(crate) fn room_has_ended() -> Refusal {
    refusal(ErrorCode::NotInRoom, "That room has ended.")
}

pub(crate) fn not_in_room() -> Refusal {
    refusal(ErrorCode::NotInRoom, "Create or join a room first.")
}

// Syncplay clients (the bridge words room events for them itself).

pub(crate) const SYNCPLAY_NO_HELLO: &str = "No Hello received in time.";
pub(crate) const SYNCPLAY_HELLO_FIRST: &str =
    "Say Hello first: you must be known to the server before sending this command.";
pub(crate) const SYNCPLAY_SHUTTING_DOWN: &str = "The Matinee relay is shutting down.";
pub(crate) const SYNCPLAY_IDLE: &str = "Nothing received for too long.";
pub(crate) const SYNCPLAY_FLOOD: &str = "Far too many messages; the connection is closed.";
