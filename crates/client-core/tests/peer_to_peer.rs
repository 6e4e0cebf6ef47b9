//! The peer-to-peer path on loopback, with real parts: an iroh relay
//! (`matinee-p2p`'s), a relay whose peer-to-peer endpoint friends dial by
//! id, and the client's link racing its candidates. (The namespace tests
//! in matinee-cli put NATs between them.)

use std::sync::Arc;
use std::time::{Duration, Instant};

use matinee_client_core::{Backoff, RelayEndpoint, RelayLink};
use matinee_p2p::{load_or_create_key, IrohRelayServer, P2pHost, P2pRelays};
use matinee_protocol::P2pRoute;
use matinee_relay::RelayConfig;

async fn iroh_relay() -> (IrohRelayServer, String) {
    let server = IrohRelayServer::start("127.0.0.1:0".parse().unwrap(), None)
        .await
        .unwrap();
    let url = format!("http://{}", server.http_addr().unwrap());
    (server, url)
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_friend_reaches_the_relay_by_its_endpoint_id_alone() {
    let (iroh, url) = iroh_relay().await;
    let dir = tempfile::tempdir().unwrap();
    let key = load_or_create_key(dir.path()).unwrap().key;
    let p2p = Arc::new(
        P2pHost::start(key, &P2pRelays::parse(&url).unwrap(), 8)
            .await
            .unwrap(),
    );
    let home = p2p.home_relay(Duration::from_secs(10)).await;
    let relay = matinee_relay::start(RelayConfig {
        p2p: Some(p2p.clone()),
        ..RelayConfig::loopback()
    })
    .await
    .unwrap();
    let route = P2pRoute {
        id: p2p.id(),
        relay: home,
    };
    let (_link, connected, _events) = RelayLink::connect(
        &[RelayEndpoint::peer_to_peer(route.clone())],
        "test",
        Backoff::default(),
    )
    .await
    .expect("the relay answers over the peer-to-peer stream");
    assert_eq!(connected.url, format!("p2p://{}/ws", route.short_id()));
    assert_eq!(relay.connections(), 1);

    // A wrong id (a key nobody holds) fails, and says it was the
    // peer-to-peer path.
    let nobody = P2pRoute {
        id: *iroh::SecretKey::from_bytes(&[9; 32]).public().as_bytes(),
        relay: Some(url.clone()),
    };
    let started = Instant::now();
    let e = RelayLink::connect(
        &[RelayEndpoint::peer_to_peer(nobody)],
        "test",
        Backoff::default(),
    )
    .await
    .err()
    .expect("nobody answers for that id");
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(
        e.to_string().contains("could not be reached peer-to-peer"),
        "{e}"
    );
    relay.shutdown().await;
    iroh.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_iroh_relay_falls_back_to_the_other_candidates() {
    let relay = matinee_relay::start(RelayConfig::loopback()).await.unwrap();
    let dead = P2pRoute {
        id: *iroh::SecretKey::from_bytes(&[3; 32]).public().as_bytes(),
        relay: Some(format!("http://127.0.0.1:{}", closed_port())),
    };
    // The peer-to-peer candidate first: the working one still wins, and
    // the link says which.
    let endpoints = [
        RelayEndpoint::peer_to_peer(dead),
        RelayEndpoint::url(relay.ws_url()),
    ];
    let (_link, connected, _events) = RelayLink::connect(&endpoints, "test", Backoff::default())
        .await
        .expect("the direct candidate answers");
    assert_eq!(connected.url, relay.ws_url());
    relay.shutdown().await;
}

#[test]
fn the_error_for_a_damaged_id_is_plain() {
    let e = matinee_protocol::Invite::parse("matinee://join/K7MQ2X?id=AAAA").unwrap_err();
    assert!(e.to_string().contains("peer-to-peer id is damaged"), "{e}");
}
