//! Starting mpv on a private IPC endpoint and connecting to it.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use interprocess::local_socket::tokio::prelude::*;
use interprocess::local_socket::tokio::Stream;
use rand::Rng;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::process::{Child, Command};

use crate::{MpvBinary, MpvClient, MpvError};

/// How mpv is started.
#[derive(Debug, Clone)]
pub struct LaunchOptions {
    pub binary: MpvBinary,
    /// No video or audio output (`--vo=null --ao=null`), for tests and
    /// benchmarks.
    pub headless: bool,
    /// Read the user's mpv.conf and scripts (the app does; tests do not).
    pub load_user_config: bool,
    /// Window title.
    pub title: Option<String>,
    /// How long to wait for mpv's IPC endpoint.
    pub connect_timeout: Duration,
    /// More options, after the others (so they win), written by this app:
    /// never text received from someone else.
    pub extra_args: Vec<String>,
    /// The process whose end ends this player (Linux): this one by
    /// default, so a killed app does not leave its film playing.
    pub quit_with: Option<u32>,
}

impl LaunchOptions {
    pub fn new(binary: MpvBinary) -> Self {
        Self {
            binary,
            headless: false,
            load_user_config: true,
            title: None,
            connect_timeout: Duration::from_secs(10),
            extra_args: Vec::new(),
            quit_with: Some(std::process::id()),
        }
    }

    /// Headless, without the user's configuration.
    pub fn headless(binary: MpvBinary) -> Self {
        Self {
            headless: true,
            load_user_config: false,
            ..Self::new(binary)
        }
    }
}

/// mpv Lua that quits the player once process `pid` is gone (checked
/// every second through /proc).
#[cfg(target_os = "linux")]
fn quit_with_script(pid: u32) -> String {
    format!(
        "-- Written by Matinee: quit when the app that opened this player is gone.\n\
         local utils = require 'mp.utils'\n\
         mp.add_periodic_timer(1, function()\n\
         \x20 if utils.file_info('/proc/{pid}') == nil then mp.command('quit') end\n\
         end)\n"
    )
}

/// A private place for the IPC endpoint, removed when dropped.
struct Endpoint {
    name: String,
    #[cfg(unix)]
    _dir: tempfile::TempDir,
}

fn random_suffix() -> String {
    let bytes: [u8; 12] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Endpoint {
    #[cfg(unix)]
    fn new() -> Result<Self, MpvError> {
        use std::os::unix::fs::PermissionsExt;
        // Unix socket paths are limited to about 100 bytes.
        let mut bases: Vec<std::path::PathBuf> = Vec::new();
        if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR") {
            bases.push(runtime.into());
        }
        bases.push(std::env::temp_dir());
        bases.push("/tmp".into());
        for base in bases {
            let Ok(dir) = tempfile::Builder::new()
                .prefix("matinee-mpv-")
                .tempdir_in(&base)
            else {
                continue;
            };
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))?;
            let path = dir.path().join(format!("{}.sock", random_suffix()));
            if path.as_os_str().len() < 100 {
                return Ok(Self {
                    name: path.to_string_lossy().into_owned(),
                    _dir: dir,
                });
            }
        }
        Err(MpvError::Spawn(
            "no temporary directory with a short enough path for mpv's socket".into(),
        ))
    }

    #[cfg(windows)]
    fn new() -> Result<Self, MpvError> {
        Ok(Self {
            name: format!(r"\\.\pipe\matinee-mpv-{}", random_suffix()),
        })
    }

    async fn connect(&self) -> std::io::Result<Stream> {
        connect_stream(&self.name).await
    }
}

/// Connects to an mpv IPC endpoint: a socket path (Unix) or a
/// `\\.\pipe\…` name (Windows).
async fn connect_stream(endpoint: &str) -> std::io::Result<Stream> {
    #[cfg(unix)]
    let name = endpoint.to_fs_name::<interprocess::local_socket::GenericFilePath>()?;
    #[cfg(windows)]
    let name = endpoint
        .trim_start_matches(r"\\.\pipe\")
        .to_ns_name::<interprocess::local_socket::GenericNamespaced>()?;
    Stream::connect(name).await
}

impl MpvClient {
    /// A second, independent connection to a running mpv's endpoint (mpv
    /// serves several clients), e.g. to observe it from outside.
    pub async fn connect(endpoint: &str) -> Result<MpvClient, MpvError> {
        let stream = Arc::new(connect_stream(endpoint).await?);
        MpvClient::start(Shared(stream.clone()), Shared(stream)).await
    }
}

/// Lets the reader and the writer share one stream: `&Stream` reads and
/// writes.
struct Shared(Arc<Stream>);

impl AsyncRead for Shared {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut &*self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Shared {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut &*self.0).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut &*self.0).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut &*self.0).poll_shutdown(cx)
    }
}

/// A running mpv, killed (and its socket directory removed) when dropped.
pub struct MpvProcess {
    child: Child,
    client: MpvClient,
    endpoint: Endpoint,
}

impl MpvProcess {
    /// Starts mpv idle and paused, and connects to its IPC endpoint.
    pub async fn launch(opts: &LaunchOptions) -> Result<Self, MpvError> {
        let endpoint = Endpoint::new()?;
        let mut cmd = Command::new(&opts.binary.path);
        cmd.arg(format!("--input-ipc-server={}", endpoint.name))
            .args([
                "--idle=yes",
                "--keep-open=yes",
                "--pause=yes",
                "--no-terminal",
                "--input-terminal=no",
                "--hr-seek=yes",
                "--ytdl=no",
                "--save-position-on-quit=no",
                // Keep the tempo filter in the chain from the start: mpv
                // otherwise inserts and removes it whenever the speed leaves
                // or returns to 1.0, and each time playback jumps a few ms,
                // which sync corrections would then chase.
                "--af-add=@matinee-tempo:scaletempo2",
            ])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        if !opts.load_user_config {
            cmd.arg("--no-config");
        }
        if opts.headless {
            cmd.args(["--vo=null", "--ao=null", "--force-window=no"]);
        } else {
            cmd.arg("--force-window=yes");
        }
        if let Some(title) = &opts.title {
            cmd.arg(format!("--title={title}"));
        }
        #[cfg(target_os = "linux")]
        if let Some(pid) = opts.quit_with {
            // A script of ours, in the private folder, that quits mpv once
            // that process is gone (killed: nobody else would end it).
            let script = endpoint._dir.path().join("quit-with-app.lua");
            std::fs::write(&script, quit_with_script(pid))?;
            cmd.arg(format!("--script={}", script.display()));
        }
        cmd.args(&opts.extra_args);
        let mut child = cmd
            .spawn()
            .map_err(|e| MpvError::Spawn(format!("{}: {e}", opts.binary.path.display())))?;
        let deadline = Instant::now() + opts.connect_timeout;
        let stream = loop {
            match endpoint.connect().await {
                Ok(stream) => break stream,
                Err(_) if Instant::now() < deadline => {
                    if let Some(status) = child.try_wait()? {
                        return Err(MpvError::ExitedEarly(status.to_string()));
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(_) => {
                    let _ = child.start_kill();
                    return Err(MpvError::ConnectTimeout(opts.connect_timeout.as_secs_f64()));
                }
            }
        };
        let stream = Arc::new(stream);
        let client = MpvClient::start(Shared(stream.clone()), Shared(stream)).await?;
        tracing::info!(pid = child.id(), "mpv started");
        Ok(Self {
            child,
            client,
            endpoint,
        })
    }

    pub fn client(&self) -> &MpvClient {
        &self.client
    }

    /// The IPC endpoint's path (Unix) or pipe name (Windows).
    pub fn endpoint(&self) -> &str {
        &self.endpoint.name
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Waits until mpv exits by itself.
    pub async fn wait(&mut self) -> Result<std::process::ExitStatus, MpvError> {
        Ok(self.child.wait().await?)
    }

    /// Asks mpv to quit, then kills it if it has not within two seconds.
    pub async fn quit(mut self) {
        // A stuck mpv does not hold up leaving: a second for the quit to be
        // taken, two for the process to end, then it is killed.
        let _ = tokio::time::timeout(Duration::from_secs(1), self.client.quit()).await;
        if tokio::time::timeout(Duration::from_secs(2), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}
