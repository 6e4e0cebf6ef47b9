//! What other nodes publish to this one: commands for rooms it runs, and
//! messages for its connections in rooms run elsewhere.

use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use matinee_protocol::{ErrorCode, RoomCode};
use redis::{PushInfo, PushKind, Value};
use tokio::sync::{mpsc, oneshot};

use super::wire::{self, MemberBody, OwnerCmd, ToMembers, ToOwner};
use super::{Body, Cluster, Publish, RemoteConn};
use crate::outbox::Outbox;
use crate::room::RoomCmd;
use crate::room::RoomHost;

fn text(v: &Value) -> Option<&[u8]> {
    match v {
        Value::BulkString(b) => Some(b),
        Value::SimpleString(s) => Some(s.as_bytes()),
        _ => None,
    }
}

pub(super) async fn run(
    cluster: Arc<Cluster>,
    mut pushes: mpsc::UnboundedReceiver<PushInfo>,
    host: Arc<RoomHost>,
) {
    loop {
        let push = tokio::select! {
            push = pushes.recv() => match push {
                Some(p) => p,
                None => return,
            },
            _ = host.shutdown.cancelled() => return,
        };
        if push.kind != PushKind::Message {
            continue;
        }
        let (Some(channel), Some(payload)) = (
            push.data.first().and_then(text),
            push.data.get(1).and_then(text),
        ) else {
            continue;
        };
        let Some((code, to_owner)) = std::str::from_utf8(channel)
            .ok()
            .and_then(wire::parse_channel)
        else {
            continue;
        };
        if to_owner {
            match serde_json::from_slice::<ToOwner>(payload) {
                Ok(msg) => for_owned_room(&cluster, &host, code, msg).await,
                Err(e) => {
                    tracing::warn!(room = %code, error = %e, "unreadable message from another node")
                }
            }
        } else {
            match wire::decode_to_members(payload) {
                Some(msg) => for_members(&cluster, msg),
                None => tracing::warn!(room = %code, "unreadable message from another node"),
            }
        }
    }
}

/// A member on another node speaks to a room this node runs.
async fn for_owned_room(
    cluster: &Arc<Cluster>,
    host: &Arc<RoomHost>,
    code: RoomCode,
    msg: ToOwner,
) {
    let ToOwner {
        node,
        conn,
        addr,
        cmd,
    } = msg;
    let addr = addr.unwrap_or(std::net::IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED));
    let room = host.registry.get(&code);
    let outbox = || {
        Outbox::remote(
            conn,
            addr,
            Arc::new(RemoteConn {
                node,
                code: code.clone(),
                queue: cluster.queue.clone(),
            }),
        )
    };
    // Joins and resumes are answered once the room has seated (or
    // refused) the member; the answer follows the room's welcome.
    let answer = |req: u64| {
        let (reply, answer) = oneshot::channel();
        let cluster = cluster.clone();
        let code = code.clone();
        tokio::spawn(async move {
            let result = answer.await.unwrap_or_else(|_| Err(gone()));
            if let Ok(pid) = result {
                cluster.remember_remote_seat(node, code.clone(), pid, conn);
            }
            cluster.queue(Publish::ToMembers {
                code,
                node,
                conn,
                body: Body::Reply { req, result },
            });
        });
        reply
    };
    let Some(room) = room else {
        let req = match cmd {
            OwnerCmd::Join { req, .. }
            | OwnerCmd::Resume { req, .. }
            | OwnerCmd::Rebuild { req, .. } => req,
            _ => return,
        };
        let _ = answer(req).send(Err(gone()));
        return;
    };
    let cmd = match cmd {
        OwnerCmd::Join {
            req,
            nickname,
            media,
            via,
        } => RoomCmd::Join {
            nickname,
            media,
            via,
            outbox: outbox(),
            reply: answer(req),
        },
        OwnerCmd::Resume { req, token } => RoomCmd::Resume {
            token,
            outbox: outbox(),
            reply: answer(req),
        },
        OwnerCmd::Rebuild {
            req,
            pid,
            token,
            rebuild,
        } => RoomCmd::Rebuild {
            pid,
            token,
            rebuild,
            outbox: outbox(),
            reply: answer(req),
        },
        OwnerCmd::Client { pid, msg } => RoomCmd::Client {
            pid,
            conn_id: conn,
            msg,
        },
        OwnerCmd::Rtt { pid, rtt_ms, link } => RoomCmd::Rtt {
            pid,
            conn_id: conn,
            rtt_ms,
            link,
        },
        OwnerCmd::Disconnected { pid } => RoomCmd::Disconnected { pid, conn_id: conn },
    };
    room.send(cmd).await;
}

fn gone() -> (ErrorCode, String) {
    (ErrorCode::RoomNotFound, "That room has just ended.".into())
}

/// The owner of a room sends this node's members something.
fn for_members(cluster: &Cluster, msg: ToMembers) {
    let ToMembers { to, body } = msg;
    let mine = to.iter().filter(|(node, _)| *node == cluster.node);
    match body {
        MemberBody::Frame { text } => {
            let frame = Utf8Bytes::from(text);
            let members = cluster.members.lock().expect("members lock");
            for (_, conn) in mine {
                if let Some((_, outbox)) = members.get(conn) {
                    outbox.send(frame.clone());
                }
            }
        }
        MemberBody::Evict => {
            let mut members = cluster.members.lock().expect("members lock");
            for (_, conn) in mine {
                if let Some((_, outbox)) = members.remove(conn) {
                    outbox.evict();
                }
            }
        }
        MemberBody::Close { code } => {
            let mut members = cluster.members.lock().expect("members lock");
            for (_, conn) in mine {
                if let Some((_, outbox)) = members.remove(conn) {
                    outbox.close(code);
                }
            }
        }
        MemberBody::Reply { req, result } => {
            if !to.iter().any(|(node, _)| *node == cluster.node) {
                return;
            }
            if result.is_err() {
                let mut members = cluster.members.lock().expect("members lock");
                for (_, conn) in to.iter().filter(|(node, _)| *node == cluster.node) {
                    members.remove(conn);
                }
            }
            if let Some(reply) = cluster.pending.lock().expect("pending lock").remove(&req) {
                let _ = reply.send(result);
            }
        }
    }
}
