//! The one place that knows whether rooms live in this process only or are
//! shared by the nodes of a cluster (Redis): creating, finding, and
//! rebuilding a room a restarted relay lost. Connections ask here and never
//! choose themselves.

use std::sync::Arc;

use matinee_protocol::{ControlMode, RoomCode};

use crate::cluster::{Cluster, Located};
use crate::limits::Held;
use crate::refusal::{no_room, server_full, Refusal};
use crate::room::{RoomHandle, RoomHost};

pub(crate) struct Rooms {
    host: Arc<RoomHost>,
    /// The other nodes, when rooms are shared through Redis; rooms run in
    /// this process only without.
    cluster: Option<Arc<Cluster>>,
}

impl Rooms {
    pub fn new(host: Arc<RoomHost>, cluster: Option<Arc<Cluster>>) -> Self {
        Self { host, cluster }
    }

    /// Rooms running in this process.
    pub fn here(&self) -> usize {
        self.host.registry.len()
    }

    /// A new room with a fresh code, counted against its creator's quota
    /// (`place`) while it lives.
    pub async fn create(
        &self,
        mode: ControlMode,
        place: Option<Arc<Held>>,
    ) -> Result<RoomHandle, Refusal> {
        let host = &self.host;
        match &self.cluster {
            None => host
                .registry
                .insert_new(host.env.config.max_rooms, |code| {
                    RoomHandle::spawn(code, mode, host).counted_in(place)
                })
                .ok_or_else(server_full),
            Some(cluster) => cluster.create_room(host, mode, place).await,
        }
    }

    /// The room `code`: here, or (with Redis) on any node; None when no
    /// node has it.
    pub async fn find(&self, code: &RoomCode) -> Result<Option<RoomHandle>, Refusal> {
        match &self.cluster {
            None => Ok(self.host.registry.get(code)),
            Some(cluster) => cluster.find(&self.host, code).await,
        }
    }

    /// The room `code`, or a new one under that code for a verified member
    /// of a room a restarted relay lost (with the mode it remembers).
    pub async fn find_or_rebuild(
        &self,
        code: &RoomCode,
        mode: ControlMode,
    ) -> Result<RoomHandle, Refusal> {
        if let Some(room) = self.find(code).await? {
            return Ok(room);
        }
        let host = &self.host;
        let make = || RoomHandle::spawn(code.clone(), mode, host);
        match &self.cluster {
            None => host
                .registry
                .get_or_insert(code, host.env.config.max_rooms, make)
                .ok_or_else(server_full),
            Some(cluster) => match cluster.adopt(host, code, make).await? {
                Located::Here(room) => Ok(room),
                // Another node rebuilt it just now: go there.
                Located::Taken => self.find(code).await?.ok_or_else(|| no_room(code)),
            },
        }
    }
}
