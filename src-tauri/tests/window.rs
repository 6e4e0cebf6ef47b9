//! End to end in the real window: the app built with its UI, run under Xvfb
//! and driven by tauri-driver + WebKitWebDriver, hosts a room with the
//! embedded relay and a real (headless) mpv; `matinee-cli` joins it, and
//! what the CLI does shows in the window.
//!
//! Needs a display server, tauri-driver and WebKitWebDriver, so it is
//! ignored by default; `scripts/e2e` runs it (and `scripts/test` calls
//! that):
//!
//! ```text
//! cargo build -p matinee-cli
//! cargo test -p matinee --features custom-protocol --test window -- --ignored
//! ```
//!
//! Then the host leaves, connects the app to a fake Jellyfin server (which
//! checks every request against the OpenAPI document), signs in (the token
//! goes to the real Secret Service `scripts/e2e` starts), picks a film from
//! the poster grid and hosts it: mpv streams it and the server hears so.
//!
//! Screenshots land in `target/e2e/`.

// Linux only: Xvfb, WebKitWebDriver, network namespaces.
#![cfg(target_os = "linux")]

use matinee_fake_jellyfin as fake;

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(40);

/// A child process, and everything it started, killed when the test ends,
/// however it ends.
struct Reaped(Child);

impl Reaped {
    /// Starts `cmd` as the leader of a new process group.
    fn spawn(mut cmd: Command, what: &str) -> Self {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
        Self(cmd.spawn().unwrap_or_else(|e| panic!("{what} starts: {e}")))
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn target_dir() -> PathBuf {
    // target/debug/deps/window-… → target/debug
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

fn need(program: &str, hint: &str) -> PathBuf {
    which::which(program).unwrap_or_else(|_| panic!("{program} is needed: {hint}"))
}

/// A private X server. The display number comes from MATINEE_E2E_DISPLAY
/// (default 97), so it does not meet a developer's own.
fn start_xvfb() -> (Reaped, String) {
    let n: u32 = std::env::var("MATINEE_E2E_DISPLAY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(97);
    let display = format!(":{n}");
    let mut xvfb = Command::new(need("Xvfb", "apt install xvfb"));
    xvfb.args([&display, "-screen", "0", "1920x1080x24", "-nolisten", "tcp"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let xvfb = Reaped::spawn(xvfb, "Xvfb");
    let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !socket.exists() {
        assert!(Instant::now() < deadline, "Xvfb did not open {display}");
        std::thread::sleep(Duration::from_millis(50));
    }
    (xvfb, display)
}

/// A fresh home for the app: settings, logs, WebKit data, and an mpv.conf
/// that keeps this user's mpv headless.
fn fresh_home(root: &Path) -> Vec<(String, PathBuf)> {
    let config = root.join("config");
    std::fs::create_dir_all(config.join("mpv")).unwrap();
    std::fs::write(config.join("mpv/mpv.conf"), "vo=null\nao=null\n").unwrap();
    let dirs = [
        ("HOME", root.join("home")),
        ("XDG_CONFIG_HOME", config),
        ("XDG_DATA_HOME", root.join("data")),
        ("XDG_CACHE_HOME", root.join("cache")),
        ("XDG_RUNTIME_DIR", root.join("runtime")),
    ];
    for (_, d) in &dirs {
        std::fs::create_dir_all(d).unwrap();
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(root.join("runtime"), std::fs::Permissions::from_mode(0o700))
            .unwrap();
    }
    dirs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// Where the app under test writes its log (set once its home is made).
static APP_LOG_DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// The end of the app's log, for a failure's message: what the app did
/// (its sync engine's and session's lines) when the window went wrong.
fn app_log_tail() -> String {
    let Some(dir) = APP_LOG_DIR.get() else {
        return String::new();
    };
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        text.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
    }
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(80)..].join("\n");
    format!("the app's log ({}), its last lines:\n{tail}", dir.display())
}

/// One WebDriver step, with a deadline: a stuck driver fails the test.
async fn step<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, f)
        .await
        .unwrap_or_else(|_| panic!("WebDriver step timed out: {what}"))
}

async fn js(client: &Client, script: &str) -> Value {
    step(script, client.execute(script, vec![]))
        .await
        .expect("script runs")
}

/// Polls a script until `ok` accepts its value; panics with the last value.
async fn wait_for(client: &Client, what: &str, script: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let v = js(client, script).await;
        if ok(&v) {
            return v;
        }
        if Instant::now() > deadline {
            let page = js(client, "return document.body.innerText").await;
            panic!(
                "{what}: last value {v}; the window shows:\n{page}\n{}",
                app_log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn click_button(client: &Client, text: &str) {
    let xpath = format!("//button[normalize-space()='{text}']");
    let button = step(
        text,
        client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::XPath(&xpath)),
    )
    .await
    .unwrap_or_else(|e| panic!("button {text}: {e}"));
    step(text, button.click()).await.unwrap();
}

/// What `css` finds, once it is there (`what` names it when it is not).
async fn element(client: &Client, what: &str, css: &str) -> fantoccini::elements::Element {
    step(
        what,
        client.wait().at_most(WAIT).for_element(Locator::Css(css)),
    )
    .await
    .unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Clicks what `css` finds once it is there.
async fn click_when_there(client: &Client, what: &str, css: &str) {
    let found = element(client, what, css).await;
    step(what, found.click()).await.unwrap();
}

/// The window (at the screen's top left), as a person would see it.
fn screenshot(display: &str, dir: &Path, name: &str) {
    screenshot_sized(display, dir, name, 1100, 760);
}

/// The top-left `w`×`h` of the screen: the window at that size.
fn screenshot_sized(display: &str, dir: &Path, name: &str, w: u32, h: u32) {
    std::fs::create_dir_all(dir).unwrap();
    let out = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-f", "x11grab"])
        .args(["-video_size", &format!("{w}x{h}"), "-i", display])
        .args(["-frames:v", "1"])
        .arg(dir.join(name))
        .stdin(Stdio::null())
        .output()
        .expect("ffmpeg runs");
    assert!(
        out.status.success(),
        "screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const PARTICIPANTS: &str =
    "return [...document.querySelectorAll('.participants .name')].map(e => e.textContent)";
const PLAY_BUTTON: &str =
    "return document.querySelector('.controls button.primary')?.textContent ?? ''";
const CHAT: &str = "return document.querySelector('.chat-log')?.innerText ?? ''";
const STATUS: &str = "return document.querySelector('.status-pill .label')?.textContent ?? ''";

/// Participants whose whole row (name, badges, Make host, Remove) shows
/// in the window without scrolling anything.
const VISIBLE_PARTICIPANTS: &str = "return [...document.querySelectorAll('.participants .participant')].filter(p => { \
    const r = p.getBoundingClientRect(); \
    let ok = r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0; \
    for (let c = p.parentElement; c && ok; c = c.parentElement) { \
      const s = getComputedStyle(c); \
      if (s.overflowY !== 'visible') { const cr = c.getBoundingClientRect(); ok = r.top >= cr.top - 1 && r.bottom <= cr.bottom + 1; } \
    } \
    return ok; }).length";

/// A friend who joins from the command line with `invite` (from "the
/// internet" namespace when there is a lab), and what it prints, one JSON
/// value a line.
struct CliFriend {
    _process: Reaped,
    stdin: std::process::ChildStdin,
    heard: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
}

impl CliFriend {
    fn join(cli: &Path, lab: Option<&str>, invite: &str, film: &Path, name: &str) -> Self {
        let mut cmd = match lab {
            Some(lab) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", &format!("{lab}-inet")]).arg(cli);
                c
            }
            None => Command::new(cli),
        };
        cmd.args(["join", invite])
            .arg(film)
            .args(["--nickname", name, "--headless", "--json"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut process = Reaped::spawn(cmd, "matinee-cli");
        let stdin = process.0.stdin.take().unwrap();
        let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
        {
            use std::io::BufRead;
            let out = std::io::BufReader::new(process.0.stdout.take().unwrap());
            let heard = heard.clone();
            std::thread::spawn(move || {
                for line in out.lines().map_while(Result::ok) {
                    if let Ok(v) = serde_json::from_str::<Value>(&line) {
                        heard.lock().unwrap().push(v);
                    }
                }
            });
        }
        Self {
            _process: process,
            stdin,
            heard,
        }
    }

    /// Waits until the friend printed a value `ok` accepts.
    async fn heard(&self, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(v) = self.heard.lock().unwrap().iter().find(|v| ok(v)) {
                return v.clone();
            }
            assert!(Instant::now() < deadline, "never heard: {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Answers the app's file dialog (GTK's, a window of its own) by typing a
/// path into it, as a person does.
async fn answer_file_dialog(display: &str, title: &str, path: &Path) {
    let deadline = Instant::now() + WAIT;
    let window = loop {
        let found = Command::new("xdotool")
            .args(["search", "--onlyvisible", "--name", title])
            .env("DISPLAY", display)
            .output()
            .expect("xdotool runs (apt install xdotool)");
        let ids = String::from_utf8_lossy(&found.stdout).to_string();
        if let Some(id) = ids.lines().next() {
            break id.to_string();
        }
        assert!(Instant::now() < deadline, "the file dialog never opened");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let xdo = |args: &[&str]| {
        let ok = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", display)
            .status()
            .unwrap()
            .success();
        assert!(ok, "xdotool {args:?}");
    };
    xdo(&["windowfocus", "--sync", &window]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Ctrl+L opens the location field; the path, then Enter picks it.
    xdo(&["key", "--window", &window, "ctrl+l"]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    xdo(&[
        "type",
        "--window",
        &window,
        "--delay",
        "20",
        &path.display().to_string(),
    ]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    xdo(&["key", "--window", &window, "Return"]);
}

/// The app's processes (its own and WebKit's): CPU time (s) and PSS (KiB).
fn app_usage(app: &Path) -> Vec<(String, f64, u64)> {
    let mut out = Vec::new();
    let app_name = app.file_name().unwrap().to_string_lossy().to_string();
    for (name, how, pattern) in [
        ("app", "-x", app_name),
        ("web", "-f", "WebKitWebProcess".to_string()),
        ("network", "-f", "WebKitNetworkProcess".to_string()),
    ] {
        let pids = Command::new("pgrep")
            .args([how, &pattern])
            .output()
            .unwrap();
        for pid in String::from_utf8_lossy(&pids.stdout).lines() {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let fields: Vec<&str> = stat
                .rsplit_once(')')
                .map(|(_, rest)| rest.split_whitespace().collect())
                .unwrap_or_default();
            let ticks = |i: usize| {
                fields
                    .get(i)
                    .and_then(|f| f.parse::<f64>().ok())
                    .unwrap_or(0.0)
            };
            // utime and stime are fields 14 and 15 (11 and 12 after the name).
            let cpu = (ticks(11) + ticks(12)) / 100.0;
            let pss = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
                .unwrap_or_default()
                .lines()
                .find_map(|l| l.strip_prefix("Pss:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0);
            out.push((name.to_string(), cpu, pss));
        }
    }
    out
}

/// Prints what the app costs while a paused room sits idle for `secs`
/// (figures for the README, not a timed assertion).
async fn report_idle_cost(app: &Path, secs: u64) {
    let before = app_usage(app);
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let after = app_usage(app);
    let total_pss: u64 = after.iter().map(|u| u.2).sum();
    let mut parts = Vec::new();
    for (name, cpu, pss) in &after {
        let was = before.iter().find(|b| &b.0 == name).map_or(*cpu, |b| b.1);
        let pct = (cpu - was) / secs as f64 * 100.0;
        parts.push(format!(
            "{name} {:.0} MiB, {pct:.1} % CPU",
            *pss as f64 / 1024.0
        ));
    }
    eprintln!(
        "idle paused room: {} MiB PSS in all ({})",
        total_pss / 1024,
        parts.join("; ")
    );
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver and WebKitWebDriver: run by scripts/e2e"]
async fn host_in_the_window_and_join_from_the_cli() {
    // No test reaches iroh's public relays: the app, its friends and
    // their endpoints run without the peer-to-peer path (the namespace
    // tests cover it, with their own relay).
    if std::env::var_os("MATINEE_IROH_RELAY").is_none() {
        std::env::set_var("MATINEE_IROH_RELAY", "off");
    }
    let app = PathBuf::from(env!("CARGO_BIN_EXE_matinee"));
    let cli = target_dir().join("matinee-cli");
    assert!(
        cli.exists(),
        "build the CLI first: cargo build -p matinee-cli"
    );
    let shots = target_dir().parent().unwrap().join("e2e");
    let film = matinee_testkit::clip(matinee_testkit::ClipSpec::small(60));
    let home = tempfile::tempdir().unwrap();
    let env = fresh_home(home.path());
    let _ = APP_LOG_DIR.set(home.path().join("data/app.matinee.desktop/logs"));

    let (_xvfb, display) = start_xvfb();
    // Inside a home network behind a router with a real miniupnpd
    // (scripts/e2e as root): host the way people do, on every interface.
    // Else on loopback only.
    let lab = std::env::var("MATINEE_E2E_NETLAB")
        .ok()
        .filter(|l| !l.is_empty());
    let relay_port = free_port();
    let (driver_port, native_port) = (free_port(), free_port());
    let tauri_driver = need(
        "tauri-driver",
        "cargo install tauri-driver --version ^2 --locked",
    );
    need("WebKitWebDriver", "apt install webkit2gtk-driver");
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "run under dbus-run-session (scripts/e2e does): the app keeps its Jellyfin token in the Secret Service on the session bus"
    );
    let mut driver = Command::new(&tauri_driver);
    driver
        .args(["--port", &driver_port.to_string()])
        .args(["--native-port", &native_port.to_string()])
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_os_str())))
        .env("DISPLAY", &display)
        .env(
            "MATINEE_HOST_LISTEN",
            match lab {
                Some(_) => String::new(),
                None => format!("127.0.0.1:{relay_port}"),
            },
        )
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        // The app's log (its tail is in a failure's message) with the
        // sync engine's reasoning.
        .env("RUST_LOG", "info,matinee_sync=debug,tao=warn,wry=warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _driver = Reaped::spawn(driver, "tauri-driver");

    let mut caps = serde_json::Map::new();
    caps.insert(
        "tauri:options".into(),
        json!({ "application": app, "args": [film.display().to_string()] }),
    );
    let url = format!("http://127.0.0.1:{driver_port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let client = loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let session = ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await;
        match session {
            Ok(c) => break c,
            Err(e) if Instant::now() < deadline => {
                eprintln!("waiting for tauri-driver: {e}");
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(e) => panic!("no WebDriver session: {e}"),
        }
    };

    // First run: a nickname.
    let nick = step(
        "first run",
        client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css("#first-nick")),
    )
    .await
    .expect("first run asks for a nickname");
    screenshot(&display, &shots, "1-first-run.png");
    step("type", nick.send_keys("Ana")).await.unwrap();
    click_button(&client, "Continue").await;

    // The lobby, with the film the app was opened with already chosen.
    wait_for(
        &client,
        "the film from the command line is chosen",
        "return document.querySelector('.drop-zone.has-file .file-name')?.textContent ?? ''",
        |v| v.as_str() == film.file_name().unwrap().to_str(),
    )
    .await;
    wait_for(
        &client,
        "the greeting",
        "return document.querySelector('.who')?.textContent ?? ''",
        |v| v.as_str() == Some("You are Ana"),
    )
    .await;
    // Before Create room, the host is told who can reach this computer:
    // behind the lab's router, everyone (a port mapped by the real
    // miniupnpd); else only this computer (loopback).
    let reachable = match lab {
        Some(_) => "Friends anywhere can join (direct connection through your router: ",
        None => "Only this computer can join",
    };
    wait_for(
        &client,
        "the reachability line",
        "return document.querySelector('.reach')?.textContent ?? ''",
        |v| v.as_str().is_some_and(|t| t.contains(reachable)),
    )
    .await;
    screenshot(&display, &shots, "2-lobby.png");
    // Settings → Sync: Syncplay's classic thresholds, for this room.
    click_button(&client, "Settings").await;
    wait_for(
        &client,
        "the sync setting",
        "return document.querySelector('#set-sync')?.value ?? ''",
        |v| v.as_str() == Some("matinee"),
    )
    .await;
    js(
        &client,
        "document.querySelector('#set-sync').value = 'syncplay'; return true",
    )
    .await;
    // The peer-to-peer relays: empty (iroh's public ones) unless chosen.
    let p2p = js(
        &client,
        "return document.querySelector('#set-p2p')?.placeholder ?? null",
    )
    .await;
    assert_eq!(p2p, json!("Empty: iroh's public relays"));
    screenshot(&display, &shots, "2b-settings.png");
    click_button(&client, "Save").await;
    wait_for(
        &client,
        "the settings dialog closes",
        "return document.querySelector('dialog.settings') === null",
        |v| v.as_bool() == Some(true),
    )
    .await;
    click_button(&client, "Create room").await;

    // The room, hosted on this computer.
    let code = wait_for(
        &client,
        "a room code",
        "return document.querySelector('.room-code')?.textContent ?? ''",
        |v| v.as_str().is_some_and(|s| s.len() == 6),
    )
    .await;
    let code = code.as_str().unwrap().to_string();
    wait_for(
        &client,
        "the room's sync mode",
        "return document.querySelector('.sync-mode')?.textContent ?? ''",
        |v| v.as_str() == Some("Sync: Syncplay's classic thresholds"),
    )
    .await;
    let hosting = js(
        &client,
        "return document.querySelector('.room-meta')?.innerText ?? ''",
    )
    .await;
    assert!(
        hosting
            .as_str()
            .unwrap()
            .contains("Hosting on this computer"),
        "{hosting}"
    );
    let people = wait_for(&client, "the host in the list", PARTICIPANTS, |v| {
        !names(v).is_empty()
    })
    .await;
    assert_eq!(names(&people), ["Ana (you)"]);

    // Everyone may control, so the CLI's pause counts.
    let mode = step(
        "mode",
        client.find(Locator::Css("select[aria-label='Who controls playback']")),
    )
    .await
    .unwrap();
    step("shared", mode.select_by_value("shared"))
        .await
        .unwrap();
    wait_for(&client, "shared control", CHAT, |v| {
        v.as_str().is_some_and(|t| t.contains("Everyone"))
    })
    .await;

    // The room says the same, and shows the invite: the relay on this
    // computer over TLS, pinned by the certificate's fingerprint.
    let reach = js(
        &client,
        "return document.querySelector('.room-meta .reach')?.textContent ?? ''",
    )
    .await;
    assert!(reach.as_str().unwrap().contains(reachable), "{reach}");
    let invite = js(
        &client,
        "return document.querySelector('.invite-text')?.textContent ?? ''",
    )
    .await;
    let invite = invite.as_str().unwrap().to_string();
    match lab {
        Some(_) => assert!(
            invite.starts_with(&format!("matinee://join/{code}?h=10.77.0.2:"))
                && invite.contains(",5.5.5.1:")
                && invite.contains("&fp="),
            "LAN and public addresses, pinned: {invite}"
        ),
        None => assert!(
            invite.starts_with(&format!(
                "matinee://join/{code}?h=127.0.0.1:{relay_port}&fp="
            )),
            "{invite}"
        ),
    }
    // Friends on Syncplay are told the same reachable address.
    let syncplay = js(
        &client,
        "return document.querySelector('.syncplay-line span')?.textContent ?? ''",
    )
    .await;
    let server = if lab.is_some() {
        "5.5.5.1"
    } else {
        "127.0.0.1"
    };
    assert!(
        syncplay
            .as_str()
            .unwrap()
            .starts_with(&format!("Friends with Syncplay: server {server}:"))
            && syncplay
                .as_str()
                .unwrap()
                .ends_with(&format!(", room {code}")),
        "{syncplay}"
    );

    // A friend joins from the command line with that invite (from "the
    // internet", behind the lab's router).
    let mut bo = CliFriend::join(&cli, lab.as_deref(), &invite, &film, "Bo");
    let bo_heard = bo.heard.clone();
    let bo_stdin = &mut bo.stdin;
    let people = wait_for(&client, "Bo joins", PARTICIPANTS, |v| names(v).len() == 2).await;
    assert_eq!(names(&people), ["Ana (you)", "Bo"], "host first");
    // Ana's copy is the one friends' copies are aligned to by sound.
    wait_for(
        &client,
        "the alignment line",
        "return document.querySelector('.align-line')?.innerText ?? ''",
        |v| {
            v.as_str()
                .is_some_and(|t| t.contains("aligned to yours by its sound"))
        },
    )
    .await;

    // Bo plays: the window follows, and its sync indicator says so.
    writeln!(bo_stdin, "play").unwrap();
    wait_for(&client, "playing after Bo's play", PLAY_BUTTON, |v| {
        v.as_str() == Some("Pause")
    })
    .await;
    wait_for(&client, "the notice", CHAT, |v| {
        v.as_str().is_some_and(|t| t.contains("Bo played"))
    })
    .await;
    wait_for(&client, "in sync while playing", STATUS, |v| {
        matches!(v.as_str(), Some("In sync") | Some("Correcting"))
    })
    .await;

    // Bo pauses: the window shows it.
    writeln!(bo_stdin, "pause").unwrap();
    wait_for(&client, "paused after Bo's pause", PLAY_BUTTON, |v| {
        v.as_str() == Some("Play")
    })
    .await;
    let chat = wait_for(&client, "the pause notice", CHAT, |v| {
        v.as_str().is_some_and(|t| t.contains("Bo paused"))
    })
    .await;
    wait_for(&client, "the indicator shows the pause", STATUS, |v| {
        v.as_str() == Some("Paused")
    })
    .await;
    assert!(chat
        .as_str()
        .unwrap()
        .contains(&format!("Room {code} is open")));
    // Two more friends: at the default size the host sees all three, each
    // with its badges, Make host and Remove, without scrolling.
    let cleo = CliFriend::join(&cli, lab.as_deref(), &invite, &film, "Cleo");
    let dan = CliFriend::join(&cli, lab.as_deref(), &invite, &film, "Dan");
    wait_for(&client, "Cleo and Dan join", PARTICIPANTS, |v| {
        names(v).len() == 4
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let visible = js(&client, VISIBLE_PARTICIPANTS).await;
    screenshot(&display, &shots, "3-room.png");
    assert_eq!(visible, json!(4), "everyone in the list shows at 1100×760");
    // Idle once the joins have settled (the newcomers' first quick pings,
    // fingerprints and track lists are over).
    tokio::time::sleep(Duration::from_secs(8)).await;
    report_idle_cost(&app, 10).await;

    // The room shows the film's time; a seek from its seek bar reaches Bo.
    wait_for(
        &client,
        "the duration next to the seek bar",
        "return document.querySelector('.timeline .time.total')?.textContent ?? ''",
        |v| v.as_str() == Some("1:00"),
    )
    .await;
    js(
        &client,
        "const b = document.querySelector('.timeline .seek'); b.value = '30'; \
         b.dispatchEvent(new Event('input')); b.dispatchEvent(new Event('change')); return true",
    )
    .await;
    let deadline = Instant::now() + WAIT;
    loop {
        let at_30 = bo_heard.lock().unwrap().iter().any(|v| {
            v["type"] == "playback"
                && v["playback"]["position"]
                    .as_f64()
                    .is_some_and(|p| (p - 30.0).abs() < 0.5)
        });
        if at_30 {
            break;
        }
        assert!(Instant::now() < deadline, "Bo never heard the seek to 0:30");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_for(
        &client,
        "the window's own time follows",
        "return document.querySelector('.timeline .time')?.textContent ?? ''",
        |v| v.as_str() == Some("0:30"),
    )
    .await;
    screenshot(&display, &shots, "3b-room-seek-bar.png");

    // Bo shares a subtitle file: the window says so, with Use and Ignore,
    // and its player shows it (no subtitles were on); Ana suggests her
    // tracks to everyone, and Bo's player picks the same file.
    let srt = home.path().join("film.en.srt");
    std::fs::write(&srt, "1\n00:00:00,000 --> 00:10:00,000\nHello from Bo\n").unwrap();
    writeln!(bo_stdin, "sub {}", srt.display()).unwrap();
    wait_for(&client, "the shared subtitle", CHAT, |v| {
        v.as_str()
            .is_some_and(|t| t.contains("Bo shared English (SRT)"))
    })
    .await;
    wait_for(
        &client,
        "Use and Ignore",
        "return [...document.querySelectorAll('.shared-subtitle button')].map(b => b.textContent).join(',')",
        |v| v.as_str() == Some("In use,Ignore"),
    )
    .await;
    wait_for(
        &client,
        "the player's subtitles, listed",
        "return document.querySelector('.card.tracks select[aria-label=\"Your subtitles\"]')?.selectedOptions[0]?.textContent ?? ''",
        |v| v.as_str().is_some_and(|t| t.contains("from Bo")),
    )
    .await;
    click_button(&client, "Suggest to everyone").await;
    wait_for(&client, "the proposal", CHAT, |v| {
        v.as_str()
            .is_some_and(|t| t.contains("Ana suggested subtitles: English (SRT) · from Bo"))
    })
    .await;
    let deadline = Instant::now() + WAIT;
    loop {
        let picked = bo_heard.lock().unwrap().iter().any(|v| {
            v["type"] == "track_proposal"
                && v["outcome"][0]
                    .as_str()
                    .is_some_and(|o| o.starts_with("Subtitles: English"))
        });
        if picked {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Bo's player never took the proposal"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    screenshot(&display, &shots, "3f-room-subtitles.png");

    // Ana shares a file with the button: the real file dialog, answered
    // by typing its path; Bo's player gets it.
    let ana_srt = home.path().join("ana.fr.srt");
    std::fs::write(
        &ana_srt,
        "1\n00:00:00,000 --> 00:10:00,000\nBonjour d'Ana\n",
    )
    .unwrap();
    click_button(&client, "Share a subtitle file…").await;
    answer_file_dialog(&display, "Share a subtitle file with the room", &ana_srt).await;
    wait_for(&client, "Ana's file is shared", CHAT, |v| {
        v.as_str()
            .is_some_and(|t| t.contains("Ana shared French (SRT)"))
    })
    .await;
    bo.heard("Ana's shared file", |v| {
        v["type"] == "subtitle_shared" && v["nickname"] == "Ana"
    })
    .await;

    // A small and a large window.
    for (w, h, name) in [
        (800, 600, "3c-room-800x600.png"),
        (1920, 1080, "3d-room-1920x1080.png"),
    ] {
        step("resize", client.set_window_size(w, h)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        screenshot_sized(&display, &shots, name, w, h);
    }
    step("resize", client.set_window_size(1100, 760))
        .await
        .unwrap();
    // The page has its size back before anything is clicked: a click
    // computed on the large layout lands beside the button.
    wait_for(
        &client,
        "the window is back to 1100×760",
        "return [window.innerWidth, window.innerHeight]",
        |v| v[0].as_f64().is_some_and(|w| w <= 1100.0) && v[1].as_f64().is_some_and(|h| h <= 760.0),
    )
    .await;

    // Series night: Ana queues three episodes with the button (the real
    // file dialog, once per file); the first is her film under another
    // name, which each friend finds as their own copy (the film they
    // opened); the other two only she has.
    let episodes: Vec<PathBuf> = [
        film.clone(),
        matinee_testkit::clip(matinee_testkit::ClipSpec::small(8)),
        matinee_testkit::clip(matinee_testkit::ClipSpec::small(9)),
    ]
    .iter()
    .enumerate()
    .map(|(i, from)| {
        let to = home.path().join(format!("The.Show.S01E0{}.mkv", i + 1));
        std::fs::copy(from, &to).unwrap();
        to
    })
    .collect();
    // The card opens from its title, as a person opens it.
    let queue_title = step(
        "the queue's title",
        client.find(Locator::Css("details.queue summary")),
    )
    .await
    .expect("the queue card");
    step("open the queue", queue_title.click()).await.unwrap();
    for (i, episode) in episodes.iter().enumerate() {
        click_button(&client, "Add films or episodes…").await;
        answer_file_dialog(&display, "Add films or episodes to the queue", episode).await;
        wait_for(
            &client,
            "the entry is queued",
            "return document.querySelectorAll('.queue-entry').length",
            |v| v.as_u64() == Some(i as u64 + 1),
        )
        .await;
    }
    let missing = wait_for(
        &client,
        "the friends' copies are known",
        "return document.querySelectorAll('.queue-entry')[1].textContent",
        |v| {
            v.as_str().is_some_and(|t| {
                t.contains("have no copy") && ["Bo", "Cleo", "Dan"].iter().all(|n| t.contains(n))
            })
        },
    )
    .await;
    assert!(missing
        .as_str()
        .unwrap()
        .contains("Your copy: The.Show.S01E02.mkv"));
    screenshot(&display, &shots, "3g-room-queue.png");
    // The first episode for everyone: each opens their copy and says
    // ready, and the relay starts it for all.
    click_button(&client, "Play now").await;
    wait_for(&client, "the first episode plays", PLAY_BUTTON, |v| {
        v.as_str() == Some("Pause")
    })
    .await;
    click_button(&client, "Pause").await;

    // The end of the film: from near the end, play; the room stops at the
    // end for everyone and says so; nobody is said to have paused; the
    // queue counts down to the next episode, and Ana chooses to wait.
    js(
        &client,
        "const b = document.querySelector('.timeline .seek'); b.value = '57'; \
         b.dispatchEvent(new Event('input')); b.dispatchEvent(new Event('change')); return true",
    )
    .await;
    wait_for(
        &client,
        "at 0:57",
        "return document.querySelector('.timeline .time')?.textContent ?? ''",
        |v| v.as_str() == Some("0:57"),
    )
    .await;
    click_button(&client, "Play").await;
    wait_for(&client, "the film ends", STATUS, |v| {
        v.as_str() == Some("Film ended")
    })
    .await;
    let chat = wait_for(&client, "the end is said", CHAT, |v| {
        v.as_str().is_some_and(|t| t.contains("The film has ended"))
    })
    .await;
    assert!(
        !chat.as_str().unwrap().contains("paused 1:00"),
        "nobody paused: {chat}"
    );
    wait_for(
        &client,
        "the countdown to the next episode",
        "return document.querySelector('.queue-next:not([hidden])')?.textContent ?? ''",
        |v| {
            v.as_str()
                .is_some_and(|t| t.starts_with("Next: The Show · S01E02 in"))
        },
    )
    .await;
    screenshot(&display, &shots, "3h-queue-next.png");
    click_button(&client, "Wait").await;
    wait_for(
        &client,
        "the countdown stops",
        "return document.querySelector('.queue-next')?.hidden ?? true",
        |v| v.as_bool() == Some(true),
    )
    .await;
    wait_for(&client, "Watch again", PLAY_BUTTON, |v| {
        v.as_str() == Some("Watch again")
    })
    .await;
    screenshot(&display, &shots, "3e-film-ended.png");

    // Ana leaves while her friends watch through her computer: she is
    // asked, ends the party, and each friend is told at once who ended it.
    click_button(&client, "Leave room").await;
    let asked = wait_for(
        &client,
        "the question",
        "return document.querySelector('dialog.confirm')?.innerText ?? ''",
        |v| v.as_str().is_some_and(|t| !t.is_empty()),
    )
    .await;
    let asked = asked.as_str().unwrap();
    assert!(
        asked.starts_with("Bo, ")
            && asked.contains("Cleo")
            && asked.contains("Dan")
            && asked.contains("are still watching through your computer")
            && asked.contains("Hand it over to Bo"),
        "{asked}"
    );
    screenshot(&display, &shots, "3g-leave-as-host.png");
    click_button(&client, "End the party").await;
    for friend in [&bo, &cleo, &dan] {
        friend
            .heard("the party's end", |v| {
                v["type"] == "ended"
                    && v["reason"]
                        .as_str()
                        .is_some_and(|r| r.contains("Ana ended the party"))
            })
            .await;
    }
    wait_for(
        &client,
        "back in the lobby",
        "return document.querySelector('main.lobby') !== null",
        |v| v.as_bool() == Some(true),
    )
    .await;
    // The film chosen before the room is still chosen.
    wait_for(
        &client,
        "the film kept",
        "return document.querySelector('.drop-zone.has-file .file-name')?.textContent ?? ''",
        |v| v.as_str() == film.file_name().unwrap().to_str(),
    )
    .await;
    drop((bo, cleo, dan));

    watch_from_jellyfin(&client, &display, &shots, &film, &env).await;
    friend_of_a_host_who_vanishes(&client, &display, &shots, &film, &cli, &app, &env).await;
    step("close", client.close()).await.unwrap();
}

/// The window joins a room a CLI host made (by pasting its invite), the
/// host's process is killed: the window shows reconnecting with everyone
/// away, then "The party ended" with Try again and Back to the lobby.
async fn friend_of_a_host_who_vanishes(
    client: &Client,
    display: &str,
    shots: &Path,
    film: &Path,
    cli: &Path,
    app: &Path,
    env: &[(String, PathBuf)],
) {
    click_button(client, "Leave room").await;
    let state = tempfile::tempdir().unwrap();
    let mut cy = Command::new(cli);
    cy.args(["host"])
        .arg(film)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--nickname",
            "Cy",
            "--headless",
            "--json",
        ])
        .arg("--state-dir")
        .arg(state.path())
        // A short resume grace, so the party ends within the test.
        .env("MATINEE_RELAY_RESUME_GRACE_SECS", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut cy = Reaped::spawn(cy, "matinee-cli host");
    let invite = {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(cy.0.stdout.take().unwrap()).lines();
        loop {
            let line = lines.next().expect("Cy prints its invite").unwrap();
            let v: Value = serde_json::from_str(&line).unwrap();
            if v["type"] == "reachability" {
                break v["invite"].as_str().unwrap().to_string();
            }
        }
    };
    // Paste into the code field (one input event, as a paste makes): the
    // web link a host copies, then a chat line with the invite in it.
    let paste = |text: String| {
        let pasted = serde_json::to_string(&text).unwrap();
        format!(
            "const c = document.querySelector('#join-code'); c.value = {pasted}; \
             c.dispatchEvent(new Event('input')); return c.value"
        )
    };
    let code = invite
        .trim_start_matches("matinee://join/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let web = invite.replacen("matinee://join/", "http://127.0.0.1:9/join/", 1);
    for pasted in [web, format!("Join us tonight: {invite} 🍿")] {
        js(
            client,
            "document.querySelector('#join-relay').value = ''; return true",
        )
        .await;
        js(client, &paste(pasted.clone())).await;
        wait_for(
            client,
            "the pasted text fills the join card",
            "return [document.querySelector('#join-code')?.value, document.querySelector('#join-relay')?.value]",
            |v| {
                v[0].as_str() == Some(code.as_str())
                    && v[1].as_str().is_some_and(|t| t.starts_with("From the invite"))
            },
        )
        .await;
        let error = js(
            client,
            "return document.querySelector('main.lobby .error:not([hidden])')?.textContent ?? ''",
        )
        .await;
        assert_eq!(error, json!(""), "{pasted} was refused: {error}");
    }
    let second = Command::new(app)
        .arg(film)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_os_str())))
        .env("DISPLAY", display)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("a second launch hands the film over");
    assert!(second.success());
    wait_for(
        client,
        "the film reaches the join card",
        "return document.querySelectorAll('.drop-zone')[1]?.classList.contains('has-file') ?? false",
        |v| v == &json!(true),
    )
    .await;
    click_button(client, "Join room").await;
    wait_for(client, "in Cy's room", PARTICIPANTS, |v| {
        names(v) == ["Cy", "Ana (you)"]
    })
    .await;

    drop(cy); // SIGKILL: the host's computer is gone, and its relay with it
    wait_for(client, "reconnecting", STATUS, |v| {
        v.as_str() == Some("Reconnecting")
    })
    .await;
    let away = js(
        client,
        "return document.querySelector('.people')?.classList.contains('away') ?? false",
    )
    .await;
    assert_eq!(away, json!(true), "everyone shown as away");
    // Chat written now is kept, marked as not sent yet.
    type_into(client, ".chat-form input", "still there?").await;
    click_button(client, "Send").await;
    let unsent = wait_for(
        client,
        "the chat waits, marked",
        "return document.querySelector('.chat-log .unsent')?.textContent ?? ''",
        |v| v.as_str().is_some_and(|t| t.contains("still there?")),
    )
    .await;
    assert!(
        unsent.as_str().unwrap().contains("not sent yet"),
        "{unsent}"
    );
    screenshot(display, shots, "7-host-gone-reconnecting.png");
    let ended = wait_for(
        client,
        "the party ends",
        "return document.querySelector('.card.ended')?.innerText ?? ''",
        |v| v.as_str().is_some_and(|t| t.contains("The party ended")),
    )
    .await;
    let ended = ended.as_str().unwrap();
    assert!(ended.contains("could not be reached"), "{ended}");
    assert!(
        ended.contains("Try again") && ended.contains("Back to the lobby"),
        "{ended}"
    );
    screenshot(display, shots, "8-party-ended.png");
    click_button(client, "Back to the lobby").await;
}

async fn type_into(client: &Client, css: &str, text: &str) {
    let field = element(client, &format!("field {css}"), css).await;
    step(css, field.send_keys(text)).await.unwrap();
}

/// From the lobby, sign in to Jellyfin, pick a film from the grid, host it.
async fn watch_from_jellyfin(
    client: &Client,
    display: &str,
    shots: &Path,
    film: &Path,
    env: &[(String, PathBuf)],
) {
    let server = fake::FakeJellyfin::start(film.to_path_buf(), 60.0).await;
    // The server is still updating after an upgrade: the form says so,
    // counts down, and connects by itself once the server is up.
    server.set_phase(fake::Phase::Updating);
    click_button(client, "From Jellyfin…").await;
    type_into(client, "#jf-url", &server.url()).await;
    click_button(client, "Connect").await;
    wait_for(
        client,
        "the form counts down to asking a starting server again",
        "return document.querySelector('.jf-form .error.waiting')?.textContent ?? ''",
        |v| v.as_str().is_some_and(|t| t.contains("Trying again in")),
    )
    .await;
    screenshot(display, shots, "4a-jellyfin-starting.png");
    server.set_phase(fake::Phase::Running);
    type_into(client, "#jf-user", fake::USER).await;
    type_into(client, "#jf-pass", "wrong").await;
    click_button(client, "Sign in").await;
    wait_for(
        client,
        "a wrong password is refused",
        "return document.querySelector('.jf-form .error')?.textContent ?? ''",
        |v| v.as_str() == Some("Wrong username or password."),
    )
    .await;
    let pass = step("password", client.find(Locator::Css("#jf-pass")))
        .await
        .unwrap();
    step("clear", pass.clear()).await.unwrap();
    step("type", pass.send_keys(fake::PASSWORD)).await.unwrap();
    click_button(client, "Sign in").await;

    // The library: posters load as data: URLs.
    wait_for(
        client,
        "the poster grid with its posters",
        "return [...document.querySelectorAll('.poster-card img.loaded')].length",
        |v| v.as_u64().is_some_and(|n| n >= 2),
    )
    .await;
    screenshot(display, shots, "4-jellyfin-library.png");
    let card = step(
        "film card",
        client.find(Locator::Css(&format!(
            ".poster-card[data-id='{}']",
            fake::FILM
        ))),
    )
    .await
    .unwrap();
    step("open the film", card.click()).await.unwrap();
    wait_for(
        client,
        "the film's details",
        "return document.querySelector('.jf-details h2')?.textContent ?? ''",
        |v| v.as_str() == Some("Big Buck Bunny"),
    )
    .await;
    screenshot(display, shots, "5-jellyfin-details.png");
    click_button(client, "Watch this").await;
    wait_for(
        client,
        "the lobby names the Jellyfin film",
        "return document.querySelector('.drop-zone.from-jellyfin .file-name')?.textContent ?? ''",
        |v| v.as_str().is_some_and(|t| t.starts_with("Big Buck Bunny")),
    )
    .await;
    click_button(client, "Create room").await;
    wait_for(
        client,
        "a room with the Jellyfin film",
        "return document.querySelector('.room-meta .media')?.textContent ?? ''",
        |v| v.as_str().is_some_and(|t| t.contains("Big Buck Bunny")),
    )
    .await;

    // It plays: mpv streams it, and the server is told.
    let deadline = Instant::now() + WAIT;
    while server.seen("/Sessions/Playing").is_empty() {
        assert!(Instant::now() < deadline, "playback start reported");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let streamed = server.seen("/Videos/{itemId}/stream");
    assert!(!streamed.is_empty(), "mpv streamed the film");
    assert!(
        streamed.iter().all(|r| !r
            .query
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("api_key"))),
        "no token in the stream URL"
    );
    click_button(client, "Play").await;
    wait_for(client, "playing", PLAY_BUTTON, |v| {
        v.as_str() == Some("Pause")
    })
    .await;
    screenshot(display, shots, "6-jellyfin-room.png");

    // Series night from Jellyfin: the queue's "From Jellyfin…" opens the
    // library over the room; the whole series goes in, each episode
    // found on this server.
    let queue_title = step(
        "the queue's title",
        client.find(Locator::Css("details.queue summary")),
    )
    .await
    .unwrap();
    step("open the queue", queue_title.click()).await.unwrap();
    click_button(client, "From Jellyfin…").await;
    let shows = format!("[role=tab][data-id='{}']", fake::SHOWS);
    click_when_there(client, "the Shows library", &shows).await;
    let series = format!(".poster-card[data-id='{}']", fake::SERIES);
    click_when_there(client, "the series' card", &series).await;
    click_button(client, "Add the whole series to the queue").await;
    let queued = wait_for(
        client,
        "the series' episodes queued, each with this member's copy",
        "return [...document.querySelectorAll('.queue-entry .queue-copy')].map(e => e.textContent)",
        |v| v.as_array().is_some_and(|a| a.len() == 2),
    )
    .await;
    assert!(
        queued.to_string().contains("(Jellyfin)"),
        "copies on the server: {queued}"
    );
    screenshot(display, shots, "6b-queue-from-jellyfin.png");

    // The token is in the Secret Service, not in the app's files.
    let config = &env.iter().find(|(k, _)| k == "XDG_CONFIG_HOME").unwrap().1;
    let profile = matinee_testkit::files_under(config)
        .into_iter()
        .find(|p| p.ends_with("jellyfin.json"))
        .expect("the Jellyfin profile");
    let profile_text = std::fs::read_to_string(&profile).unwrap();
    let account = format!("{}/{}", fake::SERVER_ID, fake::USER_ID);
    let lookup = Command::new("secret-tool")
        .args([
            "lookup",
            "service",
            "app.matinee.desktop",
            "username",
            &account,
        ])
        .output()
        .expect("secret-tool (apt install libsecret-tools)");
    let token = String::from_utf8_lossy(&lookup.stdout).trim().to_string();
    assert!(!token.is_empty(), "the token is in the keyring");
    assert!(
        !profile_text.contains(&token),
        "and not in {}",
        profile.display()
    );
    server.assert_clean();
}
