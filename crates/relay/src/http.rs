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
use crate::{connection, landing, Shared};

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

fn origin_allowed(shared: &Shared, headers: &HeaderMap) -> bool {
    let allowed = &shared.config.allowed_origins;
    match headers.get(header::ORIGIN) {
        None => true,
        Some(_) if allowed.is_empty() => true,
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
        return (StatusCode::SERVICE_UNAVAILABLE, "relay is full\n").into_response();
    }
    let ip = client_ip(&shared, peer.addr, &headers);
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
        .on_upgrade(move |ws| connection::serve(ws, ip, shared))
}

async fn healthz(State(shared): State<Arc<Shared>>) -> Response {
    let redis = shared.cluster.as_ref().map(|c| c.healthy());
    let ok = redis != Some(false);
    let body = serde_json::json!({
        "status": if ok { "ok" } else { "unhealthy" },
        "version": env!("CARGO_PKG_VERSION"),
        "rooms": shared.registry.len(),
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

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        shared.metrics.render(),
    )
        .into_response()
}

/// The WebSocket URL an invite should point at.
fn relay_url(shared: &Shared, headers: &HeaderMap) -> Option<String> {
    if let Some(url) = &shared.config.public_url {
        return Some(url.clone());
    }
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let valid = !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
    if !valid {
        return None;
    }
    let tls = shared.tls
        || headers
            .get("x-forwarded-proto")
            .is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"));
    Some(format!("{}://{host}/ws", if tls { "wss" } else { "ws" }))
}

/// The invite a landing page request stands for: its own query when it
/// carries one (the host's app made the link), else this relay's URL.
fn landing_invite(
    shared: &Shared,
    code: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Invite, String> {
    let query = query.unwrap_or("");
    let invite = Invite::from_parts(code, query).map_err(|e| capitalised(&e.to_string()))?;
    if !invite.endpoints().is_empty() {
        return Ok(invite);
    }
    let url = relay_url(shared, headers).ok_or("The request has no valid Host header.")?;
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
    headers: HeaderMap,
) -> Response {
    let mut response = match landing_invite(&shared, &code, query.as_deref(), &headers) {
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
