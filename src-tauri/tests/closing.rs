//! Closing the window while a friend watches through the relay this app
//! hosts asks first ("confirm-close"); the app closes only once the person
//! agrees. On Tauri's mock runtime with its real event loop, the embedded
//! relay, real mpv for host and friend. Its own test binary: it sets
//! environment variables and runs the app's event loop.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::invoke;
use matinee_client_core::{Backoff, Invite, MediaSource, PartySession, Role, SessionConfig};
use serde_json::json;
use tauri::test::MockRuntime;
use tauri::{AppHandle, Listener, Manager, WebviewWindow};

/// What the scenario saw: the questions asked, and whether the window was
/// still open after them.
type Outcome = Arc<Mutex<Option<(Vec<String>, bool)>>>;

#[test]
fn closing_the_window_while_a_friend_watches_asks_first() {
    let dir = tempfile::tempdir().unwrap();
    // The app reads the user's mpv.conf: make this user's mpv headless.
    // SAFETY: this test binary has one test and calls this before any other
    // thread starts.
    unsafe { common::headless_loopback_user(dir.path()) };
    let app = common::app_unstarted(dir.path());
    let outcome: Outcome = Arc::default();
    let result = outcome.clone();
    let handle = app.handle().clone();
    let mut started = false;
    app.run(move |app, event| {
        matinee_app::guard_close(app, &event);
        if matches!(event, tauri::RunEvent::Ready) && !started {
            started = true;
            let (handle, result) = (handle.clone(), result.clone());
            std::thread::spawn(move || {
                let window = wait_for_window(&handle);
                *result.lock().unwrap() = Some(scenario(&handle, &window));
                invoke(&window, "confirm_close", json!({})).unwrap();
            });
        }
    });
    let (questions, still_open) = outcome.lock().unwrap().clone().expect("the scenario ran");
    assert_eq!(questions, ["1"], "asked once, naming one friend");
    assert!(still_open, "the window stayed open until the person agreed");
}

fn wait_for_window(handle: &AppHandle<MockRuntime>) -> WebviewWindow<MockRuntime> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(w) = handle.get_webview_window("main") {
            return w;
        }
        assert!(Instant::now() < deadline, "the main window opens");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Hosts, lets a friend join, closes the window: what was asked, and
/// whether the window is still open.
fn scenario(
    handle: &AppHandle<MockRuntime>,
    window: &WebviewWindow<MockRuntime>,
) -> (Vec<String>, bool) {
    invoke(
        window,
        "save_settings",
        json!({ "settings": { "nickname": "Ana", "relay_url": "", "mpv_path": "", "control_mode": "shared" } }),
    )
    .unwrap();
    let film = matinee_testkit::clip(matinee_testkit::ClipSpec::small(20));
    let room = invoke(
        window,
        "host_room",
        json!({ "media": { "kind": "file", "path": film.display().to_string() }, "events": "__CHANNEL__:3" }),
    )
    .expect("room hosted");

    // A friend joins with the invite (a session of its own, real mpv).
    let invite = Invite::parse(room["invite_link"].as_str().unwrap()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let friend = rt
        .block_on(PartySession::start(SessionConfig {
            relay: invite.endpoints(),
            nickname: "Bo".into(),
            role: Role::Join {
                code: invite.code.clone(),
            },
            media: MediaSource::file(&film),
            mpv: matinee_mpv::LaunchOptions::headless(matinee_mpv::locate(None).unwrap()),
            engine: Default::default(),
            client_name: "closing-test".into(),
            osd_notices: false,
            backoff: Backoff::default(),
            film_folders: Vec::new(),
            jellyfin: None,
            reporter: None,
        }))
        .expect("the friend joins");
    let state = window.state::<matinee_app::AppState>();
    let waited = Instant::now();
    while state
        .session
        .blocking_lock()
        .as_ref()
        .map_or(0, |s| s.snapshot().participants.len())
        < 2
    {
        assert!(waited.elapsed() < Duration::from_secs(10), "Bo in the room");
        std::thread::sleep(Duration::from_millis(50));
    }

    let asked: Arc<Mutex<Vec<String>>> = Arc::default();
    let heard = asked.clone();
    handle.listen_any("confirm-close", move |e| {
        heard.lock().unwrap().push(e.payload().to_string())
    });
    window.close().unwrap();

    let deadline = Instant::now() + Duration::from_secs(10);
    while asked.lock().unwrap().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let open = handle.get_webview_window("main").is_some();
    let questions = asked.lock().unwrap().clone();
    rt.block_on(friend.leave());
    (questions, open)
}
