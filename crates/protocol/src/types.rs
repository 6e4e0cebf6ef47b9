//! Values shared by client and relay messages.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A participant's number within its room, stable for the room's life.
pub type ParticipantId = u32;

/// Who may play, pause, seek and change speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, TS)]
#[serde(rename_all = "snake_case")]
pub enum ControlMode {
    /// Only the host; the relay refuses others with `not_host`.
    #[default]
    HostOnly,
    /// Everyone in the room.
    Shared,
}

/// A change to the room's playback asked for by a person.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ControlAction {
    /// Resume playback from `position` seconds.
    Play { position: f64 },
    /// Pause at `position` seconds.
    Pause { position: f64 },
    /// Jump to `position` seconds, keeping the paused state.
    Seek { position: f64 },
    /// Change playback speed (1.0 = normal) at `position` seconds.
    Speed { speed: f64, position: f64 },
}

impl ControlAction {
    pub fn position(&self) -> f64 {
        match *self {
            ControlAction::Play { position }
            | ControlAction::Pause { position }
            | ControlAction::Seek { position }
            | ControlAction::Speed { position, .. } => position,
        }
    }

    /// The same action at another position.
    pub fn at(self, position: f64) -> Self {
        match self {
            ControlAction::Play { .. } => ControlAction::Play { position },
            ControlAction::Pause { .. } => ControlAction::Pause { position },
            ControlAction::Seek { .. } => ControlAction::Seek { position },
            ControlAction::Speed { speed, .. } => ControlAction::Speed { speed, position },
        }
    }
}

/// What the media being played is, so peers can tell whether they hold
/// the same film. Shown to people, never loaded by a peer's player.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, TS)]
pub struct MediaInfo {
    /// File name or title.
    pub name: String,
    /// Size of a local file in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub size_bytes: Option<u64>,
    /// Duration in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub duration: Option<f64>,
    /// Provider ids such as `{"Tmdb": "603", "Imdb": "tt0133093"}`.
    /// (Matched in Rust; the UI does not read them.)
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[ts(skip)]
    pub provider_ids: BTreeMap<String, String>,
}

/// Why the playback state last changed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ControlCause {
    /// The participant whose control message caused the change.
    pub by: ParticipantId,
    /// That participant's `seq`, so it can recognise its own echo.
    pub seq: u64,
    pub action: ControlAction,
}

/// The room's authoritative playback state.
///
/// The position at server time `t` (ms) is `position` while paused or
/// before `anchor_ms`, and `position + (t - anchor_ms) / 1000 * speed`
/// after it. An `anchor_ms` in the future therefore means "start together
/// at that server time" (used by the ready check).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
pub struct PlaybackState {
    /// Position in seconds at `anchor_ms`.
    pub position: f64,
    pub paused: bool,
    pub speed: f64,
    /// Server time (ms since the Unix epoch) at which `position` holds.
    pub anchor_ms: f64,
    /// Increases by one on every control change; clients echo the epoch
    /// they have applied in their state reports.
    #[ts(type = "number")]
    pub epoch: u64,
    /// The room is paused because someone is buffering and will resume
    /// by itself once everyone has caught up.
    #[serde(default)]
    pub waiting_for_buffering: bool,
}

impl PlaybackState {
    /// A paused state at the start of the media.
    pub fn initial(now_ms: f64) -> Self {
        Self {
            position: 0.0,
            paused: true,
            speed: 1.0,
            anchor_ms: now_ms,
            epoch: 0,
            waiting_for_buffering: false,
        }
    }

    /// Extrapolated position in seconds at server time `server_ms`.
    pub fn position_at(&self, server_ms: f64) -> f64 {
        if self.paused || server_ms <= self.anchor_ms {
            self.position
        } else {
            self.position + (server_ms - self.anchor_ms) / 1000.0 * self.speed
        }
    }

    /// Applies a person's action, anchored at server time `anchor_ms`. The
    /// caller advances the epoch. A control ends any buffering wait.
    pub fn apply(&mut self, action: ControlAction, anchor_ms: f64) {
        match action {
            ControlAction::Play { position } => {
                self.position = position;
                self.paused = false;
            }
            ControlAction::Pause { position } => {
                self.position = position;
                self.paused = true;
            }
            ControlAction::Seek { position } => self.position = position,
            ControlAction::Speed { speed, position } => {
                self.position = position;
                self.speed = speed;
            }
        }
        self.anchor_ms = anchor_ms;
        self.waiting_for_buffering = false;
    }

    /// Whether the player should be running at server time `server_ms`.
    pub fn is_playing_at(&self, server_ms: f64) -> bool {
        !self.paused && server_ms >= self.anchor_ms
    }
}

/// Which way a member's connection reaches the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// Straight to the relay's address (the home network, a mapped port,
    /// IPv6, or a relay on the internet).
    Direct,
    /// Peer-to-peer, straight between the two computers (a hole punched
    /// through both routers).
    PeerToPeer,
    /// Peer-to-peer through an iroh relay (it forwards encrypted packets).
    Relayed,
}

/// One seat in a room as everyone sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Participant {
    pub id: ParticipantId,
    pub nickname: String,
    pub host: bool,
    pub ready: bool,
    pub buffering: bool,
    /// Buffering, and the room plays on without waiting for them (the host
    /// chose so, or the room waited as long as it waits).
    #[serde(default)]
    pub catching_up: bool,
    /// The connection dropped; the seat is kept for the grace period.
    pub reconnecting: bool,
    /// The participant's player is closed or crashed.
    #[serde(default)]
    pub player_closed: bool,
    /// Round-trip time to the relay (EMA), in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub rtt_ms: Option<f64>,
    /// How the member's connection reaches the relay, when the relay
    /// knows (a host's own relay reached peer-to-peer tells which way).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub link: Option<LinkKind>,
    /// Last reported position in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub position: Option<f64>,
    /// Last reported position minus the room position at the same server
    /// time, in milliseconds (positive = ahead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub drift_ms: Option<f64>,
    /// Sent in a newcomer's snapshot and in [`crate::ServerMsg::Media`];
    /// participant lists leave it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub media: Option<MediaInfo>,
    /// Server time at which the participant first joined.
    pub joined_ms: f64,
    /// The program the member joined with when it is not Matinee, as the
    /// relay saw it (e.g. `"Syncplay 1.6.9"`); absent for Matinee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub via: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_extrapolates_only_while_playing_after_the_anchor() {
        let mut s = PlaybackState::initial(1000.0);
        s.position = 10.0;
        assert_eq!(s.position_at(5000.0), 10.0);
        s.paused = false;
        assert_eq!(s.position_at(500.0), 10.0);
        assert!(!s.is_playing_at(500.0));
        assert!((s.position_at(3000.0) - 12.0).abs() < 1e-9);
        s.speed = 0.5;
        assert!((s.position_at(3000.0) - 11.0).abs() < 1e-9);
        assert!(s.is_playing_at(3000.0));
    }

    #[test]
    fn actions_apply_at_their_anchor() {
        let mut s = PlaybackState::initial(0.0);
        s.waiting_for_buffering = true;
        s.apply(ControlAction::Play { position: 5.0 }, 100.0);
        assert!(!s.paused && !s.waiting_for_buffering);
        assert_eq!((s.position, s.anchor_ms), (5.0, 100.0));
        s.apply(ControlAction::Seek { position: 50.0 }, 200.0);
        assert!(!s.paused, "a seek keeps playing");
        s.apply(
            ControlAction::Speed {
                speed: 1.5,
                position: 51.0,
            },
            300.0,
        );
        assert_eq!(s.speed, 1.5);
        s.apply(ControlAction::Pause { position: 52.0 }, 400.0);
        assert!(s.paused);
        assert_eq!(s.epoch, 0, "the epoch is the caller's");
    }
}
