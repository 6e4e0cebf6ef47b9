//! The session's side of sharing: subtitle files coming in (joined from
//! their parts, checked, kept in a private folder), going out (paced under
//! the relay's rate limit), this player's tracks reported to the room, and
//! track proposals applied to this copy's best matching tracks.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use matinee_align::Line;

use matinee_mpv::{Track, TrackType};
use matinee_protocol::{
    same_language, subtitle_messages, ClientMsg, ParticipantId, SubtitleChoice, SubtitleMeta,
    TrackChoice, TrackInfo, TrackKind, TrackProposal,
};
use tokio::time::Instant;

use crate::subtitle_file::{check_text, SubtitleText};
use crate::subtitle_times::retime;

/// `text` (in the room's time) in the time of a copy `line` maps.
fn to_mine(text: &str, meta: &SubtitleMeta, line: Line) -> String {
    if line.is_identity() {
        return text.to_string();
    }
    retime(text, meta.format, |t| line.to_mine(t))
}

/// One part of an outgoing file every this long (10 a second: well under
/// the relay's 20 messages a second, beside pings and reports).
const PART_GAP: Duration = Duration::from_millis(100);
/// Shortest time between two track reports.
const TRACKS_GAP: Duration = Duration::from_millis(500);
/// How long a proposal waits for this player's track list.
const PROPOSAL_WAIT: Duration = Duration::from_secs(10);
/// Most subtitle text taken in from one file (the relay's own limit is
/// lower; this guards against a relay that is not ours).
const MAX_INCOMING_BYTES: usize = 4 * 1024 * 1024;

/// A file from the room, kept in the private folder.
#[derive(Debug, Clone)]
pub(super) struct Received {
    pub meta: SubtitleMeta,
    pub path: PathBuf,
    /// The title it has in mpv's track list.
    pub title: String,
    /// The text in the room's time (as it travels).
    room_text: Arc<str>,
    /// The line it was written through, to this copy's time.
    line: Line,
}

impl Received {
    /// The file as the player's queue carries it.
    pub fn file(&self) -> super::effects::SubtitleFile {
        super::effects::SubtitleFile {
            path: self.path.clone(),
            title: self.title.clone(),
            lang: self.meta.language.clone(),
        }
    }
}

struct Incoming {
    meta: SubtitleMeta,
    next: u32,
    text: String,
}

/// One part of a file from the room, as the relay sent it.
pub(super) struct IncomingPart<'a> {
    pub id: u32,
    pub from: ParticipantId,
    pub nickname: &'a str,
    pub meta: SubtitleMeta,
    pub part: u32,
    pub parts: u32,
    pub text: &'a str,
}

/// What comes of a finished file.
#[derive(Debug)]
pub(super) struct Arrived {
    pub id: u32,
    pub from: ParticipantId,
    pub nickname: String,
    pub received: Received,
}

#[derive(Default)]
pub(super) struct Sharing {
    dir: Option<tempfile::TempDir>,
    incoming: HashMap<u32, Incoming>,
    pub received: BTreeMap<u32, Received>,
    /// Received files the member took out of the player.
    pub taken_out: HashSet<u32>,
    outgoing: VecDeque<ClientMsg>,
    next_part_at: Option<Instant>,
    tracks_sent: Option<Vec<TrackInfo>>,
    tracks_sent_at: Option<Instant>,
    /// mpv's list when last looked at (most ticks it has not changed).
    tracks_seen: Option<Vec<Track>>,
    /// A proposal that came before this player's track list.
    pending: Option<(String, TrackProposal, Instant)>,
    /// Files this member shared so far.
    own: u32,
}

/// A shared file's title in every member's player: "English (SRT) · from
/// Ana" (the same everywhere, so a proposal can name it).
fn title(meta: &SubtitleMeta, nickname: &str) -> String {
    format!("{} · from {nickname}", meta.label())
}

impl Sharing {
    /// Keeps a proposal from `nickname` until this player lists its tracks
    /// (a newer one replaces it).
    pub fn wait_for_tracks(&mut self, nickname: String, proposal: TrackProposal, now: Instant) {
        self.pending = Some((nickname, proposal, now));
    }

    /// The proposal kept, once it can be applied: the player lists its
    /// tracks (`listed`), or it waited long enough.
    pub fn proposal_due(&mut self, listed: bool, now: Instant) -> Option<(String, TrackProposal)> {
        let (_, _, at) = self.pending.as_ref()?;
        if !listed && !proposal_expired(*at, now) {
            return None;
        }
        self.pending
            .take()
            .map(|(nickname, proposal, _)| (nickname, proposal))
    }

    /// Queues a file's parts to go out, moved from this copy's time
    /// (`line`) to the room's: every copy places it through its own line.
    pub fn share(&mut self, mut file: SubtitleText, line: Line) {
        if !line.is_identity() {
            file.text = retime(&file.text, file.meta.format, |t| line.to_room(t));
            file.meta.bytes = file.text.len() as u32;
        }
        self.outgoing
            .extend(subtitle_messages(&file.meta, &file.text));
    }

    /// The next outgoing part, when it is time for one.
    pub fn next_part(&mut self, now: Instant) -> Option<ClientMsg> {
        if self.next_part_at.is_some_and(|t| now < t) {
            return None;
        }
        let part = self.outgoing.pop_front()?;
        self.next_part_at = Some(now + PART_GAP);
        Some(part)
    }

    /// This player's tracks to report, when they changed (and the last
    /// report is not too recent).
    pub fn tracks_to_report(&mut self, tracks: &[Track], now: Instant) -> Option<Vec<TrackInfo>> {
        if self.tracks_seen.as_deref() == Some(tracks)
            || self.tracks_sent_at.is_some_and(|t| now < t + TRACKS_GAP)
        {
            return None;
        }
        self.tracks_seen = Some(tracks.to_vec());
        let tracks = track_infos(tracks);
        if self.tracks_sent.as_ref() == Some(&tracks) {
            return None;
        }
        self.tracks_sent = Some(tracks.clone());
        self.tracks_sent_at = Some(now);
        Some(tracks)
    }

    /// The tracks to send again after a reconnect.
    pub fn forget_reported_tracks(&mut self) {
        self.tracks_sent = None;
        self.tracks_seen = None;
    }

    /// Takes a part of a file from the room; the whole file once its last
    /// part is in (written to the private folder), or an explanation of
    /// why it was dropped.
    /// `line`: this copy's, through which the file is placed.
    pub fn take_part(
        &mut self,
        p: IncomingPart<'_>,
        line: Line,
    ) -> Result<Option<Arrived>, String> {
        let IncomingPart {
            id,
            from,
            nickname,
            meta,
            part,
            parts,
            text,
        } = p;
        if part == 0 {
            self.incoming.insert(
                id,
                Incoming {
                    meta: meta.clone(),
                    next: 0,
                    text: String::new(),
                },
            );
        }
        let Some(file) = self.incoming.get_mut(&id) else {
            return Ok(None); // joined mid-file: it is sent again to newcomers
        };
        if file.next != part || file.meta != meta {
            self.incoming.remove(&id);
            return Err(format!("{}'s subtitle file arrived incomplete", nickname));
        }
        file.text.push_str(text);
        file.next += 1;
        if file.text.len() > MAX_INCOMING_BYTES {
            self.incoming.remove(&id);
            return Err(format!("{}'s subtitle file is too large", nickname));
        }
        if file.next < parts {
            return Ok(None);
        }
        let file = self.incoming.remove(&id).expect("present");
        check_text(&file.meta.name, file.meta.format, &file.text).map_err(|e| e.to_string())?;
        let name = format!("shared-{id}.{}", file.meta.format.extension());
        let path = self.write(&name, &to_mine(&file.text, &file.meta, line))?;
        let received = Received {
            title: title(&file.meta, nickname),
            meta: file.meta,
            path,
            room_text: file.text.into(),
            line,
        };
        self.received.insert(id, received.clone());
        Ok(Some(Arrived {
            id,
            from,
            nickname: nickname.to_string(),
            received,
        }))
    }

    /// Whether nothing is on its way out or waiting to be applied.
    pub fn at_rest(&self) -> bool {
        self.outgoing.is_empty() && self.pending.is_none()
    }

    /// Whether a received file the player should list is not listed yet
    /// (added, but mpv has not said so): a proposal waits for it.
    pub fn awaited_in_player(&self, tracks: &[Track]) -> bool {
        self.received
            .iter()
            .filter(|(id, _)| !self.taken_out.contains(id))
            .any(|(_, r)| !tracks.iter().any(|t| super::effects::carries(t, &r.title)))
    }

    /// Keeps a copy of a file this member shares, for their own player,
    /// titled as the others' players title it.
    pub fn keep_own(&mut self, file: &SubtitleText, nickname: &str) -> Result<Received, String> {
        self.own += 1;
        let name = format!("own-{}.{}", self.own, file.meta.format.extension());
        let path = self.write(&name, &file.text)?;
        Ok(Received {
            title: title(&file.meta, nickname),
            meta: file.meta.clone(),
            path,
            // Its own copy's time: written once, never moved.
            room_text: file.text.as_str().into(),
            line: Line::IDENTITY,
        })
    }

    /// This copy now maps to the room through `line`: the received files
    /// are written again through it; those that moved are returned (for
    /// the player to read them again).
    pub fn place_through(&mut self, line: Line) -> Result<Vec<Received>, String> {
        let mut moved = Vec::new();
        for r in self.received.values_mut() {
            if r.line == line {
                continue;
            }
            let text = to_mine(&r.room_text, &r.meta, line);
            std::fs::write(&r.path, text)
                .map_err(|e| format!("cannot keep a shared subtitle file: {e}"))?;
            r.line = line;
            moved.push(r.clone());
        }
        Ok(moved)
    }

    /// Writes a file into the private folder, under a name of our own (the
    /// sender's file name is never a path here).
    fn write(&mut self, name: &str, text: &str) -> Result<PathBuf, String> {
        if self.dir.is_none() {
            let mut builder = tempfile::Builder::new();
            builder.prefix("matinee-subtitles-");
            // Only this user may read or list it (0700).
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                builder.permissions(std::fs::Permissions::from_mode(0o700));
            }
            let dir = builder
                .tempdir()
                .map_err(|e| format!("cannot make a folder for shared subtitles: {e}"))?;
            self.dir = Some(dir);
        }
        let dir = self.dir.as_ref().expect("made above");
        let path = dir.path().join(name);
        std::fs::write(&path, text)
            .map_err(|e| format!("cannot keep a shared subtitle file: {e}"))?;
        Ok(path)
    }
}

/// mpv's audio and subtitle tracks as the room sees them.
pub(super) fn track_infos(tracks: &[Track]) -> Vec<TrackInfo> {
    tracks
        .iter()
        .filter_map(|t| {
            let kind = match t.kind {
                TrackType::Audio => TrackKind::Audio,
                TrackType::Sub => TrackKind::Sub,
                TrackType::Video => return None,
            };
            Some(TrackInfo {
                kind,
                id: t.id,
                lang: t.lang.clone(),
                title: t.title.clone(),
                codec: t.codec.clone(),
                external: t.external,
                selected: t.selected,
            })
        })
        .take(matinee_protocol::MAX_TRACKS)
        .collect()
}

/// The track of `kind` that best matches `choice`: the language must
/// match when one is asked for, then the title decides (same, then
/// containing it); ties go to the lowest id.
pub(super) fn best_match(
    tracks: &[TrackInfo],
    kind: TrackKind,
    choice: &TrackChoice,
) -> Option<u32> {
    let title_score = |t: &TrackInfo| match (&choice.title, &t.title) {
        (Some(want), Some(have)) if want.eq_ignore_ascii_case(have) => 2,
        (Some(want), Some(have)) if have.to_lowercase().contains(&want.to_lowercase()) => 1,
        _ => 0,
    };
    tracks
        .iter()
        .filter(|t| t.kind == kind)
        .filter(|t| match (&choice.lang, &t.lang) {
            (Some(want), Some(have)) => same_language(want, have),
            (Some(_), None) => false,
            (None, _) => choice.title.is_none() || title_score(t) > 0,
        })
        .max_by_key(|t| (title_score(t), std::cmp::Reverse(t.id)))
        .map(|t| t.id)
}

/// What a proposal does to this player.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Plan {
    pub audio: Option<u32>,
    /// Some(None): subtitles off.
    pub sub: Option<Option<u32>>,
    pub sub_delay: Option<f64>,
    /// For the member, one sentence per part of the proposal.
    pub outcome: Vec<String>,
}

/// Which of this copy's tracks a proposal picks, and what to tell.
pub(super) fn plan(tracks: &[TrackInfo], proposal: &TrackProposal) -> Plan {
    let mut plan = Plan::default();
    let label_of = |id: u32, kind: TrackKind| {
        tracks
            .iter()
            .find(|t| t.id == id && t.kind == kind)
            .map(TrackInfo::label)
            .unwrap_or_default()
    };
    if let Some(choice) = &proposal.audio {
        match best_match(tracks, TrackKind::Audio, choice) {
            Some(id) => {
                plan.audio = Some(id);
                plan.outcome
                    .push(format!("Audio: {}.", label_of(id, TrackKind::Audio)));
            }
            None => plan.outcome.push(format!(
                "Your copy has no {} audio; yours stays as it is.",
                choice.label()
            )),
        }
    }
    match &proposal.subtitles {
        Some(SubtitleChoice::Off) => {
            plan.sub = Some(None);
            plan.outcome.push("Subtitles off.".into());
        }
        Some(SubtitleChoice::Track { choice }) => {
            match best_match(tracks, TrackKind::Sub, choice) {
                Some(id) => {
                    plan.sub = Some(Some(id));
                    plan.outcome
                        .push(format!("Subtitles: {}.", label_of(id, TrackKind::Sub)));
                }
                None => plan.outcome.push(format!(
                    "Your copy has no {} subtitles; yours stay as they are.",
                    choice.label()
                )),
            }
        }
        None => {}
    }
    if let Some(d) = proposal.sub_delay {
        plan.sub_delay = Some(d);
        plan.outcome.push(format!("Subtitle delay {d:+.2} s."));
    }
    plan
}

/// Whether a proposal that waited for the track list has waited too long.
fn proposal_expired(received: Instant, now: Instant) -> bool {
    now >= received + PROPOSAL_WAIT
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(kind: TrackKind, id: u32, lang: Option<&str>, title: Option<&str>) -> TrackInfo {
        TrackInfo {
            kind,
            id,
            lang: lang.map(str::to_string),
            title: title.map(str::to_string),
            codec: None,
            external: false,
            selected: false,
        }
    }

    fn choice(lang: Option<&str>, title: Option<&str>) -> TrackChoice {
        TrackChoice {
            lang: lang.map(str::to_string),
            title: title.map(str::to_string),
        }
    }

    #[test]
    fn matches_by_language_then_title() {
        use TrackKind::*;
        let tracks = vec![
            track(Audio, 1, Some("eng"), None),
            track(Audio, 2, Some("jpn"), Some("Commentary")),
            track(Audio, 3, Some("jpn"), None),
            track(Sub, 1, Some("eng"), Some("Signs")),
            track(Sub, 2, Some("en"), Some("Full")),
        ];
        assert_eq!(
            best_match(&tracks, Audio, &choice(Some("ja"), None)),
            Some(2)
        );
        assert_eq!(
            best_match(&tracks, Audio, &choice(Some("ja"), Some("commentary"))),
            Some(2)
        );
        assert_eq!(
            best_match(&tracks, Sub, &choice(Some("English"), Some("Full"))),
            Some(2)
        );
        assert_eq!(
            best_match(&tracks, Sub, &choice(None, Some("Signs"))),
            Some(1)
        );
        assert_eq!(best_match(&tracks, Audio, &choice(Some("fr"), None)), None);
    }

    #[test]
    fn a_plan_says_what_it_did_and_what_it_could_not() {
        use TrackKind::*;
        let tracks = vec![
            track(Audio, 1, Some("eng"), None),
            track(Sub, 1, Some("eng"), None),
        ];
        let proposal = TrackProposal {
            audio: Some(choice(Some("ja"), None)),
            subtitles: Some(SubtitleChoice::Track {
                choice: choice(Some("en"), None),
            }),
            sub_delay: Some(0.25),
        };
        let p = plan(&tracks, &proposal);
        assert_eq!(p.audio, None);
        assert_eq!(p.sub, Some(Some(1)));
        assert_eq!(
            p.outcome,
            vec![
                "Your copy has no Japanese audio; yours stays as it is.",
                "Subtitles: English.",
                "Subtitle delay +0.25 s."
            ]
        );
    }

    #[test]
    fn a_file_is_placed_through_this_copy_s_line_and_moves_with_it() {
        let mut s = Sharing::default();
        let text = "1\n00:00:01,000 --> 00:00:06,000\nHi\n";
        let meta = SubtitleMeta {
            name: "film.en.srt".into(),
            format: matinee_protocol::SubtitleFormat::Srt,
            language: Some("en".into()),
            bytes: text.len() as u32,
        };
        // This copy starts 4 s later: room 1 s is 5 s here.
        let later = Line { a: 1.0, b: -4.0 };
        let got = s
            .take_part(
                IncomingPart {
                    id: 1,
                    from: 2,
                    nickname: "Ana",
                    meta,
                    part: 0,
                    parts: 1,
                    text,
                },
                later,
            )
            .unwrap()
            .unwrap();
        let written = || std::fs::read_to_string(&got.received.path).unwrap();
        assert_eq!(written(), "1\n00:00:05,000 --> 00:00:10,000\nHi\n");
        // Alignment turned off: the file is written again, in room time.
        let moved = s.place_through(Line::IDENTITY).unwrap();
        assert_eq!(moved.len(), 1);
        assert_eq!(written(), text);
        assert!(s.place_through(Line::IDENTITY).unwrap().is_empty());

        // Sharing from such a copy sends the room's time.
        let file = SubtitleText {
            meta: SubtitleMeta {
                name: "mine.srt".into(),
                format: matinee_protocol::SubtitleFormat::Srt,
                language: None,
                bytes: 0,
            },
            text: "1\n00:00:05,000 --> 00:00:10,000\nHi\n".into(),
            converted_from: None,
        };
        s.share(file, later);
        let Some(ClientMsg::ShareSubtitle {
            text: sent, meta, ..
        }) = s.next_part(Instant::now())
        else {
            panic!("a part goes out");
        };
        assert_eq!(sent, text);
        assert_eq!(meta.bytes as usize, text.len());
    }

    #[test]
    fn parts_join_into_a_file_in_a_private_folder() {
        let mut s = Sharing::default();
        let meta = SubtitleMeta {
            name: "../../etc/evil.srt".into(),
            format: matinee_protocol::SubtitleFormat::Srt,
            language: Some("en".into()),
            bytes: 0,
        };
        let text = "1\n00:00:01,000 --> 00:00:02,000\nHi\n";
        assert!(s
            .take_part(
                IncomingPart {
                    id: 4,
                    from: 2,
                    nickname: "Ben",
                    meta: meta.clone(),
                    part: 0,
                    parts: 2,
                    text: &text[..10]
                },
                Line::IDENTITY
            )
            .unwrap()
            .is_none());
        let got = s
            .take_part(
                IncomingPart {
                    id: 4,
                    from: 2,
                    nickname: "Ben",
                    meta: meta.clone(),
                    part: 1,
                    parts: 2,
                    text: &text[10..],
                },
                Line::IDENTITY,
            )
            .unwrap()
            .unwrap();
        assert_eq!(std::fs::read_to_string(&got.received.path).unwrap(), text);
        assert!(got.received.path.ends_with("shared-4.srt"));
        assert_eq!(got.received.title, "English (SRT) · from Ben");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let dir = got.received.path.parent().unwrap();
            let mode = std::fs::metadata(dir).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
        // A part out of order drops the file; binary text is refused.
        s.take_part(
            IncomingPart {
                id: 5,
                from: 2,
                nickname: "Ben",
                meta: meta.clone(),
                part: 0,
                parts: 3,
                text: "a",
            },
            Line::IDENTITY,
        )
        .unwrap();
        assert!(s
            .take_part(
                IncomingPart {
                    id: 5,
                    from: 2,
                    nickname: "Ben",
                    meta: meta.clone(),
                    part: 2,
                    parts: 3,
                    text: "b"
                },
                Line::IDENTITY
            )
            .is_err());
        assert!(s
            .take_part(
                IncomingPart {
                    id: 6,
                    from: 2,
                    nickname: "Ben",
                    meta,
                    part: 0,
                    parts: 1,
                    text: "\0\0\0 -->"
                },
                Line::IDENTITY
            )
            .unwrap_err()
            .contains("binary"));
    }

    #[test]
    fn a_proposal_waits_for_the_track_list_or_ten_seconds_and_comes_once() {
        let mut sharing = Sharing::default();
        let t0 = Instant::now();
        let proposal = TrackProposal {
            audio: None,
            subtitles: None,
            sub_delay: Some(0.5),
        };
        assert!(sharing.proposal_due(true, t0).is_none(), "nothing kept yet");
        sharing.wait_for_tracks("Ana".into(), proposal.clone(), t0);
        let later = t0 + Duration::from_secs(3);
        assert!(
            sharing.proposal_due(false, later).is_none(),
            "no list, not expired"
        );
        let (who, due) = sharing.proposal_due(true, later).expect("listed now");
        assert_eq!((who.as_str(), due), ("Ana", proposal.clone()));
        assert!(sharing.proposal_due(true, later).is_none(), "applied once");
        sharing.wait_for_tracks("Bo".into(), proposal, t0);
        assert!(
            sharing.proposal_due(false, t0 + PROPOSAL_WAIT).is_some(),
            "expired"
        );
    }
}
