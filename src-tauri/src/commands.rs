//! The commands the window may call. Each one is thin: the work is in the
//! crates.

use std::path::PathBuf;

use matinee_client_core::{
    join_target, start_party, Invite, PartyHandle, PartyMedia, PartyRequest, RelayEndpoint, Role,
    SessionCmd, SessionEvent, Settings,
};
use matinee_protocol::{ControlMode, Participant, RoomCode};
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::State;
use tauri_plugin_dialog::DialogExt;
use ts_rs::TS;

use crate::error::{AppError, ErrorKind};
use crate::hosting::{self, ReachReport};
use crate::state::{AppState, LaunchRequest};

#[derive(Serialize, TS)]
#[serde(untagged)]
pub enum MpvStatus {
    Found {
        #[ts(type = "true")]
        ok: bool,
        path: String,
        version: String,
    },
    Missing {
        #[ts(type = "false")]
        ok: bool,
        error: String,
    },
}

#[derive(Serialize, TS)]
#[ts(export)]
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
pub async fn save_settings<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    settings: Settings,
) -> Result<Settings, AppError> {
    let settings = settings.validated()?;
    if !settings.mpv_path.is_empty() {
        // Run it now (`--version`): a file that is not mpv is refused here,
        // not at Create room.
        let check = settings.clone();
        tokio::task::spawn_blocking(move || mpv_binary(&check))
            .await
            .map_err(|e| AppError::new(ErrorKind::Settings, e.to_string()))?
            .map_err(|e| AppError::sentence(ErrorKind::Settings, e))?;
    }
    settings.save(&state.settings_path)?;
    // A new name shows in the room at once, and new film folders are
    // searched for the queue's entries.
    let before = state.settings.lock().await.clone();
    if let Some(session) = state.session.lock().await.as_ref() {
        if before.nickname != settings.nickname {
            session.send(SessionCmd::Rename {
                name: settings.nickname.clone(),
            });
        }
        if before.film_folders != settings.film_folders {
            session.send(SessionCmd::FilmFolders {
                folders: settings.film_folders.iter().map(PathBuf::from).collect(),
            });
        }
    }
    // Friends' hosts are dialled through the chosen iroh relays from now
    // on (this computer's own endpoint takes them when it next starts).
    matinee_client_core::use_p2p_relays(settings.p2p_relays());
    *state.settings.lock().await = settings.clone();
    // Another relay set: this app's own stops listening (unless friends
    // still watch through it).
    tauri::async_runtime::spawn(async move {
        use tauri::Manager;
        crate::hosting::stop_if_unused(&app.state::<AppState>()).await
    });
    Ok(settings)
}

/// Runs a system dialog off the async threads and gives back the paths
/// it chose, as text (none when cancelled).
async fn run_dialog<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    title: &'static str,
    filters: &'static [(&'static str, &'static [&'static str])],
    ask: impl FnOnce(tauri_plugin_dialog::FileDialogBuilder<R>) -> Vec<tauri_plugin_dialog::FilePath>
        + Send
        + 'static,
) -> Result<Vec<String>, AppError> {
    let picked = tokio::task::spawn_blocking(move || {
        let mut dialog = app.dialog().file().set_title(title);
        for (name, extensions) in filters {
            dialog = dialog.add_filter(*name, extensions);
        }
        ask(dialog)
    })
    .await
    .map_err(|e| AppError::new(ErrorKind::Dialog, e.to_string()))?;
    Ok(picked
        .into_iter()
        .filter_map(|p| p.into_path().ok())
        .map(|p| p.display().to_string())
        .collect())
}

/// Asks for one file.
async fn pick_one<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    title: &'static str,
    filters: &'static [(&'static str, &'static [&'static str])],
) -> Result<Option<String>, AppError> {
    let picked = run_dialog(app, title, filters, |d| {
        d.blocking_pick_file().into_iter().collect()
    })
    .await?;
    Ok(picked.into_iter().next())
}

/// Film file endings the dialogs offer.
const VIDEO: &[&str] = &[
    "mkv", "mp4", "avi", "mov", "webm", "m4v", "ts", "wmv", "flv", "mpg", "mpeg", "ogv",
];

#[tauri::command]
pub async fn pick_file<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
) -> Result<Option<String>, AppError> {
    pick_one(
        app,
        "Choose the film",
        &[("Video", VIDEO), ("All files", &["*"])],
    )
    .await
}

/// Asks for films or episodes to add to the room's queue (several at once).
#[tauri::command]
pub async fn pick_films<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
) -> Result<Vec<String>, AppError> {
    run_dialog(
        app,
        "Add films or episodes to the queue",
        &[("Video", VIDEO)],
        |d| d.blocking_pick_files().unwrap_or_default(),
    )
    .await
}

/// Asks for a folder where the user's films are.
#[tauri::command]
pub async fn pick_folder<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
) -> Result<Option<String>, AppError> {
    let picked = run_dialog(app, "Where your films are", &[], |d| {
        d.blocking_pick_folder().into_iter().collect()
    })
    .await?;
    Ok(picked.into_iter().next())
}

/// Asks for a subtitle file to share with the room.
#[tauri::command]
pub async fn pick_subtitle<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
) -> Result<Option<String>, AppError> {
    pick_one(
        app,
        "Share a subtitle file with the room",
        &[("Subtitles", &["srt", "ass", "ssa", "vtt"])],
    )
    .await
}

/// What the window needs to show a room.
#[derive(Serialize, TS)]
#[ts(export)]
pub struct RoomInfo {
    code: RoomCode,
    you: u32,
    host: bool,
    control_mode: ControlMode,
    /// The relay this app is connected to.
    relay_url: String,
    invite_link: String,
    landing_url: Option<String>,
    hosting_locally: bool,
    /// Whether friends elsewhere can reach the host (hosting only).
    reachability: Option<ReachReport>,
    participants: Vec<Participant>,
    warnings: Vec<String>,
    media_name: String,
    /// How this player is kept in step (the Settings choice).
    controller: matinee_sync::ControllerKind,
    /// The room plays now (a friend joining a film under way sees Pause,
    /// and no ready check).
    playing: bool,
    /// Series night: the room's queue, and this member's copy of each
    /// entry (entry id → file name) as found so far.
    queue: matinee_protocol::QueueState,
    own_copies: std::collections::BTreeMap<u32, String>,
}

/// What the user chose to watch.
#[derive(Debug, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum MediaChoice {
    /// A film on this computer.
    File { path: String },
    /// Films or episodes on this computer, in order: the room's queue.
    Files { paths: Vec<String> },
    /// An item on the user's Jellyfin server, from `resume` seconds when
    /// hosting.
    Jellyfin { item: String, resume: Option<f64> },
}

/// Starts the party the one way (`matinee_client_core::start_party`), with
/// this app's settings, and forwards its events to the window. Cancel while
/// joining gives up at once.
async fn start_session(
    state: &AppState,
    role: Role,
    choice: MediaChoice,
    relay: Vec<RelayEndpoint>,
    events: Channel<SessionEvent>,
) -> Result<matinee_client_core::SessionSnapshot, AppError> {
    let settings = state.settings.lock().await.clone();
    if settings.nickname.is_empty() {
        return Err(AppError::new(
            ErrorKind::Settings,
            "Choose a nickname first.",
        ));
    }
    let media = match choice {
        MediaChoice::File { path } => PartyMedia::File(path.into()),
        MediaChoice::Files { paths } => {
            PartyMedia::Files(paths.into_iter().map(PathBuf::from).collect())
        }
        MediaChoice::Jellyfin { item, resume } => PartyMedia::Jellyfin {
            client: Box::new(crate::jellyfin::client(state).await?),
            item,
            resume,
        },
    };
    let request = PartyRequest {
        nickname: settings.nickname.clone(),
        role,
        relay,
        media,
        mpv_path: (!settings.mpv_path.is_empty()).then(|| PathBuf::from(&settings.mpv_path)),
        headless: false,
        controller: settings.controller,
        client_name: concat!("matinee-app/", env!("CARGO_PKG_VERSION")).into(),
        film_folders: settings.film_folders.iter().map(PathBuf::from).collect(),
        // Signed in to Jellyfin: queue entries are looked for there too.
        jellyfin: crate::jellyfin::client(state).await.ok().map(Box::new),
    };
    let mut slot = state.session.lock().await;
    if let Some(old) = slot.take() {
        old.leave().await;
    }
    let session = tokio::select! {
        started = start_party(request) => started?,
        _ = state.cancel_start.notified() => {
            return Err(AppError::new(ErrorKind::Cancelled, "Stopped: you cancelled."));
        }
    };
    let snapshot = session.snapshot();
    forward_events(&session, events);
    *slot = Some(session);
    Ok(snapshot)
}

/// Passes the session's events to the window until it ends.
fn forward_events(session: &PartyHandle, events: Channel<SessionEvent>) {
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
}

fn room_info(
    snap: matinee_client_core::SessionSnapshot,
    invite: Invite,
    reachability: Option<ReachReport>,
) -> RoomInfo {
    let hosting_locally = reachability.is_some();
    let (invite_link, landing_url) = match &reachability {
        Some(ReachReport {
            invite_link: Some(link),
            landing_url,
            ..
        }) => (link.clone(), landing_url.clone()),
        _ => {
            let landing = invite
                .relay
                .as_deref()
                .and_then(landing_base)
                .map(|base| invite.landing_link(&base));
            (invite.link(), landing)
        }
    };
    RoomInfo {
        invite_link,
        landing_url,
        code: snap.code,
        you: snap.you,
        host: snap.host,
        control_mode: snap.control_mode,
        relay_url: snap.relay_url,
        hosting_locally,
        reachability,
        participants: snap.participants,
        warnings: snap.warnings.iter().map(ToString::to_string).collect(),
        playing: !snap.playback.paused,
        queue: snap.queue,
        own_copies: snap.own_copies,
        media_name: snap.media.name,
        controller: snap.controller,
    }
}

/// The landing page's base (`https://host`) of a relay's WebSocket URL.
fn landing_base(relay_ws_url: &str) -> Option<String> {
    let (scheme, rest) = if let Some(r) = relay_ws_url.strip_prefix("wss://") {
        ("https", r)
    } else {
        ("http", relay_ws_url.strip_prefix("ws://")?)
    };
    Some(format!("{scheme}://{}", rest.split('/').next()?))
}

/// Starts the relay on this computer ahead of *Create room* (when the
/// settings name no relay), so the lobby can say whether friends
/// elsewhere will reach it.
#[tauri::command]
pub async fn prepare_hosting<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<ReachReport, AppError> {
    let relay = state.settings.lock().await.relay_url.clone();
    if !relay.is_empty() {
        return Ok(ReachReport::configured_relay(&relay));
    }
    hosting::ensure_started(&app, &state).await
}

#[tauri::command]
pub async fn host_room<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    media: MediaChoice,
    events: Channel<SessionEvent>,
) -> Result<RoomInfo, AppError> {
    let settings = state.settings.lock().await.clone();
    let (relay, reach) = hosting::relay_for_hosting(&app, &state, &settings).await?;
    let role = Role::Host {
        control_mode: settings.control_mode,
    };
    let snap = start_session(&state, role, media, relay, events).await?;
    let invite = Invite::to_relay(snap.code.clone(), settings.relay_url.clone());
    let reach = if reach {
        hosting::report(&state).await
    } else {
        None
    };
    Ok(room_info(snap, invite, reach))
}

#[tauri::command]
pub async fn join_room(
    state: State<'_, AppState>,
    code: String,
    media: MediaChoice,
    relay: Option<String>,
    invite: Option<String>,
    events: Channel<SessionEvent>,
) -> Result<RoomInfo, AppError> {
    let settings_relay = state.settings.lock().await.relay_url.clone();
    let target = join_target(
        &code,
        invite.as_deref(),
        relay.as_deref(),
        Some(&settings_relay),
    )?;
    let role = Role::Join {
        code: target.code.clone(),
    };
    let snap = start_session(&state, role, media, target.endpoints(), events).await?;
    Ok(room_info(snap, target, None))
}

#[tauri::command]
pub async fn room_command(state: State<'_, AppState>, command: SessionCmd) -> Result<(), AppError> {
    // Adding from Jellyfin with the sign-in as it is now (the member may
    // have signed in since the room opened).
    let server = match command {
        SessionCmd::QueueAddJellyfin { .. } => Some(crate::jellyfin::client(&state).await?),
        _ => None,
    };
    let session = state.session.lock().await;
    if let (Some(s), Some(client)) = (session.as_ref(), server) {
        s.send(SessionCmd::UseServer(Box::new(client)));
    }
    match session.as_ref() {
        Some(s) if s.send(command) => Ok(()),
        _ => Err(AppError::new(ErrorKind::NoRoom, "You are not in a room.")),
    }
}

/// Where the local player is, for the room view's time and seek bar.
#[derive(Serialize, TS)]
#[ts(export)]
pub struct PlayerPosition {
    position: Option<f64>,
    duration: Option<f64>,
    paused: bool,
}

#[tauri::command]
pub async fn player_position(state: State<'_, AppState>) -> Result<PlayerPosition, AppError> {
    let session = state.session.lock().await;
    let session = session
        .as_ref()
        .ok_or_else(|| AppError::new(ErrorKind::NoRoom, "You are not in a room."))?;
    let sample = *session.player_samples().borrow();
    let snap = session.snapshot();
    Ok(PlayerPosition {
        position: sample.and_then(|s| s.position),
        duration: snap
            .media
            .duration
            .or(snap.room_media.and_then(|m| m.duration)),
        paused: sample.map_or(snap.playback.paused, |s| s.paused),
    })
}

#[tauri::command]
pub async fn leave_room(state: State<'_, AppState>) -> Result<(), AppError> {
    if let Some(session) = state.session.lock().await.take() {
        session.leave().await;
    }
    Ok(())
}

/// How many friends watch through this computer's relay without us in
/// their room (the host handed it over): closing Matinee would end it.
#[tauri::command]
pub fn relayed_friends(state: State<'_, AppState>) -> usize {
    crate::hosting::friends_depending_on_us(&state)
}

/// Gives up a host or join in progress.
#[tauri::command]
pub fn cancel_start(state: State<'_, AppState>) {
    state.cancel_start.notify_waiters();
}

/// The person chose to end the party and close the window: as host, the
/// party is ended first, so friends are told at once who ended it.
#[tauri::command]
pub async fn confirm_close<R: tauri::Runtime>(
    window: tauri::Window<R>,
    state: State<'_, AppState>,
) -> Result<(), AppError> {
    state
        .close_confirmed
        .store(true, std::sync::atomic::Ordering::SeqCst);
    if let Some(session) = state.session.lock().await.as_ref() {
        let snap = session.snapshot();
        let host = snap.participants.iter().any(|p| p.id == snap.you && p.host);
        if host && !session.is_finished() {
            session.send(SessionCmd::EndParty);
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
    }
    window
        .close()
        .map_err(|e| AppError::new(ErrorKind::Window, e.to_string()))
}

/// What the app was opened with, once: a second call returns nothing.
#[tauri::command]
pub fn take_launch_request(state: State<'_, AppState>) -> LaunchRequest {
    std::mem::take(&mut *state.launch.lock().expect("launch lock"))
}
