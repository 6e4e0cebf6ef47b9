//! The translation between one Syncplay client and its seat in a Matinee
//! room, without I/O: Syncplay commands in, room messages out, and the
//! room's messages back into Syncplay's words. The room treats the seat
//! like any other: the Syncplay friend's pause, play and seek are controls
//! under the room's control mode, their reported positions are reports
//! (drift shown, never pulling the room).
//!
//! Echoes: every change the room makes is sent to the client as a forced
//! state and counted (`ignoringOnTheFly.server`); until the client
//! acknowledges the count, what it reports is the old state catching up
//! and is ignored, as Syncplay's own server does. A change of the client's
//! own becomes one control, and the room's answer to it is not sent back
//! as a new change.

use std::collections::BTreeMap;

use matinee_protocol::{
    ClientMsg, ControlAction, ControlMode, ErrorCode, Joined, MediaInfo, NoticeEvent, Participant,
    ParticipantId, PlaybackState, RoomCode, ServerMsg, StateReport,
};
use serde_json::{json, Value};

use super::wire::{self, ClientState, FileInfo, Setting};

/// A position change larger than this is a seek (Syncplay's threshold).
const SEEK_THRESHOLD_S: f64 = 1.0;
/// Weight of the previous RTT in the moving average (Syncplay's).
const RTT_EMA_KEEP: f64 = 0.85;
/// Who speaks in chat lines the relay writes itself.
pub(super) const RELAY_NAME: &str = "Matinee";
/// The Syncplay version the bridge answers as: chat, readiness and the
/// feature list need at least 1.5.
pub(super) const SPOKEN_VERSION: &str = "1.7.0";

/// What the connection does next.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Effect {
    /// A line to the Syncplay client.
    Line(String),
    /// A message to the room, as this seat.
    Room(ClientMsg),
    /// The round trip to the client, in milliseconds.
    Rtt(f64),
    /// Send nothing more; close (after the lines before it).
    Close,
}

struct Person {
    nickname: String,
    ready: bool,
    host: bool,
}

/// Syncplay's ping arithmetic: a moving average of the round trip, and the
/// one-way delay of the last message.
#[derive(Default)]
struct Ping {
    rtt_s: f64,
    avg_rtt_s: f64,
    forward_delay_s: f64,
}

impl Ping {
    fn measured(&mut self, rtt_s: f64, sender_rtt_s: f64) {
        if !(0.0..60.0).contains(&rtt_s) || sender_rtt_s < 0.0 {
            return;
        }
        self.rtt_s = rtt_s;
        self.avg_rtt_s = if self.avg_rtt_s == 0.0 {
            rtt_s
        } else {
            self.avg_rtt_s * RTT_EMA_KEEP + rtt_s * (1.0 - RTT_EMA_KEEP)
        };
        self.forward_delay_s = if sender_rtt_s < rtt_s {
            self.avg_rtt_s / 2.0 + (rtt_s - sender_rtt_s)
        } else {
            self.avg_rtt_s / 2.0
        }
        .min(5.0);
    }
}

pub(super) struct Bridge {
    code: RoomCode,
    me: ParticipantId,
    people: BTreeMap<ParticipantId, Person>,
    control_mode: ControlMode,
    playback: PlaybackState,
    /// Who made the room's last change (Syncplay's `setBy`).
    set_by: Option<String>,
    /// The paused state the client was last told.
    told_paused: bool,
    /// Forced states sent and not yet acknowledged.
    server_ignoring: u64,
    /// The client's own count of changes, to acknowledge once.
    client_ignoring: u64,
    /// The last count of the client's own changes seen (0 after we
    /// acknowledged it, as the client starts again from 0).
    client_changes_seen: u64,
    /// The client counted a change of its own but sent no playstate with
    /// it: Syncplay withholds its state while an earlier change of its own
    /// is unacknowledged, so the next playstate it sends carries the
    /// change (a seek right after a pause would be lost otherwise).
    withheld_change: bool,
    ping: Ping,
    /// The client's stamp to echo, with the server time it arrived.
    client_stamp: Option<(f64, f64)>,
    seq: u64,
    /// A control of ours the room has not answered yet.
    pending: Option<u64>,
    /// The last file the client told us of.
    file: Option<FileInfo>,
    /// What everyone else plays, as far as the room said.
    media: BTreeMap<ParticipantId, MediaInfo>,
}

fn seconds(ms: f64) -> f64 {
    ms / 1000.0
}

impl Bridge {
    /// A seat just taken: `joined` is the room's answer.
    pub fn new(joined: &Joined) -> Self {
        let room = &joined.room;
        let mut bridge = Bridge {
            code: room.code.clone(),
            me: joined.you,
            people: BTreeMap::new(),
            control_mode: room.control_mode,
            playback: room.playback,
            set_by: None,
            told_paused: true,
            server_ignoring: 0,
            client_ignoring: 0,
            client_changes_seen: 0,
            withheld_change: false,
            ping: Ping::default(),
            client_stamp: None,
            seq: 0,
            pending: None,
            file: None,
            media: room
                .participants
                .iter()
                .filter_map(|p| Some((p.id, p.media.clone()?)))
                .collect(),
        };
        bridge.learn_people(&room.participants);
        bridge
    }

    fn learn_people(&mut self, list: &[Participant]) {
        self.people = list
            .iter()
            .map(|p| {
                let person = Person {
                    nickname: p.nickname.clone(),
                    ready: p.ready,
                    host: p.host,
                };
                (p.id, person)
            })
            .collect();
    }

    /// This seat's name in the room (the room made it unique).
    pub fn my_name(&self) -> &str {
        self.people
            .get(&self.me)
            .map_or("", |p| p.nickname.as_str())
    }

    fn name_of(&self, id: ParticipantId) -> Option<String> {
        self.people.get(&id).map(|p| p.nickname.clone())
    }

    fn host_name(&self) -> Option<String> {
        self.people
            .values()
            .find(|p| p.host)
            .map(|p| p.nickname.clone())
    }

    /// The answer to the client's `Hello`, and what a newcomer needs next.
    pub fn hello(
        &mut self,
        hello: &wire::Hello,
        max_chat_chars: usize,
        now_ms: f64,
    ) -> Vec<Effect> {
        let features = json!({
            "isolateRooms": true,
            "readiness": true,
            "managedRooms": false,
            "persistentRooms": false,
            "chat": true,
            "sharedPlaylists": false,
            "featureList": true,
            "setOthersReadiness": false,
            "maxChatMessageLength": max_chat_chars,
            "maxUsernameLength": matinee_protocol::MAX_NICKNAME_CHARS,
            "maxRoomNameLength": 35,
            "maxFilenameLength": 250,
        });
        let body = json!({
            "username": self.my_name(),
            "room": { "name": self.code.as_str() },
            "version": hello.compat_version,
            "realversion": SPOKEN_VERSION,
            "features": features,
            "motd": self.motd(),
        });
        // Matinee rooms have no shared playlist: an empty one, as
        // Syncplay's server sends a newcomer (a client keeps its own file
        // unloaded until it hears the playlist's index).
        vec![
            Effect::Line(wire::line("Hello", body)),
            Effect::Line(wire::set(
                "playlistChange",
                json!({ "user": null, "files": [] }),
            )),
            Effect::Line(wire::set(
                "playlistIndex",
                json!({ "user": null, "index": null }),
            )),
            self.state_line(now_ms, true, true),
        ]
    }

    fn motd(&self) -> String {
        let who = match (self.control_mode, self.host_name()) {
            (ControlMode::HostOnly, Some(host)) => {
                format!("{host} (the host) controls playback; your pauses and seeks are put back.")
            }
            (ControlMode::HostOnly, None) => "Only the host controls playback.".to_string(),
            (ControlMode::Shared, _) => "Everyone here can play, pause and seek.".to_string(),
        };
        format!(
            "Welcome to Matinee room {}, through its Syncplay bridge. {who}",
            self.code
        )
    }

    /// A `State` line: the room's position now, with the ping fields and
    /// the ignoring counters. A forced one carries a change and is counted.
    fn state_line(&mut self, now_ms: f64, do_seek: bool, forced: bool) -> Effect {
        let paused = self.paused_for_client(now_ms);
        let mut ping = json!({
            "latencyCalculation": seconds(now_ms),
            "serverRtt": self.ping.rtt_s,
        });
        if let Some((stamp, arrived_ms)) = self.client_stamp.take() {
            ping["clientLatencyCalculation"] = json!(stamp + seconds(now_ms - arrived_ms));
        }
        let mut state = json!({
            "ping": ping,
            "playstate": {
                "position": self.playback.position_at(now_ms),
                "paused": paused,
                "doSeek": do_seek,
                "setBy": self.set_by,
            },
        });
        if forced {
            self.server_ignoring += 1;
        }
        if self.server_ignoring > 0 || self.client_ignoring > 0 {
            let mut ignoring = serde_json::Map::new();
            if self.server_ignoring > 0 {
                ignoring.insert("server".into(), json!(self.server_ignoring));
            }
            if self.client_ignoring > 0 {
                ignoring.insert("client".into(), json!(self.client_ignoring));
                self.client_ignoring = 0;
                self.client_changes_seen = 0;
            }
            state["ignoringOnTheFly"] = Value::Object(ignoring);
        }
        self.told_paused = paused;
        Effect::Line(wire::line("State", state))
    }

    /// How early a start is told, so that it reaches the client when it
    /// comes: Syncplay starts its player when the message arrives and
    /// leaves a gap under 1.5 s alone, so a late start would stay late all
    /// film long.
    fn start_lead_ms(&self) -> f64 {
        (self.ping.forward_delay_s * 1000.0).min(2000.0)
    }

    /// Whether the client is to be paused now: a scheduled start counts
    /// from one one-way delay before it.
    fn paused_for_client(&self, now_ms: f64) -> bool {
        !self.playback.is_playing_at(now_ms + self.start_lead_ms())
    }

    /// The next server time at which the client must hear of a change
    /// nobody made: a start scheduled on the room's clock (told a one-way
    /// delay early).
    pub fn next_wake_ms(&self, now_ms: f64) -> Option<f64> {
        let p = &self.playback;
        let at = p.anchor_ms - self.start_lead_ms();
        (!p.paused && at > now_ms).then_some(at)
    }

    /// Time passed: a scheduled start came.
    pub fn tick(&mut self, now_ms: f64) -> Vec<Effect> {
        if self.paused_for_client(now_ms) != self.told_paused {
            vec![self.state_line(now_ms, false, true)]
        } else {
            Vec::new()
        }
    }

    /// A message the room sent this seat.
    pub fn on_room(&mut self, msg: ServerMsg, now_ms: f64) -> Vec<Effect> {
        match msg {
            ServerMsg::State {
                playback, cause, ..
            } => self.on_room_state(playback, cause, now_ms),
            ServerMsg::Participants { participants } => self.on_participants(&participants),
            ServerMsg::Media {
                participant,
                media: Some(media),
            } if participant != self.me => self.on_media(participant, &media),
            ServerMsg::Chat { nickname, text, .. } => {
                vec![Effect::Line(wire::chat(&nickname, &text))]
            }
            ServerMsg::Notice { event, text, .. } if tells_syncplay_users(event) => {
                vec![Effect::Line(wire::chat(RELAY_NAME, &text))]
            }
            ServerMsg::ControlMode { mode } => {
                self.control_mode = mode;
                Vec::new()
            }
            ServerMsg::Error {
                code,
                message,
                fatal,
            } => self.on_error(code, &message, fatal, now_ms),
            ServerMsg::Left { reason } => {
                vec![Effect::Line(wire::error(&reason)), Effect::Close]
            }
            _ => Vec::new(),
        }
    }

    fn on_room_state(
        &mut self,
        playback: PlaybackState,
        cause: Option<matinee_protocol::ControlCause>,
        now_ms: f64,
    ) -> Vec<Effect> {
        let before = self.playback;
        self.playback = playback;
        if let Some(c) = &cause {
            self.set_by = self.name_of(c.by);
            if c.by == self.me && self.pending == Some(c.seq) {
                self.pending = None;
            }
        }
        let jumped =
            (playback.position_at(now_ms) - before.position_at(now_ms)).abs() > SEEK_THRESHOLD_S;
        let seek = matches!(cause.map(|c| c.action), Some(ControlAction::Seek { .. })) || jumped;
        let paused_now = self.paused_for_client(now_ms);
        if cause.is_some() || seek || paused_now != self.told_paused {
            vec![self.state_line(now_ms, seek, true)]
        } else if self.server_ignoring == 0 && self.pending.is_none() {
            // The room's once-a-second state: Syncplay's own pace.
            vec![self.state_line(now_ms, false, false)]
        } else {
            Vec::new()
        }
    }

    fn on_participants(&mut self, list: &[Participant]) -> Vec<Effect> {
        let mut out = Vec::new();
        let room = json!({ "name": self.code.as_str() });
        if let (Some(known), Some(now)) = (
            self.people.get(&self.me),
            list.iter().find(|p| p.id == self.me),
        ) {
            // The client learns its own readiness from the server too.
            if known.ready != now.ready {
                out.push(ready_line(&now.nickname, now.ready));
            }
        }
        for p in list.iter().filter(|p| p.id != self.me) {
            match self.people.get(&p.id) {
                None => {
                    let user =
                        json!({ &p.nickname: { "room": room, "event": { "joined": true } } });
                    out.push(Effect::Line(wire::set("user", user)));
                    out.push(ready_line(&p.nickname, p.ready));
                }
                Some(known) if known.nickname != p.nickname => {
                    let gone =
                        json!({ &known.nickname: { "room": room, "event": { "left": true } } });
                    out.push(Effect::Line(wire::set("user", gone)));
                    let user =
                        json!({ &p.nickname: { "room": room, "event": { "joined": true } } });
                    out.push(Effect::Line(wire::set("user", user)));
                    out.push(ready_line(&p.nickname, p.ready));
                }
                Some(known) if known.ready != p.ready => out.push(ready_line(&p.nickname, p.ready)),
                Some(_) => {}
            }
        }
        for (id, known) in &self.people {
            if *id != self.me && !list.iter().any(|p| p.id == *id) {
                let gone = json!({ &known.nickname: { "room": room, "event": { "left": true } } });
                out.push(Effect::Line(wire::set("user", gone)));
            }
        }
        self.learn_people(list);
        out
    }

    fn on_media(&mut self, id: ParticipantId, media: &MediaInfo) -> Vec<Effect> {
        self.media.insert(id, media.clone());
        let Some(name) = self.name_of(id) else {
            return Vec::new();
        };
        let user = json!({ name: {
            "room": { "name": self.code.as_str() },
            "file": file_json(media),
        } });
        vec![Effect::Line(wire::set("user", user))]
    }

    fn on_error(
        &mut self,
        code: ErrorCode,
        message: &str,
        fatal: bool,
        now_ms: f64,
    ) -> Vec<Effect> {
        if fatal {
            return vec![Effect::Line(wire::error(message)), Effect::Close];
        }
        let mut out = vec![Effect::Line(wire::chat(RELAY_NAME, message))];
        if self.pending.take().is_some() || code == ErrorCode::NotHost {
            // The client's change was refused: put its player back where
            // the room is.
            out.push(self.state_line(now_ms, true, true));
        }
        out
    }

    /// A command from the client (after its `Hello`).
    pub fn on_client(&mut self, incoming: wire::Incoming, now_ms: f64) -> Vec<Effect> {
        match incoming {
            wire::Incoming::State(state) => self.on_client_state(state, now_ms),
            wire::Incoming::Set(items) => items
                .into_iter()
                .flat_map(|item| self.on_setting(item, now_ms))
                .collect(),
            wire::Incoming::List => vec![self.list_line()],
            wire::Incoming::Chat(text) => {
                let text = text.trim().to_string();
                if text.is_empty() {
                    Vec::new()
                } else {
                    vec![Effect::Room(ClientMsg::Chat { text })]
                }
            }
            wire::Incoming::Error(message) => {
                tracing::debug!(%message, "the Syncplay client reported an error");
                vec![Effect::Close]
            }
            // Only before the Hello (the connection answers those).
            wire::Incoming::StartTls => vec![Effect::Line(wire::tls(false))],
            wire::Incoming::Hello(_) => Vec::new(),
        }
    }

    fn on_client_state(&mut self, state: ClientState, now_ms: f64) -> Vec<Effect> {
        let mut out = Vec::new();
        if let Some(stamp) = state.echoed_stamp {
            let rtt_s = seconds(now_ms) - stamp;
            self.ping.measured(rtt_s, state.client_rtt.unwrap_or(0.0));
            if (0.0..60.0).contains(&rtt_s) {
                out.push(Effect::Rtt(rtt_s * 1000.0));
            }
        }
        if let Some(stamp) = state.client_stamp {
            self.client_stamp = Some((stamp, now_ms));
        }
        if state.ack_server == Some(self.server_ignoring) {
            self.server_ignoring = 0;
        }
        // A person's own change (the client counts them) is read even while
        // an earlier change is on its way: a pause and a seek in a row both
        // reach the room.
        let mut own_change = false;
        if let Some(n) = state.client_changes {
            self.client_ignoring = n;
            own_change = n != self.client_changes_seen;
            self.client_changes_seen = n;
        }
        let Some(ps) = state.playstate else {
            self.withheld_change |= own_change;
            return out;
        };
        let withheld = std::mem::take(&mut self.withheld_change);
        if self.file.is_none() {
            // Its player is still loading the film (Syncplay tells the file
            // once loaded): what it reports now is the load, not a person.
            return out;
        }
        let catching_up = self.server_ignoring != 0 || self.pending.is_some();
        if catching_up && !own_change && !withheld && !ps.do_seek {
            // The old state catching up with a change, or ours on its way.
            return out;
        }
        // When the client read its position (Syncplay's message age).
        let read_ms = now_ms - self.ping.forward_delay_s * 1000.0;
        let room_paused = !self.playback.is_playing_at(now_ms);
        let paused = ps.paused.unwrap_or(room_paused);
        let action = self.change_in(&ps, paused, room_paused, catching_up, withheld, read_ms);
        if action.is_none() && catching_up {
            return out;
        }
        match action {
            Some(action) => {
                self.seq += 1;
                self.pending = Some(self.seq);
                out.push(Effect::Room(ClientMsg::Control {
                    seq: self.seq,
                    action,
                    server_ms: Some(read_ms),
                }));
            }
            None => out.push(Effect::Room(ClientMsg::State(StateReport {
                position: ps.position,
                paused,
                speed: 1.0,
                buffering: false,
                player_closed: false,
                server_ms: read_ms,
                epoch: self.playback.epoch,
            }))),
        }
        out
    }

    /// The person's change a client state carries, if any. While the client
    /// has not yet seen the room's latest change, only what it says it did
    /// counts (a seek is a seek, not also a play because the room paused
    /// meanwhile); a change it withheld is read from where its player is.
    fn change_in(
        &self,
        ps: &wire::Playstate,
        paused: bool,
        room_paused: bool,
        catching_up: bool,
        withheld: bool,
        read_ms: f64,
    ) -> Option<ControlAction> {
        let position = ps.position;
        if catching_up && ps.do_seek {
            return Some(ControlAction::Seek { position });
        }
        let moved = || (position - self.playback.position_at(read_ms)).abs() > SEEK_THRESHOLD_S;
        if paused != room_paused {
            Some(if paused {
                ControlAction::Pause { position }
            } else {
                ControlAction::Play { position }
            })
        } else if ps.do_seek || (withheld && moved()) {
            Some(ControlAction::Seek { position })
        } else {
            None
        }
    }

    fn on_setting(&mut self, item: Setting, now_ms: f64) -> Vec<Effect> {
        match item {
            Setting::Room(name) => {
                if RoomCode::parse(&name).is_ok_and(|c| c == self.code) {
                    return Vec::new();
                }
                let text = format!(
                    "This connection stays in Matinee room {}: to join another room, reconnect with its code as the room name.",
                    self.code
                );
                vec![
                    Effect::Line(wire::chat(RELAY_NAME, &text)),
                    Effect::Line(wire::set("room", json!({ "name": self.code.as_str() }))),
                ]
            }
            Setting::File(file) => {
                let media = MediaInfo {
                    name: file.name.chars().take(250).collect(),
                    size_bytes: file.size,
                    duration: file.duration,
                    provider_ids: Default::default(),
                };
                let first = self.file.replace(file).is_none();
                let mut out = vec![Effect::Room(ClientMsg::Media { media })];
                if first {
                    // Its player just loaded the film wherever the load
                    // left it: put it where the room is.
                    out.push(self.state_line(now_ms, true, true));
                }
                out
            }
            Setting::Ready { ready, username } => match username {
                Some(other) if other != self.my_name() => {
                    let text = "In a Matinee room each person says whether they are ready.";
                    vec![Effect::Line(wire::chat(RELAY_NAME, text))]
                }
                _ => vec![Effect::Room(ClientMsg::Ready { ready })],
            },
            Setting::ControllerAuth => {
                let text = "Matinee rooms have no controller passwords: the host chooses who controls playback.";
                let refused = json!({
                    "user": self.my_name(),
                    "room": self.code.as_str(),
                    "success": false,
                });
                vec![
                    Effect::Line(wire::set("controllerAuth", refused)),
                    Effect::Line(wire::chat(RELAY_NAME, text)),
                ]
            }
            Setting::Playlist => {
                let text =
                    "Shared playlists are not part of Matinee rooms: open the film in your player.";
                vec![Effect::Line(wire::chat(RELAY_NAME, text))]
            }
            Setting::Features | Setting::Other => Vec::new(),
        }
    }

    /// Syncplay's `List`: everyone in this room, the host as controller.
    fn list_line(&self) -> Effect {
        let mut users = serde_json::Map::new();
        for (id, p) in &self.people {
            let file = if *id == self.me {
                self.file.as_ref().map(|f| {
                    json!({ "name": f.name, "duration": f.duration.unwrap_or(0.0), "size": f.size.unwrap_or(0) })
                })
            } else {
                self.media.get(id).map(file_json)
            };
            users.insert(
                p.nickname.clone(),
                json!({
                    "position": 0,
                    "file": file.unwrap_or_else(|| json!({})),
                    "controller": p.host,
                    "isReady": p.ready,
                    "features": {},
                }),
            );
        }
        let mut rooms = serde_json::Map::new();
        rooms.insert(self.code.to_string(), Value::Object(users));
        Effect::Line(wire::line("List", Value::Object(rooms)))
    }
}

fn ready_line(name: &str, ready: bool) -> Effect {
    Effect::Line(wire::set(
        "ready",
        json!({ "username": name, "isReady": ready, "manuallyInitiated": false }),
    ))
}

fn file_json(media: &MediaInfo) -> Value {
    json!({
        "name": media.name,
        "duration": media.duration.unwrap_or(0.0),
        "size": media.size_bytes.unwrap_or(0),
    })
}

/// Notices a Syncplay user would not learn otherwise (joins, leaves,
/// pauses and seeks already show in Syncplay's own words).
fn tells_syncplay_users(event: NoticeEvent) -> bool {
    matches!(
        event,
        NoticeEvent::Kicked
            | NoticeEvent::HostChanged
            | NoticeEvent::ControlModeChanged
            | NoticeEvent::SpeedChanged
            | NoticeEvent::StartScheduled
            | NoticeEvent::Buffering
            | NoticeEvent::BufferingDone
            | NoticeEvent::Ended
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use matinee_protocol::{ControlCause, RoomSnapshot};

    const NOW: f64 = 1_795_327_500_000.0;

    fn person(id: ParticipantId, name: &str, host: bool) -> Participant {
        Participant {
            id,
            nickname: name.into(),
            host,
            ready: false,
            buffering: false,
            catching_up: false,
            reconnecting: false,
            player_closed: false,
            rtt_ms: None,
            link: None,
            position: None,
            drift_ms: None,
            media: None,
            joined_ms: NOW,
            via: None,
        }
    }

    fn joined(mode: ControlMode) -> Joined {
        let mut ana = person(1, "Ana", true);
        ana.media = Some(MediaInfo {
            name: "Film.mkv".into(),
            size_bytes: Some(7),
            duration: Some(5400.0),
            provider_ids: Default::default(),
        });
        Joined {
            you: 2,
            resume_token: "t".into(),
            resume_grace_secs: 30.0,
            server_ms: NOW,
            room: RoomSnapshot {
                code: RoomCode::parse("K7MQ2X").unwrap(),
                control_mode: mode,
                participants: vec![ana, person(2, "Bo", false)],
                playback: PlaybackState::initial(NOW),
                media: None,
                queue: Default::default(),
            },
        }
    }

    fn hello() -> wire::Hello {
        wire::Hello {
            username: "Bo".into(),
            room: "k7mq2x".into(),
            version: "1.6.9".into(),
            compat_version: "1.2.255".into(),
        }
    }

    /// The lines among effects, parsed.
    fn lines(effects: &[Effect]) -> Vec<Value> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Line(l) => Some(serde_json::from_str(l).unwrap()),
                _ => None,
            })
            .collect()
    }

    /// The room was sent exactly one control: a seek to `to`.
    fn assert_one_seek(out: &[ClientMsg], to: f64) {
        assert!(
            matches!(out, [ClientMsg::Control { action: ControlAction::Seek { position }, .. }] if *position == to),
            "{out:?}"
        );
    }

    fn room_msgs(effects: &[Effect]) -> Vec<ClientMsg> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Room(m) => Some(m.clone()),
                _ => None,
            })
            .collect()
    }

    fn client_state(v: Value) -> wire::Incoming {
        let line = wire::line("State", v);
        wire::parse_line(&line).unwrap().remove(0)
    }

    /// The client's player has loaded its film (Syncplay says which).
    fn loaded(b: &mut Bridge) -> Vec<Effect> {
        let file = wire::FileInfo {
            name: "film.mkv".into(),
            duration: Some(120.0),
            size: None,
        };
        b.on_client(wire::Incoming::Set(vec![Setting::File(file)]), NOW)
    }

    /// A bridge that greeted its client, which loaded its film and
    /// acknowledged both forced states (the greeting's, the film's).
    fn greeted(mode: ControlMode) -> Bridge {
        let mut b = Bridge::new(&joined(mode));
        b.hello(&hello(), 500, NOW);
        loaded(&mut b);
        b.on_client(
            client_state(json!({"ignoringOnTheFly": {"server": 2}})),
            NOW,
        );
        b
    }

    /// The room's state reaching the bridge at `at`.
    fn room_state(
        b: &mut Bridge,
        playback: PlaybackState,
        cause: Option<ControlCause>,
        at: f64,
    ) -> Vec<Effect> {
        b.on_room(
            ServerMsg::State {
                playback,
                server_ms: at,
                cause,
            },
            at,
        )
    }

    fn playing(position: f64, epoch: u64) -> PlaybackState {
        PlaybackState {
            position,
            paused: false,
            speed: 1.0,
            anchor_ms: NOW,
            epoch,
            waiting_for_buffering: false,
        }
    }

    fn paused_at(position: f64, epoch: u64) -> PlaybackState {
        PlaybackState {
            paused: true,
            ..playing(position, epoch)
        }
    }

    /// A greeted client in a shared room that plays from `position`,
    /// which has acknowledged being told so.
    fn playing_in_step(position: f64, epoch: u64) -> Bridge {
        let mut b = greeted(ControlMode::Shared);
        room_state(&mut b, playing(position, epoch), None, NOW);
        b.on_client(
            client_state(json!({"ignoringOnTheFly": {"server": 1}})),
            NOW,
        );
        b
    }

    #[test]
    fn hello_answers_with_the_room_an_empty_playlist_and_a_forced_state() {
        let mut b = Bridge::new(&joined(ControlMode::HostOnly));
        let out = lines(&b.hello(&hello(), 500, NOW));
        assert_eq!(out[0]["Hello"]["username"], "Bo");
        assert_eq!(out[0]["Hello"]["room"]["name"], "K7MQ2X");
        assert_eq!(out[0]["Hello"]["version"], "1.2.255");
        assert_eq!(out[0]["Hello"]["realversion"], SPOKEN_VERSION);
        assert_eq!(out[0]["Hello"]["features"]["maxChatMessageLength"], 500);
        assert!(out[0]["Hello"]["motd"]
            .as_str()
            .unwrap()
            .contains("Ana (the host)"));
        assert_eq!(out[1]["Set"]["playlistChange"]["files"], json!([]));
        assert_eq!(out[2]["Set"]["playlistIndex"]["index"], Value::Null);
        let state = &out[3]["State"];
        assert_eq!(state["playstate"]["doSeek"], true);
        assert_eq!(state["playstate"]["paused"], true);
        assert_eq!(state["ignoringOnTheFly"]["server"], 1);
    }

    #[test]
    fn a_stale_state_is_ignored_until_the_client_acknowledges() {
        let mut b = Bridge::new(&joined(ControlMode::Shared));
        b.hello(&hello(), 500, NOW);
        loaded(&mut b);
        // Still catching up (no acknowledgement): a "playing" report from
        // before the forced state is not a play.
        let stale = json!({"playstate": {"position": 3.0, "paused": false}});
        assert!(room_msgs(&b.on_client(client_state(stale.clone()), NOW)).is_empty());
        let mut acked = stale;
        acked["ignoringOnTheFly"] = json!({"server": 2});
        let out = room_msgs(&b.on_client(client_state(acked), NOW));
        assert!(
            matches!(out[..], [ClientMsg::Control { seq: 1, action: ControlAction::Play { position }, .. }] if position == 3.0)
        );
    }

    #[test]
    fn a_pause_becomes_one_control_and_the_rooms_answer_is_no_new_change() {
        let mut b = playing_in_step(10.0, 1);
        let own = json!({"playstate": {"position": 12.0, "paused": true}, "ignoringOnTheFly": {"client": 1}});
        let out = room_msgs(&b.on_client(client_state(own), NOW + 2000.0));
        let [ClientMsg::Control {
            seq,
            action: ControlAction::Pause { position },
            ..
        }] = out[..]
        else {
            panic!("{out:?}")
        };
        assert_eq!(position, 12.0);
        // While the pause is on its way, the client's reports are not more
        // changes.
        let report = json!({"playstate": {"position": 12.0, "paused": true}, "ignoringOnTheFly": {"client": 1}});
        assert!(room_msgs(&b.on_client(client_state(report), NOW + 2010.0)).is_empty());
        let paused = paused_at(12.0, 2);
        let cause = ControlCause {
            by: 2,
            seq,
            action: ControlAction::Pause { position: 12.0 },
        };
        let out = lines(&room_state(&mut b, paused, Some(cause), NOW + 2020.0));
        let state = &out[0]["State"];
        assert_eq!(state["playstate"]["setBy"], "Bo");
        assert_eq!(state["playstate"]["paused"], true);
        assert_eq!(
            state["ignoringOnTheFly"]["client"], 1,
            "the client's change acknowledged"
        );
        assert!(b.pending.is_none());
    }

    #[test]
    fn a_seek_is_read_even_while_a_change_is_on_its_way() {
        let mut b = greeted(ControlMode::Shared);
        room_state(&mut b, playing(10.0, 1), None, NOW);
        // Not acknowledged yet, but the client says it sought.
        let seek = json!({"playstate": {"position": 90.0, "paused": false, "doSeek": true}});
        let out = room_msgs(&b.on_client(client_state(seek), NOW + 100.0));
        assert_one_seek(&out, 90.0);
    }

    /// Syncplay sends no playstate while its own last change is
    /// unacknowledged: a seek right after a pause arrives as a bare count,
    /// and the position comes with the next state, without `doSeek`.
    #[test]
    fn a_seek_withheld_behind_an_unacknowledged_pause_still_reaches_the_room() {
        let mut b = playing_in_step(10.0, 1);
        let pause = json!({"playstate": {"position": 12.0, "paused": true}, "ignoringOnTheFly": {"client": 1}});
        let out = room_msgs(&b.on_client(client_state(pause), NOW + 2000.0));
        let [ClientMsg::Control { seq, .. }] = out[..] else {
            panic!("{out:?}")
        };
        // The person seeks before the pause's acknowledgement arrives.
        let bare = json!({"ignoringOnTheFly": {"client": 2}});
        assert!(room_msgs(&b.on_client(client_state(bare), NOW + 2010.0)).is_empty());
        let paused = paused_at(12.0, 2);
        let cause = ControlCause {
            by: 2,
            seq,
            action: ControlAction::Pause { position: 12.0 },
        };
        room_state(&mut b, paused, Some(cause), NOW + 2020.0);
        // The client takes the forced state (its count starts again) and
        // answers with where its player is.
        let after = json!({"playstate": {"position": 90.0, "paused": true}, "ignoringOnTheFly": {"server": 1}});
        let out = room_msgs(&b.on_client(client_state(after), NOW + 2100.0));
        assert_one_seek(&out, 90.0);
        // Once: the next report at the same place is a report.
        b.pending = None;
        let again = json!({"playstate": {"position": 90.0, "paused": true}});
        let out = room_msgs(&b.on_client(client_state(again), NOW + 3100.0));
        assert!(matches!(out[..], [ClientMsg::State(_)]), "{out:?}");
    }

    /// What a Syncplay client says while its player loads the film is the
    /// load (its position jumps from the room's to 0), not a person's seek.
    #[test]
    fn nothing_counts_before_the_client_loaded_its_film() {
        let mut b = Bridge::new(&joined(ControlMode::Shared));
        b.hello(&hello(), 500, NOW);
        room_state(&mut b, playing(5.0, 1), None, NOW);
        let load = json!({"playstate": {"position": 0.1, "paused": false, "doSeek": true}, "ignoringOnTheFly": {"server": 2, "client": 1}});
        assert!(b.on_client(client_state(load), NOW + 100.0).is_empty());
        // Once loaded, its player is put where the room is.
        let out = lines(&loaded(&mut b));
        let ps = &out[0]["State"]["playstate"];
        assert_eq!(
            (ps["doSeek"].clone(), ps["paused"].clone()),
            (json!(true), json!(false))
        );
        assert!(
            (ps["position"].as_f64().unwrap() - 5.0).abs() < 0.01,
            "{ps}"
        );
        let seek = json!({"playstate": {"position": 30.0, "paused": false, "doSeek": true}, "ignoringOnTheFly": {"client": 2}});
        let out = room_msgs(&b.on_client(client_state(seek), NOW + 200.0));
        assert_one_seek(&out, 30.0);
    }

    /// A seek made before the client saw the room pause is a seek: the
    /// "playing" it still carries is the state it had not caught up with.
    #[test]
    fn a_seek_from_before_the_rooms_last_change_is_only_a_seek() {
        let mut b = playing_in_step(5.0, 1);
        let paused = paused_at(60.0, 2);
        let cause = ControlCause {
            by: 1,
            seq: 4,
            action: ControlAction::Seek { position: 60.0 },
        };
        room_state(&mut b, paused, Some(cause), NOW + 1000.0);
        let seek = json!({"playstate": {"position": 90.0, "paused": false, "doSeek": true}, "ignoringOnTheFly": {"client": 1}});
        let out = room_msgs(&b.on_client(client_state(seek), NOW + 1100.0));
        assert_one_seek(&out, 90.0);
    }

    #[test]
    fn positions_are_reports_read_a_one_way_delay_ago() {
        let mut b = playing_in_step(10.0, 3);
        // A round trip of 100 ms (our stamp echoed), the client's own 100 ms.
        let now = NOW + 1000.0;
        let report = json!({"playstate": {"position": 10.9, "paused": false}, "ping": {"latencyCalculation": (now - 100.0) / 1000.0, "clientRtt": 0.1}});
        let out = b.on_client(client_state(report), now);
        assert!(out
            .iter()
            .any(|e| matches!(e, Effect::Rtt(ms) if (ms - 100.0).abs() < 1e-3)));
        let msgs = room_msgs(&out);
        let [ClientMsg::State(r)] = &msgs[..] else {
            panic!("{msgs:?}")
        };
        assert_eq!((r.position, r.paused, r.epoch), (10.9, false, 3));
        assert!((r.server_ms - (now - 50.0)).abs() < 1e-3, "{}", r.server_ms);
    }

    #[test]
    fn a_refused_change_is_said_and_put_back() {
        let mut b = greeted(ControlMode::HostOnly);
        let own = json!({"playstate": {"position": 0.0, "paused": false}, "ignoringOnTheFly": {"client": 1}});
        assert_eq!(room_msgs(&b.on_client(client_state(own), NOW)).len(), 1);
        let out = lines(&b.on_room(
            ServerMsg::Error {
                code: ErrorCode::NotHost,
                message: "Only the host (Ana) controls playback.".into(),
                fatal: false,
            },
            NOW,
        ));
        assert_eq!(out[0]["Chat"]["username"], RELAY_NAME);
        assert!(out[0]["Chat"]["message"].as_str().unwrap().contains("host"));
        assert_eq!(out[1]["State"]["playstate"]["paused"], true);
        assert_eq!(out[1]["State"]["playstate"]["doSeek"], true);
        // A fatal error closes.
        let out = b.on_room(
            ServerMsg::Error {
                code: ErrorCode::ShuttingDown,
                message: "The relay is shutting down.".into(),
                fatal: true,
            },
            NOW,
        );
        assert_eq!(out.last(), Some(&Effect::Close));
    }

    #[test]
    fn others_seeks_are_forced_with_who_did_it() {
        let mut b = greeted(ControlMode::Shared);
        let cause = ControlCause {
            by: 1,
            seq: 9,
            action: ControlAction::Seek { position: 60.0 },
        };
        let at60 = paused_at(60.0, 1);
        let out = lines(&room_state(&mut b, at60, Some(cause), NOW));
        let ps = &out[0]["State"]["playstate"];
        assert_eq!(
            (
                ps["doSeek"].clone(),
                ps["setBy"].clone(),
                ps["position"].clone()
            ),
            (json!(true), json!("Ana"), json!(60.0))
        );
        // The room's once-a-second state, unchanged: not forced while the
        // client has not acknowledged the seek, then plain.
        let same = ServerMsg::State {
            playback: at60,
            server_ms: NOW + 1000.0,
            cause: None,
        };
        assert!(lines(&b.on_room(same.clone(), NOW + 1000.0)).is_empty());
        b.on_client(
            client_state(json!({"ignoringOnTheFly": {"server": 1}})),
            NOW + 1100.0,
        );
        let out = lines(&b.on_room(same, NOW + 2000.0));
        assert!(out[0]["State"].get("ignoringOnTheFly").is_none());
        assert_eq!(out[0]["State"]["playstate"]["doSeek"], false);
    }

    #[test]
    fn a_scheduled_start_is_told_when_it_comes() {
        let mut b = greeted(ControlMode::Shared);
        let mut later = playing(0.0, 1);
        later.anchor_ms = NOW + 3000.0;
        let out = lines(&room_state(&mut b, later, None, NOW));
        assert_eq!(out[0]["State"]["playstate"]["paused"], true, "not yet");
        assert_eq!(b.next_wake_ms(NOW), Some(NOW + 3000.0));
        assert!(b.tick(NOW + 2000.0).is_empty());
        let out = lines(&b.tick(NOW + 3000.0));
        assert_eq!(out[0]["State"]["playstate"]["paused"], false);
        assert!(b.tick(NOW + 3100.0).is_empty(), "told once");
        assert_eq!(b.next_wake_ms(NOW + 3100.0), None);
    }

    #[test]
    fn joins_leaves_readiness_and_media_are_told() {
        let mut b = greeted(ControlMode::Shared);
        let mut me = person(2, "Bo", false);
        me.ready = true;
        let mut cy = person(3, "Cy", false);
        cy.ready = true;
        let out = lines(&b.on_participants(&[person(1, "Ana", true), me.clone(), cy]));
        assert_eq!(
            out[0]["Set"]["ready"],
            json!({"username": "Bo", "isReady": true, "manuallyInitiated": false})
        );
        assert_eq!(out[1]["Set"]["user"]["Cy"]["event"]["joined"], true);
        assert_eq!(out[2]["Set"]["ready"]["username"], "Cy");
        let out = lines(&b.on_participants(&[person(1, "Ana", true), me]));
        assert_eq!(out[0]["Set"]["user"]["Cy"]["event"]["left"], true);
        let media = MediaInfo {
            name: "Other.mkv".into(),
            size_bytes: None,
            duration: Some(60.0),
            provider_ids: Default::default(),
        };
        let out = lines(&b.on_room(
            ServerMsg::Media {
                participant: 1,
                media: Some(media),
            },
            NOW,
        ));
        assert_eq!(out[0]["Set"]["user"]["Ana"]["file"]["name"], "Other.mkv");
        let list = lines(&b.on_client(wire::Incoming::List, NOW));
        assert_eq!(list[0]["List"]["K7MQ2X"]["Ana"]["controller"], true);
        assert_eq!(list[0]["List"]["K7MQ2X"]["Ana"]["file"]["duration"], 60.0);
        assert_eq!(list[0]["List"]["K7MQ2X"]["Bo"]["isReady"], true);
    }

    #[test]
    fn chat_goes_both_ways_and_unsupported_settings_are_answered() {
        let mut b = greeted(ControlMode::Shared);
        let out = lines(&b.on_room(
            ServerMsg::Chat {
                from: 1,
                nickname: "Ana".into(),
                text: "hi".into(),
                server_ms: NOW,
            },
            NOW,
        ));
        assert_eq!(out[0]["Chat"], json!({"username": "Ana", "message": "hi"}));
        assert_eq!(
            room_msgs(&b.on_client(wire::Incoming::Chat(" yo ".into()), NOW)),
            vec![ClientMsg::Chat { text: "yo".into() }]
        );
        assert!(b
            .on_client(wire::Incoming::Chat("  ".into()), NOW)
            .is_empty());
        let mut set = |items| b.on_client(wire::Incoming::Set(items), NOW);
        let out = set(vec![Setting::ControllerAuth]);
        assert_eq!(lines(&out)[0]["Set"]["controllerAuth"]["success"], false);
        let out = set(vec![Setting::Room("other".into())]);
        assert_eq!(lines(&out)[1]["Set"]["room"]["name"], "K7MQ2X");
        assert!(
            set(vec![Setting::Room("k7mq2x".into())]).is_empty(),
            "its own room is no change"
        );
        let out = set(vec![Setting::Ready {
            ready: true,
            username: Some("Ana".into()),
        }]);
        assert!(
            room_msgs(&out).is_empty(),
            "nobody sets another's readiness"
        );
        assert_eq!(
            room_msgs(&set(vec![Setting::Ready {
                ready: true,
                username: None
            }])),
            vec![ClientMsg::Ready { ready: true }]
        );
        let file = wire::FileInfo {
            name: "a1b2c3d4e5f6".into(),
            duration: Some(5400.0),
            size: None,
        };
        assert!(
            matches!(&room_msgs(&set(vec![Setting::File(file)]))[..], [ClientMsg::Media { media }] if media.name == "a1b2c3d4e5f6" && media.duration == Some(5400.0))
        );
        assert_eq!(
            lines(&set(vec![Setting::Playlist]))[0]["Chat"]["username"],
            RELAY_NAME
        );
    }
}
