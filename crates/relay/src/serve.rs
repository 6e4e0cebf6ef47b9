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

use crate::listener::{Opened, RelayListener};
use crate::Shared;

/// How long connections still serving a request get once the relay stops.
const DRAIN: Duration = Duration::from_secs(5);

/// Serves `app` on every HTTP connection `listener` yields, and the
/// Syncplay bridge on every Syncplay one, until `stop`.
pub(crate) async fn serve(
    mut listener: RelayListener,
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
        };
        let Some((opened, peer)) = next else { break };
        let io = match opened {
            Opened::Http(io) => *io,
            Opened::Syncplay(stream) => {
                connections.spawn(crate::syncplay::serve(stream, peer, shared.clone()));
                continue;
            }
        };
        let (app, stop) = (app.clone(), stop.clone());
        connections.spawn(async move {
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
        });
    }
    connections.close();
    let _ = tokio::time::timeout(DRAIN, connections.wait()).await;
}
