//! Finding a room among the nodes: here, on another live node, or stored
//! by a node that died (then this node takes it over).

use std::sync::Arc;
use std::time::{Duration, Instant};

use matinee_protocol::{ControlMode, RoomCode};
use redis::Value;

use super::{keeper, wire, Cluster, RemoteRoom, LEASE};
use crate::refusal::{moving, server_full, unavailable, Refusal};
use crate::room::RoomHost;
use crate::room::{RoomHandle, StoredRoom};

/// How often a node waiting for a dead owner's lease to run out looks again.
const RETRY: Duration = Duration::from_millis(200);

/// What became of an attempt to run a room here.
pub(crate) enum Located {
    /// The room runs here now.
    Here(RoomHandle),
    /// Another node holds its lease.
    Taken,
}

impl Cluster {
    fn down(&self, e: redis::RedisError) -> Refusal {
        tracing::warn!(error = %e, "Redis request failed");
        self.set_healthy(false);
        unavailable()
    }

    /// Takes the lease on `code` when nobody holds it.
    async fn claim(&self, code: &RoomCode) -> Result<bool, Refusal> {
        let mut conn = self.conn();
        let set: Option<String> = redis::cmd("SET")
            .arg(wire::owner_key(code))
            .arg(self.node)
            .arg("NX")
            .arg("PX")
            .arg(LEASE.as_millis() as u64)
            .query_async(&mut conn)
            .await
            .map_err(|e| self.down(e))?;
        Ok(set.is_some())
    }

    async fn release(&self, code: &RoomCode) {
        let mut conn = self.conn();
        let _ = redis::cmd("EVAL")
            .arg(keeper::RELEASE_LEASE)
            .arg(1)
            .arg(wire::owner_key(code))
            .arg(self.node)
            .query_async::<i64>(&mut conn)
            .await;
    }

    /// Runs a room `make` builds under `code` on this node, when no node
    /// holds it.
    pub async fn adopt(
        &self,
        host: &Arc<RoomHost>,
        code: &RoomCode,
        make: impl FnOnce() -> RoomHandle,
    ) -> Result<Located, Refusal> {
        if host.full() {
            return Err(server_full());
        }
        if !self.claim(code).await? {
            return Ok(Located::Taken);
        }
        if let Err(refusal) = self.own(code).await {
            self.release(code).await;
            return Err(refusal);
        }
        let room = host
            .registry
            .get_or_insert(code, usize::MAX, make)
            .expect("no limit");
        Ok(Located::Here(room))
    }

    /// A new room under a code no node uses.
    pub async fn create_room(
        &self,
        host: &Arc<RoomHost>,
        mode: ControlMode,
        place: Option<Arc<crate::limits::Held>>,
    ) -> Result<RoomHandle, Refusal> {
        if !self.healthy() {
            return Err(unavailable());
        }
        for _ in 0..16 {
            let code = crate::room::random_code();
            let make = || RoomHandle::spawn(code.clone(), mode, host).counted_in(place.clone());
            if let Located::Here(room) = self.adopt(host, &code, make).await? {
                return Ok(room);
            }
        }
        Err(unavailable())
    }

    /// The room `code` wherever it runs; taken over here from its stored
    /// state when the node that ran it is gone. None: no node runs it and
    /// nothing is stored.
    pub async fn find(
        self: &Arc<Self>,
        host: &Arc<RoomHost>,
        code: &RoomCode,
    ) -> Result<Option<RoomHandle>, Refusal> {
        let deadline = Instant::now() + LEASE + Duration::from_secs(1);
        loop {
            if let Some(room) = host.registry.get(code) {
                return Ok(Some(room));
            }
            let mut conn = self.conn();
            let owner: Option<u64> = redis::cmd("GET")
                .arg(wire::owner_key(code))
                .query_async(&mut conn)
                .await
                .map_err(|e| self.down(e))?;
            match owner {
                Some(node) if node != self.node => {
                    if self.listeners(&wire::in_channel(code)).await? > 0 {
                        self.subscribe(wire::out_channel(code)).await?;
                        let remote = Arc::new(RemoteRoom {
                            cluster: self.clone(),
                            code: code.clone(),
                        });
                        return Ok(Some(RoomHandle::remote(code.clone(), remote)));
                    }
                    // Its node died: wait for the lease to run out.
                }
                Some(_) => {} // closing here just now
                None => match self.take_over(host, code).await? {
                    None => return Ok(None),
                    Some(Located::Here(room)) => return Ok(Some(room)),
                    Some(Located::Taken) => {} // another node was quicker
                },
            }
            if Instant::now() >= deadline {
                return Err(moving());
            }
            tokio::time::sleep(RETRY).await;
        }
    }

    async fn listeners(&self, channel: &str) -> Result<i64, Refusal> {
        let mut conn = self.conn();
        let reply: Vec<Value> = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(channel)
            .query_async(&mut conn)
            .await
            .map_err(|e| self.down(e))?;
        Ok(match reply.get(1) {
            Some(Value::Int(n)) => *n,
            _ => 0,
        })
    }

    /// Runs the stored room here; None when nothing is stored.
    async fn take_over(
        &self,
        host: &Arc<RoomHost>,
        code: &RoomCode,
    ) -> Result<Option<Located>, Refusal> {
        let mut conn = self.conn();
        let state: Option<String> = redis::cmd("GET")
            .arg(wire::state_key(code))
            .query_async(&mut conn)
            .await
            .map_err(|e| self.down(e))?;
        let Some(stored) = state.and_then(|s| serde_json::from_str::<StoredRoom>(&s).ok()) else {
            return Ok(None);
        };
        let make = || RoomHandle::restore(stored, host);
        let located = self.adopt(host, code, make).await?;
        if let Located::Here(_) = located {
            tracing::info!(room = %code, "took over a room whose node is gone");
        }
        Ok(Some(located))
    }
}
