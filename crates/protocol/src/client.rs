//! Messages a client sends to the relay.

use serde::{Deserialize, Serialize};

use crate::{ControlAction, ControlMode, MediaInfo, ParticipantId, RoomCode};

/// A client → relay message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// First message of every connection.
    Hello {
        protocol: u32,
        /// Free-form client name and version, e.g. `"matinee-cli/0.1.0"`.
        client: String,
    },
    /// Create a room and become its host.
    Create {
        nickname: String,
        #[serde(default)]
        control_mode: ControlMode,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        media: Option<MediaInfo>,
    },
    /// Join a room by code.
    Join {
        code: RoomCode,
        nickname: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        media: Option<MediaInfo>,
    },
    /// Take back a seat after a dropped connection, with the token from
    /// [`crate::Joined::resume_token`]. `rebuild` carries what the client
    /// knew of the room, so a relay that restarted (and lost its rooms) can
    /// rebuild it for members whose tokens it can verify.
    Resume {
        code: RoomCode,
        token: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rebuild: Option<Box<RoomRebuild>>,
    },
    /// Leave the room for good.
    Leave,
    /// Host only: end the party for everyone (each member is told who
    /// ended it, and the room is gone).
    EndParty,
    /// Mark oneself ready (or not) for the ready check.
    Ready { ready: bool },
    /// Start playback for everyone at a shared future time. Without
    /// `force`, refused with `not_all_ready` unless everyone is ready.
    Start {
        #[serde(default)]
        force: bool,
    },
    /// A person played, paused, sought or changed speed. `seq` is the
    /// sender's own counter; the relay echoes it back in the broadcast.
    Control {
        seq: u64,
        action: ControlAction,
        /// The sender's estimate of the server time (ms) at which the
        /// action happened; the relay anchors the new state there (clamped
        /// to the last few seconds). Without it the relay uses its receive
        /// time.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        server_ms: Option<f64>,
    },
    /// Periodic report of the local player (about 1 Hz).
    State(StateReport),
    /// Host only: who may control playback.
    SetControlMode { mode: ControlMode },
    /// Host only: hand the host role to another participant.
    PassHost { to: ParticipantId },
    /// Host only: remove a participant from the room, for the room's life
    /// (their seat and address may not come back).
    Kick { participant: ParticipantId },
    /// Host only: play on without waiting for this participant while they
    /// buffer (they catch up on their own).
    StopWaitingFor { participant: ParticipantId },
    /// A chat line.
    Chat { text: String },
    /// Change one's name in the room.
    Rename { nickname: String },
    /// Clock probe; the relay answers with [`crate::Pong`].
    Ping { client_ms: f64 },
    /// One part of a subtitle file shared with the room, sent in order
    /// (`part` from 0 to `parts - 1`); the relay passes the whole file on
    /// once the last part is in.
    ShareSubtitle {
        part: u32,
        parts: u32,
        meta: crate::SubtitleMeta,
        text: String,
    },
    /// This member's audio and subtitle tracks (on start and on change).
    Tracks { tracks: Vec<crate::TrackInfo> },
    /// Propose which tracks everyone picks (whoever may control playback).
    ProposeTracks { proposal: crate::TrackProposal },
    /// Host only: the fingerprint of the host's copy's sound from `start`
    /// seconds on (Chromaprint words, base64 of little-endian `u32`s), so
    /// each member can align a different copy to it.
    AudioPrint { start: f64, data: String },
    /// This member now plays other media (a friend on Syncplay opened a
    /// file after joining).
    Media { media: MediaInfo },
    /// Whoever may control playback: append entries to the room's queue.
    QueueAdd { items: Vec<crate::QueueItem> },
    /// Whoever may control playback: take an entry out of the queue.
    QueueRemove { id: u32 },
    /// Whoever may control playback: move an entry to index `to`.
    QueueMove { id: u32, to: u32 },
    /// Whoever may control playback: the room goes to this entry now
    /// (everyone opens their copy; it starts when all are ready).
    QueuePlay { id: u32 },
    /// Whoever may control playback: do not go on to the next entry by
    /// itself (the countdown after an entry ends stops).
    QueueWait,
    /// The queue entries this member has a copy of (sent when the queue
    /// or their copies change); the others they sit out.
    QueueCopies { have: Vec<u32> },
}

/// What a client's player is doing, sent about once a second.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StateReport {
    /// Local position in seconds.
    pub position: f64,
    pub paused: bool,
    pub speed: f64,
    /// The player waits for its cache (mpv's `paused-for-cache`).
    #[serde(default)]
    pub buffering: bool,
    /// The player is closed or crashed.
    #[serde(default)]
    pub player_closed: bool,
    /// Estimated server time (ms) at which `position` was read.
    pub server_ms: f64,
    /// The latest [`crate::PlaybackState::epoch`] this client has applied.
    /// Reports about an older epoch describe a player still catching up
    /// with a change and do not count as its position.
    pub epoch: u64,
}

impl ClientMsg {
    /// The value of this message's `"type"` tag.
    pub fn kind(&self) -> &'static str {
        match self {
            ClientMsg::Hello { .. } => "hello",
            ClientMsg::Create { .. } => "create",
            ClientMsg::Join { .. } => "join",
            ClientMsg::Resume { .. } => "resume",
            ClientMsg::Leave => "leave",
            ClientMsg::EndParty => "end_party",
            ClientMsg::Ready { .. } => "ready",
            ClientMsg::Start { .. } => "start",
            ClientMsg::Control { .. } => "control",
            ClientMsg::State(_) => "state",
            ClientMsg::SetControlMode { .. } => "set_control_mode",
            ClientMsg::PassHost { .. } => "pass_host",
            ClientMsg::Kick { .. } => "kick",
            ClientMsg::StopWaitingFor { .. } => "stop_waiting_for",
            ClientMsg::Chat { .. } => "chat",
            ClientMsg::Rename { .. } => "rename",
            ClientMsg::Ping { .. } => "ping",
            ClientMsg::ShareSubtitle { .. } => "share_subtitle",
            ClientMsg::Tracks { .. } => "tracks",
            ClientMsg::ProposeTracks { .. } => "propose_tracks",
            ClientMsg::AudioPrint { .. } => "audio_print",
            ClientMsg::Media { .. } => "media",
            ClientMsg::QueueAdd { .. } => "queue_add",
            ClientMsg::QueueRemove { .. } => "queue_remove",
            ClientMsg::QueueMove { .. } => "queue_move",
            ClientMsg::QueuePlay { .. } => "queue_play",
            ClientMsg::QueueWait => "queue_wait",
            ClientMsg::QueueCopies { .. } => "queue_copies",
        }
    }

    /// Every `"type"` a client may send.
    pub const KINDS: &'static [&'static str] = &[
        "hello",
        "create",
        "join",
        "resume",
        "leave",
        "end_party",
        "ready",
        "start",
        "control",
        "state",
        "set_control_mode",
        "pass_host",
        "kick",
        "stop_waiting_for",
        "chat",
        "rename",
        "ping",
        "share_subtitle",
        "tracks",
        "propose_tracks",
        "audio_print",
        "media",
        "queue_add",
        "queue_remove",
        "queue_move",
        "queue_play",
        "queue_wait",
        "queue_copies",
    ];
}

/// One of each message, for round-trip tests.
/// A file's `share_subtitle` messages, in order: its text cut by
/// [`split_subtitle`](crate::split_subtitle), each part carrying the file's details.
pub fn subtitle_messages(meta: &crate::SubtitleMeta, text: &str) -> Vec<ClientMsg> {
    let pieces = crate::split_subtitle(text);
    let parts = pieces.len() as u32;
    pieces
        .into_iter()
        .enumerate()
        .map(|(part, text)| ClientMsg::ShareSubtitle {
            part: part as u32,
            parts,
            meta: meta.clone(),
            text,
        })
        .collect()
}

#[cfg(test)]
pub(crate) fn examples() -> Vec<ClientMsg> {
    let code = RoomCode::parse("K7MQ2X").unwrap();
    let media = MediaInfo {
        name: "film.mkv".into(),
        size_bytes: Some(1234),
        duration: Some(5400.5),
        provider_ids: [("Tmdb".to_string(), "603".to_string())].into(),
    };
    vec![
        ClientMsg::Hello {
            protocol: 2,
            client: "matinee-cli/0.1.0".into(),
        },
        ClientMsg::Create {
            nickname: "Ana".into(),
            control_mode: ControlMode::Shared,
            media: Some(media.clone()),
        },
        ClientMsg::Join {
            code: code.clone(),
            nickname: "Ben".into(),
            media: None,
        },
        ClientMsg::Resume {
            code,
            token: "abc".into(),
            rebuild: None,
        },
        ClientMsg::Leave,
        ClientMsg::EndParty,
        ClientMsg::Ready { ready: true },
        ClientMsg::Start { force: false },
        ClientMsg::Control {
            seq: 4,
            action: ControlAction::Pause { position: 12.5 },
            server_ms: Some(1.7e12),
        },
        ClientMsg::State(StateReport {
            position: 12.0,
            paused: false,
            speed: 1.0,
            buffering: true,
            player_closed: false,
            server_ms: 1.7e12,
            epoch: 3,
        }),
        ClientMsg::SetControlMode {
            mode: ControlMode::HostOnly,
        },
        ClientMsg::PassHost { to: 2 },
        ClientMsg::Kick { participant: 2 },
        ClientMsg::StopWaitingFor { participant: 2 },
        ClientMsg::Chat { text: "hi".into() },
        ClientMsg::Ping { client_ms: 1.5 },
        ClientMsg::ShareSubtitle {
            part: 0,
            parts: 1,
            meta: crate::SubtitleMeta {
                name: "film.en.srt".into(),
                format: crate::SubtitleFormat::Srt,
                language: Some("en".into()),
                bytes: 30,
            },
            text: "1\n00:00:01,000 --> 00:00:02,000\nHi\n".into(),
        },
        ClientMsg::Tracks {
            tracks: vec![crate::TrackInfo {
                kind: crate::TrackKind::Audio,
                id: 1,
                lang: Some("ja".into()),
                title: None,
                codec: Some("aac".into()),
                external: false,
                selected: true,
            }],
        },
        ClientMsg::ProposeTracks {
            proposal: crate::TrackProposal {
                audio: Some(crate::TrackChoice {
                    lang: Some("ja".into()),
                    title: None,
                }),
                subtitles: Some(crate::SubtitleChoice::Off),
                sub_delay: Some(-0.5),
            },
        },
        ClientMsg::AudioPrint {
            start: 0.0,
            data: "AAECAwQFBgc".into(),
        },
        ClientMsg::Media {
            media: media.clone(),
        },
        ClientMsg::QueueAdd {
            items: vec![crate::QueueItem {
                title: "The Office · S01E03".into(),
                media: media.clone(),
                series: Some("The Office".into()),
                episode: Some(crate::EpisodeNumber {
                    season: 1,
                    episode: 3,
                }),
            }],
        },
        ClientMsg::QueueRemove { id: 2 },
        ClientMsg::QueueMove { id: 3, to: 0 },
        ClientMsg::QueuePlay { id: 3 },
        ClientMsg::QueueWait,
        ClientMsg::QueueCopies { have: vec![1, 3] },
    ]
}

/// What a member remembers of its room, for a relay that lost it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomRebuild {
    pub nickname: String,
    /// The newest [`crate::ServerMsg::HostProof`] this member received,
    /// when it was the host: a rebuilt room gives the host role to the
    /// member with the newest valid proof, never on a member's word.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_proof: Option<String>,
    pub ready: bool,
    pub control_mode: crate::ControlMode,
    /// The room's playback as last heard (its anchor is wall-clock time, so
    /// the relay can carry it forward).
    pub playback: crate::PlaybackState,
    #[serde(default)]
    pub media: Option<crate::MediaInfo>,
    /// The room's queue as last heard.
    #[serde(default, skip_serializing_if = "crate::QueueState::is_empty")]
    pub queue: crate::QueueState,
}
