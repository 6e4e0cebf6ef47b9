//! A room is an actor: one task owns its state, connections talk to it
//! through a channel, and it fans messages out to their outboxes.

mod control;
mod seat;
mod state;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use matinee_protocol::{
    ClientMsg, ControlMode, ErrorCode, MediaInfo, ParticipantId, RoomCode, RoomRebuild,
};
use tokio::sync::{mpsc, oneshot};

use crate::outbox::Outbox;
use crate::Shared;
use state::{Lifecycle, Room};

/// A refusal: the code and a sentence for people.
pub(crate) type Refusal = (ErrorCode, String);

pub(crate) enum RoomCmd {
    Join {
        nickname: String,
        media: Option<MediaInfo>,
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
    tx: mpsc::Sender<RoomCmd>,
}

const ROOM_QUEUE: usize = 1024;
static NEXT_ROOM_ID: AtomicU64 = AtomicU64::new(1);

impl RoomHandle {
    /// Starts a room actor for `code`.
    pub fn spawn(code: RoomCode, control_mode: ControlMode, shared: Arc<Shared>) -> Self {
        let (tx, rx) = mpsc::channel(ROOM_QUEUE);
        let id = NEXT_ROOM_ID.fetch_add(1, Ordering::Relaxed);
        let handle = RoomHandle {
            id,
            code: code.clone(),
            tx,
        };
        let room = Room::new(code, control_mode, shared.clone());
        tokio::spawn(run(id, room, rx, shared));
        handle
    }

    /// Sends a command; false when the room has ended.
    pub async fn send(&self, cmd: RoomCmd) -> bool {
        self.tx.send(cmd).await.is_ok()
    }

    async fn ask(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<ParticipantId, Refusal>>) -> RoomCmd,
    ) -> Result<ParticipantId, Refusal> {
        let (reply, answer) = oneshot::channel();
        let gone = || {
            (
                ErrorCode::RoomNotFound,
                "That room has just ended.".to_string(),
            )
        };
        if !self.send(make(reply)).await {
            return Err(gone());
        }
        answer.await.unwrap_or_else(|_| Err(gone()))
    }

    pub async fn join(
        &self,
        nickname: String,
        media: Option<MediaInfo>,
        outbox: Outbox,
    ) -> Result<ParticipantId, Refusal> {
        self.ask(|reply| RoomCmd::Join {
            nickname,
            media,
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

async fn run(id: u64, mut room: Room, mut rx: mpsc::Receiver<RoomCmd>, shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(shared.config.tick());
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    shared.metrics.rooms.inc();
    shared.metrics.rooms_total.inc();
    tracing::info!(room = %room.code(), "room opened");
    loop {
        tokio::select! {
            cmd = rx.recv() => match cmd {
                Some(cmd) => room.handle(cmd),
                None => break,
            },
            _ = tick.tick() => {
                if room.tick() == Lifecycle::Expired {
                    break;
                }
            }
            _ = shared.shutdown.cancelled() => break,
        }
    }
    shared.registry.remove(room.code(), id);
    shared.metrics.rooms.dec();
    tracing::info!(room = %room.code(), "room closed");
}
