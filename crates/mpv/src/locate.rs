//! Finding mpv: an explicit path, `MATINEE_MPV`, the PATH, then the usual
//! install locations.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::MpvError;

/// Oldest mpv whose JSON IPC has everything Matinee uses (named command
/// arguments, `playback-restart`, `paused-for-cache`).
pub const MIN_VERSION: (u32, u32) = (0, 33);

/// A usable mpv binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpvBinary {
    pub path: PathBuf,
    pub version: String,
}

fn common_paths() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = [
        "/usr/bin/mpv",
        "/usr/local/bin/mpv",
        "/snap/bin/mpv",
        "/opt/homebrew/bin/mpv",
        "/Applications/mpv.app/Contents/MacOS/mpv",
        r"C:\Program Files\mpv\mpv.exe",
        r"C:\Program Files (x86)\mpv\mpv.exe",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    if let Some(local) = std::env::var_os("LOCALAPPDATA") {
        paths.push(Path::new(&local).join(r"Programs\mpv\mpv.exe"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        paths.push(Path::new(&home).join(".local/bin/mpv"));
    }
    paths
}

/// Parses `mpv 0.35.1 Copyright…` or `mpv v0.38.0-12-gabc…` into
/// (major, minor) and the printed version.
fn parse_version(output: &str) -> Option<((u32, u32), String)> {
    let first = output.lines().next()?;
    let word = first.split_whitespace().nth(1)?;
    let version = word.trim_start_matches('v');
    let mut parts = version.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some(((major, minor), version.to_string()))
}

/// Runs `path --version` and checks it is a recent enough mpv.
pub fn check(path: &Path) -> Result<MpvBinary, MpvError> {
    let not_runnable = |reason: String| MpvError::NotRunnable {
        path: path.to_path_buf(),
        reason,
    };
    let out = Command::new(path)
        .arg("--version")
        .output()
        .map_err(|e| not_runnable(e.to_string()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !text.starts_with("mpv") {
        return Err(not_runnable("it does not identify as mpv".into()));
    }
    let (numbers, version) =
        parse_version(&text).ok_or_else(|| not_runnable("unreadable version".into()))?;
    // Development builds without a number ("mpv git-…") are taken as new.
    if numbers < MIN_VERSION {
        return Err(MpvError::TooOld {
            path: path.to_path_buf(),
            found: version,
            need: format!("{}.{}", MIN_VERSION.0, MIN_VERSION.1),
        });
    }
    Ok(MpvBinary {
        path: path.to_path_buf(),
        version,
    })
}

/// Finds mpv. An explicit path (from settings) wins, then `MATINEE_MPV`;
/// either must work. Otherwise the PATH and common install locations are
/// searched.
pub fn locate(explicit: Option<&Path>) -> Result<MpvBinary, MpvError> {
    if let Some(path) = explicit {
        return check(path);
    }
    if let Some(env) = std::env::var_os("MATINEE_MPV").filter(|v| !v.is_empty()) {
        return check(Path::new(&env));
    }
    let candidates = which::which("mpv").into_iter().chain(common_paths());
    let mut last_err = None;
    for path in candidates {
        if !path.is_file() {
            continue;
        }
        match check(&path) {
            Ok(bin) => return Ok(bin),
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or(MpvError::NotFound))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_release_and_git_versions() {
        assert_eq!(
            parse_version("mpv 0.35.1 Copyright © 2000-2023 mpv/MPlayer/mplayer2 projects"),
            Some(((0, 35), "0.35.1".into()))
        );
        assert_eq!(
            parse_version("mpv v0.38.0-12-gabcdef Copyright"),
            Some(((0, 38), "0.38.0-12-gabcdef".into()))
        );
        assert_eq!(parse_version("mpv git-2024"), None);
    }

    #[test]
    fn an_explicit_path_that_is_not_mpv_is_a_clear_error() {
        let err = locate(Some(Path::new("/bin/true"))).unwrap_err();
        assert!(matches!(err, MpvError::NotRunnable { .. }), "{err}");
        let err = locate(Some(Path::new("/nonexistent/mpv"))).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/mpv"), "{err}");
    }

    #[test]
    fn a_too_old_mpv_names_the_version_needed() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("mpv");
        #[cfg(unix)]
        {
            // The script is written by a child shell, not by this process:
            // a file this process held open for writing could be inherited
            // by another test thread's fork at that moment, and executing
            // it would then fail with ETXTBSY ("text file busy").
            let made = Command::new("/bin/sh")
                .arg("-c")
                .arg("printf '#!/bin/sh\\necho \"mpv 0.29.1 Copyright\"\\n' > \"$1\" && chmod 755 \"$1\"")
                .arg("sh")
                .arg(&fake)
                .status()
                .unwrap();
            assert!(made.success());
            let err = locate(Some(&fake)).unwrap_err();
            assert!(matches!(err, MpvError::TooOld { .. }));
            assert!(err.to_string().contains("0.29.1") && err.to_string().contains("0.33"));
        }
    }
}
