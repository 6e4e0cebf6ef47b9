//! Helpers shared by tests and benchmarks: media clips generated with
//! ffmpeg, cached under the target directory (rebuilt when missing), and a
//! loopback proxy that delays, jitters and cuts a link, and the one
//! percentile definition the benchmark, the load generator and the sync
//! simulator share (`stats`).

pub mod copies;
pub mod modules;
pub mod proxy;
pub mod stats;
#[cfg(unix)]
pub mod syncplay;
pub mod ws;

use std::path::{Path, PathBuf};
use std::process::Command;

pub use copies::{film_copy, FilmCopy};

/// A generated test clip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClipSpec {
    pub seconds: u32,
    pub fps: u32,
    pub width: u32,
    pub height: u32,
}

impl ClipSpec {
    /// A small clip: 320×180 testsrc2 with a 440 Hz tone.
    pub fn small(seconds: u32) -> Self {
        Self {
            seconds,
            fps: 120,
            width: 320,
            height: 180,
        }
    }
}

pub(crate) fn cache_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("test-media")
}

/// Returns the path of a clip matching `spec`, generating it with ffmpeg
/// (testsrc2 video at `fps`, so `time-pos` steps are 1/fps, plus a sine
/// audio track) if needed. Safe to call from parallel tests.
pub fn clip(spec: ClipSpec) -> PathBuf {
    let dir = cache_dir();
    std::fs::create_dir_all(&dir).expect("create test-media dir");
    let name = format!(
        "clip-{}s-{}fps-{}x{}.mkv",
        spec.seconds, spec.fps, spec.width, spec.height
    );
    let path = dir.join(name);
    if path.exists() {
        return path;
    }
    let video = format!(
        "testsrc2=size={}x{}:rate={}",
        spec.width, spec.height, spec.fps
    );
    let seconds = spec.seconds.to_string();
    let gop = spec.fps.to_string();
    ffmpeg_into(
        &[
            "-f",
            "lavfi",
            "-i",
            &video,
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000",
            "-t",
            &seconds,
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            &gop,
            "-c:a",
            "aac",
            "-shortest",
        ],
        &path,
    );
    path
}

/// Runs ffmpeg with `args` into a temporary file beside `out`, then moves
/// it into place (so a parallel test never reads a half-written file).
pub(crate) fn ffmpeg_into<S: AsRef<std::ffi::OsStr>>(args: &[S], out: &Path) {
    let tmp = out.with_extension(format!(
        "tmp-{}-{}.mkv",
        std::process::id(),
        rand::random::<u32>()
    ));
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .arg(&tmp)
        .status()
        .expect("ffmpeg runs (install it: apt install ffmpeg)");
    assert!(status.success(), "ffmpeg failed to make {}", out.display());
    std::fs::rename(&tmp, out).expect("move the file into place");
}

/// Every file below `dir`, at any depth (for tests that search what a
/// program wrote).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}
