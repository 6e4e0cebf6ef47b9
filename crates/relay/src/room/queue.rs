//! The room's queue (series night): whoever may control playback adds,
//! removes, moves and goes to entries; everyone hears the whole queue on
//! each change. It is kept with the room's state (for a node taking the
//! room over, and in each member's rebuild after a restart).

use matinee_protocol::{
    EpisodeNumber, NoticeEvent, PlaybackState, QueueEntry, QueueItem, ServerMsg, MAX_QUEUE_ENTRIES,
};

use super::state::Room;
use crate::refusal;

/// An entry as a notice names it: "S01E03 · Pilot", or its title.
fn entry_label(item: &QueueItem) -> String {
    match item.episode {
        Some(EpisodeNumber { season, episode })
            if !item.title.contains(&format!("E{episode:02}")) =>
        {
            format!("S{season:02}E{episode:02} · {}", item.title)
        }
        _ => item.title.clone(),
    }
}

impl Room {
    pub(super) fn on_queue_add(&mut self, idx: usize, items: Vec<QueueItem>) {
        if !self.may_control(idx, "change the queue") {
            return;
        }
        let held = self.queue.entries.len();
        if held + items.len() > MAX_QUEUE_ENTRIES {
            return self.refuse(idx, refusal::queue_full(MAX_QUEUE_ENTRIES, held));
        }
        let name = self.seats[idx].nickname.clone();
        let text = match items.as_slice() {
            [one] => format!("{name} added {} to the queue", entry_label(one)),
            many => format!("{name} added {} entries to the queue", many.len()),
        };
        for item in items {
            self.next_queue_id += 1;
            self.queue.entries.push(QueueEntry {
                id: self.next_queue_id,
                item,
                added_by: name.clone(),
            });
        }
        self.queue_changed(NoticeEvent::QueueChanged, text, idx);
    }

    pub(super) fn on_queue_remove(&mut self, idx: usize, id: u32) {
        if !self.may_control(idx, "change the queue") {
            return;
        }
        let Some(at) = self.queue.index_of(id) else {
            return self.refuse(idx, refusal::no_queue_entry());
        };
        if self.queue.current == Some(id) {
            return self.refuse(idx, refusal::queue_entry_playing());
        }
        let gone = self.queue.entries.remove(at);
        let text = format!(
            "{} took {} out of the queue",
            self.seats[idx].nickname,
            entry_label(&gone.item)
        );
        self.queue_changed(NoticeEvent::QueueChanged, text, idx);
    }

    pub(super) fn on_queue_move(&mut self, idx: usize, id: u32, to: u32) {
        if !self.may_control(idx, "change the queue") {
            return;
        }
        let Some(from) = self.queue.index_of(id) else {
            return self.refuse(idx, refusal::no_queue_entry());
        };
        let entry = self.queue.entries.remove(from);
        let to = (to as usize).min(self.queue.entries.len());
        let text = format!(
            "{} moved {} to place {} in the queue",
            self.seats[idx].nickname,
            entry_label(&entry.item),
            to + 1
        );
        self.queue.entries.insert(to, entry);
        self.queue_changed(NoticeEvent::QueueChanged, text, idx);
    }

    /// The room goes to entry `id`: it becomes the room's film, playback
    /// goes to its start, paused, and everyone says ready again once their
    /// copy is open.
    pub(super) fn on_queue_play(&mut self, idx: usize, id: u32) {
        if !self.may_control(idx, "go to a queue entry") {
            return;
        }
        let Some(at) = self.queue.index_of(id) else {
            return self.refuse(idx, refusal::no_queue_entry());
        };
        let entry = self.queue.entries[at].clone();
        self.queue.current = Some(id);
        self.media = Some(entry.item.media.clone());
        let epoch = self.playback.epoch + 1;
        self.playback = PlaybackState {
            epoch,
            ..PlaybackState::initial(self.now_ms())
        };
        self.buffer_pause_since = None;
        for seat in &mut self.seats {
            seat.ready = false;
        }
        self.roster_dirty = true;
        self.broadcast_state(None);
        let text = format!(
            "{} started {}",
            self.seats[idx].nickname,
            entry_label(&entry.item)
        );
        self.queue_changed(NoticeEvent::QueueAdvanced, text, idx);
    }

    fn queue_changed(&mut self, event: NoticeEvent, text: String, idx: usize) {
        let msg = ServerMsg::Queue {
            queue: self.queue.clone(),
        };
        self.broadcast(&msg);
        let by = self.seats[idx].id;
        self.notice(event, text, Some(by));
    }
}
