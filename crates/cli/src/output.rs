//! What the CLI prints: text for people, or one JSON object per line.

use std::io::Write;
use std::path::Path;

use matinee_client_core::{ConnectionState, SessionEvent, SessionSnapshot};
use matinee_hosting::{Hosting, Reachability};
use matinee_protocol::{LinkKind, RoomCode};
use serde_json::json;

pub struct Output {
    json: bool,
    last_roster: std::cell::RefCell<String>,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Self {
            json,
            last_roster: Default::default(),
        }
    }

    fn line(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }

    pub fn hosting_relay(&self, url: &str) {
        if self.json {
            self.line(&json!({"type": "relay", "url": url}).to_string());
        } else {
            self.line(&format!("Hosting a relay on this computer: {url}"));
        }
    }

    /// Whether friends elsewhere can reach this host, and the invite that
    /// reaches it (printed again whenever either changes).
    pub fn reachability(&self, reach: &Reachability, hosting: &Hosting, code: &RoomCode) {
        let invite = hosting.invite(code);
        let landing = hosting.landing_link(&invite);
        let syncplay = hosting.best_address(&invite);
        let invite = invite.link();
        if self.json {
            let mut v = serde_json::to_value(reach).unwrap_or_default();
            v["message"] = json!(reach.message());
            let v = json!({"type": "reachability", "reach": v, "invite": invite, "landing": landing,
                "syncplay": syncplay.as_ref().map(|server| json!({"server": server, "room": code}))});
            self.line(&v.to_string());
        } else {
            self.line(&reach.message());
            self.line(&format!("Invite: {invite}"));
            if let Some(landing) = landing {
                self.line(&format!("Web link: {landing}"));
            }
            if let Some(server) = syncplay {
                self.line(&format!(
                    "Friends with Syncplay: server {server}, room {code}"
                ));
            }
        }
    }

    pub fn joined(&self, snap: &SessionSnapshot, relay: &str, file: &Path) {
        if self.json {
            let v = json!({
                "type": "room",
                "code": snap.code,
                "you": snap.you,
                "host": snap.host,
                "relay": relay,
                "warnings": snap.warnings,
                // mpv's IPC endpoint: a socket path, or a \\.\pipe\ name.
                "player": snap.player_endpoint,
            });
            self.line(&v.to_string());
            return;
        }
        self.line(&format!("Room {} — you are #{}", snap.code, snap.you));
        if snap.host {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            self.line(&format!(
                "Friends join with: matinee-cli join INVITE \"{name}\" (the invite is below; \
                 or the code {} with --relay {relay} on a standalone relay)",
                snap.code
            ));
            self.line("Type \"start\" when everyone is ready (\"start!\" to start anyway).");
        }
        for w in &snap.warnings {
            self.line(&format!("Warning: {w}"));
        }
    }

    pub fn event(&self, ev: &SessionEvent) {
        // Four a second while playing: the status line says where the
        // player is instead.
        if matches!(ev, SessionEvent::Position { .. }) {
            return;
        }
        if self.json {
            if let Ok(text) = serde_json::to_string(ev) {
                self.line(&text);
            }
            return;
        }
        let text = match ev {
            SessionEvent::Joined { code, .. } => format!("Joined room {code}"),
            SessionEvent::Participants { participants } => {
                let names: Vec<String> = participants
                    .iter()
                    .map(|p| {
                        let mut s = p.nickname.clone();
                        if p.host {
                            s.push_str(" (host)");
                        }
                        if p.reconnecting {
                            s.push_str(" (reconnecting)");
                        }
                        match p.link {
                            Some(LinkKind::PeerToPeer) => s.push_str(" (peer-to-peer)"),
                            Some(LinkKind::Relayed) => s.push_str(" (through an iroh relay)"),
                            _ => {}
                        }
                        s
                    })
                    .collect();
                let roster = format!("In the room: {}", names.join(", "));
                if *self.last_roster.borrow() == roster {
                    return; // the 1 Hz refresh: nothing new for people
                }
                self.last_roster.replace(roster.clone());
                roster
            }
            SessionEvent::Playback { playback } => format!(
                "Room: {} at {:.1} s, {}×",
                if playback.paused { "paused" } else { "playing" },
                playback.position,
                playback.speed
            ),
            // The notice that comes with it says so in words.
            SessionEvent::ControlMode { .. } => return,
            SessionEvent::Status { status } => format!("Sync: {status:?}").to_lowercase(),
            SessionEvent::Drift { drift_ms, factor } => {
                format!("drift {drift_ms:+.1} ms, speed ×{factor:.3}")
            }
            SessionEvent::Connection { connection } => match connection {
                ConnectionState::Connected => "Connected to the relay".into(),
                ConnectionState::Reconnecting {
                    attempt,
                    retry_in_ms,
                } => format!(
                    "Relay connection lost; retrying in {:.1} s (attempt {attempt})",
                    *retry_in_ms as f64 / 1000.0
                ),
                ConnectionState::Offline { reason } => format!("Offline: {reason}"),
            },
            SessionEvent::Chat { nickname, text, .. } => format!("<{nickname}> {text}"),
            SessionEvent::Notice { text, .. } => format!("* {text}"),
            SessionEvent::Refused { message } => format!("! {message}"),
            SessionEvent::PlayerClosed => {
                "mpv was closed; type \"reopen\" to open it again at the room position".into()
            }
            SessionEvent::PlayerReopened => "mpv reopened".into(),
            SessionEvent::Ended { reason } => format!("Session ended: {reason}"),
            SessionEvent::SubtitleShared {
                id,
                nickname,
                label,
                selected,
                ..
            } => {
                if *selected {
                    format!("{nickname} shared {label}: showing it (\"ignore {id}\" takes it out)")
                } else {
                    format!("{nickname} shared {label}: type \"use {id}\" to show it")
                }
            }
            SessionEvent::SubtitleUse { id, used: true } => format!("Showing shared subtitle {id}"),
            SessionEvent::SubtitleUse { id, used: false } => {
                format!("Shared subtitle {id} taken out (\"use {id}\" brings it back)")
            }
            SessionEvent::Alignment { message, .. } => message.clone(),
            // "tracks" and "queue" show them when asked; notices say
            // what changed.
            SessionEvent::Tracks { .. }
            | SessionEvent::Queue { .. }
            | SessionEvent::OwnCopies { .. }
            | SessionEvent::Position { .. } => return,
            SessionEvent::TrackProposal {
                nickname,
                description,
                outcome,
                ..
            } => format!("{nickname} proposed {description}. {}", outcome.join(" ")),
        };
        self.line(&text);
    }

    pub fn note(&self, text: &str) {
        if self.json {
            self.line(&json!({"type": "help", "text": text}).to_string());
        } else {
            self.line(text);
        }
    }

    pub fn error(&self, message: &str) {
        if self.json {
            self.line(&json!({"type": "error", "message": message}).to_string());
        } else {
            eprintln!("matinee-cli: {message}");
        }
    }
}
