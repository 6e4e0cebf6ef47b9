//! The app's commands on Tauri's mock runtime, through the same IPC path and
//! access control the window uses (the real tauri.conf.json and
//! capabilities).

use std::path::Path;

mod common;

use matinee_app::AppState;
use serde_json::{json, Value};
use tauri::test::MockRuntime;
use tauri::{App, WebviewWindow};

struct TestApp {
    app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    dir: tempfile::TempDir,
}

fn app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let (app, window) = common::app_in(dir.path());
    TestApp { app, window, dir }
}

impl TestApp {
    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        common::invoke(&self.window, cmd, args)
    }
}

fn kind(err: &Value) -> &str {
    err["kind"]
        .as_str()
        .unwrap_or_else(|| panic!("typed error, got {err}"))
}

fn settings(nickname: &str) -> Value {
    json!({ "settings": { "nickname": nickname, "relay_url": "", "mpv_path": "", "control_mode": "host_only" } })
}

#[test]
fn settings_are_validated_saved_and_loaded() {
    let t = app();
    let first = t.invoke("load_settings", json!({})).unwrap();
    assert_eq!(first["nickname"], "", "first run has no nickname");

    let err = t.invoke("save_settings", settings("   ")).unwrap_err();
    assert_eq!(kind(&err), "settings");
    assert!(err["message"]
        .as_str()
        .unwrap()
        .starts_with("Choose a nickname"));
    assert!(
        !t.dir.path().join("settings.json").exists(),
        "nothing saved"
    );

    // A file that is not mpv is refused when saving (it is run with
    // --version), not later at Create room; About then shows the mpv found.
    let mut not_mpv = settings("Ana");
    let hostname = t.dir.path().join("hostname");
    std::fs::write(&hostname, "box\n").unwrap();
    not_mpv["settings"]["mpv_path"] = json!(hostname.display().to_string());
    let err = t.invoke("save_settings", not_mpv).unwrap_err();
    assert_eq!(kind(&err), "settings", "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("is not a runnable mpv"),
        "{err}"
    );
    let real = which::which("mpv").expect("mpv installed");
    let mut real_mpv = settings("Ana");
    real_mpv["settings"]["mpv_path"] = json!(real.display().to_string());
    t.invoke("save_settings", real_mpv)
        .expect("a real mpv is accepted");
    let about = t.invoke("app_info", json!({})).unwrap();
    assert_eq!(about["mpv"]["ok"], true, "{about}");
    assert_eq!(about["mpv"]["path"], real.display().to_string());

    let mut bad_relay = settings("Ana");
    bad_relay["settings"]["relay_url"] = json!("ftp://example.org");
    assert_eq!(
        kind(&t.invoke("save_settings", bad_relay).unwrap_err()),
        "settings"
    );

    let saved = t.invoke("save_settings", settings("  Ana ")).unwrap();
    assert_eq!(saved["nickname"], "Ana", "trimmed");
    assert_eq!(
        t.invoke("load_settings", json!({})).unwrap()["nickname"],
        "Ana"
    );
    let on_disk: Value =
        serde_json::from_str(&std::fs::read_to_string(t.dir.path().join("settings.json")).unwrap())
            .unwrap();
    assert_eq!(on_disk["nickname"], "Ana");
}

#[test]
fn about_shows_the_version_log_folder_and_the_mpv_found() {
    let t = app();
    let info = t.invoke("app_info", json!({})).unwrap();
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert!(info["log_dir"].as_str().unwrap().ends_with("logs"));
    assert_eq!(info["mpv"]["ok"], true, "mpv is installed here: {info}");
    assert!(!info["mpv"]["version"].as_str().unwrap().is_empty());

    let mut missing = settings("Ana");
    missing["settings"]["mpv_path"] = json!("/nowhere/mpv");
    let err = t.invoke("save_settings", missing).unwrap_err();
    assert!(err["message"].as_str().unwrap().contains("/nowhere/mpv"));
}

#[test]
fn room_commands_without_a_room_are_refused_clearly() {
    let t = app();
    let err = t
        .invoke("room_command", json!({ "command": { "kind": "pause" } }))
        .unwrap_err();
    assert_eq!(kind(&err), "no_room");
    assert!(
        t.invoke("leave_room", json!({})).is_ok(),
        "leaving nothing is fine"
    );
    // A command the window does not know is rejected by argument parsing.
    assert!(t
        .invoke(
            "room_command",
            json!({ "command": { "kind": "run_program" } })
        )
        .is_err());
}

#[test]
fn joining_checks_the_code_and_the_relay_before_opening_a_player() {
    let t = app();
    t.invoke("save_settings", settings("Bo")).unwrap();
    let film = matinee_testkit::clip(matinee_testkit::ClipSpec::small(5));
    let join = |code: &str, relay: &str| {
        t.invoke(
            "join_room",
            json!({ "code": code, "media": { "kind": "file", "path": film.display().to_string() }, "relay": relay, "events": "__CHANNEL__:7" }),
        )
    };
    let err = join("K7MQ0X", "ws://127.0.0.1:9/ws").unwrap_err();
    assert_eq!(kind(&err), "code");
    assert!(err["message"].as_str().unwrap().contains('0'), "{err}");

    // A port nothing listens on: the relay is unreachable.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let err = join("K7MQ2X", &format!("ws://127.0.0.1:{port}/ws")).unwrap_err();
    assert_eq!(kind(&err), "relay_unreachable", "{err}");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains("nothing answers there"),
        "worded for people: {message}"
    );

    // What people type in the relay field: host:port is completed (and
    // then found unreachable), nonsense is refused before anything runs,
    // and an empty field asks for the invite.
    let err = join("K7MQ2X", &format!("127.0.0.1:{port}")).unwrap_err();
    assert_eq!(kind(&err), "relay_unreachable", "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains(&format!("ws://127.0.0.1:{port}/ws")),
        "completed to a WebSocket URL: {err}"
    );
    let err = join("K7MQ2X", "ftp://example.org").unwrap_err();
    assert_eq!(kind(&err), "relay", "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("is not a relay address"),
        "{err}"
    );
    let err = join("K7MQ2X", "").unwrap_err();
    assert_eq!(kind(&err), "relay", "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("Paste the invite"),
        "{err}"
    );

    // A relay that accepts the connection and then says nothing: joining
    // would wait 10 s for it; Cancel gives up at once.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let window = t.window.clone();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(500));
        common::invoke(&window, "cancel_start", json!({})).unwrap();
    });
    let asked = std::time::Instant::now();
    let err = join("K7MQ2X", &format!("ws://127.0.0.1:{silent_port}/ws")).unwrap_err();
    canceller.join().unwrap();
    assert_eq!(kind(&err), "cancelled", "{err}");
    assert!(
        asked.elapsed() < std::time::Duration::from_secs(5),
        "given up at once, not after the 10 s timeout: {:?}",
        asked.elapsed()
    );
    drop(silent);

    // A relay that answers http but not at this path.
    let web = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let web_port = web.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        if let Ok((mut s, _)) = web.accept() {
            let mut buf = [0u8; 2048];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi");
        }
    });
    let err = join("K7MQ2X", &format!("ws://127.0.0.1:{web_port}/")).unwrap_err();
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("not as a Matinee relay (HTTP 200): another program may be using that port"),
        "{err}"
    );
}

#[test]
fn the_window_gets_what_the_app_was_opened_with_once() {
    let t = app();
    let film = t.dir.path().join("film.mkv");
    std::fs::write(&film, b"x").unwrap();
    let req = matinee_app::LaunchRequest::from_args(
        [
            "matinee://join/K7MQ2X?relay=ws%3A%2F%2F10.0.0.2%3A7878%2Fws".to_string(),
            film.display().to_string(),
        ],
        Path::new("/"),
    );
    {
        let state = tauri::Manager::state::<AppState>(&t.window);
        *state.launch.lock().unwrap() = req;
    }
    let first = t.invoke("take_launch_request", json!({})).unwrap();
    assert_eq!(
        first["invite"],
        "matinee://join/K7MQ2X?relay=ws%3A%2F%2F10.0.0.2%3A7878%2Fws"
    );
    assert_eq!(first["file"], film.display().to_string());
    let second = t.invoke("take_launch_request", json!({})).unwrap();
    assert_eq!(second, json!({ "invite": null, "file": null }));
}

#[test]
fn only_the_main_window_may_call_the_commands() {
    let t = app();
    let other = tauri::WebviewWindowBuilder::new(&t.app, "other", Default::default())
        .build()
        .unwrap();
    let err = common::invoke(&other, "load_settings", json!({})).unwrap_err();
    assert!(err.to_string().contains("not allowed"), "{err}");
    assert!(t.invoke("load_settings", json!({})).is_ok());
}
