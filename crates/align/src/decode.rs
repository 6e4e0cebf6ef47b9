//! A window of a copy's sound, decoded by mpv itself (every user has it,
//! and it reads every codec and stream the film plays from).

use std::time::Duration;

use matinee_mpv::{EndReason, LaunchOptions, MpvEvent, MpvProcess};

use crate::AlignError;

/// Samples a second of the decoded sound (mono). Chromaprint works at this
/// rate, so nothing is resampled for a copy at the room's speed.
pub const SAMPLE_RATE: u32 = 11025;

/// The longest a decode may take.
const DECODE_TIMEOUT: Duration = Duration::from_secs(90);

/// Mono 16-bit samples at [`SAMPLE_RATE`], from `start` seconds of the
/// copy on.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioWindow {
    pub start: f64,
    pub samples: Vec<i16>,
}

impl AudioWindow {
    pub fn seconds(&self) -> f64 {
        self.samples.len() as f64 / f64::from(SAMPLE_RATE)
    }
}

/// Decodes `length` seconds of `target`'s sound from `start` on, as fast
/// as mpv can (no output device, no clock), into memory. `headers` reach
/// mpv over its IPC (a Jellyfin token never goes on a command line).
pub async fn decode(
    mpv: &LaunchOptions,
    target: &str,
    headers: &[String],
    start: f64,
    length: f64,
) -> Result<AudioWindow, AlignError> {
    let dir = tempfile::Builder::new()
        .prefix("matinee-sound-")
        .tempdir()?;
    let pcm = dir.path().join("sound.pcm");
    let mut opts = mpv.clone();
    opts.load_user_config = false;
    opts.headless = false;
    opts.title = None;
    opts.extra_args = vec![
        "--vo=null".into(),
        "--no-video".into(),
        "--force-window=no".into(),
        "--ao=pcm".into(),
        format!("--ao-pcm-file={}", pcm.display()),
        "--ao-pcm-waveheader=no".into(),
        "--audio-format=s16".into(),
        format!("--audio-samplerate={SAMPLE_RATE}"),
        "--audio-channels=mono".into(),
        "--untimed".into(),
        "--keep-open=no".into(),
        format!("--length={length:.3}"),
        "--volume=100".into(),
    ];
    let process = MpvProcess::launch(&opts).await?;
    let client = process.client().clone();
    let mut events = client.events();
    if !headers.is_empty() {
        client.set_http_headers(headers).await?;
    }
    client
        .load_file(target, Some(start.max(0.0)), false)
        .await?;
    let ended = tokio::time::timeout(DECODE_TIMEOUT, async {
        loop {
            match events.recv().await {
                Ok(MpvEvent::EndFile(EndReason::Error(e))) => {
                    return Err(AlignError::Mpv(matinee_mpv::MpvError::Command(e)))
                }
                Ok(MpvEvent::EndFile(_)) => return Ok(()),
                Ok(MpvEvent::Closed) | Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                    return Err(AlignError::Mpv(matinee_mpv::MpvError::Closed))
                }
                _ => {}
            }
        }
    })
    .await;
    process.quit().await;
    match ended {
        Ok(r) => r?,
        Err(_) => return Err(AlignError::Timeout(DECODE_TIMEOUT.as_secs())),
    }
    let bytes = std::fs::read(&pcm)?;
    let samples = bytes
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect();
    Ok(AudioWindow {
        start: start.max(0.0),
        samples,
    })
}
