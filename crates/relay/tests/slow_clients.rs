//! Sockets that never become a request: slow headers, silence, idle
//! keep-alive, one address opening hundreds, and a low limit of open files
//! (issue 14, item 4). Real sockets on loopback; the last case runs the
//! relay binary with its soft file limit lowered.

// Unix only: lowers the relay's open-file limit (setrlimit).
#![cfg(unix)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{config, relay, RelayConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Connects to `relay` from the loopback address `source`.
async fn try_connect_from(relay: SocketAddr, source: &str) -> std::io::Result<TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source.parse().unwrap(), 0))?;
    socket.connect(relay).await
}

async fn connect_from(relay: SocketAddr, source: &str) -> TcpStream {
    try_connect_from(relay, source).await.unwrap()
}

/// Whether the relay closes `s` within `wait` (reads until end of stream
/// or a reset, dropping what arrives).
async fn closed_within(s: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

/// A GET of /healthz from `source`; the status code, or None when the
/// relay does not answer within a few seconds.
async fn healthz_from(relay: SocketAddr, source: &str) -> Option<u16> {
    let attempt = async {
        let mut s = try_connect_from(relay, source).await.ok()?;
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await.ok()?;
        let text = String::from_utf8_lossy(&raw).to_string();
        text.split_whitespace().nth(1)?.parse().ok()
    };
    tokio::time::timeout(Duration::from_secs(5), attempt)
        .await
        .ok()
        .flatten()
}

#[tokio::test]
async fn slow_silent_and_idle_sockets_are_cut_off() {
    let relay = relay(RelayConfig {
        header_timeout_secs: 1.0,
        ..config()
    })
    .await;
    let addr = relay.addr();

    // Headers a byte every 250 ms: 40 bytes would take 10 s.
    let mut slow = connect_from(addr, "127.0.0.1").await;
    let request = b"GET /healthz HTTP/1.1\r\nHost: relay.test\r\nX-Slow: yes\r\n\r\n";
    let started = tokio::time::Instant::now();
    let mut cut_after = None;
    for byte in request.iter().take(40) {
        if slow.write_all(&[*byte]).await.is_err() {
            cut_after = Some(started.elapsed());
            break;
        }
        let mut buf = [0u8; 512];
        match tokio::time::timeout(Duration::from_millis(250), slow.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                cut_after = Some(started.elapsed());
                break;
            }
            _ => {}
        }
    }
    let cut_after = cut_after.expect("the slow client was cut off");
    assert!(
        cut_after < Duration::from_secs(5),
        "cut after {cut_after:?}"
    );

    // A socket that never says anything.
    let mut silent = connect_from(addr, "127.0.0.1").await;
    assert!(closed_within(&mut silent, Duration::from_secs(5)).await);

    // One request, then an idle keep-alive connection.
    let mut idle = connect_from(addr, "127.0.0.1").await;
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: relay.test\r\n\r\n")
        .await
        .unwrap();
    assert!(closed_within(&mut idle, Duration::from_secs(5)).await);
}

#[tokio::test]
async fn one_address_cannot_exhaust_the_sockets() {
    let relay = relay(RelayConfig {
        max_connections_per_address: 4,
        header_timeout_secs: 30.0,
        ..config()
    })
    .await;
    let addr = relay.addr();
    // Sockets allowed per address: its WebSockets and as many others.
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(connect_from(addr, "127.0.0.1").await);
    }
    // Give the relay time to take them all before the next.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut over = connect_from(addr, "127.0.0.1").await;
    assert!(
        closed_within(&mut over, Duration::from_secs(2)).await,
        "a ninth socket from the address is closed at once"
    );
    for s in &mut held[..2] {
        assert!(
            !closed_within(s, Duration::from_millis(100)).await,
            "sockets within the quota stay"
        );
    }
    assert_eq!(healthz_from(addr, "127.0.0.2").await, Some(200));
}

/// The relay raises its soft limit of open files to the hard limit at
/// start: with a soft limit of 64, 200 idle sockets from other addresses
/// would otherwise leave no file for anyone's health check.
#[tokio::test]
async fn a_low_open_file_limit_is_raised_at_start() {
    let (_, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
    if hard < 1024 {
        panic!("this test needs a hard file limit of 1024 or more (it is {hard})");
    }
    let listen = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_matinee-relay"));
    cmd.env("MATINEE_RELAY_LISTEN", listen.to_string())
        .env("MATINEE_RELAY_HEADER_TIMEOUT_SECS", "60")
        .env("RUST_LOG", "error")
        .kill_on_drop(true)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between
    // fork and exec.
    unsafe {
        cmd.pre_exec(move || rlimit::setrlimit(rlimit::Resource::NOFILE, 64, hard));
    }
    let mut child = cmd.spawn().unwrap();
    let mut up = false;
    for _ in 0..100 {
        if healthz_from(listen, "127.0.0.1").await == Some(200) {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the relay starts");
    // 200 idle sockets, 40 from each of five addresses (within each
    // address's quota).
    let mut held = Vec::new();
    for i in 0..200 {
        let source = format!("127.0.1.{}", 1 + i % 5);
        held.push(connect_from(listen, &source).await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        healthz_from(listen, "127.0.0.9").await,
        Some(200),
        "the relay still has files to answer with"
    );
    let mut still_open = 0;
    for s in &mut held {
        if !closed_within(s, Duration::from_millis(5)).await {
            still_open += 1;
        }
    }
    assert_eq!(still_open, 200, "the idle sockets were all accepted");
    child.kill().await.unwrap();
}
