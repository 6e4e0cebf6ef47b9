//! A party session: one room, one local player, one relay connection.

mod align;
mod effects;
mod player;
mod position;
mod runner;
mod sharing;

pub use align::AlignState;

use matinee_mpv::LaunchOptions;
use matinee_protocol::{
    ClientMsg, ControlMode, ErrorCode, Joined, MediaInfo, NoticeEvent, Participant, ParticipantId,
    PlaybackState, RoomCode, ServerMsg,
};
use matinee_sync::{EngineConfig, PlayerSample, SyncStatus};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, watch};

use crate::{
    compare_media, now_ms, Backoff, ClientError, MediaSource, MediaWarning, RelayEndpoint,
    RelayLink,
};
use player::Player;

/// Create a room or join one.
#[derive(Debug, Clone, PartialEq)]
pub enum Role {
    Host { control_mode: ControlMode },
    Join { code: RoomCode },
}

/// Everything a session needs to start.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The ways to the room's relay (an invite's candidates), best first.
    pub relay: Vec<RelayEndpoint>,
    pub nickname: String,
    pub role: Role,
    /// What to play (the user's own choice).
    pub media: MediaSource,
    pub mpv: LaunchOptions,
    pub engine: EngineConfig,
    /// Name sent in the hello, e.g. "matinee-cli/0.1.0".
    pub client_name: String,
    /// Show room notices and chat on mpv's OSD.
    pub osd_notices: bool,
    pub backoff: Backoff,
    /// Where this member's films are (series night: each queue entry is
    /// looked for there).
    pub film_folders: Vec<std::path::PathBuf>,
    /// The member's own Jellyfin server, signed in: queue entries are
    /// looked for there too, and its items can be added to the queue.
    pub jellyfin: Option<matinee_jellyfin::JellyfinClient>,
    /// Reports the opening film's playback to its Jellyfin server (when it
    /// is a Jellyfin item) until the room goes on to a queue entry, which
    /// reports its own.
    pub reporter: Option<matinee_jellyfin::Reporter>,
}

/// What the user asks of the session: one type for the app's room view
/// (which sends it as JSON, `{"kind": "seek", "position": 12.5}`; its
/// TypeScript name is `RoomCommand`), the CLI and tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export, rename = "RoomCommand")]
pub enum SessionCmd {
    /// Play from where the local player is.
    Play,
    /// Pause where the local player is.
    Pause,
    /// Jump to a position, in seconds.
    Seek {
        position: f64,
    },
    /// Change the room's speed (1.0 = normal).
    SetSpeed {
        speed: f64,
    },
    Ready {
        ready: bool,
    },
    Start {
        force: bool,
    },
    Chat {
        text: String,
    },
    /// Change one's name in the room (and in a rebuild after a restart).
    Rename {
        name: String,
    },
    SetControlMode {
        mode: ControlMode,
    },
    PassHost {
        to: ParticipantId,
    },
    Kick {
        participant: ParticipantId,
    },
    /// Host: play on without waiting while this participant buffers.
    StopWaitingFor {
        participant: ParticipantId,
    },
    /// Relaunch mpv after it was closed, at the room position.
    ReopenPlayer,
    /// Share a subtitle file (`.srt`, `.ass`, `.ssa`, `.vtt`, ≤ 2 MiB)
    /// with the room.
    ShareSubtitle {
        #[ts(type = "string")]
        path: std::path::PathBuf,
    },
    /// Show (`used`) or take out a subtitle file someone shared, by the
    /// room's number for it.
    UseSubtitle {
        id: u32,
        used: bool,
    },
    /// Propose tracks for everyone (host, or anyone in shared mode).
    ProposeTracks {
        proposal: matinee_protocol::TrackProposal,
    },
    /// Align this copy to the host's by sound (on by default), or sync
    /// positions as plain numbers.
    SetAlignment {
        on: bool,
    },
    /// Pick one of this player's tracks (None: subtitles or audio off).
    SelectTrack {
        track: matinee_protocol::TrackKind,
        id: Option<u32>,
    },
    Leave,
    /// Host only: end the party for everyone (the session ends when the
    /// relay says so).
    EndParty,
    /// Series night: add these films or episodes (this computer's files)
    /// to the room's queue.
    QueueAdd {
        #[ts(type = "Array<string>")]
        paths: Vec<std::path::PathBuf>,
        /// Go to the first of them as soon as the room has them.
        #[serde(default)]
        play: bool,
    },
    /// Take queue entry `id` out.
    QueueRemove {
        id: u32,
    },
    /// Move queue entry `id` to place `to` (from 0).
    QueueMove {
        id: u32,
        to: u32,
    },
    /// Go to queue entry `id` now.
    QueuePlay {
        id: u32,
    },
    /// Go to the entry after the current one now.
    QueueNext,
    /// Stay on this entry: stop the countdown to the next.
    QueueWait,
    /// Where this member's films are: each queue entry is looked for there.
    FilmFolders {
        #[ts(type = "Array<string>")]
        folders: Vec<std::path::PathBuf>,
    },
    /// Series night: add an item of my Jellyfin server (an episode, a
    /// film, a season or a whole series, in order) to the room's queue.
    QueueAddJellyfin {
        item: String,
        /// Go to the first of them as soon as the room has them.
        #[serde(default)]
        play: bool,
    },
    /// The member signed in to their Jellyfin server while in the room:
    /// entries are looked for there from now on (the app's own, never
    /// sent by the window).
    #[serde(skip)]
    #[ts(skip)]
    UseServer(Box<matinee_jellyfin::JellyfinClient>),
    /// This file is my copy of queue entry `id` (chosen by hand).
    ChooseCopy {
        id: u32,
        #[ts(type = "string")]
        path: std::path::PathBuf,
    },
}

/// The relay connection as the user should see it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConnectionState {
    Connected,
    Reconnecting {
        attempt: u32,
        #[ts(type = "number")]
        retry_in_ms: u64,
    },
    Offline {
        reason: String,
    },
}

/// What the session tells its face (app or CLI).
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum SessionEvent {
    Joined {
        code: RoomCode,
        you: ParticipantId,
        warnings: Vec<MediaWarning>,
    },
    Participants {
        participants: Vec<Participant>,
    },
    Playback {
        playback: PlaybackState,
    },
    /// The room's queue changed.
    Queue {
        queue: matinee_protocol::QueueState,
    },
    /// Which queue entries this member has a copy of (entry id → the
    /// file's name); the others they sit out.
    OwnCopies {
        copies: std::collections::BTreeMap<u32, String>,
    },
    /// Where this player is: about four times a second while it plays, at
    /// once when it pauses, resumes, jumps or learns the film's length.
    Position {
        position: Option<f64>,
        duration: Option<f64>,
        paused: bool,
    },
    /// Who may control playback changed (the host switched the room).
    ControlMode {
        mode: ControlMode,
    },
    Status {
        status: SyncStatus,
    },
    Drift {
        drift_ms: f64,
        factor: f64,
    },
    Connection {
        connection: ConnectionState,
    },
    Chat {
        from: ParticipantId,
        nickname: String,
        text: String,
    },
    Notice {
        event: NoticeEvent,
        text: String,
    },
    /// Someone shared a subtitle file; it is in this player now (and
    /// shown when `selected`).
    SubtitleShared {
        id: u32,
        from: ParticipantId,
        nickname: String,
        /// "English (SRT)".
        label: String,
        selected: bool,
    },
    /// A shared subtitle file was taken in (`used`) or out of the player.
    SubtitleUse {
        id: u32,
        used: bool,
    },
    /// A member's audio and subtitle tracks (this player's own too), and
    /// how people read each ("Japanese · Commentary (aac)").
    Tracks {
        participant: ParticipantId,
        tracks: Vec<matinee_protocol::TrackInfo>,
        labels: Vec<String>,
    },
    /// Someone proposed tracks; `outcome` says what this player did, one
    /// sentence per part ("Your copy has no Japanese audio; …").
    TrackProposal {
        nickname: String,
        proposal: matinee_protocol::TrackProposal,
        /// The proposal in words: "audio: Japanese, subtitles: English".
        description: String,
        outcome: Vec<String>,
    },
    /// Where aligning this copy to the host's by sound stands, in words.
    Alignment {
        state: AlignState,
        message: String,
        /// A match was found, so alignment can be turned on and off.
        switchable: bool,
    },
    /// An action of ours was refused (or undone) with this explanation.
    Refused {
        message: String,
    },
    PlayerClosed,
    PlayerReopened,
    /// The session is over.
    Ended {
        reason: String,
    },
}

/// The session's state at a glance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionSnapshot {
    pub code: RoomCode,
    pub you: ParticipantId,
    pub host: bool,
    pub control_mode: ControlMode,
    pub participants: Vec<Participant>,
    pub playback: PlaybackState,
    pub status: SyncStatus,
    pub drift_ms: Option<f64>,
    /// The estimated relay clock minus ours (`now_ms`), in ms.
    pub clock_offset_ms: Option<f64>,
    pub connection: ConnectionState,
    pub media: MediaInfo,
    pub room_media: Option<MediaInfo>,
    pub warnings: Vec<MediaWarning>,
    pub player_open: bool,
    /// mpv's IPC endpoint, for tools that sample it on their own connection.
    pub player_endpoint: Option<String>,
    pub player_pid: Option<u32>,
    pub relay_url: String,
    /// The drift controller keeping this player in step.
    pub controller: matinee_sync::ControllerKind,
    pub controls_sent: u64,
    pub seeks: u64,
    /// The line from this copy's time to the room's (the identity unless
    /// aligned by sound).
    pub line: matinee_align::Line,
    /// Each member's audio and subtitle tracks, this player's included.
    pub tracks: std::collections::BTreeMap<ParticipantId, Vec<matinee_protocol::TrackInfo>>,
    /// The room's queue, as the relay last said.
    pub queue: matinee_protocol::QueueState,
    /// This member's copy of each queue entry it has one of (entry id →
    /// the file's name).
    pub own_copies: std::collections::BTreeMap<u32, String>,
}

/// A running session.
pub struct PartyHandle {
    cmd: mpsc::Sender<SessionCmd>,
    events: broadcast::Sender<SessionEvent>,
    snapshot: watch::Receiver<SessionSnapshot>,
    local: watch::Receiver<Option<PlayerSample>>,
    task: tokio::task::JoinHandle<()>,
}

impl PartyHandle {
    /// Sends a command; false when the session has ended.
    pub fn send(&self, cmd: SessionCmd) -> bool {
        self.cmd.try_send(cmd).is_ok()
    }

    pub fn events(&self) -> broadcast::Receiver<SessionEvent> {
        self.events.subscribe()
    }

    pub fn snapshot(&self) -> SessionSnapshot {
        self.snapshot.borrow().clone()
    }

    pub fn watch(&self) -> watch::Receiver<SessionSnapshot> {
        self.snapshot.clone()
    }

    /// The local player, sampled every tick (none while it is closed);
    /// closes when the session ends.
    pub fn player_samples(&self) -> watch::Receiver<Option<PlayerSample>> {
        self.local.clone()
    }

    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Leaves the room, closes the player and waits for the end.
    pub async fn leave(self) {
        let _ = self.cmd.send(SessionCmd::Leave).await;
        let _ = self.task.await;
    }

    /// Waits until the session ends by itself.
    pub async fn finished(self) {
        let _ = self.task.await;
    }
}

/// Starting sessions.
pub struct PartySession;

impl PartySession {
    /// Opens the file in mpv, connects to the relay, creates or joins the
    /// room, and runs the session until it ends.
    pub async fn start(config: SessionConfig) -> Result<PartyHandle, ClientError> {
        let mut media = config.media.info().map_err(|e| ClientError::Media {
            path: config.media.target.clone(),
            reason: e.to_string(),
        })?;
        // The relay first: when it is unreachable, say so before a player
        // window opens.
        let (link, connected, link_events) =
            RelayLink::connect(&config.relay, &config.client_name, config.backoff.clone()).await?;
        let player = Player::open(&config.mpv, &config.media, None).await?;
        media.duration = media.duration.or(player.duration());
        let mut link_events = link_events;
        let request = match &config.role {
            Role::Host { control_mode } => ClientMsg::Create {
                nickname: config.nickname.clone(),
                control_mode: *control_mode,
                media: Some(media.clone()),
            },
            Role::Join { code } => ClientMsg::Join {
                code: code.clone(),
                nickname: config.nickname.clone(),
                media: Some(media.clone()),
            },
        };
        link.send(request);
        let joined = wait_joined(&mut link_events).await?;
        let warnings = match (&config.role, &joined.room.media) {
            (Role::Join { .. }, Some(room_media)) => compare_media(&media, room_media),
            _ => Vec::new(),
        };
        let me = joined.room.participants.iter().find(|p| p.id == joined.you);
        let snapshot = SessionSnapshot {
            code: joined.room.code.clone(),
            you: joined.you,
            host: me.is_some_and(|p| p.host),
            control_mode: joined.room.control_mode,
            participants: joined.room.participants.clone(),
            playback: joined.room.playback,
            status: SyncStatus::Waiting,
            drift_ms: None,
            clock_offset_ms: None,
            connection: ConnectionState::Connected,
            media,
            room_media: joined.room.media.clone(),
            warnings: warnings.clone(),
            player_open: true,
            player_endpoint: Some(player.endpoint()),
            player_pid: player.pid(),
            relay_url: connected.url.clone(),
            controller: config.engine.controller,
            controls_sent: 0,
            seeks: 0,
            tracks: Default::default(),
            queue: Default::default(),
            own_copies: Default::default(),
            line: matinee_align::Line::IDENTITY,
        };
        let (events, _) = broadcast::channel(1024);
        let (snap_tx, snap_rx) = watch::channel(snapshot);
        let (cmd_tx, cmd_rx) = mpsc::channel(64);
        let (local_tx, local_rx) = watch::channel(None);
        let _ = events.send(SessionEvent::Joined {
            code: joined.room.code.clone(),
            you: joined.you,
            warnings,
        });
        let queue = joined.room.queue.clone();
        let runner = runner::Runner::new(
            config,
            runner::Relay {
                link,
                events: link_events,
            },
            player,
            *joined,
            runner::Outlets {
                events: events.clone(),
                snapshot: snap_tx,
                local: local_tx,
            },
            now_ms(),
        );
        let task = tokio::spawn(runner.run(cmd_rx, queue));
        Ok(PartyHandle {
            cmd: cmd_tx,
            events,
            snapshot: snap_rx,
            local: local_rx,
            task,
        })
    }
}

async fn wait_joined(
    events: &mut mpsc::Receiver<crate::LinkEvent>,
) -> Result<Box<Joined>, ClientError> {
    let wait = async {
        while let Some(ev) = events.recv().await {
            match ev {
                crate::LinkEvent::Message(ServerMsg::Joined(j)) => return Ok(j),
                crate::LinkEvent::Message(ServerMsg::Error { code, message, .. }) => {
                    return Err(ClientError::Refused { code, message })
                }
                crate::LinkEvent::Down { .. } => return Err(ClientError::RelayLost),
                _ => {}
            }
        }
        Err(ClientError::RelayLost)
    };
    tokio::time::timeout(std::time::Duration::from_secs(15), wait)
        .await
        .unwrap_or(Err(ClientError::Refused {
            code: ErrorCode::Unavailable,
            message: "the relay did not answer the join within 15 s".into(),
        }))
}

#[cfg(test)]
mod command_wire {
    use super::SessionCmd;
    use serde_json::json;

    /// The room view sends commands as JSON; the same type serves the CLI.
    #[test]
    fn the_room_view_s_json_is_a_session_command() {
        let read = |v: serde_json::Value| serde_json::from_value::<SessionCmd>(v);
        assert_eq!(
            read(json!({ "kind": "seek", "position": 12.5 })).unwrap(),
            SessionCmd::Seek { position: 12.5 }
        );
        assert_eq!(
            read(json!({ "kind": "use_subtitle", "id": 2, "used": false })).unwrap(),
            SessionCmd::UseSubtitle { id: 2, used: false }
        );
        assert_eq!(
            read(json!({ "kind": "select_track", "track": "sub", "id": null })).unwrap(),
            SessionCmd::SelectTrack {
                track: matinee_protocol::TrackKind::Sub,
                id: None
            }
        );
        assert!(read(json!({ "kind": "run", "command": "rm" })).is_err());
        assert!(read(json!({ "kind": "seek" })).is_err());
        // And back: what the CLI or a test sends reads the same.
        let cmd = SessionCmd::PassHost { to: 3 };
        assert_eq!(read(serde_json::to_value(&cmd).unwrap()).unwrap(), cmd);
    }
}
