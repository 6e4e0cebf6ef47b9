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

/// Which operating system's install places to search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Windows,
    MacOs,
    Linux,
}

impl Family {
    fn this() -> Self {
        if cfg!(windows) {
            Family::Windows
        } else if cfg!(target_os = "macos") {
            Family::MacOs
        } else {
            Family::Linux
        }
    }
}

/// Where to look for mpv, in order: on Windows an mpv.exe next to the
/// app first (shipped beside it, or dropped there by the user), then the
/// PATH's mpv (`on_path`), then where people install it. `env` reads an
/// environment variable; `exe_dir` is the folder of the running program.
/// Windows paths are built as text, so the order can be tested on any
/// system.
fn search_order(
    family: Family,
    env: &dyn Fn(&str) -> Option<String>,
    exe_dir: Option<&Path>,
    on_path: Option<PathBuf>,
) -> Vec<PathBuf> {
    let mut places = Vec::new();
    if family == Family::Windows {
        if let Some(dir) = exe_dir {
            places.push(PathBuf::from(format!("{}\\mpv.exe", dir.display())));
        }
    }
    places.extend(on_path);
    places.extend(install_places(family, env).into_iter().map(PathBuf::from));
    places
}

/// Where people install mpv.
fn install_places(family: Family, env: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let mut places = Vec::new();
    match family {
        Family::Windows => {
            // scoop: its shims folder (SCOOP moves it).
            if let Some(scoop) = env("SCOOP") {
                places.push(format!("{scoop}\\shims\\mpv.exe"));
            }
            if let Some(home) = env("USERPROFILE") {
                places.push(format!("{home}\\scoop\\shims\\mpv.exe"));
            }
            // Chocolatey's shims.
            let choco = env("ChocolateyInstall")
                .unwrap_or_else(|| r"C:\ProgramData\chocolatey".to_string());
            places.push(format!("{choco}\\bin\\mpv.exe"));
            if let Some(local) = env("LOCALAPPDATA") {
                // winget's links, and per-user installers.
                places.push(format!("{local}\\Microsoft\\WinGet\\Links\\mpv.exe"));
                places.push(format!("{local}\\Programs\\mpv\\mpv.exe"));
            }
            for var in ["ProgramFiles", "ProgramFiles(x86)"] {
                if let Some(dir) = env(var) {
                    places.push(format!("{dir}\\mpv\\mpv.exe"));
                }
            }
        }
        Family::MacOs => {
            places.extend(
                [
                    "/opt/homebrew/bin/mpv",
                    "/usr/local/bin/mpv",
                    "/opt/local/bin/mpv",
                    "/Applications/mpv.app/Contents/MacOS/mpv",
                ]
                .map(String::from),
            );
            if let Some(home) = env("HOME") {
                places.push(format!("{home}/Applications/mpv.app/Contents/MacOS/mpv"));
            }
        }
        Family::Linux => {
            places
                .extend(["/usr/bin/mpv", "/usr/local/bin/mpv", "/snap/bin/mpv"].map(String::from));
            if let Some(home) = env("HOME") {
                places.push(format!("{home}/.local/bin/mpv"));
            }
        }
    }
    places
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
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let candidates = search_order(
        Family::this(),
        &env,
        exe_dir.as_deref(),
        which::which("mpv").ok(),
    );
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
    fn windows_places_are_searched_where_people_install_mpv() {
        let env = |k: &str| {
            let v = match k {
                "USERPROFILE" => r"C:\Users\ana",
                "LOCALAPPDATA" => r"C:\Users\ana\AppData\Local",
                "ProgramFiles" => r"C:\Program Files",
                "ProgramFiles(x86)" => r"C:\Program Files (x86)",
                _ => return None,
            };
            Some(v.to_string())
        };
        let places = search_order(
            Family::Windows,
            &env,
            Some(Path::new(r"C:\Program Files\Matinee")),
            Some(PathBuf::from(r"C:\tools\mpv.exe")),
        );
        let places: Vec<String> = places.iter().map(|p| p.display().to_string()).collect();
        assert_eq!(
            places,
            [
                r"C:\Program Files\Matinee\mpv.exe",
                r"C:\tools\mpv.exe",
                r"C:\Users\ana\scoop\shims\mpv.exe",
                r"C:\ProgramData\chocolatey\bin\mpv.exe",
                r"C:\Users\ana\AppData\Local\Microsoft\WinGet\Links\mpv.exe",
                r"C:\Users\ana\AppData\Local\Programs\mpv\mpv.exe",
                r"C:\Program Files\mpv\mpv.exe",
                r"C:\Program Files (x86)\mpv\mpv.exe",
            ]
        );
        // A moved scoop and Chocolatey are followed.
        let moved = |k: &str| match k {
            "SCOOP" => Some(r"D:\scoop".to_string()),
            "ChocolateyInstall" => Some(r"D:\choco".to_string()),
            _ => None,
        };
        let places = search_order(Family::Windows, &moved, None, None);
        assert_eq!(places[0], PathBuf::from(r"D:\scoop\shims\mpv.exe"));
        assert_eq!(places[1], PathBuf::from(r"D:\choco\bin\mpv.exe"));
    }

    #[test]
    fn macos_and_linux_places() {
        let env = |k: &str| (k == "HOME").then(|| "/home/ana".to_string());
        let mac = search_order(Family::MacOs, &env, Some(Path::new("/Applications")), None);
        assert_eq!(mac[0], PathBuf::from("/opt/homebrew/bin/mpv"));
        assert!(mac.contains(&PathBuf::from("/Applications/mpv.app/Contents/MacOS/mpv")));
        // The PATH's mpv comes first; the app's folder is not searched.
        let on_path = Some(PathBuf::from("/opt/bin/mpv"));
        let linux = search_order(
            Family::Linux,
            &env,
            Some(Path::new("/opt/matinee")),
            on_path,
        );
        assert_eq!(linux[0], PathBuf::from("/opt/bin/mpv"));
        assert_eq!(linux[1], PathBuf::from("/usr/bin/mpv"));
        assert_eq!(
            linux.last().unwrap(),
            &PathBuf::from("/home/ana/.local/bin/mpv")
        );
    }

    #[test]
    fn an_explicit_path_that_is_not_mpv_is_a_clear_error() {
        let err = locate(Some(Path::new("/bin/true"))).unwrap_err();
        assert!(matches!(err, MpvError::NotRunnable { .. }), "{err}");
        let err = locate(Some(Path::new("/nonexistent/mpv"))).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/mpv"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_too_old_mpv_names_the_version_needed() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("mpv");
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
