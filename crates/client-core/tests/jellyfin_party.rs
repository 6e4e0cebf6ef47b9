//! Rooms across sources: a host streams a Jellyfin item into real mpv (the
//! fake server checks every request against the OpenAPI document) while
//! friends play local files, matched by size and duration.

mod common;
use common::until;

use matinee_fake_jellyfin as fake;

use std::time::Duration;

use matinee_client_core::{
    report_playback, stream_media, MediaSource, MediaWarning, PartySession, Role, SessionCmd,
    SessionConfig,
};
use matinee_jellyfin::JellyfinClient;
use matinee_jellyfin::Reporter;
use matinee_protocol::ControlMode;
use matinee_relay::RelayConfig;
use matinee_testkit::{clip, ClipSpec};

fn config(relay_url: String, nickname: &str, role: Role, media: MediaSource) -> SessionConfig {
    SessionConfig {
        osd_notices: false,
        ..common::config(relay_url, nickname, role, media)
    }
}

#[tokio::test]
async fn a_jellyfin_stream_and_local_files_share_a_room() {
    let relay = matinee_relay::start(RelayConfig::loopback()).await.unwrap();
    let film = clip(ClipSpec::small(120));
    let server = fake::FakeJellyfin::start(film.clone(), 120.0).await;
    let mut jf = JellyfinClient::new(&server.url(), fake::device()).unwrap();
    jf.sign_in(fake::USER, fake::PASSWORD).await.unwrap();
    let plan = jf.plan_stream(fake::FILM).await.unwrap();
    let stream = stream_media(&jf, &plan);

    let host = PartySession::start(config(
        relay.ws_url(),
        "Ana",
        Role::Host {
            control_mode: ControlMode::Shared,
        },
        stream,
    ))
    .await
    .expect("the host streams from Jellyfin");
    let reports = report_playback(host.player_samples(), Reporter::new(jf.clone(), &plan));
    let room = host.snapshot();
    assert_eq!(room.media.name, "Big Buck Bunny");
    assert_eq!(
        room.media.provider_ids.get("Tmdb").map(String::as_str),
        Some("10378")
    );
    assert!(
        !server.seen("/Videos/{itemId}/stream").is_empty(),
        "mpv streamed"
    );

    // The same film as a local file: no warning, although the names differ.
    let same = PartySession::start(config(
        relay.ws_url(),
        "Bo",
        Role::Join {
            code: room.code.clone(),
        },
        MediaSource::file(&film),
    ))
    .await
    .unwrap();
    assert_eq!(same.snapshot().warnings, vec![], "same size and duration");

    // Only the film's identity crossed the relay: not the host's stream URL
    // or token, and Bo's mpv plays Bo's own file.
    let seen_by_bo = serde_json::to_string(&same.snapshot().room_media).unwrap();
    assert!(seen_by_bo.contains("Big Buck Bunny"), "{seen_by_bo}");
    let token = server.tokens().pop().unwrap();
    for secret in ["://", "/Videos/", token.as_str()] {
        assert!(!seen_by_bo.contains(secret), "{secret} in {seen_by_bo}");
    }
    let bo_mpv = matinee_mpv::MpvClient::connect(&same.snapshot().player_endpoint.unwrap())
        .await
        .unwrap();
    assert_eq!(
        bo_mpv.get_text("path").await.unwrap().as_deref(),
        film.to_str()
    );

    // Another cut: warned about size and duration.
    let other = PartySession::start(config(
        relay.ws_url(),
        "Cy",
        Role::Join {
            code: room.code.clone(),
        },
        MediaSource::file(clip(ClipSpec::small(20))),
    ))
    .await
    .unwrap();
    let warnings = other.snapshot().warnings;
    assert!(
        matches!(
            warnings[..],
            [MediaWarning::Size { .. }, MediaWarning::Duration { .. }]
        ),
        "{warnings:?}"
    );

    // The server hears what the host's player does, whoever caused it:
    // started, then Bo's pause as a progress report, then stopped on leave.
    until("the start reported", || {
        server.seen("/Sessions/Playing").pop()
    })
    .await;
    assert!(same.send(SessionCmd::Pause));
    let paused = until("the pause reported", || {
        server
            .seen("/Sessions/Playing/Progress")
            .into_iter()
            .find(|r| r.body["IsPaused"] == true)
    })
    .await;
    assert_eq!(paused.body["PlaySessionId"], plan.play_session_id.as_str());
    assert_eq!(paused.body["ItemId"], fake::FILM);

    other.leave().await;
    same.leave().await;
    host.leave().await;
    tokio::time::timeout(Duration::from_secs(10), reports)
        .await
        .expect("reporting ends with the session")
        .unwrap();
    let stopped = server.seen("/Sessions/Playing/Stopped");
    assert_eq!(stopped.len(), 1);
    let at = stopped[0].body["PositionTicks"].as_i64().unwrap();
    // What a real server keeps of that position (a 120 s film is too short
    // for a resume point: a stop past 5 % marks it played).
    let (kept, played) = fake::play_state(120 * 10_000_000, at);
    assert_eq!(server.resume_ticks(fake::FILM), Some(kept));
    assert_eq!(server.played(fake::FILM), played);
    server.assert_clean();
}
