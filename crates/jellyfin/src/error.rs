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
    /// The server is loading, or running its database updates after an
    /// upgrade; it says when to ask again.
    #[error("the server is still starting (it may be updating after an upgrade): try again in {retry_after_s} s")]
    Starting { retry_after_s: u32 },
    #[error("the server refuses connections from your network: its admin can allow remote access")]
    RefusesNetwork,
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
    #[error("this account may not sign in now: it is disabled or locked out (too many wrong passwords), remote access is off for it, or its schedule does not allow this hour; ask the server's admin")]
    AccountBlocked,
    #[error("you no longer have access to this library (the server's admin may have hidden it from you)")]
    NoAccess,
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
            Self::Unreachable {
                url,
                reason: plain_reason(&lower).unwrap_or(chain),
            }
        }
    }
}

/// What a transport failure means, in words people use, when it is one of
/// the common ones (the error chain, lower case, says which).
fn plain_reason(chain: &str) -> Option<String> {
    let said = if chain.contains("os error 111") || chain.contains("connection refused") {
        "nothing answers there (is the server running, and is the port right?)"
    } else if chain.contains("dns error")
        || chain.contains("failed to lookup")
        || chain.contains("name or service not known")
        || chain.contains("no address associated")
    {
        "that name is unknown (check its spelling)"
    } else if chain.contains("os error 113") || chain.contains("no route to host") {
        "that address cannot be reached from this network"
    } else if chain.contains("os error 101") || chain.contains("network is unreachable") {
        "this computer has no network to reach it"
    } else if chain.contains("timed out") {
        "no answer (a firewall may be dropping the connection)"
    } else {
        return None;
    };
    Some(said.into())
}

#[cfg(test)]
mod plain_words {
    use super::plain_reason;

    #[test]
    fn common_failures_read_as_people_say_them() {
        let refused = "error sending request for url (http://127.0.0.1:9/system/info/public): client error (connect): tcp connect error: connection refused (os error 111)";
        assert!(plain_reason(refused)
            .unwrap()
            .starts_with("nothing answers there"));
        let dns = "error sending request for url (http://jelyfin.lan:8096/): client error (connect): dns error: failed to lookup address information: name or service not known";
        assert!(plain_reason(dns).unwrap().contains("name is unknown"));
        assert!(plain_reason("something else entirely").is_none());
    }
}
