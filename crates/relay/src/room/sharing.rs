//! How a room handles what members share besides playback: subtitle
//! files in parts (checked against the room's, the member's and the
//! relay's budgets, kept and sent to newcomers), each member's tracks, the
//! latest track proposal and the host's sound prints. What is kept and
//! what it costs is in [`shares`](super::shares).

use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use matinee_protocol::{
    clean_file_name, escaped_len, split_subtitle, NoticeEvent, ServerMsg, SubtitleMeta, TrackInfo,
    TrackProposal,
};

use super::shares::*;
use super::state::Room;
use crate::outbox::{frame, kept_frame};
use crate::refusal::{self, Refusal};

impl Room {
    /// Files the room keeps.
    #[cfg(test)]
    pub(super) fn sharing_files(&self) -> usize {
        self.sharing.files.len()
    }

    pub(super) fn on_share_subtitle(
        &mut self,
        idx: usize,
        part: u32,
        parts: u32,
        meta: SubtitleMeta,
        text: String,
    ) {
        let now = self.now_ms();
        // Names from others' machines are shown, never used as paths.
        let meta = SubtitleMeta {
            name: clean_file_name(&meta.name),
            ..meta
        };
        if part == 0 {
            if let Err(refused) = self.may_share(idx, &meta) {
                self.seats[idx].sharing.upload = None;
                return self.refuse(idx, refused);
            }
            let reserved = Reservation::new(0, self.env.metrics.subtitle_bytes.clone());
            self.seats[idx].sharing.upload = Some(Upload {
                meta: meta.clone(),
                parts,
                next: 0,
                text: String::new(),
                escaped: 0,
                reserved,
                last_ms: now,
            });
        }
        let bytes_max = self.env.config.max_room_subtitle_bytes;
        let relay_max = self.env.config.max_subtitle_bytes;
        let held = usize::try_from(self.env.metrics.subtitle_bytes.get()).unwrap_or(0);
        let upload = match self.seats[idx].sharing.upload.as_mut() {
            Some(u) if u.next == part && u.parts == parts && u.meta == meta => u,
            _ => {
                self.seats[idx].sharing.upload = None;
                return self.refuse(idx, refusal::share_out_of_order());
            }
        };
        // Counted as it will be kept: escaped as its frames carry it.
        let escaped = upload.escaped + escaped_len(&text) + FRAME_OVERHEAD;
        if escaped > bytes_max {
            self.seats[idx].sharing.upload = None;
            return self.refuse(idx, refusal::share_too_big(escaped, bytes_max));
        }
        if held - upload.reserved.bytes.min(held) + escaped > relay_max {
            self.seats[idx].sharing.upload = None;
            return self.refuse(idx, refusal::relay_files_full());
        }
        upload.text.push_str(&text);
        upload.escaped = escaped;
        upload.reserved.set(escaped);
        upload.next += 1;
        upload.last_ms = now;
        let over = upload.text.len() > upload.meta.bytes as usize || upload.text.len() > bytes_max;
        let done = upload.next == upload.parts;
        if over || (done && upload.text.len() != upload.meta.bytes as usize) {
            self.seats[idx].sharing.upload = None;
            return self.refuse(idx, refusal::share_length_mismatch());
        }
        if done {
            let upload = self.seats[idx].sharing.upload.take().expect("checked");
            self.store_and_send(idx, upload);
        }
    }

    /// Files whose next part is overdue are dropped (their member is told).
    pub(super) fn drop_stalled_uploads(&mut self) {
        let now = self.now_ms();
        let stalled: Vec<usize> = (0..self.seats.len())
            .filter(|i| {
                self.seats[*i]
                    .sharing
                    .upload
                    .as_ref()
                    .is_some_and(|u| now - u.last_ms >= UPLOAD_TIMEOUT_MS)
            })
            .collect();
        for i in stalled {
            self.seats[i].sharing.upload = None;
            self.refuse(i, refusal::share_stalled());
        }
    }

    /// Whether a file of `meta.bytes` may start coming in from seat `idx`;
    /// counts it against the allowances (the sharer's address, the room)
    /// when it may.
    fn may_share(&mut self, idx: usize, meta: &SubtitleMeta) -> Result<(), Refusal> {
        let bytes = meta.bytes as usize;
        let config = &self.env.config;
        if bytes > config.max_room_subtitle_bytes {
            return Err(refusal::share_over_room_limit(
                config.max_room_subtitle_bytes,
            ));
        }
        let held = usize::try_from(self.env.metrics.subtitle_bytes.get()).unwrap_or(0);
        if held + bytes.max(MIN_FILE_COST) > config.max_subtitle_bytes {
            return Err(refusal::relay_files_full());
        }
        let now = self.now_ms();
        let per_minute = config.max_shared_bytes_per_minute;
        // An empty file costs what a file costs at least.
        let charge = bytes.max(MIN_FILE_COST);
        let busy = || refusal::share_rate(per_minute);
        let room = &mut self.sharing.window;
        if !room.fits(now, charge, per_minute) {
            return Err(busy());
        }
        let addr = self.seats[idx].addr;
        if !self.env.allowance.take(addr, now, charge, per_minute) {
            return Err(busy());
        }
        self.sharing.window.bytes += charge;
        Ok(())
    }

    fn store_and_send(&mut self, idx: usize, mut upload: Upload) {
        let (from, nickname) = (self.seats[idx].id, self.seats[idx].nickname.clone());
        let id = self.sharing.next_id + 1;
        let label = upload.meta.label();
        let pieces = split_subtitle(&upload.text);
        let parts = pieces.len() as u32;
        let frames: Arc<[Utf8Bytes]> = pieces
            .into_iter()
            .enumerate()
            .map(|(part, text)| {
                kept_frame(&ServerMsg::Subtitle {
                    id,
                    from,
                    nickname: nickname.clone(),
                    meta: upload.meta.clone(),
                    part: part as u32,
                    parts,
                    text,
                })
            })
            .collect();
        drop(std::mem::take(&mut upload.text));
        // What the file costs as kept, not as announced: characters that
        // need escaping take up to six bytes each.
        let cost = cost(&frames);
        let config = &self.env.config;
        if cost > config.max_room_subtitle_bytes {
            let refused = refusal::share_too_big(cost, config.max_room_subtitle_bytes);
            return self.refuse(idx, refused);
        }
        let held = usize::try_from(self.env.metrics.subtitle_bytes.get()).unwrap_or(0);
        if held - upload.reserved.bytes.min(held) + cost > config.max_subtitle_bytes {
            return self.refuse(idx, refusal::relay_files_full());
        }
        upload.reserved.set(cost);
        // The oldest files make room (members who have them keep them).
        let max = config.max_room_subtitle_bytes;
        let sharing = &mut self.sharing;
        sharing.next_id = id;
        while sharing.held + cost > max || sharing.files.len() >= MAX_ROOM_FILES {
            match sharing.files.pop_front() {
                Some(old) => sharing.held -= old.held.bytes,
                None => break,
            }
        }
        sharing.held += cost;
        self.broadcast_batch(&frames, Some(idx));
        self.sharing.files.push_back(SharedFile {
            frames,
            held: upload.reserved,
        });
        tracing::info!(room = %self.code(), participant = from, bytes = cost, "subtitle shared");
        self.notice(
            NoticeEvent::SubtitleShared,
            format!("{nickname} shared {label}"),
            Some(from),
        );
    }

    pub(super) fn on_tracks(&mut self, idx: usize, tracks: Vec<TrackInfo>) {
        let member = &mut self.seats[idx].sharing;
        if member.tracks == tracks {
            return;
        }
        member.tracks = tracks;
        member.tracks_pending = true;
        self.flush_tracks(Some(idx));
    }

    /// Sends the track lists that changed: seat `only`'s (if its last one
    /// went out long enough ago), or every pending one (on the tick).
    pub(super) fn flush_tracks(&mut self, only: Option<usize>) {
        let now = self.now_ms();
        let due: Vec<usize> = (0..self.seats.len())
            .filter(|i| only.is_none_or(|o| o == *i))
            .filter(|i| {
                let m = &self.seats[*i].sharing;
                m.tracks_pending
                    && m.tracks_sent_ms
                        .is_none_or(|t| now - t >= TRACKS_INTERVAL_MS)
            })
            .collect();
        for i in due {
            let member = &mut self.seats[i].sharing;
            member.tracks_pending = false;
            member.tracks_sent_ms = Some(now);
            let msg = ServerMsg::Tracks {
                participant: self.seats[i].id,
                tracks: self.seats[i].sharing.tracks.clone(),
            };
            self.broadcast(&msg);
        }
    }

    pub(super) fn on_propose_tracks(&mut self, idx: usize, proposal: TrackProposal) {
        if !self.may_control(idx, "propose tracks in this room") {
            return;
        }
        let (from, nickname) = (self.seats[idx].id, self.seats[idx].nickname.clone());
        let text = format!("{nickname} proposed {}", proposal.describe());
        let msg = frame(&ServerMsg::TrackProposal {
            from,
            nickname,
            proposal,
            server_ms: self.now_ms(),
        });
        self.sharing.proposal.set(msg, Some((from, text)));
        self.flush_paced();
    }

    pub(super) fn on_audio_print(&mut self, idx: usize, start: f64, data: String) {
        if !self.require_host(idx, "send the sound others' copies align to") {
            return;
        }
        let (from, nickname) = (self.seats[idx].id, self.seats[idx].nickname.clone());
        let msg = frame(&ServerMsg::AudioPrint {
            from,
            nickname,
            start,
            data,
        });
        self.sharing.prints[usize::from(start >= 1.0)].set(msg, None);
        self.flush_paced();
    }

    /// Sends the proposal and prints that wait, each at most once a
    /// [`PROPOSAL_INTERVAL_MS`] (now, or on a later tick).
    pub(super) fn flush_paced(&mut self) {
        let now = self.now_ms();
        if let Some(msg) = self.sharing.proposal.due(now) {
            self.broadcast_frames(std::slice::from_ref(&msg), None);
            if let Some((from, text)) = self.sharing.proposal.notice.clone() {
                self.notice(NoticeEvent::TracksProposed, text, Some(from));
            }
        }
        for slot in 0..2 {
            if let Some(msg) = self.sharing.prints[slot].due(now) {
                let host = self.seats.iter().position(|s| s.host);
                self.broadcast_frames(std::slice::from_ref(&msg), host);
            }
        }
    }

    /// The host changed: the old host's fingerprint is no reference now.
    pub(super) fn forget_audio_print(&mut self) {
        self.sharing.prints = Default::default();
    }

    /// What a newcomer gets besides the snapshot: the shared files (in
    /// one place of its queue, however many frames they take), the
    /// others' tracks, the latest proposal, the host's fingerprint.
    pub(super) fn send_shared_to(&mut self, idx: usize) {
        let Some(conn) = self.seats[idx].conn.clone() else {
            return;
        };
        let files: Arc<[Utf8Bytes]> = self
            .sharing
            .files
            .iter()
            .flat_map(|f| f.frames.iter().cloned())
            .collect();
        conn.send_batch(files);
        for (i, seat) in self.seats.iter().enumerate() {
            if i != idx && !seat.sharing.tracks.is_empty() {
                conn.send_msg(&ServerMsg::Tracks {
                    participant: seat.id,
                    tracks: seat.sharing.tracks.clone(),
                });
            }
        }
        let latest = std::iter::once(&self.sharing.proposal).chain(&self.sharing.prints);
        for p in latest.filter_map(|p| p.latest.as_ref()) {
            conn.send(p.clone());
        }
    }
}
