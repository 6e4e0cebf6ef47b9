use matinee_protocol::ErrorCode;

/// Everything that can stop a party session from starting or going on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach the relay at {url}: {reason}")]
    RelayUnreachable { url: String, reason: String },
    #[error("the relay at {url} is not a Matinee relay or speaks another version: {reason}")]
    RelayIncompatible { url: String, reason: String },
    #[error("{url} is not your host's relay: its certificate is not the one in the invite, so nothing was sent to it (someone may be in the way; ask your host for a fresh invite)")]
    NotYourHost { url: String },
    #[error("could not reach the host at {tried}: {why}")]
    HostUnreachable { tried: String, why: String },
    #[error("no relay address to connect to (the invite names none)")]
    NoRelay,
    #[error("the relay refused: {message}")]
    Refused { code: ErrorCode, message: String },
    #[error("the relay connection was lost")]
    RelayLost,
    #[error(transparent)]
    Mpv(#[from] matinee_mpv::MpvError),
    #[error("mpv cannot play {path}: {reason}")]
    Media { path: String, reason: String },
    #[error(transparent)]
    Jellyfin(#[from] matinee_jellyfin::JellyfinError),
    #[error("the session has ended")]
    Ended,
    #[error("choose at least one film or episode for the queue")]
    NothingToQueue,
}
