//! The real room, driven directly, for simulations outside this crate (the
//! sync engine's simulated world in `crates/sync/tests/sim`): no sockets,
//! time from tokio's clock (pause it and advance it by hand). Built only
//! with the `testing` feature.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use matinee_protocol::{ClientMsg, ControlMode, ParticipantId, PlaybackState, RoomCode, ServerMsg};
use tokio::sync::oneshot;

use crate::clock::ServerClock;
use crate::config::RelayConfig;
use crate::metrics::Metrics;
use crate::outbox::{outbox, Inbox, Outgoing};
use crate::room::{Room, RoomCmd, RoomEnv};
use crate::tokens::TokenSigner;

/// One room and its members' queues. Create and use it inside a tokio
/// runtime (its clock is the room's).
pub struct SimRoom {
    room: Room,
    members: Vec<(ParticipantId, u64, Inbox)>,
}

impl SimRoom {
    pub fn new(mode: ControlMode, config: RelayConfig) -> Self {
        let env = RoomEnv {
            config: Arc::new(config),
            tokens: Arc::new(TokenSigner::load(None).expect("a fresh key")),
            metrics: Arc::new(Metrics::new()),
            clock: ServerClock::new(),
            allowance: Default::default(),
        };
        let code = RoomCode::parse("SYNCSM").expect("a valid code");
        Self {
            room: Room::new(code, mode, env),
            members: Vec::new(),
        }
    }

    /// Seats a member (the first is the host); its `joined` is in its queue.
    pub fn join(&mut self, nickname: &str) -> ParticipantId {
        let conn = self.members.len() as u64 + 1;
        let addr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, conn as u8));
        let (out, inbox) = outbox(conn, addr, 4096);
        let (reply, mut answer) = oneshot::channel();
        self.room.handle(RoomCmd::Join {
            nickname: nickname.into(),
            media: None,
            via: None,
            outbox: out,
            reply,
        });
        let pid = answer
            .try_recv()
            .expect("the room answers at once")
            .expect("seated");
        self.members.push((pid, conn, inbox));
        pid
    }

    /// A message from member `pid`, as its connection would pass it on.
    pub fn receive(&mut self, pid: ParticipantId, msg: ClientMsg) {
        let Some(&(_, conn, _)) = self.members.iter().find(|m| m.0 == pid) else {
            return;
        };
        self.room.handle(RoomCmd::Client {
            pid,
            conn_id: conn,
            msg,
        });
    }

    /// Member `pid` starts playback for everyone (forced), `lead_ms` from
    /// now.
    pub fn start(&mut self, pid: ParticipantId, lead_ms: f64) {
        self.room.config_mut().start_lead_ms = lead_ms;
        self.receive(pid, ClientMsg::Start { force: true });
    }

    /// The room's periodic work (state refresh, expiries).
    pub fn tick(&mut self) {
        self.room.tick();
        self.room.send_held_back();
    }

    /// What the room queued for member `pid` since last asked.
    pub fn take(&mut self, pid: ParticipantId) -> Vec<ServerMsg> {
        let Some((_, _, inbox)) = self.members.iter_mut().find(|m| m.0 == pid) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        while let Ok(item) = inbox.rx.try_recv() {
            let frames = match item {
                Outgoing::Frame(text) => vec![text],
                Outgoing::Frames(frames) => frames.to_vec(),
                Outgoing::Evicted => Vec::new(),
            };
            for text in frames {
                out.push(ServerMsg::decode(&text).expect("the room sends valid messages"));
            }
        }
        out
    }

    pub fn playback(&self) -> PlaybackState {
        self.room.playback()
    }

    /// The room's clock (server time, ms).
    pub fn now_ms(&self) -> f64 {
        self.room.now_ms()
    }
}
