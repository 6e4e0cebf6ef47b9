//! Every input limit of the relay, exercised over real connections.

mod common;

use std::time::Duration;

use common::{config, relay, Client, RelayConfig};
use matinee_protocol::{ClientMsg, ControlMode, ErrorCode, ServerMsg};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn oversized_frames_get_an_error_then_a_close() {
    let relay = relay(RelayConfig {
        max_frame_bytes: 1024,
        ..config()
    })
    .await;
    let mut c = Client::connect(&relay).await;
    c.send_raw(format!(
        r#"{{"type":"chat","text":"{}"}}"#,
        "a".repeat(1100)
    ))
    .await;
    let (msg, fatal) = c.expect_error(ErrorCode::MessageTooLarge).await;
    assert!(fatal && msg.contains("1024"), "{msg}");
    c.expect_closed().await;

    // Far beyond the limit the WebSocket layer cuts the connection at once.
    let mut c = Client::connect(&relay).await;
    let _ = c.send_message(Message::text("x".repeat(1 << 20))).await;
    c.expect_closed().await;

    // The relay is still fine for others.
    Client::host(&relay, "Ana", ControlMode::HostOnly).await;
}

#[tokio::test]
async fn floods_are_rate_limited_then_closed() {
    let relay = relay(RelayConfig {
        max_messages_per_sec: 5,
        ..config()
    })
    .await;
    let mut c = Client::connect(&relay).await;
    for i in 0..12 {
        c.send(&ClientMsg::Ping {
            client_ms: f64::from(i),
        })
        .await;
    }
    // The first burst (2 × 5, minus the hello) is answered, then one error.
    let mut pongs = 0;
    let (msg, fatal) = c
        .recv_until(|m| match m {
            ServerMsg::Pong(_) => {
                pongs += 1;
                None
            }
            ServerMsg::Error {
                code: ErrorCode::RateLimited,
                message,
                fatal,
            } => Some((message.clone(), *fatal)),
            _ => None,
        })
        .await;
    assert!(!fatal && msg.contains("Too many"));
    assert_eq!(pongs, 9);

    // A client that keeps hammering is disconnected.
    let mut sent = 0;
    while c
        .send_message(Message::text(ClientMsg::Ping { client_ms: 0.0 }.encode()))
        .await
        && sent < 5000
    {
        sent += 1;
    }
    let (_, fatal) = c.expect_error(ErrorCode::RateLimited).await;
    assert!(fatal);
    c.expect_closed().await;

    // After a pause, a polite client is served again.
    let mut d = Client::connect(&relay).await;
    d.send(&ClientMsg::Ping { client_ms: 1.0 }).await;
    d.recv_until(|m| matches!(m, ServerMsg::Pong(_)).then_some(()))
        .await;
}

#[tokio::test]
async fn join_brute_force_is_throttled_per_address() {
    let relay = relay(RelayConfig {
        max_joins_per_minute: 5,
        ..config()
    })
    .await;
    let mut host = Client::host(&relay, "Ana", ControlMode::HostOnly).await;
    let code = host.code();
    let mut guesser = Client::connect(&relay).await;
    for guess in ["AAAAAA", "AAAAAB", "AAAAAC", "AAAAAD", "AAAAAE"] {
        guesser
            .send_raw(format!(
                r#"{{"type":"join","code":"{guess}","nickname":"Eve"}}"#
            ))
            .await;
        guesser.expect_error(ErrorCode::RoomNotFound).await;
    }
    // Even the right code is refused now, from any connection of this address.
    guesser
        .send(&ClientMsg::Join {
            code: code.clone(),
            nickname: "Eve".into(),
            media: None,
        })
        .await;
    guesser.expect_error(ErrorCode::JoinThrottled).await;
    let mut other = Client::connect(&relay).await;
    other
        .send(&ClientMsg::Resume {
            code: code.clone(),
            token: "guess".into(),
            rebuild: None,
        })
        .await;
    let (msg, fatal) = other.expect_error(ErrorCode::JoinThrottled).await;
    assert!(!fatal && msg.contains("wait a minute"));
    // The room itself is unaffected.
    host.send(&ClientMsg::Chat {
        text: "still here".into(),
    })
    .await;
    host.recv_until(|m| matches!(m, ServerMsg::Chat { .. }).then_some(()))
        .await;
}

#[tokio::test]
async fn idle_and_silent_connections_are_closed() {
    let relay = relay(RelayConfig {
        idle_timeout_secs: 1.2,
        hello_timeout_secs: 0.4,
        ..config()
    })
    .await;
    let mut silent = Client::raw(&relay).await;
    let (_, fatal) = silent.expect_error(ErrorCode::IdleTimeout).await;
    assert!(fatal);
    silent.expect_closed().await;

    let mut idle = Client::host(&relay, "Ana", ControlMode::HostOnly).await;
    let started = std::time::Instant::now();
    idle.expect_error(ErrorCode::IdleTimeout).await;
    assert!(started.elapsed() >= Duration::from_millis(1100));
    idle.expect_closed().await;

    // A client that keeps talking stays, for longer than the idle limit
    // (a ping every 200 ms leaves a wide margin on a loaded machine).
    let mut chatty = Client::connect(&relay).await;
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        chatty.send(&ClientMsg::Ping { client_ms: 0.0 }).await;
        chatty
            .recv_until(|m| matches!(m, ServerMsg::Pong(_)).then_some(()))
            .await;
    }
}

#[tokio::test]
async fn malformed_input_gets_typed_errors_and_the_connection_survives() {
    let relay = relay(config()).await;
    let mut c = Client::host(&relay, "Ana", ControlMode::HostOnly).await;
    let cases = [
        ("{not json", ErrorCode::BadMessage, "not valid JSON"),
        (r#"{"no_type":1}"#, ErrorCode::BadMessage, "no \"type\""),
        (
            r#"{"type":"format_disk"}"#,
            ErrorCode::BadMessage,
            "unknown message type",
        ),
        (
            r#"{"type":"ready","ready":"yes"}"#,
            ErrorCode::BadMessage,
            "invalid \"ready\"",
        ),
        (
            r#"{"type":"control","seq":1,"action":{"kind":"seek","position":-5}}"#,
            ErrorCode::InvalidValue,
            "position",
        ),
        (
            r#"{"type":"chat","text":""}"#,
            ErrorCode::InvalidValue,
            "empty",
        ),
    ];
    for (text, code, words) in cases {
        c.send_raw(text).await;
        let (msg, fatal) = c.expect_error(code).await;
        assert!(!fatal && msg.contains(words), "{text} → {msg}");
    }
    let deep = format!(
        r#"{{"type":"chat","text":{}"x"{}}}"#,
        "[".repeat(5000),
        "]".repeat(5000)
    );
    c.send_raw(deep).await;
    c.expect_error(ErrorCode::BadMessage).await;
    assert!(
        c.send_message(Message::binary(vec![0u8, 159, 146, 150]))
            .await
    );
    c.expect_error(ErrorCode::BinaryNotSupported).await;
    c.send(&ClientMsg::Chat {
        text: "still works".into(),
    })
    .await;
    c.recv_until(|m| matches!(m, ServerMsg::Chat { .. }).then_some(()))
        .await;
}

#[tokio::test]
async fn rooms_and_participants_are_capped() {
    let relay = relay(RelayConfig {
        max_rooms: 1,
        max_participants: 2,
        ..config()
    })
    .await;
    let ana = Client::host(&relay, "Ana", ControlMode::HostOnly).await;
    let _ben = Client::guest(&relay, &ana.code(), "Ben").await;
    let mut cy = Client::connect(&relay).await;
    cy.send(&ClientMsg::Join {
        code: ana.code(),
        nickname: "Cy".into(),
        media: None,
    })
    .await;
    let (msg, _) = cy.expect_error(ErrorCode::RoomFull).await;
    assert!(msg.contains('2'));
    cy.send(&ClientMsg::Create {
        nickname: "Cy".into(),
        control_mode: ControlMode::Shared,
        media: None,
    })
    .await;
    cy.expect_error(ErrorCode::ServerFull).await;
}

#[tokio::test]
async fn browser_origins_outside_the_allowlist_are_refused() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let relay = relay(RelayConfig {
        allowed_origins: vec!["https://watch.example".into()],
        ..config()
    })
    .await;
    let with_origin = |origin: &str| {
        let mut req = relay.ws_url().into_client_request().unwrap();
        req.headers_mut().insert("origin", origin.parse().unwrap());
        req
    };
    let err = tokio_tungstenite::connect_async(with_origin("https://evil.example"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("403"), "{err}");
    assert!(
        tokio_tungstenite::connect_async(with_origin("https://watch.example"))
            .await
            .is_ok()
    );
    // Native clients send no Origin and are always allowed.
    Client::connect(&relay).await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_without_hurting_others() {
    let relay = relay(RelayConfig {
        send_queue: 64,
        max_messages_per_sec: 100_000,
        max_chat_chars: 1000,
        ..config()
    })
    .await;
    let mut ana = Client::host(&relay, "Ana", ControlMode::Shared).await;
    let code = ana.code();
    let _sloth = Client::guest_with_small_buffer(&relay, &code, "Sloth").await;
    // Sloth never reads again; Ana chats a lot and reads everything.
    let dropped = ana.flood_until_away("Sloth", 200).await;
    assert!(dropped, "the slow client was dropped");
    // Ana still gets her messages.
    ana.send(&ClientMsg::Chat {
        text: "after".into(),
    })
    .await;
    ana.recv_until(|m| matches!(m, ServerMsg::Chat { text, .. } if text == "after").then_some(()))
        .await;
}

#[tokio::test]
async fn shutdown_tells_clients() {
    let relay = relay(config()).await;
    let mut c = Client::connect(&relay).await;
    let stop = relay.shutdown_token();
    stop.cancel();
    let (_, fatal) = c.expect_error(ErrorCode::ShuttingDown).await;
    assert!(fatal);
    c.expect_closed().await;
}

/// Resident memory of this test process (the relay runs in it), in KiB.
fn rss_kib() -> u64 {
    common::rss_kib("self")
}

#[tokio::test]
async fn a_storm_of_malformed_frames_leaves_the_relay_and_its_rooms_working() {
    let relay = relay(RelayConfig {
        // High enough that the storm reaches the decoder instead of the
        // rate limiter (which has its own test).
        max_messages_per_sec: 100_000,
        max_frame_bytes: 16 * 1024,
        ..config()
    })
    .await;
    let mut ana = Client::host(&relay, "Ana", ControlMode::Shared).await;
    let mut ben = Client::guest(&relay, &ana.code(), "Ben").await;

    let nested = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let huge_name = format!(
        r#"{{"type":"join","code":"ABCDEF","nickname":"{}"}}"#,
        "x".repeat(15_000)
    );
    let garbage: Vec<Message> = vec![
        Message::text("{not json"),
        Message::text(r#"{"type":"ready","ready":"yes"}"#),
        Message::text(r#"{"type":"control","seq":-1,"action":{"kind":"seek","position":"far"}}"#),
        Message::text(r#"{"type":"chat","text":null}"#),
        Message::text(r#"{"type":"join","code":"ZZZZZZ","nickname":"Mal"}"#),
        Message::text(nested),
        Message::text(huge_name),
        Message::text("\u{0}\u{1}\u{fffd}"),
        Message::binary(vec![0xde, 0xad, 0xbe, 0xef]),
    ];
    let before = rss_kib();
    let mut attackers = Vec::new();
    for n in 0..16 {
        let mut c = Client::connect(&relay).await;
        let garbage = garbage.clone();
        attackers.push(tokio::spawn(async move {
            let mut sent = 0;
            for i in 0..700 {
                if !c
                    .send_message(garbage[(i + n) % garbage.len()].clone())
                    .await
                {
                    break;
                }
                sent += 1;
            }
            // Everything was answered with errors, not a crash: a ping
            // still gets its pong.
            c.send(&ClientMsg::Ping { client_ms: 1.0 }).await;
            c.recv_until(|m| matches!(m, ServerMsg::Pong(_)).then_some(()))
                .await;
            sent
        }));
    }
    let mut total = 0;
    for a in attackers {
        total += a.await.expect("attacker finished");
    }
    assert!(total >= 10_000, "only {total} frames sent");

    // The room goes on: chat crosses, control works.
    ana.send(&ClientMsg::Chat {
        text: "still here".into(),
    })
    .await;
    ben.recv_until(|m| match m {
        ServerMsg::Chat { text, .. } if text == "still here" => Some(()),
        _ => None,
    })
    .await;
    let grew = rss_kib().saturating_sub(before);
    assert!(grew < 64 * 1024, "memory grew by {grew} KiB");
}
