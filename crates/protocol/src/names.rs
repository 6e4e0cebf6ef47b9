//! Nicknames people can tell apart: normalised (NFC), without invisible
//! padding, without bidirectional overrides that would make one name read
//! as another, and compared in a room by how they look: ignoring case,
//! invisible characters and letters of other scripts that look the same
//! (Unicode's confusables data, UTS #39).

use unicode_normalization::UnicodeNormalization;
use unicode_security::confusable_detection::skeleton;

use crate::limits::{ValidationError, MAX_NICKNAME_CHARS};

/// Characters that render as nothing (or as blank space that is not
/// whitespace): zero-width spaces and joiners, the BOM, fillers.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'..='\u{2064}'
            | '\u{206A}'..='\u{206F}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// Characters that reorder or break the text around them: bidirectional
/// marks, embeddings, overrides and isolates, and line/paragraph
/// separators.
fn is_layout_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

fn refused(problem: &str) -> ValidationError {
    ValidationError {
        field: "nickname",
        problem: problem.into(),
    }
}

/// `chars` as one line: runs of whitespace made one space (none leading),
/// without the characters `drop` takes out (it sees the character before
/// each, as it came).
fn one_line(
    chars: impl Iterator<Item = char>,
    drop: impl Fn(Option<char>, char) -> bool,
) -> String {
    let mut kept = String::new();
    let mut before = None;
    for c in chars {
        let dropped = drop(before, c);
        before = Some(c);
        if dropped {
            continue;
        }
        if c.is_whitespace() {
            if !kept.is_empty() && !kept.ends_with(' ') {
                kept.push(' ');
            }
            continue;
        }
        kept.push(c);
    }
    kept
}

/// The nickname as the room shows it: NFC, surrounding whitespace trimmed,
/// inner runs of whitespace made one space, invisible characters dropped
/// (a zero-width joiner between two visible characters stays: emoji such
/// as 👩‍👩‍👧 need it). Refuses names with control or layout characters, names
/// with no visible character and names over [`MAX_NICKNAME_CHARS`].
pub fn clean_nickname(raw: &str) -> Result<String, ValidationError> {
    if raw.chars().any(|c| c.is_control()) {
        return Err(refused("must be one line without control characters"));
    }
    if raw.chars().any(is_layout_control) {
        return Err(refused(
            "must not contain characters that change the direction or lines of text",
        ));
    }
    let kept = one_line(raw.nfc(), |before, c| {
        let joins_emoji = (c == '\u{200D}' || ('\u{FE00}'..='\u{FE0F}').contains(&c))
            && before.is_some_and(|b| !b.is_whitespace() && !is_invisible(b));
        is_invisible(c) && !joins_emoji
    });
    let name = without_role_words(kept.trim_end()).to_string();
    if !name.chars().any(|c| !is_invisible(c)) {
        return Err(refused("must have at least one visible character"));
    }
    let len = name.chars().count();
    if len > MAX_NICKNAME_CHARS {
        return Err(refused(&format!(
            "at most {MAX_NICKNAME_CHARS} characters, got {len}"
        )));
    }
    Ok(name)
}

/// Words the app shows after names ("Ana (host)", "Ben (you)"): a name
/// that ends in one would pass for someone else's role, so it goes.
const ROLE_WORDS: [&str; 3] = ["(host)", "(you)", "(syncplay)"];

fn without_role_words(mut name: &str) -> &str {
    loop {
        let lower = name.to_lowercase();
        let Some(word) = ROLE_WORDS.iter().find(|w| lower.ends_with(*w)) else {
            return name;
        };
        // Role words are ASCII: their length in the original is the same.
        let cut = name.len() - word.len();
        if !name.is_char_boundary(cut) {
            return name;
        }
        name = name[..cut].trim_end();
    }
}

/// What two names are compared by: how they look, lower case, without
/// invisible characters or whitespace. "Ana", "ana", "A\u{200B}na", the
/// Cyrillic "Аna" and the fullwidth "Ａｎａ" are one name.
pub fn nickname_key(name: &str) -> String {
    let visible: String = name
        .nfkc()
        .filter(|c| !is_invisible(*c) && !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    skeleton(&visible).flat_map(char::to_lowercase).collect()
}

/// `name`, or the first of "name (2)", "name (3)", … whose key no name in
/// `taken` has (shortened so the result stays within the length limit).
pub fn unique_nickname<'a>(name: &str, taken: impl Iterator<Item = &'a str> + Clone) -> String {
    let clash = |candidate: &str| {
        let key = nickname_key(candidate);
        taken.clone().any(|t| nickname_key(t) == key)
    };
    if !clash(name) {
        return name.to_string();
    }
    for n in 2..1000u32 {
        let suffix = format!(" ({n})");
        let room = MAX_NICKNAME_CHARS.saturating_sub(suffix.chars().count());
        let base: String = name.chars().take(room).collect();
        let candidate = format!("{}{suffix}", base.trim_end());
        if !clash(&candidate) {
            return candidate;
        }
    }
    name.to_string()
}

/// Characters that reorder the text around them (embeddings, overrides,
/// isolates); the marks (LRM, RLM, ALM) only settle neutral characters and
/// stay.
fn is_reordering(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A line of someone's text as others see it: without characters that
/// reorder what follows (so "gpj.exe" cannot read as "exe.jpg") and with
/// line and paragraph separators made spaces.
pub fn clean_line(text: &str) -> String {
    text.chars()
        .filter(|c| !is_reordering(*c))
        .map(|c| {
            if matches!(c, '\u{2028}' | '\u{2029}') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// Longest file name shown, in characters.
const MAX_FILE_NAME_CHARS: usize = 120;

/// A file name from someone's machine as others see it: its last part only
/// (no folders, `..` or drive), one line of visible characters, within
/// [`MAX_FILE_NAME_CHARS`]; "file" when nothing is left.
pub fn clean_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let kept = one_line(clean_line(last).nfc(), |_, c| {
        c.is_control() || is_layout_control(c) || is_invisible(c)
    });
    let kept: String = kept.trim().chars().take(MAX_FILE_NAME_CHARS).collect();
    match kept.trim_end() {
        "" | "." | ".." => "file".into(),
        name => name.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_and_trimmed() {
        // "é" as e + combining accent becomes the single character.
        assert_eq!(clean_nickname("  Rene\u{301}  ").unwrap(), "Ren\u{e9}");
        assert_eq!(clean_nickname("Ana\u{200B}").unwrap(), "Ana");
        assert_eq!(clean_nickname("Ana \u{a0}  Lu").unwrap(), "Ana Lu");
        // The family emoji keeps its joiners.
        let family = "\u{1F469}\u{200D}\u{1F469}\u{200D}\u{1F467}";
        assert_eq!(clean_nickname(family).unwrap(), family);
    }

    #[test]
    fn invisible_reordering_and_multiline_names_are_refused() {
        for bad in [
            "\u{200B}\u{200B}",
            "\u{3164}",
            "\u{FEFF}",
            "\u{115F}\u{1160}",
            "   ",
            "evil\u{202E}txt.exe",
            "a\u{2028}b",
            "a\nb",
            "a\u{7}",
        ] {
            assert!(clean_nickname(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn file_names_and_lines_cannot_disguise_themselves() {
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(
            clean_file_name("C:\\Users\\ana\\film.en.srt"),
            "film.en.srt"
        );
        assert_eq!(clean_file_name("film\u{202E}trs.exe"), "filmtrs.exe");
        assert_eq!(clean_file_name("two\nlines\u{2028}.srt"), "twolines .srt");
        assert_eq!(clean_file_name(".."), "file");
        assert_eq!(clean_file_name("a/"), "file");
        assert_eq!(clean_file_name(&"x".repeat(500)).len(), MAX_FILE_NAME_CHARS);
        assert_eq!(
            clean_line("hi\u{2028}there \u{2067}x\u{2069}"),
            "hi there x"
        );
        // Marks that only settle neutral characters in right-to-left text stay.
        assert_eq!(clean_line("\u{5E9}\u{200F}!"), "\u{5E9}\u{200F}!");
    }

    #[test]
    fn look_alike_names_get_a_number() {
        let taken = ["Ana", "Ben (2)", "Ben"];
        assert_eq!(nickname_key("A\u{200B}NA"), nickname_key("ana"));
        assert_eq!(unique_nickname("ana", taken.iter().copied()), "ana (2)");
        assert_eq!(unique_nickname("Ben", taken.iter().copied()), "Ben (3)");
        assert_eq!(unique_nickname("Cleo", taken.iter().copied()), "Cleo");
        // Other scripts' look-alikes, fullwidth letters, a blank braille
        // cell and a role written into the name are no new people.
        for lookalike in ["\u{410}na", "\u{FF21}\u{FF4E}\u{FF41}", "A\u{2800}na"] {
            assert_eq!(
                unique_nickname(&clean_nickname(lookalike).unwrap(), taken.iter().copied()),
                format!("{} (2)", clean_nickname(lookalike).unwrap()),
                "{lookalike:?}"
            );
        }
        assert_eq!(clean_nickname("Ana (host)").unwrap(), "Ana");
        assert_eq!(clean_nickname("Ana (HOST) (you)").unwrap(), "Ana");
        assert!(clean_nickname("(host)").is_err());
        assert_eq!(nickname_key("rn"), nickname_key("m"), "UTS #39 skeletons");
        let long = "x".repeat(MAX_NICKNAME_CHARS);
        let again = unique_nickname(&long, [long.as_str()].into_iter());
        assert!(again.ends_with(" (2)") && again.chars().count() == MAX_NICKNAME_CHARS);
    }
}
