//! The Matinee desktop app: a thin Tauri shell over `matinee-client-core`
//! and the embedded `matinee-relay`. Commands are in [`commands`]; all the
//! behaviour is in the crates.

#[cfg(test)]
mod acl_check;
mod commands;
mod error;
mod events;
mod hosting;
mod jellyfin;
#[cfg(target_os = "linux")]
mod single_instance;
mod state;
mod webview_check;

use std::path::Path;
use std::sync::Arc;

use events::AppEvent;
use matinee_jellyfin::{KeyringStore, KEYRING_SERVICE};

use tauri::{Emitter, Manager, Runtime};
use tauri_plugin_deep_link::DeepLinkExt;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub use error::AppError;
pub use state::{AppState, LaunchRequest};

/// Hands an invite link or a film to the window: kept until the UI asks
/// (at start-up), and sent as an event (to a window already showing).
fn deliver<R: Runtime>(app: &tauri::AppHandle<R>, req: LaunchRequest) {
    if req.is_empty() {
        return;
    }
    tracing::info!(
        invite = req.invite.is_some(),
        file = req.file.is_some(),
        "opened with a link or a file"
    );
    if let Some(state) = app.try_state::<AppState>() {
        state.launch.lock().expect("launch lock").merge(req.clone());
    }
    if let Some(url) = req.invite {
        let _ = app.emit(AppEvent::Invite.name(), url);
    }
    if let Some(file) = req.file {
        let _ = app.emit(AppEvent::OpenFile.name(), file);
    }
    bring_forward(app);
}

/// A second launch's command line (without the program name), handed to
/// the running app: its link or film is delivered; one with neither (the
/// app's icon clicked again) still brings the window forward.
fn second_launch<R: Runtime>(
    app: &tauri::AppHandle<R>,
    args: impl IntoIterator<Item = String>,
    cwd: &Path,
) {
    let req = LaunchRequest::from_args(args, cwd);
    if req.is_empty() {
        bring_forward(app);
    } else {
        deliver(app, req);
    }
}

/// Shows the window in front.
fn bring_forward<R: Runtime>(app: &tauri::AppHandle<R>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

/// The app's commands, on any runtime (the tests use the mock one).
/// Closing the main window while friends watch through the relay in this
/// app would end the party for them: the close is held and the window
/// asked ("confirm-close", with how many friends), until the person agrees
/// (`confirm_close`). Call it from the app's run-event callback.
pub fn guard_close<R: Runtime>(app: &tauri::AppHandle<R>, event: &tauri::RunEvent) {
    let tauri::RunEvent::WindowEvent {
        label,
        event: tauri::WindowEvent::CloseRequested { api, .. },
        ..
    } = event
    else {
        return;
    };
    let state = app.state::<AppState>();
    if state
        .close_confirmed
        .load(std::sync::atomic::Ordering::SeqCst)
    {
        return;
    }
    let friends = hosting::friends_depending_on_us(&state);
    if friends > 0 {
        api.prevent_close();
        let _ = app.emit_to(label.as_str(), AppEvent::ConfirmClose.name(), friends);
    }
}

pub fn with_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::app_info,
        commands::load_settings,
        commands::save_settings,
        commands::pick_file,
        commands::pick_subtitle,
        commands::pick_films,
        commands::pick_folder,
        commands::prepare_hosting,
        commands::host_room,
        commands::join_room,
        commands::room_command,
        commands::player_position,
        commands::leave_room,
        commands::relayed_friends,
        commands::take_launch_request,
        commands::confirm_close,
        commands::cancel_start,
        jellyfin::jellyfin_status,
        jellyfin::jellyfin_connect,
        jellyfin::jellyfin_sign_in,
        jellyfin::jellyfin_quick_connect_start,
        jellyfin::jellyfin_quick_connect_poll,
        jellyfin::jellyfin_sign_out,
        jellyfin::jellyfin_libraries,
        jellyfin::jellyfin_items,
        jellyfin::jellyfin_item,
        jellyfin::jellyfin_seasons,
        jellyfin::jellyfin_episodes,
        jellyfin::jellyfin_poster,
    ])
}

fn invite_request(url: &str) -> LaunchRequest {
    LaunchRequest::from_args([url.to_string()], Path::new("/"))
}

fn init_logging(dir: &std::path::Path) {
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("matinee")
        .filename_suffix("log")
        .max_log_files(7)
        .build(dir);
    // `RUST_LOG` as `target=level` directives, else info (the window
    // toolkits' chatter at warn).
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            Targets::new()
                .with_default(LevelFilter::INFO)
                .with_target("tao", LevelFilter::WARN)
                .with_target("wry", LevelFilter::WARN)
        });
    match appender {
        Ok(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            // The guard flushes on drop: keep it for the life of the app.
            Box::leak(Box::new(guard));
            let _ = tracing_subscriber::fmt()
                .with_ansi(false)
                .with_writer(writer)
                .finish()
                .with(filter)
                .try_init();
        }
        Err(e) => {
            let _ = tracing_subscriber::fmt().finish().with(filter).try_init();
            tracing::warn!("cannot write logs to {}: {e}", dir.display());
        }
    }
}

/// Builds and runs the app.
pub fn run() {
    // A second launch (from a matinee:// link or "Open with") hands its
    // command line to the running app and ends here.
    #[cfg(target_os = "linux")]
    let instance = {
        use single_instance::{claim, folder, Claim, Launch};
        match claim(&folder(), &Launch::current()) {
            Ok(Claim::HandedOver) => std::process::exit(0),
            Ok(Claim::First(primary)) => Ok(primary),
            // Start anyway (logged once logging is up): a second window
            // beats none.
            Err(e) => Err(e),
        }
    };
    if !webview_check::webview_available() {
        std::process::exit(1);
    }
    let launched_with = LaunchRequest::from_args(
        std::env::args().skip(1),
        &std::env::current_dir().unwrap_or_default(),
    );
    let builder = with_commands(tauri::Builder::default());
    #[cfg(not(target_os = "linux"))]
    let builder = builder.plugin(tauri_plugin_single_instance::init(|app, argv, cwd| {
        second_launch(app, argv.into_iter().skip(1), Path::new(&cwd));
    }));
    builder
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let log_dir = app.path().app_log_dir()?;
            std::fs::create_dir_all(&log_dir)?;
            init_logging(&log_dir);
            let settings_path = app.path().app_config_dir()?.join("settings.json");
            let tokens = Arc::new(KeyringStore::new(KEYRING_SERVICE));
            app.manage(AppState::new(settings_path, log_dir, tokens));
            #[cfg(target_os = "linux")]
            match instance {
                Ok(primary) => {
                    let handle = app.handle().clone();
                    primary.serve(move |launch| second_launch(&handle, launch.args, &launch.cwd));
                }
                Err(e) => tracing::warn!("another Matinee may be running: {e}"),
            }
            deliver(app.handle(), launched_with);
            #[cfg(any(target_os = "linux", all(debug_assertions, windows)))]
            if let Err(e) = app.deep_link().register_all() {
                tracing::warn!("could not register matinee:// links: {e}");
            }
            if let Ok(Some(urls)) = app.deep_link().get_current() {
                for url in urls {
                    deliver(app.handle(), invite_request(url.as_str()));
                }
            }
            let handle = app.handle().clone();
            app.deep_link().on_open_url(move |event| {
                for url in event.urls() {
                    deliver(&handle, invite_request(url.as_str()));
                }
            });
            tracing::info!(version = env!("CARGO_PKG_VERSION"), "Matinee started");
            Ok(())
        })
        .build(tauri::generate_context!("../tauri.conf.json"))
        .expect("the app starts")
        .run(|app, event| {
            guard_close(app, &event);
            if let tauri::RunEvent::Exit = event {
                let state = app.state::<AppState>();
                tauri::async_runtime::block_on(async {
                    if let Some(s) = state.session.lock().await.take() {
                        s.leave().await;
                    }
                    if let Some(r) = state.relay.lock().await.take() {
                        r.shutdown().await;
                    }
                    // Hosts reached peer-to-peer hear that we left.
                    matinee_client_core::close_p2p().await;
                });
            }
        });
}
