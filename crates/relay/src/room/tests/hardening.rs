//! The second round of an outside probe of the relay (issue 25): shared
//! files that lock out or disconnect a room, memory counted short, and host
//! ownership across restarts. Each test failed before its fix.

use super::*;
use crate::room::shares::{MAX_ROOM_FILES, MIN_FILE_COST};
use crate::tokens::{Bans, HostProof};
use matinee_protocol::{MediaInfo, SubtitleFormat, SubtitleMeta, TrackProposal};

/// A file's parts as a client sends them, with its name and text.
fn file_parts(name: &str, text: &str) -> Vec<ClientMsg> {
    let meta = SubtitleMeta {
        name: name.into(),
        format: SubtitleFormat::Srt,
        language: None,
        bytes: text.len() as u32,
    };
    matinee_protocol::subtitle_messages(&meta, text)
}

fn share(room: &mut Room, who: &Member, name: &str, text: &str) {
    for part in file_parts(name, text) {
        who.send(room, part);
    }
}

fn held(room: &Room) -> usize {
    room.env.metrics.subtitle_bytes.get() as usize
}

fn connected(room: &Room, who: &Member) -> bool {
    room.seats
        .iter()
        .any(|s| s.id == who.pid && s.is_connected())
}

/// 1. Unfinished uploads are counted by what arrived, dropped when they
///    stall or their member's link drops, and lock nobody else out.
#[tokio::test(start_paused = true)]
async fn unfinished_uploads_hold_what_arrived_and_no_longer_than_their_timeout() {
    let config = RelayConfig {
        max_subtitle_bytes: 1024 * 1024,
        max_room_subtitle_bytes: 4 * 1024 * 1024,
        max_shared_bytes_per_minute: 64 * 1024 * 1024,
        ..RelayConfig::default()
    };
    let mut busy = room(config.clone());
    let other_code = RoomCode::parse("ABCDEF").unwrap();
    let mut other = Room::new(other_code, ControlMode::Shared, busy.env.clone());
    // 16 members from 4 addresses announce 400 KiB each (6.4 MiB in all,
    // six times the relay's budget) and send only their first part.
    let announced = "z".repeat(400 * 1024);
    let mut members = Vec::new();
    for i in 0..16u64 {
        let m = join(&mut busy, &format!("M{i}"), 1 + (i % 4) + 256 * i);
        m.send(&mut busy, file_parts("big.srt", &announced)[0].clone());
        members.push(m);
    }
    for m in &mut members {
        assert!(errors(&m.drain()).is_empty());
    }
    assert!(held(&busy) <= 16 * 33 * 1024, "{} held", held(&busy));
    // Another room's small file still goes through.
    let mut ana = join(&mut other, "Ana", 200);
    let mut ben = join(&mut other, "Ben", 201);
    share(
        &mut other,
        &ana,
        "small.srt",
        "1\n00:00:01,000 --> 00:00:02,000\nHi\n",
    );
    assert!(errors(&ana.drain()).is_empty());
    assert_eq!(received_subtitles(&ben.drain()).len(), 1);
    let small = MIN_FILE_COST;
    // One member's link drops: what it sent is given back at once, not
    // after the resume grace.
    let before = held(&busy);
    let gone = members.pop().unwrap();
    busy.handle(RoomCmd::Disconnected {
        pid: gone.pid,
        conn_id: gone.conn,
    });
    assert!(held(&busy) < before);
    // The others stall: after the upload timeout all of it is given back
    // and each is told.
    advance(&mut busy, Duration::from_secs(16)).await;
    assert_eq!(held(&busy), small, "only the finished small file is held");
    for m in &mut members {
        let said = errors(&m.drain());
        assert!(
            said.iter().any(|e| e.contains("stopped arriving")),
            "{said:?}"
        );
    }
}

/// 2. A file of many frames reaches every member as one place of its
///    queue: nobody is dropped as slow, a newcomer gets it whole.
#[tokio::test(start_paused = true)]
async fn a_file_of_more_frames_than_a_queue_holds_drops_nobody() {
    let mut room = room(RelayConfig {
        max_room_subtitle_bytes: 8 * 1024 * 1024,
        max_shared_bytes_per_minute: 8 * 1024 * 1024,
        ..RelayConfig::default()
    });
    let mut ana = join_with(&mut room, "Ana", 1, 16);
    let mut others: Vec<Member> = (2..8)
        .map(|i| join_with(&mut room, &format!("P{i}"), i, 16))
        .collect();
    for m in &mut others {
        m.drain();
    }
    // 200 KB of U+0001: six bytes each as JSON, about 37 frames.
    let text = "\u{1}".repeat(200_000);
    share(&mut room, &ana, "odd.srt", &text);
    assert!(errors(&ana.drain()).is_empty());
    for m in &mut others {
        assert!(connected(&room, m), "P{} was dropped", m.conn);
        assert_eq!(received_subtitles(&m.drain()), vec![(1, text.clone())]);
    }
    let mut cleo = join_with(&mut room, "Cleo", 9, 16);
    let got = cleo.drain();
    assert!(matches!(got[0], ServerMsg::Joined(_)));
    assert_eq!(received_subtitles(&got), vec![(1, text.clone())]);
    assert!(connected(&room, &cleo));
}

/// 3. Files are counted as kept: escaped characters cost what they take,
///    and a file that takes more than the room keeps is refused.
#[tokio::test(start_paused = true)]
async fn files_are_counted_by_what_they_take_as_kept() {
    let mut room = room(RelayConfig {
        max_room_subtitle_bytes: 1024 * 1024,
        ..RelayConfig::default()
    });
    let mut ana = join(&mut room, "Ana", 1);
    let mut ben = join(&mut room, "Ben", 2);
    let text = "\u{1}".repeat(100_000);
    share(&mut room, &ana, "odd.srt", &text);
    assert!(errors(&ana.drain()).is_empty());
    assert!(held(&room) >= 6 * text.len(), "{} held", held(&room));
    let text = "\u{1}".repeat(300_000);
    share(&mut room, &ana, "odder.srt", &text);
    let refused = errors(&ana.drain());
    assert!(refused[0].contains("as the relay keeps it"), "{refused:?}");
    assert!(held(&room) < 1024 * 1024, "the refused file is given back");
    assert_eq!(received_subtitles(&ben.drain()).len(), 1);
}

/// 4. Empty files cost a minimum each, a room keeps a bounded number, and
///    a newcomer gets them all as one place of its queue.
#[tokio::test(start_paused = true)]
async fn empty_files_are_not_free_and_a_room_keeps_a_bounded_number() {
    let mut room = room(RelayConfig::default());
    let mut members: Vec<Member> = (1..=8)
        .map(|i| join(&mut room, &format!("P{i}"), i))
        .collect();
    let name = "n".repeat(255);
    let mut refused = Vec::new();
    for round in 0..140 {
        for m in &members {
            share(&mut room, m, &format!("{round}{name}"), "");
        }
        refused.extend(members.iter_mut().flat_map(|m| errors(&m.drain())));
    }
    assert!(
        refused.iter().any(|e| e.contains("a minute")),
        "1 120 empty files in a minute are over the room's allowance"
    );
    assert_eq!(room.sharing_files(), MAX_ROOM_FILES);
    assert_eq!(held(&room), MAX_ROOM_FILES * MIN_FILE_COST);
    let mut cleo = join_with(&mut room, "Cleo", 9, 8);
    assert_eq!(received_subtitles(&cleo.drain()).len(), MAX_ROOM_FILES);
    assert!(connected(&room, &cleo));
}

/// A member coming back to a restarted relay, as its client does.
fn rebuild(
    room: &mut Room,
    pid: ParticipantId,
    (name, proof, media): (&str, Option<String>, Option<MediaInfo>),
    conn: u64,
) -> Member {
    let r = remembered(room, name, proof, media);
    let (outbox, inbox) = outbox(conn, format!("192.0.2.{conn}").parse().unwrap(), 1024);
    let (reply, answer) = oneshot::channel();
    room.handle(RoomCmd::Rebuild {
        pid,
        token: format!("token-{pid}"),
        rebuild: Box::new(r),
        outbox,
        reply,
    });
    let pid = answer.blocking_recv_or_now().expect("seated");
    Member { pid, conn, inbox }
}

fn remembered(
    room: &Room,
    name: &str,
    proof: Option<String>,
    media: Option<MediaInfo>,
) -> RoomRebuild {
    RoomRebuild {
        nickname: name.into(),
        host_proof: proof,
        ready: false,
        control_mode: ControlMode::HostOnly,
        playback: PlaybackState::initial(room.env.clock.now_ms()),
        media,
        queue: Default::default(),
    }
}

fn proof(room: &Room, seat: ParticipantId, issued_ms: u64, bans: Bans) -> String {
    room.env.tokens.sign_host_proof(&HostProof {
        room: room.code().to_string(),
        seat,
        issued_ms,
        bans,
    })
}

fn host(room: &Room) -> Option<ParticipantId> {
    room.seats.iter().find(|s| s.host).map(|s| s.id)
}

fn issued_proofs(room: &Room, msgs: &[ServerMsg]) -> Vec<HostProof> {
    msgs.iter()
        .filter_map(|m| match m {
            ServerMsg::HostProof { proof } => room.env.tokens.verify_host_proof(room.code(), proof),
            _ => None,
        })
        .collect()
}

/// 5. A former host who comes back first with an older proof holds the
///    role only until the newer proof's holder is back; nobody's proof is
///    refreshed before the resume grace is over.
#[tokio::test(start_paused = true)]
async fn after_a_restart_the_newest_proof_wins_whoever_comes_back_first() {
    let mut room = room(RelayConfig {
        resume_grace_secs: 30.0,
        ..RelayConfig::loopback()
    });
    let now = room.env.clock.now_ms() as u64;
    let anas = proof(&room, 1, now - 60_000, Bans::default());
    let bens = proof(&room, 2, now - 10_000, Bans::default());
    let mut ana = rebuild(&mut room, 1, ("Ana", Some(anas), None), 1);
    assert_eq!(host(&room), Some(1));
    assert!(
        issued_proofs(&room, &ana.drain()).is_empty(),
        "no fresh proof yet"
    );
    ana.send(&mut room, ClientMsg::Kick { participant: 2 });
    let mut ben = rebuild(&mut room, 2, ("Ben", Some(bens), None), 2);
    assert_eq!(host(&room), Some(2), "Ben's proof is newer");
    // Ana may not remove Ben (she is no host now), nor could she before.
    ana.send(&mut room, ClientMsg::Kick { participant: 2 });
    assert!(connected(&room, &ben));
    assert!(errors(&ana.drain())
        .iter()
        .any(|e| e.contains("Only the host")));
    advance(&mut room, Duration::from_secs(31)).await;
    let proofs = issued_proofs(&room, &ben.drain());
    assert_eq!(proofs.len(), 1, "Ben's role is sure after the grace");
    assert_eq!(proofs[0].seat, 2);
}

/// 6. A guest who comes back first cannot set the film for good: the
///    host's proof brings the host's film back.
#[tokio::test(start_paused = true)]
async fn the_host_s_film_wins_over_what_a_guest_back_first_claimed() {
    let mut room = room(RelayConfig::loopback());
    let film = |secs: f64| MediaInfo {
        name: "film.mkv".into(),
        size_bytes: None,
        duration: Some(secs),
        provider_ids: Default::default(),
    };
    let now = room.env.clock.now_ms() as u64;
    let anas = proof(&room, 1, now - 1000, Bans::default());
    let _cleo = rebuild(&mut room, 3, ("Cleo", None, Some(film(5.0))), 3);
    let ana = rebuild(&mut room, 1, ("Ana", Some(anas), Some(film(7200.0))), 1);
    assert_eq!(host(&room), Some(1));
    assert_eq!(room.media.as_ref().and_then(|m| m.duration), Some(7200.0));
    ana.send(
        &mut room,
        ClientMsg::Control {
            seq: 1,
            action: ControlAction::Play { position: 600.0 },
            server_ms: None,
        },
    );
    advance(&mut room, Duration::from_secs(6)).await;
    let position = room.playback.position_at(room.env.clock.now_ms());
    assert!((605.0..607.0).contains(&position), "at {position}");
    assert!(playing(&room), "not ended after 5 s");
}

/// 7. Whoever holds the host role without a proof after a restart cannot
///    remove people or change the mode; nothing of theirs reaches the
///    host's proof.
#[tokio::test(start_paused = true)]
async fn a_provisional_host_cannot_ban_or_change_the_mode() {
    let mut room = room(RelayConfig {
        resume_grace_secs: 30.0,
        ..RelayConfig::loopback()
    });
    let now = room.env.clock.now_ms() as u64;
    let mut cleo = rebuild(&mut room, 3, ("Cleo", None, None), 3);
    let mut dan = rebuild(&mut room, 4, ("Dan", None, None), 4);
    assert_eq!(host(&room), Some(3), "Cleo holds the room meanwhile");
    cleo.send(&mut room, ClientMsg::Kick { participant: 4 });
    cleo.send(
        &mut room,
        ClientMsg::SetControlMode {
            mode: ControlMode::Shared,
        },
    );
    let refused = errors(&cleo.drain());
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(refused[0].contains("relay restarted"), "{refused:?}");
    assert!(connected(&room, &dan));
    assert_eq!(room.control_mode, ControlMode::HostOnly);
    let anas = proof(&room, 1, now - 1000, Bans::default());
    let mut ana = rebuild(&mut room, 1, ("Ana", Some(anas), None), 1);
    advance(&mut room, Duration::from_secs(31)).await;
    let proofs = issued_proofs(&room, &ana.drain());
    assert_eq!(proofs.len(), 1);
    assert!(proofs[0].bans.seats.is_empty(), "{:?}", proofs[0].bans);
    let _ = dan.drain();
}

/// The allowance belongs to the address and the room: a second seat from
/// the same address, or leaving and coming back, gets no new one.
#[tokio::test(start_paused = true)]
async fn the_sharing_allowance_is_per_address_and_per_room() {
    let mut room = room(RelayConfig {
        max_shared_bytes_per_minute: 100_000,
        max_room_subtitle_bytes: 1024 * 1024,
        ..RelayConfig::default()
    });
    let mut ana = join(&mut room, "Ana", 1);
    let text = "a".repeat(60_000);
    share(&mut room, &ana, "one.srt", &text);
    assert!(errors(&ana.drain()).is_empty());
    ana.send(&mut room, ClientMsg::Leave);
    // Back, or a second connection from the same address (conn 257).
    let mut again = join(&mut room, "Ana", 257);
    share(&mut room, &again, "two.srt", &text);
    assert!(errors(&again.drain())[0].contains("a minute"));
    // Another address in the same room shares the room's allowance.
    let mut ben = join(&mut room, "Ben", 2);
    share(&mut room, &ben, "three.srt", &text);
    assert!(errors(&ben.drain())[0].contains("a minute"));
}

/// Proposals and prints go out at most once a second (the latest wins);
/// names from others' machines and chat lines cannot disguise themselves;
/// look-alike nicknames are numbered.
#[tokio::test(start_paused = true)]
async fn proposals_are_paced_and_what_people_send_is_shown_clean() {
    let mut room = room(RelayConfig::default());
    room.control_mode = ControlMode::Shared;
    let mut ana = join(&mut room, "Ana", 1);
    let mut ben = join(&mut room, "Ben", 2);
    for i in 0..40 {
        ana.send(
            &mut room,
            ClientMsg::ProposeTracks {
                proposal: TrackProposal {
                    audio: None,
                    subtitles: None,
                    sub_delay: Some(f64::from(i) / 10.0),
                },
            },
        );
        advance(&mut room, Duration::from_millis(50)).await;
    }
    advance(&mut room, Duration::from_secs(2)).await;
    let got = ben.drain();
    let proposals: Vec<f64> = got
        .iter()
        .filter_map(|m| match m {
            ServerMsg::TrackProposal { proposal, .. } => proposal.sub_delay,
            _ => None,
        })
        .collect();
    assert!(proposals.len() <= 3, "{proposals:?}");
    assert_eq!(proposals.last(), Some(&3.9), "the latest goes out");

    share(&mut room, &ana, "../../etc/passwd\u{202E}", "x");
    ana.send(
        &mut room,
        ClientMsg::Chat {
            text: "look\u{202E}txt.exe\u{2028}here".into(),
        },
    );
    let got = ben.drain();
    assert!(
        notices(&got).contains(&"Ana shared passwd (SRT)".to_string()),
        "{:?}",
        notices(&got)
    );
    assert!(got.iter().any(|m| matches!(m,
        ServerMsg::Chat { text, .. } if text == "looktxt.exe here")));
    let cyrillic = join(&mut room, "\u{410}na", 3);
    let name = room
        .seats
        .iter()
        .find(|s| s.id == cyrillic.pid)
        .unwrap()
        .nickname
        .clone();
    assert_eq!(name, "\u{410}na (2)");
    let _ = ana.drain();
}

/// Issue 31, 5: the host ends the party: everyone is told at once who
/// ended it, the room is gone at the next tick, and nobody takes a seat
/// in it meanwhile.
#[tokio::test(start_paused = true)]
async fn the_host_ends_the_party_for_everyone_at_once() {
    let mut room = room(RelayConfig::default());
    let mut ana = join(&mut room, "Ana", 1);
    let mut ben = join(&mut room, "Ben", 2);
    ben.send(&mut room, ClientMsg::EndParty);
    assert!(errors(&ben.drain())[0].contains("Only the host"));
    ana.send(&mut room, ClientMsg::EndParty);
    let left = |msgs: Vec<ServerMsg>| {
        msgs.into_iter()
            .find_map(|m| match m {
                ServerMsg::Left { reason } => Some(reason),
                _ => None,
            })
            .unwrap_or_default()
    };
    assert_eq!(left(ben.drain()), "Ana ended the party.");
    assert_eq!(left(ana.drain()), "You ended the party.");
    let (outbox, _inbox) = outbox(3, "192.0.2.3".parse().unwrap(), 16);
    let (reply, answer) = oneshot::channel();
    room.handle(RoomCmd::Join {
        nickname: "Cleo".into(),
        media: None,
        via: None,
        outbox,
        reply,
    });
    assert!(
        answer.blocking_recv_or_now().is_err(),
        "no seat in an ended party"
    );
    assert_eq!(room.tick(), Lifecycle::Expired);
}
