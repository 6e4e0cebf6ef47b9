//! Playing a Jellyfin item in a party: the stream as the session's media,
//! and the server told what the local player does so resume points and
//! watched state follow the party.

use matinee_jellyfin::{JellyfinClient, PlaybackSample, Reporter, StreamPlan};
use matinee_sync::PlayerSample;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::MediaSource;

/// The item's direct stream, with the Authorization header mpv must send
/// (set over IPC, never on mpv's command line) and the identity the room is
/// told (title, runtime, size, provider ids).
pub fn stream_media(client: &JellyfinClient, plan: &StreamPlan) -> MediaSource {
    MediaSource::stream(
        plan.url.as_str(),
        vec![format!("Authorization: {}", client.authorization())],
        plan.media_info(),
    )
}

/// Reports a session's playback (its `player_samples`) to the server:
/// started once the player has a position, progress while it plays (see
/// [`Reporter::run`]), stopped when the session ends.
pub fn report_playback(
    mut local: watch::Receiver<Option<PlayerSample>>,
    reporter: Reporter,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let first = loop {
            if let Some(s) = reportable(*local.borrow_and_update()) {
                break s;
            }
            if local.changed().await.is_err() {
                return;
            }
        };
        let (tx, rx) = watch::channel(first);
        let reporting = tokio::spawn(reporter.run(rx));
        while local.changed().await.is_ok() {
            if let Some(s) = reportable(*local.borrow_and_update()) {
                tx.send_if_modified(|old| std::mem::replace(old, s) != s);
            }
        }
        drop(tx);
        let _ = reporting.await;
    })
}

/// One item's playback reported as the session samples its player (a
/// queue entry, or the film the party opened with): the start once the
/// player has a position, then progress; dropping it reports the stop at
/// the last position, before the player moves on to anything else.
pub(crate) struct ItemReport {
    waiting: Option<Reporter>,
    samples: Option<watch::Sender<PlaybackSample>>,
}

impl ItemReport {
    pub fn new(reporter: Reporter) -> Self {
        Self {
            waiting: Some(reporter),
            samples: None,
        }
    }

    /// The player as just sampled.
    pub fn sample(&mut self, sample: Option<PlayerSample>) {
        let Some(s) = reportable(sample) else {
            return;
        };
        if let Some(tx) = &self.samples {
            tx.send_if_modified(|old| std::mem::replace(old, s) != s);
        } else if let Some(reporter) = self.waiting.take() {
            let (tx, rx) = watch::channel(s);
            tokio::spawn(reporter.run(rx));
            self.samples = Some(tx);
        }
    }
}

/// A sample worth reporting: the player is open, knows its position and
/// is not in the middle of a seek.
fn reportable(s: Option<PlayerSample>) -> Option<PlaybackSample> {
    let s = s.filter(|s| !s.seeking)?;
    Some(PlaybackSample {
        position: s.position?,
        paused: s.paused,
    })
}
