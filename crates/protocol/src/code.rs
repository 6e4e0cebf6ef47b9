//! Room codes: six characters from an alphabet without look-alikes.

use std::fmt;

/// Characters a room code is made of: A–Z and 2–9 without `I`, `O`, `0`, `1`.
pub const CODE_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Length of a room code.
pub const CODE_LEN: usize = 6;

/// A validated, upper-case room code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, ts_rs::TS)]
pub struct RoomCode(String);

/// Why a string is not a room code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoomCodeError {
    #[error("a room code has {CODE_LEN} characters, this one has {0}")]
    Length(usize),
    #[error("'{0}' cannot appear in a room code (codes use A-Z and 2-9, without I, O, 0 and 1)")]
    Character(char),
}

impl RoomCode {
    /// Parses a code typed by a person: case-insensitive, surrounding
    /// white space and a single dash in the middle (`ABC-DEF`) are ignored.
    pub fn parse(input: &str) -> Result<Self, RoomCodeError> {
        let mut code = String::with_capacity(CODE_LEN);
        let trimmed = input.trim();
        let chars: Vec<char> = trimmed.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            if *c == '-' && i == CODE_LEN / 2 && chars.len() == CODE_LEN + 1 {
                continue;
            }
            let up = c.to_ascii_uppercase();
            if !up.is_ascii() || !CODE_ALPHABET.contains(&(up as u8)) {
                return Err(RoomCodeError::Character(*c));
            }
            code.push(up);
        }
        if code.len() != CODE_LEN {
            return Err(RoomCodeError::Length(code.chars().count()));
        }
        Ok(Self(code))
    }

    /// Builds a code from [`CODE_LEN`] indices into [`CODE_ALPHABET`]
    /// (each taken modulo 32), for callers that draw random numbers.
    pub fn from_indices(indices: [u8; CODE_LEN]) -> Self {
        Self(
            indices
                .iter()
                .map(|i| CODE_ALPHABET[(*i as usize) % CODE_ALPHABET.len()] as char)
                .collect(),
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RoomCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for RoomCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for RoomCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        RoomCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_lower_case_spaces_and_a_middle_dash() {
        assert_eq!(RoomCode::parse(" abc-def ").unwrap().as_str(), "ABCDEF");
        assert_eq!(RoomCode::parse("x7k9pq").unwrap().as_str(), "X7K9PQ");
    }

    #[test]
    fn refuses_ambiguous_characters_and_bad_lengths() {
        assert_eq!(
            RoomCode::parse("ABCDE0"),
            Err(RoomCodeError::Character('0'))
        );
        assert_eq!(
            RoomCode::parse("ABCDEI"),
            Err(RoomCodeError::Character('I'))
        );
        assert_eq!(
            RoomCode::parse("abcdeo"),
            Err(RoomCodeError::Character('o'))
        );
        assert_eq!(
            RoomCode::parse("ABCDE1"),
            Err(RoomCodeError::Character('1'))
        );
        assert_eq!(RoomCode::parse("ABCDE"), Err(RoomCodeError::Length(5)));
        assert_eq!(RoomCode::parse("ABCDEFG"), Err(RoomCodeError::Length(7)));
        assert!(RoomCode::parse("AB-CDEF").is_err());
        assert!(RoomCode::parse("ABCDÉF").is_err());
    }

    #[test]
    fn alphabet_has_no_look_alikes() {
        for c in b"IO01" {
            assert!(!CODE_ALPHABET.contains(c));
        }
        let mut sorted = CODE_ALPHABET.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 32);
    }

    #[test]
    fn from_indices_wraps_into_the_alphabet() {
        assert_eq!(
            RoomCode::from_indices([0, 1, 31, 32, 33, 255]).as_str(),
            "AB9AB9"
        );
    }
}
