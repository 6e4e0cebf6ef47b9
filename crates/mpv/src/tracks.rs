//! The player's tracks, as mpv's `track-list` lists them.

use serde_json::Value;

/// What a track carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrackType {
    Video,
    Audio,
    Sub,
}

impl TrackType {
    /// The property that selects a track of this kind.
    pub(crate) fn property(self) -> &'static str {
        match self {
            TrackType::Video => "vid",
            TrackType::Audio => "aid",
            TrackType::Sub => "sid",
        }
    }
}

/// One entry of `track-list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    pub kind: TrackType,
    /// mpv's id, per kind, from 1.
    pub id: u32,
    pub lang: Option<String>,
    pub title: Option<String>,
    pub codec: Option<String>,
    /// From a separate file (`sub-add`, or found beside the film).
    pub external: bool,
    pub selected: bool,
}

impl Track {
    fn from_json(v: &Value) -> Option<Track> {
        let text = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let flag = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
        Some(Track {
            kind: match v.get("type")?.as_str()? {
                "video" => TrackType::Video,
                "audio" => TrackType::Audio,
                "sub" => TrackType::Sub,
                _ => return None,
            },
            id: u32::try_from(v.get("id")?.as_u64()?).ok()?,
            lang: text("lang"),
            title: text("title"),
            codec: text("codec"),
            external: flag("external"),
            selected: flag("selected"),
        })
    }
}

/// The tracks of a `track-list` value (entries mpv may add later, of
/// other kinds, are skipped).
pub(crate) fn parse_track_list(v: Option<&Value>) -> Vec<Track> {
    v.and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Track::from_json).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mpvs_track_list() {
        let v = serde_json::json!([
            {"id":1,"type":"video","selected":true,"codec":"h264","external":false},
            {"id":1,"type":"audio","lang":"jpn","title":"","codec":"aac","selected":true,"external":false},
            {"id":2,"type":"audio","lang":"eng","title":"Dub","codec":"opus","selected":false},
            {"id":1,"type":"sub","lang":"eng","codec":"subrip","external":true,"external-filename":"/tmp/x.srt","selected":false},
            {"id":9,"type":"future-kind"}
        ]);
        let tracks = parse_track_list(Some(&v));
        assert_eq!(tracks.len(), 4);
        assert_eq!(tracks[1].lang.as_deref(), Some("jpn"));
        assert_eq!(tracks[1].title, None);
        assert_eq!(tracks[2].title.as_deref(), Some("Dub"));
        assert!(tracks[3].external && tracks[3].kind == TrackType::Sub);
        assert!(parse_track_list(None).is_empty());
    }
}
