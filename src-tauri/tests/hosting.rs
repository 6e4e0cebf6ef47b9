//! "Host on this computer" through the app command: the embedded relay
//! starts, a real mpv opens the film, and the room answers. Its own test
//! binary, because it sets environment variables.

mod common;
use matinee_fake_jellyfin as fake;

use common::invoke;
use serde_json::json;
use tauri::test::MockRuntime;
use tauri::WebviewWindow;

#[test]
fn hosting_starts_the_embedded_relay_and_the_player() {
    let dir = tempfile::tempdir().unwrap();
    // The app reads the user's mpv.conf: make this user's mpv headless.
    // SAFETY: this test binary has one test and calls this before any other
    // thread starts.
    unsafe { common::headless_loopback_user(dir.path()) };

    // Every log line at every level, into a file under the app's folder,
    // to be searched for secrets at the end.
    let log_file = std::fs::File::create(dir.path().join("trace.log")).unwrap();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(log_file))
        .init();

    let (_app, window) = common::app_in(dir.path());
    let film = matinee_testkit::clip(matinee_testkit::ClipSpec::small(5));
    let host = |w: &WebviewWindow<MockRuntime>| {
        invoke(
            w,
            "host_room",
            json!({ "media": { "kind": "file", "path": film.display().to_string() }, "events": "__CHANNEL__:3" }),
        )
    };

    let err = host(&window).unwrap_err();
    assert_eq!(err["kind"], "settings", "a nickname comes first: {err}");

    invoke(
        &window,
        "save_settings",
        json!({ "settings": { "nickname": "Ana", "relay_url": "", "mpv_path": "", "control_mode": "shared" } }),
    )
    .unwrap();
    let room = host(&window).expect("room hosted");
    let code = room["code"].as_str().unwrap();
    assert_eq!(code.len(), 6);
    assert_eq!(room["host"], true);
    assert_eq!(room["hosting_locally"], true);
    assert_eq!(room["control_mode"], "shared", "the default from settings");
    assert_eq!(
        room["media_name"],
        film.file_name().unwrap().to_str().unwrap()
    );
    let relay = room["relay_url"].as_str().unwrap();
    assert!(
        relay.starts_with("wss://127.0.0.1:") && relay.ends_with("/ws"),
        "TLS always: {relay}"
    );
    assert_eq!(
        room["reachability"]["kind"], "this_computer",
        "loopback only: nothing to share"
    );
    let link = room["invite_link"].as_str().unwrap();
    assert!(
        link.starts_with(&format!("matinee://join/{code}?h=127.0.0.1:")) && link.contains("&fp="),
        "the invite names the relay and pins its certificate: {link}"
    );
    let participants = room["participants"].as_array().unwrap();
    assert_eq!(participants.len(), 1);
    assert_eq!(participants[0]["nickname"], "Ana");

    invoke(
        &window,
        "room_command",
        json!({ "command": { "kind": "chat", "text": "hello" } }),
    )
    .expect("in a room");
    invoke(
        &window,
        "room_command",
        json!({ "command": { "kind": "play" } }),
    )
    .expect("play");

    // A new name in Settings shows in the room at once.
    invoke(
        &window,
        "save_settings",
        json!({ "settings": { "nickname": "Ann", "relay_url": "", "mpv_path": "", "control_mode": "shared" } }),
    )
    .unwrap();
    let state = tauri::Manager::state::<matinee_app::AppState>(&window);
    let waited = std::time::Instant::now();
    loop {
        let names: Vec<String> = state
            .session
            .blocking_lock()
            .as_ref()
            .map(|s| {
                s.snapshot()
                    .participants
                    .iter()
                    .map(|p| p.nickname.clone())
                    .collect()
            })
            .unwrap_or_default();
        if names == ["Ann"] {
            break;
        }
        assert!(
            waited.elapsed().as_secs() < 10,
            "renamed in the room: {names:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    // Hosting again reuses the embedded relay and replaces the session.
    let again = host(&window).expect("second room");
    assert_eq!(again["relay_url"], room["relay_url"]);
    assert_ne!(again["code"], room["code"]);

    // A film from Jellyfin, resumed where the host stopped: mpv streams it
    // and the server hears about it; leaving reports the stop.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(fake::FakeJellyfin::start(film.clone(), 5.0));
    let jellyfin_host = |w: &WebviewWindow<MockRuntime>| {
        invoke(
            w,
            "host_room",
            json!({ "media": { "kind": "jellyfin", "item": fake::FILM, "resume": 2.0 }, "events": "__CHANNEL__:5" }),
        )
    };
    let err = jellyfin_host(&window).unwrap_err();
    assert_eq!(err["kind"], "jellyfin_no_server", "{err}");
    invoke(&window, "jellyfin_connect", json!({ "url": server.url() })).unwrap();
    invoke(
        &window,
        "jellyfin_sign_in",
        json!({ "username": fake::USER, "password": fake::PASSWORD }),
    )
    .unwrap();
    let streamed = jellyfin_host(&window).expect("room with a Jellyfin film");
    assert_eq!(streamed["media_name"], "Big Buck Bunny");
    assert_eq!(streamed["relay_url"], room["relay_url"]);
    let waited = std::time::Instant::now();
    while server.seen("/Sessions/Playing").is_empty() {
        assert!(waited.elapsed().as_secs() < 15, "playback start reported");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(
        !server.seen("/Videos/{itemId}/stream").is_empty(),
        "mpv streamed"
    );
    let token = server.tokens().pop().expect("signed in");
    let players: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).into_owned())
        .filter(|c| c.contains("--title=Matinee — "))
        .collect();
    assert!(!players.is_empty(), "the app's mpv is running");
    assert!(
        players.iter().all(|c| !c.contains(&token)),
        "token on mpv's command line"
    );
    let at_resume = |r: &fake::Seen| r.body["PositionTicks"].as_i64().unwrap_or(0) >= 15_000_000;
    while !server.seen("/Sessions/Playing").iter().any(at_resume)
        && !server
            .seen("/Sessions/Playing/Progress")
            .iter()
            .any(at_resume)
    {
        assert!(
            waited.elapsed().as_secs() < 15,
            "the resume position reported"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    invoke(&window, "leave_room", json!({})).unwrap();
    while server.seen("/Sessions/Playing/Stopped").is_empty() {
        assert!(waited.elapsed().as_secs() < 20, "playback stop reported");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let stopped = server.seen("/Sessions/Playing/Stopped");
    let ticks = stopped[0].body["PositionTicks"].as_i64().unwrap();
    assert!(ticks >= 15_000_000, "resumed near 2 s, stopped at {ticks}");
    server.assert_clean();

    // Another relay set in Settings: the relay in this app stops listening
    // (out of a room, nobody watches through it).
    let addr = relay
        .trim_start_matches("wss://")
        .trim_end_matches("/ws")
        .to_string();
    assert!(
        std::net::TcpStream::connect(&addr).is_ok(),
        "the relay in the app listens while it may host"
    );
    std::thread::sleep(std::time::Duration::from_millis(500));
    invoke(
        &window,
        "save_settings",
        json!({ "settings": { "nickname": "Ann", "relay_url": "relay.example.com", "mpv_path": "", "control_mode": "shared" } }),
    )
    .unwrap();
    // (As soon as the room just left has closed its socket.)
    let closing = std::time::Instant::now();
    while std::net::TcpStream::connect(&addr).is_ok() {
        assert!(
            closing.elapsed().as_secs() < 8,
            "{addr} still open with another relay set"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }

    // The token is in no file the app wrote (settings, Jellyfin profile,
    // device id, logs at trace level), though the logs did see the session.
    let files = matinee_testkit::files_under(dir.path());
    let log = std::fs::read_to_string(dir.path().join("trace.log")).unwrap();
    assert!(
        log.contains("signed in to Jellyfin"),
        "the log saw the sign-in"
    );
    for file in &files {
        let text = String::from_utf8_lossy(&std::fs::read(file).unwrap()).into_owned();
        assert!(!text.contains(&token), "the token is in {}", file.display());
        assert!(
            !text.contains(fake::PASSWORD),
            "the password is in {}",
            file.display()
        );
    }
    assert!(files.iter().any(|f| f.ends_with("jellyfin.json")));

    invoke(&window, "leave_room", json!({})).unwrap();
    let err = invoke(
        &window,
        "room_command",
        json!({ "command": { "kind": "pause" } }),
    )
    .unwrap_err();
    assert_eq!(err["kind"], "no_room");
}
