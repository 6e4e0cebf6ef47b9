//! Publishes what this node sends other nodes, in the order it was queued,
//! a batch per round trip. Consecutive copies of one broadcast frame for
//! one room become a single message naming every target.

use std::sync::Arc;

use matinee_protocol::RoomCode;
use tokio::sync::mpsc;

use super::wire;
use super::{Body, Cluster, Publish};
use crate::room::RoomHost;

/// Most publishes sent in one round trip.
const BATCH: usize = 512;

/// One message to publish: the room it concerns when it goes to the
/// room's owner (so a missing owner can be noticed).
struct Outgoing {
    channel: String,
    payload: String,
    to_owner_of: Option<RoomCode>,
}

/// A broadcast being gathered: its room, body and (node, connection)
/// targets.
type Group = (RoomCode, Body, Vec<(u64, u64)>);

/// Groups a batch into messages.
fn messages(node_targets: Vec<Publish>) -> Vec<Outgoing> {
    let mut out = Vec::new();
    let mut group: Option<Group> = None;
    let flush = |group: &mut Option<Group>, out: &mut Vec<Outgoing>| {
        if let Some((code, body, to)) = group.take() {
            out.push(Outgoing {
                channel: wire::out_channel(&code),
                payload: body.encode(&to),
                to_owner_of: None,
            });
        }
    };
    for item in node_targets {
        match item {
            Publish::ToMembers {
                code,
                node,
                conn,
                body,
            } => {
                if let Some((c, b, to)) = &mut group {
                    if *c == code && b.same_frame(&body) {
                        to.push((node, conn));
                        continue;
                    }
                }
                flush(&mut group, &mut out);
                group = Some((code, body, vec![(node, conn)]));
            }
            Publish::ToOwner { code, msg } => {
                flush(&mut group, &mut out);
                out.push(Outgoing {
                    channel: wire::in_channel(&code),
                    payload: serde_json::to_string(&msg).expect("serialisable"),
                    to_owner_of: Some(code),
                });
            }
        }
    }
    flush(&mut group, &mut out);
    out
}

pub(super) async fn run(
    cluster: Arc<Cluster>,
    mut queue: mpsc::Receiver<Publish>,
    host: Arc<RoomHost>,
) {
    let mut conn = cluster.conn();
    loop {
        let first = tokio::select! {
            item = queue.recv() => match item {
                Some(item) => item,
                None => return,
            },
            _ = host.shutdown.cancelled() => return,
        };
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match queue.try_recv() {
                Ok(item) => batch.push(item),
                Err(_) => break,
            }
        }
        let messages = messages(batch);
        let mut pipe = redis::pipe();
        for m in &messages {
            pipe.cmd("PUBLISH").arg(&m.channel).arg(&m.payload);
        }
        match pipe.query_async::<Vec<i64>>(&mut conn).await {
            Ok(receivers) => {
                host.env
                    .metrics
                    .cluster_published
                    .inc_by(messages.len() as u64);
                for (m, n) in messages.iter().zip(receivers) {
                    if let (Some(code), 0) = (&m.to_owner_of, n) {
                        cluster.owner_gone(code);
                    }
                }
            }
            Err(e) => {
                host.env.metrics.cluster_publish_errors.inc();
                tracing::warn!(error = %e, lost = messages.len(), "could not publish to other nodes");
                cluster.set_healthy(false);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::wire::ToMembers;
    use axum::extract::ws::Utf8Bytes;

    fn code(s: &str) -> RoomCode {
        RoomCode::parse(s).unwrap()
    }

    #[test]
    fn one_broadcast_is_one_message_per_room() {
        let frame = Utf8Bytes::from("{\"type\":\"state\"}");
        let other = Utf8Bytes::from("{\"type\":\"state\"}");
        let to = |c: &str, node, conn, f: &Utf8Bytes| Publish::ToMembers {
            code: code(c),
            node,
            conn,
            body: Body::Frame(f.clone()),
        };
        let out = messages(vec![
            to("K7MQ2X", 1, 10, &frame),
            to("K7MQ2X", 2, 20, &frame),
            to("K7MQ2X", 2, 21, &frame),
            // Equal text, but another message: kept apart, in order.
            to("K7MQ2X", 2, 21, &other),
            to("ABCDEF", 1, 11, &other),
        ]);
        assert_eq!(out.len(), 3);
        let first: ToMembers = wire::decode_to_members(out[0].payload.as_bytes()).unwrap();
        assert_eq!(first.to, vec![(1, 10), (2, 20), (2, 21)]);
        assert_eq!(out[0].channel, "matinee:room:K7MQ2X:out");
        assert_eq!(out[2].channel, "matinee:room:ABCDEF:out");
        assert!(out.iter().all(|m| m.to_owner_of.is_none()));
    }
}
