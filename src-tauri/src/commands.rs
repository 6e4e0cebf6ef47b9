//! The commands the window may call. Each one is thin: the work is in the
//! crates.

use std::path::PathBuf;

use matinee_client_core::{
    invite_link, landing_url, report_playback, stream_media, Backoff, MediaSource, PartySession,
    Role, SessionCmd, SessionConfig, SessionEvent, Settings,
};
use matinee_jellyfin::Reporter;
use matinee_protocol::{ControlMode, Participant, RoomCode};
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::State;
use tauri_plugin_dialog::DialogExt;

use crate::error::AppError;
use crate::hosting;
use crate::state::{AppState, LaunchRequest};

#[derive(Serialize)]
#[serde(untagged)]
pub enum MpvStatus {
    Found {
        ok: bool,
        path: String,
        version: String,
    },
    Missing {
        ok: bool,
        error: String,
    },
}

#[derive(Serialize)]
pub struct AppInfo {
    version: &'static str,
    log_dir: String,
    mpv: MpvStatus,
}

fn mpv_binary(settings: &Settings) -> Result<matinee_mpv::MpvBinary, matinee_mpv::MpvError> {
    let explicit = (!settings.mpv_path.is_empty()).then(|| PathBuf::from(&settings.mpv_path));
    matinee_mpv::locate(explicit.as_deref())
}

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo, AppError> {
    let settings = state.settings.lock().await.clone();
    let mpv = match tokio::task::spawn_blocking(move || mpv_binary(&settings)).await {
        Ok(Ok(bin)) => MpvStatus::Found {
            ok: true,
            path: bin.path.display().to_string(),
            version: bin.version,
        },
        Ok(Err(e)) => MpvStatus::Missing {
            ok: false,
            error: e.to_string(),
        },
        Err(e) => MpvStatus::Missing {
            ok: false,
            error: e.to_string(),
        },
    };
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        log_dir: state.log_dir.display().to_string(),
        mpv,
    })
}

#[tauri::command]
pub async fn load_settings(state: State<'_, AppState>) -> Result<Settings, AppError> {
    Ok(state.settings.lock().await.clone())
}

#[tauri::command]
pub async fn save_settings(
    state: State<'_, AppState>,
    settings: Settings,
) -> Result<Settings, AppError> {
    let settings = settings.validated()?;
    settings.save(&state.settings_path)?;
    *state.settings.lock().await = settings.clone();
    Ok(settings)
}

#[tauri::command]
pub async fn pick_file<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
) -> Result<Option<String>, AppError> {
    let picked = tokio::task::spawn_blocking(move || {
        app.dialog()
            .file()
            .set_title("Choose the film")
            .add_filter(
                "Video",
                &[
                    "mkv", "mp4", "avi", "mov", "webm", "m4v", "ts", "wmv", "flv", "mpg", "mpeg",
                    "ogv",
                ],
            )
            .add_filter("All files", &["*"])
            .blocking_pick_file()
    })
    .await
    .map_err(|e| AppError::new("dialog", e.to_string()))?;
    Ok(picked
        .and_then(|p| p.into_path().ok())
        .map(|p| p.display().to_string()))
}

/// What the window needs to show a room.
#[derive(Serialize)]
pub struct RoomInfo {
    code: RoomCode,
    you: u32,
    host: bool,
    control_mode: ControlMode,
    relay_url: String,
    invite_link: String,
    landing_url: Option<String>,
    hosting_locally: bool,
    lan_relay_urls: Vec<String>,
    participants: Vec<Participant>,
    warnings: Vec<String>,
    media_name: String,
}

/// What the user chose to watch.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MediaChoice {
    /// A film on this computer.
    File { path: String },
    /// An item on the user's Jellyfin server, from `resume` seconds when
    /// hosting.
    Jellyfin { item: String, resume: Option<f64> },
}

async fn start_session(
    state: &AppState,
    role: Role,
    choice: MediaChoice,
    relay_url: String,
    events: Channel<SessionEvent>,
) -> Result<matinee_client_core::SessionSnapshot, AppError> {
    let settings = state.settings.lock().await.clone();
    if settings.nickname.is_empty() {
        return Err(AppError::new("settings", "Choose a nickname first."));
    }
    let hosting = matches!(role, Role::Host { .. });
    let (media, reporter, resume) = match choice {
        MediaChoice::File { path } => (MediaSource::file(path), None, None),
        MediaChoice::Jellyfin { item, resume } => {
            let client = crate::jellyfin::client(state).await?;
            let plan = client.plan_stream(&item).await?;
            let media = stream_media(&client, &plan);
            let resume = resume.filter(|r| hosting && r.is_finite() && *r > 0.0);
            (media, Some(Reporter::new(client, &plan)), resume)
        }
    };
    let binary = tokio::task::spawn_blocking({
        let s = settings.clone();
        move || mpv_binary(&s)
    })
    .await
    .map_err(|e| AppError::new("mpv", e.to_string()))?
    .map_err(|e| AppError::new("mpv", e.to_string()))?;
    let mut mpv = matinee_mpv::LaunchOptions::new(binary);
    mpv.title = Some(format!("Matinee — {}", settings.nickname));
    let config = SessionConfig {
        relay_url,
        nickname: settings.nickname.clone(),
        role,
        media,
        mpv,
        engine: Default::default(),
        client_name: concat!("matinee-app/", env!("CARGO_PKG_VERSION")).into(),
        osd_notices: true,
        backoff: Backoff::default(),
    };
    let mut slot = state.session.lock().await;
    if let Some(old) = slot.take() {
        old.leave().await;
    }
    let session = PartySession::start(config).await?;
    if let Some(reporter) = reporter {
        report_playback(&session, reporter);
    }
    if let Some(at) = resume {
        session.send(SessionCmd::SeekTo(at));
    }
    let snapshot = session.snapshot();
    let mut rx = session.events();
    tauri::async_runtime::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(ev) => {
                    let end = matches!(ev, SessionEvent::Ended { .. });
                    if events.send(ev).is_err() || end {
                        return;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return,
            }
        }
    });
    *slot = Some(session);
    Ok(snapshot)
}

fn room_info(
    snap: matinee_client_core::SessionSnapshot,
    public_relay: String,
    hosting_locally: bool,
    lan: Vec<String>,
) -> RoomInfo {
    let invite_relay = lan.first().cloned().unwrap_or_else(|| public_relay.clone());
    RoomInfo {
        invite_link: invite_link(&snap.code, &invite_relay),
        landing_url: landing_url(&snap.code, &invite_relay),
        code: snap.code,
        you: snap.you,
        host: snap.host,
        control_mode: snap.control_mode,
        relay_url: public_relay,
        hosting_locally,
        lan_relay_urls: lan,
        participants: snap.participants,
        warnings: snap.warnings.iter().map(ToString::to_string).collect(),
        media_name: snap.media.name,
    }
}

#[tauri::command]
pub async fn host_room(
    state: State<'_, AppState>,
    media: MediaChoice,
    events: Channel<SessionEvent>,
) -> Result<RoomInfo, AppError> {
    let settings = state.settings.lock().await.clone();
    let (relay_url, lan, local) = if settings.relay_url.is_empty() {
        let mut relay = state.relay.lock().await;
        if relay.is_none() {
            let config_dir = state
                .settings_path
                .parent()
                .unwrap_or(std::path::Path::new("."));
            let started = hosting::start_embedded(config_dir).await.map_err(|e| {
                AppError::new("relay", format!("Could not host on this computer: {e}"))
            })?;
            *relay = Some(started);
        }
        let r = relay.as_ref().expect("just started");
        (hosting::local_url(r), hosting::lan_urls(r), true)
    } else {
        (settings.relay_url.clone(), Vec::new(), false)
    };
    let role = Role::Host {
        control_mode: settings.control_mode,
    };
    let snap = start_session(&state, role, media, relay_url.clone(), events).await?;
    Ok(room_info(snap, relay_url, local, lan))
}

#[tauri::command]
pub async fn join_room(
    state: State<'_, AppState>,
    code: String,
    media: MediaChoice,
    relay: Option<String>,
    events: Channel<SessionEvent>,
) -> Result<RoomInfo, AppError> {
    let code = RoomCode::parse(&code)
        .map_err(|e| AppError::new("code", format!("{}.", capitalise(&e.to_string()))))?;
    let settings = state.settings.lock().await.clone();
    let relay_url = relay
        .filter(|r| !r.trim().is_empty())
        .or_else(|| (!settings.relay_url.is_empty()).then(|| settings.relay_url.clone()))
        .unwrap_or_else(|| format!("ws://127.0.0.1:{}/ws", hosting::DEFAULT_PORT));
    let snap = start_session(
        &state,
        Role::Join { code },
        media,
        relay_url.clone(),
        events,
    )
    .await?;
    Ok(room_info(snap, relay_url, false, Vec::new()))
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// A request from the room view.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RoomCommand {
    Play,
    Pause,
    Seek { position: f64 },
    Ready { ready: bool },
    Start { force: bool },
    Chat { text: String },
    SetControlMode { mode: ControlMode },
    PassHost { to: u32 },
    Kick { participant: u32 },
    ReopenPlayer,
}

impl From<RoomCommand> for SessionCmd {
    fn from(c: RoomCommand) -> Self {
        match c {
            RoomCommand::Play => SessionCmd::Play,
            RoomCommand::Pause => SessionCmd::Pause,
            RoomCommand::Seek { position } => SessionCmd::SeekTo(position),
            RoomCommand::Ready { ready } => SessionCmd::Ready(ready),
            RoomCommand::Start { force } => SessionCmd::Start { force },
            RoomCommand::Chat { text } => SessionCmd::Chat(text),
            RoomCommand::SetControlMode { mode } => SessionCmd::SetControlMode(mode),
            RoomCommand::PassHost { to } => SessionCmd::PassHost(to),
            RoomCommand::Kick { participant } => SessionCmd::Kick(participant),
            RoomCommand::ReopenPlayer => SessionCmd::ReopenPlayer,
        }
    }
}

#[tauri::command]
pub async fn room_command(
    state: State<'_, AppState>,
    command: RoomCommand,
) -> Result<(), AppError> {
    let session = state.session.lock().await;
    match session.as_ref() {
        Some(s) if s.send(command.into()) => Ok(()),
        _ => Err(AppError::new("no_room", "You are not in a room.")),
    }
}

#[tauri::command]
pub async fn leave_room(state: State<'_, AppState>) -> Result<(), AppError> {
    if let Some(session) = state.session.lock().await.take() {
        session.leave().await;
    }
    Ok(())
}

/// What the app was opened with, once: a second call returns nothing.
#[tauri::command]
pub fn take_launch_request(state: State<'_, AppState>) -> LaunchRequest {
    std::mem::take(&mut *state.launch.lock().expect("launch lock"))
}
