//! A room as kept in Redis, for a node taking it over: who sits where
//! (with their resume tokens), who is host, the mode, the media and the
//! playback state. Links, RTTs and positions are not kept: they come back
//! with the members.

use tokio::time::Instant;

use matinee_protocol::{
    ControlMode, MediaInfo, ParticipantId, PlaybackState, QueueState, RoomCode,
};
use serde::{Deserialize, Serialize};

use super::seat::Seat;
use super::state::{Room, RoomEnv};
use crate::tokens::Bans;

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredRoom {
    pub code: RoomCode,
    control_mode: ControlMode,
    media: Option<MediaInfo>,
    playback: PlaybackState,
    next_id: ParticipantId,
    seats: Vec<StoredSeat>,
    /// Who the host removed (seats, address tags): bans hold across nodes.
    #[serde(default)]
    bans: Bans,
    /// When the current host's proof was issued.
    #[serde(default)]
    host_proof_ms: u64,
    #[serde(default)]
    had_guests: bool,
    #[serde(default)]
    queue: QueueState,
    #[serde(default)]
    next_queue_id: u32,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredSeat {
    id: ParticipantId,
    nickname: String,
    token: String,
    joined_ms: f64,
    host: bool,
    ready: bool,
    player_closed: bool,
    media: Option<MediaInfo>,
}

impl Room {
    pub fn stored(&self) -> StoredRoom {
        StoredRoom {
            code: self.code().clone(),
            control_mode: self.control_mode,
            media: self.media.clone(),
            playback: self.playback,
            next_id: self.next_id,
            bans: self.bans.clone(),
            host_proof_ms: self.host_proof_ms,
            had_guests: self.had_guests,
            queue: self.queue.clone(),
            next_queue_id: self.next_queue_id,
            seats: self
                .seats
                .iter()
                .map(|s| StoredSeat {
                    id: s.id,
                    nickname: s.nickname.clone(),
                    token: s.token.clone(),
                    joined_ms: s.joined_ms,
                    host: s.host,
                    ready: s.ready,
                    player_closed: s.player_closed,
                    media: s.media.clone(),
                })
                .collect(),
        }
    }

    /// The stored room, every member away until they resume.
    pub fn restore(stored: StoredRoom, env: RoomEnv) -> Self {
        let mut room = Room::new(stored.code, stored.control_mode, env);
        room.media = stored.media;
        room.playback = stored.playback;
        room.playback.waiting_for_buffering = false;
        room.next_id = stored.next_id;
        room.bans = stored.bans;
        room.host_proof_ms = stored.host_proof_ms;
        room.had_guests = stored.had_guests;
        room.queue = stored.queue;
        room.next_queue_id = stored.next_queue_id;
        let now = Instant::now();
        room.seats = stored
            .seats
            .into_iter()
            .map(|s| {
                let mut seat = Seat::away(s.id, s.nickname, s.token, s.media, s.joined_ms, now);
                seat.host = s.host;
                seat.ready = s.ready;
                seat.player_closed = s.player_closed;
                seat
            })
            .collect();
        room
    }
}
