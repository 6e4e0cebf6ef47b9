//! The room's queue (series night): what is to be watched in turn. Each
//! entry describes a film or an episode well enough for every member to
//! find their own copy of it (by episode numbers, title, length, size or
//! provider ids); no member's file or server address is in it.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::MediaInfo;

/// Most entries a room's queue holds.
pub const MAX_QUEUE_ENTRIES: usize = 200;
/// Longest entry title, in characters.
pub const MAX_QUEUE_TITLE_CHARS: usize = 200;
/// Most bytes the queue's entries take as JSON (without who sits each
/// out): the whole queue goes to every member on each change, and comes
/// back in a member's rebuild, which must fit one frame (64 KiB by default).
pub const MAX_QUEUE_BYTES: usize = 48 * 1024;

/// Season and episode numbers of an episode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
pub struct EpisodeNumber {
    pub season: u32,
    pub episode: u32,
}

impl std::fmt::Display for EpisodeNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "S{:02}E{:02}", self.season, self.episode)
    }
}

/// An entry as someone adds it (the relay numbers it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct QueueItem {
    /// What people read, e.g. "The Office · S01E03 · Health Care".
    pub title: String,
    /// The adder's copy: its name, length, size and provider ids, which
    /// the others match their copies against.
    pub media: MediaInfo,
    /// The series this episode belongs to, when it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub series: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub episode: Option<EpisodeNumber>,
}

/// An entry of the room's queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct QueueEntry {
    /// The room's number for this entry (never reused in the room).
    pub id: u32,
    #[serde(flatten)]
    #[ts(flatten)]
    pub item: QueueItem,
    /// Who added it.
    pub added_by: String,
    /// Members who said they have no copy of it (they sit it out).
    #[serde(default)]
    pub without: Vec<crate::ParticipantId>,
}

/// The room's queue and which entry the room is on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct QueueState {
    pub entries: Vec<QueueEntry>,
    /// The entry being watched (None: the room's own film, before the
    /// queue starts or after it ran out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub current: Option<u32>,
    /// The current entry ended: the room goes on to the next at this
    /// server time (ms) unless someone asks to wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub next_at_ms: Option<f64>,
}

/// An entry's JSON beyond its item and adder: `{"id":…,"added_by":"",
/// "without":[]}` and the commas between entries.
const ENTRY_FRAME_BYTES: usize = 40;

impl QueueState {
    /// No entries (and so none current).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The bytes [`MAX_QUEUE_BYTES`] counts: each entry as JSON, without
    /// who sits it out.
    pub fn entry_bytes(entries: &[QueueEntry]) -> usize {
        entries
            .iter()
            .map(|e| {
                let item = serde_json::to_vec(&e.item).map_or(0, |v| v.len());
                item + e.added_by.len() + ENTRY_FRAME_BYTES
            })
            .sum()
    }

    /// The queue as a member's rebuild carries it: who sits each entry out
    /// is left for the relay to learn again from everyone's copies.
    pub fn for_rebuild(&self) -> Self {
        let mut queue = self.clone();
        for entry in &mut queue.entries {
            entry.without.clear();
        }
        queue
    }

    /// The index of entry `id`.
    pub fn index_of(&self, id: u32) -> Option<usize> {
        self.entries.iter().position(|e| e.id == id)
    }

    /// The entry being watched.
    pub fn current_entry(&self) -> Option<&QueueEntry> {
        self.current
            .and_then(|id| self.index_of(id))
            .map(|i| &self.entries[i])
    }

    /// The entry after the current one (the first when none is current).
    pub fn next_entry(&self) -> Option<&QueueEntry> {
        match self.current.and_then(|id| self.index_of(id)) {
            Some(i) => self.entries.get(i + 1),
            None => self.entries.first(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: u32) -> QueueEntry {
        QueueEntry {
            id,
            item: QueueItem {
                title: format!("Episode {id}"),
                media: MediaInfo {
                    name: format!("show.s01e{id:02}.mkv"),
                    ..MediaInfo::default()
                },
                series: Some("Show".into()),
                episode: Some(EpisodeNumber {
                    season: 1,
                    episode: id,
                }),
            },
            added_by: "Ana".into(),
            without: Vec::new(),
        }
    }

    #[test]
    fn the_next_entry_follows_the_current_one() {
        let mut q = QueueState {
            entries: vec![entry(1), entry(2), entry(3)],
            ..QueueState::default()
        };
        assert_eq!(q.next_entry().map(|e| e.id), Some(1));
        q.current = Some(2);
        assert_eq!(q.current_entry().map(|e| e.id), Some(2));
        assert_eq!(q.next_entry().map(|e| e.id), Some(3));
        q.current = Some(3);
        assert!(q.next_entry().is_none());
    }

    #[test]
    fn an_entry_reads_flat_on_the_wire() {
        let json = serde_json::to_value(entry(3)).unwrap();
        assert_eq!(json["title"], "Episode 3");
        assert_eq!(json["episode"]["episode"], 3);
        assert_eq!(json["media"]["name"], "show.s01e03.mkv");
        let back: QueueEntry = serde_json::from_value(json).unwrap();
        assert_eq!(back, entry(3));
        assert_eq!(
            EpisodeNumber {
                season: 1,
                episode: 3
            }
            .to_string(),
            "S01E03"
        );
    }
}
