//! One matinee-cli process driven over its JSON lines, shared by the CLI
//! tests.
#![allow(dead_code)]

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

pub struct Cli {
    pub child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    /// Every line read so far.
    pub seen: Vec<Value>,
    _state: tempfile::TempDir,
}

impl Cli {
    /// Runs matinee-cli with its own state folder (certificate, keys).
    pub fn spawn(args: &[&str]) -> Cli {
        Self::spawn_in(None, args)
    }

    /// Runs matinee-cli inside the network namespace `ns`, if given.
    pub fn spawn_in(ns: Option<&str>, args: &[&str]) -> Cli {
        let bin = env!("CARGO_BIN_EXE_matinee-cli");
        let command = match ns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, bin]);
                c
            }
            None => Command::new(bin),
        };
        Self::spawn_command(command, args)
    }

    /// Runs `command` (a matinee-cli, however started: e.g. the Windows
    /// build under Wine) with `args` and its own state folder.
    pub fn spawn_command(mut command: Command, args: &[&str]) -> Cli {
        let state = tempfile::tempdir().unwrap();
        // Tests never reach iroh's public relays: peer-to-peer is off
        // unless a test names its own relay.
        if !command
            .as_std()
            .get_envs()
            .any(|(k, _)| k == matinee_p2p::RELAY_ENV)
        {
            command.env(matinee_p2p::RELAY_ENV, "off");
        }
        let mut child = command
            .args(args)
            .env("MATINEE_STATE_DIR", state.path())
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
            seen: Vec::new(),
            _state: state,
        }
    }

    /// The next JSON line, or None once the process closed its output.
    pub async fn next(&mut self) -> Option<Value> {
        let line = self.lines.next_line().await.unwrap()?;
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        self.seen.push(v.clone());
        Some(v)
    }

    /// Reads JSON lines until one satisfies `want` (15 s at most).
    pub async fn until(&mut self, want: impl Fn(&Value) -> bool) -> Value {
        self.until_within(Duration::from_secs(15), want).await
    }

    pub async fn until_within(&mut self, limit: Duration, want: impl Fn(&Value) -> bool) -> Value {
        let seen = tokio::time::timeout(limit, async {
            loop {
                let v = self.next().await?;
                if want(&v) {
                    return Some(v);
                }
            }
        })
        .await;
        match seen {
            Ok(Some(v)) => v,
            Ok(None) => panic!(
                "the cli ended ({:?}); last lines: {:?}",
                self.child.try_wait(),
                self.seen.iter().rev().take(5).collect::<Vec<_>>()
            ),
            Err(_) => panic!(
                "expected line not seen within {limit:?}; last lines: {:?}",
                self.seen.iter().rev().take(5).collect::<Vec<_>>()
            ),
        }
    }

    pub async fn type_line(&mut self, line: &str) {
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap();
    }

    /// Types quit and waits (10 s at most) for a clean exit.
    pub async fn quit(mut self) {
        self.type_line("quit").await;
        let status = tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .expect("quits in time")
            .unwrap();
        assert!(status.success(), "exit status {status}");
    }

    /// Waits for the process to end (30 s at most) and returns its error
    /// line, if any, and whether it succeeded.
    pub async fn ended(mut self) -> (bool, Option<String>) {
        let status = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(v) = self.next().await {
                if v["type"] == "error" {
                    let message = v["message"].as_str().unwrap_or_default().to_string();
                    let status = self.child.wait().await.unwrap();
                    return (status.success(), Some(message));
                }
            }
            (self.child.wait().await.unwrap().success(), None)
        })
        .await;
        status.expect("ended in time")
    }
}

/// The invite of a host's `reachability` line.
pub fn invite_of(line: &Value) -> String {
    line["invite"].as_str().expect("an invite").to_string()
}
