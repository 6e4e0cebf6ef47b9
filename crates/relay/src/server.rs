//! Starting a relay, and the handle to a running one.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::clock::ServerClock;
use crate::config::RelayConfig;
use crate::error::RelayError;
use crate::iroh_beside::{self, IrohBeside};
use crate::limits::{HeldPerAddress, JoinThrottle};
use crate::metrics::Metrics;
use crate::room::{Registry, RoomEnv, RoomHost, RoomStore};
use crate::rooms::Rooms;
use crate::shared::Shared;
use crate::tokens::TokenSigner;
use crate::{cluster, http, listener, serve};

/// A running relay.
pub struct RelayHandle {
    addr: SocketAddr,
    /// SHA-256 of the certificate, when the relay speaks TLS.
    fingerprint: Option<[u8; 32]>,
    clock: ServerClock,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), RelayError>>,
    /// The iroh relay beside it (`--iroh-relay`).
    iroh_relay: Option<IrohBeside>,
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
    let mut tokens =
        TokenSigner::load(config.resume_secret_file.as_deref()).map_err(RelayError::Secret)?;
    let cluster = match &config.redis_url {
        Some(url) => Some(cluster::connect(url).await?),
        None => None,
    };
    if let (Some(c), None) = (&cluster, &config.resume_secret_file) {
        // Every node must accept the tokens any node minted.
        tokens = TokenSigner::shared(c.cluster.shared_secret(tokens.key()).await?);
    }
    let identity = config.tls_identity()?;
    let tls = identity.as_ref().map(|i| i.server_config()).transpose()?;
    let iroh_relay = iroh_beside::start(&config, tls.as_ref()).await?;
    let syncplay_tls = tls
        .clone()
        .filter(|_| config.tls.is_none())
        .map(tokio_rustls::TlsAcceptor::from);
    let shutdown = CancellationToken::new();
    let listener = listen(&config, tls, shutdown.clone())?;
    let addr = listener.local_addr();
    let clock = ServerClock::new();
    let metrics = Arc::new(Metrics::new());
    let config = Arc::new(config);
    let tokens = Arc::new(tokens);
    let host = Arc::new(RoomHost {
        env: RoomEnv {
            config: config.clone(),
            tokens: tokens.clone(),
            metrics: metrics.clone(),
            clock,
            allowance: Default::default(),
        },
        registry: Registry::default(),
        store: cluster
            .as_ref()
            .map(|c| c.cluster.clone() as Arc<dyn RoomStore>),
        shutdown: shutdown.clone(),
    });
    let shared = Arc::new(Shared {
        join_throttle: JoinThrottle::new(config.max_joins_per_minute),
        create_throttle: JoinThrottle::new(config.max_creates_per_minute),
        websockets: HeldPerAddress::new(config.max_connections_per_address),
        rooms_held: HeldPerAddress::new(config.max_rooms_per_address),
        config,
        clock,
        metrics: metrics.clone(),
        tokens,
        shutdown: shutdown.clone(),
        tls: identity.is_some(),
        syncplay_tls,
        cluster: cluster.as_ref().map(|c| c.cluster.clone()),
        rooms: Rooms::new(host.clone(), cluster.as_ref().map(|c| c.cluster.clone())),
        next_conn: Shared::first_conn_ids(),
    });
    if let Some(c) = cluster {
        c.run(host);
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

/// Binds `config.listen` and starts accepting (TLS, header timeout, sockets
/// per address).
fn listen(
    config: &RelayConfig,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: CancellationToken,
) -> Result<listener::RelayListener, RelayError> {
    let tcp = listener::bind(config.listen).map_err(|source| RelayError::Bind {
        addr: config.listen,
        source,
    })?;
    // Behind a reverse proxy every socket comes from the proxy: sockets are
    // then counted by the proxy, WebSockets per forwarded address here.
    let sockets = (!config.trust_forwarded_for)
        .then(|| HeldPerAddress::new(config.max_sockets_per_address()));
    listener::RelayListener::start(tcp, tls, sockets, config.header_timeout(), shutdown)
        .map_err(RelayError::Serve)
}
