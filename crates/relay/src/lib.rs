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
mod metrics;
mod outbox;
mod registry;
mod room;
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

/// State every connection and room of one relay shares.
pub(crate) struct Shared {
    config: RelayConfig,
    clock: ServerClock,
    metrics: metrics::Metrics,
    registry: registry::Registry,
    join_throttle: limits::JoinThrottle,
    tokens: tokens::TokenSigner,
    shutdown: CancellationToken,
    next_conn: AtomicU64,
    /// The other nodes, when rooms are shared through Redis.
    cluster: Option<Arc<cluster::Cluster>>,
}

impl Shared {
    fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// The room `code`: on this relay, or (with Redis) on any node.
    async fn find_room(
        &self,
        code: &matinee_protocol::RoomCode,
        this: &Arc<Shared>,
    ) -> Result<Option<room::RoomHandle>, room::Refusal> {
        match &self.cluster {
            None => Ok(self.registry.get(code)),
            Some(cluster) => cluster.find(this, code).await,
        }
    }
}

/// A running relay.
pub struct RelayHandle {
    addr: SocketAddr,
    clock: ServerClock,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), RelayError>>,
}

impl RelayHandle {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The relay's clock now (ms since the Unix epoch), as it stamps
    /// messages; lets in-process tools measure clients' clock estimates.
    pub fn server_time_ms(&self) -> f64 {
        self.clock.now_ms()
    }

    /// The WebSocket URL clients connect to.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// The http base URL (health, metrics, invite pages).
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Closes every connection (with a `shutting_down` error) and stops.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        let _ = self.task.await;
    }

    /// Runs until the server fails or is shut down from elsewhere.
    pub async fn wait(self) -> Result<(), RelayError> {
        self.task.await.unwrap_or(Err(RelayError::Stopped))
    }

    /// A token that stops the relay when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }
}

/// Binds `config.listen` and serves until shut down.
pub async fn start(config: RelayConfig) -> Result<RelayHandle, RelayError> {
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
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| RelayError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(RelayError::Serve)?;
    // Small frames go out at once: Nagle's algorithm would hold a second
    // message (a notice after a state) until the first is acknowledged.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("could not set TCP_NODELAY: {e}");
        }
    });
    let shutdown = CancellationToken::new();
    let clock = ServerClock::new();
    let shared = Arc::new(Shared {
        join_throttle: limits::JoinThrottle::new(config.max_joins_per_minute),
        tokens,
        config,
        clock,
        metrics: metrics::Metrics::new(),
        registry: registry::Registry::default(),
        shutdown: shutdown.clone(),
        // Connection ids start at a random point, so that ids from
        // different nodes of a cluster do not collide.
        next_conn: AtomicU64::new(u64::from(rand::random::<u32>()) << 32),
        cluster: cluster.as_ref().map(|c| c.cluster.clone()),
    });
    if let Some(c) = cluster {
        c.run(shared.clone());
    }
    let app = http::router(shared).into_make_service_with_connect_info::<SocketAddr>();
    let stop = shutdown.clone();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await
            .map_err(RelayError::Serve)
    });
    tracing::info!(%addr, "relay listening");
    Ok(RelayHandle {
        addr,
        clock,
        shutdown,
        task,
    })
}
