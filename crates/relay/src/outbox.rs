//! The queue from rooms to one connection. Bounded: a client that does not
//! read fast enough is disconnected rather than allowed to grow memory.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use matinee_protocol::{ErrorCode, ServerMsg};
use tokio::sync::{mpsc, watch};

/// A connection on another node (with Redis), as a room's seat reaches it;
/// the cluster implements it.
pub(crate) trait RemoteConnection: Send + Sync {
    /// Queues a frame (or an eviction) for connection `conn_id` there.
    fn push(&self, conn_id: u64, item: Outgoing) -> bool;
    /// Tells connection `conn_id` there to send this error and close.
    fn close(&self, conn_id: u64, code: ErrorCode);
}

/// What a room hands to a connection.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// A serialised message, shared between every receiver of a broadcast.
    Frame(Utf8Bytes),
    /// Messages that go out in order as one item of the queue (a shared
    /// file's parts): a member takes them at the pace its socket allows,
    /// and however many there are they fill one place of its queue.
    Frames(Arc<[Utf8Bytes]>),
    /// The seat is gone (left or kicked); the connection is back in the lobby.
    Evicted,
}

/// Sending side of a connection's queue: a connection on this node, or
/// (with Redis) one on another node, reached through the cluster.
#[derive(Clone)]
pub(crate) struct Outbox {
    pub conn_id: u64,
    /// The client's address (as limits count it), for bans.
    pub addr: IpAddr,
    route: Route,
}

#[derive(Clone)]
enum Route {
    Local {
        tx: mpsc::Sender<Outgoing>,
        kill: Arc<watch::Sender<Option<ErrorCode>>>,
    },
    Remote(Arc<dyn RemoteConnection>),
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("conn_id", &self.conn_id)
            .finish_non_exhaustive()
    }
}

/// Receiving side, owned by the connection task.
pub(crate) struct Inbox {
    pub rx: mpsc::Receiver<Outgoing>,
    pub kill: watch::Receiver<Option<ErrorCode>>,
}

pub(crate) fn outbox(conn_id: u64, addr: IpAddr, capacity: usize) -> (Outbox, Inbox) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let (kill_tx, kill_rx) = watch::channel(None);
    (
        Outbox {
            conn_id,
            addr,
            route: Route::Local {
                tx,
                kill: Arc::new(kill_tx),
            },
        },
        Inbox { rx, kill: kill_rx },
    )
}

pub(crate) fn frame(msg: &ServerMsg) -> Utf8Bytes {
    Utf8Bytes::from(msg.encode())
}

/// A frame kept for a while (a shared file's part): its allocation holds
/// exactly its text, so what is counted is what is held (an encoder's
/// buffer can be up to twice as long).
pub(crate) fn kept_frame(msg: &ServerMsg) -> Utf8Bytes {
    let mut text = msg.encode();
    text.shrink_to_fit();
    Utf8Bytes::from(text)
}

impl Outbox {
    /// Queues a frame. False when the connection is gone or too slow, in
    /// which case it has been told to close.
    pub fn send(&self, frame: Utf8Bytes) -> bool {
        self.push(Outgoing::Frame(frame))
    }

    /// Queues frames that go out in order, as one place of the queue.
    pub fn send_batch(&self, frames: Arc<[Utf8Bytes]>) -> bool {
        match frames.len() {
            0 => true,
            1 => self.send(frames[0].clone()),
            _ => self.push(Outgoing::Frames(frames)),
        }
    }

    pub fn send_msg(&self, msg: &ServerMsg) -> bool {
        self.send(frame(msg))
    }

    pub fn evict(&self) -> bool {
        self.push(Outgoing::Evicted)
    }

    fn push(&self, item: Outgoing) -> bool {
        match &self.route {
            Route::Local { tx, .. } => match tx.try_send(item) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    self.close(ErrorCode::SlowConsumer);
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            },
            Route::Remote(remote) => remote.push(self.conn_id, item),
        }
    }

    /// Tells the connection to send this error and close.
    pub fn close(&self, code: ErrorCode) {
        match &self.route {
            Route::Local { kill, .. } => {
                kill.send_replace(Some(code));
            }
            Route::Remote(remote) => remote.close(self.conn_id, code),
        }
    }

    /// The connection is gone (local ones only; a remote one's node says).
    pub fn is_closed(&self) -> bool {
        match &self.route {
            Route::Local { tx, .. } => tx.is_closed(),
            Route::Remote(_) => false,
        }
    }

    /// A connection on another node, reached through the cluster.
    pub fn remote(conn_id: u64, addr: IpAddr, remote: Arc<dyn RemoteConnection>) -> Self {
        Outbox {
            conn_id,
            addr,
            route: Route::Remote(remote),
        }
    }
}
