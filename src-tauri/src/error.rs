//! Errors as the UI receives them: a kind and a sentence.

use serde::Serialize;

#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub kind: &'static str,
    pub message: String,
}

impl AppError {
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// An error whose text is a lower-case clause from a crate, made a
    /// sentence for people.
    pub fn sentence(kind: &'static str, clause: impl std::fmt::Display) -> Self {
        Self::new(kind, sentence(&clause.to_string()))
    }
}

/// Capitalises the first letter (not of a leading address such as
/// `http://…`, which stays as typed) and ends with a full stop.
pub fn sentence(clause: &str) -> String {
    let clause = clause.trim();
    let first_word = clause.split_whitespace().next().unwrap_or("");
    let mut out = if first_word.contains("://") {
        clause.to_string()
    } else {
        let mut chars = clause.chars();
        chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    };
    if !out.is_empty() && !out.ends_with(['.', ')', ':', '?', '!']) {
        out.push('.');
    }
    out
}

impl From<matinee_client_core::ClientError> for AppError {
    fn from(e: matinee_client_core::ClientError) -> Self {
        use matinee_client_core::ClientError as E;
        let kind = match &e {
            E::RelayUnreachable { .. } | E::RelayLost | E::HostUnreachable { .. } | E::NoRelay => {
                "relay_unreachable"
            }
            E::NotYourHost { .. } => "not_your_host",
            E::RelayIncompatible { .. } => "relay_incompatible",
            E::Refused { .. } => "refused",
            E::Mpv(_) => "mpv",
            E::Media { .. } => "media",
            E::Ended => "ended",
        };
        Self::sentence(kind, e)
    }
}

impl From<matinee_client_core::SettingsError> for AppError {
    fn from(e: matinee_client_core::SettingsError) -> Self {
        Self::sentence("settings", e)
    }
}

#[cfg(test)]
mod tests {
    use super::sentence;

    #[test]
    fn clauses_become_sentences_without_mangling_addresses() {
        assert_eq!(sentence("the code is wrong"), "The code is wrong.");
        assert_eq!(
            sentence("http://x:8096 answered, but it is not a Jellyfin server"),
            "http://x:8096 answered, but it is not a Jellyfin server."
        );
        assert_eq!(sentence("élan (ok)"), "Élan (ok)");
        assert_eq!(sentence(""), "");
    }
}
