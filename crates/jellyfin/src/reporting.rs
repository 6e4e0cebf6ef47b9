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
            "PlayMethod": "DirectStream",
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
        let mut last_at = Instant::now();
        loop {
            let due = last_at + PROGRESS_EVERY;
            tokio::select! {
                changed = samples.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    let now = *samples.borrow_and_update();
                    let expected = if last.paused {
                        last.position
                    } else {
                        last.position + last_at.elapsed().as_secs_f64()
                    };
                    let jumped = (now.position - expected).abs() > 2.0;
                    if now.paused != last.paused || jumped {
                        self.report(now).await;
                        last_at = Instant::now();
                    }
                    last = now;
                }
                _ = tokio::time::sleep_until(due) => {
                    last = *samples.borrow();
                    self.report(last).await;
                    last_at = Instant::now();
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
