//! Series night in the session: what the member adds to the room's queue,
//! their own copy of each entry (looked for in the folders they chose, or
//! picked by hand), and going on to an entry: its copy opens in the same
//! player at its start, aligned to the host's by sound like any film, and
//! the member says ready; without a copy they sit it out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use matinee_jellyfin::{JellyfinClient, Reporter};
use matinee_protocol::{ClientMsg, MediaInfo, QueueItem, QueueState};
use tokio::sync::mpsc;

use super::{Flow, Runner};
use crate::jellyfin::ItemReport;
use crate::jellyfin_copies::{find_on_server, queue_items_from, ServerCopy};
use crate::own_copies::{episode_in, episode_marker, find_copy, scan_folders, LocalFile};
use crate::session::align::{AlignWorker, Aligner};
use crate::session::{SessionCmd, SessionEvent};
use crate::{local_media_info, now_ms, stream_media, MediaSource};

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

/// A member's copy of a queue entry.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum OwnCopy {
    File(PathBuf),
    /// An item of the member's own Jellyfin server.
    Server(ServerCopy),
}

impl OwnCopy {
    /// What the queue shows as the member's copy.
    fn name(&self) -> String {
        match self {
            OwnCopy::File(path) => file_name(path),
            OwnCopy::Server(copy) => format!("{} (Jellyfin)", copy.name),
        }
    }
}

/// The queue's entries resolved to this member's copies: a file chosen by
/// hand, else one in their folders, else one on their Jellyfin server.
fn resolve(
    queue: &QueueState,
    files: &[LocalFile],
    chosen: &BTreeMap<u32, PathBuf>,
    on_server: &BTreeMap<u32, Option<ServerCopy>>,
) -> BTreeMap<u32, OwnCopy> {
    queue
        .entries
        .iter()
        .filter_map(|e| {
            let file = chosen
                .get(&e.id)
                .cloned()
                .or_else(|| find_copy(&e.item, files).map(|f| f.path.clone()));
            let copy = match file {
                Some(path) => OwnCopy::File(path),
                None => OwnCopy::Server(on_server.get(&e.id).cloned().flatten()?),
            };
            Some((e.id, copy))
        })
        .collect()
}

/// Looks for each entry on the member's server, one after the other, and
/// sends what it found (or that it found nothing) as it goes.
fn look_on_server(
    client: JellyfinClient,
    entries: Vec<(u32, QueueItem)>,
    found: mpsc::Sender<(u32, Option<ServerCopy>)>,
) {
    tokio::spawn(async move {
        for (id, item) in entries {
            let copy = match find_on_server(&client, &item).await {
                Ok(copy) => copy,
                Err(e) => {
                    tracing::warn!(entry = id, "could not look on the Jellyfin server: {e}");
                    None
                }
            };
            if found.send((id, copy)).await.is_err() {
                return;
            }
        }
    });
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl Runner {
    pub(super) async fn on_queue_command(&mut self, cmd: SessionCmd) -> Flow {
        match cmd {
            SessionCmd::QueueAdd { paths, play } => self.add_to_queue(paths, play).await,
            SessionCmd::QueueAddJellyfin { item, play } => self.add_from_server(item, play).await,
            SessionCmd::UseServer(client) => self.use_server(*client).await,
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
    async fn add_to_queue(&mut self, paths: Vec<PathBuf>, play: bool) {
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
        self.send_entries(items, play);
    }

    /// Sends entries to the room (`play`: the first of them comes up as
    /// soon as the room has it).
    fn send_entries(&mut self, items: Vec<QueueItem>, play: bool) {
        if play {
            self.queue_side.play_when_queued = items.first().cloned();
        }
        for batch in items.chunks(ADD_BATCH) {
            self.link.send(ClientMsg::QueueAdd {
                items: batch.to_vec(),
            });
        }
    }

    /// Adds an item of the member's Jellyfin server (a season or a series
    /// as its episodes, in order).
    async fn add_from_server(&mut self, item: String, play: bool) {
        let Some(client) = self.queue_side.server.clone() else {
            return self.emit(SessionEvent::Refused {
                message: "Sign in to your Jellyfin server to add from it.".into(),
            });
        };
        match queue_items_from(&client, &item).await {
            Ok(items) => {
                let entries = items.iter().map(|(item, _)| item.clone()).collect();
                self.queue_side.added_from_server.extend(items);
                self.send_entries(entries, play);
            }
            Err(e) => self.emit(SessionEvent::Refused {
                message: format!("That Jellyfin item cannot be added: {e}"),
            }),
        }
    }

    /// Signed in while in the room: what was not found before is looked
    /// for on this server too.
    async fn use_server(&mut self, client: JellyfinClient) {
        let side = &mut self.queue_side;
        if side.server.as_ref() == Some(&client) {
            return;
        }
        side.server = Some(client);
        side.on_server.retain(|_, found| found.is_some());
        self.find_own_copies().await;
    }

    /// What the lookups on the member's server found for an entry.
    pub(super) async fn on_server_copy(&mut self, id: u32, copy: Option<ServerCopy>) {
        self.queue_side.looking.remove(&id);
        self.queue_side.on_server.insert(id, copy);
        if self.queue_side.looking.is_empty() || self.model.queue.current == Some(id) {
            self.find_own_copies().await;
            self.go_to_current_entry().await;
        }
    }

    /// The room's queue, as the relay says it.
    pub(super) async fn on_queue(&mut self, queue: QueueState) {
        if let Some(wanted) = &self.queue_side.play_when_queued {
            // The newest entry holding what we added to play at once.
            let id = queue
                .entries
                .iter()
                .rev()
                .find(|e| &e.item == wanted)
                .map(|e| e.id);
            if let Some(id) = id {
                self.queue_side.play_when_queued = None;
                if queue.current != Some(id) {
                    self.link.send(ClientMsg::QueuePlay { id });
                }
            }
        }
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
        let resolved = |side: &QueueSide, queue: &QueueState| {
            let files = side.scanned.as_deref().unwrap_or_default();
            resolve(queue, files, &side.chosen, &side.on_server)
        };
        let mut copies = resolved(&self.queue_side, &self.model.queue);
        if self.look_for_the_rest_on_server(&copies) {
            copies = resolved(&self.queue_side, &self.model.queue);
        }
        let have: Vec<u32> = copies.keys().copied().collect();
        if self.queue_side.told.as_ref() != Some(&have) {
            self.link
                .send(ClientMsg::QueueCopies { have: have.clone() });
            self.queue_side.told = Some(have);
        }
        let names: BTreeMap<u32, String> = copies.iter().map(|(id, c)| (*id, c.name())).collect();
        self.queue_side.copies = copies;
        if self.model.own_copies != names {
            self.model.own_copies = names.clone();
            self.emit(SessionEvent::OwnCopies { copies: names });
        }
    }

    /// Entries without a copy here, not yet looked for on the member's
    /// Jellyfin server: looked for now, in the background (what this
    /// member added from it is known at once: then it says true).
    fn look_for_the_rest_on_server(&mut self, copies: &BTreeMap<u32, OwnCopy>) -> bool {
        let Some(client) = self.queue_side.server.clone() else {
            return false;
        };
        let mut known = false;
        let side = &mut self.queue_side;
        let mut wanted = Vec::new();
        for e in &self.model.queue.entries {
            if copies.contains_key(&e.id)
                || side.on_server.contains_key(&e.id)
                || side.looking.contains(&e.id)
            {
                continue;
            }
            let added = side.added_from_server.iter().find(|(i, _)| *i == e.item);
            match added {
                Some((_, copy)) => {
                    side.on_server.insert(e.id, Some(copy.clone()));
                    known = true;
                }
                None => wanted.push((e.id, e.item.clone())),
            }
        }
        if !wanted.is_empty() {
            side.looking.extend(wanted.iter().map(|(id, _)| *id));
            look_on_server(client, wanted, side.found_tx.clone());
        }
        known
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
        if self.queue_side.looking.contains(&id) {
            // Still looking on the member's server: go on when it answers.
            return;
        }
        // The last film's playback report stops where it stopped.
        self.report = None;
        let Some(copy) = self.queue_side.copies.get(&id).cloned() else {
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
        let (media, info, reporter) = match &copy {
            OwnCopy::File(path) => (
                MediaSource::file(path),
                local_media_info(path).unwrap_or_default(),
                None,
            ),
            OwnCopy::Server(on_server) => {
                let Some(client) = self.queue_side.server.clone() else {
                    return;
                };
                match client.plan_stream(&on_server.item_id).await {
                    Ok(plan) => (
                        stream_media(&client, &plan),
                        plan.media_info(),
                        Some(Reporter::new(client, &plan)),
                    ),
                    Err(e) => {
                        self.emit(SessionEvent::Refused {
                            message: format!("{} cannot be played: {e}", on_server.name),
                        });
                        return;
                    }
                }
            }
        };
        let Some(player) = self.player.as_mut() else {
            return;
        };
        if let Err(e) = player.load(&media, Some(0.0)).await {
            self.emit(SessionEvent::Refused {
                message: format!("{} could not be opened: {e}", copy.name()),
            });
            return;
        }
        self.queue_side.on_entry = Some(id);
        let duration = player.client().get_number("duration").await.ok().flatten();
        let info = MediaInfo {
            duration: duration.or(info.duration),
            ..info
        };
        // Each entry's watched state on the member's server is its own.
        self.report = reporter.map(ItemReport::new);
        tracing::info!(entry = id, copy = %copy.name(), "opened our copy of the queue entry");
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
    pub copies: BTreeMap<u32, OwnCopy>,
    /// The member's own Jellyfin server, when signed in.
    pub server: Option<JellyfinClient>,
    /// What was looked for there, by entry (None: not there).
    pub on_server: BTreeMap<u32, Option<ServerCopy>>,
    /// Entries being looked for there now.
    pub looking: BTreeSet<u32>,
    /// Items this member added from their server.
    pub added_from_server: Vec<(QueueItem, ServerCopy)>,
    /// Where the lookups send what they found.
    pub found_tx: mpsc::Sender<(u32, Option<ServerCopy>)>,
    /// The entries the room was last told we have.
    pub told: Option<Vec<u32>>,
    /// The entry our player has open.
    pub on_entry: Option<u32>,
    /// What this member added to play at once, until the room has it.
    pub play_when_queued: Option<QueueItem>,
}

impl QueueSide {
    /// With the receiving end of the server lookups.
    pub fn new(
        folders: Vec<PathBuf>,
        opened_with: Option<LocalFile>,
        server: Option<JellyfinClient>,
    ) -> (Self, mpsc::Receiver<(u32, Option<ServerCopy>)>) {
        let (found_tx, found_rx) = mpsc::channel(64);
        let side = Self {
            folders,
            added: Vec::new(),
            opened_with,
            chosen: BTreeMap::new(),
            scanned: None,
            copies: BTreeMap::new(),
            server,
            on_server: BTreeMap::new(),
            looking: BTreeSet::new(),
            added_from_server: Vec::new(),
            found_tx,
            told: None,
            on_entry: None,
            play_when_queued: None,
        };
        (side, found_rx)
    }
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
