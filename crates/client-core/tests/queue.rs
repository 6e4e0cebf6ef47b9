//! Series night on loopback with real headless mpv players: Ana queues
//! three episodes from her files; Bo's copies have other names (and
//! another container, so other sizes) in his films folder, his copy of
//! the third has 4 s of black and silence in front, and he lacks the
//! second. Each finds their own copies, the room plays the first for
//! both, goes on by itself when it ends, Bo sits the second out and is
//! back for the third, in his own file, aligned to Ana's by sound afresh
//! for that entry. The relay restarts mid-queue and the room comes back
//! with its queue; entries are moved mid-queue.

mod common;
use common::{until, within, Peer};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use matinee_client_core::{MediaSource, Role, SessionCmd, SessionEvent};
use matinee_protocol::{ControlMode, RoomCode};
use matinee_relay::RelayConfig;
use matinee_testkit::copies::PAD_SECS;
use matinee_testkit::{clip, film_copy, ClipSpec, FilmCopy};

/// Episode `n` (a clip of 5 + n seconds: each episode is another film).
fn episode(n: u32) -> PathBuf {
    clip(ClipSpec {
        seconds: 5 + n,
        fps: 30,
        width: 320,
        height: 180,
    })
}

/// Bo's copy: the same film in another container, under another name.
fn remux(from: &Path, to: &Path) {
    let ok = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(from)
        .args(["-c", "copy"])
        .arg(to)
        .status()
        .expect("ffmpeg runs")
        .success();
    assert!(ok, "remux {}", to.display());
}

/// Waits until `peer` sees the queue in this order.
async fn order_at(peer: &Peer, want: &[u32]) {
    until("the new order", || {
        let q = peer.session.snapshot().queue;
        (q.entries.iter().map(|e| e.id).collect::<Vec<_>>() == want).then_some(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_friends_watch_three_episodes_in_a_row_from_their_own_copies() {
    let home = tempfile::tempdir().unwrap();
    let (ana_dir, bo_dir) = (
        home.path().join("ana"),
        home.path().join("bo/The Show/Season 1"),
    );
    std::fs::create_dir_all(&ana_dir).unwrap();
    std::fs::create_dir_all(&bo_dir).unwrap();
    // The third is the film with a melody, so that copies align by sound.
    let ana_files: Vec<PathBuf> = (1..=3)
        .map(|n| {
            let p = ana_dir.join(format!("The.Show.S01E0{n}.720p.mkv"));
            let from = match n {
                3 => film_copy(FilmCopy::Original),
                _ => episode(n),
            };
            std::fs::copy(from, &p).unwrap();
            p
        })
        .collect();
    let bo_first = bo_dir.join("show 1x01.mp4");
    let bo_third = bo_dir.join("show 1x03.mkv");
    remux(&ana_files[0], &bo_first);
    std::fs::copy(film_copy(FilmCopy::Padded), &bo_third).unwrap();

    let restartable = common::restartable_relay(home.path());
    let relay_config = || RelayConfig {
        next_entry_after_secs: 1.0,
        ..restartable()
    };
    let relay = matinee_relay::start(relay_config()).await.unwrap();
    let mut ana = Peer::start(common::config(
        relay.ws_url(),
        "Ana",
        Role::Host {
            control_mode: ControlMode::HostOnly,
        },
        MediaSource::file(&ana_files[0]),
    ))
    .await;
    let code: RoomCode = ana.session.snapshot().code;
    let mut bo = Peer::start(common::config(
        relay.ws_url(),
        "Bo",
        Role::Join { code },
        MediaSource::file(&bo_first),
    ))
    .await;
    bo.session.send(SessionCmd::FilmFolders {
        folders: vec![home.path().join("bo")],
    });

    // A file that is not there is said, and the others go in.
    let mut paths = ana_files.clone();
    paths.insert(1, ana_dir.join("gone.mkv"));
    ana.session
        .send(SessionCmd::QueueAdd { paths, play: false });
    let refused = ana
        .event("the missing file", |ev| match ev {
            SessionEvent::Refused { message } => Some(message.clone()),
            _ => None,
        })
        .await;
    assert!(refused.contains("gone.mkv"), "{refused}");

    // Each finds their copies; the queue says who has none.
    let ids: Vec<u32> = until("three entries at Bo's", || {
        let q = bo.session.snapshot().queue;
        (q.entries.len() == 3).then(|| q.entries.iter().map(|e| e.id).collect())
    })
    .await;
    let titles: Vec<String> = bo
        .session
        .snapshot()
        .queue
        .entries
        .iter()
        .map(|e| e.item.title.clone())
        .collect();
    assert_eq!(titles[0], "The Show · S01E01");
    let bo_id = bo.session.snapshot().you;
    until("Bo's copies known", || {
        let copies = bo.session.snapshot().own_copies;
        (copies.len() == 2).then_some(())
    })
    .await;
    let copies = bo.session.snapshot().own_copies;
    assert_eq!(
        copies.get(&ids[0]).map(String::as_str),
        Some("show 1x01.mp4")
    );
    assert_eq!(
        copies.get(&ids[2]).map(String::as_str),
        Some("show 1x03.mkv")
    );
    until("Ana sees Bo has no second episode", || {
        let q = ana.session.snapshot().queue;
        (q.entries[1].without == vec![bo_id]).then_some(())
    })
    .await;
    assert_eq!(ana.session.snapshot().own_copies.len(), 3);

    // The first episode, for both, started by the relay once both are ready.
    ana.session.send(SessionCmd::QueuePlay { id: ids[0] });
    until("the first episode plays", || {
        let s = ana.session.snapshot();
        (s.queue.current == Some(ids[0]) && !s.playback.paused).then_some(())
    })
    .await;
    assert!(bo.playing().await.ends_with("show 1x01.mp4"));

    // The relay restarts mid-queue (paused, so the episode waits): the
    // room is rebuilt from its members with its queue and the entry it is
    // on, and Bo's copies are said again.
    ana.session.send(SessionCmd::Pause);
    until("paused", || {
        ana.session.snapshot().playback.paused.then_some(())
    })
    .await;
    relay.shutdown().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _relay = matinee_relay::start(relay_config()).await.unwrap();
    for peer in [&ana, &bo] {
        let mut w = peer.session.watch();
        tokio::time::timeout(
            Duration::from_secs(8),
            w.wait_for(|s| s.connection == matinee_client_core::ConnectionState::Connected),
        )
        .await
        .expect("back within 8 s")
        .unwrap();
    }
    until("both back in the rebuilt room", || {
        (ana.session.snapshot().participants.len() == 2).then_some(())
    })
    .await;
    let q = ana.session.snapshot().queue;
    assert_eq!(q.entries.iter().map(|e| e.id).collect::<Vec<_>>(), ids);
    assert_eq!(q.current, Some(ids[0]));
    until("Bo's missing copy known again", || {
        let q = ana.session.snapshot().queue;
        (q.entries[1].without == vec![bo_id]).then_some(())
    })
    .await;

    // Reordered mid-queue: the second goes last, Bo sees the new order,
    // then it comes back (the room goes on in the order it is left in).
    ana.session
        .send(SessionCmd::QueueMove { id: ids[1], to: 2 });
    order_at(&bo, &[ids[0], ids[2], ids[1]]).await;
    ana.session
        .send(SessionCmd::QueueMove { id: ids[1], to: 1 });
    order_at(&bo, &ids).await;
    assert_eq!(bo.session.snapshot().queue.current, Some(ids[0]));
    ana.session.send(SessionCmd::Play);

    // It ends; the room goes on by itself. Bo has no copy: he sits it out.
    let sat_out = bo
        .event("Bo sits the second out", |ev| match ev {
            SessionEvent::Refused { message } if message.contains("no copy") => {
                Some(message.clone())
            }
            _ => None,
        })
        .await;
    assert!(sat_out.contains("S01E02"), "{sat_out}");
    until("the second episode plays for Ana", || {
        let s = ana.session.snapshot();
        (s.queue.current == Some(ids[1]) && !s.playback.paused).then_some(())
    })
    .await;
    assert!(ana.playing().await.ends_with("S01E02.720p.mkv"));
    assert_eq!(bo.playing().await, "", "nothing plays at Bo's meanwhile");

    // The third: Bo is back, in his own padded file, aligned to Ana's
    // copy afresh for this entry and in step with her in the room's time.
    within(30, "the third episode plays", || {
        let s = bo.session.snapshot();
        (s.queue.current == Some(ids[2]) && !s.playback.paused).then_some(())
    })
    .await;
    assert!(bo.playing().await.ends_with("show 1x03.mkv"));
    assert!(ana.playing().await.ends_with("S01E03.720p.mkv"));
    let line = common::aligned(&bo, PAD_SECS).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let now = std::time::Instant::now();
    let (a, b) = (ana.position_at(now), bo.position_at(now));
    let b_in_room = line.to_room(b);
    assert!(
        a > 0.5 && (a - b_in_room).abs() < 0.25,
        "Ana at {a:.2}, Bo at {b:.2} in his file ({b_in_room:.2} in the room's time)"
    );
}
