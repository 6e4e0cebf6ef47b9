//! The relay's message handling, not just its decoder: a real relay (in
//! this process, on loopback) gets a connection that says hello, creates a
//! room and then sends the input, one frame per line. Whatever it sends, no
//! relay task may panic (libFuzzer's hook turns any panic into a crash) and
//! the relay must still welcome a new connection and answer its ping.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use libfuzzer_sys::fuzz_target;
use matinee_protocol::{ClientMsg, ControlMode, ServerMsg, PROTOCOL_VERSION};
use matinee_relay::RelayConfig;
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn relay() -> &'static (Runtime, String) {
    static RELAY: OnceLock<(Runtime, String)> = OnceLock::new();
    RELAY.get_or_init(|| {
        let rt = Runtime::new().expect("runtime");
        let url = rt.block_on(async {
            let config = RelayConfig {
                // Let the input reach the handlers instead of the limiters.
                max_messages_per_sec: 1_000_000,
                max_joins_per_minute: u32::MAX,
                max_rooms: 1_000_000,
                // Every input comes from one address.
                max_creates_per_minute: u32::MAX,
                max_rooms_per_address: 1_000_000,
                max_connections_per_address: 1_000_000,
                // Rooms left behind by earlier inputs go quickly.
                resume_grace_secs: 0.5,
                room_grace_secs: 1.0,
                ..RelayConfig::loopback()
            };
            let relay = matinee_relay::start(config).await.expect("relay starts");
            let url = relay.ws_url();
            std::mem::forget(relay); // serves for the whole run
            url
        });
        (rt, url)
    })
}

async fn send(ws: &mut Ws, msg: ClientMsg) {
    ws.send(Message::text(msg.encode())).await.expect("send");
}

/// Reads until `pick` matches; None when the relay closes the connection.
async fn until(ws: &mut Ws, pick: impl Fn(&ServerMsg) -> bool) -> Option<()> {
    tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(frame)) = ws.next().await {
            if let Message::Text(t) = frame {
                let msg = ServerMsg::decode(&t).expect("the relay sends valid messages");
                if pick(&msg) {
                    return Some(());
                }
            }
        }
        None
    })
    .await
    .expect("the relay answers in time")
}

async fn open(url: &str) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
        .await
        .expect("relay accepts");
    send(
        &mut ws,
        ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            client: "fuzz".into(),
        },
    )
    .await;
    until(&mut ws, |m| matches!(m, ServerMsg::Welcome(_)))
        .await
        .expect("welcome");
    ws
}

fuzz_target!(|data: &[u8]| {
    let (rt, url) = relay();
    rt.block_on(async {
        let mut ws = open(url).await;
        send(
            &mut ws,
            ClientMsg::Create {
                nickname: "Ana".into(),
                control_mode: ControlMode::HostOnly,
                media: None,
            },
        )
        .await;
        until(&mut ws, |m| matches!(m, ServerMsg::Joined(_)))
            .await
            .expect("joined");
        for line in data.split(|b| *b == b'\n') {
            let frame = match std::str::from_utf8(line) {
                Ok(text) => Message::text(text),
                Err(_) => Message::binary(line.to_vec()),
            };
            if ws.send(frame).await.is_err() {
                break; // the relay closed this connection: allowed
            }
        }
        // This connection answers a ping unless the relay closed it.
        if ws.send(Message::text(ClientMsg::Ping { client_ms: 1.0 }.encode())).await.is_ok() {
            let _ = until(&mut ws, |m| matches!(m, ServerMsg::Pong(_))).await;
        }
        // And the relay still serves everyone else.
        let mut other = open(url).await;
        send(&mut other, ClientMsg::Ping { client_ms: 2.0 }).await;
        until(&mut other, |m| matches!(m, ServerMsg::Pong(_)))
            .await
            .expect("the relay still answers");
    });
});
