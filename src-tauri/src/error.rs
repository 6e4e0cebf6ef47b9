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
        let mut message = e.to_string();
        if let Some(first) = message.get(..1) {
            message = first.to_uppercase() + &message[1..];
        }
        Self::new(kind, message)
    }
}

impl From<matinee_client_core::SettingsError> for AppError {
    fn from(e: matinee_client_core::SettingsError) -> Self {
        let text = e.to_string();
        Self::new("settings", text[..1].to_uppercase() + &text[1..])
    }
}
