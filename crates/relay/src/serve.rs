//! Serving HTTP on accepted sockets, with hyper directly (axum's own
//! `serve` has no timeouts): a connection whose request headers do not
//! arrive within the header timeout — a slow client sending a byte at a
//! time, a silent socket, an idle keep-alive — is closed.

use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use std::sync::Arc;

use matinee_p2p::P2pHost;

use crate::listener::{Opened, Peer, RelayListener};
use crate::shared::Shared;

/// How long connections still serving a request get once the relay stops.
const DRAIN: Duration = Duration::from_secs(5);

/// Serves `app` on every HTTP connection `listener` (and the peer-to-peer
/// endpoint, if any) yields, and the Syncplay bridge on every Syncplay
/// one, until `stop`.
pub(crate) async fn serve(
    mut listener: RelayListener,
    p2p: Option<Arc<P2pHost>>,
    app: Router,
    shared: Arc<Shared>,
    stop: CancellationToken,
) {
    let header_timeout = shared.config.header_timeout();
    let connections = TaskTracker::new();
    loop {
        let next = tokio::select! {
            _ = stop.cancelled() => break,
            next = listener.next() => next,
            // (Cancel-safe: a channel's receive.)
            Some(incoming) = next_p2p(p2p.as_deref()) => {
                let (stream, addr, p2p_peer) = crate::p2p::take(incoming);
                let peer = Peer {
                    addr,
                    // QUIC encrypts it, and the endpoint id authenticated
                    // this relay to the friend.
                    secure: true,
                    _place: None,
                    p2p: Some(Arc::new(p2p_peer)),
                };
                connections.spawn(serve_http(stream, peer, app.clone(), header_timeout, stop.clone()));
                continue;
            }
        };
        let Some((opened, peer)) = next else { break };
        let io = match opened {
            Opened::Http(io) => *io,
            Opened::Syncplay(stream) => {
                connections.spawn(crate::syncplay::serve(stream, peer, shared.clone()));
                continue;
            }
        };
        connections.spawn(serve_http(
            io,
            peer,
            app.clone(),
            header_timeout,
            stop.clone(),
        ));
    }
    if let Some(host) = &p2p {
        host.close().await;
    }
    connections.close();
    let _ = tokio::time::timeout(DRAIN, connections.wait()).await;
}

/// The next peer-to-peer stream; never, without an endpoint.
async fn next_p2p(p2p: Option<&P2pHost>) -> Option<matinee_p2p::P2pIncoming> {
    match p2p {
        Some(host) => host.next().await,
        None => std::future::pending().await,
    }
}

/// HTTP (and the WebSocket it upgrades to) on one connection.
async fn serve_http<I>(
    io: I,
    peer: Peer,
    app: Router,
    header_timeout: Duration,
    stop: CancellationToken,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer.clone()));
        app.clone().oneshot(req)
    });
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let conn = http
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(conn);
    let served = tokio::select! {
        served = conn.as_mut() => served,
        _ = stop.cancelled() => {
            conn.as_mut().graceful_shutdown();
            tokio::time::timeout(DRAIN, conn).await.unwrap_or(Ok(()))
        }
    };
    if let Err(e) = served {
        tracing::debug!("http connection ended: {e}");
    }
}
