//! Errors as the UI receives them: a kind and a sentence.

use serde::Serialize;

/// What kind of failure, for the UI to act on (it never reads meaning from
/// the wording). On the wire: snake_case names, e.g. `"jellyfin_signed_out"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Settings,
    Dialog,
    Mpv,
    Media,
    Cancelled,
    Invite,
    Code,
    Relay,
    RelayUnreachable,
    NotYourHost,
    RelayIncompatible,
    Refused,
    Ended,
    NoRoom,
    Window,
    Jellyfin,
    JellyfinUrl,
    JellyfinUnreachable,
    JellyfinNotJellyfin,
    /// Still starting or updating: `retry_after_s` says when to ask again.
    JellyfinStarting,
    JellyfinRefusesNetwork,
    JellyfinNoAccess,
    JellyfinTooOld,
    JellyfinMoved,
    JellyfinCredentials,
    JellyfinSignedOut,
    JellyfinNoServer,
    JellyfinQuickConnect,
    JellyfinKeyring,
}

#[derive(Debug, Clone, Serialize, thiserror::Error, ts_rs::TS)]
#[error("{message}")]
#[ts(export)]
pub struct AppError {
    pub kind: ErrorKind,
    pub message: String,
    /// When asking again may work, in seconds (a server still starting).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub retry_after_s: Option<u32>,
}

impl AppError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            retry_after_s: None,
        }
    }

    /// An error whose text is a lower-case clause from a crate, made a
    /// sentence for people.
    pub fn sentence(kind: ErrorKind, clause: impl std::fmt::Display) -> Self {
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
                ErrorKind::RelayUnreachable
            }
            E::NotYourHost { .. } => ErrorKind::NotYourHost,
            E::RelayIncompatible { .. } => ErrorKind::RelayIncompatible,
            E::Refused { .. } => ErrorKind::Refused,
            E::Jellyfin(j) => return AppError::from(j.clone()),
            E::Mpv(_) => ErrorKind::Mpv,
            E::Media { .. } | E::NothingToQueue => ErrorKind::Media,
            E::Ended => ErrorKind::Ended,
        };
        Self::sentence(kind, e)
    }
}

impl From<matinee_client_core::JoinTargetError> for AppError {
    fn from(e: matinee_client_core::JoinTargetError) -> Self {
        use matinee_client_core::JoinTargetError as E;
        let kind = match &e {
            E::Invite(_) => ErrorKind::Invite,
            E::Code(_) => ErrorKind::Code,
            E::NoRelay | E::Relay(_) => ErrorKind::Relay,
        };
        Self::sentence(kind, e)
    }
}

impl From<matinee_client_core::SettingsError> for AppError {
    fn from(e: matinee_client_core::SettingsError) -> Self {
        Self::sentence(ErrorKind::Settings, e)
    }
}

#[cfg(test)]
mod tests {
    use super::{sentence, ErrorKind};

    #[test]
    fn error_kinds_have_the_names_the_ui_uses() {
        // The UI's type is generated from this enum (ui/src/generated).
        assert_eq!(
            serde_json::to_value(ErrorKind::JellyfinSignedOut).unwrap(),
            "jellyfin_signed_out"
        );
        assert_eq!(
            serde_json::to_value(ErrorKind::RelayUnreachable).unwrap(),
            "relay_unreachable"
        );
    }

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
