//! Command-line arguments.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use matinee_client_core::{PartyMedia, Role};
use matinee_protocol::{ControlMode, Invite, RoomCode};
use matinee_sync::ControllerKind;

/// Watch a film together: each plays their own copy in mpv, Matinee keeps
/// the players in sync.
///
/// While it runs, type commands and press Enter: play, pause, seek SECONDS,
/// speed X, ready, unready, start, start!, chat TEXT, mode shared|host-only,
/// host ID, kick ID, nowait ID, reopen, who, queue, queue add FILE (or
/// jellyfin:ID), queue rm N, queue mv N M, queue play N, queue wait, next,
/// quit. Keys in mpv (space, arrows) work too.
#[derive(Debug, Parser)]
#[command(name = "matinee-cli", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a room and print its invite. Without --relay, hosts the way
    /// the app does: a relay in this process on every interface, with TLS
    /// and a port mapped on the router; friends join with the invite.
    Host {
        /// The film to play (several: the room's queue, played one after
        /// another).
        #[arg(required = true, num_args = 1..)]
        files: Vec<PathBuf>,
        /// Where the built-in relay listens instead (e.g. 127.0.0.1:0 for
        /// this computer only: no port mapping).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Do not ask the router to open a port.
        #[arg(long)]
        no_port_mapping: bool,
        /// Where the relay's certificate and keys are kept (default: the
        /// user's config folder, matinee-cli).
        #[arg(long, env = "MATINEE_STATE_DIR")]
        state_dir: Option<PathBuf>,
        /// Let everyone control playback (default: only the host).
        #[arg(long)]
        shared: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Join a room by its invite (matinee://join/…) or its code.
    Join {
        /// The whole invite link the host sent, or the 6-character room
        /// code (case does not matter; the relay then comes from --relay).
        #[arg(value_parser = parse_invite)]
        invite: Invite,
        /// Your copy of the film.
        file: PathBuf,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Relay WebSocket URL, for a room on a standalone relay (join
    /// default: the invite's addresses, else ws://127.0.0.1:7878/ws).
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
    /// Where your films are (series night: each queue entry is looked for
    /// there); may be given more than once.
    #[arg(long = "films", value_name = "FOLDER")]
    pub films: Vec<PathBuf>,
    /// Use the Jellyfin server the app is signed in to (series night:
    /// `queue add jellyfin:ID`, and entries looked for on it). The folder
    /// holding the app's settings, when it is not the usual one.
    #[arg(long, value_name = "APP_FOLDER", num_args = 0..=1, default_missing_value = "")]
    pub jellyfin: Option<PathBuf>,
}

fn parse_invite(s: &str) -> Result<Invite, String> {
    if s.contains("://") {
        Invite::find_in(s).map_err(|e| e.to_string())
    } else {
        let code = RoomCode::parse(s).map_err(|e| e.to_string())?;
        Ok(Invite::from_parts(code.as_str(), "").expect("a valid code"))
    }
}

fn parse_controller(s: &str) -> Result<ControllerKind, String> {
    ControllerKind::parse(s).ok_or_else(|| "choose matinee or syncplay".to_string())
}

/// Where the CLI keeps its state when not told: `$XDG_CONFIG_HOME` or
/// `~/.config` (`%APPDATA%` on Windows), then `matinee-cli`.
/// Where the desktop app keeps its settings and its Jellyfin sign-in.
pub fn app_dir() -> PathBuf {
    config_base().join("app.matinee.desktop")
}

fn config_base() -> PathBuf {
    std::env::var_os("XDG_CONFIG_HOME")
        .or_else(|| std::env::var_os("APPDATA"))
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(std::env::temp_dir)
}

pub fn default_state_dir() -> PathBuf {
    config_base().join("matinee-cli")
}

impl Cli {
    pub fn common(&self) -> &Common {
        match &self.command {
            Command::Host { common, .. } | Command::Join { common, .. } => common,
        }
    }

    /// The film (a host's first).
    pub fn file(&self) -> &Path {
        match &self.command {
            Command::Host { files, .. } => &files[0],
            Command::Join { file, .. } => file,
        }
    }

    /// What the party plays: the film, or a host's several as the queue.
    pub fn media(&self) -> PartyMedia {
        match &self.command {
            Command::Host { files, .. } if files.len() > 1 => PartyMedia::Files(files.clone()),
            _ => PartyMedia::File(self.file().to_path_buf()),
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
            Command::Join { invite, .. } => Role::Join {
                code: invite.code.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_with_several_files_starts_the_room_from_a_queue() {
        let parse = |args: &[&str]| Cli::try_parse_from(args).expect("parses");
        let several = parse(&[
            "matinee-cli",
            "host",
            "S01E01.mkv",
            "S01E02.mkv",
            "--headless",
        ]);
        assert!(matches!(several.media(), PartyMedia::Files(f) if f.len() == 2));
        assert_eq!(several.file(), Path::new("S01E01.mkv"));
        let one = parse(&["matinee-cli", "host", "film.mkv"]);
        assert!(matches!(one.media(), PartyMedia::File(f) if f == Path::new("film.mkv")));
        assert!(Cli::try_parse_from(["matinee-cli", "host"]).is_err());
    }
}
