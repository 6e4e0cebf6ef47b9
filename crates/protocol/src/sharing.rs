//! What members share about what they watch with: subtitle files sent to
//! the room, each member's audio and subtitle tracks, and proposals of
//! which tracks everyone should pick.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Largest subtitle file a member may share, in bytes (as read from disk).
pub const MAX_SUBTITLE_BYTES: usize = 2 * 1024 * 1024;
/// Largest part of a shared subtitle, in bytes of its JSON encoding, so a
/// part and its message stay well under the relay's frame limit (64 KiB).
pub const SUBTITLE_PART_BYTES: usize = 32 * 1024;
/// Most parts a shared subtitle may have (its text in UTF-8 is at most
/// about twice the file's size, for legacy one-byte encodings).
pub const MAX_SUBTITLE_PARTS: u32 = 160;
/// Most tracks a member reports.
pub const MAX_TRACKS: usize = 64;
/// Largest subtitle delay a proposal may carry, in seconds.
pub const MAX_SUB_DELAY_SECS: f64 = 600.0;

/// The kinds of subtitle file a member may share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SubtitleFormat {
    Srt,
    Ass,
    Ssa,
    Vtt,
}

impl SubtitleFormat {
    /// From a file extension (any case), if it is a shareable format.
    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext.to_ascii_lowercase().as_str() {
            "srt" => Some(Self::Srt),
            "ass" => Some(Self::Ass),
            "ssa" => Some(Self::Ssa),
            "vtt" => Some(Self::Vtt),
            _ => None,
        }
    }

    /// The file extension, also the name people know it by in lower case.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Srt => "srt",
            Self::Ass => "ass",
            Self::Ssa => "ssa",
            Self::Vtt => "vtt",
        }
    }
}

/// What a shared subtitle is, sent with each of its parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SubtitleMeta {
    /// The file's name on the sharer's machine (shown, never used as a
    /// path by anyone else).
    pub name: String,
    pub format: SubtitleFormat,
    /// Language code when known (`en`, `eng`, `pt-BR`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub language: Option<String>,
    /// Length of the whole text, in bytes of UTF-8.
    pub bytes: u32,
}

impl SubtitleMeta {
    /// How the room names it: "English (SRT)", or the file name when the
    /// language is unknown.
    pub fn label(&self) -> String {
        let what = self
            .language
            .as_deref()
            .and_then(language_name)
            .map(str::to_string)
            .unwrap_or_else(|| crate::clean_file_name(&self.name));
        format!("{what} ({})", self.format.extension().to_ascii_uppercase())
    }
}

/// Splits subtitle text into parts whose JSON encoding stays under
/// [`SUBTITLE_PART_BYTES`] each (cut between characters).
pub fn split_subtitle(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut encoded = 0;
    for c in text.chars() {
        let cost = escaped_char_len(c);
        if encoded + cost > SUBTITLE_PART_BYTES {
            parts.push(std::mem::take(&mut current));
            encoded = 0;
        }
        current.push(c);
        encoded += cost;
    }
    if !current.is_empty() || parts.is_empty() {
        parts.push(current);
    }
    parts
}

/// Bytes a character takes inside a JSON string.
fn escaped_char_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

/// Bytes `text` takes inside a JSON string (what its frames carry).
pub fn escaped_len(text: &str) -> usize {
    text.chars().map(escaped_char_len).sum()
}

/// Audio or subtitles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TrackKind {
    Audio,
    Sub,
}

/// One audio or subtitle track of a member's copy, as mpv lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TrackInfo {
    pub kind: TrackKind,
    /// mpv's track id (per kind, from 1).
    pub id: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub lang: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub codec: Option<String>,
    /// From a separate file (a shared subtitle, or one beside the film).
    #[serde(default)]
    pub external: bool,
    #[serde(default)]
    pub selected: bool,
}

/// "Japanese · Commentary", or the title alone when it names the
/// language already ("English (SRT) · from Ana").
fn lang_and_title(lang: Option<&str>, title: Option<&str>) -> Option<String> {
    let lang = lang.map(|l| language_name(l).map_or_else(|| l.to_string(), str::to_string));
    match (lang, title) {
        (Some(l), Some(t)) if t.to_lowercase().contains(&l.to_lowercase()) => Some(t.to_string()),
        (Some(l), Some(t)) => Some(format!("{l} · {t}")),
        (Some(l), None) => Some(l),
        (None, Some(t)) => Some(t.to_string()),
        (None, None) => None,
    }
}

impl TrackInfo {
    /// How people read it: "Japanese · Commentary (aac)".
    pub fn label(&self) -> String {
        let mut text = lang_and_title(self.lang.as_deref(), self.title.as_deref())
            .unwrap_or_else(|| format!("Track {}", self.id));
        if let Some(codec) = &self.codec {
            text.push_str(&format!(" ({codec})"));
        }
        text
    }
}

/// A track as a proposal names it: by language and title, since track
/// numbers differ between copies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TrackChoice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub lang: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub title: Option<String>,
}

impl TrackChoice {
    /// "Japanese", "Japanese · Commentary", or the title alone.
    pub fn label(&self) -> String {
        lang_and_title(self.lang.as_deref(), self.title.as_deref()).unwrap_or_else(|| "any".into())
    }
}

/// Subtitles as a proposal asks for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SubtitleChoice {
    /// No subtitles.
    Off,
    /// The best match of this track.
    Track {
        #[serde(flatten)]
        choice: TrackChoice,
    },
}

/// "Audio: Japanese, subtitles: English": what a member proposes everyone
/// picks. Each member's app applies it once, to its own copy's best
/// matching tracks; a member's later change is theirs to keep.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct TrackProposal {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub audio: Option<TrackChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub subtitles: Option<SubtitleChoice>,
    /// Subtitle delay in seconds (mpv's `sub-delay`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub sub_delay: Option<f64>,
}

impl TrackProposal {
    /// "audio: Japanese, subtitles: English, subtitle delay 0.5 s".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(a) = &self.audio {
            parts.push(format!("audio: {}", a.label()));
        }
        match &self.subtitles {
            Some(SubtitleChoice::Off) => parts.push("subtitles: off".into()),
            Some(SubtitleChoice::Track { choice }) => {
                parts.push(format!("subtitles: {}", choice.label()))
            }
            None => {}
        }
        if let Some(d) = self.sub_delay {
            parts.push(format!("subtitle delay {d:+.2} s"));
        }
        if parts.is_empty() {
            "nothing".into()
        } else {
            parts.join(", ")
        }
    }
}

/// Two language codes name the same language ("en", "eng", "en-US",
/// "English" all do).
pub fn same_language(a: &str, b: &str) -> bool {
    let key = |s: &str| {
        let s = s.trim().to_ascii_lowercase();
        let base = s.split(['-', '_']).next().unwrap_or_default().to_string();
        LANGUAGES
            .iter()
            .find(|(two, three, name)| {
                base == *two || base == *three || s == name.to_ascii_lowercase()
            })
            .map_or(base, |(two, _, _)| two.to_string())
    };
    key(a) == key(b)
}

/// The English name of a language code, for the common ones.
pub fn language_name(code: &str) -> Option<&'static str> {
    let c = code.trim().to_ascii_lowercase();
    let base = c.split(['-', '_']).next().unwrap_or_default();
    LANGUAGES
        .iter()
        .find(|(two, three, name)| base == *two || base == *three || c == name.to_ascii_lowercase())
        .map(|(_, _, name)| *name)
}

/// ISO 639-1, ISO 639-2 (bibliographic where it differs), English name.
const LANGUAGES: &[(&str, &str, &str)] = &[
    ("ar", "ara", "Arabic"),
    ("cs", "cze", "Czech"),
    ("da", "dan", "Danish"),
    ("de", "ger", "German"),
    ("el", "gre", "Greek"),
    ("en", "eng", "English"),
    ("es", "spa", "Spanish"),
    ("fi", "fin", "Finnish"),
    ("fr", "fre", "French"),
    ("he", "heb", "Hebrew"),
    ("hi", "hin", "Hindi"),
    ("hu", "hun", "Hungarian"),
    ("it", "ita", "Italian"),
    ("ja", "jpn", "Japanese"),
    ("ko", "kor", "Korean"),
    ("nl", "dut", "Dutch"),
    ("no", "nor", "Norwegian"),
    ("pl", "pol", "Polish"),
    ("pt", "por", "Portuguese"),
    ("ro", "rum", "Romanian"),
    ("ru", "rus", "Russian"),
    ("sv", "swe", "Swedish"),
    ("th", "tha", "Thai"),
    ("tr", "tur", "Turkish"),
    ("uk", "ukr", "Ukrainian"),
    ("vi", "vie", "Vietnamese"),
    ("zh", "chi", "Chinese"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_stay_under_the_limit_and_join_back() {
        let text = "1\n00:00:01,000 --> 00:00:02,000\n\"Ça va\" \\ \u{1}é日本\n\n".repeat(3000);
        let parts = split_subtitle(&text);
        assert!(parts.len() > 1);
        for p in &parts {
            let json = serde_json::to_string(p).unwrap();
            assert!(json.len() <= SUBTITLE_PART_BYTES + 2, "{}", json.len());
        }
        assert_eq!(parts.concat(), text);
        assert_eq!(split_subtitle(""), vec![String::new()]);
    }

    #[test]
    fn the_largest_file_fits_the_part_count() {
        // A 2 MiB file in a one-byte legacy encoding, every byte above
        // 0x7f, is 4 MiB of UTF-8 at most: within the part count.
        let text = "é".repeat(MAX_SUBTITLE_BYTES);
        assert!(split_subtitle(&text).len() as u32 <= MAX_SUBTITLE_PARTS);
    }

    #[test]
    fn languages_match_across_code_styles() {
        assert!(same_language("en", "eng"));
        assert!(same_language("en-US", "English"));
        assert!(same_language("jpn", "ja"));
        assert!(same_language("ger", "de"));
        assert!(!same_language("en", "ja"));
        assert!(same_language("xx", "xx-YY"));
        assert_eq!(language_name("pt-BR"), Some("Portuguese"));
    }

    #[test]
    fn labels_read_as_people_say_them() {
        let meta = SubtitleMeta {
            name: "film.en.srt".into(),
            format: SubtitleFormat::Srt,
            language: Some("eng".into()),
            bytes: 10,
        };
        assert_eq!(meta.label(), "English (SRT)");
        let shared = TrackInfo {
            kind: TrackKind::Sub,
            id: 3,
            lang: Some("en".into()),
            title: Some("English (SRT) · from Ana".into()),
            codec: Some("subrip".into()),
            external: true,
            selected: true,
        };
        assert_eq!(shared.label(), "English (SRT) · from Ana (subrip)");
        let commentary = TrackInfo {
            kind: TrackKind::Audio,
            lang: Some("jpn".into()),
            title: Some("Commentary".into()),
            codec: None,
            ..shared
        };
        assert_eq!(commentary.label(), "Japanese · Commentary");
        let proposal = TrackProposal {
            audio: Some(TrackChoice {
                lang: Some("ja".into()),
                title: None,
            }),
            subtitles: Some(SubtitleChoice::Track {
                choice: TrackChoice {
                    lang: Some("en".into()),
                    title: None,
                },
            }),
            sub_delay: Some(0.5),
        };
        assert_eq!(
            proposal.describe(),
            "audio: Japanese, subtitles: English, subtitle delay +0.50 s"
        );
    }
}
