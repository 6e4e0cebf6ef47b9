//! Nicknames people can tell apart: normalised (NFC), without invisible
//! padding, without bidirectional overrides that would make one name read
//! as another, and compared in a room ignoring case and invisible
//! characters.

use unicode_normalization::UnicodeNormalization;

use crate::validate::{ValidationError, MAX_NICKNAME_CHARS};

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
    let normal: Vec<char> = raw.nfc().collect();
    let mut kept = String::new();
    for (i, &c) in normal.iter().enumerate() {
        let joins_emoji = (c == '\u{200D}' || ('\u{FE00}'..='\u{FE0F}').contains(&c))
            && i > 0
            && !normal[i - 1].is_whitespace()
            && !is_invisible(normal[i - 1]);
        if is_invisible(c) && !joins_emoji {
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
    let name = kept.trim_end().to_string();
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

/// What two names are compared by: lower case, without invisible
/// characters or whitespace. "Ana", "ana" and "A\u{200B}na" are one name.
pub fn nickname_key(name: &str) -> String {
    name.nfc()
        .filter(|c| !is_invisible(*c) && !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
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
    fn look_alike_names_get_a_number() {
        let taken = ["Ana", "Ben (2)", "Ben"];
        assert_eq!(nickname_key("A\u{200B}NA"), nickname_key("ana"));
        assert_eq!(unique_nickname("ana", taken.iter().copied()), "ana (2)");
        assert_eq!(unique_nickname("Ben", taken.iter().copied()), "Ben (3)");
        assert_eq!(unique_nickname("Cleo", taken.iter().copied()), "Cleo");
        let long = "x".repeat(MAX_NICKNAME_CHARS);
        let again = unique_nickname(&long, [long.as_str()].into_iter());
        assert!(again.ends_with(" (2)") && again.chars().count() == MAX_NICKNAME_CHARS);
    }
}
