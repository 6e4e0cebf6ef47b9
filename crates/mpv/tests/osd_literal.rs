//! Chat from peers reaches mpv's OSD literally: commands go over IPC as JSON
//! arrays, which mpv does not subject to property expansion, so a peer's
//! `${…}` cannot read the user's properties (file path, etc.) onto the
//! screen. Checked on a real mpv whose OSD is forced onto its terminal.

use std::process::Stdio;
use std::time::Duration;

use matinee_mpv::{locate, MpvClient};
use matinee_testkit::{clip, ClipSpec};
use tokio::io::AsyncReadExt;

#[tokio::test]
async fn chat_text_is_shown_literally() {
    let bin = locate(None).expect("mpv installed");
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("mpv.sock");
    let film = clip(ClipSpec::small(20));
    let mut mpv = tokio::process::Command::new(&bin.path)
        .args([
            "--no-config",
            "--vo=null",
            "--ao=null",
            "--pause",
            "--term-osd=force",
        ])
        .arg(format!("--input-ipc-server={}", socket.display()))
        .arg(&film)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let client = loop {
        match MpvClient::connect(socket.to_str().unwrap()).await {
            Ok(c) => break c,
            Err(e) => {
                assert!(std::time::Instant::now() < deadline, "mpv socket: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    // Once the file is loaded, the OSD is up.
    while client.get_number("duration").await.ok().flatten().is_none() {
        assert!(std::time::Instant::now() < deadline, "mpv loads the clip");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let hostile = "Bo: ${path} ${filename} $> end";
    client
        .show_text(hostile, Duration::from_secs(2))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    client.quit().await.ok();
    let mut out = Vec::new();
    // mpv draws its terminal OSD on stderr.
    let mut stdout = mpv.stderr.take().unwrap();
    tokio::time::timeout(Duration::from_secs(10), stdout.read_to_end(&mut out))
        .await
        .expect("mpv exits")
        .unwrap();
    let _ = mpv.wait().await;
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.contains(hostile),
        "OSD shows the text as sent:\n{text}"
    );
    let name = film.file_name().unwrap().to_str().unwrap();
    assert!(
        !text.contains(&format!("Bo: {}", film.display()))
            && !text.contains(&format!("{name}  end")),
        "no property was expanded:\n{text}"
    );
}
