//! The relay's Syncplay side over real sockets, as a Syncplay client's
//! lines reach it: the same port as the WebSocket, a room code as the room
//! name, and the limits (bad lines, long lines, unknown commands, unknown
//! rooms, floods) answered with a Syncplay `Error` and a close, nothing
//! else in the room affected.

mod common;

use std::time::Duration;

use common::{config, relay, Client, WAIT};
use matinee_protocol::{ControlMode, RoomCode, ServerMsg};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// A bare Syncplay speaker: JSON lines over TCP.
struct Line {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Line {
    async fn connect(relay: &matinee_relay::RelayHandle) -> Line {
        let tcp = TcpStream::connect(relay.addr()).await.unwrap();
        let (r, writer) = tcp.into_split();
        Line {
            reader: BufReader::new(r),
            writer,
        }
    }

    /// Sends a line (a write after the relay closed fails quietly).
    async fn send(&mut self, text: &str) {
        let _ = self
            .writer
            .write_all(format!("{text}\r\n").as_bytes())
            .await;
    }

    async fn send_json(&mut self, v: Value) {
        self.send(&v.to_string()).await;
    }

    /// The next line, or None once the relay closed the connection.
    async fn next(&mut self) -> Option<Value> {
        let mut line = String::new();
        let n = tokio::time::timeout(WAIT, self.reader.read_line(&mut line))
            .await
            .expect("a line or a close in time")
            .ok()?;
        if n == 0 {
            return None;
        }
        assert!(
            line.ends_with("\r\n"),
            "Syncplay lines end in CRLF: {line:?}"
        );
        Some(serde_json::from_str(line.trim_end()).expect("a JSON line"))
    }

    /// Reads until a line with `command`, returning its body.
    async fn until(&mut self, command: &str) -> Value {
        for _ in 0..100 {
            let line = self
                .next()
                .await
                .unwrap_or_else(|| panic!("closed before {command}"));
            if let Some(body) = line.get(command) {
                return body.clone();
            }
        }
        panic!("no {command} in 100 lines");
    }

    /// The error the relay closes with: its message, then the close.
    async fn closed_with_error(&mut self) -> String {
        let mut message = None;
        while let Some(line) = self.next().await {
            if let Some(m) = line.pointer("/Error/message").and_then(Value::as_str) {
                message = Some(m.to_string());
            }
        }
        message.expect("an Error before the close")
    }

    async fn hello(&mut self, name: &str, room: &str) {
        self.send_json(json!({"Hello": {"username": name, "room": {"name": room}, "version": "1.2.255", "realversion": "1.6.9", "features": {"chat": true, "readiness": true}}}))
            .await;
    }
}

async fn room_with_host(relay: &matinee_relay::RelayHandle) -> (Client, RoomCode) {
    let host = Client::host(relay, "Ana", ControlMode::HostOnly).await;
    let code = host.code();
    (host, code)
}

#[tokio::test]
async fn a_syncplay_client_joins_by_code_chats_and_is_refused_control_in_a_host_only_room() {
    let relay = relay(config()).await;
    let (mut ana, code) = room_with_host(&relay).await;
    let mut bo = Line::connect(&relay).await;
    bo.send_json(json!({"TLS": {"startTLS": "send"}})).await;
    assert_eq!(
        bo.until("TLS").await,
        json!({"startTLS": "false"}),
        "no certificate Syncplay can check"
    );
    bo.hello("Bo", &code.as_str().to_lowercase()).await;
    let hello = bo.until("Hello").await;
    assert_eq!(hello["username"], "Bo");
    assert_eq!(hello["room"]["name"], code.as_str());
    assert_eq!(hello["version"], "1.2.255", "echoed for old clients");
    assert_eq!(hello["features"]["chat"], true);
    assert!(hello["motd"]
        .as_str()
        .unwrap()
        .contains("Ana (the host) controls playback"));
    let state = bo.until("State").await;
    assert_eq!(state["playstate"]["paused"], true);
    assert_eq!(
        state["ignoringOnTheFly"]["server"], 1,
        "a forced state is counted"
    );

    // The host sees a member via Syncplay.
    let list = ana
        .recv_until(|m| match m {
            ServerMsg::Participants { participants } if participants.len() == 2 => {
                Some(participants.clone())
            }
            _ => None,
        })
        .await;
    assert_eq!(list[1].via.as_deref(), Some("Syncplay 1.6.9"));

    // List: both, the host as controller.
    bo.send_json(json!({"List": null})).await;
    let users = bo.until("List").await;
    assert_eq!(users[code.as_str()]["Ana"]["controller"], true);
    assert_eq!(users[code.as_str()]["Bo"]["controller"], false);

    // Chat both ways.
    bo.send_json(json!({"Chat": "hi from Syncplay"})).await;
    let heard = ana
        .recv_until(|m| match m {
            ServerMsg::Chat { nickname, text, .. } => Some((nickname.clone(), text.clone())),
            _ => None,
        })
        .await;
    assert_eq!(heard, ("Bo".to_string(), "hi from Syncplay".to_string()));
    ana.send(&matinee_protocol::ClientMsg::Chat {
        text: "welcome".into(),
    })
    .await;
    loop {
        let chat = bo.until("Chat").await;
        if chat["username"] == "Ana" {
            assert_eq!(chat["message"], "welcome");
            break;
        }
    }

    // The player loads its film (until then its states are the load's):
    // it is put where the room is, by a second forced state.
    bo.send_json(json!({"Set": {"file": {"name": "Film.mkv", "duration": 120.0, "size": 1000}}}))
        .await;
    let loaded = bo.until("State").await;
    assert_eq!(loaded["playstate"]["doSeek"], true);
    assert_eq!(loaded["ignoringOnTheFly"]["server"], 2);

    // Acknowledge the forced states, then try to play: refused, told why,
    // and put back (a forced, seeking state that says paused).
    bo.send_json(json!({"State": {"ping": {"clientRtt": 0}, "ignoringOnTheFly": {"server": 2}}}))
        .await;
    bo.send_json(json!({"State": {"playstate": {"position": 5.0, "paused": false}, "ping": {"clientRtt": 0}, "ignoringOnTheFly": {"client": 1}}}))
        .await;
    let mut told = false;
    let mut put_back = false;
    for _ in 0..20 {
        let line = bo.next().await.expect("open");
        if line.pointer("/Chat/username") == Some(&json!("Matinee")) {
            told |= line["Chat"]["message"].as_str().unwrap().contains("host");
        }
        if let Some(s) = line.get("State") {
            if s["playstate"]["doSeek"] == true && s["playstate"]["paused"] == true {
                put_back = true;
                assert_eq!(
                    s["ignoringOnTheFly"]["client"], 1,
                    "the client's change acknowledged"
                );
            }
        }
        if told && put_back {
            break;
        }
    }
    assert!(told && put_back, "told why and put back");
}

#[tokio::test]
async fn bad_lines_get_a_syncplay_error_and_a_close_and_the_room_plays_on() {
    let relay = relay(config()).await;
    let (mut ana, code) = room_with_host(&relay).await;

    // Unknown room, and a name that is no code.
    let mut lost = Line::connect(&relay).await;
    lost.hello("Bo", "ZZZZZZ").await;
    let text = lost.closed_with_error().await;
    assert!(text.contains("no Matinee room ZZZZZZ"), "{text}");
    let mut lost = Line::connect(&relay).await;
    lost.hello("Bo", "movie night").await;
    assert!(lost.closed_with_error().await.contains("6-character code"));

    // Not JSON, a command before Hello, a Hello without names.
    let mut junk = Line::connect(&relay).await;
    junk.send("{not json").await;
    assert!(junk
        .closed_with_error()
        .await
        .starts_with("Not a JSON message"));
    let mut early = Line::connect(&relay).await;
    early.send_json(json!({"List": null})).await;
    assert!(early.closed_with_error().await.contains("Hello first"));
    let mut nameless = Line::connect(&relay).await;
    nameless
        .send_json(json!({"Hello": {"room": {"name": code.as_str()}, "version": "1.6.9"}}))
        .await;
    assert!(nameless
        .closed_with_error()
        .await
        .contains("Hello arguments"));

    // In the room: an unknown command, then an over-long line.
    let mut odd = Line::connect(&relay).await;
    odd.hello("Cy", code.as_str()).await;
    odd.until("Hello").await;
    odd.send_json(json!({"Shutdown": {}})).await;
    assert_eq!(odd.closed_with_error().await, "Unknown command Shutdown");
    let mut long = Line::connect(&relay).await;
    long.hello("Di", code.as_str()).await;
    long.until("Hello").await;
    long.send(&format!("{{\"Chat\": \"{}\"}}", "a".repeat(20_000)))
        .await;
    assert!(long.closed_with_error().await.contains("at most 16 KiB"));

    // A flood.
    let mut flood = Line::connect(&relay).await;
    flood.hello("Ed", code.as_str()).await;
    flood.until("Hello").await;
    for _ in 0..400 {
        flood.send_json(json!({"List": null})).await;
    }
    let mut flooded = None;
    while let Some(line) = flood.next().await {
        if let Some(m) = line.pointer("/Error/message").and_then(Value::as_str) {
            flooded = Some(m.to_string());
        }
    }
    assert_eq!(
        flooded.as_deref(),
        Some("Far too many messages; the connection is closed.")
    );

    // Each of them left; the host is alone and the room still answers.
    ana.control(1, matinee_protocol::ControlAction::Play { position: 0.0 })
        .await;
    let playing = ana
        .recv_until(|m| match m {
            ServerMsg::State {
                playback,
                cause: Some(_),
                ..
            } => Some(!playback.paused),
            _ => None,
        })
        .await;
    assert!(playing);
    let alone = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let ServerMsg::Participants { participants } = ana.recv().await {
                if participants.len() == 1 {
                    return;
                }
            }
        }
    })
    .await;
    assert!(
        alone.is_ok(),
        "the Syncplay seats went with their connections"
    );
}

/// Accepts any certificate: this test is about the upgrade, not about
/// which authorities a Syncplay client trusts.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

use std::sync::Arc;

#[tokio::test]
async fn with_the_operators_certificate_syncplay_upgrades_to_tls_and_carries_on() {
    let dir = tempfile::tempdir().unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let relay = relay(matinee_relay::RelayConfig {
        tls_cert: Some(cert),
        tls_key: Some(key),
        ..config()
    })
    .await;
    // (No Matinee host here: the test's WebSocket client speaks no TLS. A
    // room code that names no room is answered over TLS all the same.)

    let mut tcp = TcpStream::connect(relay.addr()).await.unwrap();
    tcp.write_all(b"{\"TLS\": {\"startTLS\": \"send\"}}\r\n")
        .await
        .unwrap();
    // The answer, read byte by byte so nothing of the handshake is taken.
    let mut answer = Vec::new();
    while !answer.ends_with(b"\r\n") {
        let mut b = [0u8; 1];
        tokio::time::timeout(WAIT, tokio::io::AsyncReadExt::read_exact(&mut tcp, &mut b))
            .await
            .unwrap()
            .unwrap();
        answer.push(b[0]);
    }
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(answer, json!({"TLS": {"startTLS": "true"}}));

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(client))
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .expect("the TLS handshake after the answer");
    let (r, mut w) = tokio::io::split(tls);
    let hello =
        json!({"Hello": {"username": "Bo", "room": {"name": "K7MQ2X"}, "version": "1.6.9"}});
    w.write_all(format!("{hello}\r\n").as_bytes())
        .await
        .unwrap();
    let mut lines = BufReader::new(r).lines();
    let first = tokio::time::timeout(WAIT, lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let first: Value = serde_json::from_str(&first).unwrap();
    let error = first["Error"]["message"].as_str().unwrap();
    assert!(
        error.contains("no Matinee room K7MQ2X"),
        "answered over TLS: {first}"
    );
}

#[tokio::test]
async fn with_the_apps_own_certificate_syncplay_is_told_no_tls() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay(matinee_relay::RelayConfig {
        tls: Some(matinee_relay::TlsIdentity::self_signed_in(dir.path()).unwrap()),
        ..config()
    })
    .await;
    let mut bo = Line::connect(&relay).await;
    bo.send_json(json!({"TLS": {"startTLS": "send"}})).await;
    assert_eq!(bo.until("TLS").await, json!({"startTLS": "false"}));
    bo.hello("Bo", "K7MQ2X").await;
    assert!(
        bo.closed_with_error().await.contains("no Matinee room"),
        "plain lines after the no"
    );
}

#[tokio::test]
async fn syncplay_connections_count_in_the_address_quota_and_time_out_when_silent() {
    let relay = relay(matinee_relay::RelayConfig {
        max_connections_per_address: 3,
        idle_timeout_secs: 1.0,
        hello_timeout_secs: 1.0,
        ..config()
    })
    .await;
    let (_ana, code) = room_with_host(&relay).await;
    // The host holds one place; two Syncplay friends take the others.
    let mut bo = Line::connect(&relay).await;
    bo.hello("Bo", code.as_str()).await;
    bo.until("Hello").await;
    let mut cy = Line::connect(&relay).await;
    cy.hello("Cy", code.as_str()).await;
    cy.until("Hello").await;
    let mut di = Line::connect(&relay).await;
    di.hello("Di", code.as_str()).await;
    assert!(di
        .closed_with_error()
        .await
        .contains("Too many connections from your address"));
    // Silence: a client that never says hello, and one that stops talking.
    drop(cy);
    let mut mute = Line::connect(&relay).await;
    // One byte tells the protocol; no line ever follows.
    mute.writer.write_all(b"{").await.unwrap();
    let started = std::time::Instant::now();
    assert_eq!(
        bo.closed_with_error().await,
        "Nothing received for too long."
    );
    assert_eq!(mute.closed_with_error().await, "No Hello received in time.");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}
