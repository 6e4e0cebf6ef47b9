//! The host's side: an endpoint beside the relay's TCP listener, whose
//! accepted connections become byte streams for the relay to serve.
//!
//! Endpoint ids cost nothing to make, so nothing here trusts one: the
//! number of peer-to-peer connections is capped as a whole, each one
//! gets one stream, and a handshake that stalls is dropped. The relay's
//! own limits (frames, rates, idle time, quotas) apply on top.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use iroh::endpoint::{presets, IncomingAddr, QuicTransportConfig, VarInt};
use iroh::{Endpoint, SecretKey};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio_util::task::AbortOnDropHandle;

use crate::{P2pError, P2pPath, P2pRelays, P2pStream, ALPN};

/// Longest time from a peer's first packet to its first stream.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);
/// Accepted streams waiting for the relay to take them.
const QUEUE: usize = 16;

/// A friend's connection, ready to be served.
pub struct P2pIncoming {
    pub stream: P2pStream,
    /// The peer's address when its first packet came straight from it
    /// (else it came through a relay, and the address is unknown).
    pub direct: Option<SocketAddr>,
    /// The connection's place among the peer-to-peer connections; given
    /// back when dropped.
    pub place: OwnedSemaphorePermit,
}

/// The host's endpoint.
pub struct P2pHost {
    endpoint: Endpoint,
    incoming: tokio::sync::Mutex<mpsc::Receiver<P2pIncoming>>,
    _accepting: AbortOnDropHandle<()>,
}

/// The transport settings both sides use: one stream a connection, and
/// keep-alives so that routers keep the punched hole open while a film
/// is paused.
pub(crate) fn transport(streams: u32) -> QuicTransportConfig {
    QuicTransportConfig::builder()
        .max_concurrent_bidi_streams(VarInt::from_u32(streams))
        .max_concurrent_uni_streams(VarInt::from_u32(0))
        .keep_alive_interval(Duration::from_secs(5))
        .build()
}

/// An endpoint with `relays`, and the extra relay certificates of the
/// environment.
pub(crate) async fn bind(
    key: Option<SecretKey>,
    relays: &P2pRelays,
    alpns: Vec<Vec<u8>>,
    streams: u32,
) -> Result<Endpoint, P2pError> {
    let mut builder = Endpoint::builder(presets::Minimal)
        .relay_mode(relays.relay_mode())
        .alpns(alpns)
        .transport_config(transport(streams));
    if let Some(key) = key {
        builder = builder.secret_key(key);
    }
    let extra = crate::relays::extra_roots_from_env()?;
    if !extra.is_empty() {
        builder =
            builder.ca_tls_config(iroh_relay::tls::CaTlsConfig::embedded().with_extra_roots(extra));
    }
    builder
        .bind()
        .await
        .map_err(|e| P2pError::Bind(e.to_string()))
}

impl std::fmt::Debug for P2pHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("P2pHost")
            .field("id", &self.endpoint.id().to_string())
            .finish()
    }
}

impl P2pHost {
    /// Binds the endpoint with `key` and starts accepting; at most
    /// `max_connections` peer-to-peer connections at once.
    pub async fn start(
        key: SecretKey,
        relays: &P2pRelays,
        max_connections: usize,
    ) -> Result<Self, P2pError> {
        let endpoint = bind(Some(key), relays, vec![ALPN.to_vec()], 1).await?;
        let (tx, rx) = mpsc::channel(QUEUE);
        let places = Arc::new(Semaphore::new(max_connections.max(1)));
        let accepting = tokio::spawn(accept_loop(endpoint.clone(), places, tx));
        Ok(Self {
            endpoint,
            incoming: tokio::sync::Mutex::new(rx),
            _accepting: AbortOnDropHandle::new(accepting),
        })
    }

    /// The endpoint id friends dial.
    pub fn id(&self) -> crate::EndpointId {
        *self.endpoint.id().as_bytes()
    }

    /// The relay this endpoint is reachable through, once it has one
    /// (waits up to `within`).
    pub async fn home_relay(&self, within: Duration) -> Option<String> {
        let _ = tokio::time::timeout(within, self.endpoint.online()).await;
        self.endpoint
            .addr()
            .relay_urls()
            .next()
            .map(|u| u.to_string())
    }

    /// The next friend's stream; None once the endpoint closed.
    pub async fn next(&self) -> Option<P2pIncoming> {
        self.incoming.lock().await.recv().await
    }

    /// Closes every peer-to-peer connection.
    pub async fn close(&self) {
        self.endpoint.close().await;
    }
}

async fn accept_loop(endpoint: Endpoint, places: Arc<Semaphore>, tx: mpsc::Sender<P2pIncoming>) {
    while let Some(incoming) = endpoint.accept().await {
        let Ok(place) = places.clone().try_acquire_owned() else {
            tracing::debug!("peer-to-peer connection refused: as many as allowed are open");
            incoming.refuse();
            continue;
        };
        let direct = match incoming.remote_addr() {
            IncomingAddr::Ip(addr) => Some(addr),
            _ => None,
        };
        let tx = tx.clone();
        tokio::spawn(async move {
            let opened = tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
                let conn = incoming
                    .accept()
                    .map_err(|e| e.to_string())?
                    .await
                    .map_err(|e| e.to_string())?;
                let (send, recv) = conn.accept_bi().await.map_err(|e| e.to_string())?;
                Ok::<_, String>(P2pStream::new(send, recv, P2pPath::new(conn)))
            })
            .await;
            match opened {
                Ok(Ok(stream)) => {
                    tracing::debug!(?direct, "peer-to-peer connection accepted");
                    let _ = tx
                        .send(P2pIncoming {
                            stream,
                            direct,
                            place,
                        })
                        .await;
                }
                Ok(Err(e)) => tracing::debug!("peer-to-peer connection failed: {e}"),
                Err(_) => tracing::debug!("peer-to-peer handshake took too long; dropped"),
            }
        });
    }
}
