//! The relay's plain HTTP routes.

mod common;

use common::{config, relay, Client, RelayConfig};
use matinee_protocol::ControlMode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A minimal HTTP/1.1 GET over a real socket; returns (status, headers, body).
async fn get(addr: std::net::SocketAddr, path: &str, extra_headers: &str) -> (u16, String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra_headers}Connection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head.to_string(), body.to_string())
}

#[tokio::test]
async fn healthz_and_metrics_report_rooms_and_connections() {
    let relay = relay(config()).await;
    let (status, _, body) = get(relay.addr(), "/healthz", "").await;
    assert_eq!(status, 200);
    assert!(body.contains(r#""status":"ok""#), "{body}");

    let _ana = Client::host(&relay, "Ana", ControlMode::HostOnly).await;
    let mut eve = Client::connect(&relay).await;
    eve.send_raw("{oops").await;
    eve.expect_error(matinee_protocol::ErrorCode::BadMessage)
        .await;

    let (_, _, body) = get(relay.addr(), "/healthz", "").await;
    assert!(
        body.contains(r#""rooms":1"#) && body.contains(r#""connections":2"#),
        "{body}"
    );
    let (status, head, metrics) = get(relay.addr(), "/metrics", "").await;
    assert_eq!(status, 200);
    assert!(head.to_lowercase().contains("openmetrics-text"));
    for line in [
        "matinee_relay_connections 2",
        "matinee_relay_rooms 1",
        "matinee_relay_rooms_total 1",
        "matinee_relay_errors_total{code=\"bad_message\"} 1",
    ] {
        assert!(metrics.contains(line), "missing {line} in\n{metrics}");
    }
    assert!(metrics.contains("matinee_relay_messages_received_total"));
}

/// With a metrics token, `/metrics` answers only who shows it.
#[tokio::test]
async fn metrics_can_ask_for_a_token() {
    let relay = relay(RelayConfig {
        metrics_token: Some("s3cret-metrics".into()),
        ..config()
    })
    .await;
    let (status, head, _) = get(relay.addr(), "/metrics", "").await;
    assert_eq!(status, 401);
    assert!(head.to_lowercase().contains("www-authenticate: bearer"));
    let wrong = "Authorization: Bearer s3cret-metricz\r\n";
    assert_eq!(get(relay.addr(), "/metrics", wrong).await.0, 401);
    let right = "Authorization: Bearer s3cret-metrics\r\n";
    let (status, _, body) = get(relay.addr(), "/metrics", right).await;
    assert_eq!(status, 200);
    assert!(body.contains("matinee_relay_messages_received_total"));
    // Health stays open to every checker.
    assert_eq!(get(relay.addr(), "/healthz", "").await.0, 200);
}

#[tokio::test]
async fn the_landing_page_opens_the_app_with_the_deep_link() {
    let relay = relay(RelayConfig {
        public_url: Some("wss://relay.example/ws".into()),
        ..config()
    })
    .await;
    let (status, head, body) = get(relay.addr(), "/join/abc-def", "").await;
    assert_eq!(status, 200);
    let link = "matinee://join/ABCDEF?relay=wss%3A%2F%2Frelay.example%2Fws";
    assert!(body.contains(&format!("href=\"{link}\"")), "{body}");
    assert!(body.contains("Install"));
    assert!(head
        .to_lowercase()
        .contains("content-security-policy: default-src 'none'"));

    let (status, _, body) = get(relay.addr(), "/join/ABC0EF", "").await;
    assert_eq!(status, 400);
    assert!(body.contains("cannot appear in a room code"));
}

/// Links are never built from the request's Host header: whoever sends the
/// request chooses it. Without a public URL, a bare link says what is
/// missing.
#[tokio::test]
async fn bare_links_never_follow_the_host_header() {
    let relay = relay(config()).await;
    let (status, _, body) = get(
        relay.addr(),
        "/join/ABCDEF",
        "X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\n",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("whole invite link"), "{body}");
    assert!(!body.contains("matinee://"), "{body}");
    // A full invite (what the app shares) still works.
    let (status, _, body) = get(
        relay.addr(),
        "/join/ABCDEF?relay=ws%3A%2F%2F192.0.2.1%3A7878%2Fws",
        "",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("matinee://join/ABCDEF?relay="), "{body}");
}

/// With a certificate, WebSockets need TLS, while the same port still
/// answers plain http for health and the landing page (no browser warning),
/// whose button carries the host's invite unchanged.
#[tokio::test]
async fn a_tls_relay_serves_landing_pages_in_plain_http_and_websockets_only_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let identity = matinee_relay::TlsIdentity::self_signed_in(dir.path()).unwrap();
    let relay = relay(RelayConfig {
        tls: Some(identity.clone()),
        ..config()
    })
    .await;
    assert_eq!(relay.tls_fingerprint(), Some(identity.fingerprint()));
    assert!(relay.ws_url().starts_with("wss://"), "{}", relay.ws_url());

    let (status, _, body) = get(relay.addr(), "/healthz", "").await;
    assert_eq!(status, 200, "{body}");
    let upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    let (status, _, body) = get(relay.addr(), "/ws", upgrade).await;
    assert_eq!(status, 426, "plain WebSocket refused: {body}");
    assert!(body.contains("connect with wss://"), "{body}");

    let query = "h=10.0.0.2:7878,5.5.5.1:7878&fp=TWAKSIRMgPTTzPC6FBYxxilOIXKFENAx_k_DTqGninY";
    let (status, _, body) = get(relay.addr(), &format!("/join/K7MQ2X?{query}"), "").await;
    assert_eq!(status, 200);
    assert!(
        body.contains(&format!(
            "href=\"matinee://join/K7MQ2X?{}\"",
            query.replace('&', "&amp;")
        )),
        "{body}"
    );
    let (status, _, body) = get(relay.addr(), "/join/K7MQ2X?h=10.0.0.2:7878", "").await;
    assert_eq!(status, 400, "a cut invite is refused clearly: {body}");
    assert!(body.contains("fingerprint"), "{body}");
}
