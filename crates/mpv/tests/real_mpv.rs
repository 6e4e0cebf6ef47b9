//! The controller against a real headless mpv playing a generated clip.

use std::time::{Duration, Instant};

use matinee_mpv::{locate, EndReason, LaunchOptions, MpvEvent, MpvProcess, Property};
use matinee_testkit::{clip, ClipSpec};
use tokio::sync::broadcast::Receiver;

const WAIT: Duration = Duration::from_secs(10);

async fn launch() -> MpvProcess {
    let bin = locate(None).expect("mpv installed (apt install mpv)");
    MpvProcess::launch(&LaunchOptions::headless(bin))
        .await
        .expect("mpv starts")
}

async fn wait_event(events: &mut Receiver<MpvEvent>, want: impl Fn(&MpvEvent) -> bool) -> MpvEvent {
    tokio::time::timeout(WAIT, async {
        loop {
            match events.recv().await {
                Ok(ev) if want(&ev) => return ev,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("event stream ended: {e}"),
            }
        }
    })
    .await
    .expect("event in time")
}

async fn loaded(mpv: &MpvProcess) -> Receiver<MpvEvent> {
    let path = clip(ClipSpec::small(20));
    let mut events = mpv.client().events();
    mpv.client()
        .load_file(path.to_str().unwrap(), None, true)
        .await
        .unwrap();
    wait_event(&mut events, |e| *e == MpvEvent::FileLoaded).await;
    let mut state = mpv.client().state();
    tokio::time::timeout(
        WAIT,
        state.wait_for(|s| {
            s.duration.is_some()
                && s.time_pos.is_some()
                && s.file_size.is_some()
                && s.filename.is_some()
        }),
    )
    .await
    .unwrap()
    .unwrap();
    events
}

#[tokio::test]
async fn plays_pauses_seeks_and_changes_speed() {
    let mpv = launch().await;
    let mut events = loaded(&mpv).await;
    let client = mpv.client();
    let state = client.state();
    let dur = state.borrow().duration.unwrap();
    assert!((dur - 20.0).abs() < 0.1, "duration {dur}");
    assert!(state.borrow().pause, "starts paused");
    assert_eq!(
        state.borrow().filename.as_deref(),
        Some("clip-20s-120fps-320x180.mkv")
    );
    assert!(state.borrow().file_size.unwrap() > 10_000);

    client.set_pause(false).await.unwrap();
    wait_event(&mut events, |e| {
        *e == MpvEvent::Property(Property::Pause(false))
    })
    .await;
    let t0 = Instant::now();
    let p0 = state.borrow().time_pos.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let advanced = state.borrow().position_at(Instant::now()).unwrap() - p0;
    let wall = t0.elapsed().as_secs_f64();
    assert!(
        (advanced - wall).abs() < 0.15,
        "played {advanced:.3} s in {wall:.3} s"
    );

    client.set_pause(true).await.unwrap();
    wait_event(&mut events, |e| {
        *e == MpvEvent::Property(Property::Pause(true))
    })
    .await;

    client.seek_to(7.5).await.unwrap();
    wait_event(&mut events, |e| *e == MpvEvent::Seek).await;
    wait_event(&mut events, |e| *e == MpvEvent::PlaybackRestart).await;
    let mut watch = client.state();
    let pos = tokio::time::timeout(
        WAIT,
        watch.wait_for(|s| s.time_pos.is_some_and(|p| (p - 7.5).abs() < 0.5)),
    )
    .await
    .unwrap()
    .unwrap()
    .time_pos
    .unwrap();
    assert!(
        (pos - 7.5).abs() <= 1.0 / 120.0 + 1e-6,
        "exact seek landed at {pos}"
    );

    client.set_speed(1.5).await.unwrap();
    wait_event(&mut events, |e| {
        *e == MpvEvent::Property(Property::Speed(1.5))
    })
    .await;
    assert_eq!(client.get_number("speed").await.unwrap(), Some(1.5));
    client
        .show_text("Ana paused ${path}", Duration::from_secs(1))
        .await
        .unwrap();
    mpv.quit().await;
}

#[tokio::test]
async fn load_file_can_start_at_a_position() {
    let mpv = launch().await;
    let path = clip(ClipSpec::small(20));
    let mut state = mpv.client().state();
    mpv.client()
        .load_file(path.to_str().unwrap(), Some(12.25), true)
        .await
        .unwrap();
    let s = tokio::time::timeout(
        WAIT,
        state.wait_for(|s| s.time_pos.is_some_and(|p| p > 1.0)),
    )
    .await
    .unwrap()
    .unwrap()
    .clone();
    assert!(
        (s.time_pos.unwrap() - 12.25).abs() < 0.01,
        "{:?}",
        s.time_pos
    );
    assert!(s.pause);
}

#[tokio::test]
async fn a_missing_file_ends_with_an_error() {
    let mpv = launch().await;
    let mut events = mpv.client().events();
    mpv.client()
        .load_file("/nonexistent/film.mkv", None, true)
        .await
        .unwrap();
    let ev = wait_event(&mut events, |e| matches!(e, MpvEvent::EndFile(_))).await;
    assert!(
        matches!(ev, MpvEvent::EndFile(EndReason::Error(_))),
        "{ev:?}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn the_socket_is_private_and_removed_on_exit() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let mpv = launch().await;
    let sock = std::path::PathBuf::from(mpv.endpoint());
    let dir = sock.parent().unwrap().to_path_buf();
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "socket directory mode {mode:o}");
    assert!(std::fs::metadata(&sock).unwrap().file_type().is_socket());
    let name = sock.file_name().unwrap().to_string_lossy().to_string();
    assert!(name.len() >= 24 + 5, "random socket name {name}");
    mpv.quit().await;
    assert!(!dir.exists(), "socket directory removed");
}

#[cfg(unix)]
#[tokio::test]
async fn a_killed_mpv_is_noticed_within_a_second() {
    let mpv = launch().await;
    let mut events = mpv.client().events();
    let pid = mpv.pid().unwrap();
    let killed = Instant::now();
    std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    wait_event(&mut events, |e| *e == MpvEvent::Closed).await;
    assert!(
        killed.elapsed() < Duration::from_secs(1),
        "noticed after {:?}",
        killed.elapsed()
    );
    assert!(mpv.client().is_closed());
    assert!(mpv.client().set_pause(false).await.is_err());
}

/// Issue 31: an app killed (SIGKILL) no longer leaves its film playing:
/// the player quits once the process it was opened for is gone. Here
/// that process is a `sleep` the test kills.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_player_quits_when_its_app_is_killed() {
    let mut app = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .unwrap();
    let bin = locate(None).expect("mpv installed (apt install mpv)");
    let mpv = MpvProcess::launch(&LaunchOptions {
        quit_with: Some(app.id()),
        ..LaunchOptions::headless(bin)
    })
    .await
    .expect("mpv starts");
    let mut events = mpv.client().events();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!mpv.client().is_closed(), "plays while its app lives");
    app.kill().unwrap();
    app.wait().unwrap();
    let gone = Instant::now();
    wait_event(&mut events, |e| *e == MpvEvent::Closed).await;
    eprintln!("the player quit {:?} after its app", gone.elapsed());
}
