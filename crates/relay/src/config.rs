//! Relay settings, from flags or environment variables.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;

/// Matinee relay: rooms and playback sync for watch parties.
///
/// Every flag can also be set by the environment variable shown with it.
/// The relay speaks WebSocket at /ws and serves /healthz, /metrics and the
/// invite landing page /join/CODE on the same port. For TLS, give it a
/// certificate (--tls-cert, --tls-key) or put it behind a reverse proxy
/// (see the README).
#[derive(Debug, Clone, Parser)]
#[command(name = "matinee-relay", version)]
pub struct RelayConfig {
    /// Address and port to listen on. Use 0.0.0.0:7878 to accept friends
    /// from other machines.
    #[arg(long, env = "MATINEE_RELAY_LISTEN", default_value = "127.0.0.1:7878")]
    pub listen: SocketAddr,

    /// Public WebSocket URL of this relay (e.g. wss://relay.example.com/ws),
    /// used in invite links. Without it, links are built from the Host
    /// header of the request.
    #[arg(long, env = "MATINEE_RELAY_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Where people get the app (linked from the invite landing page).
    #[arg(long, env = "MATINEE_RELAY_DOWNLOAD_URL")]
    pub download_url: Option<String>,

    /// Largest WebSocket message accepted, in bytes.
    #[arg(long, env = "MATINEE_RELAY_MAX_FRAME_BYTES", default_value_t = 64 * 1024)]
    pub max_frame_bytes: usize,

    /// Messages per second allowed per connection (bursts of twice this).
    #[arg(long, env = "MATINEE_RELAY_MAX_MESSAGES_PER_SEC", default_value_t = 20)]
    pub max_messages_per_sec: u32,

    /// Join and resume attempts allowed per minute per IP address.
    #[arg(long, env = "MATINEE_RELAY_MAX_JOINS_PER_MINUTE", default_value_t = 20)]
    pub max_joins_per_minute: u32,

    /// Rooms one address may create per minute.
    #[arg(
        long,
        env = "MATINEE_RELAY_MAX_CREATES_PER_MINUTE",
        default_value_t = 10
    )]
    pub max_creates_per_minute: u32,

    /// Rooms created from one address that may be open at once.
    #[arg(long, env = "MATINEE_RELAY_MAX_ROOMS_PER_ADDRESS", default_value_t = 8)]
    pub max_rooms_per_address: usize,

    /// WebSocket connections one address may hold at once (an IPv6
    /// address counts by its /64). It may hold this many more plain HTTP
    /// sockets (invite pages, health checks) besides.
    #[arg(
        long,
        env = "MATINEE_RELAY_MAX_CONNECTIONS_PER_ADDRESS",
        default_value_t = 32
    )]
    pub max_connections_per_address: usize,

    /// Close an HTTP connection whose request headers have not fully
    /// arrived this many seconds after it opened or after its previous
    /// request (slow or silent clients, idle keep-alive).
    #[arg(
        long,
        env = "MATINEE_RELAY_HEADER_TIMEOUT_SECS",
        default_value_t = 10.0
    )]
    pub header_timeout_secs: f64,

    /// Participants allowed in one room.
    #[arg(long, env = "MATINEE_RELAY_MAX_PARTICIPANTS", default_value_t = 16)]
    pub max_participants: usize,

    /// Rooms this relay holds at once.
    #[arg(long, env = "MATINEE_RELAY_MAX_ROOMS", default_value_t = 1000)]
    pub max_rooms: usize,

    /// WebSocket connections this relay holds at once.
    #[arg(long, env = "MATINEE_RELAY_MAX_CONNECTIONS", default_value_t = 20_000)]
    pub max_connections: usize,

    /// Longest chat line, in characters.
    #[arg(long, env = "MATINEE_RELAY_MAX_CHAT_CHARS", default_value_t = 500)]
    pub max_chat_chars: usize,

    /// Close a connection that sends no message for this many seconds.
    #[arg(long, env = "MATINEE_RELAY_IDLE_TIMEOUT_SECS", default_value_t = 60.0)]
    pub idle_timeout_secs: f64,

    /// Close a connection that has not said hello after this many seconds.
    #[arg(long, env = "MATINEE_RELAY_HELLO_TIMEOUT_SECS", default_value_t = 10.0)]
    pub hello_timeout_secs: f64,

    /// How long a dropped participant's seat is kept for a resume, in seconds.
    #[arg(long, env = "MATINEE_RELAY_RESUME_GRACE_SECS", default_value_t = 30.0)]
    pub resume_grace_secs: f64,

    /// A file holding the key that signs resume tokens (made, readable by
    /// the owner only, when missing). With it, a restarted relay rebuilds
    /// rooms from what their members remember; without it, rooms end with
    /// the process.
    #[arg(long, env = "MATINEE_RELAY_RESUME_SECRET_FILE")]
    pub resume_secret_file: Option<std::path::PathBuf>,

    /// A token `/metrics` asks for (`Authorization: Bearer TOKEN`); without
    /// it, `/metrics` answers anyone (it shows counts only: connections,
    /// rooms, messages, errors, memory held for shared files).
    #[arg(long, env = "MATINEE_RELAY_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// How long a room with nobody connected is kept, in seconds.
    #[arg(long, env = "MATINEE_RELAY_ROOM_GRACE_SECS", default_value_t = 60.0)]
    pub room_grace_secs: f64,

    /// How long a room that never had a second member is kept once nobody
    /// is connected, in seconds.
    #[arg(
        long,
        env = "MATINEE_RELAY_LONELY_ROOM_GRACE_SECS",
        default_value_t = 15.0
    )]
    pub lonely_room_grace_secs: f64,

    /// How long the room waits for a participant who is buffering before
    /// it plays on without them (they show as catching up), in seconds.
    #[arg(
        long,
        env = "MATINEE_RELAY_MAX_BUFFERING_WAIT_SECS",
        default_value_t = 20.0
    )]
    pub max_buffering_wait_secs: f64,

    /// Series night: after a queue entry ends, the room goes on to the
    /// next this many seconds later (unless someone asks to wait).
    #[arg(
        long,
        env = "MATINEE_RELAY_NEXT_ENTRY_AFTER_SECS",
        default_value_t = 10.0
    )]
    pub next_entry_after_secs: f64,

    /// Bytes of shared subtitle text one room holds (the oldest files go
    /// first when a new one does not fit).
    #[arg(
        long,
        env = "MATINEE_RELAY_MAX_ROOM_SUBTITLE_BYTES",
        default_value_t = 4 * 1024 * 1024
    )]
    pub max_room_subtitle_bytes: usize,

    /// Bytes of shared subtitle text all rooms together hold; past it, new
    /// files are refused until rooms end.
    #[arg(
        long,
        env = "MATINEE_RELAY_MAX_SUBTITLE_BYTES",
        default_value_t = 256 * 1024 * 1024
    )]
    pub max_subtitle_bytes: usize,

    /// Bytes of subtitle text one member may share a minute.
    #[arg(
        long,
        env = "MATINEE_RELAY_MAX_SHARED_BYTES_PER_MINUTE",
        default_value_t = 4 * 1024 * 1024
    )]
    pub max_shared_bytes_per_minute: usize,

    /// Messages queued for one slow client before it is disconnected.
    #[arg(long, env = "MATINEE_RELAY_SEND_QUEUE", default_value_t = 256)]
    pub send_queue: usize,

    /// Interval of the room's periodic state and of RTT probes, in ms.
    #[arg(long, env = "MATINEE_RELAY_TICK_MS", default_value_t = 1000)]
    pub tick_ms: u64,

    /// Shortest delay before a scheduled start (ready check), in ms. The
    /// relay adds the slowest participant's RTT to it.
    #[arg(long, env = "MATINEE_RELAY_START_LEAD_MS", default_value_t = 500.0)]
    pub start_lead_ms: f64,

    /// Pause the room while a participant is buffering and resume together.
    #[arg(long, env = "MATINEE_RELAY_WAIT_FOR_BUFFERING", default_value_t = true,
          action = clap::ArgAction::Set)]
    pub wait_for_buffering: bool,

    /// Browser origins allowed to open WebSockets (comma-separated). Requests
    /// without an Origin header (the app, the CLI) are always allowed;
    /// requests from web pages (they carry an Origin) are refused unless
    /// their origin is listed.
    #[arg(long, env = "MATINEE_RELAY_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Take the client address from the X-Forwarded-For header (only
    /// behind a reverse proxy that sets it), for the join throttle.
    #[arg(long, env = "MATINEE_RELAY_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,

    /// Redis URL (redis://[:password@]host:port/db) to share rooms between
    /// several relay nodes behind a load balancer. Without it, rooms live
    /// in this process only.
    #[arg(long = "redis", env = "MATINEE_REDIS_URL")]
    pub redis_url: Option<String>,

    /// PEM certificate chain for TLS (with --tls-key). Clients then use
    /// wss://; the same port still answers plain http for /healthz and the
    /// invite pages, but not for WebSockets.
    #[arg(long, env = "MATINEE_RELAY_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,

    /// PEM private key of --tls-cert.
    #[arg(long, env = "MATINEE_RELAY_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,

    /// A certificate given in code (the app's self-signed one); takes the
    /// place of --tls-cert/--tls-key.
    #[arg(skip)]
    pub tls: Option<crate::tls::TlsIdentity>,

    /// A peer-to-peer endpoint given in code (the app's hosting): friends
    /// who cannot reach the relay's port dial it by id, and are served
    /// here like any other connection.
    #[arg(skip)]
    pub p2p: Option<std::sync::Arc<matinee_p2p::P2pHost>>,

    /// Also run an iroh relay at this address (plain HTTP; e.g.
    /// 0.0.0.0:3340): hosts behind carrier-grade NAT whose friends set it
    /// (MATINEE_IROH_RELAY=http://THIS-HOST:3340) meet them through it
    /// instead of iroh's public relays. It forwards encrypted packets only.
    #[arg(long, env = "MATINEE_RELAY_IROH_RELAY")]
    pub iroh_relay: Option<SocketAddr>,

    /// The iroh relay's HTTPS side (needs --tls-cert/--tls-key), which
    /// also answers QUIC address discovery on the same port over UDP: with
    /// it, endpoints learn their public addresses and punch holes.
    #[arg(long, env = "MATINEE_RELAY_IROH_RELAY_HTTPS", requires = "iroh_relay")]
    pub iroh_relay_https: Option<SocketAddr>,

    /// Log format: "text" or "json".
    #[arg(long, env = "MATINEE_RELAY_LOG_FORMAT", default_value = "text")]
    pub log_format: String,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig::parse_from(["matinee-relay"])
    }
}

impl RelayConfig {
    /// Defaults, listening on an ephemeral loopback port (for tests and for
    /// embedding).
    pub fn loopback() -> Self {
        Self {
            listen: "127.0.0.1:0".parse().expect("valid address"),
            ..Self::default()
        }
    }

    /// The certificate to serve, if any.
    pub(crate) fn tls_identity(
        &self,
    ) -> Result<Option<crate::tls::TlsIdentity>, crate::error::RelayError> {
        match (&self.tls, &self.tls_cert, &self.tls_key) {
            (Some(identity), _, _) => Ok(Some(identity.clone())),
            (None, Some(cert), Some(key)) => {
                crate::tls::TlsIdentity::from_pem_files(cert, key).map(Some)
            }
            (None, None, None) => Ok(None),
            _ => Err(crate::error::RelayError::Tls(
                "--tls-cert and --tls-key go together".into(),
            )),
        }
    }

    pub(crate) fn tick(&self) -> Duration {
        Duration::from_millis(self.tick_ms.max(10))
    }

    pub(crate) fn idle_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.idle_timeout_secs.max(0.1))
    }

    pub(crate) fn hello_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.hello_timeout_secs.max(0.1))
    }

    pub(crate) fn header_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.header_timeout_secs.max(0.1))
    }

    /// Sockets one address may hold: its WebSockets and as many others.
    pub(crate) fn max_sockets_per_address(&self) -> usize {
        self.max_connections_per_address.saturating_mul(2).max(1)
    }

    pub(crate) fn max_chat_chars(&self) -> usize {
        self.max_chat_chars.min(matinee_protocol::MAX_CHAT_CHARS)
    }
}
