//! The matinee-cli binary: host with the built-in relay, join from a second
//! process, control from stdin, real headless mpv in both.

use std::process::Stdio;
use std::time::Duration;

use matinee_testkit::{clip, ClipSpec};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

struct Cli {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Cli {
    fn spawn(args: &[&str]) -> Cli {
        let mut child = Command::new(env!("CARGO_BIN_EXE_matinee-cli"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Cli {
            child,
            stdin,
            lines,
        }
    }

    /// Reads JSON lines until one satisfies `want`.
    async fn until(&mut self, want: impl Fn(&Value) -> bool) -> Value {
        tokio::time::timeout(Duration::from_secs(15), async {
            loop {
                let line = self
                    .lines
                    .next_line()
                    .await
                    .unwrap()
                    .expect("cli still running");
                let v: Value =
                    serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
                if want(&v) {
                    return v;
                }
            }
        })
        .await
        .expect("expected line in time")
    }

    async fn type_line(&mut self, line: &str) {
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap();
    }
}

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
    let relay = host.until(|v| v["type"] == "relay").await["url"]
        .as_str()
        .unwrap()
        .to_string();
    let code = host.until(|v| v["type"] == "room").await["code"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(code.len(), 6);

    let lower = code.to_lowercase();
    let mut guest = Cli::spawn(&[
        "join",
        &lower,
        file,
        "--relay",
        &relay,
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
    host.type_line("quit").await;
    let status = tokio::time::timeout(Duration::from_secs(10), host.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
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

    let out = Command::new(env!("CARGO_BIN_EXE_matinee-cli"))
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
