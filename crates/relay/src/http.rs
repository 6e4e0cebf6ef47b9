//! HTTP routes: the WebSocket endpoint, health, metrics and invite pages.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use matinee_protocol::Invite;

use crate::listener::Peer;
use crate::shared::Shared;
use crate::{connection, landing};

/// Initial read buffer of a connection, in bytes.
const READ_BUFFER: usize = 4 * 1024;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/ws", get(websocket))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/join/{code}", get(join_page))
        .with_state(shared)
}

async fn index() -> &'static str {
    "Matinee relay. WebSocket at /ws; invites at /join/CODE.\n"
}

fn client_ip(shared: &Shared, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    if shared.config.trust_forwarded_for {
        let forwarded = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok());
        if let Some(ip) = forwarded {
            return ip;
        }
    }
    peer.ip()
}

/// Requests without an Origin (the app, the CLI) pass; a web page's only
/// when its origin is allowlisted: otherwise any page the host visits could
/// open WebSockets to the relay in the host's app and spend its quotas.
fn origin_allowed(shared: &Shared, headers: &HeaderMap) -> bool {
    let allowed = &shared.config.allowed_origins;
    match headers.get(header::ORIGIN) {
        None => true,
        Some(origin) => origin
            .to_str()
            .is_ok_and(|o| allowed.iter().any(|a| a.trim_end_matches('/') == o)),
    }
}

async fn websocket(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if shared.tls && !peer.secure {
        return (
            StatusCode::UPGRADE_REQUIRED,
            "this relay speaks TLS: connect with wss://\n",
        )
            .into_response();
    }
    if !origin_allowed(&shared, &headers) {
        tracing::warn!(origin = ?headers.get(header::ORIGIN), "origin refused");
        return (StatusCode::FORBIDDEN, "origin not allowed\n").into_response();
    }
    if shared.metrics.connections.get() as usize >= shared.config.max_connections {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "This relay holds as many connections as it can; try again later.\n",
        )
            .into_response();
    }
    let ip = client_ip(&shared, peer.addr, &headers);
    let Some(place) = shared.websockets.take(ip) else {
        tracing::warn!(%ip, "connection refused: its address holds its quota");
        let cap = shared.websockets.cap();
        return (
            StatusCode::TOO_MANY_REQUESTS,
            format!("Too many connections from your address ({cap} at most); close some and try again.\n"),
        )
            .into_response();
    };
    // Frames up to the limit are read and answered with a clear error by the
    // connection; far larger ones are cut off by the WebSocket layer.
    let hard_cap = shared
        .config
        .max_frame_bytes
        .saturating_mul(4)
        .max(16 * 1024);
    // A small read buffer (it grows for a large frame): the default 128 KiB
    // per connection would dominate the relay's memory.
    upgrade
        .read_buffer_size(READ_BUFFER)
        .max_message_size(hard_cap)
        .max_frame_size(hard_cap)
        .on_upgrade(move |ws| async move {
            connection::serve(ws, ip, peer.p2p.clone(), shared).await;
            // The socket's places (as a socket, as a WebSocket) are given
            // back when it ends.
            drop((place, peer));
        })
}

async fn healthz(State(shared): State<Arc<Shared>>) -> Response {
    let redis = shared.cluster.as_ref().map(|c| c.healthy());
    let ok = redis != Some(false);
    let body = serde_json::json!({
        "status": if ok { "ok" } else { "unhealthy" },
        "version": env!("CARGO_PKG_VERSION"),
        "rooms": shared.rooms.here(),
        "connections": shared.metrics.connections.get(),
        "redis": match redis {
            None => "not used",
            Some(true) => "ok",
            Some(false) => "unreachable",
        },
    });
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

async fn metrics(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Some(token) = &shared.config.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !crate::tokens::same_secret(given, token) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "This relay's metrics need its token: Authorization: Bearer TOKEN\n",
            )
                .into_response();
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        shared.metrics.render(),
    )
        .into_response()
}

/// The invite a landing page request stands for: its own query when it
/// carries one (the host's app made the link), else this relay's public
/// URL. Without one the relay does not guess from the request's Host
/// header: whoever sent the request chose that header.
fn landing_invite(shared: &Shared, code: &str, query: Option<&str>) -> Result<Invite, String> {
    let query = query.unwrap_or("");
    let invite = Invite::from_parts(code, query).map_err(|e| capitalised(&e.to_string()))?;
    if !invite.endpoints().is_empty() {
        return Ok(invite);
    }
    let url = shared.config.public_url.clone().ok_or(
        "This link does not say which relay the room is on. Ask your host for the whole invite link.",
    )?;
    Ok(Invite::to_relay(invite.code, url))
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

async fn join_page(
    State(shared): State<Arc<Shared>>,
    Path(code): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let mut response = match landing_invite(&shared, &code, query.as_deref()) {
        Ok(invite) => Html(landing::page(
            &invite,
            shared.config.download_url.as_deref(),
        ))
        .into_response(),
        Err(reason) => (
            StatusCode::BAD_REQUEST,
            Html(landing::bad_code_page(&reason)),
        )
            .into_response(),
    };
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    response
}
