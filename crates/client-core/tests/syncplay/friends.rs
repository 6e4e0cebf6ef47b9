//! Friends on Syncplay in a Matinee room: Debian's real Syncplay client
//! (`syncplay --no-gui`, driving its own headless mpv) joins a room a
//! Matinee host created on a relay on loopback, by the room code as its
//! room name, on the relay's own port. Its mpv is watched and poked over a
//! second IPC connection, the way a person's key presses reach it; its
//! console takes chat and readiness commands as a person types them.

// (A module of the party tests' binary: they share its helpers, and one
// binary links once.)

use std::time::{Duration, Instant};

use matinee_client_core::{PartyHandle, Role, SessionCmd, SessionEvent};
use matinee_mpv::{locate, MpvClient};
use matinee_protocol::ControlMode;
use matinee_relay::{RelayConfig, RelayHandle};
use matinee_testkit::syncplay::SyncplayClient;
use matinee_testkit::{clip, ClipSpec};

use super::{config, eventually, Peer as Member};

fn film() -> std::path::PathBuf {
    clip(ClipSpec::small(120))
}

/// A friend on Syncplay and an outside connection to the mpv it drives.
struct SyncplayFriend {
    client: SyncplayClient,
    mpv: MpvClient,
}

impl SyncplayFriend {
    async fn join(relay: &RelayHandle, room: &str, name: &str) -> SyncplayFriend {
        let mpv_path = locate(None).expect("mpv installed").path;
        let client = SyncplayClient::start(relay.addr(), room, name, &film(), &mpv_path)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mpv = MpvClient::connect(&client.mpv_socket().display().to_string())
            .await
            .unwrap();
        SyncplayFriend { client, mpv }
    }

    async fn type_line(&mut self, line: &str) {
        self.client.type_line(line).await.unwrap();
    }

    fn said(&self, text: &str) -> bool {
        self.client.said(text)
    }

    fn transcript(&self) -> String {
        self.client.transcript()
    }

    fn kill(&mut self) {
        self.client.kill();
    }
}

fn position(mpv: &MpvClient) -> f64 {
    mpv.state()
        .borrow()
        .position_at(Instant::now())
        .unwrap_or(-1.0)
}

fn paused(mpv: &MpvClient) -> bool {
    mpv.state().borrow().pause
}

/// Position gap between two players now, seconds.
fn gap(a: &MpvClient, b: &MpvClient) -> f64 {
    let now = Instant::now();
    let (a, b) = (
        a.state().borrow().position_at(now),
        b.state().borrow().position_at(now),
    );
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs(),
        _ => f64::INFINITY,
    }
}

const FOLLOW: Duration = Duration::from_secs(4);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncplay_friends_join_follow_and_control_a_matinee_room() {
    let relay = matinee_relay::start(RelayConfig::loopback()).await.unwrap();
    let ana = Member::start(config(
        &relay,
        "Ana",
        Role::Host {
            control_mode: ControlMode::Shared,
        },
    ))
    .await;
    let code = ana.session.snapshot().code;
    let mut events = ana.session.events();
    ana.session.send(SessionCmd::Ready { ready: true });
    ana.session.send(SessionCmd::Start { force: true });
    eventually("Ana plays", Duration::from_secs(5), || !paused(&ana.mpv)).await;
    let ben = Member::start(config(&relay, "Ben", Role::Join { code: code.clone() })).await;

    // Two friends join with the room code as their Syncplay room name
    // (lower case works too) and play where the room is.
    let mut bo = SyncplayFriend::join(&relay, code.as_str(), "Bo").await;
    let mut cy = SyncplayFriend::join(&relay, &code.as_str().to_lowercase(), "Cy").await;
    for (name, friend) in [("Bo", &bo), ("Cy", &cy)] {
        eventually(
            &format!("{name} plays with the room"),
            Duration::from_secs(15),
            || !paused(&friend.mpv) && gap(&friend.mpv, &ana.mpv) < 0.5,
        )
        .await;
    }
    eventually("Ana's list shows both via Syncplay", FOLLOW, || {
        let list = ana.session.snapshot().participants;
        ["Bo", "Cy"].iter().all(|n| {
            list.iter()
                .any(|p| p.nickname == *n && p.via.as_deref() == Some("Syncplay 1.6.9"))
        })
    })
    .await;
    assert!(bo.said("Welcome to Matinee room"), "{}", bo.transcript());

    // The host pauses, seeks and plays: the Syncplay players follow.
    ana.session.send(SessionCmd::Pause);
    eventually("Bo and Cy pause with Ana", FOLLOW, || {
        paused(&bo.mpv) && paused(&cy.mpv)
    })
    .await;
    eventually("paused at Ana's frame", FOLLOW, || {
        gap(&bo.mpv, &ana.mpv) < 0.25
    })
    .await;
    ana.session.send(SessionCmd::Seek { position: 60.0 });
    eventually("Bo and Cy jump to 60 s", FOLLOW, || {
        (position(&bo.mpv) - 60.0).abs() < 0.5 && (position(&cy.mpv) - 60.0).abs() < 0.5
    })
    .await;
    ana.session.send(SessionCmd::Play);
    eventually("Bo and Cy play again", FOLLOW, || {
        !paused(&bo.mpv) && !paused(&cy.mpv)
    })
    .await;

    // A Syncplay friend pauses and seeks in their player: the Matinee
    // players follow, and nothing echoes back.
    bo.mpv.set_pause(true).await.unwrap();
    eventually("Ana and Ben pause with Bo", FOLLOW, || {
        paused(&ana.mpv) && paused(&ben.mpv)
    })
    .await;
    bo.mpv.seek_to(90.0).await.unwrap();
    eventually("Ana, Ben and Cy jump to Bo's 90 s", FOLLOW, || {
        [&ana.mpv, &ben.mpv, &cy.mpv]
            .iter()
            .all(|m| (position(m) - 90.0).abs() < 0.5)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        paused(&ana.mpv) && paused(&bo.mpv),
        "still paused: nothing echoed"
    );
    // Syncplay unpauses at once only when the others are ready (its
    // default "unpause if others are ready"): Ben says so in Matinee, Cy
    // in Syncplay's console, and the room hears both.
    ben.session.send(SessionCmd::Ready { ready: true });
    cy.type_line("t").await;
    let ready = |s: &PartyHandle, name: &str| {
        s.snapshot()
            .participants
            .iter()
            .find(|p| p.nickname == name)
            .map(|p| p.ready)
    };
    eventually("Ben and Cy are ready", FOLLOW, || {
        ready(&ana.session, "Ben") == Some(true) && ready(&ana.session, "Cy") == Some(true)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    bo.mpv.set_pause(false).await.unwrap();
    eventually("everyone plays on Bo's play", FOLLOW, || {
        [&ana.mpv, &ben.mpv, &bo.mpv, &cy.mpv]
            .iter()
            .all(|m| !paused(m))
    })
    .await;
    eventually("Ana and Bo within 0.5 s", FOLLOW, || {
        gap(&ana.mpv, &bo.mpv) < 0.5
    })
    .await;

    // Chat both ways; readiness from Syncplay's console.
    ana.session.send(SessionCmd::Chat {
        text: "popcorn?".into(),
    });
    eventually("Bo reads Ana's chat", FOLLOW, || bo.said("<Ana> popcorn?")).await;
    bo.type_line("ch yes please").await;
    let heard = tokio::time::timeout(FOLLOW, async {
        loop {
            match events.recv().await {
                Ok(SessionEvent::Chat { nickname, text, .. }) if nickname == "Bo" => return text,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("events ended: {e}"),
            }
        }
    })
    .await
    .expect("Ana hears Bo's chat");
    assert_eq!(heard, "yes please");
    let before = ready(&ana.session, "Bo").unwrap();
    cy.type_line("ch hi from Cy").await;
    bo.type_line("t").await;
    eventually("Bo's readiness reaches the room", FOLLOW, || {
        ready(&ana.session, "Bo") == Some(!before)
    })
    .await;
    eventually("Bo reads Cy's chat", FOLLOW, || bo.said("<Cy> hi from Cy")).await;

    // In a host-only room a Syncplay friend's pause is refused, said why,
    // and their player is put back; the room plays on.
    ana.session.send(SessionCmd::SetControlMode {
        mode: ControlMode::HostOnly,
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    cy.mpv.set_pause(true).await.unwrap();
    eventually("Cy is put back to playing", FOLLOW, || !paused(&cy.mpv)).await;
    eventually("Cy is told why", FOLLOW, || cy.said("host")).await;
    assert!(!paused(&ana.mpv) && !paused(&ben.mpv), "the room played on");

    // A Syncplay friend killed mid-film leaves; the room plays on.
    cy.kill();
    eventually("Cy leaves the list", Duration::from_secs(5), || {
        !ana.session
            .snapshot()
            .participants
            .iter()
            .any(|p| p.nickname == "Cy")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        !paused(&ana.mpv) && !paused(&ben.mpv) && !paused(&bo.mpv),
        "the room plays on"
    );
    eventually("Ana and Bo still together", FOLLOW, || {
        gap(&ana.mpv, &bo.mpv) < 0.5
    })
    .await;
    eprintln!("Bo's console:\n{}", bo.transcript());
}
