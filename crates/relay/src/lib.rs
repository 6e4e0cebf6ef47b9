//! The Matinee relay: rooms, authoritative playback state and fan-out over
//! WebSocket.
//!
//! A library first: the desktop app embeds it ("host on this computer"),
//! tests start it on an ephemeral loopback port, and the `matinee-relay`
//! binary runs it standalone.
//!
//! ```no_run
//! # async fn demo() -> Result<(), matinee_relay::RelayError> {
//! let relay = matinee_relay::start(matinee_relay::RelayConfig::loopback()).await?;
//! println!("clients connect to {}", relay.ws_url());
//! relay.shutdown().await;
//! # Ok(()) }
//! ```

mod clock;
mod cluster;
mod config;
mod connection;
mod error;
mod http;
mod landing;
mod limits;
mod listener;
mod metrics;
mod outbox;
mod p2p;
mod refusal;
mod registry;
mod room;
mod rooms;
mod serve;
mod syncplay;
#[cfg(feature = "testing")]
#[doc(hidden)]
pub mod testing;
mod tls;
mod tokens;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use clock::ServerClock;
pub use config::RelayConfig;
pub use error::RelayError;
pub use landing::deep_link;
pub use tls::TlsIdentity;

/// State every connection and room of one relay shares.
pub(crate) struct Shared {
    config: Arc<RelayConfig>,
    clock: ServerClock,
    metrics: Arc<metrics::Metrics>,
    registry: registry::Registry,
    join_throttle: limits::JoinThrottle,
    create_throttle: limits::JoinThrottle,
    /// WebSockets held per address.
    websockets: Arc<limits::HeldPerAddress>,
    /// Rooms open per address that created them.
    rooms_held: Arc<limits::HeldPerAddress>,
    tokens: Arc<tokens::TokenSigner>,
    shutdown: CancellationToken,
    /// WebSockets need TLS (the relay has a certificate).
    tls: bool,
    /// Syncplay clients may upgrade to TLS: the relay's certificate is its
    /// operator's (files), which Syncplay can verify; the app's
    /// self-signed one only Matinee can pin.
    syncplay_tls: Option<tokio_rustls::TlsAcceptor>,
    next_conn: AtomicU64,
    /// The other nodes, when rooms are shared through Redis.
    cluster: Option<Arc<cluster::Cluster>>,
    /// Where rooms keep their state for other nodes (the cluster, if any).
    room_store: Option<Arc<dyn room::RoomStore>>,
    /// Rooms here only, or across the cluster.
    rooms: rooms::Rooms,
    /// Shared subtitle bytes per address, across rooms.
    share_allowance: Arc<room::ShareAllowance>,
}

impl Shared {
    fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// What a room needs of the relay (and nothing else: no sockets, no
    /// other rooms, no Redis).
    fn room_env(&self) -> room::RoomEnv {
        room::RoomEnv {
            config: self.config.clone(),
            tokens: self.tokens.clone(),
            metrics: self.metrics.clone(),
            clock: self.clock,
            allowance: self.share_allowance.clone(),
        }
    }
}

/// A running relay.
pub struct RelayHandle {
    addr: SocketAddr,
    /// SHA-256 of the certificate, when the relay speaks TLS.
    fingerprint: Option<[u8; 32]>,
    clock: ServerClock,
    metrics: Arc<metrics::Metrics>,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), RelayError>>,
    /// The iroh relay beside it (`--iroh-relay`).
    iroh_relay: Option<matinee_p2p::IrohRelayServer>,
}

impl RelayHandle {
    /// Where the iroh relay beside this relay answers: its HTTPS URL when
    /// it has one, else its plain HTTP one.
    pub fn iroh_relay_url(&self) -> Option<String> {
        let server = self.iroh_relay.as_ref()?;
        match server.https_addr() {
            Some(addr) => Some(format!("https://{addr}")),
            None => server.http_addr().map(|addr| format!("http://{addr}")),
        }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The relay's clock now (ms since the Unix epoch), as it stamps
    /// messages; lets in-process tools measure clients' clock estimates.
    pub fn server_time_ms(&self) -> f64 {
        self.clock.now_ms()
    }

    /// The WebSocket URL clients connect to (`wss://` with TLS).
    pub fn ws_url(&self) -> String {
        let scheme = if self.fingerprint.is_some() {
            "wss"
        } else {
            "ws"
        };
        format!("{scheme}://{}/ws", self.addr)
    }

    /// The http base URL (health, metrics, invite pages). With TLS the
    /// same port also answers plain http for these.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SHA-256 of the relay's TLS certificate (what invites pin), when it
    /// speaks TLS.
    pub fn tls_fingerprint(&self) -> Option<[u8; 32]> {
        self.fingerprint
    }

    /// Clients connected now (Matinee's and Syncplay's).
    pub fn connections(&self) -> usize {
        usize::try_from(self.metrics.connections.get()).unwrap_or(0)
    }

    /// Closes every connection (with a `shutting_down` error) and stops.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        let _ = self.task.await;
        if let Some(server) = self.iroh_relay {
            server.shutdown().await;
        }
    }

    /// Runs until the server fails or is shut down from elsewhere.
    pub async fn wait(self) -> Result<(), RelayError> {
        let done = self.task.await.unwrap_or(Err(RelayError::Stopped));
        if let Some(server) = self.iroh_relay {
            server.shutdown().await;
        }
        done
    }

    /// A token that stops the relay when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }
}

/// Raises this process's soft limit of open files to its hard limit: every
/// socket is a file, and a low soft limit (often 1024, or 256) would let a
/// few hundred idle sockets lock everyone out.
fn raise_open_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open file limit"),
        Err(e) => tracing::warn!("could not raise the open file limit: {e}"),
    }
}

/// Binds `config.listen` and serves until shut down.
pub async fn start(config: RelayConfig) -> Result<RelayHandle, RelayError> {
    raise_open_file_limit();
    let mut tokens = tokens::TokenSigner::load(config.resume_secret_file.as_deref())
        .map_err(RelayError::Secret)?;
    let cluster = match &config.redis_url {
        Some(url) => Some(cluster::connect(url).await?),
        None => None,
    };
    if let (Some(c), None) = (&cluster, &config.resume_secret_file) {
        // Every node must accept the tokens any node minted.
        tokens = tokens::TokenSigner::shared(c.cluster.shared_secret(tokens.key()).await?);
    }
    let identity = config.tls_identity()?;
    let tls = identity.as_ref().map(|i| i.server_config()).transpose()?;
    let iroh_relay = match config.iroh_relay {
        None => None,
        Some(http) => {
            let https = match (config.iroh_relay_https, &tls) {
                (Some(addr), Some(tls)) => Some((addr, (**tls).clone())),
                (Some(_), None) => {
                    return Err(RelayError::Tls(
                        "--iroh-relay-https needs --tls-cert and --tls-key".into(),
                    ))
                }
                (None, _) => None,
            };
            let server = matinee_p2p::IrohRelayServer::start(http, https)
                .await
                .map_err(|e| RelayError::IrohRelay(e.to_string()))?;
            tracing::info!(http = ?server.http_addr(), https = ?server.https_addr(), "iroh relay listening");
            Some(server)
        }
    };
    let syncplay_tls = tls
        .clone()
        .filter(|_| config.tls.is_none())
        .map(tokio_rustls::TlsAcceptor::from);
    let tcp = listener::bind(config.listen).map_err(|source| RelayError::Bind {
        addr: config.listen,
        source,
    })?;
    let shutdown = CancellationToken::new();
    // Behind a reverse proxy every socket comes from the proxy: sockets are
    // then counted by the proxy, WebSockets per forwarded address here.
    let sockets = (!config.trust_forwarded_for)
        .then(|| limits::HeldPerAddress::new(config.max_sockets_per_address()));
    let listener = listener::RelayListener::start(
        tcp,
        tls,
        sockets,
        config.header_timeout(),
        shutdown.clone(),
    )
    .map_err(RelayError::Serve)?;
    let addr = listener.local_addr();
    let clock = ServerClock::new();
    let metrics = Arc::new(metrics::Metrics::new());
    let shared = Arc::new(Shared {
        join_throttle: limits::JoinThrottle::new(config.max_joins_per_minute),
        create_throttle: limits::JoinThrottle::new(config.max_creates_per_minute),
        websockets: limits::HeldPerAddress::new(config.max_connections_per_address),
        rooms_held: limits::HeldPerAddress::new(config.max_rooms_per_address),
        tokens: Arc::new(tokens),
        config: Arc::new(config),
        clock,
        metrics: metrics.clone(),
        registry: registry::Registry::default(),
        shutdown: shutdown.clone(),
        tls: identity.is_some(),
        syncplay_tls,
        // Connection ids start at a random point, so that ids from
        // different nodes of a cluster do not collide.
        next_conn: AtomicU64::new(u64::from(rand::random::<u32>()) << 32),
        share_allowance: Default::default(),
        cluster: cluster.as_ref().map(|c| c.cluster.clone()),
        room_store: cluster
            .as_ref()
            .map(|c| c.cluster.clone() as Arc<dyn room::RoomStore>),
        rooms: match &cluster {
            Some(c) => rooms::Rooms::Cluster(c.cluster.clone()),
            None => rooms::Rooms::Local,
        },
    });
    if let Some(c) = cluster {
        c.run(shared.clone());
    }
    let app = http::router(shared.clone());
    let stop = shutdown.clone();
    let p2p = shared.config.p2p.clone();
    let task = tokio::spawn(async move {
        serve::serve(listener, p2p, app, shared, stop).await;
        Ok(())
    });
    let fingerprint = identity.map(|i| i.fingerprint());
    tracing::info!(%addr, tls = fingerprint.is_some(), "relay listening");
    Ok(RelayHandle {
        addr,
        fingerprint,
        clock,
        metrics,
        shutdown,
        task,
        iroh_relay,
    })
}
