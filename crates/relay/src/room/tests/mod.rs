//! The room's rules without sockets or real waiting: a room driven
//! directly, members' outboxes read in memory, and tokio's paused clock
//! (which is the server clock) moved by hand.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use matinee_protocol::{
    ClientMsg, ControlAction, ControlMode, ParticipantId, PlaybackState, RoomCode, RoomRebuild,
    ServerMsg, StateReport,
};
use tokio::sync::oneshot;

use super::state::{Lifecycle, Room, RoomEnv};
use super::RoomCmd;
use crate::clock::ServerClock;
use crate::config::RelayConfig;
use crate::metrics::Metrics;
use crate::outbox::{outbox, Inbox, Outgoing};
use crate::tokens::TokenSigner;

fn env(config: RelayConfig) -> RoomEnv {
    RoomEnv {
        config: Arc::new(config),
        tokens: Arc::new(TokenSigner::load(None).unwrap()),
        metrics: Arc::new(Metrics::new()),
        clock: ServerClock::new(),
        allowance: Default::default(),
    }
}

fn room(config: RelayConfig) -> Room {
    Room::new(
        RoomCode::parse("K7MQ2X").unwrap(),
        ControlMode::HostOnly,
        env(config),
    )
}

struct Member {
    pid: ParticipantId,
    conn: u64,
    inbox: Inbox,
}

impl Member {
    /// Every message queued for this member so far.
    fn drain(&mut self) -> Vec<ServerMsg> {
        let mut out = Vec::new();
        while let Ok(item) = self.inbox.rx.try_recv() {
            out.extend(decoded(item));
        }
        out
    }

    /// Reports the player at 10 s, buffering or not.
    fn report(&self, room: &mut Room, buffering: bool) {
        let msg = report(buffering, room);
        self.send(room, msg);
    }

    fn send(&self, room: &mut Room, msg: ClientMsg) {
        room.handle(RoomCmd::Client {
            pid: self.pid,
            conn_id: self.conn,
            msg,
        });
    }
}

/// The messages one item of a member's queue carries.
fn decoded(item: Outgoing) -> Vec<ServerMsg> {
    let frames = match item {
        Outgoing::Frame(text) => vec![text],
        Outgoing::Frames(frames) => frames.to_vec(),
        Outgoing::Evicted => Vec::new(),
    };
    frames
        .iter()
        .map(|text| ServerMsg::decode(text).unwrap())
        .collect()
}

fn join(room: &mut Room, name: &str, conn: u64) -> Member {
    join_with(room, name, conn, 1024)
}

/// A member from 192.0.2.`conn` whose queue holds `queue` items.
fn join_with(room: &mut Room, name: &str, conn: u64, queue: usize) -> Member {
    let ip: IpAddr = format!("192.0.2.{}", conn % 256).parse().unwrap();
    let (outbox, inbox) = outbox(conn, ip, queue);
    let (reply, answer) = oneshot::channel();
    room.handle(RoomCmd::Join {
        nickname: name.into(),
        media: None,
        via: None,
        outbox,
        reply,
    });
    let pid = answer.blocking_recv_or_now().expect("seated");
    Member { pid, conn, inbox }
}

trait ReplyNow<T> {
    fn blocking_recv_or_now(self) -> T;
}

impl<T> ReplyNow<Result<T, super::Refusal>> for oneshot::Receiver<Result<T, super::Refusal>> {
    /// The room answers within `handle`: the reply is there already.
    fn blocking_recv_or_now(mut self) -> Result<T, super::Refusal> {
        self.try_recv().expect("the room answered")
    }
}

fn report(buffering: bool, room: &Room) -> ClientMsg {
    ClientMsg::State(StateReport {
        position: 10.0,
        paused: false,
        speed: 1.0,
        buffering,
        player_closed: false,
        server_ms: room.env.clock.now_ms(),
        epoch: room.playback.epoch,
    })
}

async fn advance(room: &mut Room, by: Duration) -> Lifecycle {
    tokio::time::advance(by).await;
    let lifecycle = room.tick();
    // As the room's actor does when what it held back is due.
    room.send_held_back();
    lifecycle
}

fn playing(room: &Room) -> bool {
    !room.playback.paused
}

#[tokio::test(start_paused = true)]
async fn the_room_waits_for_buffering_at_most_its_longest_wait() {
    let mut room = room(RelayConfig {
        max_buffering_wait_secs: 20.0,
        ..RelayConfig::loopback()
    });
    let ana = join(&mut room, "Ana", 1);
    let mut ben = join(&mut room, "Ben", 2);
    ana.send(
        &mut room,
        ClientMsg::Control {
            seq: 1,
            action: ControlAction::Play { position: 10.0 },
            server_ms: None,
        },
    );
    assert!(playing(&room));

    ben.report(&mut room, true);
    assert!(room.playback.waiting_for_buffering, "the room waits");
    advance(&mut room, Duration::from_secs(19)).await;
    assert!(room.playback.waiting_for_buffering, "still within the wait");
    ben.drain();
    advance(&mut room, Duration::from_secs(2)).await;
    assert!(playing(&room), "after 20 s the room plays on");
    assert!(room
        .seats
        .iter()
        .any(|s| s.id == ben.pid && s.is_catching_up()));
    let said: Vec<String> = ben
        .drain()
        .into_iter()
        .filter_map(|m| match m {
            ServerMsg::Notice { text, .. } => Some(text),
            _ => None,
        })
        .collect();
    assert!(
        said.iter().any(|t| t.starts_with("Playing on without Ben")),
        "{said:?}"
    );

    // Toggling within the cooldown changes nothing for the room.
    for i in 0..10 {
        ben.report(&mut room, i % 2 == 0);
        assert!(playing(&room), "toggle {i} paused the room");
    }
    // After the cooldown, a new buffering pauses the room again.
    ben.report(&mut room, false);
    advance(&mut room, Duration::from_secs(31)).await;
    ben.report(&mut room, true);
    assert!(room.playback.waiting_for_buffering);
}

#[tokio::test(start_paused = true)]
async fn a_provisional_host_gets_a_proof_only_when_nobody_with_one_came_back() {
    let mut room = room(RelayConfig {
        resume_grace_secs: 30.0,
        ..RelayConfig::loopback()
    });
    let (outbox, inbox) = outbox(7, "192.0.2.7".parse().unwrap(), 1024);
    let (reply, answer) = oneshot::channel();
    let now = room.env.clock.now_ms();
    room.handle(RoomCmd::Rebuild {
        pid: 2,
        token: "verified-by-the-caller".into(),
        rebuild: Box::new(RoomRebuild {
            nickname: "Ben".into(),
            host_proof: Some("forged.proof".into()),
            ready: false,
            control_mode: ControlMode::Shared,
            playback: PlaybackState::initial(now),
            media: None,
            queue: Default::default(),
        }),
        outbox,
        reply,
    });
    let pid = answer.blocking_recv_or_now().unwrap();
    let mut ben = Member {
        pid,
        conn: 7,
        inbox,
    };
    let proofs = |msgs: Vec<ServerMsg>| {
        msgs.into_iter()
            .filter(|m| matches!(m, ServerMsg::HostProof { .. }))
            .count()
    };
    assert!(room.seats[0].host, "the first one back holds the room");
    assert_eq!(proofs(ben.drain()), 0, "but gets no proof");
    advance(&mut room, Duration::from_secs(29)).await;
    assert_eq!(proofs(ben.drain()), 0);
    advance(&mut room, Duration::from_secs(2)).await;
    assert_eq!(proofs(ben.drain()), 1, "nobody came back with a proof");
}

#[tokio::test(start_paused = true)]
async fn lonely_rooms_expire_sooner_than_rooms_that_had_guests() {
    let config = RelayConfig {
        room_grace_secs: 60.0,
        lonely_room_grace_secs: 15.0,
        ..RelayConfig::loopback()
    };
    let mut lonely = room(config.clone());
    let ana = join(&mut lonely, "Ana", 1);
    ana.send(&mut lonely, ClientMsg::Leave);
    assert_eq!(lonely.tick(), Lifecycle::Open);
    assert_eq!(
        advance(&mut lonely, Duration::from_secs(16)).await,
        Lifecycle::Expired
    );

    let mut shared = room(config);
    let ana = join(&mut shared, "Ana", 1);
    let ben = join(&mut shared, "Ben", 2);
    ben.send(&mut shared, ClientMsg::Leave);
    ana.send(&mut shared, ClientMsg::Leave);
    assert_eq!(shared.tick(), Lifecycle::Open);
    assert_eq!(
        advance(&mut shared, Duration::from_secs(16)).await,
        Lifecycle::Open
    );
    assert_eq!(
        advance(&mut shared, Duration::from_secs(45)).await,
        Lifecycle::Expired
    );
}

#[tokio::test(start_paused = true)]
async fn participant_lists_for_flag_changes_are_paced() {
    let mut room = room(RelayConfig::loopback());
    let _ana = join(&mut room, "Ana", 1);
    let ben = join(&mut room, "Ben", 2);
    let mut watcher = join(&mut room, "Cleo", 3);
    tokio::time::advance(Duration::from_secs(1)).await;
    room.send_held_back();
    watcher.drain();
    let lists = |m: &mut Member| {
        m.drain()
            .into_iter()
            .filter(|msg| matches!(msg, ServerMsg::Participants { .. }))
            .count()
    };
    for i in 0..10 {
        ben.send(&mut room, ClientMsg::Ready { ready: i % 2 == 0 });
    }
    assert_eq!(lists(&mut watcher), 1, "the first change goes out at once");
    let due = room.roster_due().expect("a list is held back");
    tokio::time::advance(Duration::from_millis(100)).await;
    assert!(due > tokio::time::Instant::now(), "not yet");
    tokio::time::advance(Duration::from_millis(200)).await;
    room.send_held_back();
    let last = watcher
        .drain()
        .into_iter()
        .filter_map(|m| match m {
            ServerMsg::Participants { participants } => Some(participants),
            _ => None,
        })
        .collect::<Vec<_>>();
    assert_eq!(last.len(), 1, "the held-back changes go out as one list");
    let ben_ready = last[0].iter().find(|p| p.id == ben.pid).unwrap().ready;
    assert!(
        !ben_ready,
        "with the last state (ten toggles end not ready)"
    );
}

fn subtitle_parts(text: &str) -> Vec<ClientMsg> {
    let meta = matinee_protocol::SubtitleMeta {
        name: "film.en.srt".into(),
        format: matinee_protocol::SubtitleFormat::Srt,
        language: Some("en".into()),
        bytes: text.len() as u32,
    };
    matinee_protocol::subtitle_messages(&meta, text)
}

/// The subtitle text a member received, joined from its parts.
fn received_subtitles(msgs: &[ServerMsg]) -> Vec<(u32, String)> {
    let mut files: Vec<(u32, String)> = Vec::new();
    for m in msgs {
        if let ServerMsg::Subtitle { id, text, part, .. } = m {
            if *part == 0 {
                files.push((*id, String::new()));
            }
            files.last_mut().unwrap().1.push_str(text);
        }
    }
    files
}

/// The notices' texts among `msgs`.
fn notices(msgs: &[ServerMsg]) -> Vec<String> {
    msgs.iter()
        .filter_map(|m| match m {
            ServerMsg::Notice { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn errors(msgs: &[ServerMsg]) -> Vec<String> {
    msgs.iter()
        .filter_map(|m| match m {
            ServerMsg::Error { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_shared_subtitle_reaches_members_and_newcomers_and_counts_against_the_budgets() {
    let mut room = room(RelayConfig {
        max_room_subtitle_bytes: 300_000,
        max_shared_bytes_per_minute: 400_000,
        ..RelayConfig::default()
    });
    let mut ana = join(&mut room, "Ana", 1);
    let mut ben = join(&mut room, "Ben", 2);
    let text = "1\n00:00:01,000 --> 00:00:02,000\n\"Hi\" é\n\n".repeat(4000);
    for part in subtitle_parts(&text) {
        ana.send(&mut room, part);
    }
    let got = ben.drain();
    assert_eq!(received_subtitles(&got), vec![(1, text.clone())]);
    assert!(got.iter().any(|m| matches!(m,
        ServerMsg::Notice { text, .. } if text == "Ana shared English (SRT)")));
    // The sender gets the notice, not the file back.
    let mine = ana.drain();
    assert!(received_subtitles(&mine).is_empty());
    assert!(errors(&mine).is_empty(), "{mine:?}");
    // Counted as kept: the frames' escaped text, a little over the file.
    let cost = room.env.metrics.subtitle_bytes.get();
    let len = text.len() as i64;
    assert!(cost > len && cost < len * 13 / 10, "{cost} for {len}");

    // A newcomer gets it too.
    let mut cleo = join(&mut room, "Cleo", 3);
    assert_eq!(received_subtitles(&cleo.drain()), vec![(1, text.clone())]);

    // A second file does not fit beside the first: the first goes.
    for part in subtitle_parts(&text) {
        ana.send(&mut room, part);
    }
    assert_eq!(room.env.metrics.subtitle_bytes.get(), cost);
    // A third is over Ana's bytes a minute.
    for part in subtitle_parts(&text) {
        ana.send(&mut room, part);
    }
    let refused = errors(&ana.drain());
    assert!(refused[0].contains("a minute"), "{refused:?}");
    // A minute later she may again.
    advance(&mut room, Duration::from_secs(61)).await;
    for part in subtitle_parts(&text) {
        ana.send(&mut room, part);
    }
    assert!(errors(&ana.drain()).is_empty());
    let _ = cleo.drain();
    // Parts out of order are refused and start nothing.
    let parts = subtitle_parts(&text);
    ben.send(&mut room, parts[0].clone());
    ben.send(&mut room, parts[2].clone());
    let refused = errors(&ben.drain());
    assert!(refused[0].contains("out of order"), "{refused:?}");
    assert!(received_subtitles(&cleo.drain()).is_empty());
    // When the room ends, the relay holds nothing of it.
    let held = room.env.metrics.subtitle_bytes.clone();
    assert_eq!(held.get(), cost);
    drop(room);
    assert_eq!(held.get(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_file_larger_than_announced_or_than_the_room_takes_is_refused() {
    let mut room = room(RelayConfig {
        max_room_subtitle_bytes: 100_000,
        ..RelayConfig::default()
    });
    let mut ana = join(&mut room, "Ana", 1);
    let mut ben = join(&mut room, "Ben", 2);
    let big = "x".repeat(150_000);
    ana.send(&mut room, subtitle_parts(&big)[0].clone());
    let refused = errors(&ana.drain());
    assert!(refused[0].contains("at most 97 KiB"), "{refused:?}");
    // Announced 10 bytes, sends more.
    let mut lying = subtitle_parts("short text")[0].clone();
    if let ClientMsg::ShareSubtitle { text, .. } = &mut lying {
        *text = "y".repeat(5000);
    }
    ana.send(&mut room, lying);
    assert!(errors(&ana.drain())[0].contains("does not match"));
    assert!(received_subtitles(&ben.drain()).is_empty());
    assert_eq!(room.env.metrics.subtitle_bytes.get(), 0);
}

#[tokio::test(start_paused = true)]
async fn tracks_and_proposals_reach_everyone_and_newcomers_and_only_controllers_propose() {
    use matinee_protocol::{SubtitleChoice, TrackChoice, TrackInfo, TrackKind, TrackProposal};
    let mut room = room(RelayConfig::default());
    let mut ana = join(&mut room, "Ana", 1);
    let mut ben = join(&mut room, "Ben", 2);
    let track = |id, lang: &str| TrackInfo {
        kind: TrackKind::Audio,
        id,
        lang: Some(lang.into()),
        title: None,
        codec: None,
        external: false,
        selected: id == 1,
    };
    ben.send(
        &mut room,
        ClientMsg::Tracks {
            tracks: vec![track(1, "ja"), track(2, "en")],
        },
    );
    let tracks_of = |msgs: &[ServerMsg]| {
        msgs.iter()
            .filter_map(|m| match m {
                ServerMsg::Tracks {
                    participant,
                    tracks,
                } => Some((*participant, tracks.len())),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(tracks_of(&ana.drain()), vec![(ben.pid, 2)]);
    // A quick second change waits for the tick.
    ben.send(
        &mut room,
        ClientMsg::Tracks {
            tracks: vec![track(1, "ja")],
        },
    );
    assert!(tracks_of(&ana.drain()).is_empty());
    advance(&mut room, Duration::from_secs(1)).await;
    assert_eq!(tracks_of(&ana.drain()), vec![(ben.pid, 1)]);

    let proposal = TrackProposal {
        audio: Some(TrackChoice {
            lang: Some("ja".into()),
            title: None,
        }),
        subtitles: Some(SubtitleChoice::Off),
        sub_delay: None,
    };
    // A guest in a host-only room may not propose.
    ben.send(
        &mut room,
        ClientMsg::ProposeTracks {
            proposal: proposal.clone(),
        },
    );
    assert!(errors(&ben.drain())[0].contains("Only the host"));
    assert!(!ana
        .drain()
        .iter()
        .any(|m| matches!(m, ServerMsg::TrackProposal { .. })));
    ana.send(
        &mut room,
        ClientMsg::ProposeTracks {
            proposal: proposal.clone(),
        },
    );
    let got = ben.drain();
    assert!(got.iter().any(|m| matches!(m,
        ServerMsg::TrackProposal { proposal: p, .. } if *p == proposal)));
    assert!(got.iter().any(|m| matches!(m,
        ServerMsg::Notice { text, .. } if text == "Ana proposed audio: Japanese, subtitles: off")));
    // A newcomer learns the others' tracks and the latest proposal.
    let mut cleo = join(&mut room, "Cleo", 3);
    let got = cleo.drain();
    assert_eq!(tracks_of(&got), vec![(ben.pid, 1)]);
    assert!(got
        .iter()
        .any(|m| matches!(m, ServerMsg::TrackProposal { .. })));
}

#[tokio::test(start_paused = true)]
async fn only_the_host_s_sound_print_goes_out_and_newcomers_get_it_until_the_host_changes() {
    let mut room = room(RelayConfig::default());
    let mut ana = join(&mut room, "Ana", 1);
    let mut ben = join(&mut room, "Ben", 2);
    let print = |data: &str| ClientMsg::AudioPrint {
        start: 0.0,
        data: data.into(),
    };
    let prints = |msgs: &[ServerMsg]| {
        msgs.iter()
            .filter_map(|m| match m {
                ServerMsg::AudioPrint { data, nickname, .. } => Some(format!("{nickname}:{data}")),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    ben.send(&mut room, print("BBBB"));
    assert!(errors(&ben.drain())[0].contains("Only the host"));
    assert!(prints(&ana.drain()).is_empty());
    ana.send(&mut room, print("AAAA"));
    assert_eq!(prints(&ben.drain()), ["Ana:AAAA"]);
    assert!(prints(&ana.drain()).is_empty(), "not back to the sender");
    // A second place further in; a newer print of a place replaces it.
    ana.send(
        &mut room,
        ClientMsg::AudioPrint {
            start: 600.0,
            data: "CCCC".into(),
        },
    );
    ana.send(&mut room, print("DDDD"));
    let mut cleo = join(&mut room, "Cleo", 3);
    assert_eq!(prints(&cleo.drain()), ["Ana:DDDD", "Ana:CCCC"]);
    // Ana hands the host role to Ben: her print is no reference now.
    ana.send(&mut room, ClientMsg::PassHost { to: ben.pid });
    let mut dan = join(&mut room, "Dan", 4);
    assert!(prints(&dan.drain()).is_empty());
    ben.send(&mut room, print("BBBB"));
    assert_eq!(prints(&dan.drain()), ["Ben:BBBB"]);
    let _ = cleo.drain();
}

mod hardening;
mod queue;
