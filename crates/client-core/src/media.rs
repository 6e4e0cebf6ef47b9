//! What a local file is, and whether two peers hold the same film.

use std::path::{Path, PathBuf};

use matinee_protocol::MediaInfo;

/// What a session plays: the user's own local file, or a stream the user
/// chose (a Jellyfin item), never anything a peer sent.
#[derive(Clone, PartialEq)]
pub struct MediaSource {
    /// A local path or an http(s) URL.
    pub target: String,
    /// Headers mpv sends when streaming, e.g. `Authorization: …`. Secret:
    /// handed to mpv over IPC, never logged or put on a command line.
    pub http_headers: Vec<String>,
    /// What the item is, when known in advance (name, runtime, provider ids
    /// from a Jellyfin server); otherwise read from the file.
    pub identity: Option<MediaInfo>,
}

impl MediaSource {
    /// A local file.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self {
            target: path.into().to_string_lossy().into_owned(),
            http_headers: Vec::new(),
            identity: None,
        }
    }

    /// A stream with its headers and identity.
    pub fn stream(url: impl Into<String>, http_headers: Vec<String>, identity: MediaInfo) -> Self {
        Self {
            target: url.into(),
            http_headers,
            identity: Some(identity),
        }
    }

    /// What to tell the room about it (duration is filled in from mpv).
    pub fn info(&self) -> std::io::Result<MediaInfo> {
        match &self.identity {
            Some(i) => Ok(i.clone()),
            None => local_media_info(Path::new(&self.target)),
        }
    }
}

impl std::fmt::Debug for MediaSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaSource")
            .field("target", &self.target)
            .field(
                "http_headers",
                &format_args!("[{} hidden]", self.http_headers.len()),
            )
            .field("identity", &self.identity)
            .finish()
    }
}

/// Durations differing by more than this are a different cut (Syncplay's
/// threshold), seconds.
pub const DURATION_TOLERANCE_S: f64 = 2.5;

/// A difference between our media and the room's.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MediaWarning {
    Name {
        ours: String,
        room: String,
    },
    Size {
        #[ts(type = "number")]
        ours: u64,
        #[ts(type = "number")]
        room: u64,
    },
    Duration {
        ours: f64,
        room: f64,
    },
    ProviderIds {
        ours: String,
        room: String,
    },
}

/// 1_234_567 → "1.2 MB"; small sizes in KB.
fn megabytes(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        format!("{:.1} MB", bytes as f64 / 1e6)
    } else {
        format!("{} KB", bytes.div_ceil(1000))
    }
}

impl std::fmt::Display for MediaWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MediaWarning::Name { ours, room } => {
                write!(
                    f,
                    "your file is named \"{ours}\", the room plays \"{room}\""
                )
            }
            MediaWarning::Size { ours, room } => write!(
                f,
                "your file is {}, the room's is {}",
                megabytes(*ours),
                megabytes(*room)
            ),
            MediaWarning::Duration { ours, room } => write!(
                f,
                "your file lasts {}, the room's {}: it may be another cut",
                matinee_protocol::clock_text(*ours),
                matinee_protocol::clock_text(*room)
            ),
            MediaWarning::ProviderIds { ours, room } => {
                write!(f, "your item is {ours}, the room's is {room}")
            }
        }
    }
}

/// Name and size of a local file (duration comes from mpv once loaded).
/// An http(s) URL is named by its last path segment, without a size.
pub fn local_media_info(path: &Path) -> std::io::Result<MediaInfo> {
    let text = path.to_string_lossy();
    if text.starts_with("http://") || text.starts_with("https://") {
        let name = text
            .split(['?', '#'])
            .next()
            .and_then(|p| p.rsplit('/').next())
            .unwrap_or_default()
            .to_string();
        return Ok(MediaInfo {
            name,
            ..Default::default()
        });
    }
    let meta = std::fs::metadata(path)?;
    Ok(MediaInfo {
        name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        size_bytes: Some(meta.len()),
        duration: None,
        provider_ids: Default::default(),
    })
}

/// Differences worth telling the user about. Items with a common provider
/// id are the same film whatever their names and sizes; then only the
/// duration matters. A server item and a local file are compared by size
/// (when the server gave one) and duration, not by name.
pub fn compare_media(ours: &MediaInfo, room: &MediaInfo) -> Vec<MediaWarning> {
    let mut out = Vec::new();
    let shared_ids: Vec<_> = ours
        .provider_ids
        .iter()
        .filter(|(k, _)| room.provider_ids.contains_key(*k))
        .collect();
    let same_by_id = !shared_ids.is_empty()
        && shared_ids
            .iter()
            .all(|(k, v)| room.provider_ids.get(*k) == Some(v));
    if !shared_ids.is_empty() && !same_by_id {
        let fmt = |m: &MediaInfo| {
            m.provider_ids
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push(MediaWarning::ProviderIds {
            ours: fmt(ours),
            room: fmt(room),
        });
    }
    // A server item is named by its title, a local file by its file name:
    // names only compare between two of a kind.
    let same_kind = ours.provider_ids.is_empty() == room.provider_ids.is_empty();
    if !same_by_id {
        if same_kind && ours.name != room.name {
            out.push(MediaWarning::Name {
                ours: ours.name.clone(),
                room: room.name.clone(),
            });
        }
        if let (Some(a), Some(b)) = (ours.size_bytes, room.size_bytes) {
            if a != b {
                out.push(MediaWarning::Size { ours: a, room: b });
            }
        }
    }
    if let (Some(a), Some(b)) = (ours.duration, room.duration) {
        if (a - b).abs() > DURATION_TOLERANCE_S {
            out.push(MediaWarning::Duration { ours: a, room: b });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_item_and_a_local_file_match_by_size_and_duration_not_name() {
        let item = MediaInfo {
            name: "Big Buck Bunny".into(),
            size_bytes: Some(1000),
            duration: Some(596.0),
            provider_ids: [("Tmdb".to_string(), "10378".to_string())].into(),
        };
        let file = MediaInfo {
            name: "bbb_1080p.mkv".into(),
            size_bytes: Some(1000),
            duration: Some(596.5),
            provider_ids: Default::default(),
        };
        assert!(compare_media(&file, &item).is_empty());
        assert!(compare_media(&item, &file).is_empty());
        let other_cut = MediaInfo {
            duration: Some(620.0),
            size_bytes: Some(2000),
            ..file.clone()
        };
        let w = compare_media(&other_cut, &item);
        assert!(
            matches!(
                w[..],
                [MediaWarning::Size { .. }, MediaWarning::Duration { .. }]
            ),
            "{w:?}"
        );
        // Two servers, same film by id: names and sizes do not matter.
        let other_server = MediaInfo {
            name: "Big Buck Bunny (2008)".into(),
            size_bytes: Some(5),
            ..item.clone()
        };
        assert!(compare_media(&other_server, &item).is_empty());
    }

    #[test]
    fn stream_headers_never_show_in_debug_output() {
        let s = MediaSource::stream(
            "http://jf/Videos/1/stream",
            vec!["Authorization: MediaBrowser Token=\"secret\"".into()],
            MediaInfo::default(),
        );
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("secret") && shown.contains("1 hidden"),
            "{shown}"
        );
    }

    fn m(name: &str, size: Option<u64>, dur: Option<f64>, ids: &[(&str, &str)]) -> MediaInfo {
        MediaInfo {
            name: name.into(),
            size_bytes: size,
            duration: dur,
            provider_ids: ids
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn identical_local_files_match() {
        let a = m("film.mkv", Some(10), Some(100.0), &[]);
        assert!(compare_media(&a, &a.clone()).is_empty());
    }

    #[test]
    fn name_size_and_duration_differences_are_reported() {
        let ours = m("film.mkv", Some(10), Some(100.0), &[]);
        let room = m("film-2.mkv", Some(11), Some(103.0), &[]);
        let w = compare_media(&ours, &room);
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(w[2].to_string().contains("another cut"));
        // 2.5 s is tolerated.
        let close = m("film.mkv", Some(10), Some(102.4), &[]);
        assert!(compare_media(&ours, &close).is_empty());
    }

    #[test]
    fn provider_ids_match_across_sources() {
        let jellyfin = m(
            "The Matrix",
            None,
            Some(8160.0),
            &[("Tmdb", "603"), ("Imdb", "tt0133093")],
        );
        let other = m(
            "Matrix (1999)",
            None,
            Some(8161.0),
            &[("Imdb", "tt0133093")],
        );
        assert!(compare_media(&jellyfin, &other).is_empty());
        let wrong = m("The Matrix", None, Some(8160.0), &[("Tmdb", "604")]);
        assert!(matches!(
            compare_media(&jellyfin, &wrong)[0],
            MediaWarning::ProviderIds { .. }
        ));
    }
}

#[cfg(test)]
mod warning_text {
    use super::MediaWarning;

    #[test]
    fn warnings_read_in_megabytes_and_minutes() {
        let size = MediaWarning::Size {
            ours: 734_003_200,
            room: 1_468_006_400,
        };
        assert_eq!(
            size.to_string(),
            "your file is 734.0 MB, the room's is 1468.0 MB"
        );
        let length = MediaWarning::Duration {
            ours: 60.02,
            room: 5421.0,
        };
        assert_eq!(
            length.to_string(),
            "your file lasts 1:00, the room's 1:30:21: it may be another cut"
        );
    }
}
