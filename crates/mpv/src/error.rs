use std::path::PathBuf;

/// Everything that can go wrong with mpv.
#[derive(Debug, Clone, thiserror::Error)]
pub enum MpvError {
    #[error("{}", not_found_text())]
    NotFound,
    #[error("{path} is not a runnable mpv: {reason}")]
    NotRunnable { path: PathBuf, reason: String },
    #[error("mpv {found} at {path} is too old; Matinee needs mpv {need} or newer")]
    TooOld {
        path: PathBuf,
        found: String,
        need: String,
    },
    #[error("could not start mpv: {0}")]
    Spawn(String),
    #[error("mpv did not open its control socket within {0:.1} s")]
    ConnectTimeout(f64),
    #[error("mpv exited before it could be controlled ({0})")]
    ExitedEarly(String),
    #[error("lost the connection to mpv (it was closed or crashed)")]
    Closed,
    #[error("mpv did not answer within {0:.1} s")]
    Timeout(f64),
    #[error("mpv refused the command: {0}")]
    Command(String),
    #[error("mpv sent something unexpected: {0}")]
    Protocol(String),
    #[error("I/O error talking to mpv: {0}")]
    Io(String),
}

impl From<std::io::Error> for MpvError {
    fn from(e: std::io::Error) -> Self {
        MpvError::Io(e.to_string())
    }
}

/// What to do when mpv is missing, for this platform only.
fn not_found_text() -> &'static str {
    if cfg!(target_os = "windows") {
        "mpv was not found. Install it (https://mpv.io/installation, or scoop install mpv), \
         or choose mpv.exe in Settings"
    } else if cfg!(target_os = "macos") {
        "mpv was not found. Install it (brew install mpv), or choose it in Settings"
    } else {
        "mpv was not found. Install it (Debian/Ubuntu: sudo apt install mpv), \
         or choose it in Settings"
    }
}
