//! A host endpoint, a friend's dialer and an iroh relay, all on loopback:
//! bytes flow both ways on the stream, the id is checked, and a wrong id
//! fails with a clear error within its deadline.

use std::time::Duration;

use matinee_p2p::{load_or_create_key, Dialer, IrohRelayServer, P2pRelays, PathKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_friend_dials_the_host_by_id_through_the_relay() {
    let relay = IrohRelayServer::start("127.0.0.1:0".parse().unwrap(), None)
        .await
        .unwrap();
    let url = format!("http://{}", relay.http_addr().unwrap());
    let relays = P2pRelays::parse(&url).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key = load_or_create_key(dir.path()).unwrap().key;
    let host = matinee_p2p::P2pHost::start(key, &relays, 4).await.unwrap();
    let home = host.home_relay(Duration::from_secs(10)).await;
    assert_eq!(
        home.as_deref().map(|u| u.trim_end_matches('/')),
        Some(url.as_str()),
        "the host's home relay is the one it was given"
    );

    let dialer = Dialer::new(P2pRelays::Off);
    let id = host.id();
    let friend = tokio::spawn(async move {
        let mut stream = dialer
            .dial(&id, home.as_deref(), Duration::from_secs(10))
            .await
            .unwrap();
        stream.write_all(b"hello host").await.unwrap();
        let mut answer = [0u8; 12];
        stream.read_exact(&mut answer).await.unwrap();
        assert_eq!(&answer, b"hello friend");
        let kind = stream.path().kind();
        (dialer, kind)
    });
    let mut incoming = tokio::time::timeout(Duration::from_secs(10), host.next())
        .await
        .unwrap()
        .unwrap();
    let mut hello = [0u8; 10];
    incoming.stream.read_exact(&mut hello).await.unwrap();
    assert_eq!(&hello, b"hello host");
    incoming.stream.write_all(b"hello friend").await.unwrap();
    let (dialer, kind) = friend.await.unwrap();
    eprintln!("path on loopback: {kind:?}");
    assert!(matches!(kind, PathKind::Direct(_) | PathKind::Relayed));

    // A wrong id (a valid key nobody holds) fails, and says so, in time.
    let nobody = *iroh::SecretKey::from_bytes(&[7; 32]).public().as_bytes();
    let started = std::time::Instant::now();
    let e = dialer
        .dial(&nobody, Some(&url), Duration::from_secs(2))
        .await
        .err()
        .expect("nobody answers for that id");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        e.to_string().contains("could not be reached peer-to-peer"),
        "{e}"
    );
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_to_peer_connections_are_capped_as_a_whole() {
    let relay = IrohRelayServer::start("127.0.0.1:0".parse().unwrap(), None)
        .await
        .unwrap();
    let url = format!("http://{}", relay.http_addr().unwrap());
    let relays = P2pRelays::parse(&url).unwrap();
    let key = iroh::SecretKey::from_bytes(&[5; 32]);
    let host = matinee_p2p::P2pHost::start(key, &relays, 1).await.unwrap();
    let home = host.home_relay(Duration::from_secs(10)).await;
    let id = host.id();
    // Each friend its own endpoint (ids cost nothing: the cap is on all).
    let first = Dialer::new(P2pRelays::Off);
    let mut held = first
        .dial(&id, home.as_deref(), Duration::from_secs(10))
        .await
        .unwrap();
    held.write_all(b"x").await.unwrap();
    let _accepted = tokio::time::timeout(Duration::from_secs(10), host.next())
        .await
        .unwrap()
        .unwrap();
    let second = Dialer::new(P2pRelays::Off);
    let refused = second
        .dial(&id, home.as_deref(), Duration::from_secs(5))
        .await
        .err()
        .expect("the second connection is refused while the first holds the only place");
    assert!(
        refused
            .to_string()
            .contains("could not be reached peer-to-peer"),
        "{refused}"
    );
    relay.shutdown().await;
}
