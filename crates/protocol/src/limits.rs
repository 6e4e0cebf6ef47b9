//! The protocol's hard caps on what a client sends (a relay may configure
//! lower ones), and the error a value beyond them gives. Read by the
//! validator and by the name cleaners.

/// Longest nickname, in characters.
pub const MAX_NICKNAME_CHARS: usize = 32;
/// Longest chat line, in characters.
pub const MAX_CHAT_CHARS: usize = 1000;
/// Largest position accepted, in seconds (about 11.5 days).
pub const MAX_POSITION_SECS: f64 = 1_000_000.0;
/// Slowest and fastest playback speed accepted.
pub const SPEED_RANGE: (f64, f64) = (0.25, 4.0);
pub(crate) const MAX_CLIENT_NAME_CHARS: usize = 64;
pub(crate) const MAX_TOKEN_CHARS: usize = 128;
/// Longest host proof (it lists the room's bans).
pub const MAX_PROOF_CHARS: usize = 8192;
pub(crate) const MAX_MEDIA_NAME_CHARS: usize = 512;
pub(crate) const MAX_PROVIDER_IDS: usize = 8;
pub(crate) const MAX_PROVIDER_ID_CHARS: usize = 64;
/// Longest language code, track title or codec name.
pub(crate) const MAX_TRACK_TEXT_CHARS: usize = 128;
/// Longest sound fingerprint, in base64 characters (a two-minute window
/// is about 5 200).
pub const MAX_AUDIO_PRINT_CHARS: usize = 24_000;
/// Longest shared subtitle file name.
pub(crate) const MAX_SUBTITLE_NAME_CHARS: usize = 255;

/// A field of a well-formed message holds a value out of range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct ValidationError {
    pub field: &'static str,
    pub problem: String,
}
