//! A room is an actor: one task owns its state, connections talk to it
//! through a channel, and it fans messages out to their outboxes.

mod control;
mod host;
mod queue;
mod registry;
mod seat;
mod shares;
mod sharing;
mod state;
mod stored;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use matinee_protocol::{
    ClientMsg, ControlMode, LinkKind, MediaInfo, ParticipantId, RoomCode, RoomRebuild,
};
use tokio::sync::{mpsc, oneshot};

use crate::config::RelayConfig;
use crate::limits::Held;
use crate::outbox::Outbox;
pub(crate) use host::RoomHost;
pub(crate) use registry::{random_code, Registry};
use state::Lifecycle;
pub(crate) use state::{Room, RoomEnv};
pub(crate) use stored::StoredRoom;

pub(crate) use crate::refusal::Refusal;

pub(crate) enum RoomCmd {
    Join {
        nickname: String,
        media: Option<MediaInfo>,
        /// The program the member joins with when it is not Matinee.
        via: Option<String>,
        outbox: Outbox,
        reply: oneshot::Sender<Result<ParticipantId, Refusal>>,
    },
    Resume {
        token: String,
        outbox: Outbox,
        reply: oneshot::Sender<Result<ParticipantId, Refusal>>,
    },
    Rebuild {
        pid: ParticipantId,
        token: String,
        rebuild: Box<RoomRebuild>,
        outbox: Outbox,
        reply: oneshot::Sender<Result<ParticipantId, Refusal>>,
    },
    Client {
        pid: ParticipantId,
        conn_id: u64,
        msg: ClientMsg,
    },
    Rtt {
        pid: ParticipantId,
        conn_id: u64,
        rtt_ms: f64,
        /// Which way the connection reaches the relay now, when known.
        link: Option<LinkKind>,
    },
    Disconnected {
        pid: ParticipantId,
        conn_id: u64,
    },
}

#[derive(Clone)]
pub(crate) struct RoomHandle {
    pub id: u64,
    pub code: RoomCode,
    link: Link,
    /// The room's place in its creator's quota of open rooms, given back
    /// when the last handle (the registry's, dropped when the room ends)
    /// goes.
    _place: Option<Arc<Held>>,
}

/// Where the room runs.
#[derive(Clone)]
enum Link {
    Here(mpsc::Sender<RoomCmd>),
    /// On another node (with Redis).
    Elsewhere(Arc<dyn RemoteRoomLink>),
}

/// A room another node runs (with Redis), as this node reaches it; the
/// cluster implements it, so rooms know nothing of Redis.
pub(crate) trait RemoteRoomLink: Send + Sync {
    /// Passes a command on to the node running the room.
    fn forward(&self, cmd: RoomCmd) -> bool;
    /// How long to wait for that node's answer to a join or resume.
    fn answer_within(&self) -> std::time::Duration;
}

/// Where a room's state is kept for other nodes (the cluster implements
/// it): the persistence hook of the room's actor.
pub(crate) trait RoomStore: Send + Sync {
    /// The room's state changed: keep this.
    fn save(&self, code: &RoomCode, state: String);
    /// The room stops here: keep its last state (or drop it when it ended)
    /// and let another node take it.
    fn release<'a>(
        &'a self,
        code: &'a RoomCode,
        ended: bool,
        config: &'a RelayConfig,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>;
}

const ROOM_QUEUE: usize = 1024;
static NEXT_ROOM_ID: AtomicU64 = AtomicU64::new(1);

impl RoomHandle {
    /// Starts a room actor for `code`.
    pub fn spawn(code: RoomCode, control_mode: ControlMode, host: &Arc<RoomHost>) -> Self {
        let room = Room::new(code, control_mode, host.env.clone());
        Self::run_here(room, host.clone())
    }

    /// Runs a room another node stored (its members away until they resume).
    pub fn restore(stored: StoredRoom, host: &Arc<RoomHost>) -> Self {
        let room = Room::restore(stored, host.env.clone());
        Self::run_here(room, host.clone())
    }

    fn run_here(room: Room, host: Arc<RoomHost>) -> Self {
        let (tx, rx) = mpsc::channel(ROOM_QUEUE);
        let id = NEXT_ROOM_ID.fetch_add(1, Ordering::Relaxed);
        let handle = RoomHandle {
            id,
            code: room.code().clone(),
            link: Link::Here(tx),
            _place: None,
        };
        tokio::spawn(run(id, room, rx, host));
        handle
    }

    /// A room another node runs.
    pub fn remote(code: RoomCode, room: Arc<dyn RemoteRoomLink>) -> Self {
        RoomHandle {
            id: 0,
            code,
            link: Link::Elsewhere(room),
            _place: None,
        }
    }

    /// Counts the room against its creator's quota while it lives.
    pub fn counted_in(mut self, place: Option<Arc<Held>>) -> Self {
        self._place = place;
        self
    }

    /// Sends a command; false when the room has ended.
    pub async fn send(&self, cmd: RoomCmd) -> bool {
        match &self.link {
            Link::Here(tx) => tx.send(cmd).await.is_ok(),
            Link::Elsewhere(room) => room.forward(cmd),
        }
    }

    async fn ask(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<ParticipantId, Refusal>>) -> RoomCmd,
    ) -> Result<ParticipantId, Refusal> {
        let (reply, answer) = oneshot::channel();
        let gone = crate::refusal::room_ended;
        if !self.send(make(reply)).await {
            return Err(gone());
        }
        match &self.link {
            Link::Here(_) => answer.await.unwrap_or_else(|_| Err(gone())),
            // The owner may die before it answers.
            Link::Elsewhere(room) => {
                match tokio::time::timeout(room.answer_within(), answer).await {
                    Ok(answer) => answer.unwrap_or_else(|_| Err(gone())),
                    Err(_) => Err(crate::refusal::unavailable()),
                }
            }
        }
    }

    pub async fn join(
        &self,
        nickname: String,
        media: Option<MediaInfo>,
        via: Option<String>,
        outbox: Outbox,
    ) -> Result<ParticipantId, Refusal> {
        self.ask(|reply| RoomCmd::Join {
            nickname,
            media,
            via,
            outbox,
            reply,
        })
        .await
    }

    /// Seats a verified member of the room a restarted relay lost.
    pub async fn rebuild(
        &self,
        pid: ParticipantId,
        token: String,
        rebuild: Box<RoomRebuild>,
        outbox: Outbox,
    ) -> Result<ParticipantId, Refusal> {
        self.ask(|reply| RoomCmd::Rebuild {
            pid,
            token,
            rebuild,
            outbox,
            reply,
        })
        .await
    }

    pub async fn resume(&self, token: String, outbox: Outbox) -> Result<ParticipantId, Refusal> {
        self.ask(|reply| RoomCmd::Resume {
            token,
            outbox,
            reply,
        })
        .await
    }
}

/// Hands the room's state to the store (Redis, with a cluster).
fn save(room: &Room, store: &dyn RoomStore) {
    let state = serde_json::to_string(&room.stored()).expect("serialisable");
    store.save(room.code(), state);
}

async fn run(id: u64, mut room: Room, mut rx: mpsc::Receiver<RoomCmd>, host: Arc<RoomHost>) {
    let env = &host.env;
    let mut tick = tokio::time::interval(env.config.tick());
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    env.metrics.rooms.inc();
    env.metrics.rooms_total.inc();
    tracing::info!(room = %room.code(), "room opened");
    let mut expired = false;
    loop {
        let held_back_due = room.held_back_due();
        tokio::select! {
            cmd = rx.recv() => match cmd {
                Some(cmd) => room.handle(cmd),
                None => break,
            },
            _ = tokio::time::sleep_until(held_back_due.unwrap_or_else(tokio::time::Instant::now)), if held_back_due.is_some() => {
                room.send_held_back();
            }
            _ = tick.tick() => {
                if room.tick() == Lifecycle::Expired {
                    expired = true;
                    break;
                }
            }
            _ = host.shutdown.cancelled() => break,
        }
        if let Some(store) = &host.store {
            if room.take_stored_dirty() {
                save(&room, store.as_ref());
            }
        }
    }
    host.registry.remove(room.code(), id);
    if let Some(store) = &host.store {
        if !expired {
            save(&room, store.as_ref());
        }
        store.release(room.code(), expired, &env.config).await;
    }
    env.metrics.rooms.dec();
    tracing::info!(room = %room.code(), "room closed");
}
