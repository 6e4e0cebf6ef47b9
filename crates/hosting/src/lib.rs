//! Hosting a room on this computer: the relay embedded in the app (and in
//! `matinee-cli host`), always with TLS under a certificate made once per
//! install, a port mapped on the home router, and invites that carry every
//! address friends might reach it by plus the certificate's fingerprint.
//!
//! ```no_run
//! # async fn demo() -> Result<(), matinee_hosting::HostingError> {
//! let dir = std::path::Path::new("/tmp/matinee");
//! let hosting = matinee_hosting::Hosting::start(matinee_hosting::HostOptions::new(dir)).await?;
//! println!("{}", hosting.reachability().borrow().message());
//! hosting.shutdown().await;
//! # Ok(()) }
//! ```

mod addresses;
mod portmap;
mod reach;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;

use matinee_protocol::{Invite, RelayEndpoint, RoomCode, MAX_CANDIDATES};
use matinee_relay::{RelayConfig, RelayHandle, TlsIdentity};
use tokio::sync::watch;

pub use addresses::{global_ipv6, lan_ipv4};
pub use portmap::{clean_left_mapping, PortMapping, RECORD_FILE};
pub use reach::{is_global_ipv6, is_non_public, LocalReason, Reachability};

/// The port friends' apps try first.
pub const DEFAULT_PORT: u16 = 7878;

/// Where the embedded relay listens instead, e.g. `127.0.0.1:47878`
/// (loopback only: no port mapping) or `0.0.0.0:9000`.
pub const LISTEN_ENV: &str = "MATINEE_HOST_LISTEN";

/// Most LAN addresses an invite carries (a computer with container
/// bridges has many).
const MAX_LAN: usize = 3;

/// Why hosting could not start.
#[derive(Debug, thiserror::Error)]
pub enum HostingError {
    #[error("{LISTEN_ENV}={0} is not an address such as 127.0.0.1:7878")]
    BadListen(String),
    #[error(transparent)]
    Relay(#[from] matinee_relay::RelayError),
}

/// How to host.
#[derive(Debug, Clone)]
pub struct HostOptions {
    /// Where the certificate, the resume key and the mapping record live.
    pub config_dir: PathBuf,
    /// An exact address to listen on; None: all interfaces, port 7878 if
    /// free, else any.
    pub listen: Option<SocketAddr>,
    /// Ask the router for a port (only when listening beyond loopback).
    pub port_mapping: bool,
}

impl HostOptions {
    /// All interfaces, port mapping on.
    pub fn new(config_dir: impl Into<PathBuf>) -> Self {
        Self {
            config_dir: config_dir.into(),
            listen: None,
            port_mapping: true,
        }
    }

    /// [`HostOptions::new`], with the listen address from
    /// `MATINEE_HOST_LISTEN` when set.
    pub fn from_env(config_dir: impl Into<PathBuf>) -> Result<Self, HostingError> {
        let mut options = Self::new(config_dir);
        if let Some(listen) = std::env::var(LISTEN_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            options.listen = Some(
                listen
                    .trim()
                    .parse()
                    .map_err(|_| HostingError::BadListen(listen.clone()))?,
            );
        }
        Ok(options)
    }
}

/// A relay hosted here, and how friends reach it.
pub struct Hosting {
    relay: RelayHandle,
    fingerprint: [u8; 32],
    reach: watch::Receiver<Reachability>,
    mapping: Option<PortMapping>,
}

async fn start_relay(
    listen: SocketAddr,
    options: &HostOptions,
    tls: &TlsIdentity,
) -> Result<RelayHandle, matinee_relay::RelayError> {
    matinee_relay::start(RelayConfig {
        listen,
        resume_secret_file: Some(options.config_dir.join("relay-resume-secret")),
        tls: Some(tls.clone()),
        ..RelayConfig::default()
    })
    .await
}

impl Hosting {
    /// Starts the relay (TLS always) and, in the background, the port
    /// mapping: the relay is usable at once.
    pub async fn start(options: HostOptions) -> Result<Self, HostingError> {
        let tls = TlsIdentity::self_signed_in(&options.config_dir)?;
        let relay = match options.listen {
            Some(listen) => start_relay(listen, &options, &tls).await?,
            None => {
                let any6 = |port| SocketAddr::from((Ipv6Addr::UNSPECIFIED, port));
                let any4 = |port| SocketAddr::from((Ipv4Addr::UNSPECIFIED, port));
                let mut started = Err(None);
                for listen in [any6(DEFAULT_PORT), any6(0), any4(DEFAULT_PORT), any4(0)] {
                    match start_relay(listen, &options, &tls).await {
                        Ok(relay) => {
                            started = Ok(relay);
                            break;
                        }
                        Err(e) => {
                            tracing::debug!("cannot host on {listen}: {e}");
                            started = Err(Some(e));
                        }
                    }
                }
                started.map_err(|e| e.expect("tried at least once"))?
            }
        };
        let loopback = relay.addr().ip().is_loopback();
        let (reach_tx, reach) = watch::channel(if loopback {
            Reachability::ThisComputer
        } else {
            Reachability::Checking
        });
        let mapping = if loopback || !options.port_mapping {
            if !loopback {
                reach_tx.send_replace(Reachability::LocalNetwork {
                    reason: LocalReason::NoPortMapping,
                });
            }
            None
        } else {
            clean_left_mapping(&options.config_dir).await;
            let addr = relay.addr();
            let ipv6 = (addr.is_ipv6() && addr.ip().is_unspecified())
                .then(|| {
                    global_ipv6()
                        .first()
                        .map(|ip| SocketAddr::new(*ip, addr.port()))
                })
                .flatten();
            Some(PortMapping::start(
                addr.port(),
                ipv6,
                &options.config_dir,
                reach_tx,
            ))
        };
        Ok(Self {
            fingerprint: relay.tls_fingerprint().expect("the embedded relay has TLS"),
            relay,
            reach,
            mapping,
        })
    }

    /// The relay itself.
    pub fn relay(&self) -> &RelayHandle {
        &self.relay
    }

    /// SHA-256 of the relay's certificate.
    pub fn fingerprint(&self) -> [u8; 32] {
        self.fingerprint
    }

    /// How this computer's own session reaches the relay.
    pub fn local_endpoint(&self) -> RelayEndpoint {
        let addr = self.relay.addr();
        let ip = match addr.ip() {
            ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            ip => ip,
        };
        RelayEndpoint {
            url: format!("wss://{}/ws", SocketAddr::new(ip, addr.port())),
            pin: Some(self.fingerprint),
        }
    }

    /// Whether friends elsewhere can reach the relay; changes as the
    /// router answers.
    pub fn reachability(&self) -> watch::Receiver<Reachability> {
        self.reach.clone()
    }

    /// Every address friends may reach the relay by, in the order to try
    /// them: LAN first (the direct path for friends at home), then global
    /// IPv6, then the router's mapped public address.
    pub fn candidates(&self) -> Vec<SocketAddr> {
        let addr = self.relay.addr();
        let port = addr.port();
        let mut out: Vec<SocketAddr> = Vec::new();
        if addr.ip().is_loopback() {
            out.push(addr);
            return out;
        }
        let any = addr.ip().is_unspecified();
        if any || addr.is_ipv4() {
            let lan = lan_ipv4();
            let lan: Vec<IpAddr> = if any {
                lan
            } else {
                lan.into_iter().filter(|ip| *ip == addr.ip()).collect()
            };
            out.extend(
                lan.into_iter()
                    .take(MAX_LAN)
                    .map(|ip| SocketAddr::new(ip, port)),
            );
        }
        if addr.is_ipv6() {
            out.extend(
                global_ipv6()
                    .into_iter()
                    .take(1)
                    .map(|ip| SocketAddr::new(ip, port)),
            );
        }
        if let Some(public) = self.reach.borrow().public() {
            out.push(public);
        }
        out.dedup();
        out.truncate(MAX_CANDIDATES);
        out
    }

    /// The invite to a room on this relay.
    pub fn invite(&self, code: &RoomCode) -> Invite {
        let hosts = self.candidates().iter().map(ToString::to_string).collect();
        Invite::to_host(code.clone(), hosts, self.fingerprint)
    }

    /// The landing page (plain http on the relay's port, so browsers show
    /// no certificate warning), at the address most likely to work for a
    /// friend elsewhere.
    pub fn landing_link(&self, invite: &Invite) -> Option<String> {
        let best = self.best_address(invite)?;
        Some(invite.landing_link(&format!("http://{best}")))
    }

    /// The address friends most likely reach (`host:port`): the public one
    /// when the router maps a port, else the invite's first. A friend on
    /// Syncplay types it as the server (the relay speaks Syncplay too).
    pub fn best_address(&self, invite: &Invite) -> Option<String> {
        match self.reach.borrow().public() {
            Some(public) => Some(public.to_string()),
            None => invite.hosts.first().cloned(),
        }
    }

    /// Releases the port mapping and stops the relay.
    pub async fn shutdown(self) {
        if let Some(mapping) = self.mapping {
            mapping.release().await;
        }
        self.relay.shutdown().await;
    }
}
