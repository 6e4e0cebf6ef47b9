//! Rooms over real WebSocket connections on loopback.

mod common;

use std::time::Duration;

use common::{config, hosts, relay, Client};
use matinee_protocol::{
    ClientMsg, ControlAction, ControlMode, ErrorCode, Joined, NoticeEvent, PlaybackState, RoomCode,
    RoomRebuild, ServerMsg, StateReport, PROTOCOL_VERSION,
};

#[tokio::test]
async fn create_join_and_leave() {
    let relay = relay(config()).await;
    let mut ana = Client::host(&relay, "Ana", ControlMode::HostOnly).await;
    let code = ana.code();
    assert_eq!(code.as_str().len(), 6);

    let mut ben = Client::guest(&relay, &code, "Ben").await;
    let list = ana.participants_where(|p| p.len() == 2).await;
    assert!(list.iter().any(|p| p.nickname == "Ana" && p.host));
    assert!(list
        .iter()
        .any(|p| p.nickname == "Ben" && !p.host && !p.reconnecting));
    let text = ana
        .recv_until(|m| match m {
            ServerMsg::Notice {
                event: NoticeEvent::Joined,
                text,
                ..
            } => Some(text.clone()),
            _ => None,
        })
        .await;
    assert_eq!(text, "Ben joined");

    // Lower-case codes work too.
    let lower = matinee_protocol::RoomCode::parse(&code.as_str().to_lowercase()).unwrap();
    let _cy = Client::guest(&relay, &lower, "Cy").await;

    ben.send(&ClientMsg::Leave).await;
    let reason = ben
        .recv_until(|m| match m {
            ServerMsg::Left { reason } => Some(reason.clone()),
            _ => None,
        })
        .await;
    assert!(reason.contains("left"));
    ana.participants_where(|p| p.len() == 2 && p.iter().all(|p| p.nickname != "Ben"))
        .await;

    // Back in the lobby, Ben can join again and gets a new seat.
    ben.send(&ClientMsg::Join {
        code: code.clone(),
        nickname: "Ben".into(),
        media: None,
    })
    .await;
    let again = ben.expect_joined().await;
    assert_eq!(again.room.participants.len(), 3);
    relay.shutdown().await;
}

#[tokio::test]
async fn unknown_room_and_messages_outside_a_room_are_refused() {
    let relay = relay(config()).await;
    let mut c = Client::connect(&relay).await;
    c.send_raw(r#"{"type":"join","code":"ZZZZZZ","nickname":"Eve"}"#)
        .await;
    let (msg, fatal) = c.expect_error(ErrorCode::RoomNotFound).await;
    assert!(msg.contains("ZZZZZZ") && !fatal);
    c.send(&ClientMsg::Chat { text: "hi".into() }).await;
    c.expect_error(ErrorCode::NotInRoom).await;
    c.send_raw(r#"{"type":"join","code":"ABC","nickname":"Eve"}"#)
        .await;
    let (msg, _) = c.expect_error(ErrorCode::BadMessage).await;
    assert!(msg.contains("6 characters"), "{msg}");
    // The connection is still usable.
    c.send(&ClientMsg::Create {
        nickname: "Eve".into(),
        control_mode: ControlMode::Shared,
        media: None,
    })
    .await;
    c.expect_joined().await;
    c.send(&ClientMsg::Create {
        nickname: "Eve".into(),
        control_mode: ControlMode::Shared,
        media: None,
    })
    .await;
    c.expect_error(ErrorCode::AlreadyInRoom).await;
}

#[tokio::test]
async fn wrong_protocol_version_and_missing_hello_close_the_connection() {
    let relay = relay(config()).await;
    let mut c = Client::raw(&relay).await;
    c.send(&ClientMsg::Hello {
        protocol: PROTOCOL_VERSION + 1,
        client: "future".into(),
    })
    .await;
    let (msg, fatal) = c.expect_error(ErrorCode::ProtocolVersion).await;
    assert!(fatal && msg.contains("update"), "{msg}");
    c.expect_closed().await;

    let mut c = Client::raw(&relay).await;
    c.send(&ClientMsg::Ping { client_ms: 1.0 }).await;
    let (_, fatal) = c.expect_error(ErrorCode::HelloRequired).await;
    assert!(fatal);
    c.expect_closed().await;
}

#[tokio::test]
async fn host_only_rooms_refuse_control_from_guests() {
    let relay = relay(config()).await;
    let mut ana = Client::host(&relay, "Ana", ControlMode::HostOnly).await;
    let mut ben = Client::guest(&relay, &ana.code(), "Ben").await;
    let guest_requests = [
        ClientMsg::Control {
            seq: 1,
            action: ControlAction::Play { position: 1.0 },
            server_ms: None,
        },
        ClientMsg::Control {
            seq: 2,
            action: ControlAction::Seek { position: 9.0 },
            server_ms: None,
        },
        ClientMsg::Control {
            seq: 3,
            action: ControlAction::Speed {
                speed: 2.0,
                position: 0.0,
            },
            server_ms: None,
        },
        ClientMsg::Start { force: true },
        ClientMsg::SetControlMode {
            mode: ControlMode::Shared,
        },
        ClientMsg::PassHost { to: 2 },
        ClientMsg::Kick { participant: 1 },
    ];
    for msg in &guest_requests {
        ben.send(msg).await;
        ben.expect_error(ErrorCode::NotHost).await;
    }
    // Nothing changed: the room is still paused at 0 in epoch 0, Ana still host.
    let (state, _) = ana.state_where(|_| true).await;
    assert_eq!((state.epoch, state.paused, state.position), (0, true, 0.0));
    let list = ana.participants_where(|l| l.len() == 2).await;
    assert!(list.iter().find(|p| p.nickname == "Ana").unwrap().host);
    assert!(!list.iter().find(|p| p.nickname == "Ben").unwrap().host);

    // The host can, and the broadcast names who and which seq.
    ana.control(7, ControlAction::Seek { position: 42.0 }).await;
    let cause = ben
        .recv_until(|m| match m {
            ServerMsg::State {
                cause: Some(c),
                playback,
                ..
            } => {
                assert_eq!(playback.position, 42.0);
                assert_eq!(playback.epoch, 1);
                Some(*c)
            }
            _ => None,
        })
        .await;
    assert_eq!((cause.by, cause.seq), (ana.id, 7));

    // Switching to shared lets Ben control.
    ana.send(&ClientMsg::SetControlMode {
        mode: ControlMode::Shared,
    })
    .await;
    ben.recv_until(|m| {
        matches!(
            m,
            ServerMsg::ControlMode {
                mode: ControlMode::Shared
            }
        )
        .then_some(())
    })
    .await;
    ben.control(1, ControlAction::Play { position: 42.0 }).await;
    let (state, _) = ana.state_where(|s| !s.paused).await;
    assert_eq!(state.epoch, 2);
}

#[tokio::test]
async fn control_broadcasts_extrapolate_and_clamp_backdating() {
    let relay = relay(config()).await;
    let mut ana = Client::host(&relay, "Ana", ControlMode::Shared).await;
    let mut ben = Client::guest(&relay, &ana.code(), "Ben").await;
    // A client dating its action an hour back is clamped to 2 s.
    ana.send(&ClientMsg::Control {
        seq: 1,
        action: ControlAction::Play { position: 10.0 },
        server_ms: Some(1.0),
    })
    .await;
    let (state, sent_ms) = ben.state_where(|s| !s.paused).await;
    let age = sent_ms - state.anchor_ms;
    assert!(
        (1900.0..2500.0).contains(&age),
        "anchor {age} ms before send"
    );
    let pos = state.position_at(sent_ms);
    assert!((pos - 12.0).abs() < 0.5, "extrapolated to {pos}");

    ana.control(
        2,
        ControlAction::Speed {
            speed: 1.5,
            position: 20.0,
        },
    )
    .await;
    let (state, _) = ben.state_where(|s| s.speed == 1.5).await;
    assert_eq!(state.position, 20.0);
    let notice = ben
        .recv_until(|m| match m {
            ServerMsg::Notice {
                event: NoticeEvent::SpeedChanged,
                text,
                ..
            } => Some(text.clone()),
            _ => None,
        })
        .await;
    assert_eq!(notice, "Ana set speed to 1.5×");
}

#[tokio::test]
async fn stale_state_reports_do_not_count_as_position() {
    let relay = relay(config()).await;
    let mut ana = Client::host(&relay, "Ana", ControlMode::HostOnly).await;
    let mut ben = Client::guest(&relay, &ana.code(), "Ben").await;
    ana.control(1, ControlAction::Pause { position: 100.0 })
        .await;
    let (state, now) = ben.state_where(|s| s.epoch == 1).await;
    assert!(state.paused);
    // Ben's player has not applied the pause yet: a report from epoch 0 at
    // position 5 must not show up as his position.
    let report = |position, epoch| {
        ClientMsg::State(StateReport {
            position,
            paused: false,
            speed: 1.0,
            buffering: false,
            player_closed: false,
            server_ms: now,
            epoch,
        })
    };
    ben.send(&report(5.0, 0)).await;
    ana.expect_no_error_for(Duration::from_millis(450)).await;
    let list = ana.participants_where(|_| true).await;
    let b = list.iter().find(|p| p.nickname == "Ben").unwrap();
    assert_eq!(b.position, None, "stale report ignored");
    // A current one does, with its drift.
    ben.send(&report(100.25, 1)).await;
    let list = ana
        .participants_where(|l| {
            l.iter()
                .any(|p| p.nickname == "Ben" && p.position.is_some())
        })
        .await;
    let b = list.iter().find(|p| p.nickname == "Ben").unwrap();
    assert_eq!(b.position, Some(100.25));
    assert_eq!(b.drift_ms, Some(250.0));
}

#[tokio::test]
async fn host_role_passes_on_leave_and_by_handoff() {
    let relay = relay(config()).await;
    let mut ana = Client::host(&relay, "Ana", ControlMode::HostOnly).await;
    let code = ana.code();
    let mut ben = Client::guest(&relay, &code, "Ben").await;
    let mut cy = Client::guest(&relay, &code, "Cy").await;

    ana.send(&ClientMsg::PassHost { to: cy.id }).await;
    cy.participants_where(|l| l.iter().any(|p| p.nickname == "Cy" && p.host))
        .await;
    ana.send(&ClientMsg::PassHost { to: 99 }).await;
    ana.expect_error(ErrorCode::NotHost).await;

    // Cy leaves: the longest-present one (Ana) becomes host again.
    cy.send(&ClientMsg::Leave).await;
    let list = ben
        .participants_where(|l| l.len() == 2 && l.iter().any(|p| p.host))
        .await;
    assert!(list.iter().find(|p| p.nickname == "Ana").unwrap().host);
    let text = ben
        .recv_until(|m| match m {
            ServerMsg::Notice {
                event: NoticeEvent::HostChanged,
                text,
                ..
            } if text.starts_with("Ana") => Some(text.clone()),
            _ => None,
        })
        .await;
    assert_eq!(text, "Ana is now the host");
}

#[tokio::test]
async fn host_can_kick() {
    let relay = relay(config()).await;
    let mut ana = Client::host(&relay, "Ana", ControlMode::HostOnly).await;
    let mut ben = Client::guest(&relay, &ana.code(), "Ben").await;
    ana.send(&ClientMsg::Kick {
        participant: ana.id,
    })
    .await;
    ana.expect_error(ErrorCode::UnknownParticipant).await;
    ana.send(&ClientMsg::Kick {
        participant: ben.id,
    })
    .await;
    let reason = ben
        .recv_until(|m| match m {
            ServerMsg::Left { reason } => Some(reason.clone()),
            _ => None,
        })
        .await;
    assert!(reason.contains("removed"));
    ana.participants_where(|l| l.len() == 1).await;
    // Ben's old token no longer opens the seat.
    let token = ben.token.clone();
    ben.send(&ClientMsg::Resume {
        code: ana.code(),
        token,
        rebuild: None,
    })
    .await;
    ben.expect_error(ErrorCode::InvalidToken).await;
}

#[tokio::test]
async fn chat_is_broadcast_and_length_limited() {
    let relay = relay(common::config()).await;
    let mut ana = Client::host(&relay, "Ana", ControlMode::HostOnly).await;
    let mut ben = Client::guest(&relay, &ana.code(), "Ben").await;
    ben.send(&ClientMsg::Chat {
        text: "popcorn ready".into(),
    })
    .await;
    let (from, nick, text) = ana
        .recv_until(|m| match m {
            ServerMsg::Chat {
                from,
                nickname,
                text,
                ..
            } => Some((*from, nickname.clone(), text.clone())),
            _ => None,
        })
        .await;
    assert_eq!(
        (from, nick.as_str(), text.as_str()),
        (ben.id, "Ben", "popcorn ready")
    );
    ben.send(&ClientMsg::Chat {
        text: "x".repeat(501),
    })
    .await;
    let (msg, fatal) = ben.expect_error(ErrorCode::InvalidValue).await;
    assert!(msg.contains("500") && !fatal, "{msg}");
}

#[tokio::test]
async fn ready_check_schedules_a_shared_start() {
    let relay = relay(config()).await;
    let mut ana = Client::host(&relay, "Ana", ControlMode::HostOnly).await;
    let mut ben = Client::guest(&relay, &ana.code(), "Ben").await;
    ana.send(&ClientMsg::Ready { ready: true }).await;
    ana.send(&ClientMsg::Start { force: false }).await;
    let (msg, _) = ana.expect_error(ErrorCode::NotAllReady).await;
    assert!(msg.contains("Ben"), "{msg}");

    ben.send(&ClientMsg::Ready { ready: true }).await;
    ana.participants_where(|l| l.iter().all(|p| p.ready)).await;
    ana.send(&ClientMsg::Start { force: false }).await;
    let (a_state, a_sent) = ana.state_where(|s| !s.paused).await;
    let (b_state, _) = ben.state_where(|s| !s.paused).await;
    assert_eq!(a_state, b_state, "everyone gets the same schedule");
    let lead = a_state.anchor_ms - a_sent;
    assert!((400.0..3001.0).contains(&lead), "start {lead} ms ahead");
    assert!(!a_state.is_playing_at(a_sent));
    assert!(a_state.is_playing_at(a_state.anchor_ms + 1.0));

    // Force start works whoever is ready.
    ben.send(&ClientMsg::Ready { ready: false }).await;
    ana.participants_where(|l| l.iter().any(|p| !p.ready)).await;
    ana.send(&ClientMsg::Start { force: true }).await;
    ben.state_where(|s| s.epoch == a_state.epoch + 1).await;
}

#[tokio::test]
async fn resume_within_grace_keeps_seat_host_and_ready() {
    let relay = relay(config()).await;
    let mut ana = Client::host(&relay, "Ana", ControlMode::HostOnly).await;
    let code = ana.code();
    let mut ben = Client::guest(&relay, &code, "Ben").await;
    ana.send(&ClientMsg::Ready { ready: true }).await;
    ben.participants_where(|l| l.iter().any(|p| p.host && p.ready))
        .await;
    let (ana_id, token) = (ana.id, ana.token.clone());
    ana.drop_link();

    let list = ben
        .participants_where(|l| l.iter().any(|p| p.reconnecting))
        .await;
    assert_eq!(list.len(), 2, "a dropped link is not a departure");
    ben.recv_until(|m| {
        matches!(
            m,
            ServerMsg::Notice {
                event: NoticeEvent::Reconnecting,
                ..
            }
        )
        .then_some(())
    })
    .await;

    let mut back = Client::connect(&relay).await;
    back.send(&ClientMsg::Resume {
        code: code.clone(),
        token,
        rebuild: None,
    })
    .await;
    let joined = back.expect_joined().await;
    assert_eq!(joined.you, ana_id);
    let me = joined
        .room
        .participants
        .iter()
        .find(|p| p.id == ana_id)
        .unwrap();
    assert!(me.host && me.ready && !me.reconnecting);
    ben.participants_where(|l| l.iter().all(|p| !p.reconnecting))
        .await;
    // Still the host: control works.
    back.control(1, ControlAction::Seek { position: 3.0 }).await;
    ben.state_where(|s| s.position == 3.0).await;
}

#[tokio::test]
async fn a_newer_resume_replaces_the_old_connection() {
    let relay = relay(config()).await;
    let mut ana = Client::host(&relay, "Ana", ControlMode::HostOnly).await;
    let mut second = Client::connect(&relay).await;
    second
        .send(&ClientMsg::Resume {
            code: ana.code(),
            token: ana.token.clone(),
            rebuild: None,
        })
        .await;
    second.expect_joined().await;
    let (_, fatal) = ana.expect_error(ErrorCode::SessionReplaced).await;
    assert!(fatal);
    ana.expect_closed().await;
    // The seat was not marked as reconnecting by the old link's close.
    second
        .send(&ClientMsg::Chat {
            text: "still here".into(),
        })
        .await;
    second
        .recv_until(|m| matches!(m, ServerMsg::Chat { .. }).then_some(()))
        .await;
    let list = second.participants_where(|_| true).await;
    assert!(!list[0].reconnecting);
}

#[tokio::test]
async fn after_grace_the_seat_is_gone_and_the_host_moves_on() {
    let relay = relay(common::RelayConfig {
        resume_grace_secs: 0.5,
        ..config()
    })
    .await;
    let ana = Client::host(&relay, "Ana", ControlMode::HostOnly).await;
    let code = ana.code();
    let mut ben = Client::guest(&relay, &code, "Ben").await;
    let token = ana.token.clone();
    ana.drop_link();
    let list = ben.participants_where(|l| l.len() == 1).await;
    assert!(list[0].host, "Ben is host after Ana's seat expired");
    let mut late = Client::connect(&relay).await;
    late.send(&ClientMsg::Resume {
        code,
        token,
        rebuild: None,
    })
    .await;
    late.expect_error(ErrorCode::InvalidToken).await;
}

#[tokio::test]
async fn empty_rooms_expire() {
    let relay = relay(common::RelayConfig {
        resume_grace_secs: 0.2,
        room_grace_secs: 0.3,
        ..config()
    })
    .await;
    let ana = Client::host(&relay, "Ana", ControlMode::HostOnly).await;
    let code = ana.code();
    ana.close().await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let mut c = Client::connect(&relay).await;
    c.send(&ClientMsg::Join {
        code,
        nickname: "Ben".into(),
        media: None,
    })
    .await;
    c.expect_error(ErrorCode::RoomNotFound).await;
}

#[tokio::test]
async fn the_room_waits_for_a_buffering_participant_and_resumes_together() {
    let relay = relay(config()).await;
    let mut ana = Client::host(&relay, "Ana", ControlMode::HostOnly).await;
    let mut ben = Client::guest(&relay, &ana.code(), "Ben").await;
    ana.control(1, ControlAction::Play { position: 50.0 }).await;
    let (_, now) = ben.state_where(|s| !s.paused).await;
    let report = |buffering| {
        ClientMsg::State(StateReport {
            position: 50.0,
            paused: false,
            speed: 1.0,
            buffering,
            player_closed: false,
            server_ms: now,
            epoch: 1,
        })
    };
    ben.send(&report(true)).await;
    let (waiting, _) = ana.state_where(|s| s.waiting_for_buffering).await;
    assert!(waiting.paused);
    let text = ana
        .recv_until(|m| match m {
            ServerMsg::Notice {
                event: NoticeEvent::Buffering,
                text,
                ..
            } => Some(text.clone()),
            _ => None,
        })
        .await;
    assert_eq!(text, "Waiting for Ben (buffering)");
    ben.send(&report(false)).await;
    let (resumed, sent) = ana.state_where(|s| !s.paused).await;
    assert_eq!(resumed.position, waiting.position);
    assert!(resumed.anchor_ms > sent, "resumes at a shared future time");
    assert!(!resumed.waiting_for_buffering);
}

#[tokio::test]
async fn forged_resume_tokens_take_no_seat_and_no_host_role() {
    let relay = relay(config()).await;
    let mut ana = Client::host(&relay, "Ana", ControlMode::HostOnly).await;
    let code = ana.code();
    let ben = Client::guest(&relay, &code, "Ben").await;
    let eve = Client::host(&relay, "Eve", ControlMode::Shared).await;

    let mut mallory = Client::connect(&relay).await;
    let mut flipped = ana.token.clone().into_bytes();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    let forgeries = [
        (
            "a made-up token",
            "forged".to_string(),
            ErrorCode::InvalidToken,
        ),
        ("an empty token", String::new(), ErrorCode::InvalidValue),
        (
            "the host's token with one character changed",
            String::from_utf8(flipped).unwrap(),
            ErrorCode::InvalidToken,
        ),
        (
            "a real token from another room",
            eve.token.clone(),
            ErrorCode::InvalidToken,
        ),
        (
            "an oversized token",
            "A".repeat(4096),
            ErrorCode::InvalidValue,
        ),
    ];
    for (what, token, want) in forgeries {
        mallory
            .send(&ClientMsg::Resume {
                code: code.clone(),
                token,
                rebuild: None,
            })
            .await;
        let (msg, _) = mallory.expect_error(want).await;
        assert!(!msg.is_empty(), "{what}");
    }
    // Still outside any room: control is refused as such.
    mallory
        .send(&ClientMsg::Control {
            seq: 1,
            action: ControlAction::Pause { position: 0.0 },
            server_ms: None,
        })
        .await;
    mallory.expect_error(ErrorCode::NotInRoom).await;

    // Ben coming back with his own token is Ben again: a guest.
    let ben_token = ben.token.clone();
    ben.drop_link();
    let mut ben = Client::connect(&relay).await;
    ben.send(&ClientMsg::Resume {
        code: code.clone(),
        token: ben_token,
        rebuild: None,
    })
    .await;
    let joined = ben.expect_joined().await;
    let me = joined
        .room
        .participants
        .iter()
        .find(|p| p.id == joined.you)
        .unwrap();
    assert_eq!((me.nickname.as_str(), me.host), ("Ben", false));
    ben.send(&ClientMsg::PassHost { to: joined.you }).await;
    ben.expect_error(ErrorCode::NotHost).await;

    let list = ana.participants_where(|l| l.len() == 2).await;
    assert!(list.iter().find(|p| p.nickname == "Ana").unwrap().host);
    assert!(!list.iter().any(|p| p.nickname == "Mallory"));
}

fn remembered(nickname: &str, host_proof: Option<String>) -> Option<Box<RoomRebuild>> {
    Some(Box::new(RoomRebuild {
        nickname: nickname.into(),
        host_proof,
        ready: true,
        control_mode: ControlMode::HostOnly,
        playback: PlaybackState {
            position: 100.0,
            paused: false,
            speed: 1.0,
            anchor_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs_f64()
                * 1000.0,
            epoch: 4,
            waiting_for_buffering: false,
        },
        media: None,
        queue: Default::default(),
    }))
}

/// A member comes back to `code` with its token and what it remembers.
async fn come_back(
    relay: &common::RelayHandle,
    code: &RoomCode,
    token: String,
    nickname: &str,
    host_proof: Option<String>,
) -> (Client, Joined) {
    let mut c = Client::connect(relay).await;
    c.send(&ClientMsg::Resume {
        code: code.clone(),
        token,
        rebuild: remembered(nickname, host_proof),
    })
    .await;
    let joined = c.expect_joined().await;
    (c, joined)
}

#[tokio::test]
async fn a_restarted_relay_rebuilds_rooms_for_members_only() {
    let dir = tempfile::tempdir().unwrap();
    let listen = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let keyed = || common::RelayConfig {
        listen,
        resume_secret_file: Some(dir.path().join("key")),
        ..config()
    };
    let first = relay(keyed()).await;
    let mut ana = Client::host(&first, "Ana", ControlMode::HostOnly).await;
    let proof = ana.expect_host_proof().await;
    let code = ana.code();
    let ben = Client::guest(&first, &code, "Ben").await;
    let (ana_token, ben_token) = (ana.token.clone(), ben.token.clone());
    let (ana_id, ben_id) = (ana.id, ben.id);
    first.shutdown().await;
    drop((ana, ben));

    let second = relay(keyed()).await;
    // A stranger with a made-up token cannot rebuild it.
    let mut eve = Client::connect(&second).await;
    eve.send(&ClientMsg::Resume {
        code: code.clone(),
        token: format!("{ana_id}-0011223344556677-{}", "ab".repeat(32)),
        rebuild: remembered("Eve", Some(proof.clone())),
    })
    .await;
    eve.expect_error(ErrorCode::RoomNotFound).await;

    // Ben is back first: the room is rebuilt, he holds it for now.
    let (mut ben, joined) = come_back(&second, &code, ben_token, "Ben", None).await;
    assert_eq!(joined.you, ben_id);
    assert!(
        joined.room.playback.position >= 100.0,
        "the room carries on"
    );
    assert_eq!(joined.room.playback.epoch, 4);
    // Ana, who was host, takes the role back.
    let (_ana, joined) = come_back(&second, &code, ana_token, "Ana", Some(proof)).await;
    assert_eq!(joined.you, ana_id);
    let list = ben.participants_where(|l| l.len() == 2).await;
    assert_eq!(hosts(&list), ["Ana"]);
    assert!(list.iter().all(|p| p.ready));
    // Eve, once more, now that the room exists: still nothing.
    eve.send(&ClientMsg::Resume {
        code,
        token: "1-00-00".into(),
        rebuild: remembered("Eve", None),
    })
    .await;
    eve.expect_error(ErrorCode::InvalidToken).await;
}

#[tokio::test]
async fn a_former_host_whose_seat_expired_comes_back_as_a_guest() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay(common::RelayConfig {
        resume_grace_secs: 0.5,
        resume_secret_file: Some(dir.path().join("key")),
        ..config()
    })
    .await;
    let mut ana = Client::host(&relay, "Ana", ControlMode::HostOnly).await;
    let proof = ana.expect_host_proof().await;
    let code = ana.code();
    let mut ben = Client::guest(&relay, &code, "Ben").await;
    let (token, ana_id) = (ana.token.clone(), ana.id);
    ana.drop_link();
    ben.participants_where(|l| l.len() == 1 && l[0].host).await;
    let (_back, joined) = come_back(&relay, &code, token, "Ana", Some(proof)).await;
    assert_eq!(joined.you, ana_id);
    let list = ben.participants_where(|l| l.len() == 2).await;
    assert_eq!(
        hosts(&list),
        ["Ben"],
        "the role stays with whoever held the room"
    );
}

/// A new name shows to everyone at once, with a notice; a name that is
/// empty or on two lines is refused and changes nothing.
#[tokio::test]
async fn a_participant_renames_in_the_room() {
    let relay = relay(common::config()).await;
    let mut ana = Client::host(&relay, "Ana", ControlMode::HostOnly).await;
    let mut ben = Client::guest(&relay, &ana.code(), "Ben").await;
    ben.send(&ClientMsg::Rename {
        nickname: " Benjamin ".into(),
    })
    .await;
    let text = ana
        .recv_until(|m| match m {
            ServerMsg::Notice {
                event: matinee_protocol::NoticeEvent::Renamed,
                text,
                ..
            } => Some(text.clone()),
            _ => None,
        })
        .await;
    assert_eq!(text, "Ben is now Benjamin");
    let ben_id = ben.id;
    ana.participants_where(|ps| {
        ps.iter()
            .any(|p| p.id == ben_id && p.nickname == "Benjamin")
    })
    .await;
    for bad in ["   ", "two\nlines"] {
        ben.send(&ClientMsg::Rename {
            nickname: bad.into(),
        })
        .await;
        ben.expect_error(matinee_protocol::ErrorCode::InvalidValue)
            .await;
    }
    ben.send(&ClientMsg::Chat { text: "hi".into() }).await;
    let nick = ana
        .recv_until(|m| match m {
            ServerMsg::Chat { nickname, .. } => Some(nickname.clone()),
            _ => None,
        })
        .await;
    assert_eq!(nick, "Benjamin", "the last good name stays");
}
