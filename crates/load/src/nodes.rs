//! The relay nodes under test, as child processes on loopback (and the
//! Redis they share), with their CPU time and memory read from /proc.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::LoadError;

fn free_port() -> Result<u16, LoadError> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn wait_listening(port: u16, what: &str) -> Result<(), LoadError> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(LoadError::Start(format!("{what} did not start listening")));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// A child process killed when dropped.
pub struct Proc(Child);

impl Proc {
    pub fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A private `redis-server` on a loopback port.
pub fn start_redis() -> Result<(Proc, String), LoadError> {
    let port = free_port()?;
    let child = Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| LoadError::Start(format!("redis-server: {e} (apt install redis-server)")))?;
    let proc = Proc(child);
    wait_listening(port, "redis-server")?;
    Ok((proc, format!("redis://127.0.0.1:{port}/")))
}

/// The relay binary next to this one (same build profile).
pub fn relay_binary(explicit: Option<&Path>) -> Result<PathBuf, LoadError> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    let me = std::env::current_exe()?;
    let path = me.with_file_name("matinee-relay");
    if path.exists() {
        Ok(path)
    } else {
        Err(LoadError::Start(format!(
            "{} is missing: build it with `cargo build --release -p matinee-relay` (or pass --relay-bin)",
            path.display()
        )))
    }
}

pub struct Node {
    pub proc: Proc,
    pub url: String,
}

/// Starts a relay node with limits raised for load (one address opens
/// every connection).
pub fn start_relay(bin: &Path, redis: Option<&str>) -> Result<Node, LoadError> {
    let port = free_port()?;
    let mut cmd = Command::new(bin);
    cmd.args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--max-joins-per-minute", "100000000"])
        .args(["--max-rooms", "1000000", "--max-connections", "1000000"])
        .args(["--max-creates-per-minute", "100000000"])
        .args(["--max-rooms-per-address", "1000000"])
        .args(["--max-connections-per-address", "1000000"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null());
    if let Some(url) = redis {
        cmd.args(["--redis", url]);
    }
    let child = cmd
        .spawn()
        .map_err(|e| LoadError::Start(format!("{}: {e}", bin.display())))?;
    let proc = Proc(child);
    wait_listening(port, "matinee-relay")?;
    Ok(Node {
        proc,
        url: format!("ws://127.0.0.1:{port}/ws"),
    })
}

/// CPU time (user + system) and resident memory of a process.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    pub cpu_secs: f64,
    pub rss_kib: u64,
}

pub fn usage(pid: u32) -> Usage {
    let ticks = 100.0; // USER_HZ on Linux
    let cpu_secs = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // Fields after the command name (which may hold spaces).
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = f.get(11)?.parse().ok()?;
            let stime: f64 = f.get(12)?.parse().ok()?;
            Some((utime + stime) / ticks)
        })
        .unwrap_or(0.0);
    let rss_kib = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0);
    Usage { cpu_secs, rss_kib }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_its_own_usage() {
        let u = usage(std::process::id());
        assert!(u.rss_kib > 100, "{u:?}");
        assert!(u.cpu_secs >= 0.0);
    }
}
