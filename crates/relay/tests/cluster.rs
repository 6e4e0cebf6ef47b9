//! Several relay nodes sharing rooms through a real `redis-server` on
//! loopback: a room spanning two nodes, a node killed (SIGKILL) and its
//! room taken over, Redis going away and coming back.

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{config, relay, Client, RelayConfig, WAIT};
use matinee_protocol::{ClientMsg, ControlAction, ControlMode, ErrorCode, ServerMsg};

/// Longest wait for a dead node's rooms and members to be noticed: its
/// lease and heartbeat last 3 s.
const TAKEOVER: Duration = Duration::from_secs(15);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A throwaway `redis-server` on a loopback port, killed when dropped.
struct Redis {
    port: u16,
    child: Option<Child>,
}

impl Redis {
    async fn start() -> Self {
        let mut r = Redis {
            port: free_port(),
            child: None,
        };
        r.restart().await;
        r
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Starts it (again, on the same port, empty).
    async fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port"])
            .arg(self.port.to_string())
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed (scripts/deps.sh)");
        self.child = Some(child);
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "redis-server starts"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn node_config(redis: &Redis) -> RelayConfig {
    RelayConfig {
        redis_url: Some(redis.url()),
        ..config()
    }
}

/// A relay node as its own process, to be killed without warning.
struct NodeProcess {
    child: Child,
    url: String,
}

impl NodeProcess {
    async fn start(redis: &Redis) -> Self {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_matinee-relay"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--redis", &redis.url()])
            .args(["--tick-ms", "200", "--max-joins-per-minute", "1000"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("relay binary starts");
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(tokio::time::Instant::now() < deadline, "relay node listens");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        NodeProcess {
            child,
            url: format!("ws://127.0.0.1:{port}/ws"),
        }
    }

    fn kill(mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn connect_url(url: &str) -> Client {
    let mut c = Client::raw_url(url).await;
    c.hello().await;
    c
}

fn chat_text(m: &ServerMsg) -> Option<String> {
    match m {
        ServerMsg::Chat { text, .. } => Some(text.clone()),
        _ => None,
    }
}

async fn resume(c: &mut Client, code: &matinee_protocol::RoomCode, token: &str) {
    c.send(&ClientMsg::Resume {
        code: code.clone(),
        token: token.into(),
        rebuild: None,
    })
    .await;
}

async fn health(relay: &matinee_relay::RelayHandle) -> (u16, String) {
    // A bare HTTP/1.0 request: the status line and the body.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(relay.addr()).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).await.unwrap();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[tokio::test]
async fn a_room_spans_two_nodes_in_one_order() {
    let redis = Redis::start().await;
    let a = relay(node_config(&redis)).await;
    let b = relay(node_config(&redis)).await;
    let mut ana = Client::host(&a, "Ana", ControlMode::HostOnly).await;
    let code = ana.code();

    // Ben joins through the other node and both see the same room.
    let mut ben = Client::guest(&b, &code, "Ben").await;
    ana.participants_where(|p| p.len() == 2).await;
    let list = ben.participants_where(|p| p.len() == 2).await;
    assert!(list.iter().any(|p| p.nickname == "Ana" && p.host));

    // Chat both ways, in the order sent.
    for i in 0..20 {
        ana.send(&ClientMsg::Chat {
            text: format!("a{i}"),
        })
        .await;
    }
    ben.send(&ClientMsg::Chat { text: "hi".into() }).await;
    let mut seen = Vec::new();
    while seen.len() < 20 {
        let t = ben.recv_until(chat_text).await;
        if t.starts_with('a') {
            seen.push(t);
        }
    }
    assert_eq!(seen, (0..20).map(|i| format!("a{i}")).collect::<Vec<_>>());
    loop {
        if ana.recv_until(chat_text).await == "hi" {
            break;
        }
    }

    // The host's pause reaches Ben; Ben, not host, is refused by the room
    // across nodes.
    ana.control(1, ControlAction::Pause { position: 42.0 })
        .await;
    let (state, _) = ben.state_where(|s| s.epoch == 1).await;
    assert!(state.paused && (state.position - 42.0).abs() < 1e-9);
    ben.control(1, ControlAction::Seek { position: 5.0 }).await;
    ben.expect_error(ErrorCode::NotHost).await;

    // A third member on the first node, and Ben leaving from the second.
    let mut cy = Client::guest(&a, &code, "Cy").await;
    cy.participants_where(|p| p.len() == 3).await;
    ben.send(&ClientMsg::Leave).await;
    ben.recv_until(|m| matches!(m, ServerMsg::Left { .. }).then_some(()))
        .await;
    cy.participants_where(|p| p.len() == 2 && p.iter().all(|p| p.nickname != "Ben"))
        .await;

    // Codes are unique across nodes: a code unknown to both is refused
    // by either.
    let mut dee = Client::connect(&b).await;
    let unknown = ["ABCDEF", "GHJKLM"]
        .iter()
        .map(|c| matinee_protocol::RoomCode::parse(c).unwrap())
        .find(|c| *c != code)
        .unwrap();
    dee.send(&ClientMsg::Join {
        code: unknown,
        nickname: "Dee".into(),
        media: None,
    })
    .await;
    dee.expect_error(ErrorCode::RoomNotFound).await;
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn a_killed_node_s_room_is_taken_over_with_its_seats() {
    let redis = Redis::start().await;
    let dying = NodeProcess::start(&redis).await;
    let b = relay(node_config(&redis)).await;

    let mut ana = connect_url(&dying.url).await;
    ana.send(&ClientMsg::Create {
        nickname: "Ana".into(),
        control_mode: ControlMode::HostOnly,
        media: None,
    })
    .await;
    let ana_seat = ana.expect_joined().await;
    let code = ana_seat.room.code.clone();
    let mut ben = Client::guest(&b, &code, "Ben").await;
    let ben_token = ben.token.clone();
    ben.send(&ClientMsg::Ready { ready: true }).await;
    ana.control(1, ControlAction::Pause { position: 42.0 })
        .await;
    ben.state_where(|s| s.epoch == 1).await;
    ana.participants_where(|p| p.iter().any(|p| p.nickname == "Ben" && p.ready))
        .await;
    // The room's state reaches Redis within a keep (0.5 s).
    tokio::time::sleep(Duration::from_millis(1200)).await;

    dying.kill();

    // Ben's next message finds nobody running the room: his node tells
    // him to come back, and coming back moves the room to his node.
    ben.send(&ClientMsg::Chat {
        text: "anyone?".into(),
    })
    .await;
    let (_, fatal) = ben.expect_error(ErrorCode::Unavailable).await;
    assert!(fatal);
    ben.expect_closed().await;
    let mut ben = Client::connect(&b).await;
    resume(&mut ben, &code, &ben_token).await;
    // Within the dead node's lease (3 s) and a margin.
    let joined = ben
        .recv_until_within(TAKEOVER, |m| match m {
            ServerMsg::Joined(j) => Some((**j).clone()),
            _ => None,
        })
        .await;
    assert_eq!(joined.room.code, code);
    assert!(joined.room.playback.paused);
    assert!((joined.room.playback.position - 42.0).abs() < 1e-9);
    let me = joined
        .room
        .participants
        .iter()
        .find(|p| p.id == joined.you)
        .unwrap();
    assert_eq!(me.nickname, "Ben");
    assert!(me.ready, "Ben's ready state is kept");
    let host = joined.room.participants.iter().find(|p| p.host).unwrap();
    assert_eq!(host.nickname, "Ana");
    assert!(host.reconnecting, "Ana is away, not gone");

    // Ana comes back through the live node and is host again.
    let mut ana = Client::connect(&b).await;
    resume(&mut ana, &code, &ana_seat.resume_token).await;
    let back = ana.expect_joined().await;
    assert_eq!(back.you, ana_seat.you);
    ben.participants_where(|p| {
        p.len() == 2
            && p.iter()
                .any(|p| p.nickname == "Ana" && p.host && !p.reconnecting)
    })
    .await;
    b.shutdown().await;
}

#[tokio::test]
async fn redis_away_means_unhealthy_and_no_new_rooms_until_it_returns() {
    let mut redis = Redis::start().await;
    let a = relay(node_config(&redis)).await;
    let mut ana = Client::host(&a, "Ana", ControlMode::Shared).await;
    let code = ana.code();
    let mut ben = Client::guest(&a, &code, "Ben").await;
    assert_eq!(health(&a).await.0, 200);

    redis.stop();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (status, body) = health(&a).await;
        if status == 503 {
            assert!(body.contains("unreachable"), "{body}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "turns unhealthy: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut cy = Client::connect(&a).await;
    cy.send(&ClientMsg::Create {
        nickname: "Cy".into(),
        control_mode: ControlMode::Shared,
        media: None,
    })
    .await;
    let (message, _) = cy.expect_error(ErrorCode::Unavailable).await;
    assert!(message.contains("try again"), "{message}");

    // The room running here goes on for its members meanwhile.
    ana.send(&ClientMsg::Chat {
        text: "still here".into(),
    })
    .await;
    assert_eq!(ben.recv_until(chat_text).await, "still here");

    redis.restart().await;
    let deadline = tokio::time::Instant::now() + WAIT * 2;
    while health(&a).await.0 != 200 {
        assert!(tokio::time::Instant::now() < deadline, "recovers");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    cy.send(&ClientMsg::Create {
        nickname: "Cy".into(),
        control_mode: ControlMode::Shared,
        media: None,
    })
    .await;
    let joined = cy.expect_joined().await;
    assert_ne!(joined.room.code, code);

    // The restarted Redis lost everything; the room running here is known
    // again, and reachable from another node.
    let b = relay(node_config(&redis)).await;
    let mut dee = Client::guest(&b, &code, "Dee").await;
    dee.participants_where(|p| p.len() == 3).await;
    ana.participants_where(|p| p.iter().any(|p| p.nickname == "Dee"))
        .await;
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn members_of_a_killed_node_show_as_reconnecting_and_resume_elsewhere() {
    let redis = Redis::start().await;
    let a = relay(node_config(&redis)).await;
    let dying = NodeProcess::start(&redis).await;
    let mut ana = Client::host(&a, "Ana", ControlMode::HostOnly).await;
    let code = ana.code();
    let mut ben = connect_url(&dying.url).await;
    ben.join(&code, "Ben").await;
    let token = ben.token.clone();
    ana.participants_where(|p| p.len() == 2).await;

    dying.kill();
    ana.recv_until_within(TAKEOVER, |m| match m {
        ServerMsg::Participants { participants } => participants
            .iter()
            .any(|p| p.nickname == "Ben" && p.reconnecting)
            .then_some(()),
        _ => None,
    })
    .await;
    let mut ben = Client::connect(&a).await;
    resume(&mut ben, &code, &token).await;
    ben.expect_joined().await;
    ana.participants_where(|p| p.len() == 2 && p.iter().all(|p| !p.reconnecting))
        .await;
    a.shutdown().await;
}

#[tokio::test]
async fn a_member_too_slow_for_its_node_is_dropped_from_the_room_elsewhere() {
    let redis = Redis::start().await;
    let fast = || RelayConfig {
        send_queue: 64,
        max_messages_per_sec: 100_000,
        max_chat_chars: 1000,
        ..node_config(&redis)
    };
    let a = relay(fast()).await;
    let b = relay(fast()).await;
    let mut ana = Client::host(&a, "Ana", ControlMode::Shared).await;
    let code = ana.code();
    // Sloth sits on the other node and never reads again.
    let _sloth = Client::guest_with_small_buffer(&b, &code, "Sloth").await;
    // Its node's queue for it fills up, then its socket write times out
    // (5 s): the room, on the first node, must hear of it.
    let sloth_away = |m: &ServerMsg| match m {
        ServerMsg::Participants { participants } => participants
            .iter()
            .any(|p| p.nickname == "Sloth" && p.reconnecting),
        _ => false,
    };
    let dropped = ana.flood_until_away("Sloth", 200).await;
    if !dropped {
        ana.recv_until_within(TAKEOVER, |m| sloth_away(m).then_some(()))
            .await;
    }
    // Ana's own messages still flow.
    ana.send(&ClientMsg::Chat {
        text: "after".into(),
    })
    .await;
    ana.recv_until(|m| matches!(m, ServerMsg::Chat { text, .. } if text == "after").then_some(()))
        .await;
    a.shutdown().await;
    b.shutdown().await;
}

/// A kick holds on the node that takes the room over: the ban list is part
/// of the room's stored state.
#[tokio::test]
async fn a_kick_holds_on_the_node_that_takes_the_room_over() {
    let redis = Redis::start().await;
    let dying = NodeProcess::start(&redis).await;
    let b = relay(node_config(&redis)).await;

    let mut ana = connect_url(&dying.url).await;
    let ana_seat = ana.create("Ana").await.unwrap();
    let code = ana_seat.room.code.clone();
    let mut cleo = Client::raw_from_url(&dying.url, "127.0.0.3".parse().unwrap())
        .await
        .unwrap();
    cleo.hello().await;
    let seat = cleo.try_join(&code, "Cleo").await.unwrap();
    ana.send(&ClientMsg::Kick {
        participant: seat.you,
    })
    .await;
    cleo.recv_until(|m| matches!(m, ServerMsg::Left { .. }).then_some(()))
        .await;
    // The room's state (with the ban) reaches Redis within a keep.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    dying.kill();

    // Cleo, from her address, through the live node: refused, once the
    // live node has taken the room over from its stored state.
    let mut again = Client::raw_from(&b, "127.0.0.3".parse().unwrap())
        .await
        .unwrap();
    again.hello().await;
    let deadline = tokio::time::Instant::now() + TAKEOVER;
    let refusal = loop {
        match again.try_join(&code, "Cleo").await {
            Err((ErrorCode::Unavailable, _)) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            other => break other,
        }
    };
    assert_eq!(refusal.unwrap_err().0, ErrorCode::Banned);
    // Her old seat cannot be rebuilt either.
    again
        .send(&ClientMsg::Resume {
            code: code.clone(),
            token: seat.resume_token.clone(),
            rebuild: Some(Box::new(matinee_protocol::RoomRebuild {
                nickname: "Cleo".into(),
                host_proof: None,
                ready: false,
                control_mode: ControlMode::HostOnly,
                playback: seat.room.playback,
                media: None,
                queue: Default::default(),
            })),
        })
        .await;
    again.expect_error(ErrorCode::Banned).await;
    // Someone else is welcome.
    let mut dan = Client::raw_from(&b, "127.0.0.4".parse().unwrap())
        .await
        .unwrap();
    dan.hello().await;
    dan.try_join(&code, "Dan").await.unwrap();
    b.shutdown().await;
}
