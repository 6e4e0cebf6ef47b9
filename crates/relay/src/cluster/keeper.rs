//! Every half second: this node's heartbeat, the leases of the rooms it
//! runs, their changed states, and a check that the nodes holding its
//! rooms' members are still alive. Its success or failure is the node's
//! Redis health.

use std::sync::Arc;

use matinee_protocol::RoomCode;

use super::{wire, Cluster, KEEP_EVERY, LEASE};
use crate::config::RelayConfig;
use crate::room::RoomCmd;
use crate::room::RoomHost;

/// Renews the lease when this node holds it, takes it back when it ran out
/// (Redis was away for a while); 0 when another node holds it now.
pub(super) const RENEW_LEASE: &str = "local v = redis.call('GET', KEYS[1]) \
    if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 \
    elseif not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 \
    else return 0 end";

/// Deletes the lease only when this node holds it.
pub(super) const RELEASE_LEASE: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then \
    return redis.call('DEL', KEYS[1]) else return 0 end";

fn lease_ms() -> u64 {
    LEASE.as_millis() as u64
}

/// How long a stored room outlives its last save: long enough for every
/// member's resume grace and the room's own grace.
pub(super) fn state_ttl_ms(c: &RelayConfig) -> u64 {
    ((c.resume_grace_secs.max(0.0) + c.room_grace_secs.max(0.0)) * 1000.0) as u64 + 10_000
}

pub(super) async fn run(cluster: Arc<Cluster>, host: Arc<RoomHost>) {
    let mut tick = tokio::time::interval(KEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut conn = cluster.conn();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = host.shutdown.cancelled() => return,
        }
        // Take the changed states; they go back if Redis does not take them.
        let owned: Vec<(RoomCode, Option<String>)> = cluster
            .owned
            .lock()
            .expect("owned lock")
            .iter_mut()
            .map(|(code, room)| {
                let unsaved = std::mem::take(&mut room.unsaved);
                (code.clone(), room.state.clone().filter(|_| unsaved))
            })
            .collect();
        let nodes: Vec<u64> = cluster
            .remote_seats
            .lock()
            .expect("remote seats lock")
            .keys()
            .copied()
            .collect();
        let mut pipe = redis::pipe();
        pipe.cmd("SET")
            .arg(wire::node_key(cluster.node))
            .arg(1)
            .arg("PX")
            .arg(lease_ms())
            .ignore();
        for (code, state) in &owned {
            pipe.cmd("EVAL")
                .arg(RENEW_LEASE)
                .arg(1)
                .arg(wire::owner_key(code))
                .arg(cluster.node)
                .arg(lease_ms());
            if let Some(state) = state {
                pipe.cmd("SET")
                    .arg(wire::state_key(code))
                    .arg(state)
                    .arg("PX")
                    .arg(state_ttl_ms(&host.env.config))
                    .ignore();
            }
        }
        for node in &nodes {
            pipe.cmd("EXISTS").arg(wire::node_key(*node));
        }
        let kept = pipe.query_async::<Vec<i64>>(&mut conn).await;
        let listening = cluster.ping_subscriptions().await;
        match kept {
            Ok(results) => {
                cluster.set_healthy(listening);
                let (leases, alive) = results.split_at(owned.len().min(results.len()));
                for ((code, _), held) in owned.iter().zip(leases) {
                    if *held == 0 {
                        tracing::warn!(room = %code, "another node took this room over");
                    }
                }
                for (node, alive) in nodes.iter().zip(alive) {
                    if *alive == 0 {
                        members_lost(&cluster, &host, *node).await;
                    }
                }
                prune(&cluster, &host);
            }
            Err(e) => {
                tracing::debug!(error = %e, "keeping leases failed");
                cluster.set_healthy(false);
                let mut rooms = cluster.owned.lock().expect("owned lock");
                for (code, state) in owned {
                    if let (Some(room), Some(_)) = (rooms.get_mut(&code), state) {
                        room.unsaved = true;
                    }
                }
            }
        }
    }
}

/// A node holding members of rooms this node runs died: their seats wait
/// for a resume, as for any dropped link.
async fn members_lost(cluster: &Cluster, host: &RoomHost, node: u64) {
    let seats = cluster
        .remote_seats
        .lock()
        .expect("remote seats lock")
        .remove(&node)
        .unwrap_or_default();
    tracing::warn!(
        node = format!("{node:016x}"),
        seats = seats.len(),
        "a relay node is gone"
    );
    for (code, pid, conn) in seats {
        if let Some(room) = host.registry.get(&code) {
            room.send(RoomCmd::Disconnected { pid, conn_id: conn })
                .await;
        }
    }
}

/// Forgets answers nobody waits for, connections that are gone, and seats
/// of rooms that ended.
fn prune(cluster: &Cluster, host: &RoomHost) {
    cluster
        .members
        .lock()
        .expect("members lock")
        .retain(|_, (_, outbox)| !outbox.is_closed());
    cluster
        .pending
        .lock()
        .expect("pending lock")
        .retain(|_, reply| !reply.is_closed());
    let mut seats = cluster.remote_seats.lock().expect("remote seats lock");
    for list in seats.values_mut() {
        list.retain(|(code, _, _)| host.registry.get(code).is_some());
    }
    seats.retain(|_, list| !list.is_empty());
}
