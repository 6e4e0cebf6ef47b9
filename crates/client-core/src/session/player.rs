//! The local mpv: launched, loaded with the user's file, and fed every
//! effect in order by a task of its own (`effects`) so a slow mpv never
//! stalls the session and no command overtakes another.

use std::time::{Duration, Instant};

use matinee_align::Line;
use matinee_mpv::{EndReason, LaunchOptions, MpvClient, MpvEvent, MpvProcess, PlayerState};
use matinee_sync::{PlayerCommand, PlayerSample};
use tokio::sync::{broadcast, mpsc, watch};

use super::effects::{self, Effect};
use crate::{ClientError, MediaSource};

const LOAD_TIMEOUT: Duration = Duration::from_secs(20);
const QUEUE: usize = 64;

/// The player, as the sync engine sees it: positions, speeds and the
/// length in the room's time (the host copy's), mapped through the line
/// that aligns this copy to the host's by sound (the identity until one
/// is found, or when the member turns alignment off).
pub(crate) struct Player {
    process: MpvProcess,
    pub events: broadcast::Receiver<MpvEvent>,
    pub state: watch::Receiver<PlayerState>,
    effects: mpsc::Sender<Effect>,
    line: Line,
}

/// Loads `media` paused at `start` and waits until mpv has it (and says
/// its length and position).
async fn load(
    client: &MpvClient,
    media: &MediaSource,
    start: Option<f64>,
) -> Result<(), ClientError> {
    let mut events = client.events();
    if !media.http_headers.is_empty() {
        client.set_http_headers(&media.http_headers).await?;
    }
    let target = media.target.clone();
    let media_err = |reason: String| ClientError::Media {
        path: target.clone(),
        reason,
    };
    client.load_file(&target, start, true).await?;
    let loaded = tokio::time::timeout(LOAD_TIMEOUT, async {
        loop {
            match events.recv().await {
                Ok(MpvEvent::FileLoaded) => return Ok(()),
                Ok(MpvEvent::EndFile(EndReason::Error(e))) => return Err(media_err(e)),
                Ok(MpvEvent::Closed) => {
                    return Err(ClientError::Mpv(matinee_mpv::MpvError::Closed))
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return Err(ClientError::Mpv(matinee_mpv::MpvError::Closed)),
            }
        }
    })
    .await
    .map_err(|_| media_err("it did not load within 20 s".into()))?;
    loaded?;
    let mut state = client.state();
    let _ = tokio::time::timeout(
        Duration::from_secs(5),
        state.wait_for(|s| s.duration.is_some() && s.time_pos.is_some()),
    )
    .await;
    Ok(())
}

impl Player {
    /// Launches mpv and loads the media paused at `start` seconds.
    pub async fn open(
        opts: &LaunchOptions,
        media: &MediaSource,
        start: Option<f64>,
    ) -> Result<Self, ClientError> {
        let process = MpvProcess::launch(opts).await?;
        let client = process.client().clone();
        load(&client, media, start).await?;
        let (effects, rx) = mpsc::channel(QUEUE);
        tokio::spawn(effects::run(client.clone(), client.state(), rx));
        Ok(Self {
            events: client.events(),
            state: client.state(),
            process,
            effects,
            line: Line::IDENTITY,
        })
    }

    /// Loads other media in this player, paused at `start` (series night:
    /// the next entry, in the same window).
    pub async fn load(
        &mut self,
        media: &MediaSource,
        start: Option<f64>,
    ) -> Result<(), ClientError> {
        self.line = Line::IDENTITY;
        load(self.process.client(), media, start).await
    }

    /// Maps positions through `line` from now on.
    pub fn set_line(&mut self, line: Line) {
        self.line = line;
    }

    /// The room's time when this player is at `mine`.
    pub fn to_room(&self, mine: f64) -> f64 {
        self.line.to_room(mine)
    }

    /// The room's speed when this player runs at `speed`.
    pub fn speed_to_room(&self, speed: f64) -> f64 {
        self.line.speed_to_room(speed)
    }

    pub fn client(&self) -> &MpvClient {
        self.process.client()
    }

    pub fn endpoint(&self) -> String {
        self.process.endpoint().to_string()
    }

    pub fn pid(&self) -> Option<u32> {
        self.process.pid()
    }

    /// Queues a command given in the room's time.
    pub fn command(&self, cmd: PlayerCommand) {
        let cmd = match cmd {
            PlayerCommand::Seek(x) => PlayerCommand::Seek(self.line.to_mine(x)),
            PlayerCommand::Speed(s) => PlayerCommand::Speed(self.line.speed_to_mine(s)),
            PlayerCommand::Pause(p) => PlayerCommand::Pause(p),
        };
        self.effect(Effect::Sync(cmd));
    }

    /// Queues an effect given in this copy's time, after all before it.
    pub fn effect(&self, effect: Effect) {
        if let Err(e) = self.effects.try_send(effect) {
            tracing::warn!(effect = ?e.into_inner(), "player queue full; dropped");
        }
    }

    pub fn sample(&self) -> PlayerSample {
        let s = self.state.borrow();
        PlayerSample {
            position: s.position_at(Instant::now()).map(|p| self.line.to_room(p)),
            paused: s.pause,
            speed: self.line.speed_to_room(s.speed),
            seeking: s.seeking,
            buffering: s.paused_for_cache,
            eof: s.eof_reached,
        }
    }

    /// This copy's length, in the room's time.
    pub fn duration(&self) -> Option<f64> {
        self.state.borrow().duration.map(|d| self.line.to_room(d))
    }

    pub async fn quit(self) {
        self.process.quit().await;
    }
}
