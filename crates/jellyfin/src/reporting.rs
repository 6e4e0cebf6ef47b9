//! Tells the server what is playing, so resume points and watched state
//! follow the party: start, progress about every 10 s and on pause or seek,
//! and stop.

use std::time::Duration;

use serde_json::json;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::client::{JellyfinClient, StreamPlan};
use crate::model::seconds_to_ticks;
use crate::JellyfinError;

/// How often progress is reported while nothing else happens.
pub const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// What the player is doing, as the reporter sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlaybackSample {
    pub position: f64,
    pub paused: bool,
}

/// The ids every report carries.
#[derive(Debug, Clone)]
pub struct Reporter {
    client: JellyfinClient,
    item_id: String,
    media_source_id: String,
    play_session_id: String,
}

impl Reporter {
    pub fn new(client: JellyfinClient, plan: &StreamPlan) -> Self {
        Self {
            client,
            item_id: plan.item.id.clone(),
            media_source_id: plan.media_source.id.clone().unwrap_or_default(),
            play_session_id: plan.play_session_id.clone(),
        }
    }

    fn body(&self, s: PlaybackSample) -> serde_json::Value {
        json!({
            "ItemId": self.item_id,
            "MediaSourceId": self.media_source_id,
            "PlaySessionId": self.play_session_id,
            "PositionTicks": seconds_to_ticks(s.position),
            "IsPaused": s.paused,
            "CanSeek": true,
            // A static stream of the file as it is: what Jellyfin's web
            // client reports as "DirectPlay" for the same URL.
            "PlayMethod": "DirectPlay",
        })
    }

    pub async fn started(&self, s: PlaybackSample) -> Result<(), JellyfinError> {
        self.client
            .post_report("/Sessions/Playing", self.body(s))
            .await
    }

    pub async fn progress(&self, s: PlaybackSample) -> Result<(), JellyfinError> {
        self.client
            .post_report("/Sessions/Playing/Progress", self.body(s))
            .await
    }

    pub async fn stopped(&self, position: f64) -> Result<(), JellyfinError> {
        let body = json!({
            "ItemId": self.item_id,
            "MediaSourceId": self.media_source_id,
            "PlaySessionId": self.play_session_id,
            "PositionTicks": seconds_to_ticks(position),
        });
        self.client
            .post_report("/Sessions/Playing/Stopped", body)
            .await
    }

    /// Reports until `samples` closes: start, then progress every
    /// [`PROGRESS_EVERY`] and whenever the pause state flips or the position
    /// jumps (a seek), then stop at the last position. Failures are logged
    /// and retried with the next report: playback never waits for them.
    pub async fn run(self, mut samples: watch::Receiver<PlaybackSample>) {
        let mut last = *samples.borrow_and_update();
        if let Err(e) = self.started(last).await {
            tracing::warn!("jellyfin: could not report playback start: {e}");
        }
        // When the last report went out, and when `last` was seen: a jump
        // is judged against the previous sample, not the previous report.
        let mut reported_at = Instant::now();
        let mut seen_at = reported_at;
        loop {
            let due = reported_at + PROGRESS_EVERY;
            tokio::select! {
                changed = samples.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    let now = *samples.borrow_and_update();
                    if now.paused != last.paused || jumped(last, seen_at.elapsed(), now) {
                        self.report(now).await;
                        reported_at = Instant::now();
                    }
                    last = now;
                    seen_at = Instant::now();
                }
                _ = tokio::time::sleep_until(due) => {
                    last = *samples.borrow();
                    seen_at = Instant::now();
                    self.report(last).await;
                    reported_at = Instant::now();
                }
            }
        }
        if let Err(e) = self.stopped(last.position).await {
            tracing::warn!("jellyfin: could not report playback stop: {e}");
        }
    }

    async fn report(&self, s: PlaybackSample) {
        if let Err(e) = self.progress(s).await {
            tracing::warn!("jellyfin: could not report progress: {e}");
        }
    }
}

/// Whether `now` departs from where `before` would be after `elapsed` of
/// playback by more than 2 s: a seek, not time passing.
fn jumped(before: PlaybackSample, elapsed: Duration, now: PlaybackSample) -> bool {
    let expected = if before.paused {
        before.position
    } else {
        before.position + elapsed.as_secs_f64()
    };
    (now.position - expected).abs() > 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(position: f64, paused: bool) -> PlaybackSample {
        PlaybackSample { position, paused }
    }

    #[test]
    fn time_passing_is_not_a_jump_but_a_seek_is() {
        let step = Duration::from_millis(50);
        assert!(!jumped(at(100.0, false), step, at(100.05, false)));
        assert!(!jumped(
            at(100.0, false),
            Duration::from_secs(9),
            at(109.0, false)
        ));
        assert!(jumped(at(100.0, false), step, at(40.0, false)));
        assert!(jumped(at(100.0, false), step, at(103.0, false)));
        assert!(!jumped(
            at(100.0, true),
            Duration::from_secs(9),
            at(100.0, true)
        ));
        assert!(jumped(at(100.0, true), step, at(130.0, true)));
    }
}
