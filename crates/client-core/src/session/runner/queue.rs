//! Series night in the session: what the member adds to the room's queue,
//! their own copy of each entry (looked for in the folders they chose, or
//! picked by hand), and going on to an entry: its copy opens in the same
//! player at its start, aligned to the host's by sound like any film, and
//! the member says ready; without a copy they sit it out.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use matinee_protocol::{ClientMsg, MediaInfo, QueueItem, QueueState};

use super::{Flow, Runner};
use crate::own_copies::{episode_in, episode_marker, find_copy, scan_folders, LocalFile};
use crate::session::align::{AlignWorker, Aligner};
use crate::session::{SessionCmd, SessionEvent};
use crate::{local_media_info, now_ms, MediaSource};

/// Entries sent in one `queue_add` (a frame stays well under the relay's
/// 64 KiB).
const ADD_BATCH: usize = 20;

/// What a file is, as a queue entry: its name says the series and the
/// episode when it is one ("The.Office.S01E03.mkv": "The Office · S01E03").
pub(crate) fn queue_item_for(path: &Path) -> std::io::Result<QueueItem> {
    let media = local_media_info(path)?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| media.name.clone());
    let episode = episode_in(&stem);
    let series = episode.and_then(|_| series_name(&stem));
    let title = match (&series, episode) {
        (Some(series), Some(ep)) => format!("{series} · {ep}"),
        _ => stem.replace(['.', '_'], " ").trim().to_string(),
    };
    Ok(QueueItem {
        title,
        media,
        series,
        episode,
    })
}

/// The words before the episode marker: "The.Office.US.S01E03.720p" →
/// "The Office US".
fn series_name(stem: &str) -> Option<String> {
    let (cut, _) = episode_marker(stem)?;
    let name = stem[..cut]
        .replace(['.', '_', '-'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (!name.is_empty()).then_some(name)
}

/// The queue's entries resolved to this member's files.
fn resolve(
    queue: &QueueState,
    files: &[LocalFile],
    chosen: &BTreeMap<u32, PathBuf>,
) -> BTreeMap<u32, PathBuf> {
    queue
        .entries
        .iter()
        .filter_map(|e| {
            let path = chosen
                .get(&e.id)
                .cloned()
                .or_else(|| find_copy(&e.item, files).map(|f| f.path.clone()))?;
            Some((e.id, path))
        })
        .collect()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl Runner {
    pub(super) async fn on_queue_command(&mut self, cmd: SessionCmd) -> Flow {
        match cmd {
            SessionCmd::QueueAdd { paths } => self.add_to_queue(paths).await,
            SessionCmd::QueueRemove { id } => _ = self.link.send(ClientMsg::QueueRemove { id }),
            SessionCmd::QueueMove { id, to } => _ = self.link.send(ClientMsg::QueueMove { id, to }),
            SessionCmd::QueuePlay { id } => _ = self.link.send(ClientMsg::QueuePlay { id }),
            SessionCmd::QueueNext => match self.model.queue.next_entry() {
                Some(next) => _ = self.link.send(ClientMsg::QueuePlay { id: next.id }),
                None => self.emit(SessionEvent::Refused {
                    message: "Nothing comes next in the queue.".into(),
                }),
            },
            SessionCmd::QueueWait => _ = self.link.send(ClientMsg::QueueWait),
            SessionCmd::FilmFolders { folders } => {
                self.queue_side.folders = folders;
                self.queue_side.scanned = None;
                self.find_own_copies().await;
            }
            SessionCmd::ChooseCopy { id, path } => {
                if !path.is_file() {
                    self.emit(SessionEvent::Refused {
                        message: format!("{} is not a file.", path.display()),
                    });
                } else {
                    self.queue_side.chosen.insert(id, path);
                    self.find_own_copies().await;
                    self.go_to_current_entry().await;
                }
            }
            _ => {}
        }
        Flow::Go
    }

    /// Adds files to the room's queue; a file that cannot be read is said
    /// and skipped, the others go in.
    async fn add_to_queue(&mut self, paths: Vec<PathBuf>) {
        let read = tokio::task::spawn_blocking(move || {
            paths
                .into_iter()
                .map(|p| (queue_item_for(&p), p))
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        let mut items = Vec::new();
        for (item, path) in read {
            match item {
                Ok(item) => {
                    // Our own copy of what we add is the file itself.
                    self.queue_side.added.push(LocalFile {
                        size_bytes: item.media.size_bytes.unwrap_or(0),
                        path,
                        duration: None,
                    });
                    items.push(item);
                }
                Err(e) => self.emit(SessionEvent::Refused {
                    message: format!("{} cannot be added: {e}", path.display()),
                }),
            }
        }
        self.queue_side.scanned = None;
        for batch in items.chunks(ADD_BATCH) {
            self.link.send(ClientMsg::QueueAdd {
                items: batch.to_vec(),
            });
        }
    }

    /// The room's queue, as the relay says it.
    pub(super) async fn on_queue(&mut self, queue: QueueState) {
        self.model.queue = queue.clone();
        self.emit(SessionEvent::Queue { queue });
        self.find_own_copies().await;
        self.go_to_current_entry().await;
    }

    /// Looks for this member's copy of each entry, tells the room which
    /// they have, and the app.
    pub(super) async fn find_own_copies(&mut self) {
        if self.model.queue.entries.is_empty() {
            return;
        }
        if self.queue_side.scanned.is_none() {
            let folders = self.queue_side.folders.clone();
            let mut files = tokio::task::spawn_blocking(move || scan_folders(&folders))
                .await
                .unwrap_or_default();
            files.extend(self.queue_side.added.iter().cloned());
            // The film this member opened the party with is a copy too.
            if let Some(opened) = self.queue_side.opened_with.clone() {
                files.push(opened);
            }
            self.queue_side.scanned = Some(files);
        }
        let files = self.queue_side.scanned.as_deref().unwrap_or_default();
        let copies = resolve(&self.model.queue, files, &self.queue_side.chosen);
        let have: Vec<u32> = copies.keys().copied().collect();
        if self.queue_side.told.as_ref() != Some(&have) {
            self.link
                .send(ClientMsg::QueueCopies { have: have.clone() });
            self.queue_side.told = Some(have);
        }
        let names: BTreeMap<u32, String> =
            copies.iter().map(|(id, p)| (*id, file_name(p))).collect();
        self.queue_side.copies = copies;
        if self.model.own_copies != names {
            self.model.own_copies = names.clone();
            self.emit(SessionEvent::OwnCopies { copies: names });
        }
    }

    /// The room went on to an entry: open our copy of it at its start in
    /// the same player (or sit it out without one), then say ready.
    async fn go_to_current_entry(&mut self) {
        let Some(id) = self.model.queue.current else {
            return;
        };
        if self.queue_side.on_entry == Some(id) {
            return;
        }
        let Some(entry) = self.model.queue.current_entry().cloned() else {
            return;
        };
        let Some(path) = self.queue_side.copies.get(&id).cloned() else {
            // Sit it out: nothing of the last entry plays meanwhile (an
            // idle player has no position, so the engine leaves it be).
            self.queue_side.on_entry = None;
            if let Some(p) = &self.player {
                if let Err(e) = p.client().stop().await {
                    tracing::warn!(%e, "could not stop the player");
                }
            }
            self.emit(SessionEvent::Refused {
                message: format!(
                    "You have no copy of {}: you sit it out (choose a file for it to join in).",
                    entry.item.title
                ),
            });
            return;
        };
        let Some(player) = self.player.as_mut() else {
            return;
        };
        let media = MediaSource::file(&path);
        if let Err(e) = player.load(&media, Some(0.0)).await {
            self.emit(SessionEvent::Refused {
                message: format!("{} could not be opened: {e}", file_name(&path)),
            });
            return;
        }
        self.queue_side.on_entry = Some(id);
        let duration = player.client().get_number("duration").await.ok().flatten();
        let info = MediaInfo {
            duration,
            ..local_media_info(&path).unwrap_or_default()
        };
        tracing::info!(entry = id, file = %file_name(&path), "opened our copy of the queue entry");
        self.cfg.media = media;
        self.model.media = info.clone();
        self.link.send(ClientMsg::Media { media: info });
        // This copy's sound is measured afresh, against the host's copy
        // of this entry.
        let (worker, news) = AlignWorker::new(&self.cfg.mpv, &self.cfg.media);
        self.align_worker = worker;
        self.align_news = news;
        self.aligner = Aligner::new();
        self.model.line = matinee_align::Line::IDENTITY;
        self.send_print_if_host();
        self.emit_alignment();
        let actions = self.engine.on_player_remapped(now_ms());
        self.apply(actions);
        self.tick();
        self.link.send(ClientMsg::Ready { ready: true });
    }
}

/// The session's side of the queue.
#[derive(Default)]
pub(super) struct QueueSide {
    /// Where this member's films are.
    pub folders: Vec<PathBuf>,
    /// Files this member added to the queue (their own copies).
    pub added: Vec<LocalFile>,
    /// The local file the party started with.
    pub opened_with: Option<LocalFile>,
    /// Copies chosen by hand, by entry.
    pub chosen: BTreeMap<u32, PathBuf>,
    /// The films found in the folders (None: look again).
    pub scanned: Option<Vec<LocalFile>>,
    /// This member's copy of each entry.
    pub copies: BTreeMap<u32, PathBuf>,
    /// The entries the room was last told we have.
    pub told: Option<Vec<u32>>,
    /// The entry our player has open.
    pub on_entry: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_name_gives_the_series_and_the_episode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("The.Office.US.S01E03.720p.mkv");
        std::fs::write(&path, b"x").unwrap();
        let item = queue_item_for(&path).unwrap();
        assert_eq!(item.series.as_deref(), Some("The Office US"));
        assert_eq!(item.title, "The Office US · S01E03");
        assert_eq!(item.media.size_bytes, Some(1));
        let film = dir.path().join("Arrival_2016.mkv");
        std::fs::write(&film, b"xy").unwrap();
        let item = queue_item_for(&film).unwrap();
        assert_eq!(item.title, "Arrival 2016");
        assert!(item.series.is_none() && item.episode.is_none());
        assert_eq!(series_name("office 1x03"), Some("office".into()));
        assert!(queue_item_for(&dir.path().join("gone.mkv")).is_err());
    }
}
