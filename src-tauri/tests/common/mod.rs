//! The app on Tauri's mock runtime, with the real tauri.conf.json and
//! capabilities, and a way to call its commands as the window does.

use std::path::Path;

use matinee_app::{with_commands, AppState};
use serde_json::Value;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow};

/// Makes this test binary's user a headless one hosting on loopback: an
/// mpv.conf without video or audio under `dir`, `XDG_CONFIG_HOME` there and
/// `MATINEE_HOST_LISTEN` on a loopback port.
///
/// # Safety
/// Sets environment variables: call it first thing in a test binary with
/// one test, before any other thread starts.
#[allow(dead_code)]
pub unsafe fn headless_loopback_user(dir: &Path) {
    let mpv_conf = dir.join("config/mpv");
    std::fs::create_dir_all(&mpv_conf).unwrap();
    std::fs::write(mpv_conf.join("mpv.conf"), "vo=null\nao=null\n").unwrap();
    unsafe {
        std::env::set_var("XDG_CONFIG_HOME", dir.join("config"));
        std::env::set_var("MATINEE_HOST_LISTEN", "127.0.0.1:0");
        std::env::set_var("MATINEE_IROH_RELAY", "off");
    }
}

/// The app, with settings and logs in `dir`, before its event loop runs
/// (which opens the main window from tauri.conf.json).
#[allow(dead_code)]
pub fn app_unstarted(dir: &Path) -> App<MockRuntime> {
    let tokens = std::sync::Arc::new(matinee_jellyfin::MemoryStore::default());
    let state = AppState::new(dir.join("settings.json"), dir.join("logs"), tokens);
    with_commands(mock_builder())
        .manage(state)
        .build(tauri::generate_context!("../tauri.conf.json"))
        .expect("app builds")
}

/// The app, with settings and logs in `dir`, and its main window.
#[allow(dead_code)]
pub fn app_in(dir: &Path) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let app = app_unstarted(dir);
    let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("main window");
    (app, window)
}

/// Calls a command from `window`: its JSON answer, or its error.
pub fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().unwrap())
}
