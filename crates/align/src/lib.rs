//! Different copies of one film, aligned by their sound.
//!
//! Each member decodes a window of its copy's audio with mpv ([`decode`]),
//! the host sends the Chromaprint fingerprint of its window ([`Print`]),
//! and each member finds where its own audio meets the host's
//! ([`align`]): an offset (a studio logo one copy lacks) and a speed ratio
//! (a 25 fps release of a 23.976 fps film), as a [`Line`] from the
//! member's time to the host's.

mod decode;
mod error;
mod fingerprint;
mod line;
mod matching;

pub use decode::{decode, AudioWindow, SAMPLE_RATE};
pub use error::AlignError;
pub use fingerprint::{fingerprint, item_secs, Print};
pub use line::Line;
pub use matching::{align, Alignment, Ratio, Unmatched, NO_MATCH_ABOVE};
