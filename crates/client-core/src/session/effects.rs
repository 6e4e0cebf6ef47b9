//! Everything the session asks of the local mpv, carried by the player's
//! one ordered queue: the sync engine's commands, notices, track choices
//! and shared subtitle files. Each effect runs after the one before it has
//! been answered, and what it acts on (which track carries a shared file)
//! is read from mpv when it runs, never from a picture taken earlier: a
//! file taken out and shown again at once finds the player as the first
//! command left it.

use std::path::PathBuf;
use std::time::Duration;

use matinee_mpv::{MpvClient, MpvError, PlayerState, Track, TrackType};
use matinee_sync::PlayerCommand;
use tokio::sync::{mpsc, watch};

/// How long a notice stays on mpv's screen.
pub(crate) const NOTICE_TIME: Duration = Duration::from_secs(3);
/// How long a file read again waits for a seek the new line made.
const SEEK_WAIT: Duration = Duration::from_secs(2);

/// A subtitle file this app wrote, as mpv lists it (by title).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SubtitleFile {
    pub path: PathBuf,
    pub title: String,
    pub lang: Option<String>,
}

/// Whether `track` is a shared file's, the one titled `title` (each
/// player titles a shared file the same way).
pub(crate) fn carries(track: &Track, title: &str) -> bool {
    track.kind == TrackType::Sub && track.external && track.title.as_deref() == Some(title)
}

/// One thing for the player to do, in this copy's time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Effect {
    Sync(PlayerCommand),
    Notice(String),
    SelectTrack(TrackType, Option<u32>),
    /// A track proposal's outcome: audio, subtitles (`Some(None)`: off)
    /// and a subtitle delay, each when given.
    Tracks {
        audio: Option<u32>,
        sub: Option<Option<u32>>,
        sub_delay: Option<f64>,
    },
    AddSubtitle {
        file: SubtitleFile,
        select: bool,
    },
    /// Shows the file (selecting its track, or adding it again if it was
    /// taken out), or takes every track of it out.
    ShowSubtitle {
        file: SubtitleFile,
        shown: bool,
    },
    /// A reopened player gets the files back, the last one shown.
    RestoreSubtitles(Vec<SubtitleFile>),
    /// The files were written again through a new line: once the seek
    /// the line made has landed, each track is read again, selected as it
    /// was.
    ReloadSubtitles(Vec<SubtitleFile>),
}

/// Runs effects in order until the queue or mpv closes.
pub(crate) async fn run(
    client: MpvClient,
    state: watch::Receiver<PlayerState>,
    mut rx: mpsc::Receiver<Effect>,
) {
    while let Some(effect) = rx.recv().await {
        match apply(&client, &state, &effect).await {
            Ok(()) => {}
            Err(MpvError::Closed) => return,
            Err(e) => tracing::warn!(?effect, error = %e, "the player did not take an effect"),
        }
    }
}

async fn apply(
    client: &MpvClient,
    state: &watch::Receiver<PlayerState>,
    effect: &Effect,
) -> Result<(), MpvError> {
    match effect {
        Effect::Sync(PlayerCommand::Pause(p)) => client.set_pause(*p).await,
        Effect::Sync(PlayerCommand::Seek(x)) => client.seek_to(x.max(0.0)).await,
        Effect::Sync(PlayerCommand::Speed(s)) => client.set_speed(*s).await,
        Effect::Notice(text) => client.show_text(text, NOTICE_TIME).await,
        Effect::SelectTrack(kind, id) => client.select_track(*kind, *id).await,
        Effect::Tracks {
            audio,
            sub,
            sub_delay,
        } => {
            if let Some(id) = audio {
                client.select_track(TrackType::Audio, Some(*id)).await?;
            }
            if let Some(id) = sub {
                client.select_track(TrackType::Sub, *id).await?;
            }
            if let Some(d) = sub_delay {
                client.set_sub_delay(*d).await?;
            }
            Ok(())
        }
        Effect::AddSubtitle { file, select } => add(client, file, *select).await,
        Effect::ShowSubtitle { file, shown } => {
            let tracks = tracks_of(client, file).await?;
            match (shown, tracks.last()) {
                (true, Some(&(id, _))) => client.select_track(TrackType::Sub, Some(id)).await,
                (true, None) => add(client, file, true).await,
                (false, _) => {
                    for (id, _) in tracks {
                        client.remove_subtitle(id).await?;
                    }
                    Ok(())
                }
            }
        }
        Effect::RestoreSubtitles(files) => {
            let newest = files.len().saturating_sub(1);
            for (i, file) in files.iter().enumerate() {
                add(client, file, i == newest).await?;
            }
            Ok(())
        }
        Effect::ReloadSubtitles(files) => {
            // A file added while mpv seeks can stay blank until the next
            // frame: wait for the seek the new line made.
            tokio::time::sleep(Duration::from_millis(100)).await;
            let mut state = state.clone();
            let _ = tokio::time::timeout(SEEK_WAIT, state.wait_for(|s| !s.seeking)).await;
            // Taken out and put back (a file read again while paused would
            // show its old line until the next frame), selected as it was.
            for file in files {
                for (id, selected) in tracks_of(client, file).await? {
                    client.remove_subtitle(id).await?;
                    add(client, file, selected).await?;
                }
            }
            Ok(())
        }
    }
}

async fn add(client: &MpvClient, file: &SubtitleFile, select: bool) -> Result<(), MpvError> {
    client
        .add_subtitle(&file.path, &file.title, file.lang.as_deref(), select)
        .await
}

/// The external subtitle tracks that carry `file` now (id, selected), as
/// mpv answers after every earlier command.
async fn tracks_of(client: &MpvClient, file: &SubtitleFile) -> Result<Vec<(u32, bool)>, MpvError> {
    Ok(client
        .track_list()
        .await?
        .into_iter()
        .filter(|t| carries(t, &file.title))
        .map(|t| (t.id, t.selected))
        .collect())
}
