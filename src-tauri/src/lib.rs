//! The Matinee desktop app: a thin Tauri shell over `matinee-client-core`
//! and the embedded `matinee-relay`. Commands are in [`commands`]; all the
//! behaviour is in the crates.

mod commands;
mod error;
mod hosting;
mod state;

use tauri::{Emitter, Manager};
use tauri_plugin_deep_link::DeepLinkExt;

pub use error::AppError;
use state::AppState;

/// Sends an invite link to the window (or keeps it until the UI asks).
fn deliver_invite(app: &tauri::AppHandle, url: &str) {
    if !url.starts_with("matinee://") {
        return;
    }
    tracing::info!("opened with an invite link");
    if let Some(state) = app.try_state::<AppState>() {
        *state.pending_invite.lock().expect("invite lock") = Some(url.to_string());
    }
    let _ = app.emit("invite", url.to_string());
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

fn init_logging(dir: &std::path::Path) {
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("matinee")
        .filename_suffix("log")
        .max_log_files(7)
        .build(dir);
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,tao=warn,wry=warn".into());
    match appender {
        Ok(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            // The guard flushes on drop: keep it for the life of the app.
            Box::leak(Box::new(guard));
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_ansi(false)
                .with_writer(writer)
                .try_init();
        }
        Err(e) => {
            let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
            tracing::warn!("cannot write logs to {}: {e}", dir.display());
        }
    }
}

/// Builds and runs the app.
pub fn run() {
    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            // A second launch (e.g. from a matinee:// link) lands here.
            for arg in argv {
                deliver_invite(app, &arg);
            }
            if let Some(w) = app.get_webview_window("main") {
                let _ = w.set_focus();
            }
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let log_dir = app.path().app_log_dir()?;
            std::fs::create_dir_all(&log_dir)?;
            init_logging(&log_dir);
            let settings_path = app.path().app_config_dir()?.join("settings.json");
            app.manage(AppState::new(settings_path, log_dir));
            #[cfg(any(target_os = "linux", all(debug_assertions, windows)))]
            if let Err(e) = app.deep_link().register_all() {
                tracing::warn!("could not register matinee:// links: {e}");
            }
            if let Ok(Some(urls)) = app.deep_link().get_current() {
                for url in urls {
                    deliver_invite(app.handle(), url.as_str());
                }
            }
            let handle = app.handle().clone();
            app.deep_link().on_open_url(move |event| {
                for url in event.urls() {
                    deliver_invite(&handle, url.as_str());
                }
            });
            tracing::info!(version = env!("CARGO_PKG_VERSION"), "Matinee started");
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::load_settings,
            commands::save_settings,
            commands::pick_file,
            commands::host_room,
            commands::join_room,
            commands::room_command,
            commands::leave_room,
            commands::pending_invite,
        ])
        .build(tauri::generate_context!("../tauri.conf.json"))
        .expect("the app starts")
        .run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                let state = app.state::<AppState>();
                tauri::async_runtime::block_on(async {
                    if let Some(s) = state.session.lock().await.take() {
                        s.leave().await;
                    }
                    if let Some(r) = state.relay.lock().await.take() {
                        r.shutdown().await;
                    }
                });
            }
        });
}
