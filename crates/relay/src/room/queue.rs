//! The room's queue (series night): whoever may control playback adds,
//! removes, moves and goes to entries; everyone hears the whole queue on
//! each change. It is kept with the room's state (for a node taking the
//! room over, and in each member's rebuild after a restart).

use matinee_protocol::{
    EpisodeNumber, NoticeEvent, ParticipantId, PlaybackState, QueueEntry, QueueItem, QueueState,
    ServerMsg, MAX_QUEUE_BYTES, MAX_QUEUE_ENTRIES,
};
use std::time::Duration;
use tokio::time::Instant;

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

/// The least time between two queues sent to the room.
pub(crate) const QUEUE_MIN_INTERVAL: Duration = Duration::from_millis(500);

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
        let added: Vec<QueueEntry> = items
            .into_iter()
            .map(|item| QueueEntry {
                id: 0,
                item,
                added_by: name.clone(),
                without: Vec::new(),
            })
            .collect();
        let bytes = QueueState::entry_bytes(&self.queue.entries) + QueueState::entry_bytes(&added);
        if bytes > MAX_QUEUE_BYTES {
            return self.refuse(idx, refusal::queue_too_large(MAX_QUEUE_BYTES / 1024));
        }
        let text = match added.as_slice() {
            [one] => format!("{name} added {} to the queue", entry_label(&one.item)),
            many => format!("{name} added {} entries to the queue", many.len()),
        };
        for mut entry in added {
            self.next_queue_id += 1;
            entry.id = self.next_queue_id;
            self.queue.entries.push(entry);
        }
        self.queue_changed(NoticeEvent::QueueChanged, text, Some(self.seats[idx].id));
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
        self.queue_changed(NoticeEvent::QueueChanged, text, Some(self.seats[idx].id));
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
        self.queue_changed(NoticeEvent::QueueChanged, text, Some(self.seats[idx].id));
    }

    pub(super) fn on_queue_play(&mut self, idx: usize, id: u32) {
        if !self.may_control(idx, "go to a queue entry") {
            return;
        }
        if self.queue.index_of(id).is_none() {
            return self.refuse(idx, refusal::no_queue_entry());
        }
        self.go_to_entry(id, Some(idx));
    }

    /// The room goes to entry `id`: it becomes the room's film, playback
    /// goes to its start, paused, and everyone says ready again once their
    /// copy is open; the relay starts it when all with a copy are.
    fn go_to_entry(&mut self, id: u32, by: Option<usize>) {
        let Some(at) = self.queue.index_of(id) else {
            return;
        };
        let entry = self.queue.entries[at].clone();
        self.queue.current = Some(id);
        self.queue.next_at_ms = None;
        self.queue_autostart = true;
        self.media = Some(entry.item.media.clone());
        // The host's sound prints were of the last entry's copy.
        self.forget_audio_print();
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
        let label = entry_label(&entry.item);
        let (text, who) = match by {
            Some(idx) => (
                format!("{} started {label}", self.seats[idx].nickname),
                Some(self.seats[idx].id),
            ),
            None => (format!("On to {label}"), None),
        };
        self.queue_changed(NoticeEvent::QueueAdvanced, text, who);
    }

    /// Someone took the controls: the room neither goes on by itself nor
    /// starts the entry by itself.
    pub(super) fn controls_taken(&mut self) {
        self.queue_autostart = false;
        if self.queue.next_at_ms.take().is_some() {
            self.queue_dirty = true;
            self.flush_queue(false);
        }
    }

    /// The host opened their copy of the entry: the room's time is that
    /// copy's (the others align to it), so its length is the entry's.
    pub(super) fn host_media_for_entry(&mut self, idx: usize) {
        if self.queue.current.is_none() || !self.is_host(idx) {
            return;
        }
        if let Some(media) = &self.seats[idx].media {
            if media.duration.is_some() {
                self.media = Some(media.clone());
            }
        }
    }

    /// Whoever may control playback: no countdown to the next entry.
    pub(super) fn on_queue_wait(&mut self, idx: usize) {
        if !self.may_control(idx, "change the queue") {
            return;
        }
        if self.queue.next_at_ms.take().is_none() {
            return;
        }
        let text = format!(
            "{} asked to wait: the next entry starts when someone starts it",
            self.seats[idx].nickname
        );
        let who = Some(self.seats[idx].id);
        self.queue_changed(NoticeEvent::QueueChanged, text, who);
    }

    /// A member's copies: the entries they have; the others they sit out.
    pub(super) fn on_queue_copies(&mut self, idx: usize, have: Vec<u32>) {
        self.seats[idx].queue_copies = Some(have);
        self.send_queue_if_copies_changed();
        self.start_entry_if_all_ready();
    }

    /// After the film ends: the countdown to the next entry, if any.
    pub(super) fn count_down_to_next_entry(&mut self) {
        let Some(next) = self.queue.next_entry() else {
            return;
        };
        let label = entry_label(&next.item);
        let after_s = self.env.config.next_entry_after_secs.clamp(0.0, 3600.0);
        self.queue.next_at_ms = Some(self.now_ms() + after_s * 1000.0);
        let text = format!("Next: {label} in {} s", after_s.round());
        self.queue_changed(NoticeEvent::QueueChanged, text, None);
    }

    /// Periodic: the countdown ran out, or everyone is ready.
    pub(super) fn advance_queue_if_due(&mut self) {
        if self.queue.next_at_ms.is_some_and(|at| self.now_ms() >= at) {
            match self.queue.next_entry().map(|e| e.id) {
                Some(id) => self.go_to_entry(id, None),
                None => self.queue.next_at_ms = None,
            }
        }
        self.start_entry_if_all_ready();
    }

    /// A queue entry the room went on to starts, for everyone at once,
    /// when every connected member with a copy of it is ready.
    pub(super) fn start_entry_if_all_ready(&mut self) {
        let Some(current) = self.queue.current else {
            return;
        };
        if !self.queue_autostart || !self.playback.paused {
            return;
        }
        let watching: Vec<&super::seat::Seat> = self
            .seats
            .iter()
            .filter(|s| s.is_connected() && !s.sits_out(current))
            .collect();
        if watching.is_empty() || !watching.iter().all(|s| s.ready) {
            return;
        }
        self.queue_autostart = false;
        self.schedule_play();
        let label = self
            .queue
            .current_entry()
            .map(|e| entry_label(&e.item))
            .unwrap_or_default();
        self.notice(
            NoticeEvent::StartScheduled,
            format!("Everyone is ready: {label} starts"),
            None,
        );
    }

    /// Who sits each entry out, from the members' copies; the queue goes
    /// out again when that changed.
    fn send_queue_if_copies_changed(&mut self) {
        let mut changed = false;
        for entry in &mut self.queue.entries {
            let without: Vec<_> = self
                .seats
                .iter()
                .filter(|s| s.sits_out(entry.id))
                .map(|s| s.id)
                .collect();
            if entry.without != without {
                entry.without = without;
                changed = true;
            }
        }
        if changed {
            self.queue_dirty = true;
            self.flush_queue(false);
        }
    }

    fn queue_changed(&mut self, event: NoticeEvent, text: String, by: Option<ParticipantId>) {
        self.send_queue_if_copies_changed();
        self.queue_dirty = true;
        self.flush_queue(false);
        self.notice(event, text, by);
    }

    /// When a queue held back by [`QUEUE_MIN_INTERVAL`] is due.
    pub fn queue_due(&self) -> Option<Instant> {
        self.queue_dirty.then(|| {
            self.queue_sent
                .map_or_else(Instant::now, |t| t + QUEUE_MIN_INTERVAL)
        })
    }

    /// Sends the queue if it changed, no sooner than [`QUEUE_MIN_INTERVAL`]
    /// after the last time ([`Room::queue_due`] says when): a storm of
    /// changes (someone dragging entries about, or a member's copies
    /// flickering) reaches everyone as one queue per interval, not one
    /// whole queue per change.
    pub(super) fn flush_queue(&mut self, now: bool) {
        let recent = self
            .queue_sent
            .is_some_and(|t| t.elapsed() < QUEUE_MIN_INTERVAL);
        if !self.queue_dirty || (recent && !now) {
            return;
        }
        self.queue_dirty = false;
        self.queue_sent = Some(Instant::now());
        let msg = ServerMsg::Queue {
            queue: self.queue.clone(),
        };
        self.broadcast(&msg);
    }
}
