//! Series night from Jellyfin, with real headless mpv players and two fake
//! servers that check every request against the OpenAPI document: Ana
//! starts the room from a whole series on her server (its episodes are
//! the queue); Bo's server knows the series
//! under another name, and its copy of each episode has 4 s of black and
//! silence in front. Bo finds his copies by provider ids, each episode
//! plays from each friend's own server, is aligned by sound afresh, and
//! each server hears the progress of each episode (watched state).

mod common;
use common::{within, Peer};

use std::time::{Duration, Instant};

use matinee_client_core::{
    MediaSource, PartyMedia, PartyRequest, RelayEndpoint, Role, SessionCmd, SessionConfig,
};
use matinee_fake_jellyfin::{self as fake, FakeJellyfin, ServerSetup};
use matinee_jellyfin::JellyfinClient;
use matinee_protocol::{ControlMode, RoomCode};
use matinee_relay::RelayConfig;
use matinee_testkit::copies::{FILM_SECS, PAD_SECS};
use matinee_testkit::{film_copy, FilmCopy};

async fn signed_in(server: &FakeJellyfin) -> JellyfinClient {
    let mut jf = JellyfinClient::new(&server.url(), fake::device()).unwrap();
    jf.sign_in(fake::USER, fake::PASSWORD).await.unwrap();
    jf
}

fn config(
    relay: String,
    name: &str,
    role: Role,
    film: FilmCopy,
    jf: JellyfinClient,
) -> SessionConfig {
    SessionConfig {
        osd_notices: false,
        jellyfin: Some(jf),
        ..common::config(relay, name, role, MediaSource::file(film_copy(film)))
    }
}

/// Waits until both players stream episode `item` from their servers.
async fn both_stream(ana: &Peer, bo: &Peer, item: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (a, b) = (ana.playing().await, bo.playing().await);
        if a.contains(item) && b.contains(item) {
            assert!(a.starts_with("http://127.0.0.1") && b.starts_with("http://127.0.0.1"));
            assert_ne!(a, b, "each from their own server");
            return;
        }
        assert!(Instant::now() < deadline, "both on {item}: Ana {a}, Bo {b}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn reported_items(server: &FakeJellyfin) -> Vec<String> {
    server
        .seen("/Sessions/Playing")
        .iter()
        .filter_map(|s| s.body["ItemId"].as_str().map(String::from))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_series_from_jellyfin_plays_from_each_friends_own_server() {
    let secs = f64::from(FILM_SECS);
    let ana_server = FakeJellyfin::start(film_copy(FilmCopy::Original), secs).await;
    let bo_server = FakeJellyfin::start_with(
        film_copy(FilmCopy::Padded),
        secs + PAD_SECS,
        ServerSetup::series_named("Exemple de série"),
    )
    .await;
    let relay = matinee_relay::start(RelayConfig {
        next_entry_after_secs: 1.0,
        ..RelayConfig::loopback()
    })
    .await
    .unwrap();
    let host = Role::Host {
        control_mode: ControlMode::HostOnly,
    };
    // Ana starts the room from the whole series (the lobby's way): its
    // episodes, in order, are the queue, and the first comes up.
    let ana_jf = signed_in(&ana_server).await;
    let ana = Peer::party(PartyRequest {
        nickname: "Ana".into(),
        role: host,
        relay: vec![RelayEndpoint::url(relay.ws_url())],
        media: PartyMedia::Jellyfin {
            client: Box::new(ana_jf.clone()),
            item: fake::SERIES.into(),
            resume: None,
        },
        mpv_path: None,
        headless: true,
        controller: Default::default(),
        client_name: "matinee-tests".into(),
        film_folders: Vec::new(),
        jellyfin: Some(Box::new(ana_jf)),
    })
    .await;
    let code: RoomCode = ana.session.snapshot().code;
    // Bo opens it with another film: the episodes' own files would rightly
    // count as copies (the same size as on the server).
    let bo_jf = signed_in(&bo_server).await;
    let bo = Peer::start(config(
        relay.ws_url(),
        "Bo",
        Role::Join { code },
        FilmCopy::Other,
        bo_jf,
    ))
    .await;

    let ids: Vec<u32> = within(15, "two entries at Bo's", || {
        let q = bo.session.snapshot().queue;
        (q.entries.len() == 2).then(|| q.entries.iter().map(|e| e.id).collect())
    })
    .await;
    let first = bo.session.snapshot().queue.entries[0].item.clone();
    assert_eq!(first.title, "Example Show · S01E01 · Episode 1");
    assert_eq!(
        first.media.provider_ids.get("Tvdb").map(String::as_str),
        Some("901")
    );
    // Bo's server calls it something else: found by provider ids.
    let copies = within(15, "Bo's copies on his server", || {
        let c = bo.session.snapshot().own_copies;
        (c.len() == 2).then_some(c)
    })
    .await;
    assert_eq!(
        copies[&ids[1]],
        "Exemple de série · S01E02 · Episode 2 (Jellyfin)"
    );
    let scans = bo_server.seen("/Items");
    assert!(
        scans.iter().any(|s| s
            .query
            .iter()
            .any(|(k, v)| k == "fields" && v.contains("ProviderIds"))
            && s.query
                .iter()
                .any(|(k, v)| k == "includeItemTypes" && v == "Episode")),
        "Bo's episodes asked with their provider ids"
    );
    assert!(
        within(5, "Ana's own copies", || {
            (ana.session.snapshot().own_copies.len() == 2).then_some(true)
        })
        .await
    );

    // The first episode: each streams their own server's, Bo aligned.
    within(10, "the room on the first episode", || {
        (bo.session.snapshot().queue.current == Some(ids[0])).then_some(())
    })
    .await;
    both_stream(&ana, &bo, fake::EPISODE1).await;
    within(30, "the room plays the first episode", || {
        (!ana.paused() && !bo.paused()).then_some(())
    })
    .await;
    common::aligned(&bo, PAD_SECS).await;

    // Near its end: it ends, the room goes on to the second by itself.
    ana.session.send(SessionCmd::Seek {
        position: secs - 5.0,
    });
    both_stream(&ana, &bo, fake::EPISODE2).await;
    assert_eq!(bo.session.snapshot().queue.current, Some(ids[1]));
    within(30, "the room plays the second episode", || {
        (!ana.paused() && !bo.paused()).then_some(())
    })
    .await;
    common::aligned(&bo, PAD_SECS).await;

    // Each server heard each episode: the first is watched on both.
    for (who, server) in [("Ana", &ana_server), ("Bo", &bo_server)] {
        let items = reported_items(server);
        assert!(
            items.contains(&fake::EPISODE1.to_string())
                && items.contains(&fake::EPISODE2.to_string()),
            "{who}'s server heard {items:?}"
        );
        within(10, "the first episode watched", || {
            server.played(fake::EPISODE1).then_some(())
        })
        .await;
        assert!(
            !server.played(fake::EPISODE2),
            "{who}: the second is not over"
        );
        server.assert_clean();
    }
}
