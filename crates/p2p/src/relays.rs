//! Which iroh relays the endpoints use: iroh's public ones by default
//! (they forward encrypted packets between endpoints that cannot reach
//! each other directly, and help them find their public addresses), or
//! the ones a person names.

use std::path::PathBuf;
use std::sync::Arc;

use iroh::RelayMode;
use iroh::{RelayConfig, RelayMap, RelayUrl};

use crate::P2pError;

/// One or more iroh relay URLs (comma-separated), or `off`.
pub const RELAY_ENV: &str = "MATINEE_IROH_RELAY";
/// A PEM file of certificates to trust for the iroh relays besides the
/// web's authorities (a relay at home with its own certificate).
pub const RELAY_CA_ENV: &str = "MATINEE_IROH_RELAY_CA";

/// The UDP port an `https://` relay answers address-discovery probes on
/// when its URL names no port (iroh-relay's default).
const DEFAULT_QUIC_PORT: u16 = 7842;

/// The relays peer-to-peer connections use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum P2pRelays {
    /// iroh's public relays (run by n0).
    Public,
    /// These relays, in order.
    Custom(Vec<RelayUrl>),
    /// No peer-to-peer path at all.
    Off,
}

impl P2pRelays {
    /// `""`, `public` or `default`: iroh's public relays; `off`: none;
    /// else one or more `http(s)://` URLs, comma-separated.
    pub fn parse(text: &str) -> Result<Self, P2pError> {
        let text = text.trim();
        match text.to_ascii_lowercase().as_str() {
            "" | "public" | "default" => return Ok(Self::Public),
            "off" | "none" => return Ok(Self::Off),
            _ => {}
        }
        let urls = text
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(parse_url)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::Custom(urls))
    }

    /// From [`RELAY_ENV`]; iroh's public relays when it is unset.
    pub fn from_env() -> Result<Self, P2pError> {
        match std::env::var(RELAY_ENV) {
            Ok(v) => Self::parse(&v),
            Err(_) => Ok(Self::Public),
        }
    }

    pub fn is_off(&self) -> bool {
        matches!(self, Self::Off)
    }

    pub(crate) fn relay_mode(&self) -> RelayMode {
        match self {
            Self::Public => RelayMode::Default,
            Self::Off => RelayMode::Disabled,
            Self::Custom(urls) => RelayMode::Custom(RelayMap::from_iter(
                urls.iter()
                    .map(|url| Arc::new(RelayConfig::new(url.clone(), quic_probe(url)))),
            )),
        }
    }
}

/// Address discovery over QUIC needs the relay's TLS: an `http://` relay
/// has none (the endpoints still meet through it, and punch holes with
/// the addresses they see of each other).
fn quic_probe(url: &RelayUrl) -> Option<iroh_relay::RelayQuicConfig> {
    (url.scheme() == "https")
        .then(|| iroh_relay::RelayQuicConfig::new(url.port().unwrap_or(DEFAULT_QUIC_PORT)))
}

/// A relay URL a person typed: `http://` or `https://` with a host.
pub fn parse_url(text: &str) -> Result<RelayUrl, P2pError> {
    let bad = || P2pError::RelayUrl(text.chars().take(80).collect());
    let url: RelayUrl = text.parse().map_err(|_| bad())?;
    let ok =
        matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty());
    if ok {
        Ok(url)
    } else {
        Err(bad())
    }
}

/// The extra certificates of [`RELAY_CA_ENV`], when set.
pub(crate) fn extra_roots_from_env(
) -> Result<Vec<rustls_pki_types::CertificateDer<'static>>, P2pError> {
    let Some(path) = std::env::var_os(RELAY_CA_ENV)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
    else {
        return Ok(Vec::new());
    };
    use rustls_pki_types::pem::PemObject;
    let failed = |reason: String| P2pError::RelayCa {
        path: path.display().to_string(),
        reason,
    };
    let pem = std::fs::read(&path).map_err(|e| failed(e.to_string()))?;
    let certs = rustls_pki_types::CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| failed(format!("not a PEM certificate ({e})")))?;
    if certs.is_empty() {
        return Err(failed("holds no certificate".into()));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relays_are_read_as_people_write_them() {
        assert_eq!(P2pRelays::parse("").unwrap(), P2pRelays::Public);
        assert_eq!(P2pRelays::parse(" OFF ").unwrap(), P2pRelays::Off);
        let P2pRelays::Custom(urls) =
            P2pRelays::parse("http://5.5.5.2:3340, https://relay.example.com").unwrap()
        else {
            panic!("custom relays expected")
        };
        assert_eq!(urls.len(), 2);
        assert_eq!(urls[0].port(), Some(3340));
        for bad in [
            "ftp://x",
            "relay example",
            "http://",
            "wss://relay.example.com/ws",
        ] {
            let e = P2pRelays::parse(bad).unwrap_err();
            assert!(
                e.to_string().contains("is not an iroh relay address"),
                "{bad}: {e}"
            );
        }
        // Plain http relays do no address discovery; https ones probe QUIC
        // on their own port, or iroh-relay's default.
        assert!(quic_probe(&parse_url("http://5.5.5.2:3340").unwrap()).is_none());
        assert_eq!(
            quic_probe(&parse_url("https://5.5.5.2:3341").unwrap())
                .unwrap()
                .port,
            3341
        );
        assert_eq!(
            quic_probe(&parse_url("https://relay.example.com").unwrap())
                .unwrap()
                .port,
            DEFAULT_QUIC_PORT
        );
    }
}
