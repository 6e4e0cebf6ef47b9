//! "Host on this computer": the embedded relay from `matinee-hosting`,
//! started once and kept for the app's life, and its reachability sent to
//! the window as it changes.

use matinee_hosting::{HostOptions, Hosting, Reachability};
use serde::Serialize;
use tauri::{Emitter, Manager};

use crate::error::{AppError, ErrorKind};
use crate::events::AppEvent;
use crate::state::AppState;

/// How friends reach this computer, in a word (the window's icon).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ReachKind {
    Checking,
    Anywhere,
    Ipv6,
    LocalNetwork,
    CarrierNat,
    PeerToPeer,
    ThisComputer,
    /// A relay from the settings, not this computer.
    Relay,
}

impl From<&Reachability> for ReachKind {
    fn from(reach: &Reachability) -> Self {
        match reach {
            Reachability::Checking => ReachKind::Checking,
            Reachability::Anywhere { .. } => ReachKind::Anywhere,
            Reachability::Ipv6 { .. } => ReachKind::Ipv6,
            Reachability::LocalNetwork { .. } => ReachKind::LocalNetwork,
            Reachability::CarrierNat { .. } => ReachKind::CarrierNat,
            Reachability::ThisComputer => ReachKind::ThisComputer,
            Reachability::PeerToPeer { .. } => ReachKind::PeerToPeer,
        }
    }
}

/// What the window shows about reaching this computer.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ReachReport {
    pub kind: ReachKind,
    pub message: String,
    /// The current room's invite, when hosting one here.
    pub invite_link: Option<String>,
    pub landing_url: Option<String>,
}

impl ReachReport {
    pub fn new(reach: &Reachability) -> Self {
        Self {
            kind: ReachKind::from(reach),
            message: reach.message(),
            invite_link: None,
            landing_url: None,
        }
    }

    /// What hosting on a relay from the settings means.
    pub fn configured_relay(url: &str) -> Self {
        Self {
            kind: ReachKind::Relay,
            message: format!("Friends join through your relay ({url})"),
            invite_link: None,
            landing_url: None,
        }
    }

    fn with_room(mut self, hosting: &Hosting, code: &matinee_protocol::RoomCode) -> Self {
        let invite = hosting.invite(code);
        self.landing_url = hosting.landing_link(&invite);
        self.invite_link = Some(invite.link());
        self
    }
}

/// The embedded relay, started on first use (its port mapping runs in
/// the background); later calls return at once.
pub async fn ensure_started<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    state: &AppState,
) -> Result<ReachReport, AppError> {
    {
        let mut slot = state.relay.lock().await;
        if slot.is_none() {
            let config_dir = state
                .settings_path
                .parent()
                .unwrap_or(std::path::Path::new("."))
                .to_path_buf();
            let cannot = |e: matinee_hosting::HostingError| {
                AppError::new(
                    ErrorKind::Relay,
                    format!("Could not host on this computer: {e}."),
                )
            };
            let mut options = HostOptions::from_env(config_dir).map_err(cannot)?;
            // The setting, unless MATINEE_IROH_RELAY says otherwise.
            options.p2p = state.settings.lock().await.p2p_relays();
            let hosting = Hosting::start(options).await.map_err(cannot)?;
            forward_changes(app.clone(), hosting.reachability());
            *slot = Some(hosting);
        }
    }
    Ok(report(state).await.expect("the relay runs"))
}

/// Where a room this app hosts goes: the relay from the settings, or the
/// one in this app (started if need be). True with the latter: the room
/// view shows who can reach it.
pub async fn relay_for_hosting<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    state: &AppState,
    settings: &matinee_client_core::Settings,
) -> Result<(Vec<matinee_client_core::RelayEndpoint>, bool), AppError> {
    if !settings.relay_url.is_empty() {
        let url = settings.relay_url.clone();
        return Ok((vec![matinee_client_core::RelayEndpoint::url(url)], false));
    }
    ensure_started(app, state).await?;
    let slot = state.relay.lock().await;
    let local = slot.as_ref().expect("started").local_endpoint();
    Ok((vec![local], true))
}

/// How many friends are in a room whose relay runs in this app (they
/// would lose it if the window closed), when the state can be read
/// without waiting: the others in our room, or, once we left a room we
/// handed over, everyone still connected to it.
pub fn friends_depending_on_us(state: &AppState) -> usize {
    let (Ok(relay), Ok(session)) = (state.relay.try_lock(), state.session.try_lock()) else {
        return 0;
    };
    let Some(relay) = relay.as_ref() else {
        return 0;
    };
    // Out of the room (the host handed it over): everyone connected to
    // this computer's relay is a friend watching through it.
    let Some(session) = session.as_ref().filter(|s| !s.is_finished()) else {
        return relay.relay().connections();
    };
    let snap = session.snapshot();
    if snap.relay_url != relay.local_endpoint().url {
        return 0; // the room is on another relay: closing here ends nothing
    }
    snap.participants
        .iter()
        .filter(|p| p.id != snap.you && !p.reconnecting)
        .count()
}

/// How long a relay that another one replaced waits for its last
/// connections to end (a room just left still closes its socket).
const UNUSED_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Stops the relay in this app (and gives its router port back) when the
/// settings now name another relay and nobody watches through this one:
/// at once when nobody is connected, else as soon as the last connection
/// ends within a few seconds (a room just left is still closing); with
/// friends still watching through it, it stays.
pub async fn stop_if_unused(state: &AppState) {
    let deadline = tokio::time::Instant::now() + UNUSED_WAIT;
    loop {
        if state.settings.lock().await.relay_url.is_empty() {
            return;
        }
        let mut relay = state.relay.lock().await;
        let Some(connections) = relay.as_ref().map(|r| r.relay().connections()) else {
            return;
        };
        if connections == 0 {
            if let Some(r) = relay.take() {
                tracing::info!("another relay is set: the relay in this app stops");
                r.shutdown().await;
            }
            return;
        }
        drop(relay);
        if tokio::time::Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The room this app is in, if any.
async fn current_room(state: &AppState) -> Option<matinee_protocol::RoomCode> {
    state
        .session
        .lock()
        .await
        .as_ref()
        .filter(|s| !s.is_finished())
        .map(|s| s.snapshot().code)
}

/// The current report with the current room's invite.
pub async fn report(state: &AppState) -> Option<ReachReport> {
    let slot = state.relay.lock().await;
    let hosting = slot.as_ref()?;
    let report = ReachReport::new(&hosting.reachability().borrow());
    Some(match current_room(state).await {
        Some(code) => report.with_room(hosting, &code),
        None => report,
    })
}

fn forward_changes<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    mut reach: tokio::sync::watch::Receiver<Reachability>,
) {
    tauri::async_runtime::spawn(async move {
        while reach.changed().await.is_ok() {
            let state = app.state::<AppState>();
            if let Some(report) = report(&state).await {
                let _ = app.emit(AppEvent::Reachability.name(), report);
            }
        }
    });
}
