//! Every refusal the relay answers a join, create, resume or rebuild with:
//! its code and its sentence for people, in one place.

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
