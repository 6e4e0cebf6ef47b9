//! Debian's real Syncplay (package `syncplay`, `syncplay-server`) for tests
//! and the benchmark: a client that drives its own headless mpv, whose IPC
//! socket is ours to watch and poke too (Syncplay takes the socket path we
//! give it), and its console, where a person types commands; and the real
//! Syncplay server on a loopback port.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};

/// A running Syncplay client and its mpv, killed together when dropped.
pub struct SyncplayClient {
    child: Child,
    stdin: ChildStdin,
    said: Arc<Mutex<String>>,
    dir: tempfile::TempDir,
}

impl SyncplayClient {
    /// Starts `syncplay --no-gui` for `name` in `room` on `server`, playing
    /// `film` in the headless mpv at `mpv`, and waits (up to 20 s) until
    /// its mpv's IPC socket takes connections.
    pub async fn start(
        server: SocketAddr,
        room: &str,
        name: &str,
        film: &Path,
        mpv: &Path,
    ) -> Result<SyncplayClient, String> {
        Self::start_in(None, &server.to_string(), room, name, film, mpv).await
    }

    /// The same, inside network namespace `netns` when given (a friend on
    /// "the internet" of a namespace lab), with `server` as `host:port`.
    /// Its mpv's socket is a file, reachable from any namespace.
    pub async fn start_in(
        netns: Option<&str>,
        server: &str,
        room: &str,
        name: &str,
        film: &Path,
        mpv: &Path,
    ) -> Result<SyncplayClient, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let socket = dir.path().join("mpv.sock");
        let mut command = match netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, "syncplay"]);
                c
            }
            None => Command::new("syncplay"),
        };
        let mut child = command
            .args(["--no-gui", "--no-store", "-a", server])
            .args(["-n", name, "-r", room, "--player-path"])
            .arg(mpv)
            .arg(film)
            .args(["--", "--vo=null", "--ao=null"])
            .arg(format!("--input-ipc-server={}", socket.display()))
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            // Its own process group: Syncplay starts mpv, and both go
            // together (`kill`).
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("syncplay (Debian package syncplay) did not start: {e}"))?;
        let said = Arc::new(Mutex::new(String::new()));
        let mut out = BufReader::new(child.stdout.take().expect("piped")).lines();
        let keep = said.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = out.next_line().await {
                let mut s = keep.lock().expect("transcript");
                s.push_str(&line);
                s.push('\n');
            }
        });
        let stdin = child.stdin.take().expect("piped");
        let client = SyncplayClient {
            child,
            stdin,
            said,
            dir,
        };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if tokio::net::UnixStream::connect(client.mpv_socket())
                .await
                .is_ok()
            {
                return Ok(client);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!(
            "{name}'s mpv never opened; Syncplay said:\n{}",
            client.transcript()
        ))
    }

    /// The IPC socket of the mpv this client drives.
    pub fn mpv_socket(&self) -> PathBuf {
        self.dir.path().join("mpv.sock")
    }

    /// Types a command in Syncplay's console (`p`, `s 1:30`, `t`, `ch …`).
    pub async fn type_line(&mut self, line: &str) -> std::io::Result<()> {
        self.stdin.write_all(format!("{line}\n").as_bytes()).await?;
        self.stdin.flush().await
    }

    /// Whether Syncplay printed `text`.
    pub fn said(&self, text: &str) -> bool {
        self.said.lock().expect("transcript").contains(text)
    }

    /// Everything Syncplay printed so far.
    pub fn transcript(&self) -> String {
        self.said.lock().expect("transcript").clone()
    }

    /// Kills Syncplay and its mpv at once, as a crash would.
    pub fn kill(&mut self) {
        kill_group(self.child.id());
    }
}

impl Drop for SyncplayClient {
    fn drop(&mut self) {
        self.kill();
    }
}

fn kill_group(pid: Option<u32>) {
    if let Some(pid) = pid {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stderr(Stdio::null())
            .status();
    }
}

/// The real `syncplay-server` on a free port (it listens on every
/// interface: only this machine's clients are pointed at it), killed when
/// dropped.
pub struct SyncplayServer {
    child: Child,
    pub port: u16,
}

impl SyncplayServer {
    pub async fn start() -> Result<SyncplayServer, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let child = Command::new("syncplay-server")
            .args(["--port", &port.to_string(), "--salt", "matinee-bench"])
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                format!("syncplay-server (Debian package syncplay-server) did not start: {e}")
            })?;
        let server = SyncplayServer { child, port };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(15) {
            if tokio::net::TcpStream::connect(server.addr()).await.is_ok() {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err("syncplay-server did not listen within 15 s".into())
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

impl Drop for SyncplayServer {
    fn drop(&mut self) {
        kill_group(self.child.id());
    }
}
