//! What members share through the room besides playback: subtitle files
//! (kept while the room lives, within a budget, and sent to newcomers),
//! each member's tracks, and the latest track proposal.

use std::collections::VecDeque;

use axum::extract::ws::Utf8Bytes;
use matinee_protocol::{
    split_subtitle, ErrorCode, NoticeEvent, ServerMsg, SubtitleMeta, TrackInfo, TrackProposal,
};
use prometheus_client::metrics::gauge::Gauge;

use super::state::Room;
use crate::outbox::frame;

/// Shortest time between two track lists of one member going out, ms; a
/// newer list waits for the next tick.
const TRACKS_INTERVAL_MS: f64 = 500.0;
/// The window of the per-member shared-bytes budget, ms.
const SHARE_WINDOW_MS: f64 = 60_000.0;

/// One shared file, as the frames that carry it. Dropping it gives its
/// bytes back to the relay-wide count.
struct SharedFile {
    frames: Vec<Utf8Bytes>,
    held: Reservation,
}

/// The room's shared files and latest proposal.
#[derive(Default)]
pub(crate) struct Sharing {
    files: VecDeque<SharedFile>,
    next_id: u32,
    held: usize,
    proposal: Option<Utf8Bytes>,
    /// The host's sound fingerprints (of the film's start, and of a place
    /// further in), for newcomers; cleared when the host changes (the new
    /// host sends its own).
    prints: [Option<Utf8Bytes>; 2],
}

/// A file on its way in from one member. Its announced size is counted
/// in the relay-wide total from its first part (given back when it is
/// dropped: finished, refused, or its member gone), so unfinished uploads
/// cannot hold memory past the relay's budget.
pub(crate) struct Upload {
    meta: SubtitleMeta,
    parts: u32,
    next: u32,
    text: String,
    reserved: Reservation,
}

/// Bytes counted in the relay-wide total while held.
struct Reservation {
    bytes: usize,
    gauge: Gauge,
}

impl Reservation {
    fn new(bytes: usize, gauge: Gauge) -> Self {
        gauge.inc_by(bytes as i64);
        Self { bytes, gauge }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.gauge.dec_by(self.bytes as i64);
    }
}

/// What one member shares: their tracks, and their budget.
#[derive(Default)]
pub(crate) struct MemberSharing {
    pub tracks: Vec<TrackInfo>,
    upload: Option<Upload>,
    /// The member's tracks changed and are not out yet.
    tracks_pending: bool,
    tracks_sent_ms: Option<f64>,
    /// Start of the current budget window, and bytes shared in it.
    window: (f64, usize),
}

impl Room {
    pub(super) fn on_share_subtitle(
        &mut self,
        idx: usize,
        part: u32,
        parts: u32,
        meta: SubtitleMeta,
        text: String,
    ) {
        if part == 0 {
            if let Err((code, why)) = self.may_share(idx, &meta) {
                self.seats[idx].sharing.upload = None;
                return self.refuse(idx, code, &why);
            }
            let reserved =
                Reservation::new(meta.bytes as usize, self.env.metrics.subtitle_bytes.clone());
            self.seats[idx].sharing.upload = Some(Upload {
                meta: meta.clone(),
                parts,
                next: 0,
                text: String::new(),
                reserved,
            });
        }
        let bytes_max = self.env.config.max_room_subtitle_bytes;
        let upload = match self.seats[idx].sharing.upload.as_mut() {
            Some(u) if u.next == part && u.parts == parts && u.meta == meta => u,
            _ => {
                self.seats[idx].sharing.upload = None;
                return self.refuse(
                    idx,
                    ErrorCode::InvalidValue,
                    "The subtitle file arrived out of order; share it again.",
                );
            }
        };
        upload.text.push_str(&text);
        upload.next += 1;
        let over = upload.text.len() > upload.meta.bytes as usize || upload.text.len() > bytes_max;
        let done = upload.next == upload.parts;
        if over || (done && upload.text.len() != upload.meta.bytes as usize) {
            self.seats[idx].sharing.upload = None;
            return self.refuse(
                idx,
                ErrorCode::InvalidValue,
                "The subtitle file's length does not match what was announced; share it again.",
            );
        }
        if done {
            let upload = self.seats[idx].sharing.upload.take().expect("checked");
            self.store_and_send(idx, upload);
        }
    }

    /// Whether a file of `meta.bytes` may start coming in from seat `idx`;
    /// counts it against the member's budget when it may.
    fn may_share(&mut self, idx: usize, meta: &SubtitleMeta) -> Result<(), (ErrorCode, String)> {
        let bytes = meta.bytes as usize;
        let config = &self.env.config;
        if bytes > config.max_room_subtitle_bytes {
            return Err((
                ErrorCode::InvalidValue,
                format!(
                    "This room takes subtitle files of at most {} KiB.",
                    config.max_room_subtitle_bytes / 1024
                ),
            ));
        }
        let held = usize::try_from(self.env.metrics.subtitle_bytes.get()).unwrap_or(0);
        if held + bytes > config.max_subtitle_bytes {
            return Err((
                ErrorCode::Unavailable,
                "This relay holds as many shared subtitles as it may; try again later.".into(),
            ));
        }
        let now = self.now_ms();
        let per_minute = config.max_shared_bytes_per_minute;
        let window = &mut self.seats[idx].sharing.window;
        if now - window.0 >= SHARE_WINDOW_MS {
            *window = (now, 0);
        }
        if window.1 + bytes > per_minute {
            return Err((
                ErrorCode::RateLimited,
                format!(
                    "You can share {} KiB of subtitles a minute; try again in a minute.",
                    per_minute / 1024
                ),
            ));
        }
        window.1 += bytes;
        Ok(())
    }

    fn store_and_send(&mut self, idx: usize, upload: Upload) {
        let (from, nickname) = (self.seats[idx].id, self.seats[idx].nickname.clone());
        let sharing = &mut self.sharing;
        sharing.next_id += 1;
        let id = sharing.next_id;
        let label = upload.meta.label();
        let pieces = split_subtitle(&upload.text);
        let parts = pieces.len() as u32;
        let frames = pieces
            .into_iter()
            .enumerate()
            .map(|(part, text)| {
                frame(&ServerMsg::Subtitle {
                    id,
                    from,
                    nickname: nickname.clone(),
                    meta: upload.meta.clone(),
                    part: part as u32,
                    parts,
                    text,
                })
            })
            .collect::<Vec<_>>();
        // The upload's reservation passes to the file (same length: checked).
        let bytes = upload.reserved.bytes;
        // The oldest files make room (members who have them keep them).
        let max = self.env.config.max_room_subtitle_bytes;
        while sharing.held + bytes > max {
            match sharing.files.pop_front() {
                Some(old) => sharing.held -= old.held.bytes,
                None => break,
            }
        }
        sharing.held += bytes;
        self.broadcast_frames(&frames, Some(idx));
        self.sharing.files.push_back(SharedFile {
            frames,
            held: upload.reserved,
        });
        tracing::info!(room = %self.code(), participant = from, bytes, "subtitle shared");
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
        self.broadcast_frames(std::slice::from_ref(&msg), None);
        self.sharing.proposal = Some(msg);
        self.notice(NoticeEvent::TracksProposed, text, Some(from));
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
        self.broadcast_frames(std::slice::from_ref(&msg), Some(idx));
        self.sharing.prints[usize::from(start >= 1.0)] = Some(msg);
    }

    /// The host changed: the old host's fingerprint is no reference now.
    pub(super) fn forget_audio_print(&mut self) {
        self.sharing.prints = Default::default();
    }

    /// What a newcomer gets besides the snapshot: the shared files, the
    /// others' tracks, the latest proposal, the host's fingerprint.
    pub(super) fn send_shared_to(&mut self, idx: usize) {
        let Some(conn) = self.seats[idx].conn.clone() else {
            return;
        };
        for file in &self.sharing.files {
            for f in &file.frames {
                conn.send(f.clone());
            }
        }
        for (i, seat) in self.seats.iter().enumerate() {
            if i != idx && !seat.sharing.tracks.is_empty() {
                conn.send_msg(&ServerMsg::Tracks {
                    participant: seat.id,
                    tracks: seat.sharing.tracks.clone(),
                });
            }
        }
        if let Some(p) = &self.sharing.proposal {
            conn.send(p.clone());
        }
        for p in self.sharing.prints.iter().flatten() {
            conn.send(p.clone());
        }
    }
}
