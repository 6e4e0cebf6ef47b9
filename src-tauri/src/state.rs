//! What the app holds between commands.

use std::path::PathBuf;

use matinee_client_core::{PartyHandle, Settings};
use matinee_relay::RelayHandle;
use tokio::sync::Mutex;

pub struct AppState {
    pub settings_path: PathBuf,
    pub log_dir: PathBuf,
    pub settings: Mutex<Settings>,
    pub session: Mutex<Option<PartyHandle>>,
    pub relay: Mutex<Option<RelayHandle>>,
    /// An invite link the app was opened with, until the UI asks for it.
    pub pending_invite: std::sync::Mutex<Option<String>>,
}

impl AppState {
    pub fn new(settings_path: PathBuf, log_dir: PathBuf) -> Self {
        let settings = Settings::load(&settings_path);
        Self {
            settings_path,
            log_dir,
            settings: Mutex::new(settings),
            session: Mutex::new(None),
            relay: Mutex::new(None),
            pending_invite: std::sync::Mutex::new(None),
        }
    }
}
