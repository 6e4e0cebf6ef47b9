//! One participant's seat: kept while the link is down, for a resume.

use std::net::IpAddr;

use tokio::time::Instant;

use matinee_protocol::{LinkKind, MediaInfo, Participant, ParticipantId, StateReport};

use crate::outbox::Outbox;
use crate::tokens::same_secret;

/// Weight of the previous RTT estimate in the moving average (Syncplay's).
const RTT_EMA_KEEP: f64 = 0.85;

pub(crate) struct Seat {
    pub id: ParticipantId,
    pub nickname: String,
    pub token: String,
    pub joined_ms: f64,
    pub host: bool,
    pub ready: bool,
    pub buffering: bool,
    pub player_closed: bool,
    pub rtt_ms: Option<f64>,
    /// Which way the member's connection reaches the relay.
    pub link: Option<LinkKind>,
    pub position: Option<f64>,
    pub drift_ms: Option<f64>,
    pub media: Option<MediaInfo>,
    pub conn: Option<Outbox>,
    pub disconnected_at: Option<Instant>,
    /// Where the member last connected from (unspecified for a seat taken
    /// over from storage until its member comes back).
    pub addr: IpAddr,
    /// The host chose to play on without waiting while this member buffers.
    pub skip_wait: bool,
    /// The room waited for this member's buffering as long as it waits and
    /// plays on; they catch up on their own (until they stop buffering).
    pub catching_up: bool,
    /// Server time of the last time this member's buffering paused the room.
    pub last_buffer_pause_ms: Option<f64>,
    /// Server time of the member's last rename.
    pub last_rename_ms: Option<f64>,
    /// Server time of the last "player closed" notice about this member.
    pub last_closed_notice_ms: Option<f64>,
    /// Their tracks, and the subtitle file they are sending.
    pub sharing: super::shares::MemberSharing,
    /// The program they joined with when it is not Matinee.
    pub via: Option<String>,
    /// The queue entries they have a copy of (None: never said).
    pub queue_copies: Option<Vec<u32>>,
}

impl Seat {
    pub fn new(
        id: ParticipantId,
        nickname: String,
        token: String,
        media: Option<MediaInfo>,
        conn: Outbox,
        now_ms: f64,
    ) -> Self {
        Self {
            addr: conn.addr,
            conn: Some(conn),
            disconnected_at: None,
            ..Self::away(id, nickname, token, media, now_ms, Instant::now())
        }
    }

    /// A seat whose member is away (a room taken over from storage).
    pub fn away(
        id: ParticipantId,
        nickname: String,
        token: String,
        media: Option<MediaInfo>,
        joined_ms: f64,
        since: Instant,
    ) -> Self {
        Self {
            id,
            nickname,
            token,
            joined_ms,
            host: false,
            ready: false,
            buffering: false,
            player_closed: false,
            rtt_ms: None,
            link: None,
            position: None,
            drift_ms: None,
            media,
            conn: None,
            disconnected_at: Some(since),
            addr: IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
            skip_wait: false,
            catching_up: false,
            last_buffer_pause_ms: None,
            last_rename_ms: None,
            last_closed_notice_ms: None,
            sharing: Default::default(),
            via: None,
            queue_copies: None,
        }
    }

    /// They said they have no copy of queue entry `id`.
    pub fn sits_out(&self, id: u32) -> bool {
        self.queue_copies
            .as_ref()
            .is_some_and(|have| !have.contains(&id))
    }

    pub fn token_matches(&self, token: &str) -> bool {
        same_secret(&self.token, token)
    }

    pub fn is_connected(&self) -> bool {
        self.conn.is_some()
    }

    pub fn is_connection(&self, conn_id: u64) -> bool {
        self.conn.as_ref().is_some_and(|c| c.conn_id == conn_id)
    }

    pub fn add_rtt(&mut self, sample_ms: f64) {
        self.rtt_ms = Some(match self.rtt_ms {
            None => sample_ms,
            Some(prev) => prev * RTT_EMA_KEEP + sample_ms * (1.0 - RTT_EMA_KEEP),
        });
    }

    /// Takes in a state report; `room_position_ms` is the room position at
    /// the report's server time, or None when the report predates the
    /// latest control change.
    pub fn record_report(&mut self, report: &StateReport, room_position: Option<f64>) {
        if let Some(room) = room_position {
            self.position = Some(report.position);
            self.drift_ms = Some((report.position - room) * 1000.0);
        }
    }

    /// Buffering, and the room plays on without waiting for them.
    pub fn is_catching_up(&self) -> bool {
        self.buffering && (self.skip_wait || self.catching_up)
    }

    /// Buffering, and the room waits for them.
    pub fn holds_the_room(&self) -> bool {
        self.buffering && self.is_connected() && !self.skip_wait && !self.catching_up
    }

    /// As everyone sees it in participant lists: without media details,
    /// which go out once, on their own (see [`Seat::full_view`]).
    pub fn view(&self) -> Participant {
        Participant {
            media: None,
            ..self.full_view()
        }
    }

    /// With the media details, for a newcomer's snapshot of the room.
    pub fn full_view(&self) -> Participant {
        Participant {
            id: self.id,
            nickname: self.nickname.clone(),
            host: self.host,
            ready: self.ready,
            buffering: self.buffering,
            catching_up: self.is_catching_up(),
            reconnecting: !self.is_connected(),
            player_closed: self.player_closed,
            rtt_ms: self.rtt_ms.map(|r| (r * 10.0).round() / 10.0),
            link: self.link,
            position: self.position,
            drift_ms: self.drift_ms.map(|d| (d * 10.0).round() / 10.0),
            media: self.media.clone(),
            joined_ms: self.joined_ms,
            via: self.via.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        let a = "0123456789abcdef";
        assert!(same_secret(a, "0123456789abcdef"));
        assert!(!same_secret(a, "0123456789abcdee"));
        assert!(!same_secret(a, &a[..15]));
    }
}
