//! Invite links: how a friend finds a room.
//!
//! `matinee://join/CODE?h=ADDR,ADDR&fp=FINGERPRINT` names the host's own
//! relay by several candidate addresses (`host:port`; LAN, mapped public,
//! global IPv6), all reached over `wss://` and accepted only with the
//! certificate whose SHA-256 is `fp` (base64url, no padding).
//! `matinee://join/CODE?relay=URL` names a relay by its full WebSocket URL
//! (a public relay, and every invite made before candidates existed). Both
//! may appear together; the joiner tries them all.
//!
//! `id=ENDPOINT_ID&pr=RELAY` add the host's peer-to-peer endpoint (its
//! iroh public key, base64url) and the iroh relay it is reachable
//! through: the path for hosts behind carrier-grade NAT or a router that
//! maps no port. The endpoint id authenticates the host on that path.
//!
//! The relay's landing page takes the same query:
//! `http(s)://HOST:PORT/join/CODE?h=…&fp=…` is an invite too.

use base64::Engine;

use crate::RoomCode;

/// Most candidate addresses one invite may carry.
pub const MAX_CANDIDATES: usize = 8;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A parsed invite.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Invite {
    pub code: RoomCode,
    /// The host's relay at `host:port` addresses, best first.
    pub hosts: Vec<String>,
    /// SHA-256 of the host relay's certificate, which `hosts` must present.
    #[serde(skip)]
    pub fingerprint: Option<[u8; 32]>,
    /// A relay's WebSocket URL (`ws://` or `wss://`).
    pub relay: Option<String>,
    /// The host's peer-to-peer endpoint.
    #[serde(skip)]
    pub p2p: Option<P2pRoute>,
}

/// A host's peer-to-peer endpoint: dialled by its id (an iroh public key)
/// through the iroh relay it is reachable through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct P2pRoute {
    pub id: [u8; 32],
    /// `http(s)://…`: the host's home iroh relay.
    pub relay: Option<String>,
}

impl P2pRoute {
    /// A short form of the id for messages (its first 8 characters).
    pub fn short_id(&self) -> String {
        B64.encode(self.id).chars().take(8).collect()
    }
}

/// One way to reach a room's relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayEndpoint {
    /// `ws://…/ws` or `wss://…/ws`.
    pub url: String,
    /// Accept exactly the certificate with this SHA-256 (no authority).
    pub pin: Option<[u8; 32]>,
    /// Reach the relay peer-to-peer (then `url` only names it).
    pub p2p: Option<P2pRoute>,
}

impl RelayEndpoint {
    /// A relay known by its URL, checked as the web checks certificates.
    pub fn url(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            pin: None,
            p2p: None,
        }
    }

    /// The host's relay, peer-to-peer.
    pub fn peer_to_peer(route: P2pRoute) -> Self {
        Self {
            url: format!("p2p://{}/ws", route.short_id()),
            pin: None,
            p2p: Some(route),
        }
    }

    /// The `host:port` part of the URL, for messages.
    pub fn authority(&self) -> &str {
        let rest = self.url.split_once("://").map_or(&*self.url, |(_, r)| r);
        rest.split('/').next().unwrap_or(rest)
    }

    /// The URL names an address that is not on the internet (a home
    /// network, loopback, carrier-grade NAT): friends elsewhere cannot
    /// reach it.
    pub fn is_private(&self) -> bool {
        if self.p2p.is_some() {
            return false;
        }
        let authority = self.authority();
        let host = authority
            .rsplit_once(':')
            .map_or(authority, |(h, _)| h)
            .trim_start_matches('[')
            .trim_end_matches(']');
        host.parse().is_ok_and(crate::is_non_public)
    }
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
    #[error("the invite's host address {0:?} is not an address and port")]
    Host(String),
    #[error("the invite's certificate fingerprint is damaged (copy the whole invite)")]
    Fingerprint,
    #[error("the invite's peer-to-peer id is damaged (copy the whole invite)")]
    P2pId,
    #[error("the invite's peer-to-peer relay is not an http:// or https:// address")]
    P2pRelay,
    #[error("the invite names host addresses without their certificate fingerprint (copy the whole invite)")]
    MissingFingerprint,
    #[error("“{0}” is not a relay address (it looks like relay.example.com, 192.168.1.5:7878 or wss://relay.example.com/ws)")]
    RelayInput(String),
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

/// Percent-encodes all but unreserved characters and those in `keep`.
fn percent_encode(s: &str, keep: &[u8]) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b if keep.contains(&b) => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What follows the scheme when `url` starts with one of `schemes`
/// (`ws://`, …), in lower case.
fn after_scheme(url: &str, schemes: [&str; 2]) -> Option<String> {
    let lower = url.to_ascii_lowercase();
    schemes
        .iter()
        .find_map(|s| lower.strip_prefix(s))
        .map(str::to_string)
}

fn valid_relay(url: &str) -> bool {
    after_scheme(url, ["ws://", "wss://"])
        .is_some_and(|r| !r.is_empty() && !r.contains(char::is_whitespace) && r.len() < 2048)
}

/// `a.b.c.d:port`, `[v6]:port` or `name:port`.
fn valid_host(host: &str) -> bool {
    if let Ok(addr) = host.parse::<std::net::SocketAddr>() {
        return addr.port() != 0;
    }
    let Some((name, port)) = host.rsplit_once(':') else {
        return false;
    };
    port.parse::<u16>().is_ok_and(|p| p != 0)
        && !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

/// A relay's WebSocket URL from what people type: `relay.example.com`
/// (→ `wss://relay.example.com/ws`), `192.168.1.5:7878` (a port other
/// than 443 → `ws://…/ws`), `https://…` / `http://…` (→ `wss://` /
/// `ws://`), or a full `ws(s)://…/ws` URL, kept as it is.
pub fn relay_url_from_input(input: &str) -> Result<String, InviteError> {
    let text = input.trim();
    let bad = || InviteError::RelayInput(text.chars().take(80).collect());
    if text.is_empty() || text.chars().any(char::is_whitespace) {
        return Err(bad());
    }
    let lower = text.to_ascii_lowercase();
    let (scheme, rest) = match lower.split_once("://") {
        Some(("ws" | "http", _)) => ("ws", &text[text.find("://").expect("split") + 3..]),
        Some(("wss" | "https", _)) => ("wss", &text[text.find("://").expect("split") + 3..]),
        Some(_) => return Err(bad()),
        None => {
            let authority = text.split('/').next().unwrap_or(text);
            let port = authority
                .rsplit_once(':')
                .filter(|(h, _)| !h.ends_with(':') && !h.is_empty())
                .and_then(|(_, p)| p.parse::<u16>().ok());
            (
                if port.is_some_and(|p| p != 443) {
                    "ws"
                } else {
                    "wss"
                },
                text,
            )
        }
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let bare_name = !authority.is_empty()
        && (authority.parse::<std::net::IpAddr>().is_ok()
            || authority
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::Ipv6Addr>()
                .is_ok()
            || authority
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'));
    if !bare_name && !valid_host(authority) {
        return Err(bad());
    }
    let path = if path.is_empty() { "ws" } else { path };
    let url = format!("{scheme}://{authority}/{path}");
    if valid_relay(&url) {
        Ok(url)
    } else {
        Err(bad())
    }
}

/// The fingerprint as invites write it.
pub fn encode_fingerprint(fp: &[u8; 32]) -> String {
    B64.encode(fp)
}

/// An iroh relay URL as invites may carry it.
fn valid_p2p_relay(url: &str) -> bool {
    after_scheme(url, ["http://", "https://"]).is_some_and(|r| {
        !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace) && r.len() < 512
    })
}

fn decode_fingerprint(text: &str) -> Option<[u8; 32]> {
    B64.decode(text).ok()?.try_into().ok()
}

impl Invite {
    /// An invite to the host's own relay.
    pub fn to_host(code: RoomCode, hosts: Vec<String>, fingerprint: [u8; 32]) -> Self {
        Self {
            code,
            hosts,
            fingerprint: Some(fingerprint),
            relay: None,
            p2p: None,
        }
    }

    /// The same invite, with the host's peer-to-peer endpoint.
    pub fn with_p2p(mut self, route: P2pRoute) -> Self {
        self.p2p = Some(route);
        self
    }

    /// An invite to a relay known by its URL.
    pub fn to_relay(code: RoomCode, relay: impl Into<String>) -> Self {
        Self {
            code,
            hosts: Vec::new(),
            fingerprint: None,
            relay: Some(relay.into()),
            p2p: None,
        }
    }

    /// Parses `matinee://join/CODE?…`, or a landing page's
    /// `http(s)://HOST/join/CODE?…`.
    pub fn parse(link: &str) -> Result<Self, InviteError> {
        let link = link.trim();
        let (scheme, rest) = link.split_once("://").ok_or(InviteError::NotAnInvite)?;
        let path = if scheme.eq_ignore_ascii_case("matinee") {
            rest.strip_prefix("join/").ok_or(InviteError::NotAnInvite)?
        } else if scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http") {
            let (_, path) = rest.split_once("/join/").ok_or(InviteError::NotAnInvite)?;
            path
        } else {
            return Err(InviteError::NotAnInvite);
        };
        let path = path.split('#').next().unwrap_or(path);
        let (code, query) = path.split_once('?').unwrap_or((path, ""));
        let code = percent_decode(code.trim_end_matches('/')).ok_or(InviteError::NotAnInvite)?;
        Self::from_parts(&code, query)
    }

    /// The invite inside text a person pasted: a chat line such as "Join
    /// us tonight: matinee://join/…", the relay's web link
    /// (`http://HOST/join/CODE?…`), with or without quotes or brackets
    /// around it. The first link that reads as an invite wins; when none
    /// does, the first link's error says why (or, with no link at all,
    /// that this is not an invite).
    pub fn find_in(text: &str) -> Result<Self, InviteError> {
        let mut first_error = None;
        let links = text
            .split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '“' | '”' | '\''))
            .map(|w| {
                w.trim_matches(|c: char| matches!(c, '(' | ')' | '[' | ']' | ',' | '.' | ';' | '!'))
            })
            .filter(|w| w.contains("://"));
        for link in links {
            match Self::parse(link) {
                Ok(invite) => return Ok(invite),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or(InviteError::NotAnInvite))
    }

    /// An invite from its room code and its query (`h=…&fp=…&relay=…`).
    pub fn from_parts(code: &str, query: &str) -> Result<Self, InviteError> {
        let code = RoomCode::parse(code).map_err(|e| InviteError::Code(e.to_string()))?;
        let mut invite = Self {
            code,
            hosts: Vec::new(),
            fingerprint: None,
            relay: None,
            p2p: None,
        };
        let mut p2p_relay = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "relay" => {
                    let url = percent_decode(v).ok_or(InviteError::Relay)?;
                    if !valid_relay(&url) {
                        return Err(InviteError::Relay);
                    }
                    invite.relay = Some(url);
                }
                "h" => {
                    let list = percent_decode(v).ok_or(InviteError::Host(v.into()))?;
                    for host in list.split(',').filter(|h| !h.is_empty()) {
                        if !valid_host(host) || invite.hosts.len() >= MAX_CANDIDATES {
                            return Err(InviteError::Host(host.chars().take(60).collect()));
                        }
                        invite.hosts.push(host.to_string());
                    }
                }
                "fp" => {
                    invite.fingerprint =
                        Some(decode_fingerprint(v).ok_or(InviteError::Fingerprint)?);
                }
                "id" => {
                    let id = decode_fingerprint(v).ok_or(InviteError::P2pId)?;
                    invite.p2p = Some(P2pRoute { id, relay: None });
                }
                "pr" => {
                    let url = percent_decode(v).ok_or(InviteError::P2pRelay)?;
                    if !valid_p2p_relay(&url) {
                        return Err(InviteError::P2pRelay);
                    }
                    p2p_relay = Some(url);
                }
                _ => {}
            }
        }
        if let Some(route) = &mut invite.p2p {
            route.relay = p2p_relay;
        }
        if !invite.hosts.is_empty() && invite.fingerprint.is_none() {
            return Err(InviteError::MissingFingerprint);
        }
        Ok(invite)
    }

    /// The query part (`h=…&fp=…&relay=…`), without the `?`.
    pub fn query(&self) -> String {
        let mut parts = Vec::new();
        if !self.hosts.is_empty() {
            let hosts: Vec<String> = self.hosts.iter().map(|h| percent_encode(h, b":")).collect();
            parts.push(format!("h={}", hosts.join(",")));
        }
        if let Some(fp) = &self.fingerprint {
            parts.push(format!("fp={}", encode_fingerprint(fp)));
        }
        if let Some(relay) = &self.relay {
            parts.push(format!("relay={}", percent_encode(relay, b"")));
        }
        if let Some(route) = &self.p2p {
            parts.push(format!("id={}", encode_fingerprint(&route.id)));
            if let Some(relay) = &route.relay {
                parts.push(format!("pr={}", percent_encode(relay, b":/")));
            }
        }
        parts.join("&")
    }

    /// The app link, `matinee://join/CODE?…`.
    pub fn link(&self) -> String {
        let query = self.query();
        if query.is_empty() {
            format!("matinee://join/{}", self.code)
        } else {
            format!("matinee://join/{}?{query}", self.code)
        }
    }

    /// The relay's landing page at `base` (`http://host:port`), carrying
    /// the same invite.
    pub fn landing_link(&self, base: &str) -> String {
        let query = self.query();
        let base = base.trim_end_matches('/');
        if query.is_empty() {
            format!("{base}/join/{}", self.code)
        } else {
            format!("{base}/join/{}?{query}", self.code)
        }
    }

    /// Every way to the room's relay, in the order to try them.
    pub fn endpoints(&self) -> Vec<RelayEndpoint> {
        let mut out: Vec<RelayEndpoint> = self
            .hosts
            .iter()
            .map(|h| RelayEndpoint {
                url: format!("wss://{h}/ws"),
                pin: self.fingerprint,
                p2p: None,
            })
            .collect();
        if let Some(route) = &self.p2p {
            out.push(RelayEndpoint::peer_to_peer(route.clone()));
        }
        if let Some(relay) = &self.relay {
            out.push(RelayEndpoint::url(relay.clone()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code() -> RoomCode {
        RoomCode::parse("K7MQ2X").unwrap()
    }

    #[test]
    fn an_invite_is_found_in_what_people_paste() {
        let invite = Invite::parse(
            "matinee://join/K7MQ2X?h=1.2.3.4:7878&fp=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        )
        .unwrap();
        let link = invite.link();
        let landing = invite.landing_link("http://1.2.3.4:7878");
        for text in [
            format!("Join us tonight: {link}"),
            format!("Join us tonight: {link}."),
            format!("<{link}>"),
            format!("“{link}” see you at 8"),
            format!("({landing})"),
            format!("the web link {landing}, if the app link does not open"),
            format!("  {link}  "),
        ] {
            assert_eq!(Invite::find_in(&text).unwrap(), invite, "{text}");
        }
        // A link that is an invite, cut short: its own error.
        assert_eq!(
            Invite::find_in("here: matinee://join/K7MQ2X?h=1.2.3.4:7878"),
            Err(InviteError::MissingFingerprint)
        );
        // An unrelated link first, the invite after it.
        assert_eq!(
            Invite::find_in(&format!("see https://example.com/film then {link}")).unwrap(),
            invite
        );
        assert_eq!(
            Invite::find_in("no link here"),
            Err(InviteError::NotAnInvite)
        );
        assert_eq!(
            Invite::find_in("https://example.com/K7MQ2X"),
            Err(InviteError::NotAnInvite)
        );
    }

    #[test]
    fn old_invites_with_one_relay_still_parse_and_round_trip() {
        let link = "matinee://join/K7MQ2X?relay=ws%3A%2F%2F192.168.1.20%3A7878%2Fws";
        let invite = Invite::parse(link).unwrap();
        assert_eq!(
            invite,
            Invite::to_relay(code(), "ws://192.168.1.20:7878/ws")
        );
        assert_eq!(invite.link(), link);
        assert_eq!(
            invite.endpoints(),
            vec![RelayEndpoint::url("ws://192.168.1.20:7878/ws")]
        );
    }

    #[test]
    fn three_candidates_and_a_pin_fit_in_a_chat_message() {
        let hosts = vec![
            "192.168.178.20:7878".to_string(),
            "203.0.113.77:53412".to_string(),
            "[2001:db8:1234:5678:9abc:def0:1234:5678]:7878".to_string(),
        ];
        let invite = Invite::to_host(code(), hosts.clone(), [0xAB; 32]);
        let link = invite.link();
        assert!(link.len() <= 200, "{} characters: {link}", link.len());
        let back = Invite::parse(&link).unwrap();
        assert_eq!(back, invite);
        let endpoints = back.endpoints();
        assert_eq!(endpoints.len(), 3);
        assert_eq!(
            endpoints[2].url,
            "wss://[2001:db8:1234:5678:9abc:def0:1234:5678]:7878/ws"
        );
        assert!(endpoints.iter().all(|e| e.pin == Some([0xAB; 32])));
        assert_eq!(endpoints[1].authority(), "203.0.113.77:53412");
        assert!(endpoints[0].is_private(), "a LAN address");
        assert!(!endpoints[1].is_private() && !endpoints[2].is_private());
        assert!(RelayEndpoint::url("wss://[fd00::1]:7878/ws").is_private());
        assert!(!RelayEndpoint::url("wss://relay.example/ws").is_private());
    }

    #[test]
    fn a_peer_to_peer_endpoint_rides_along_within_a_chat_message() {
        let hosts = vec![
            "192.168.178.20:7878".to_string(),
            "[2001:db8:1234:5678:9abc:def0:1234:5678]:7878".to_string(),
            "203.0.113.77:53412".to_string(),
        ];
        let route = P2pRoute {
            id: [0x5A; 32],
            relay: Some("https://euc1-1.relay.n0.iroh-canary.iroh.link./".into()),
        };
        let invite = Invite::to_host(code(), hosts, [0xAB; 32]).with_p2p(route.clone());
        let link = invite.link();
        // Chat apps keep links of a few thousand characters intact; this
        // one stays short enough to read out.
        assert!(link.len() <= 320, "{} characters: {link}", link.len());
        assert!(link.contains("&pr=https://euc1-1."), "{link}");
        let back = Invite::find_in(&format!("Join us: {link}")).unwrap();
        assert_eq!(back, invite);
        let endpoints = back.endpoints();
        assert_eq!(endpoints.len(), 4);
        assert_eq!(endpoints[3].p2p.as_ref(), Some(&route));
        assert!(endpoints[3].pin.is_none() && !endpoints[3].is_private());
        assert_eq!(endpoints[3].authority(), route.short_id());
        // Only the peer-to-peer path: a host whose router maps nothing and
        // who has no LAN friend still invites.
        let alone = Invite::parse(&format!(
            "matinee://join/K7MQ2X?id={}&pr=http://5.5.5.2:3340",
            encode_fingerprint(&[1; 32])
        ))
        .unwrap();
        assert_eq!(alone.endpoints().len(), 1);
        assert_eq!(
            alone.p2p.unwrap().relay.as_deref(),
            Some("http://5.5.5.2:3340")
        );
        // Damaged parts say which.
        for (query, want) in [
            ("id=AAAA", InviteError::P2pId),
            ("id=%%%", InviteError::P2pId),
            ("pr=ftp://x", InviteError::P2pRelay),
            ("pr=https://", InviteError::P2pRelay),
        ] {
            assert_eq!(
                Invite::parse(&format!("matinee://join/K7MQ2X?{query}")),
                Err(want),
                "{query}"
            );
        }
    }

    #[test]
    fn a_landing_page_link_is_an_invite_too() {
        let invite = Invite::to_host(code(), vec!["5.5.5.1:7878".into()], [7; 32]);
        let landing = invite.landing_link("http://5.5.5.1:7878");
        assert!(landing.starts_with("http://5.5.5.1:7878/join/K7MQ2X?h=5.5.5.1:7878&fp="));
        assert_eq!(Invite::parse(&landing).unwrap(), invite);
    }

    #[test]
    fn relay_addresses_are_completed_the_way_people_type_them() {
        let ok = |input: &str, want: &str| {
            assert_eq!(relay_url_from_input(input).as_deref(), Ok(want), "{input}")
        };
        ok("relay.example.com", "wss://relay.example.com/ws");
        ok(" relay.example.com:443 ", "wss://relay.example.com:443/ws");
        ok("192.168.1.5:7878", "ws://192.168.1.5:7878/ws");
        ok("https://relay.example.com", "wss://relay.example.com/ws");
        ok("http://10.0.0.2:7878/", "ws://10.0.0.2:7878/ws");
        ok("wss://relay.example.com/ws", "wss://relay.example.com/ws");
        ok("WS://10.0.0.2:7878/ws", "ws://10.0.0.2:7878/ws");
        for bad in [
            "",
            "   ",
            "ftp://x",
            "two words",
            "wss://",
            "javascript:alert(1)",
        ] {
            assert!(
                matches!(relay_url_from_input(bad), Err(InviteError::RelayInput(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn accepts_variants_people_paste() {
        let i = Invite::parse("  MATINEE://join/k7mq2x/  ").unwrap();
        assert_eq!(i.code.as_str(), "K7MQ2X");
        assert!(i.endpoints().is_empty());
        let i = Invite::parse("matinee://join/K7M-Q2X?x=1&relay=wss://relay.example/ws").unwrap();
        assert_eq!(i.relay.as_deref(), Some("wss://relay.example/ws"));
    }

    #[test]
    fn rejects_malformed_links_clearly() {
        assert_eq!(
            Invite::parse("https://example.com/K7MQ2X"),
            Err(InviteError::NotAnInvite)
        );
        assert_eq!(
            Invite::parse("matinee://leave/K7MQ2X"),
            Err(InviteError::NotAnInvite)
        );
        assert!(matches!(
            Invite::parse("matinee://join/K7MQ20"),
            Err(InviteError::Code(_))
        ));
        assert_eq!(
            Invite::parse("matinee://join/K7MQ2X?relay=javascript%3Aalert(1)"),
            Err(InviteError::Relay)
        );
        assert_eq!(
            Invite::parse("matinee://join/K7MQ2X?relay=%ZZ"),
            Err(InviteError::Relay)
        );
        assert_eq!(
            Invite::parse("matinee://join/K7MQ2X?h=1.2.3.4:7878"),
            Err(InviteError::MissingFingerprint)
        );
        assert_eq!(
            Invite::parse("matinee://join/K7MQ2X?h=1.2.3.4:7878&fp=AAAA"),
            Err(InviteError::Fingerprint)
        );
        assert!(matches!(
            Invite::parse("matinee://join/K7MQ2X?h=1.2.3.4%2Fx:1&fp=AAAA"),
            Err(InviteError::Host(_))
        ));
        assert!(matches!(
            Invite::parse("matinee://join/K7MQ2X?h=1.2.3.4:0&fp=AAAA"),
            Err(InviteError::Host(_))
        ));
    }
}
