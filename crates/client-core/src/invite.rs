//! Invite links: `matinee://join/CODE?relay=URL`.

use matinee_protocol::RoomCode;

/// A parsed invite.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Invite {
    pub code: RoomCode,
    /// The relay's WebSocket URL, when the link names one.
    pub relay: Option<String>,
}

/// Why a link is not an invite, in words for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InviteError {
    #[error("that is not a Matinee invite link (it should start with matinee://join/)")]
    NotAnInvite,
    #[error("the invite's room code is wrong: {0}")]
    Code(String),
    #[error("the invite's relay address is not a ws:// or wss:// URL")]
    Relay,
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn valid_relay(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("ws://")
        .or_else(|| lower.strip_prefix("wss://"));
    rest.is_some_and(|r| !r.is_empty() && !r.contains(char::is_whitespace) && r.len() < 2048)
}

/// Parses `matinee://join/CODE[?relay=URL]`.
pub fn parse_invite(link: &str) -> Result<Invite, InviteError> {
    let link = link.trim();
    let scheme_end = link.find("://").ok_or(InviteError::NotAnInvite)?;
    if !link[..scheme_end].eq_ignore_ascii_case("matinee") {
        return Err(InviteError::NotAnInvite);
    }
    let rest = &link[scheme_end + 3..];
    let rest = rest.strip_prefix("join/").ok_or(InviteError::NotAnInvite)?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let code_text = percent_decode(path.trim_end_matches('/')).ok_or(InviteError::NotAnInvite)?;
    let code = RoomCode::parse(&code_text).map_err(|e| InviteError::Code(e.to_string()))?;
    let mut relay = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k == "relay" {
            let url = percent_decode(v).ok_or(InviteError::Relay)?;
            if !valid_relay(&url) {
                return Err(InviteError::Relay);
            }
            relay = Some(url);
        }
    }
    Ok(Invite { code, relay })
}

/// Builds the invite link for a room on a relay.
pub fn invite_link(code: &RoomCode, relay_ws_url: &str) -> String {
    format!(
        "matinee://join/{code}?relay={}",
        percent_encode(relay_ws_url)
    )
}

/// The relay's https (or http) landing page for a room, from its
/// WebSocket URL.
pub fn landing_url(code: &RoomCode, relay_ws_url: &str) -> Option<String> {
    let (scheme, rest) = if let Some(r) = relay_ws_url.strip_prefix("wss://") {
        ("https", r)
    } else {
        ("http", relay_ws_url.strip_prefix("ws://")?)
    };
    let host = rest.split('/').next()?;
    Some(format!("{scheme}://{host}/join/{code}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_code_and_relay() {
        let code = RoomCode::parse("K7MQ2X").unwrap();
        let link = invite_link(&code, "ws://192.168.1.20:7878/ws");
        assert_eq!(
            link,
            "matinee://join/K7MQ2X?relay=ws%3A%2F%2F192.168.1.20%3A7878%2Fws"
        );
        assert_eq!(
            parse_invite(&link),
            Ok(Invite {
                code,
                relay: Some("ws://192.168.1.20:7878/ws".into())
            })
        );
    }

    #[test]
    fn accepts_variants_people_paste() {
        let i = parse_invite("  MATINEE://join/k7mq2x/  ").unwrap();
        assert_eq!(i.code.as_str(), "K7MQ2X");
        assert_eq!(i.relay, None);
        let i = parse_invite("matinee://join/K7M-Q2X?x=1&relay=wss://relay.example/ws").unwrap();
        assert_eq!(i.relay.as_deref(), Some("wss://relay.example/ws"));
    }

    #[test]
    fn rejects_malformed_links_clearly() {
        assert_eq!(
            parse_invite("https://example.com/join/K7MQ2X"),
            Err(InviteError::NotAnInvite)
        );
        assert_eq!(
            parse_invite("matinee://leave/K7MQ2X"),
            Err(InviteError::NotAnInvite)
        );
        assert!(matches!(
            parse_invite("matinee://join/K7MQ20"),
            Err(InviteError::Code(_))
        ));
        assert_eq!(
            parse_invite("matinee://join/K7MQ2X?relay=javascript%3Aalert(1)"),
            Err(InviteError::Relay)
        );
        assert_eq!(
            parse_invite("matinee://join/K7MQ2X?relay=%ZZ"),
            Err(InviteError::Relay)
        );
    }

    #[test]
    fn landing_urls_follow_the_relay_scheme() {
        let code = RoomCode::parse("K7MQ2X").unwrap();
        assert_eq!(
            landing_url(&code, "wss://relay.example/ws").as_deref(),
            Some("https://relay.example/join/K7MQ2X")
        );
        assert_eq!(
            landing_url(&code, "ws://10.0.0.2:7878/ws").as_deref(),
            Some("http://10.0.0.2:7878/join/K7MQ2X")
        );
    }
}
