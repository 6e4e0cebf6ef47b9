//! Range checks on decoded client messages. Limits here are hard caps of
//! the protocol; a relay may configure lower ones.

use crate::limits::*;
use crate::{
    ClientMsg, ControlAction, MediaInfo, StateReport, SubtitleChoice, SubtitleMeta, TrackChoice,
    TrackInfo, TrackProposal, MAX_SUBTITLE_BYTES, MAX_SUBTITLE_PARTS, MAX_SUB_DELAY_SECS,
    MAX_TRACKS, SUBTITLE_PART_BYTES,
};

fn bad(field: &'static str, problem: impl Into<String>) -> ValidationError {
    ValidationError {
        field,
        problem: problem.into(),
    }
}

fn text(field: &'static str, value: &str, max: usize) -> Result<(), ValidationError> {
    let len = value.chars().count();
    if value.trim().is_empty() {
        return Err(bad(field, "must not be empty"));
    }
    if len > max {
        return Err(bad(field, format!("at most {max} characters, got {len}")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(bad(field, "must not contain control characters"));
    }
    Ok(())
}

fn finite(field: &'static str, value: f64) -> Result<(), ValidationError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(bad(field, "must be a finite number"))
    }
}

fn position(field: &'static str, value: f64) -> Result<(), ValidationError> {
    finite(field, value)?;
    if !(0.0..=MAX_POSITION_SECS).contains(&value) {
        return Err(bad(
            field,
            format!("must be within 0..={MAX_POSITION_SECS}"),
        ));
    }
    Ok(())
}

fn speed(value: f64) -> Result<(), ValidationError> {
    finite("speed", value)?;
    let (lo, hi) = SPEED_RANGE;
    if !(lo..=hi).contains(&value) {
        return Err(bad("speed", format!("must be within {lo}..={hi}")));
    }
    Ok(())
}

fn media(m: &MediaInfo) -> Result<(), ValidationError> {
    text("media.name", &m.name, MAX_MEDIA_NAME_CHARS)?;
    if let Some(d) = m.duration {
        position("media.duration", d)?;
    }
    if m.provider_ids.len() > MAX_PROVIDER_IDS {
        return Err(bad("media.provider_ids", "too many entries"));
    }
    for (k, v) in &m.provider_ids {
        text("media.provider_ids", k, MAX_PROVIDER_ID_CHARS)?;
        text("media.provider_ids", v, MAX_PROVIDER_ID_CHARS)?;
    }
    Ok(())
}

fn queue_item(item: &crate::QueueItem) -> Result<(), ValidationError> {
    text("title", &item.title, crate::MAX_QUEUE_TITLE_CHARS)?;
    if let Some(series) = &item.series {
        text("series", series, crate::MAX_QUEUE_TITLE_CHARS)?;
    }
    media(&item.media)
}

fn short(field: &'static str, value: &Option<String>) -> Result<(), ValidationError> {
    value
        .as_deref()
        .map_or(Ok(()), |v| text(field, v, MAX_TRACK_TEXT_CHARS))
}

fn subtitle_part(
    part: u32,
    parts: u32,
    meta: &SubtitleMeta,
    t: &str,
) -> Result<(), ValidationError> {
    text("meta.name", &meta.name, MAX_SUBTITLE_NAME_CHARS)?;
    short("meta.language", &meta.language)?;
    // UTF-8 of a file read in a one-byte encoding is at most twice as long.
    if meta.bytes as usize > 2 * MAX_SUBTITLE_BYTES {
        return Err(bad("meta.bytes", "the file is too large to share"));
    }
    if parts == 0 || parts > MAX_SUBTITLE_PARTS || part >= parts {
        return Err(bad(
            "part",
            format!("parts must be 1..={MAX_SUBTITLE_PARTS}, part below it"),
        ));
    }
    if t.len() > 6 * SUBTITLE_PART_BYTES {
        return Err(bad("text", "part too long"));
    }
    Ok(())
}

fn track_info(t: &TrackInfo) -> Result<(), ValidationError> {
    short("tracks.lang", &t.lang)?;
    short("tracks.title", &t.title)?;
    short("tracks.codec", &t.codec)
}

fn choice(c: &TrackChoice) -> Result<(), ValidationError> {
    short("proposal.lang", &c.lang)?;
    short("proposal.title", &c.title)
}

fn proposal(p: &TrackProposal) -> Result<(), ValidationError> {
    if let Some(a) = &p.audio {
        choice(a)?;
    }
    if let Some(SubtitleChoice::Track { choice: c }) = &p.subtitles {
        choice(c)?;
    }
    if let Some(d) = p.sub_delay {
        finite("proposal.sub_delay", d)?;
        if d.abs() > MAX_SUB_DELAY_SECS {
            return Err(bad(
                "proposal.sub_delay",
                format!("must be within ±{MAX_SUB_DELAY_SECS} s"),
            ));
        }
    }
    if p.audio.is_none() && p.subtitles.is_none() && p.sub_delay.is_none() {
        return Err(bad("proposal", "proposes nothing"));
    }
    Ok(())
}

fn state(s: &StateReport) -> Result<(), ValidationError> {
    position("position", s.position)?;
    speed(s.speed)?;
    finite("server_ms", s.server_ms)
}

impl ClientMsg {
    /// Checks every field against the protocol's limits.
    pub fn validate(&self) -> Result<(), ValidationError> {
        match self {
            ClientMsg::Hello { client, .. } => text("client", client, MAX_CLIENT_NAME_CHARS),
            ClientMsg::Create {
                nickname, media: m, ..
            }
            | ClientMsg::Join {
                nickname, media: m, ..
            } => {
                crate::clean_nickname(nickname)?;
                m.as_ref().map_or(Ok(()), media)
            }
            ClientMsg::Resume { token, rebuild, .. } => {
                text("token", token, MAX_TOKEN_CHARS)?;
                let Some(r) = rebuild else { return Ok(()) };
                crate::clean_nickname(&r.nickname)?;
                if let Some(proof) = &r.host_proof {
                    text("host_proof", proof, MAX_PROOF_CHARS)?;
                }
                position("position", r.playback.position)?;
                speed(r.playback.speed)?;
                finite("anchor_ms", r.playback.anchor_ms)?;
                if r.queue.entries.len() > crate::MAX_QUEUE_ENTRIES {
                    return Err(bad(
                        "queue",
                        format!("at most {} entries", crate::MAX_QUEUE_ENTRIES),
                    ));
                }
                for e in &r.queue.entries {
                    queue_item(&e.item)?;
                    text("added_by", &e.added_by, MAX_NICKNAME_CHARS)?;
                }
                if crate::QueueState::entry_bytes(&r.queue.entries) > crate::MAX_QUEUE_BYTES {
                    return Err(bad(
                        "queue",
                        format!("at most {} KiB", crate::MAX_QUEUE_BYTES / 1024),
                    ));
                }
                r.media.as_ref().map_or(Ok(()), media)
            }
            ClientMsg::Control {
                action, server_ms, ..
            } => {
                position("position", action.position())?;
                if let Some(t) = server_ms {
                    finite("server_ms", *t)?;
                }
                match action {
                    ControlAction::Speed { speed: s, .. } => speed(*s),
                    _ => Ok(()),
                }
            }
            ClientMsg::State(s) => state(s),
            ClientMsg::Chat { text: t } => text("text", t, MAX_CHAT_CHARS),
            ClientMsg::Rename { nickname } => crate::clean_nickname(nickname).map(drop),
            ClientMsg::Ping { client_ms } => finite("client_ms", *client_ms),
            ClientMsg::ShareSubtitle {
                part,
                parts,
                meta,
                text: t,
            } => subtitle_part(*part, *parts, meta, t),
            ClientMsg::Tracks { tracks } => {
                if tracks.len() > MAX_TRACKS {
                    return Err(bad("tracks", format!("at most {MAX_TRACKS}")));
                }
                tracks.iter().try_for_each(track_info)
            }
            ClientMsg::ProposeTracks { proposal: p } => proposal(p),
            ClientMsg::AudioPrint { start, data } => {
                position("start", *start)?;
                if data.len() > MAX_AUDIO_PRINT_CHARS {
                    return Err(bad(
                        "data",
                        format!("at most {MAX_AUDIO_PRINT_CHARS} characters"),
                    ));
                }
                if !data
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
                {
                    return Err(bad("data", "must be base64 without padding"));
                }
                Ok(())
            }
            ClientMsg::Media { media: m } => media(m),
            ClientMsg::QueueAdd { items } => {
                if items.is_empty() || items.len() > crate::MAX_QUEUE_ENTRIES {
                    return Err(bad(
                        "items",
                        format!("1 to {} entries", crate::MAX_QUEUE_ENTRIES),
                    ));
                }
                items.iter().try_for_each(queue_item)
            }
            ClientMsg::QueueMove { to, .. } => {
                if *to as usize >= crate::MAX_QUEUE_ENTRIES {
                    return Err(bad("to", format!("below {}", crate::MAX_QUEUE_ENTRIES)));
                }
                Ok(())
            }
            ClientMsg::QueueCopies { have } => {
                if have.len() > crate::MAX_QUEUE_ENTRIES {
                    return Err(bad(
                        "have",
                        format!("at most {} entries", crate::MAX_QUEUE_ENTRIES),
                    ));
                }
                Ok(())
            }
            ClientMsg::QueueRemove { .. } | ClientMsg::QueuePlay { .. } | ClientMsg::QueueWait => {
                Ok(())
            }
            ClientMsg::Leave
            | ClientMsg::EndParty
            | ClientMsg::Ready { .. }
            | ClientMsg::Start { .. }
            | ClientMsg::SetControlMode { .. }
            | ClientMsg::PassHost { .. }
            | ClientMsg::Kick { .. }
            | ClientMsg::StopWaitingFor { .. } => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{ClientMsg, DecodeError};

    fn field_of(text: &str) -> &'static str {
        match ClientMsg::decode(text) {
            Err(DecodeError::Value(v)) => v.field,
            other => panic!("expected a validation error for {text}, got {other:?}"),
        }
    }

    #[test]
    fn refuses_out_of_range_values() {
        assert_eq!(
            field_of(r#"{"type":"control","seq":1,"action":{"kind":"seek","position":-1}}"#),
            "position"
        );
        assert_eq!(
            field_of(r#"{"type":"control","seq":1,"action":{"kind":"seek","position":1e300}}"#),
            "position"
        );
        assert_eq!(
            field_of(
                r#"{"type":"control","seq":1,"action":{"kind":"speed","speed":50,"position":1}}"#
            ),
            "speed"
        );
        assert_eq!(
            field_of(r#"{"type":"create","nickname":"   "}"#),
            "nickname"
        );
        assert_eq!(
            field_of(&format!(
                r#"{{"type":"create","nickname":"{}"}}"#,
                "n".repeat(33)
            )),
            "nickname"
        );
        assert_eq!(field_of(r#"{"type":"chat","text":"a\u0007b"}"#), "text");
        assert_eq!(
            field_of(r#"{"type":"propose_tracks","proposal":{"sub_delay":1e9}}"#),
            "proposal.sub_delay"
        );
        assert_eq!(
            field_of(r#"{"type":"propose_tracks","proposal":{}}"#),
            "proposal"
        );
        assert_eq!(
            field_of(
                r#"{"type":"share_subtitle","part":3,"parts":3,"text":"","meta":{"name":"a.srt","format":"srt","bytes":1}}"#
            ),
            "part"
        );
        assert_eq!(
            field_of(
                r#"{"type":"share_subtitle","part":0,"parts":1,"text":"","meta":{"name":"a.srt","format":"srt","bytes":99999999}}"#
            ),
            "meta.bytes"
        );
        assert_eq!(
            field_of(&format!(
                r#"{{"type":"chat","text":"{}"}}"#,
                "é".repeat(1001)
            )),
            "text"
        );
    }

    #[test]
    fn refuses_queue_entries_out_of_range() {
        let add = |title: &str, name: &str| {
            format!(
                r#"{{"type":"queue_add","items":[{{"title":"{title}","media":{{"name":"{name}"}}}}]}}"#
            )
        };
        assert!(ClientMsg::decode(&add(&"t".repeat(200), "a.mkv")).is_ok());
        assert_eq!(field_of(&add(&"t".repeat(201), "a.mkv")), "title");
        assert_eq!(field_of(&add(" ", "a.mkv")), "title");
        assert_eq!(field_of(&add("Pilot", "")), "media.name");
        assert_eq!(field_of(r#"{"type":"queue_add","items":[]}"#), "items");
        let one = r#"{"title":"x","media":{"name":"a.mkv"}}"#;
        let many = vec![one; 201].join(",");
        assert_eq!(
            field_of(&format!(r#"{{"type":"queue_add","items":[{many}]}}"#)),
            "items"
        );
        assert_eq!(field_of(r#"{"type":"queue_move","id":1,"to":200}"#), "to");

        // A rebuild's queue: within the entry count, beyond the byte budget.
        let rebuild = |entries: usize| {
            let entry = |id: usize| crate::QueueEntry {
                id: id as u32,
                item: crate::QueueItem {
                    title: "t".repeat(200),
                    media: crate::MediaInfo {
                        name: "n".repeat(200),
                        ..Default::default()
                    },
                    series: None,
                    episode: None,
                },
                added_by: "Ana".into(),
                without: Vec::new(),
            };
            let msg = ClientMsg::Resume {
                code: crate::RoomCode::parse("K7MQ2X").unwrap(),
                token: "t".into(),
                rebuild: Some(Box::new(crate::RoomRebuild {
                    nickname: "Ana".into(),
                    host_proof: None,
                    ready: false,
                    control_mode: crate::ControlMode::HostOnly,
                    playback: crate::PlaybackState::initial(0.0),
                    media: None,
                    queue: crate::QueueState {
                        entries: (1..=entries).map(entry).collect(),
                        ..Default::default()
                    },
                })),
            };
            serde_json::to_string(&msg).unwrap()
        };
        assert!(ClientMsg::decode(&rebuild(90)).is_ok());
        assert_eq!(field_of(&rebuild(150)), "queue");
    }

    #[test]
    fn accepts_values_at_the_limits() {
        let ok = format!(r#"{{"type":"chat","text":"{}"}}"#, "é".repeat(1000));
        assert!(ClientMsg::decode(&ok).is_ok());
        assert!(ClientMsg::decode(
            r#"{"type":"control","seq":1,"action":{"kind":"speed","speed":4,"position":0}}"#
        )
        .is_ok());
    }
}
