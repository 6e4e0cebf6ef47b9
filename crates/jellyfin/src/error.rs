//! What can go wrong talking to a Jellyfin server, in words a user can act on.

/// Errors from the Jellyfin client. Messages never contain tokens or
/// passwords.
#[derive(Debug, Clone, thiserror::Error)]
pub enum JellyfinError {
    #[error("{0} is not a server address: use http://host:8096 or https://host")]
    BadUrl(String),
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the secure connection to {url} failed: {reason} (is the certificate valid for this address?)")]
    Tls { url: String, reason: String },
    #[error("{url} answered, but it is not a Jellyfin server")]
    NotJellyfin { url: String },
    #[error("the server is still starting up, or it refuses connections from your network (its admin can allow remote access): try again in a minute")]
    ServerBusy,
    #[error("Jellyfin {need} or newer is needed (this server runs {found})")]
    TooOld { found: String, need: String },
    #[error("the server moved to {to}: add it again with that address")]
    Moved { to: String },
    #[error("wrong username or password")]
    BadCredentials,
    #[error("the server ended this sign-in: sign in again")]
    SignedOut,
    #[error("you are not allowed to do that on this server")]
    Forbidden,
    #[error("Quick Connect is turned off on this server: sign in with your password, or ask the admin to enable it")]
    QuickConnectDisabled,
    #[error("the Quick Connect code expired: start again")]
    QuickConnectExpired,
    #[error("not found on the server")]
    NotFound,
    #[error("the server failed ({status}): {detail}")]
    Server { status: u16, detail: String },
    #[error("the server's answer was not understood: {0}")]
    Decode(String),
    #[error("the item has no playable file")]
    NotPlayable,
    #[error("the system keyring failed: {0}")]
    Keyring(String),
    #[error("sign in first")]
    NotSignedIn,
    #[error("add your Jellyfin server first")]
    NoServer,
    #[error("could not save the Jellyfin account: {0}")]
    Storage(String),
}

impl JellyfinError {
    /// Classifies a transport error: TLS problems apart from the rest.
    pub(crate) fn transport(url: &str, e: &reqwest::Error) -> Self {
        let mut chain = String::new();
        let mut source: Option<&dyn std::error::Error> = Some(e);
        while let Some(s) = source {
            if !chain.is_empty() {
                chain.push_str(": ");
            }
            chain.push_str(&s.to_string());
            source = s.source();
        }
        let lower = chain.to_ascii_lowercase();
        let tls = ["certificate", "ssl", "tls", "handshake"]
            .iter()
            .any(|w| lower.contains(w));
        let url = url.to_string();
        if tls {
            Self::Tls { url, reason: chain }
        } else if e.is_timeout() {
            Self::Unreachable {
                url,
                reason: "no answer in time".into(),
            }
        } else {
            Self::Unreachable { url, reason: chain }
        }
    }
}
