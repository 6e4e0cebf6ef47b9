//! Hosting a room on this computer: the relay embedded in the app (and in
//! `matinee-cli host`), always with TLS under a certificate made once per
//! install, a port mapped on the home router, a peer-to-peer endpoint for
//! when the router cannot help (carrier-grade NAT, no port mapping), and
//! invites that carry every address friends might reach it by plus the
//! certificate's fingerprint and the endpoint's id.
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
use std::sync::Arc;
use std::time::Duration;

use matinee_p2p::{P2pHost, P2pRelays};

use matinee_protocol::{Invite, P2pRoute, RelayEndpoint, RoomCode, MAX_CANDIDATES};
use matinee_relay::{RelayConfig, RelayHandle, TlsIdentity};
use tokio::sync::watch;
use tokio_util::task::AbortOnDropHandle;

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
/// Peer-to-peer connections the embedded relay takes at once (a room
/// holds 16; reconnects overlap).
const MAX_P2P_CONNECTIONS: usize = 64;
/// How often the peer-to-peer endpoint's home relay is looked at (it
/// connects in the background, and reconnects after a network change).
const P2P_CHECK: Duration = Duration::from_secs(2);

/// Why hosting could not start.
#[derive(Debug, thiserror::Error)]
pub enum HostingError {
    #[error("{LISTEN_ENV}={0} is not an address such as 127.0.0.1:7878")]
    BadListen(String),
    #[error(transparent)]
    Relay(#[from] matinee_relay::RelayError),
    #[error("{0}")]
    P2p(#[from] matinee_p2p::P2pError),
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
    /// The iroh relays of the peer-to-peer endpoint (off: none).
    pub p2p: P2pRelays,
}

impl HostOptions {
    /// All interfaces, port mapping on, no peer-to-peer endpoint.
    pub fn new(config_dir: impl Into<PathBuf>) -> Self {
        Self {
            config_dir: config_dir.into(),
            listen: None,
            port_mapping: true,
            p2p: P2pRelays::Off,
        }
    }

    /// [`HostOptions::new`], with the listen address from
    /// `MATINEE_HOST_LISTEN` when set, and the peer-to-peer endpoint on
    /// with the relays of `MATINEE_IROH_RELAY` (iroh's public ones when
    /// unset).
    pub fn from_env(config_dir: impl Into<PathBuf>) -> Result<Self, HostingError> {
        let mut options = Self::new(config_dir);
        options.p2p = P2pRelays::from_env()?;
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
    p2p: Option<Arc<P2pHost>>,
    /// The peer-to-peer endpoint's home relay, once it has one.
    p2p_relay: watch::Receiver<Option<String>>,
    /// Keep the reachability up to date (end with the hosting).
    _watching: Vec<AbortOnDropHandle<()>>,
}

async fn start_relay(
    listen: SocketAddr,
    options: &HostOptions,
    tls: &TlsIdentity,
    p2p: Option<Arc<P2pHost>>,
) -> Result<RelayHandle, matinee_relay::RelayError> {
    matinee_relay::start(RelayConfig {
        listen,
        resume_secret_file: Some(options.config_dir.join("relay-resume-secret")),
        tls: Some(tls.clone()),
        p2p,
        ..RelayConfig::default()
    })
    .await
}

/// The peer-to-peer endpoint, with the key kept in the config directory.
/// A failure is not fatal: hosting goes on without it (and the log says
/// why).
async fn start_p2p(options: &HostOptions) -> Option<Arc<P2pHost>> {
    // A relay on loopback is for this computer only.
    let loopback = options.listen.is_some_and(|l| l.ip().is_loopback());
    if options.p2p.is_off() || loopback {
        return None;
    }
    let started = async {
        let key = matinee_p2p::load_or_create_key(&options.config_dir)?;
        P2pHost::start(key.key, &options.p2p, MAX_P2P_CONNECTIONS).await
    };
    match started.await {
        Ok(host) => {
            tracing::info!("peer-to-peer endpoint started");
            Some(Arc::new(host))
        }
        Err(e) => {
            tracing::warn!("no peer-to-peer path: {e}");
            None
        }
    }
}

/// Follows the endpoint's home relay.
async fn follow_home_relay(host: Arc<P2pHost>, tx: watch::Sender<Option<String>>) {
    loop {
        let relay = host.home_relay(P2P_CHECK).await;
        if *tx.borrow() != relay {
            match &relay {
                Some(url) => tracing::info!(%url, "reachable peer-to-peer"),
                None => tracing::info!("the peer-to-peer relay is out of reach"),
            }
            tx.send_replace(relay.clone());
        }
        if tx.is_closed() {
            return;
        }
        tokio::time::sleep(P2P_CHECK).await;
    }
}

/// What friends can do: the router's answer, or the peer-to-peer path
/// when the router alone does not let them in.
fn combined(router: &Reachability, p2p_relay: &Option<String>) -> Reachability {
    match (router, p2p_relay) {
        (
            Reachability::Anywhere { .. } | Reachability::ThisComputer | Reachability::Checking,
            _,
        )
        | (_, None) => router.clone(),
        (router, Some(relay)) => Reachability::PeerToPeer {
            relay: relay.clone(),
            router: Box::new(router.clone()),
        },
    }
}

/// Publishes the combination of the router's answers and the endpoint's
/// home relay as either changes.
async fn combine(
    mut router: watch::Receiver<Reachability>,
    mut p2p: watch::Receiver<Option<String>>,
    out: watch::Sender<Reachability>,
) {
    let mut p2p_open = true;
    loop {
        let now = combined(&router.borrow_and_update(), &p2p.borrow_and_update());
        out.send_if_modified(|shown| {
            let changed = *shown != now;
            *shown = now;
            changed
        });
        tokio::select! {
            r = router.changed() => if r.is_err() { return },
            r = p2p.changed(), if p2p_open => p2p_open = r.is_ok(),
        }
    }
}

impl Hosting {
    /// Starts the relay (TLS always) and, in the background, the port
    /// mapping: the relay is usable at once.
    pub async fn start(options: HostOptions) -> Result<Self, HostingError> {
        let tls = TlsIdentity::self_signed_in(&options.config_dir)?;
        let p2p = start_p2p(&options).await;
        let relay = match options.listen {
            Some(listen) => start_relay(listen, &options, &tls, p2p.clone()).await?,
            None => {
                let any6 = |port| SocketAddr::from((Ipv6Addr::UNSPECIFIED, port));
                let any4 = |port| SocketAddr::from((Ipv4Addr::UNSPECIFIED, port));
                let mut started = Err(None);
                for listen in [any6(DEFAULT_PORT), any6(0), any4(DEFAULT_PORT), any4(0)] {
                    match start_relay(listen, &options, &tls, p2p.clone()).await {
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
        let (reach_tx, router) = watch::channel(if loopback {
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
        let (p2p_tx, p2p_relay) = watch::channel(None);
        let (shown_tx, reach) = watch::channel(router.borrow().clone());
        let mut tasks = vec![AbortOnDropHandle::new(tokio::spawn(combine(
            router,
            p2p_relay.clone(),
            shown_tx,
        )))];
        match &p2p {
            // A relay on loopback is for this computer only.
            Some(host) if !loopback => {
                tasks.push(AbortOnDropHandle::new(tokio::spawn(follow_home_relay(
                    host.clone(),
                    p2p_tx,
                ))));
            }
            _ => drop(p2p_tx),
        }
        Ok(Self {
            fingerprint: relay.tls_fingerprint().expect("the embedded relay has TLS"),
            relay,
            reach,
            mapping,
            p2p,
            p2p_relay,
            _watching: tasks,
        })
    }

    /// The peer-to-peer route invites carry, once the endpoint has a home
    /// relay.
    pub fn p2p_route(&self) -> Option<P2pRoute> {
        let host = self.p2p.as_ref()?;
        let relay = self.p2p_relay.borrow().clone()?;
        Some(P2pRoute {
            id: host.id(),
            relay: Some(relay),
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
            p2p: None,
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
        let invite = Invite::to_host(code.clone(), hosts, self.fingerprint);
        match self.p2p_route() {
            Some(route) => invite.with_p2p(route),
            None => invite,
        }
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
        if let Some(p2p) = self.p2p {
            p2p.close().await;
        }
    }
}
