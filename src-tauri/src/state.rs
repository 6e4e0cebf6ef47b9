//! What the app holds between commands.

use std::path::{Path, PathBuf};

use std::sync::Arc;

use matinee_client_core::{PartyHandle, Settings};
use matinee_hosting::Hosting;
use matinee_jellyfin::{Account, DeviceInfo, TokenStore};
use serde::Serialize;
use tokio::sync::Mutex;

/// What the app was opened with: `matinee matinee://join/…` from a link, or
/// `matinee /path/film.mkv` from "Open with" in a file manager.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct LaunchRequest {
    pub invite: Option<String>,
    pub file: Option<String>,
}

impl LaunchRequest {
    /// Reads a command line (without the program name): the last invite
    /// link and the last existing file win; anything else is ignored.
    /// Relative paths are taken from `cwd`.
    pub fn from_args<I: IntoIterator<Item = String>>(args: I, cwd: &Path) -> Self {
        let mut req = Self::default();
        for arg in args {
            if arg.starts_with("matinee://") {
                req.invite = Some(arg);
            } else if !arg.starts_with('-') {
                let path = cwd.join(&arg);
                if path.is_file() {
                    let full = std::fs::canonicalize(&path).unwrap_or(path);
                    req.file = Some(full.display().to_string());
                }
            }
        }
        req
    }

    /// Keeps what `newer` carries, the rest of `self`.
    pub fn merge(&mut self, newer: LaunchRequest) {
        if newer.invite.is_some() {
            self.invite = newer.invite;
        }
        if newer.file.is_some() {
            self.file = newer.file;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.invite.is_none() && self.file.is_none()
    }
}

/// The Jellyfin account, restored from disk and keyring on first use (so a
/// keyring prompt never holds up the window's start).
pub struct JellyfinState {
    pub account: Account,
    pub restored: bool,
}

pub struct AppState {
    pub settings_path: PathBuf,
    pub log_dir: PathBuf,
    pub settings: Mutex<Settings>,
    pub session: Mutex<Option<PartyHandle>>,
    /// The relay hosted on this computer, once started.
    pub relay: Mutex<Option<Hosting>>,
    /// What the app was opened with (an invite link, a film), until the UI
    /// asks for it.
    pub launch: std::sync::Mutex<LaunchRequest>,
    pub jellyfin: Mutex<JellyfinState>,
    /// Wakes a party start in progress to give it up (Cancel while
    /// joining).
    pub cancel_start: tokio::sync::Notify,
    /// The person agreed to end the party by closing the window.
    pub close_confirmed: std::sync::atomic::AtomicBool,
}

impl AppState {
    /// State kept in `settings_path`'s folder (settings, the Jellyfin
    /// profile, the device id), with Jellyfin tokens in `tokens`.
    pub fn new(settings_path: PathBuf, log_dir: PathBuf, tokens: Arc<dyn TokenStore>) -> Self {
        let settings = Settings::load(&settings_path);
        matinee_client_core::use_p2p_relays(settings.p2p_relays());
        let dir = settings_path
            .parent()
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let device = DeviceInfo::for_install(&dir.join("device-id")).unwrap_or_else(|e| {
            tracing::warn!("cannot keep a device id in {}: {e}", dir.display());
            DeviceInfo::for_install(&std::env::temp_dir().join("matinee-device-id"))
                .expect("a device id in the temporary folder")
        });
        let account = Account::new(device, tokens, dir.join("jellyfin.json"));
        Self {
            settings_path,
            log_dir,
            settings: Mutex::new(settings),
            session: Mutex::new(None),
            relay: Mutex::new(None),
            launch: std::sync::Mutex::new(LaunchRequest::default()),
            close_confirmed: std::sync::atomic::AtomicBool::new(false),
            cancel_start: tokio::sync::Notify::new(),
            jellyfin: Mutex::new(JellyfinState {
                account,
                restored: false,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_links_and_existing_files_from_a_command_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("film.mkv"), b"x").unwrap();
        let req = LaunchRequest::from_args(
            args(&["--flag", "matinee://join/K7MQ2X", "film.mkv", "missing.mkv"]),
            dir.path(),
        );
        assert_eq!(req.invite.as_deref(), Some("matinee://join/K7MQ2X"));
        let file = req.file.expect("the existing file");
        assert!(file.ends_with("film.mkv") && Path::new(&file).is_absolute());

        let nothing = LaunchRequest::from_args(args(&["missing.mkv", "-v"]), dir.path());
        assert!(nothing.is_empty());
    }

    #[test]
    fn a_newer_request_keeps_what_it_does_not_carry() {
        let mut req = LaunchRequest {
            invite: Some("matinee://join/AAAAAA".into()),
            file: Some("/a.mkv".into()),
        };
        req.merge(LaunchRequest {
            invite: None,
            file: Some("/b.mkv".into()),
        });
        assert_eq!(req.invite.as_deref(), Some("matinee://join/AAAAAA"));
        assert_eq!(req.file.as_deref(), Some("/b.mkv"));
    }
}
