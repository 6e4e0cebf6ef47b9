//! What mpv tells us.

use serde_json::Value;

/// An observed property's new value.
#[derive(Debug, Clone, PartialEq)]
pub enum Property {
    TimePos(Option<f64>),
    Pause(bool),
    Speed(f64),
    Duration(Option<f64>),
    Seeking(bool),
    PausedForCache(bool),
    EofReached(bool),
    Filename(Option<String>),
    FileSize(Option<u64>),
    TrackList(Vec<crate::Track>),
}

/// Names of the observed properties, in observation-id order (ids start at 1).
pub(crate) const OBSERVED: [&str; 10] = [
    "time-pos",
    "pause",
    "speed",
    "duration",
    "seeking",
    "paused-for-cache",
    "eof-reached",
    "filename",
    "file-size",
    "track-list",
];

impl Property {
    /// Builds a property from a `property-change` event; None for names
    /// not observed or values of the wrong type.
    pub(crate) fn from_change(name: &str, data: Option<&Value>) -> Option<Self> {
        let flag = || data.and_then(Value::as_bool).unwrap_or(false);
        let num = || data.and_then(Value::as_f64);
        Some(match name {
            "time-pos" => Property::TimePos(num()),
            "pause" => Property::Pause(flag()),
            "speed" => Property::Speed(num()?),
            "duration" => Property::Duration(num()),
            "seeking" => Property::Seeking(flag()),
            "paused-for-cache" => Property::PausedForCache(flag()),
            "eof-reached" => Property::EofReached(flag()),
            "filename" => Property::Filename(data.and_then(Value::as_str).map(str::to_owned)),
            "file-size" => Property::FileSize(data.and_then(Value::as_u64)),
            "track-list" => Property::TrackList(crate::tracks::parse_track_list(data)),
            _ => return None,
        })
    }
}

/// Why playback of a file ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndReason {
    Eof,
    Stop,
    Quit,
    Error(String),
    Redirect,
    Other(String),
}

/// An event from mpv, or the loss of the connection.
#[derive(Debug, Clone, PartialEq)]
pub enum MpvEvent {
    Property(Property),
    /// A seek started (ours or the user's).
    Seek,
    /// Playback (re)started after a seek or load.
    PlaybackRestart,
    FileLoaded,
    EndFile(EndReason),
    /// mpv is quitting.
    Shutdown,
    /// The IPC connection is gone: mpv exited or crashed.
    Closed,
}

impl MpvEvent {
    pub(crate) fn from_json(v: &Value) -> Option<Self> {
        let name = v.get("event")?.as_str()?;
        Some(match name {
            "property-change" => MpvEvent::Property(Property::from_change(
                v.get("name")?.as_str()?,
                v.get("data"),
            )?),
            "seek" => MpvEvent::Seek,
            "playback-restart" => MpvEvent::PlaybackRestart,
            "file-loaded" => MpvEvent::FileLoaded,
            "end-file" => {
                let reason = v.get("reason").and_then(Value::as_str).unwrap_or("");
                MpvEvent::EndFile(match reason {
                    "eof" => EndReason::Eof,
                    "stop" => EndReason::Stop,
                    "quit" => EndReason::Quit,
                    "redirect" => EndReason::Redirect,
                    "error" => EndReason::Error(
                        v.get("file_error")
                            .and_then(Value::as_str)
                            .unwrap_or("unknown error")
                            .to_string(),
                    ),
                    other => EndReason::Other(other.to_string()),
                })
            }
            "shutdown" => MpvEvent::Shutdown,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_events_and_properties() {
        let ev = |v: Value| MpvEvent::from_json(&v);
        assert_eq!(
            ev(json!({"event":"property-change","id":1,"name":"time-pos","data":1.5})),
            Some(MpvEvent::Property(Property::TimePos(Some(1.5))))
        );
        assert_eq!(
            ev(json!({"event":"property-change","id":1,"name":"time-pos"})),
            Some(MpvEvent::Property(Property::TimePos(None)))
        );
        assert_eq!(
            ev(json!({"event":"property-change","name":"pause","data":true})),
            Some(MpvEvent::Property(Property::Pause(true)))
        );
        assert_eq!(
            ev(json!({"event":"end-file","reason":"error","file_error":"loading failed"})),
            Some(MpvEvent::EndFile(EndReason::Error("loading failed".into())))
        );
        assert_eq!(ev(json!({"event":"seek"})), Some(MpvEvent::Seek));
        assert_eq!(ev(json!({"event":"client-message"})), None);
        assert_eq!(
            ev(json!({"event":"property-change","name":"speed","data":"fast"})),
            None
        );
    }
}
