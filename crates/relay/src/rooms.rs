//! The one place that knows whether rooms live in this process only or are
//! shared by the nodes of a cluster (Redis): creating, finding, and
//! rebuilding a room a restarted relay lost. Connections ask here and never
//! choose themselves.

use std::sync::Arc;

use matinee_protocol::{ControlMode, RoomCode};

use crate::cluster::{Cluster, Located};
use crate::limits::Held;
use crate::refusal::{no_room, server_full, Refusal};
use crate::room::RoomHandle;
use crate::Shared;

pub(crate) enum Rooms {
    /// In this process only.
    Local,
    /// Shared with the other nodes through Redis.
    Cluster(Arc<Cluster>),
}

impl Rooms {
    /// A new room with a fresh code, counted against its creator's quota
    /// (`place`) while it lives.
    pub async fn create(
        &self,
        shared: &Arc<Shared>,
        mode: ControlMode,
        place: Option<Arc<Held>>,
    ) -> Result<RoomHandle, Refusal> {
        match self {
            Rooms::Local => shared
                .registry
                .insert_new(shared.config.max_rooms, |code| {
                    RoomHandle::spawn(code, mode, shared.clone()).counted_in(place)
                })
                .ok_or_else(server_full),
            Rooms::Cluster(cluster) => cluster.create_room(shared, mode, place).await,
        }
    }

    /// The room `code`: here, or (with Redis) on any node; None when no
    /// node has it.
    pub async fn find(
        &self,
        shared: &Arc<Shared>,
        code: &RoomCode,
    ) -> Result<Option<RoomHandle>, Refusal> {
        match self {
            Rooms::Local => Ok(shared.registry.get(code)),
            Rooms::Cluster(cluster) => cluster.find(shared, code).await,
        }
    }

    /// The room `code`, or a new one under that code for a verified member
    /// of a room a restarted relay lost (with the mode it remembers).
    pub async fn find_or_rebuild(
        &self,
        shared: &Arc<Shared>,
        code: &RoomCode,
        mode: ControlMode,
    ) -> Result<RoomHandle, Refusal> {
        if let Some(room) = self.find(shared, code).await? {
            return Ok(room);
        }
        let make = || RoomHandle::spawn(code.clone(), mode, shared.clone());
        match self {
            Rooms::Local => shared
                .registry
                .get_or_insert(code, shared.config.max_rooms, make)
                .ok_or_else(server_full),
            Rooms::Cluster(cluster) => match cluster.adopt(shared, code, make).await? {
                Located::Here(room) => Ok(room),
                // Another node rebuilt it just now: go there.
                Located::Taken => self.find(shared, code).await?.ok_or_else(|| no_room(code)),
            },
        }
    }
}
