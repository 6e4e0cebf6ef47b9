//! The app's settings, kept as JSON in the app's config directory. Never
//! holds secrets.

use std::path::{Path, PathBuf};

use matinee_protocol::{ControlMode, MAX_NICKNAME_CHARS};
use matinee_sync::ControllerKind;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(default)]
#[ts(export)]
pub struct Settings {
    pub nickname: String,
    /// Relay WebSocket URL; empty: host on this computer.
    pub relay_url: String,
    /// mpv binary; empty: find it.
    pub mpv_path: String,
    pub control_mode: ControlMode,
    /// How this player is kept in step: Matinee's tight correction, or
    /// Syncplay's classic thresholds.
    pub controller: ControllerKind,
    /// iroh relays for the peer-to-peer path (comma-separated URLs);
    /// empty: iroh's public relays; `off`: no peer-to-peer path.
    /// `MATINEE_IROH_RELAY` takes its place when set.
    pub iroh_relay: String,
    /// Where this member's films are (series night: each queue entry is
    /// looked for there).
    #[ts(as = "Option<Vec<String>>", optional)]
    pub film_folders: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("choose a nickname of 1 to {MAX_NICKNAME_CHARS} characters")]
    Nickname,
    #[error("the relay must be an address such as relay.example.com or wss://relay.example.com/ws, or empty to host on this computer")]
    Relay,
    #[error("there is no file at {0}")]
    MpvPath(String),
    #[error("peer-to-peer relays: {0}")]
    IrohRelay(String),
    #[error("could not save settings: {0}")]
    Io(String),
}

impl Settings {
    /// Checks and tidies the values.
    pub fn validated(mut self) -> Result<Self, SettingsError> {
        self.nickname = self.nickname.trim().to_string();
        self.relay_url = self.relay_url.trim().to_string();
        self.mpv_path = self.mpv_path.trim().to_string();
        self.iroh_relay = self.iroh_relay.trim().to_string();
        matinee_p2p::P2pRelays::parse(&self.iroh_relay)
            .map_err(|e| SettingsError::IrohRelay(e.to_string()))?;
        let n = self.nickname.chars().count();
        if n == 0 || n > MAX_NICKNAME_CHARS || self.nickname.chars().any(char::is_control) {
            return Err(SettingsError::Nickname);
        }
        if !self.relay_url.is_empty() {
            self.relay_url = matinee_protocol::relay_url_from_input(&self.relay_url)
                .map_err(|_| SettingsError::Relay)?;
        }
        if !self.mpv_path.is_empty() && !Path::new(&self.mpv_path).is_file() {
            return Err(SettingsError::MpvPath(self.mpv_path));
        }
        Ok(self)
    }

    /// The iroh relays to use: `MATINEE_IROH_RELAY` when set, else the
    /// setting (empty: iroh's public relays). A damaged value (only the
    /// environment's can be) falls back to the public relays, with a
    /// warning.
    pub fn p2p_relays(&self) -> matinee_p2p::P2pRelays {
        let chosen = match std::env::var(matinee_p2p::RELAY_ENV) {
            Ok(env) => matinee_p2p::P2pRelays::parse(&env),
            Err(_) => matinee_p2p::P2pRelays::parse(&self.iroh_relay),
        };
        chosen.unwrap_or_else(|e| {
            tracing::warn!("{e}; using iroh's public relays");
            matinee_p2p::P2pRelays::Public
        })
    }

    /// Reads settings; a missing or unreadable file gives the defaults.
    pub fn load(path: &Path) -> Self {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    /// Writes settings atomically.
    pub fn save(&self, path: &Path) -> Result<(), SettingsError> {
        let io = |e: std::io::Error| SettingsError::Io(e.to_string());
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp: PathBuf = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self).expect("settings serialise");
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_and_trims() {
        let s = Settings {
            nickname: "  Ana ".into(),
            relay_url: " wss://relay.example/ws ".into(),
            ..Default::default()
        }
        .validated()
        .unwrap();
        assert_eq!(s.nickname, "Ana");
        assert_eq!(s.relay_url, "wss://relay.example/ws");
        let bad = |s: Settings| s.validated().unwrap_err();
        assert_eq!(bad(Settings::default()), SettingsError::Nickname);
        assert_eq!(
            bad(Settings {
                nickname: "A".into(),
                relay_url: "ftp://x".into(),
                ..Default::default()
            }),
            SettingsError::Relay
        );
        // What people type is completed: a name means wss://NAME/ws.
        let typed = Settings {
            nickname: "A".into(),
            relay_url: "relay.example.com".into(),
            ..Default::default()
        };
        assert_eq!(
            typed.validated().unwrap().relay_url,
            "wss://relay.example.com/ws"
        );
        assert!(matches!(
            bad(Settings {
                nickname: "A".into(),
                mpv_path: "/nope/mpv".into(),
                ..Default::default()
            }),
            SettingsError::MpvPath(_)
        ));
        let e = bad(Settings {
            nickname: "A".into(),
            iroh_relay: "relay dot example".into(),
            ..Default::default()
        });
        assert!(
            e.to_string().starts_with(
                "peer-to-peer relays: “relay dot example” is not an iroh relay address"
            ),
            "{e}"
        );
        let ok = Settings {
            nickname: "A".into(),
            iroh_relay: " http://192.168.1.5:3340 ".into(),
            ..Default::default()
        }
        .validated()
        .unwrap();
        assert_eq!(ok.iroh_relay, "http://192.168.1.5:3340");
    }

    #[test]
    fn saves_and_loads_and_survives_a_corrupt_file() {
        let dir = std::env::temp_dir().join(format!("matinee-settings-{}", std::process::id()));
        let path = dir.join("settings.json");
        let s = Settings {
            nickname: "Ana".into(),
            control_mode: ControlMode::Shared,
            ..Default::default()
        };
        s.save(&path).unwrap();
        assert_eq!(Settings::load(&path), s);
        std::fs::write(&path, "{not json").unwrap();
        assert_eq!(Settings::load(&path), Settings::default());
        let _ = std::fs::remove_dir_all(dir);
    }
}
