//! A real headless mpv streams a generated clip from the fake server with
//! the token in a header set over IPC (never on a command line or in the
//! URL), and playback reports reach the server.

use matinee_fake_jellyfin as fake;

use std::time::Duration;

use fake::FakeJellyfin;
use matinee_jellyfin::{JellyfinClient, PlaybackSample, Reporter};
use matinee_mpv::{locate, LaunchOptions, MpvProcess};
use matinee_testkit::{clip, ClipSpec};
use tokio::sync::watch;

const WAIT: Duration = Duration::from_secs(15);

async fn mpv() -> MpvProcess {
    let bin = locate(None).expect("mpv installed");
    MpvProcess::launch(&LaunchOptions::headless(bin))
        .await
        .expect("mpv starts")
}

async fn until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Long enough (over five minutes) for the server to keep a resume point,
/// and light to make: 160×90 at 10 frames a second.
fn long_clip() -> std::path::PathBuf {
    clip(ClipSpec {
        seconds: 320,
        fps: 10,
        width: 160,
        height: 90,
    })
}

#[tokio::test]
async fn mpv_streams_with_the_token_in_a_header_and_progress_is_reported() {
    let film = long_clip();
    let fake = FakeJellyfin::start(film, 320.0).await;
    let mut client = JellyfinClient::new(&fake.url(), fake::device()).unwrap();
    let session = client.sign_in(fake::USER, fake::PASSWORD).await.unwrap();
    let plan = client.plan_stream(fake::FILM).await.unwrap();

    let player = mpv().await;
    let mpv_client = player.client().clone();
    mpv_client
        .set_http_headers(&[format!("Authorization: {}", client.authorization())])
        .await
        .unwrap();
    mpv_client
        .load_file(plan.url.as_str(), Some(2.0), false)
        .await
        .unwrap();
    let mut state = mpv_client.state();
    tokio::time::timeout(
        WAIT,
        state.wait_for(|s| s.time_pos.is_some_and(|p| p > 2.5) && !s.pause),
    )
    .await
    .expect("mpv plays the stream")
    .unwrap();
    let duration = mpv_client.get_number("duration").await.unwrap().unwrap();
    assert!((duration - 320.0).abs() < 0.5, "the whole clip: {duration}");
    let streamed = fake.seen("/Videos/{itemId}/stream");
    assert!(!streamed.is_empty());
    assert!(streamed.iter().all(|s| s
        .authorization
        .as_deref()
        .is_some_and(|a| a.contains("Token="))));

    // The token is nowhere on mpv's command line.
    let pid = player.pid().unwrap();
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    let token = session.token.expose();
    assert!(!String::from_utf8_lossy(&cmdline).contains(token));

    // Report from mpv's state: start, a pause, a seek, then stop.
    let sample = |s: &matinee_mpv::PlayerState| PlaybackSample {
        position: s.time_pos.unwrap_or(0.0),
        paused: s.pause,
    };
    let (tx, rx) = watch::channel(sample(&state.borrow()));
    let reporter = tokio::spawn(Reporter::new(client.clone(), &plan).run(rx));
    let feed = tokio::spawn(async move {
        while state.changed().await.is_ok() {
            let s = state.borrow_and_update().clone();
            // No position: the file is closing; keep the last one.
            if s.time_pos.is_some() && tx.send(sample(&s)).is_err() {
                return;
            }
        }
    });
    until("start reported", || {
        (!fake.seen("/Sessions/Playing").is_empty()).then_some(())
    })
    .await;

    mpv_client.set_pause(true).await.unwrap();
    let paused = until("the pause reported", || {
        fake.seen("/Sessions/Playing/Progress")
            .into_iter()
            .find(|r| r.body["IsPaused"] == true)
    })
    .await;
    assert_eq!(paused.body["PlaySessionId"], plan.play_session_id.as_str());
    assert_eq!(paused.body["MediaSourceId"], fake::SOURCE);

    mpv_client.seek_to(100.0).await.unwrap();
    let sought = until("the seek reported", || {
        fake.seen("/Sessions/Playing/Progress")
            .into_iter()
            .find(|r| {
                r.body["PositionTicks"]
                    .as_i64()
                    .is_some_and(|t| (t - 1_000_000_000).abs() < 5_000_000)
            })
    })
    .await;
    assert_eq!(sought.body["IsPaused"], true);

    // mpv closes, the feed from it ends, and the reporter says stopped.
    player.quit().await;
    feed.abort();
    tokio::time::timeout(WAIT, reporter).await.unwrap().unwrap();
    let stopped = fake.seen("/Sessions/Playing/Stopped");
    assert_eq!(stopped.len(), 1);
    let ticks = stopped[0].body["PositionTicks"].as_i64().unwrap();
    assert!(
        (ticks - 1_000_000_000).abs() < 5_000_000,
        "stopped at {ticks}"
    );
    assert_eq!(
        fake.resume_ticks(fake::FILM),
        Some(ticks),
        "the server keeps the resume point"
    );
    let again = client.item(fake::FILM).await.unwrap();
    assert!((again.resume_seconds().unwrap() - 100.0).abs() < 0.5);
    fake.assert_clean();
}

/// A real server keeps no resume point for an item shorter than five
/// minutes: stopping in the middle marks it played.
#[tokio::test]
async fn a_short_clip_stopped_midway_is_played_not_resumed() {
    let film = clip(ClipSpec::small(20));
    let fake = FakeJellyfin::start(film, 20.0).await;
    let mut client = JellyfinClient::new(&fake.url(), fake::device()).unwrap();
    client.sign_in(fake::USER, fake::PASSWORD).await.unwrap();
    let plan = client.plan_stream(fake::FILM).await.unwrap();
    let reporter = Reporter::new(client.clone(), &plan);
    reporter
        .started(PlaybackSample {
            position: 0.0,
            paused: false,
        })
        .await
        .unwrap();
    reporter.stopped(12.0).await.unwrap();
    assert_eq!(fake.resume_ticks(fake::FILM), Some(0));
    assert!(fake.played(fake::FILM));
    let item = client.item(fake::FILM).await.unwrap();
    assert_eq!(item.resume_seconds(), None);
    fake.assert_clean();
}
