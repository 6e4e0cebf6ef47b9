//! The relay's message handling, not just its decoder: a real relay (in
//! this process, on loopback) gets a connection that says hello, creates a
//! room and then sends the input, one frame per line. Whatever it sends, no
//! relay task may panic (libFuzzer's hook turns any panic into a crash) and
//! the relay must still welcome a new connection and answer its ping.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use matinee_protocol::{ClientMsg, ControlMode, ServerMsg};
use matinee_relay::RelayConfig;
use matinee_testkit::ws::WsClient;
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(5);

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

/// A connection that said hello.
async fn open(url: &str) -> WsClient {
    let mut ws = WsClient::connect(url).await.expect("relay accepts");
    ws.hello("fuzz", WAIT).await.expect("welcome");
    ws
}

fuzz_target!(|data: &[u8]| {
    let (rt, url) = relay();
    rt.block_on(async {
        let mut ws = open(url).await;
        ws.send(&ClientMsg::Create {
            nickname: "Ana".into(),
            control_mode: ControlMode::HostOnly,
            media: None,
        })
        .await;
        ws.until(WAIT, |m| matches!(m, ServerMsg::Joined(_)).then_some(()))
            .await
            .expect("joined");
        for line in data.split(|b| *b == b'\n') {
            let frame = match std::str::from_utf8(line) {
                Ok(text) => Message::text(text),
                Err(_) => Message::binary(line.to_vec()),
            };
            if !ws.send_frame(frame).await {
                break; // the relay closed this connection: allowed
            }
        }
        // This connection answers a ping unless the relay closed it.
        if ws.send(&ClientMsg::Ping { client_ms: 1.0 }).await {
            let _ = ws.until(WAIT, |m| matches!(m, ServerMsg::Pong(_)).then_some(())).await;
        }
        // And the relay still serves everyone else.
        let mut other = open(url).await;
        other.send(&ClientMsg::Ping { client_ms: 2.0 }).await;
        other
            .until(WAIT, |m| matches!(m, ServerMsg::Pong(_)).then_some(()))
            .await
            .expect("the relay still answers");
    });
});
