//! Command-line arguments.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use matinee_client_core::Role;
use matinee_mpv::{LaunchOptions, MpvBinary};
use matinee_protocol::{ControlMode, RoomCode};
use matinee_sync::ControllerKind;

pub const DEFAULT_RELAY: &str = "ws://127.0.0.1:7878/ws";

/// Watch a film together: each plays their own copy in mpv, Matinee keeps
/// the players in sync.
///
/// While it runs, type commands and press Enter: play, pause, seek SECONDS,
/// speed X, ready, unready, start, start!, chat TEXT, mode shared|host-only,
/// host ID, kick ID, reopen, who, quit. Keys in mpv (space, arrows) work too.
#[derive(Debug, Parser)]
#[command(name = "matinee-cli", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a room and print its code. Without --relay, runs a relay in
    /// this process (others connect to it with --relay ws://YOUR-ADDRESS:PORT/ws).
    Host {
        /// The film to play.
        file: PathBuf,
        /// Where the built-in relay listens (use 0.0.0.0:7878 for friends
        /// on other machines).
        #[arg(long, default_value = "127.0.0.1:7878")]
        listen: SocketAddr,
        /// Let everyone control playback (default: only the host).
        #[arg(long)]
        shared: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Join a room by its code.
    Join {
        /// The 6-character room code (case does not matter).
        #[arg(value_parser = parse_code)]
        code: RoomCode,
        /// Your copy of the film.
        file: PathBuf,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Relay WebSocket URL (join default: ws://127.0.0.1:7878/ws).
    #[arg(long, env = "MATINEE_RELAY")]
    pub relay: Option<String>,
    /// Your name in the room.
    #[arg(long, default_value = "guest")]
    pub nickname: String,
    /// No video or audio output (for tests and servers).
    #[arg(long, alias = "no-video")]
    pub headless: bool,
    /// Print one JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
    /// Drift controller: matinee (default) or syncplay (the baseline).
    #[arg(long, default_value = "matinee", value_parser = parse_controller)]
    pub controller: ControllerKind,
    /// Path to mpv (default: MATINEE_MPV, the PATH, usual install places).
    #[arg(long)]
    pub mpv: Option<PathBuf>,
}

fn parse_code(s: &str) -> Result<RoomCode, String> {
    RoomCode::parse(s).map_err(|e| e.to_string())
}

fn parse_controller(s: &str) -> Result<ControllerKind, String> {
    ControllerKind::parse(s).ok_or_else(|| "choose matinee or syncplay".to_string())
}

impl Cli {
    pub fn common(&self) -> &Common {
        match &self.command {
            Command::Host { common, .. } | Command::Join { common, .. } => common,
        }
    }

    pub fn file(&self) -> &Path {
        match &self.command {
            Command::Host { file, .. } | Command::Join { file, .. } => file,
        }
    }

    pub fn role(&self) -> Role {
        match &self.command {
            Command::Host { shared, .. } => Role::Host {
                control_mode: if *shared {
                    ControlMode::Shared
                } else {
                    ControlMode::HostOnly
                },
            },
            Command::Join { code, .. } => Role::Join { code: code.clone() },
        }
    }
}

pub fn launch_options(common: &Common, binary: MpvBinary) -> LaunchOptions {
    let mut opts = if common.headless {
        LaunchOptions::headless(binary)
    } else {
        LaunchOptions::new(binary)
    };
    opts.title = Some(format!("Matinee — {}", common.nickname));
    opts
}
