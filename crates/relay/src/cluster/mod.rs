//! Scale-out: several relay nodes sharing rooms through Redis.
//!
//! Every room runs on one node, its owner, exactly as on a single relay
//! (one task owns the room's state, so everyone sees events in the same
//! order). The owner holds a lease on the room in Redis, renewed while it
//! runs, and keeps the room's state there. A member connected to another
//! node reaches the room through Redis pub/sub: its node forwards what it
//! sends on the room's `in` channel, and the owner publishes what members
//! on other nodes must receive on the room's `out` channel, once per
//! message whatever the number of members.
//!
//! When the owner dies, its lease runs out; the first node a member comes
//! back through takes the room over from its stored state. When Redis is
//! unreachable, the node says so on `/healthz` and refuses new rooms;
//! rooms it runs go on for the members connected to it.

mod dispatch;
mod keeper;
mod locate;
mod publisher;
pub(crate) mod wire;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use matinee_protocol::{ErrorCode, ParticipantId, RoomCode};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{IntoConnectionInfo, ProtocolVersion, PushInfo};
use tokio::sync::{mpsc, oneshot};

use crate::config::RelayConfig;
use crate::error::RelayError;
use crate::outbox::{Outbox, Outgoing};
use crate::refusal::Refusal;
use crate::room::RoomCmd;
use crate::room::RoomHost;
use crate::tokens::{hex, unhex};
use wire::{MemberBody, OwnerCmd, ToOwner, WireResult};

pub(crate) use locate::Located;

/// How long a room's owner lease lasts without renewal. A dead node's rooms
/// can be taken over this long after it died.
const LEASE: Duration = Duration::from_millis(3000);
/// How often leases, heartbeats and stored states are written.
const KEEP_EVERY: Duration = Duration::from_millis(500);
/// Longest wait for the owner to answer a join or resume.
const ASK_TIMEOUT: Duration = Duration::from_secs(5);
/// Publishes queued on this node before new ones are dropped.
const QUEUE: usize = 65_536;

/// Something to publish, in order.
pub(crate) enum Publish {
    ToMembers {
        code: RoomCode,
        node: u64,
        conn: u64,
        body: Body,
    },
    ToOwner {
        code: RoomCode,
        msg: ToOwner,
    },
}

/// What the owner sends a member on another node (frames shared, not
/// copied, between the targets of a broadcast).
pub(crate) enum Body {
    Frame(Utf8Bytes),
    Evict,
    Close(ErrorCode),
    Reply { req: u64, result: WireResult },
}

impl Body {
    /// The message for `to`; a frame is copied once, straight into it.
    fn encode(&self, to: &[(u64, u64)]) -> String {
        let body = match self {
            Body::Frame(f) => return wire::encode_frame(to, f.as_str()),
            Body::Evict => MemberBody::Evict,
            Body::Close(code) => MemberBody::Close { code: *code },
            Body::Reply { req, result } => MemberBody::Reply {
                req: *req,
                result: result.clone(),
            },
        };
        wire::encode_to_members(to, &body)
    }

    /// The same broadcast frame (one allocation shared by its targets).
    fn same_frame(&self, other: &Body) -> bool {
        match (self, other) {
            (Body::Frame(a), Body::Frame(b)) => {
                a.as_str().as_ptr() == b.as_str().as_ptr() && a.len() == b.len()
            }
            _ => false,
        }
    }
}

/// Queues a publish. A full queue (Redis slower than the rooms) drops it
/// and says so; false only once the publisher has stopped.
fn enqueue(queue: &mpsc::Sender<Publish>, item: Publish) -> bool {
    match queue.try_send(item) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(_)) => {
            tracing::warn!("cluster publish queue full; a message was dropped");
            true
        }
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    }
}

/// A connection on another node, as a room's seat holds it.
#[derive(Clone)]
pub(crate) struct RemoteConn {
    pub node: u64,
    code: RoomCode,
    queue: mpsc::Sender<Publish>,
}

impl crate::outbox::RemoteConnection for RemoteConn {
    fn push(&self, conn: u64, item: Outgoing) -> bool {
        let body = match item {
            Outgoing::Frame(f) => Body::Frame(f),
            // The member's node queues them one by one (a room's files fit
            // its queue: they are counted as stored, within the room's
            // budget).
            Outgoing::Frames(frames) => {
                return frames
                    .iter()
                    .all(|f| self.publish(conn, Body::Frame(f.clone())))
            }
            Outgoing::Evicted => Body::Evict,
        };
        self.publish(conn, body)
    }

    fn close(&self, conn: u64, code: ErrorCode) {
        self.publish(conn, Body::Close(code));
    }
}

impl RemoteConn {
    fn publish(&self, conn: u64, body: Body) -> bool {
        let item = Publish::ToMembers {
            code: self.code.clone(),
            node: self.node,
            conn,
            body,
        };
        enqueue(&self.queue, item)
    }
}

/// Channel subscriptions, counted so a room's channel is left only when
/// its last user goes. Changed under one lock, in order.
struct Subscriptions {
    conn: ConnectionManager,
    counts: HashMap<String, usize>,
}

/// A seat of a room run here whose connection is on another node.
type RemoteSeat = (RoomCode, ParticipantId, u64);

/// A room this node runs, as stored in Redis.
#[derive(Default)]
struct OwnedRoom {
    state: Option<String>,
    /// Changed since last stored (or Redis lost it).
    unsaved: bool,
}

/// This node's link to the others.
pub(crate) struct Cluster {
    /// This node's random id.
    pub node: u64,
    cmds: ConnectionManager,
    subs: tokio::sync::Mutex<Subscriptions>,
    healthy: AtomicBool,
    queue: mpsc::Sender<Publish>,
    /// Joins and resumes forwarded to owners, waiting for the answer.
    pending: Mutex<HashMap<u64, oneshot::Sender<WireResult>>>,
    next_req: AtomicU64,
    /// This node's connections in rooms other nodes run.
    members: Mutex<HashMap<u64, (RoomCode, Outbox)>>,
    /// Rooms this node runs, with their latest state.
    owned: Mutex<HashMap<RoomCode, OwnedRoom>>,
    /// Seats of rooms this node runs whose connection is on another node,
    /// by node: if that node dies, the seats are marked disconnected.
    remote_seats: Mutex<HashMap<u64, Vec<RemoteSeat>>>,
}

/// What [`connect`] hands over to be started once the relay is built.
pub(crate) struct Started {
    pub cluster: Arc<Cluster>,
    pushes: mpsc::UnboundedReceiver<PushInfo>,
    queue: mpsc::Receiver<Publish>,
}

fn redis_error(url: &str, e: redis::RedisError) -> RelayError {
    // The URL may hold a password: name only the host.
    let host = url
        .rsplit('@')
        .next()
        .unwrap_or(url)
        .trim_start_matches("redis://")
        .trim_start_matches("rediss://");
    RelayError::Redis(format!("{host}: {e}"))
}

/// Connects to Redis (RESP3, for pub/sub on a managed connection that
/// reconnects and resubscribes by itself).
pub(crate) async fn connect(url: &str) -> Result<Started, RelayError> {
    let info = url
        .into_connection_info()
        .map_err(|e| redis_error(url, e))?;
    let settings = info
        .redis_settings()
        .clone()
        .set_protocol(ProtocolVersion::RESP3);
    let client =
        redis::Client::open(info.set_redis_settings(settings)).map_err(|e| redis_error(url, e))?;
    let base = || {
        ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500))
    };
    let cmds = client
        .get_connection_manager_with_config(base())
        .await
        .map_err(|e| redis_error(url, e))?;
    let (push_tx, pushes) = mpsc::unbounded_channel();
    let subs = client
        .get_connection_manager_with_config(
            base()
                .set_push_sender(push_tx)
                .set_automatic_resubscription(),
        )
        .await
        .map_err(|e| redis_error(url, e))?;
    let (queue_tx, queue) = mpsc::channel(QUEUE);
    let node = rand::random::<u64>();
    tracing::info!(
        node = format!("{node:016x}"),
        "joined the cluster through Redis"
    );
    Ok(Started {
        cluster: Arc::new(Cluster {
            node,
            cmds,
            subs: tokio::sync::Mutex::new(Subscriptions {
                conn: subs,
                counts: HashMap::new(),
            }),
            healthy: AtomicBool::new(true),
            queue: queue_tx,
            pending: Mutex::new(HashMap::new()),
            next_req: AtomicU64::new(1),
            members: Mutex::new(HashMap::new()),
            owned: Mutex::new(HashMap::new()),
            remote_seats: Mutex::new(HashMap::new()),
        }),
        pushes,
        queue,
    })
}

impl Started {
    /// Starts the tasks that publish, receive and keep leases.
    pub fn run(self, host: Arc<RoomHost>) {
        let Started {
            cluster,
            pushes,
            queue,
        } = self;
        tokio::spawn(publisher::run(cluster.clone(), queue, host.clone()));
        tokio::spawn(dispatch::run(cluster.clone(), pushes, host.clone()));
        tokio::spawn(keeper::run(cluster, host));
    }
}

impl Cluster {
    /// Whether Redis answered lately.
    pub fn healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    fn set_healthy(&self, ok: bool) {
        if self.healthy.swap(ok, Ordering::Relaxed) != ok {
            if ok {
                // Redis may have lost everything (a restart without
                // persistence): store every room again.
                for room in self.owned.lock().expect("owned lock").values_mut() {
                    room.unsaved = true;
                }
                tracing::info!("Redis is reachable again");
            } else {
                tracing::warn!("Redis is unreachable: new rooms are refused until it returns");
            }
        }
    }

    fn conn(&self) -> ConnectionManager {
        self.cmds.clone()
    }

    /// Checks the subscribing connection, which reconnects (and
    /// resubscribes) when Redis dropped it.
    async fn ping_subscriptions(&self) -> bool {
        let mut conn = self.subs.lock().await.conn.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .is_ok()
    }

    /// The resume-token key every node shares (made by the first node).
    pub async fn shared_secret(&self, fresh: [u8; 32]) -> Result<[u8; 32], RelayError> {
        let mut conn = self.conn();
        let stored: String = redis::cmd("SET")
            .arg(wire::SECRET_KEY)
            .arg(hex(&fresh))
            .arg("NX")
            .arg("GET")
            .query_async::<Option<String>>(&mut conn)
            .await
            .map_err(|e| RelayError::Redis(e.to_string()))?
            .unwrap_or_else(|| hex(&fresh));
        unhex(&stored)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| RelayError::Redis("the shared resume secret is malformed".into()))
    }

    async fn subscribe(&self, channel: String) -> Result<(), Refusal> {
        let mut subs = self.subs.lock().await;
        let count = subs.counts.entry(channel.clone()).or_insert(0);
        *count += 1;
        if *count == 1 {
            // A first failure may be a connection Redis dropped while away;
            // the retry runs on a fresh one.
            let mut result = subs.conn.subscribe(&channel).await;
            if result.is_err() {
                result = subs.conn.subscribe(&channel).await;
            }
            if let Err(e) = result {
                tracing::warn!(%channel, error = %e, "could not subscribe");
                subs.counts.remove(&channel);
                return Err(crate::refusal::unavailable());
            }
        }
        Ok(())
    }

    async fn unsubscribe(&self, channel: String) {
        let mut subs = self.subs.lock().await;
        let Some(count) = subs.counts.get_mut(&channel) else {
            return;
        };
        *count -= 1;
        if *count == 0 {
            subs.counts.remove(&channel);
            if let Err(e) = subs.conn.unsubscribe(&channel).await {
                tracing::debug!(%channel, error = %e, "could not unsubscribe");
            }
        }
    }

    /// The room `code` now runs here: listen for its members elsewhere.
    async fn own(&self, code: &RoomCode) -> Result<(), Refusal> {
        self.subscribe(wire::in_channel(code)).await?;
        self.owned
            .lock()
            .expect("owned lock")
            .insert(code.clone(), OwnedRoom::default());
        Ok(())
    }

    /// The room stopped running here. `ended`: it expired, so its lease
    /// and state go; otherwise (this node is stopping) the state stays for
    /// another node to take over, and the lease is let go at once.
    pub async fn disown(&self, code: &RoomCode, ended: bool, config: &RelayConfig) {
        let state = self
            .owned
            .lock()
            .expect("owned lock")
            .remove(code)
            .and_then(|r| r.state);
        let mut conn = self.conn();
        let mut pipe = redis::pipe();
        if let (false, Some(state)) = (ended, state) {
            pipe.cmd("SET")
                .arg(wire::state_key(code))
                .arg(state)
                .arg("PX")
                .arg(keeper::state_ttl_ms(config))
                .ignore();
        }
        if ended {
            pipe.cmd("DEL").arg(wire::state_key(code)).ignore();
        }
        pipe.cmd("EVAL")
            .arg(keeper::RELEASE_LEASE)
            .arg(1)
            .arg(wire::owner_key(code))
            .arg(self.node)
            .ignore();
        if let Err(e) = pipe.query_async::<()>(&mut conn).await {
            tracing::debug!(room = %code, error = %e, "could not release the room in Redis");
        }
        self.unsubscribe(wire::in_channel(code)).await;
    }

    /// The room's state changed: store it with the next keep.
    pub fn save_state(&self, code: &RoomCode, state: String) {
        if let Some(room) = self.owned.lock().expect("owned lock").get_mut(code) {
            room.state = Some(state);
            room.unsaved = true;
        }
    }

    /// A member on another node took a seat here.
    fn remember_remote_seat(&self, node: u64, code: RoomCode, pid: ParticipantId, conn: u64) {
        self.remote_seats
            .lock()
            .expect("remote seats lock")
            .entry(node)
            .or_default()
            .push((code, pid, conn));
    }

    fn queue(&self, item: Publish) -> bool {
        enqueue(&self.queue, item)
    }

    /// Forwards a command of this node's connection to the room's owner.
    fn forward(&self, code: &RoomCode, cmd: RoomCmd) -> bool {
        let addr = match &cmd {
            RoomCmd::Join { outbox, .. }
            | RoomCmd::Resume { outbox, .. }
            | RoomCmd::Rebuild { outbox, .. } => Some(outbox.addr),
            _ => None,
        };
        let (conn, cmd) = match cmd {
            RoomCmd::Client { pid, conn_id, msg } => (conn_id, OwnerCmd::Client { pid, msg }),
            RoomCmd::Rtt {
                pid,
                conn_id,
                rtt_ms,
                link,
            } => (conn_id, OwnerCmd::Rtt { pid, rtt_ms, link }),
            RoomCmd::Disconnected { pid, conn_id } => {
                self.members.lock().expect("members lock").remove(&conn_id);
                (conn_id, OwnerCmd::Disconnected { pid })
            }
            RoomCmd::Join {
                nickname,
                media,
                via,
                outbox,
                reply,
            } => {
                let req = self.await_reply(code, outbox.clone(), reply);
                (
                    outbox.conn_id,
                    OwnerCmd::Join {
                        req,
                        nickname,
                        media,
                        via,
                    },
                )
            }
            RoomCmd::Resume {
                token,
                outbox,
                reply,
            } => {
                let req = self.await_reply(code, outbox.clone(), reply);
                (outbox.conn_id, OwnerCmd::Resume { req, token })
            }
            RoomCmd::Rebuild {
                pid,
                token,
                rebuild,
                outbox,
                reply,
            } => {
                let req = self.await_reply(code, outbox.clone(), reply);
                (
                    outbox.conn_id,
                    OwnerCmd::Rebuild {
                        req,
                        pid,
                        token,
                        rebuild,
                    },
                )
            }
        };
        self.queue(Publish::ToOwner {
            code: code.clone(),
            msg: ToOwner {
                node: self.node,
                conn,
                addr,
                cmd,
            },
        })
    }

    /// Registers a connection about to take a seat in a room run elsewhere,
    /// and where its answer goes.
    fn await_reply(
        &self,
        code: &RoomCode,
        outbox: Outbox,
        reply: oneshot::Sender<Result<ParticipantId, Refusal>>,
    ) -> u64 {
        let req = self.next_req.fetch_add(1, Ordering::Relaxed);
        self.members
            .lock()
            .expect("members lock")
            .insert(outbox.conn_id, (code.clone(), outbox));
        self.pending
            .lock()
            .expect("pending lock")
            .insert(req, reply);
        req
    }

    /// The owner of `code` no longer listens: tell this node's members to
    /// come back, which moves the room to a live node.
    fn owner_gone(&self, code: &RoomCode) {
        let members = self.members.lock().expect("members lock");
        let mut told = 0;
        for (c, outbox) in members.values() {
            if c == code {
                outbox.close(ErrorCode::Unavailable);
                told += 1;
            }
        }
        if told > 0 {
            tracing::warn!(room = %code, members = told, "the node running this room is gone; its members here reconnect");
        }
    }
}

/// A room run by another node, as this node's connections hold it. The
/// room's `out` channel is listened to while any of them is in it.
pub(crate) struct RemoteRoom {
    cluster: Arc<Cluster>,
    code: RoomCode,
}

impl crate::room::RemoteRoomLink for RemoteRoom {
    fn forward(&self, cmd: RoomCmd) -> bool {
        self.cluster.forward(&self.code, cmd)
    }

    fn answer_within(&self) -> Duration {
        ASK_TIMEOUT
    }
}

/// The cluster keeps rooms' state in Redis for the node that takes them
/// over.
impl crate::room::RoomStore for Cluster {
    fn save(&self, code: &RoomCode, state: String) {
        self.save_state(code, state);
    }

    fn release<'a>(
        &'a self,
        code: &'a RoomCode,
        ended: bool,
        config: &'a RelayConfig,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>> {
        Box::pin(self.disown(code, ended, config))
    }
}

impl Drop for RemoteRoom {
    fn drop(&mut self) {
        let cluster = self.cluster.clone();
        let channel = wire::out_channel(&self.code);
        tokio::spawn(async move { cluster.unsubscribe(channel).await });
    }
}
