//! What a room keeps of what members share besides playback, and what it
//! costs: subtitle files (kept while the room lives, within a budget, and
//! sent to newcomers), each member's tracks, the latest track proposal and
//! the host's sound prints, with the pacing and the byte allowances. The
//! rules that fill and send them are in [`sharing`](super::sharing).
//!
//! Files are counted by what they cost as kept: the frames that carry
//! them (text escaped as JSON, the file's details on each part) and a
//! minimum per file, so neither escaped characters nor empty files are
//! cheaper than they look. A file in flight is counted by what has
//! arrived, for at most [`UPLOAD_TIMEOUT_MS`] between parts.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::extract::ws::Utf8Bytes;
use matinee_protocol::{ParticipantId, SubtitleMeta, TrackInfo};
use prometheus_client::metrics::gauge::Gauge;

/// Shortest time between two track lists of one member going out, ms; a
/// newer list waits for the next tick.
pub(super) const TRACKS_INTERVAL_MS: f64 = 500.0;
/// Shortest time between two track proposals, or two sound prints, going
/// out to the room, ms; a newer one waits (the latest wins).
pub(super) const PROPOSAL_INTERVAL_MS: f64 = 1000.0;
/// The window of the shared-bytes allowance, ms.
pub(super) const SHARE_WINDOW_MS: f64 = 60_000.0;
/// Longest wait for the next part of a file being shared, ms.
pub(crate) const UPLOAD_TIMEOUT_MS: f64 = 15_000.0;
/// What a kept file costs at least, bytes (its details, its place).
pub(crate) const MIN_FILE_COST: usize = 4096;
/// What each kept frame costs beyond its text, bytes.
pub(super) const FRAME_OVERHEAD: usize = 64;
/// Most files a room keeps (the oldest go first).
pub(crate) const MAX_ROOM_FILES: usize = 32;
/// Addresses remembered by the relay-wide allowance before expired
/// windows are swept.
pub(super) const ALLOWANCE_SWEEP_AT: usize = 4096;

/// One shared file, as the frames that carry it. Dropping it gives its
/// cost back to the relay-wide count.
pub(super) struct SharedFile {
    pub(super) frames: Arc<[Utf8Bytes]>,
    pub(super) held: Reservation,
}

/// The room's shared files, latest proposal and sound prints.
#[derive(Default)]
pub(crate) struct Sharing {
    pub(super) files: VecDeque<SharedFile>,
    pub(super) next_id: u32,
    pub(super) held: usize,
    /// Bytes shared in this room in the current window.
    pub(super) window: Window,
    pub(super) proposal: Paced,
    /// The host's sound fingerprints (of the film's start, and of a place
    /// further in), for newcomers; cleared when the host changes (the new
    /// host sends its own).
    pub(super) prints: [Paced; 2],
}

/// The latest of something that goes out at most once an interval.
#[derive(Default)]
pub(super) struct Paced {
    pub(super) latest: Option<Utf8Bytes>,
    /// What the room is told when it goes out, and about whom.
    pub(super) notice: Option<(ParticipantId, String)>,
    pub(super) pending: bool,
    pub(super) sent_ms: Option<f64>,
}

impl Paced {
    pub(super) fn set(&mut self, frame: Utf8Bytes, notice: Option<(ParticipantId, String)>) {
        self.latest = Some(frame);
        self.notice = notice;
        self.pending = true;
    }

    /// The frame to send now, if one waits and the interval has passed.
    pub(super) fn due(&mut self, now: f64) -> Option<Utf8Bytes> {
        let ready = self.pending && self.sent_ms.is_none_or(|t| now - t >= PROPOSAL_INTERVAL_MS);
        if !ready {
            return None;
        }
        self.pending = false;
        self.sent_ms = Some(now);
        self.latest.clone()
    }
}

/// Bytes shared within one minute.
#[derive(Default, Clone, Copy)]
pub(super) struct Window {
    pub(super) start_ms: f64,
    pub(super) bytes: usize,
}

impl Window {
    pub(super) fn fits(&mut self, now: f64, bytes: usize, per_minute: usize) -> bool {
        if now - self.start_ms >= SHARE_WINDOW_MS {
            *self = Window {
                start_ms: now,
                bytes: 0,
            };
        }
        self.bytes + bytes <= per_minute
    }
}

/// The shared-bytes allowance per address, across the relay's rooms
/// (more seats, rooms or connections from one address share it).
#[derive(Default)]
pub(crate) struct ShareAllowance {
    pub(super) windows: Mutex<HashMap<IpAddr, Window>>,
}

impl ShareAllowance {
    /// Counts `bytes` for `addr` if they fit its allowance now.
    pub(super) fn take(&self, addr: IpAddr, now: f64, bytes: usize, per_minute: usize) -> bool {
        let mut windows = self.windows.lock().expect("not poisoned");
        if windows.len() >= ALLOWANCE_SWEEP_AT {
            windows.retain(|_, w| now - w.start_ms < SHARE_WINDOW_MS);
        }
        let window = windows.entry(crate::limits::address_key(addr)).or_default();
        if !window.fits(now, bytes, per_minute) {
            return false;
        }
        window.bytes += bytes;
        true
    }
}

/// A file on its way in from one member. What has arrived is counted in
/// the relay-wide total (given back when it is dropped: finished,
/// refused, timed out, or its member gone).
pub(crate) struct Upload {
    pub(super) meta: SubtitleMeta,
    pub(super) parts: u32,
    pub(super) next: u32,
    pub(super) text: String,
    /// Bytes the text so far takes escaped, as kept (with each part's
    /// overhead).
    pub(super) escaped: usize,
    pub(super) reserved: Reservation,
    /// Server time of the last part.
    pub(super) last_ms: f64,
}

/// Bytes counted in the relay-wide total while held.
pub(super) struct Reservation {
    pub(super) bytes: usize,
    pub(super) gauge: Gauge,
}

impl Reservation {
    pub(super) fn new(bytes: usize, gauge: Gauge) -> Self {
        gauge.inc_by(bytes as i64);
        Self { bytes, gauge }
    }

    pub(super) fn set(&mut self, bytes: usize) {
        self.gauge.inc_by(bytes as i64 - self.bytes as i64);
        self.bytes = bytes;
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.gauge.dec_by(self.bytes as i64);
    }
}

/// What one member shares: their tracks, and the file on its way in.
#[derive(Default)]
pub(crate) struct MemberSharing {
    pub tracks: Vec<TrackInfo>,
    pub(super) upload: Option<Upload>,
    /// The member's tracks changed and are not out yet.
    pub(super) tracks_pending: bool,
    pub(super) tracks_sent_ms: Option<f64>,
}

impl MemberSharing {
    /// Drops the file on its way in (its member left or was replaced).
    pub(crate) fn drop_upload(&mut self) {
        self.upload = None;
    }
}

/// What a kept file costs: its frames as stored, at least [`MIN_FILE_COST`].
pub(super) fn cost(frames: &[Utf8Bytes]) -> usize {
    frames
        .iter()
        .map(|f| f.len() + FRAME_OVERHEAD)
        .sum::<usize>()
        .max(MIN_FILE_COST)
}
