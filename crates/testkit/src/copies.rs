//! Different copies of one generated film, for aligning by sound: the
//! original (23.976 fps), one with 4 s of black and silence in front, one
//! sped up to 25 fps (video and sound, pitch and all, as PAL releases
//! are), and another film. The sound is a melody of notes drawn from a
//! hash of time (so no stretch of it repeats); each frame shows its number.

use std::path::{Path, PathBuf};

/// Which copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilmCopy {
    Original,
    /// 4 s of black and silence before the film.
    Padded,
    /// Sped up from 23.976 to 25 fps.
    Pal,
    /// Another film (another melody), same length.
    Other,
}

/// Seconds of the original.
pub const FILM_SECS: u32 = 150;
/// The original's frame rate.
pub const FILM_FPS: f64 = 24000.0 / 1001.0;
/// Black and silence in front of the padded copy, seconds.
pub const PAD_SECS: f64 = 4.0;

/// The sound: two voices whose notes change four and three times a
/// second, picked by a hash of the note's number.
fn melody(seed: f64) -> String {
    let note = |rate: u32, salt: f64| {
        format!(
            "pow(2,floor(24*(sin(floor(t*{rate})*{salt}+{seed})*43758.5453-floor(sin(floor(t*{rate})*{salt}+{seed})*43758.5453)))/12)"
        )
    };
    format!(
        "0.35*sin(2*PI*t*220*{})+0.25*sin(2*PI*t*330*{})",
        note(4, 12.9898),
        note(3, 78.233)
    )
}

fn generate(seed: f64, out: &Path) {
    let secs = FILM_SECS.to_string();
    let args: Vec<String> = [
        "-f",
        "lavfi",
        "-i",
        &format!("testsrc2=size=320x180:rate=24000/1001:duration={secs}"),
        "-f",
        "lavfi",
        "-i",
        &format!("aevalsrc='{}':s=48000:d={secs}", melody(seed)),
        "-vf",
        "drawtext=text='%{n}':x=8:y=8:fontsize=28:fontcolor=white:box=1:boxcolor=black",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        // FLAC: no encoder delay, so a copy's sound starts exactly with its
        // pictures (AAC's priming shifted the derived copies by 21 ms).
        "-c:a",
        "flac",
        "-shortest",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    crate::ffmpeg_into(&args, out);
}

/// The path of a copy, generated with ffmpeg when missing (cached under the
/// target directory like the clips).
pub fn film_copy(copy: FilmCopy) -> PathBuf {
    let dir = crate::cache_dir();
    std::fs::create_dir_all(&dir).expect("create test-media dir");
    let path = |name: &str| dir.join(format!("copy-{name}-{FILM_SECS}s.mkv"));
    let out = match copy {
        FilmCopy::Original => path("original"),
        FilmCopy::Padded => path("padded"),
        FilmCopy::Pal => path("pal"),
        FilmCopy::Other => path("other"),
    };
    if out.exists() {
        return out;
    }
    let from = |src: &PathBuf, vf: &str, af: &str, extra: &[&str]| {
        let mut args: Vec<String> = vec!["-i".into(), src.display().to_string()];
        args.extend(["-vf", vf, "-af", af].iter().map(|s| s.to_string()));
        args.extend(extra.iter().map(|s| s.to_string()));
        args.extend(
            ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "flac"]
                .iter()
                .map(|s| s.to_string()),
        );
        crate::ffmpeg_into(&args, &out);
    };
    match copy {
        FilmCopy::Original => generate(0.0, &out),
        FilmCopy::Other => generate(3.7, &out),
        FilmCopy::Padded => from(
            &film_copy(FilmCopy::Original),
            &format!("tpad=start_duration={PAD_SECS}:color=black"),
            &format!("adelay={}:all=1", (PAD_SECS * 1000.0) as u32),
            &[],
        ),
        FilmCopy::Pal => from(
            &film_copy(FilmCopy::Original),
            "setpts=PTS*(24000/1001)/25",
            "asetrate=48000*25/(24000/1001),aresample=48000",
            &["-r", "25"],
        ),
    }
    out
}
