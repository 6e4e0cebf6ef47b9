//! Whether friends outside the host's network can reach this computer, in
//! words for people.

use std::net::{IpAddr, SocketAddr};

pub use matinee_protocol::{is_global_ipv6, is_non_public};

use serde::Serialize;

/// What the host is told about their reachability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reachability {
    /// Port mapping is being tried.
    Checking,
    /// The router forwards a public port to the relay.
    Anywhere { method: String, public: SocketAddr },
    /// No mapped IPv4 port, but a global IPv6 address (reachable unless a
    /// firewall drops what comes in).
    Ipv6 { address: SocketAddr },
    /// Friends on the same network only.
    LocalNetwork { reason: LocalReason },
    /// The router's own internet address is shared or private: carrier-grade
    /// NAT (or a second router in front of this one).
    CarrierNat { router_address: Option<IpAddr> },
    /// The relay listens on loopback: only this computer.
    ThisComputer,
    /// Friends elsewhere reach the relay peer-to-peer (the router maps no
    /// port, or the provider's NAT is in front of it): iroh punches a
    /// hole, or passes the encrypted packets through its relay.
    PeerToPeer {
        /// The iroh relay the host is reachable through.
        relay: String,
        /// What the router alone allows.
        router: Box<Reachability>,
    },
}

/// Why the router did not open a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalReason {
    /// The router answers port mapping requests but granted none.
    Refused,
    /// Nothing on the network answers UPnP, NAT-PMP or PCP.
    NoPortMapping,
    /// No default route: not on a network with a router.
    NoRouter,
}

impl Reachability {
    /// One sentence for the lobby and the room.
    pub fn message(&self) -> String {
        match self {
            Self::Checking => "Checking whether friends outside your network can reach you…".into(),
            Self::Anywhere { method, public } => format!(
                "Friends anywhere can join (direct connection through your router: {method}, {public})"
            ),
            Self::PeerToPeer { relay, router } => {
                let host = relay_host(relay);
                let why = match **router {
                    Self::CarrierNat { .. } => {
                        "your provider shares its internet address among many homes"
                    }
                    Self::LocalNetwork {
                        reason: LocalReason::Refused,
                    } => "your router refused to open a port",
                    _ => "your router opens no port",
                };
                format!(
                    "Friends anywhere can join (peer-to-peer, since {why}; they meet you \
                     through {host}, which passes on only encrypted packets)"
                )
            }
            Self::Ipv6 { address } => format!(
                "Friends with IPv6 can join ({address}); others only from your network: \
                 the router did not open a port for IPv4"
            ),
            Self::LocalNetwork { reason } => match reason {
                LocalReason::Refused => "Only your network can reach you: the router refused \
                                         port mapping (UPnP or NAT-PMP may be off in its settings)"
                    .into(),
                LocalReason::NoPortMapping => "Only your network can reach you: the router offers \
                                               no port mapping (turn on UPnP or NAT-PMP in its \
                                               settings, or use a relay: Settings → Relay)"
                    .into(),
                LocalReason::NoRouter => {
                    "Only your network can reach you: no router was found".into()
                }
            },
            Self::CarrierNat { .. } => "Your provider shares one internet address among many \
                                        homes (carrier-grade NAT), so friends outside cannot \
                                        reach this computer: use a relay (Settings → Relay; \
                                        README: running a relay)"
                .into(),
            Self::ThisComputer => "Only this computer can join: the relay listens on loopback \
                                   (MATINEE_HOST_LISTEN)"
                .into(),
        }
    }

    /// The public address invites should carry, if any.
    pub fn public(&self) -> Option<SocketAddr> {
        match self {
            Self::Anywhere { public, .. } => Some(*public),
            _ => None,
        }
    }

    /// Friends in other homes can join.
    pub fn reaches_internet(&self) -> bool {
        matches!(
            self,
            Self::Anywhere { .. } | Self::Ipv6 { .. } | Self::PeerToPeer { .. }
        )
    }

    /// What the router alone allows (without the peer-to-peer path).
    pub fn router(&self) -> &Reachability {
        match self {
            Self::PeerToPeer { router, .. } => router,
            other => other,
        }
    }
}

/// `relay.example.com` of `https://relay.example.com./`.
fn relay_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split('/').next().unwrap_or(rest);
    host.trim_end_matches('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_to_do() {
        let anywhere = Reachability::Anywhere {
            method: "UPnP".into(),
            public: "5.5.5.1:7878".parse().unwrap(),
        };
        assert_eq!(
            anywhere.message(),
            "Friends anywhere can join (direct connection through your router: UPnP, 5.5.5.1:7878)"
        );
        let p2p = Reachability::PeerToPeer {
            relay: "https://euc1-1.relay.n0.iroh.link./".into(),
            router: Box::new(Reachability::CarrierNat {
                router_address: None,
            }),
        };
        assert!(p2p.reaches_internet());
        assert_eq!(
            p2p.message(),
            "Friends anywhere can join (peer-to-peer, since your provider shares its internet \
             address among many homes; they meet you through euc1-1.relay.n0.iroh.link, which \
             passes on only encrypted packets)"
        );
        assert!(!p2p.message().contains("use a relay"));
        assert_eq!(
            p2p.router(),
            &Reachability::CarrierNat {
                router_address: None
            }
        );
        assert!(Reachability::CarrierNat {
            router_address: None
        }
        .message()
        .contains("carrier-grade NAT"));
        assert!(Reachability::LocalNetwork {
            reason: LocalReason::Refused
        }
        .message()
        .starts_with("Only your network can reach you: the router refused port mapping"));
    }
}
