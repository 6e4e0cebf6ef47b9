//! The queue: whoever may control playback changes it, everyone (and a
//! newcomer) hears it, its limits are kept with the reason, going to an
//! entry resets the room for it, and it lives on in what is stored.

use matinee_protocol::{
    ClientMsg, ControlMode, EpisodeNumber, MediaInfo, NoticeEvent, QueueItem, QueueState,
    ServerMsg, MAX_QUEUE_BYTES, MAX_QUEUE_ENTRIES,
};

use super::super::queue::QUEUE_MIN_INTERVAL;
use super::super::state::Room;
use super::{errors, join, notices, room, Member};
use crate::config::RelayConfig;

fn episode(n: u32) -> QueueItem {
    QueueItem {
        title: format!("Episode {n}"),
        media: MediaInfo {
            name: format!("Show.S01E{n:02}.mkv"),
            duration: Some(1300.0 + f64::from(n)),
            ..MediaInfo::default()
        },
        series: Some("Show".into()),
        episode: Some(EpisodeNumber {
            season: 1,
            episode: n,
        }),
    }
}

/// `by` queues the first two episodes.
fn queue_two(room: &mut Room, by: &Member) {
    by.send(
        room,
        ClientMsg::QueueAdd {
            items: vec![episode(1), episode(2)],
        },
    );
}

/// The last queue a member heard.
fn heard_queue(msgs: &[ServerMsg]) -> Option<QueueState> {
    msgs.iter().rev().find_map(|m| match m {
        ServerMsg::Queue { queue } => Some(queue.clone()),
        _ => None,
    })
}

/// Time for a queue held back (after another went out) to go out.
async fn queue_out(room: &mut Room) {
    super::advance(room, QUEUE_MIN_INTERVAL).await;
}

fn titles(q: &QueueState) -> Vec<String> {
    q.entries.iter().map(|e| e.item.title.clone()).collect()
}

fn two(room: &mut Room) -> (Member, Member) {
    let mut ana = join(room, "Ana", 1);
    let mut ben = join(room, "Ben", 2);
    let _ = (ana.drain(), ben.drain());
    (ana, ben)
}

#[tokio::test(start_paused = true)]
async fn controllers_build_the_queue_and_everyone_hears_it() {
    let mut room = room(RelayConfig::default());
    let (mut ana, mut ben) = two(&mut room);
    ana.send(
        &mut room,
        ClientMsg::QueueAdd {
            items: vec![episode(1), episode(2), episode(3)],
        },
    );
    let got = ben.drain();
    let q = heard_queue(&got).expect("Ben hears the queue");
    assert_eq!(titles(&q), ["Episode 1", "Episode 2", "Episode 3"]);
    assert!(q.entries.iter().all(|e| e.added_by == "Ana"));
    assert_eq!(notices(&got), ["Ana added 3 entries to the queue"]);
    let ids: Vec<u32> = q.entries.iter().map(|e| e.id).collect();

    // Move the third first, take the (now) second out.
    ana.send(&mut room, ClientMsg::QueueMove { id: ids[2], to: 0 });
    ana.send(&mut room, ClientMsg::QueueRemove { id: ids[0] });
    queue_out(&mut room).await;
    let got = ben.drain();
    assert_eq!(
        titles(&heard_queue(&got).unwrap()),
        ["Episode 3", "Episode 2"]
    );
    assert_eq!(
        notices(&got),
        [
            "Ana moved S01E03 · Episode 3 to place 1 in the queue",
            "Ana took S01E01 · Episode 1 out of the queue"
        ]
    );
    assert!(errors(&ana.drain()).is_empty());

    // Host only: Ben may not, and is told why; nothing changes.
    ben.send(
        &mut room,
        ClientMsg::QueueAdd {
            items: vec![episode(4)],
        },
    );
    ben.send(&mut room, ClientMsg::QueueRemove { id: ids[1] });
    let refused = errors(&ben.drain());
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(refused[0].contains("host"), "{refused:?}");
    assert!(heard_queue(&ana.drain()).is_none());
    assert_eq!(room.queue.entries.len(), 2);

    // In a shared room he may.
    ana.send(
        &mut room,
        ClientMsg::SetControlMode {
            mode: ControlMode::Shared,
        },
    );
    ben.send(
        &mut room,
        ClientMsg::QueueAdd {
            items: vec![episode(4)],
        },
    );
    queue_out(&mut room).await;
    let q = heard_queue(&ana.drain()).unwrap();
    assert_eq!(q.entries.last().unwrap().added_by, "Ben");
    // A new entry never takes a used number.
    assert!(q.entries.last().unwrap().id > ids[2]);

    // A newcomer finds it in what the room is.
    let mut cleo = join(&mut room, "Cleo", 3);
    let joined = cleo.drain();
    let snapshot = joined.iter().find_map(|m| match m {
        ServerMsg::Joined(j) => Some(j.room.queue.clone()),
        _ => None,
    });
    assert_eq!(
        snapshot.map(|q| titles(&q)).unwrap(),
        ["Episode 3", "Episode 2", "Episode 4"]
    );
}

#[tokio::test(start_paused = true)]
async fn a_full_queue_and_a_gone_entry_are_refused_with_the_reason() {
    let mut room = room(RelayConfig::default());
    let (mut ana, mut ben) = two(&mut room);
    let many: Vec<QueueItem> = (1..=MAX_QUEUE_ENTRIES as u32 - 1).map(episode).collect();
    ana.send(&mut room, ClientMsg::QueueAdd { items: many });
    ana.send(
        &mut room,
        ClientMsg::QueueAdd {
            items: vec![episode(998), episode(999)],
        },
    );
    let refused = errors(&ana.drain());
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].contains("at most 200"), "{refused:?}");
    assert_eq!(room.queue.entries.len(), MAX_QUEUE_ENTRIES - 1);
    // One more fits.
    ana.send(
        &mut room,
        ClientMsg::QueueAdd {
            items: vec![episode(999)],
        },
    );
    assert!(errors(&ana.drain()).is_empty());
    assert_eq!(room.queue.entries.len(), MAX_QUEUE_ENTRIES);
    // An entry that is not there.
    ana.send(&mut room, ClientMsg::QueuePlay { id: 100_000 });
    ana.send(&mut room, ClientMsg::QueueMove { id: 100_000, to: 0 });
    let refused = errors(&ana.drain());
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(refused[0].contains("no longer in the queue"));
    let _ = ben.drain();
}

#[tokio::test(start_paused = true)]
async fn going_to_an_entry_makes_it_the_room_s_film_from_its_start() {
    let mut room = room(RelayConfig::default());
    let (mut ana, mut ben) = two(&mut room);
    queue_two(&mut room, &ana);
    // The room was somewhere in its film, playing, everyone ready.
    room.playback.position = 600.0;
    room.playback.paused = false;
    for seat in &mut room.seats {
        seat.ready = true;
    }
    let epoch = room.playback.epoch;
    let second = room.queue.entries[1].id;
    let _ = (ana.drain(), ben.drain());
    ana.send(&mut room, ClientMsg::QueuePlay { id: second });
    queue_out(&mut room).await;
    let got = ben.drain();
    let state = got.iter().find_map(|m| match m {
        ServerMsg::State { playback, .. } => Some(*playback),
        _ => None,
    });
    let state = state.expect("the new playback goes out");
    assert!(state.paused);
    assert_eq!(state.position, 0.0);
    assert!(state.epoch > epoch);
    assert_eq!(heard_queue(&got).unwrap().current, Some(second));
    assert!(got.iter().any(|m| matches!(m,
        ServerMsg::Notice { event: NoticeEvent::QueueAdvanced, text, .. }
            if text == "Ana started S01E02 · Episode 2")));
    assert_eq!(room.media.as_ref().unwrap().name, "Show.S01E02.mkv");
    assert!(
        room.seats.iter().all(|s| !s.ready),
        "everyone says ready again"
    );
    // The entry on now cannot be taken out.
    ana.send(&mut room, ClientMsg::QueueRemove { id: second });
    assert!(errors(&ana.drain())[0].contains("playing now"));
}

#[tokio::test(start_paused = true)]
async fn the_queue_is_kept_in_what_is_stored_for_another_node() {
    let mut room = room(RelayConfig::default());
    let (ana, _ben) = two(&mut room);
    queue_two(&mut room, &ana);
    let first = room.queue.entries[0].id;
    ana.send(&mut room, ClientMsg::QueuePlay { id: first });
    assert!(room.take_stored_dirty());
    let stored = serde_json::to_string(&room.stored()).unwrap();
    let back: super::super::stored::StoredRoom = serde_json::from_str(&stored).unwrap();
    let restored = Room::restore(back, room.env.clone());
    assert_eq!(restored.queue, room.queue);
    assert_eq!(restored.queue.current, Some(first));
    assert_eq!(restored.next_queue_id, room.next_queue_id);
}

/// A relay that restarted rebuilds the room from the first member back:
/// the queue and the entry the room was on come back with them, and new
/// entries take numbers after the old ones.
#[tokio::test(start_paused = true)]
async fn a_rebuilt_room_takes_the_queue_from_the_first_member_back() {
    let mut old = room(RelayConfig::default());
    let (ana, _ben) = two(&mut old);
    ana.send(
        &mut old,
        ClientMsg::QueueAdd {
            items: vec![episode(1), episode(2), episode(3)],
        },
    );
    let second = old.queue.entries[1].id;
    ana.send(&mut old, ClientMsg::QueuePlay { id: second });
    let remembered = old.queue.clone();

    let mut room = room(RelayConfig::loopback());
    let (outbox, inbox) = crate::outbox::outbox(7, "192.0.2.7".parse().unwrap(), 1024);
    let (reply, answer) = tokio::sync::oneshot::channel();
    let now = room.env.clock.now_ms();
    room.handle(super::super::RoomCmd::Rebuild {
        pid: 1,
        token: "verified-by-the-caller".into(),
        rebuild: Box::new(matinee_protocol::RoomRebuild {
            nickname: "Ana".into(),
            host_proof: None,
            ready: false,
            control_mode: ControlMode::Shared,
            playback: matinee_protocol::PlaybackState::initial(now),
            media: None,
            queue: remembered.clone(),
        }),
        outbox,
        reply,
    });
    let pid = super::ReplyNow::blocking_recv_or_now(answer).unwrap();
    let mut ana = Member {
        pid,
        conn: 7,
        inbox,
    };
    let joined = ana.drain();
    let back = joined.iter().find_map(|m| match m {
        ServerMsg::Joined(j) => Some(j.room.queue.clone()),
        _ => None,
    });
    assert_eq!(back.as_ref(), Some(&remembered));
    assert_eq!(room.queue.current, Some(second));
    ana.send(
        &mut room,
        ClientMsg::QueueAdd {
            items: vec![episode(4)],
        },
    );
    let ids: Vec<u32> = room.queue.entries.iter().map(|e| e.id).collect();
    assert!(ids[3] > ids[2], "{ids:?}");
}

/// An entry ends: the room counts down 10 s and goes on to the next; a
/// member without a copy sits it out, and once everyone else says ready
/// the relay starts it for all.
#[tokio::test(start_paused = true)]
async fn the_room_goes_on_by_itself_and_starts_when_those_with_a_copy_are_ready() {
    let mut room = room(RelayConfig::default());
    let (mut ana, mut ben) = two(&mut room);
    let mut cleo = join(&mut room, "Cleo", 3);
    queue_two(&mut room, &ana);
    let ids: Vec<u32> = room.queue.entries.iter().map(|e| e.id).collect();
    // Cleo has only the first episode.
    cleo.send(&mut room, ClientMsg::QueueCopies { have: vec![ids[0]] });
    ben.send(&mut room, ClientMsg::QueueCopies { have: ids.clone() });
    queue_out(&mut room).await;
    let q = heard_queue(&ana.drain()).unwrap();
    assert_eq!(q.entries[1].without, vec![cleo.pid]);
    assert!(q.entries[0].without.is_empty());

    // The first episode starts once all three are ready.
    ana.send(&mut room, ClientMsg::QueuePlay { id: ids[0] });
    for m in [&ana, &ben, &cleo] {
        assert!(room.playback.paused, "not before everyone is ready");
        m.send(&mut room, ClientMsg::Ready { ready: true });
    }
    assert!(!room.playback.paused, "everyone ready: it starts");
    let _ = (ana.drain(), ben.drain(), cleo.drain());

    // It plays to its end (1301 s long): the room counts down.
    super::advance(&mut room, std::time::Duration::from_secs(1305)).await;
    assert!(room.playback.paused);
    let got = ben.drain();
    let q = heard_queue(&got).unwrap();
    let at = q.next_at_ms.expect("a countdown");
    assert!((at - room.env.clock.now_ms() - 10_000.0).abs() < 1500.0);
    assert!(notices(&got).contains(&"Next: S01E02 · Episode 2 in 10 s".to_string()));
    super::advance(&mut room, std::time::Duration::from_secs(11)).await;
    assert_eq!(room.queue.current, Some(ids[1]));
    assert!(notices(&ben.drain()).contains(&"On to S01E02 · Episode 2".to_string()));
    // Cleo sits it out: Ana and Ben ready is enough.
    ana.send(&mut room, ClientMsg::Ready { ready: true });
    assert!(room.playback.paused);
    ben.send(&mut room, ClientMsg::Ready { ready: true });
    assert!(
        !room.playback.paused,
        "started without the member without a copy"
    );
}

#[tokio::test(start_paused = true)]
async fn wait_stops_the_countdown_and_a_play_takes_the_controls() {
    let mut room = room(RelayConfig::default());
    let (mut ana, mut ben) = two(&mut room);
    queue_two(&mut room, &ana);
    let ids: Vec<u32> = room.queue.entries.iter().map(|e| e.id).collect();
    ana.send(&mut room, ClientMsg::QueuePlay { id: ids[0] });
    ana.send(&mut room, ClientMsg::Start { force: true });
    super::advance(&mut room, std::time::Duration::from_secs(1310)).await;
    assert!(room.queue.next_at_ms.is_some());
    // Host only: Ben may not stop it.
    ben.send(&mut room, ClientMsg::QueueWait);
    assert!(!errors(&ben.drain()).is_empty());
    assert!(room.queue.next_at_ms.is_some());
    ana.send(&mut room, ClientMsg::QueueWait);
    queue_out(&mut room).await;
    let got = ana.drain();
    assert_eq!(heard_queue(&got).unwrap().next_at_ms, None);
    assert!(notices(&got)
        .iter()
        .any(|n| n.starts_with("Ana asked to wait")));
    super::advance(&mut room, std::time::Duration::from_secs(30)).await;
    assert_eq!(room.queue.current, Some(ids[0]), "the room stayed");

    // Going on by hand, then playing by hand: no start by itself after.
    ana.send(&mut room, ClientMsg::QueuePlay { id: ids[1] });
    ana.send(
        &mut room,
        ClientMsg::Control {
            seq: 1,
            action: matinee_protocol::ControlAction::Seek { position: 60.0 },
            server_ms: None,
        },
    );
    for m in [&ana, &ben] {
        m.send(&mut room, ClientMsg::Ready { ready: true });
    }
    assert!(room.playback.paused, "a person took the controls");
}

/// A storm of changes (an entry dragged about 20 times a second by a
/// controller, a guest's copies flickering as often) reaches each member
/// as at most one queue per interval, not one whole queue per change; the
/// last queue they hear is the queue as it stands.
#[tokio::test(start_paused = true)]
async fn a_storm_of_queue_changes_goes_out_as_one_queue_per_interval() {
    let mut room = room(RelayConfig::default());
    let (mut ana, mut ben) = two(&mut room);
    let mut cleo = join(&mut room, "Cleo", 3);
    let items: Vec<QueueItem> = (1..=100).map(episode).collect();
    ana.send(&mut room, ClientMsg::QueueAdd { items });
    let ids: Vec<u32> = room.queue.entries.iter().map(|e| e.id).collect();
    queue_out(&mut room).await;
    let _ = (ana.drain(), ben.drain(), cleo.drain());

    let step = std::time::Duration::from_millis(50);
    let rounds = 100u32;
    for i in 0..rounds {
        let id = ids[(i as usize * 7) % ids.len()];
        ana.send(
            &mut room,
            ClientMsg::QueueMove {
                id,
                to: (i * 13) % 100,
            },
        );
        let have = if i % 2 == 0 {
            ids.clone()
        } else {
            vec![ids[0]]
        };
        cleo.send(&mut room, ClientMsg::QueueCopies { have });
        super::advance(&mut room, step).await;
    }
    queue_out(&mut room).await;

    let got = ben.drain();
    let heard = got
        .iter()
        .filter(|m| matches!(m, ServerMsg::Queue { .. }))
        .count();
    let storm = step * rounds;
    let most = (storm.as_millis() / QUEUE_MIN_INTERVAL.as_millis()) as usize + 2;
    assert!(
        (2..=most).contains(&heard),
        "{heard} queues for {} changes in {storm:?}",
        2 * rounds
    );
    assert_eq!(heard_queue(&got).as_ref(), Some(&room.queue));
    // Every move was made (and told, as a line each), none lost.
    assert_eq!(
        notices(&got)
            .iter()
            .filter(|n| n.starts_with("Ana moved"))
            .count(),
        rounds as usize
    );
    // Cleo's last word: she has only the first.
    assert!(room.queue.entries[1..]
        .iter()
        .filter(|e| e.id != ids[0])
        .all(|e| e.without == vec![cleo.pid]));
}

/// The queue's titles and names have a byte budget (so that the queue a
/// member's rebuild carries fits one frame): an add beyond it is refused
/// with the reason and the queue keeps what it had.
#[tokio::test(start_paused = true)]
async fn a_queue_beyond_its_byte_budget_is_refused_with_the_reason() {
    let mut room = room(RelayConfig::default());
    let (mut ana, _ben) = two(&mut room);
    let long = |n: u32| QueueItem {
        title: format!("{n:03} {}", "a long title ".repeat(15)),
        media: MediaInfo {
            name: format!("{n:03} {}.mkv", "a long file name ".repeat(25)),
            ..MediaInfo::default()
        },
        series: None,
        episode: None,
    };
    let mut refused = Vec::new();
    let mut added = 0;
    for n in 0..MAX_QUEUE_ENTRIES as u32 {
        ana.send(
            &mut room,
            ClientMsg::QueueAdd {
                items: vec![long(n)],
            },
        );
        refused = errors(&ana.drain());
        if !refused.is_empty() {
            break;
        }
        added += 1;
    }
    assert_eq!(refused.len(), 1, "never refused after {added} entries");
    assert!(refused[0].contains("48 KiB"), "{refused:?}");
    assert!(added > 50 && added < MAX_QUEUE_ENTRIES, "{added}");
    assert_eq!(room.queue.entries.len(), added);
    assert!(QueueState::entry_bytes(&room.queue.entries) <= MAX_QUEUE_BYTES);
    // A short one still fits.
    ana.send(
        &mut room,
        ClientMsg::QueueAdd {
            items: vec![episode(1)],
        },
    );
    assert!(errors(&ana.drain()).is_empty());
}
