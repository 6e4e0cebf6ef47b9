//! The matinee-cli binary: host with the built-in relay, join from a second
//! process, control from stdin, real headless mpv in both.

mod common;

use std::time::Duration;

use common::{invite_of, Cli};
use matinee_testkit::{clip, ClipSpec};
use serde_json::Value;
use tokio::process::Command;

#[tokio::test]
async fn host_and_join_from_two_processes() {
    let file = clip(ClipSpec::small(120));
    let file = file.to_str().unwrap();
    let mut host = Cli::spawn(&[
        "host",
        file,
        "--listen",
        "127.0.0.1:0",
        "--nickname",
        "Ana",
        "--headless",
        "--json",
    ]);
    let code = host.until(|v| v["type"] == "room").await["code"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(code.len(), 6);
    // Loopback only: the invite names this computer, over TLS pinned to
    // the host's certificate.
    let reach = host.until(|v| v["type"] == "reachability").await;
    assert_eq!(reach["reach"]["kind"], "this_computer");
    let invite = invite_of(&reach);
    assert!(
        invite.starts_with(&format!("matinee://join/{code}?h=127.0.0.1:"))
            && invite.contains("&fp="),
        "{invite}"
    );

    let mut guest = Cli::spawn(&[
        "join",
        &invite,
        file,
        "--nickname",
        "Ben",
        "--headless",
        "--json",
    ]);
    let room = guest.until(|v| v["type"] == "room").await;
    assert_eq!(room["code"], code.as_str());
    assert_eq!(room["warnings"], Value::Array(vec![]));
    host.until(|v| v["type"] == "notice" && v["text"] == "Ben joined")
        .await;

    host.type_line("start!").await;
    guest
        .until(|v| v["type"] == "playback" && v["playback"]["paused"] == false)
        .await;
    guest
        .until(|v| v["type"] == "status" && v["status"] == "synced")
        .await;
    guest.until(|v| v["type"] == "drift").await;

    host.type_line("pause").await;
    guest
        .until(|v| v["type"] == "playback" && v["playback"]["paused"] == true)
        .await;
    guest
        .until(|v| v["type"] == "notice" && v["event"] == "paused")
        .await;

    // A guest cannot control a host-only room.
    guest.type_line("seek 30").await;
    let refused = guest.until(|v| v["type"] == "refused").await;
    assert!(refused["message"].as_str().unwrap().contains("host"));
    guest.type_line("dance").await;
    let help = guest.until(|v| v["type"] == "help").await;
    assert!(help["text"].as_str().unwrap().contains("commands:"));

    guest.type_line("quit").await;
    host.until(|v| v["type"] == "notice" && v["text"] == "Ben left")
        .await;
    let status = tokio::time::timeout(Duration::from_secs(10), guest.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
    host.quit().await;
}

/// An invite made before candidates existed (one `relay=` URL) still joins
/// a room on a standalone relay, and the code with --relay does too.
#[tokio::test]
async fn an_old_single_relay_invite_still_joins() {
    let relay = matinee_relay::start(matinee_relay::RelayConfig::loopback())
        .await
        .unwrap();
    let url = relay.ws_url();
    let file = clip(ClipSpec::small(120));
    let file = file.to_str().unwrap();
    let mut host = Cli::spawn(&[
        "host",
        file,
        "--relay",
        &url,
        "--nickname",
        "Ana",
        "--headless",
        "--json",
    ]);
    let code = host.until(|v| v["type"] == "room").await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let old = format!(
        "matinee://join/{code}?relay={}",
        url.replace(':', "%3A").replace('/', "%2F")
    );
    let mut guest = Cli::spawn(&[
        "join",
        &old,
        file,
        "--nickname",
        "Ben",
        "--headless",
        "--json",
    ]);
    let room = guest.until(|v| v["type"] == "room").await;
    assert_eq!(room["code"], code.as_str());
    assert_eq!(room["relay"], url.as_str());
    host.until(|v| v["type"] == "notice" && v["text"] == "Ben joined")
        .await;
    guest.quit().await;
    let mut cy = Cli::spawn(&[
        "join",
        &code,
        file,
        "--relay",
        &url,
        "--nickname",
        "Cy",
        "--headless",
        "--json",
    ]);
    cy.until(|v| v["type"] == "room").await;
    cy.quit().await;
    host.quit().await;
    relay.shutdown().await;
}

#[tokio::test]
async fn a_bad_code_or_missing_file_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_matinee-cli"))
        .args(["join", "ABC0EF", "/nonexistent.mkv", "--headless"])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("'0' cannot appear in a room code"), "{err}");

    let state = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_matinee-cli"))
        .env("MATINEE_STATE_DIR", state.path())
        .args([
            "host",
            "/nonexistent/film.mkv",
            "--listen",
            "127.0.0.1:0",
            "--headless",
        ])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/film.mkv"), "{err}");
}
