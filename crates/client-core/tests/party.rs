//! End to end on loopback: an in-process relay and two party sessions, each
//! with its own real headless mpv on the same generated clip. Players are
//! observed and poked over their own, separate IPC connections, the way a
//! person's key presses reach mpv.

mod common;
use common::heard::{made_up_action, record};
use common::{eventually, Peer};

use std::time::{Duration, Instant};

use matinee_client_core::{
    Backoff, MediaSource, PartySession, RelayEndpoint, Role, SessionCmd, SessionConfig,
    SessionEvent,
};
use matinee_mpv::{locate, LaunchOptions};
use matinee_protocol::{ControlMode, NoticeEvent, RoomCode};
use matinee_relay::{RelayConfig, RelayHandle};
use matinee_sync::{EngineConfig, SyncStatus};
use matinee_testkit::{clip, ClipSpec};

// Friends on Syncplay in the same room (Debian's real client).
#[cfg(unix)]
#[path = "syncplay/friends.rs"]
mod syncplay_friends;

const FRAME: f64 = 1.0 / 120.0;

async fn relay() -> RelayHandle {
    matinee_relay::start(RelayConfig::loopback()).await.unwrap()
}

fn config(relay: &RelayHandle, nickname: &str, role: Role) -> SessionConfig {
    let film = MediaSource::file(clip(ClipSpec::small(120)));
    common::config(relay.ws_url(), nickname, role, film)
}

/// Position gap between two playing players at the same instant, seconds
/// (infinite while either is paused: a joiner waits paused just ahead of
/// the room, which is not being in sync).
fn gap(a: &Peer, b: &Peer) -> f64 {
    if a.paused() || b.paused() {
        return f64::INFINITY;
    }
    let now = Instant::now();
    (a.position_at(now) - b.position_at(now)).abs()
}

/// Ana creates a room on `relay`.
async fn start_host(relay: &RelayHandle, mode: ControlMode) -> Peer {
    Peer::start(config(relay, "Ana", Role::Host { control_mode: mode })).await
}

/// The host starts the film for everyone and it plays.
async fn start_playing(host: &Peer) {
    host.session.send(SessionCmd::Start { force: true });
    eventually("host plays", Duration::from_secs(5), || !host.paused()).await;
}

async fn host_and_guest(mode: ControlMode) -> (RelayHandle, Peer, Peer) {
    let relay = relay().await;
    let host = start_host(&relay, mode).await;
    let code: RoomCode = host.session.snapshot().code;
    start_playing(&host).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let guest = Peer::start(config(&relay, "Ben", Role::Join { code })).await;
    (relay, host, guest)
}

/// A host-only room with Ana hosting and Ben joined, both playing in sync.
async fn converged_host_only_pair() -> (RelayHandle, Peer, Peer) {
    let (relay, ana, ben) = host_and_guest(ControlMode::HostOnly).await;
    eventually("converged", Duration::from_secs(6), || {
        gap(&ana, &ben) < 0.040
    })
    .await;
    (relay, ana, ben)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_joiner_converges_and_follows_pause_seek_and_speed() {
    let (_relay, ana, ben) = host_and_guest(ControlMode::Shared).await;
    let joined = Instant::now();
    eventually("the joiner plays", Duration::from_secs(5), || !ben.paused()).await;
    eventually("the joiner is within 40 ms", Duration::from_secs(5), || {
        gap(&ana, &ben) < 0.040
    })
    .await;
    eprintln!("joiner within 40 ms after {:?}", joined.elapsed());
    let participants = ana.session.snapshot().participants;
    assert_eq!(participants.len(), 2);

    // Ana presses pause in her mpv.
    ana.mpv.set_pause(true).await.unwrap();
    let paused_at = Instant::now();
    eventually("Ben pauses", Duration::from_secs(2), || ben.paused()).await;
    eprintln!("pause reached Ben after {:?}", paused_at.elapsed());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (a, b) = (
        ana.position_at(Instant::now()),
        ben.position_at(Instant::now()),
    );
    assert!((a - b).abs() <= FRAME + 1e-3, "paused at {a:.4} and {b:.4}");

    // Ben seeks in his mpv (shared control): Ana follows.
    ben.mpv.seek_to(60.0).await.unwrap();
    eventually("Ana follows the seek", Duration::from_secs(3), || {
        (ana.position_at(Instant::now()) - 60.0).abs() < 0.05
    })
    .await;
    assert!(ana.paused() && ben.paused(), "a seek keeps the pause");

    // Ben resumes; both play together.
    ben.mpv.set_pause(false).await.unwrap();
    eventually("Ana resumes", Duration::from_secs(2), || !ana.paused()).await;
    eventually("together again", Duration::from_secs(4), || {
        gap(&ana, &ben) < 0.030
    })
    .await;

    // Ana changes speed in her mpv; Ben follows.
    ana.mpv.set_speed(1.25).await.unwrap();
    eventually("Ben speeds up", Duration::from_secs(3), || {
        (ben.mpv.state().borrow().speed / 1.25 - 1.0).abs() <= 0.05
    })
    .await;
    eventually("room speed 1.25", Duration::from_secs(3), || {
        (ben.session.snapshot().playback.speed - 1.25).abs() < 0.011
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        gap(&ana, &ben) < 0.040,
        "gap {:.4} at 1.25×",
        gap(&ana, &ben)
    );
}

/// Issue 31, 6: arrow keys pressed in mpv while the room is paused, 0.8 s
/// apart: every jump reaches the room and the other player. On a clip
/// large enough that a seek takes a tick or two (as a film does), every
/// second press was undone: the engine saw the press's target while mpv
/// was still seeking and put the player back at the room's position.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arrow_key_jumps_while_paused_all_count() {
    let film = || {
        MediaSource::file(clip(ClipSpec {
            seconds: 40,
            fps: 60,
            width: 1920,
            height: 1080,
        }))
    };
    let relay = relay().await;
    let role = Role::Host {
        control_mode: ControlMode::HostOnly,
    };
    let ana = Peer::start(SessionConfig {
        media: film(),
        ..config(&relay, "Ana", role)
    })
    .await;
    let code = ana.session.snapshot().code;
    let ben = Peer::start(SessionConfig {
        media: film(),
        ..config(&relay, "Ben", Role::Join { code })
    })
    .await;
    eventually("both in the room", Duration::from_secs(5), || {
        ana.session.snapshot().participants.len() == 2
    })
    .await;
    ana.mpv.seek_to(5.0).await.unwrap();
    // Bounds for a loaded machine (two 1080p players per test, tests in
    // parallel); how fast it is is the benchmark's business.
    eventually("Ben at 5 s", Duration::from_secs(10), || {
        (ben.position_at(Instant::now()) - 5.0).abs() < 0.05
    })
    .await;
    let start = ana.session.snapshot().playback.position;
    for _ in 0..3 {
        ana.mpv.seek_by(5.0).await.unwrap();
        tokio::time::sleep(Duration::from_millis(800)).await;
    }
    let want = start + 15.0;
    eventually(
        "the room takes all three jumps",
        Duration::from_secs(10),
        || (ana.session.snapshot().playback.position - want).abs() < 0.1,
    )
    .await;
    eventually("Ben follows all three", Duration::from_secs(10), || {
        (ben.position_at(Instant::now()) - want).abs() < 0.1
    })
    .await;
    assert!(ana.paused() && ben.paused(), "the jumps keep the pause");
    let mine = ana.position_at(Instant::now());
    assert!((mine - want).abs() < 0.1, "Ana's player at {mine:.2}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steady_play_sends_no_control_messages() {
    let (_relay, ana, ben) = converged_host_only_pair().await;
    let mut gaps = Vec::new();
    for _ in 0..300 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        gaps.push(gap(&ana, &ben));
    }
    assert_eq!(ana.session.snapshot().controls_sent, 0);
    assert_eq!(ben.session.snapshot().controls_sent, 0);
    gaps.sort_by(f64::total_cmp);
    let p95 = gaps[gaps.len() * 95 / 100];
    eprintln!(
        "30 s steady play on loopback: p95 gap {:.1} ms",
        p95 * 1000.0
    );
    assert!(p95 < 0.040, "p95 gap {p95}");
    assert!(!ana.paused() && !ben.paused());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_cannot_pause_a_host_only_room() {
    let (_relay, ana, ben) = converged_host_only_pair().await;
    let mut events = ben.session.events();
    ben.mpv.set_pause(true).await.unwrap();
    let refused = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            if let Ok(SessionEvent::Refused { message }) = events.recv().await {
                return message;
            }
        }
    })
    .await
    .expect("a refusal is reported");
    assert!(refused.contains("host"), "{refused}");
    eventually("Ben is put back to playing", Duration::from_secs(2), || {
        !ben.paused()
    })
    .await;
    assert!(!ana.paused());
    // The app's own controls are refused the same way.
    ben.session.send(SessionCmd::Pause);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!ana.paused() && !ben.paused());
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_player_is_reported_and_can_be_reopened_without_disturbing_others() {
    let (_relay, ana, ben) = converged_host_only_pair().await;
    let mut events = ben.session.events();
    let heard = record(&ana.session);
    let pid = ben.session.snapshot().player_pid.unwrap();
    let killed = Instant::now();
    std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(1), async {
        while !matches!(events.recv().await, Ok(SessionEvent::PlayerClosed)) {}
    })
    .await
    .expect("player closed within 1 s");
    eprintln!("player death noticed after {:?}", killed.elapsed());
    eventually(
        "the room sees Ben's player closed",
        Duration::from_secs(3),
        || {
            ana.session
                .snapshot()
                .participants
                .iter()
                .any(|p| p.nickname == "Ben" && p.player_closed)
        },
    )
    .await;
    let before = ana.position_at(Instant::now());
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!ana.paused(), "Ana keeps playing");
    assert!(ana.position_at(Instant::now()) - before > 0.9);

    ben.session.send(SessionCmd::ReopenPlayer);
    let mut snap = ben.session.watch();
    tokio::time::timeout(
        Duration::from_secs(10),
        snap.wait_for(|s| s.player_open && s.player_endpoint.is_some()),
    )
    .await
    .unwrap()
    .unwrap();
    let endpoint = snap.borrow().player_endpoint.clone().unwrap();
    let ben2 = Peer {
        mpv: matinee_mpv::MpvClient::connect(&endpoint).await.unwrap(),
        ..ben
    };
    eventually(
        "reopened player back in sync",
        Duration::from_secs(5),
        || gap(&ana, &ben2) < 0.040,
    )
    .await;
    eventually(
        "the room sees the player back",
        Duration::from_secs(3),
        || {
            ana.session
                .snapshot()
                .participants
                .iter()
                .any(|p| p.nickname == "Ben" && !p.player_closed)
        },
    )
    .await;
    // The reopened player starting at the room's place is nobody's jump.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(made_up_action(&heard.lock().unwrap()), None);
}

#[tokio::test]
async fn clear_errors_for_a_wrong_code_and_a_dead_relay() {
    let relay = relay().await;
    let cfg = config(
        &relay,
        "Eve",
        Role::Join {
            code: RoomCode::parse("ZZZZZZ").unwrap(),
        },
    );
    let err = PartySession::start(cfg).await.err().expect("refused");
    assert!(err.to_string().contains("No room ZZZZZZ"), "{err}");
    let addr = relay.addr();
    relay.shutdown().await;
    let mut cfg = config_for_url(&format!("ws://{addr}/ws"));
    cfg.role = Role::Host {
        control_mode: ControlMode::HostOnly,
    };
    let err = PartySession::start(cfg).await.err().expect("unreachable");
    assert!(err.to_string().contains("cannot reach the relay"), "{err}");
}

fn config_for_url(url: &str) -> SessionConfig {
    SessionConfig {
        relay: vec![RelayEndpoint::url(url)],
        nickname: "Eve".into(),
        role: Role::Host {
            control_mode: ControlMode::HostOnly,
        },
        media: MediaSource::file(clip(ClipSpec::small(120))),
        mpv: LaunchOptions::headless(locate(None).unwrap()),
        engine: EngineConfig::default(),
        client_name: "party-test".into(),
        osd_notices: false,
        backoff: Backoff::default(),
        film_folders: Vec::new(),
        jellyfin: None,
        reporter: None,
    }
}

/// A friend's link is cut for 30 s by a proxy between them and the relay.
/// Their film keeps playing, they see "reconnecting" and so does the room;
/// when the link returns they take their seat back and fall in step, and
/// nobody else's player seeks.
///
/// The relay keeps a seat for its resume grace (30 s by default); here it
/// is 40 s, because the cut starts the grace at once and the friend's
/// reconnect lands up to one backoff step after the link returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_cut_for_30_s_keeps_the_seat_and_resyncs_without_seeking_others() {
    use matinee_client_core::ConnectionState;
    use matinee_testkit::proxy::{LinkProfile, Proxy};

    let relay = matinee_relay::start(RelayConfig {
        resume_grace_secs: 40.0,
        ..RelayConfig::loopback()
    })
    .await
    .unwrap();
    let ana = start_host(&relay, ControlMode::Shared).await;
    let code = ana.session.snapshot().code;
    start_playing(&ana).await;
    let link = Proxy::start(relay.addr(), LinkProfile::parse("5").unwrap())
        .await
        .unwrap();
    let mut cy_config = config(&relay, "Cy", Role::Join { code });
    cy_config.relay = vec![RelayEndpoint::url(link.ws_url())];
    let cy = Peer::start(cy_config).await;
    let cy_id = cy.session.snapshot().you;
    eventually("Cy in step", Duration::from_secs(8), || {
        gap(&ana, &cy) < 0.040
    })
    .await;
    let ana_seeks = ana.session.snapshot().seeks;

    link.set_down(true);
    let cut = Instant::now();
    let mut cy_state = cy.session.watch();
    tokio::time::timeout(
        Duration::from_secs(3),
        cy_state.wait_for(|s| matches!(s.connection, ConnectionState::Reconnecting { .. })),
    )
    .await
    .expect("Cy's window says reconnecting")
    .unwrap();
    eventually(
        "the room sees Cy reconnecting",
        Duration::from_secs(3),
        || {
            ana.session
                .snapshot()
                .participants
                .iter()
                .any(|p| p.id == cy_id && p.reconnecting)
        },
    )
    .await;
    let cy_before = cy.position_at(Instant::now());
    tokio::time::sleep(Duration::from_secs(30).saturating_sub(cut.elapsed())).await;
    let cy_during = cy.position_at(Instant::now());
    assert!(!cy.paused(), "Cy's film kept playing");
    assert!(cy_during - cy_before > 25.0, "{cy_before} → {cy_during}");
    assert!(
        matches!(
            cy.session.snapshot().connection,
            ConnectionState::Reconnecting { .. }
        ),
        "still cut after 30 s"
    );

    link.set_down(false);
    let back = Instant::now();
    tokio::time::timeout(
        Duration::from_secs(5),
        cy_state.wait_for(|s| s.connection == ConnectionState::Connected),
    )
    .await
    .unwrap_or_else(|_| panic!("Cy reconnects: {:?}", cy.session.snapshot().connection))
    .unwrap();
    assert_eq!(cy.session.snapshot().you, cy_id, "the same seat");
    eventually("the room sees Cy back", Duration::from_secs(3), || {
        ana.session
            .snapshot()
            .participants
            .iter()
            .any(|p| p.id == cy_id && !p.reconnecting)
    })
    .await;
    eventually("Cy in step again", Duration::from_secs(5), || {
        gap(&ana, &cy) < 0.040
    })
    .await;
    eprintln!("back in step {:?} after the link returned", back.elapsed());
    assert_eq!(
        ana.session.snapshot().seeks,
        ana_seeks,
        "Ana's player never sought"
    );
    assert!(!ana.paused());
}

/// The relay restarts mid-film (same address, same resume key): nobody's
/// film stops, everyone reconnects with backoff, and the room is rebuilt
/// from what its members remember: the same seats, Ana host again, Ben
/// still ready, and everyone back in step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_relay_rebuilds_the_room_from_its_members() {
    let dir = tempfile::tempdir().unwrap();
    let relay_config = common::restartable_relay(dir.path());
    let first = matinee_relay::start(relay_config()).await.unwrap();
    let ana = start_host(&first, ControlMode::HostOnly).await;
    let code = ana.session.snapshot().code;
    let ben = Peer::start(config(&first, "Ben", Role::Join { code })).await;
    ben.session.send(SessionCmd::Ready { ready: true });
    eventually("Ben ready", Duration::from_secs(3), || {
        ana.session
            .snapshot()
            .participants
            .iter()
            .any(|p| p.nickname == "Ben" && p.ready)
    })
    .await;
    ana.session.send(SessionCmd::Start { force: true });
    eventually("in step", Duration::from_secs(8), || {
        gap(&ana, &ben) < 0.040
    })
    .await;
    let (ana_id, ben_id) = (ana.session.snapshot().you, ben.session.snapshot().you);
    let code = ana.session.snapshot().code;

    first.shutdown().await;
    let down = Instant::now();
    let before = (ana.position_at(down), ben.position_at(down));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let now = Instant::now();
    assert!(!ana.paused() && !ben.paused(), "films keep playing");
    assert!(ana.position_at(now) - before.0 > 2.5 && ben.position_at(now) - before.1 > 2.5);

    let _second = matinee_relay::start(relay_config()).await.unwrap();
    let back = Instant::now();
    for (who, peer) in [("Ana", &ana), ("Ben", &ben)] {
        let mut w = peer.session.watch();
        tokio::time::timeout(
            Duration::from_secs(5),
            w.wait_for(|s| s.connection == matinee_client_core::ConnectionState::Connected),
        )
        .await
        .unwrap_or_else(|_| panic!("{who} reconnects: {:?}", peer.session.snapshot().connection))
        .unwrap();
    }
    eventually("both seats back", Duration::from_secs(3), || {
        ana.session.snapshot().participants.len() == 2
    })
    .await;
    let snap = ana.session.snapshot();
    assert_eq!(snap.code, code);
    assert_eq!(
        (snap.you, ben.session.snapshot().you),
        (ana_id, ben_id),
        "same seats"
    );
    assert!(snap.host, "Ana is host again");
    let ben_seat = snap.participants.iter().find(|p| p.id == ben_id).unwrap();
    assert!(
        !ben_seat.host && ben_seat.ready,
        "Ben: a guest, still ready"
    );
    assert_eq!(snap.control_mode, ControlMode::HostOnly);
    eventually("back in step", Duration::from_secs(4), || {
        gap(&ana, &ben) < 0.040
    })
    .await;
    eprintln!("back in step {:?} after the relay returned", back.elapsed());
    assert!(!ana.paused() && !ben.paused());
    // The rebuilt room carries on at the film's place, not from the start.
    assert!(ana.position_at(Instant::now()) > before.0 + 3.0);
    // Still host-only: Ben cannot pause it.
    ben.session.send(SessionCmd::Pause);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !ana.paused(),
        "a guest's pause is refused in the rebuilt room"
    );
    let _ = down;
}

fn with_film(mut cfg: SessionConfig, seconds: u32) -> SessionConfig {
    cfg.media = MediaSource::file(clip(ClipSpec::small(seconds)));
    cfg
}

/// The end of the film: both players stop at the end, the room pauses
/// there for everyone and says so, nobody is said to have paused or
/// jumped, and Play then starts the film again from the start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_end_of_the_film_pauses_the_room_and_play_starts_it_again() {
    let relay = relay().await;
    let host = Role::Host {
        control_mode: ControlMode::Shared,
    };
    let ana = Peer::start(with_film(config(&relay, "Ana", host), 5)).await;
    let ana_heard = record(&ana.session);
    let code = ana.session.snapshot().code;
    let ben = Peer::start(with_film(config(&relay, "Ben", Role::Join { code }), 5)).await;
    let ben_heard = record(&ben.session);
    start_playing(&ana).await;
    eventually("the film ends for both", Duration::from_secs(12), || {
        [&ana, &ben].iter().all(|p| {
            let s = p.session.snapshot();
            s.status == SyncStatus::Ended && s.playback.paused && s.playback.position > 4.7
        })
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    for heard in [&ana_heard, &ben_heard] {
        let heard = heard.lock().unwrap();
        assert_eq!(made_up_action(&heard), None, "nobody paused or jumped");
        assert!(
            heard.iter().any(|e| matches!(
                e,
                SessionEvent::Notice {
                    event: NoticeEvent::Ended,
                    ..
                }
            )),
            "the room says the film ended"
        );
    }
    assert!(ana.paused() && ben.paused(), "both players stay at the end");

    ben.session.send(SessionCmd::Play);
    eventually(
        "watching again from the start",
        Duration::from_secs(5),
        || {
            let now = Instant::now();
            !ana.paused()
                && !ben.paused()
                && ana.position_at(now) < 3.0
                && ben.position_at(now) < 3.0
        },
    )
    .await;
}

/// A friend's copy is shorter (5 s in a 20 s room): at its end it stops
/// alone, says so to that friend only, and the room plays on; in a
/// host-only room the friend is not told off for it either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shorter_copy_ends_alone_and_the_room_plays_on() {
    for mode in [ControlMode::Shared, ControlMode::HostOnly] {
        let relay = relay().await;
        let host = Role::Host { control_mode: mode };
        let ana = Peer::start(with_film(config(&relay, "Ana", host), 20)).await;
        let ana_heard = record(&ana.session);
        let code = ana.session.snapshot().code;
        let ben = Peer::start(with_film(config(&relay, "Ben", Role::Join { code }), 5)).await;
        let ben_heard = record(&ben.session);
        start_playing(&ana).await;
        eventually("Ben's copy ends", Duration::from_secs(12), || {
            ben.session.snapshot().status == SyncStatus::Ended
        })
        .await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let room = ana.session.snapshot().playback;
        assert!(!room.paused, "{mode:?}: the room plays on");
        assert!(!ana.paused(), "{mode:?}: the host's film plays on");
        assert!(
            ana.position_at(Instant::now()) > 6.5,
            "{mode:?}: not pulled back"
        );
        assert!(ben.paused(), "{mode:?}: Ben's player waits at its end");
        for heard in [&ana_heard, &ben_heard] {
            let heard = heard.lock().unwrap();
            assert_eq!(made_up_action(&heard), None, "{mode:?}");
            assert!(
                !heard
                    .iter()
                    .any(|e| matches!(e, SessionEvent::Refused { .. })),
                "{mode:?}: nothing refused: {heard:?}"
            );
        }
    }
}

/// The host's computer (and with it the relay it hosted) vanished: the
/// friend keeps playing and shows reconnecting, and once nobody could
/// come back to the room (the resume grace, here 1 s, plus a margin of
/// 5 s), the party ends with a reason instead of retrying forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vanished_host_ends_the_party_after_the_grace_instead_of_retrying_forever() {
    let relay = matinee_relay::start(RelayConfig {
        resume_grace_secs: 1.0,
        ..RelayConfig::loopback()
    })
    .await
    .unwrap();
    let ana = start_host(&relay, ControlMode::Shared).await;
    let code = ana.session.snapshot().code;
    let ben = Peer::start(config(&relay, "Ben", Role::Join { code })).await;
    let ben_heard = record(&ben.session);
    start_playing(&ana).await;
    eventually("Ben plays", Duration::from_secs(8), || !ben.paused()).await;
    let gone = Instant::now();
    drop(ana);
    relay.shutdown().await;
    eventually("Ben shows reconnecting", Duration::from_secs(5), || {
        matches!(
            ben.session.snapshot().connection,
            matinee_client_core::ConnectionState::Reconnecting { .. }
        )
    })
    .await;
    assert!(!ben.paused(), "the film plays on meanwhile");
    eventually("the party ends", Duration::from_secs(15), || {
        ben.session.is_finished()
    })
    .await;
    let after = gone.elapsed();
    assert!(
        after >= Duration::from_secs(6),
        "not before grace + margin: {after:?}"
    );
    let heard = ben_heard.lock().unwrap();
    let reason = heard
        .iter()
        .find_map(|e| match e {
            SessionEvent::Ended { reason } => Some(reason.clone()),
            _ => None,
        })
        .expect("an end with a reason");
    assert!(
        reason.contains("could not be reached") && reason.contains("the party ended"),
        "{reason}"
    );
    eprintln!("the party ended {after:?} after the host vanished: {reason}");
}

/// Issue 31, 5: the host ends the party: the friend's session ends at
/// once, saying who ended it, and the room is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_ends_the_party_and_friends_are_told_at_once() {
    let (_relay, ana, ben) = host_and_guest(ControlMode::HostOnly).await;
    eventually("Ben is in", Duration::from_secs(5), || {
        ana.session.snapshot().participants.len() == 2
    })
    .await;
    let ben_heard = record(&ben.session);
    let ana_heard = record(&ana.session);
    let ended = Instant::now();
    ana.session.send(SessionCmd::EndParty);
    eventually("Ben's party ends", Duration::from_secs(2), || {
        ben.session.is_finished()
    })
    .await;
    eprintln!("Ben was told after {:?}", ended.elapsed());
    let reason = |heard: &std::sync::Arc<std::sync::Mutex<Vec<SessionEvent>>>| {
        heard
            .lock()
            .unwrap()
            .iter()
            .find_map(|e| match e {
                SessionEvent::Ended { reason } => Some(reason.clone()),
                _ => None,
            })
            .unwrap_or_default()
    };
    assert!(
        reason(&ben_heard).contains("Ana ended the party"),
        "{}",
        reason(&ben_heard)
    );
    eventually("Ana's session ends too", Duration::from_secs(2), || {
        ana.session.is_finished()
    })
    .await;
    assert!(
        reason(&ana_heard).contains("You ended the party"),
        "{}",
        reason(&ana_heard)
    );
}
