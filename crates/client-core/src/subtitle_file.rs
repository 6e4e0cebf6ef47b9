//! Subtitle files to share: read from disk (size, encoding, kind checked)
//! and, when one arrives from the room, checked again before the player
//! sees it.

use std::path::Path;

use matinee_protocol::{language_name, SubtitleFormat, SubtitleMeta, MAX_SUBTITLE_BYTES};

/// Why a subtitle file cannot be shared (or was not taken from the room).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SubtitleFileError {
    #[error("Only .srt, .ass, .ssa and .vtt subtitle files can be shared ({0} is not one).")]
    NotSubtitles(String),
    #[error("{name} is {size}; subtitle files up to 2 MiB can be shared.")]
    TooLarge { name: String, size: String },
    #[error("{0} holds binary data, not subtitle text.")]
    Binary(String),
    #[error("{name} does not look like {kind} subtitles.")]
    WrongKind { name: String, kind: &'static str },
    #[error("Cannot read {name}: {reason}")]
    Unreadable { name: String, reason: String },
}

/// A subtitle file as text, ready to share.
#[derive(Debug, Clone, PartialEq)]
pub struct SubtitleText {
    pub meta: SubtitleMeta,
    pub text: String,
    /// The encoding it was read in, when not UTF-8 ("windows-1252").
    pub converted_from: Option<&'static str>,
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Reads a subtitle file to share: `.srt`, `.ass`, `.ssa` or `.vtt`, at
/// most 2 MiB, text (UTF-8, UTF-16 with a byte-order mark, or a legacy
/// encoding recognised from its bytes).
pub fn read_subtitle(path: &Path) -> Result<SubtitleText, SubtitleFileError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let format = path
        .extension()
        .and_then(|e| e.to_str())
        .and_then(SubtitleFormat::from_extension)
        .ok_or_else(|| SubtitleFileError::NotSubtitles(name.clone()))?;
    let unreadable = |e: std::io::Error| SubtitleFileError::Unreadable {
        name: name.clone(),
        reason: e.to_string(),
    };
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    if size > MAX_SUBTITLE_BYTES as u64 {
        return Err(SubtitleFileError::TooLarge {
            name,
            size: megabytes(size),
        });
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    if bytes.len() > MAX_SUBTITLE_BYTES {
        return Err(SubtitleFileError::TooLarge {
            name,
            size: megabytes(bytes.len() as u64),
        });
    }
    let (text, converted_from) =
        decode(&bytes).ok_or_else(|| SubtitleFileError::Binary(name.clone()))?;
    check_text(&name, format, &text)?;
    Ok(SubtitleText {
        meta: SubtitleMeta {
            name: name.clone(),
            format,
            language: language_from_name(&name),
            bytes: text.len() as u32,
        },
        text,
        converted_from,
    })
}

/// The text of `bytes`, and the legacy encoding it came in if not UTF-8;
/// None for binary data.
fn decode(bytes: &[u8]) -> Option<(String, Option<&'static str>)> {
    // A byte-order mark says it all (UTF-8, UTF-16LE/BE).
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, malformed) = encoding.decode_without_bom_handling(&bytes[bom..]);
        let from = (encoding != encoding_rs::UTF_8).then(|| encoding.name());
        return (!malformed).then(|| (text.into_owned(), from));
    }
    if bytes.contains(&0) {
        return None;
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Some((text.to_string(), None));
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    let encoding = detector.guess(None, true);
    let (text, _, malformed) = encoding.decode(bytes);
    (!malformed).then(|| (text.into_owned(), Some(encoding.name())))
}

/// Text that is a subtitle file of this kind, not binary data under a
/// subtitle's name.
pub fn check_text(name: &str, format: SubtitleFormat, text: &str) -> Result<(), SubtitleFileError> {
    let controls = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
        .count();
    if text.contains('\0') || controls > text.len() / 100 + 8 {
        return Err(SubtitleFileError::Binary(name.to_string()));
    }
    let head: String = text
        .trim_start_matches('\u{feff}')
        .chars()
        .take(4096)
        .collect();
    let looks_right = match format {
        SubtitleFormat::Srt => text.contains("-->"),
        SubtitleFormat::Vtt => head.trim_start().starts_with("WEBVTT"),
        SubtitleFormat::Ass | SubtitleFormat::Ssa => {
            let lower = head.to_ascii_lowercase();
            lower.contains("[script info]") || lower.contains("[events]")
        }
    };
    if !looks_right {
        return Err(SubtitleFileError::WrongKind {
            name: name.to_string(),
            kind: match format {
                SubtitleFormat::Srt => "SRT",
                SubtitleFormat::Vtt => "WebVTT",
                SubtitleFormat::Ass => "ASS",
                SubtitleFormat::Ssa => "SSA",
            },
        });
    }
    Ok(())
}

/// "film.en.srt" → "en", "Film.English.forced.srt" → "English".
fn language_from_name(name: &str) -> Option<String> {
    name.split('.')
        .rev()
        .skip(1)
        .take(3)
        .find(|part| part.len() >= 2 && language_name(part).is_some())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRT: &str = "1\n00:00:01,000 --> 00:00:02,000\nHello\n";

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn reads_utf8_and_names_the_language() {
        let dir = tempfile::tempdir().unwrap();
        let s = read_subtitle(&write(dir.path(), "Film.2019.eng.srt", SRT.as_bytes())).unwrap();
        assert_eq!(s.text, SRT);
        assert_eq!(s.meta.language.as_deref(), Some("eng"));
        assert_eq!(s.meta.label(), "English (SRT)");
        assert_eq!(s.converted_from, None);
    }

    #[test]
    fn converts_legacy_encodings_and_utf16() {
        let dir = tempfile::tempdir().unwrap();
        let text = "1\n00:00:01,000 --> 00:00:02,000\nÇa, c'est l'été à la plage, évidemment très chaud.\n";
        let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode(text);
        let s = read_subtitle(&write(dir.path(), "f.fr.srt", &latin1)).unwrap();
        assert_eq!(s.text, text);
        assert_eq!(s.converted_from, Some("windows-1252"));
        let mut utf16 = vec![0xff, 0xfe];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let s = read_subtitle(&write(dir.path(), "g.srt", &utf16)).unwrap();
        assert_eq!(s.text, text);
    }

    #[test]
    fn refuses_what_is_not_a_subtitle_file() {
        let dir = tempfile::tempdir().unwrap();
        let big = write(
            dir.path(),
            "big.srt",
            &vec![b'a'; MAX_SUBTITLE_BYTES + 600_000],
        );
        assert_eq!(
            read_subtitle(&big).unwrap_err().to_string(),
            "big.srt is 2.6 MiB; subtitle files up to 2 MiB can be shared."
        );
        let binary: Vec<u8> = (0..4000u32).map(|i| (i * 7919 % 256) as u8).collect();
        let bin = write(dir.path(), "x.srt", &binary);
        assert!(matches!(
            read_subtitle(&bin),
            Err(SubtitleFileError::Binary(_))
        ));
        let txt = write(dir.path(), "notes.txt", SRT.as_bytes());
        assert!(matches!(
            read_subtitle(&txt),
            Err(SubtitleFileError::NotSubtitles(_))
        ));
        let wrong = write(dir.path(), "a.ass", SRT.as_bytes());
        assert_eq!(
            read_subtitle(&wrong).unwrap_err().to_string(),
            "a.ass does not look like ASS subtitles."
        );
        let missing = dir.path().join("gone.srt");
        assert!(matches!(
            read_subtitle(&missing),
            Err(SubtitleFileError::Unreadable { .. })
        ));
    }
}
