//! What a local file is, and whether two peers hold the same film.

use std::path::Path;

use matinee_protocol::MediaInfo;

/// Durations differing by more than this are a different cut (Syncplay's
/// threshold), seconds.
pub const DURATION_TOLERANCE_S: f64 = 2.5;

/// A difference between our media and the room's.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MediaWarning {
    Name { ours: String, room: String },
    Size { ours: u64, room: u64 },
    Duration { ours: f64, room: f64 },
    ProviderIds { ours: String, room: String },
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
            MediaWarning::Size { ours, room } => {
                write!(f, "your file has {ours} bytes, the room's has {room}")
            }
            MediaWarning::Duration { ours, room } => write!(
                f,
                "your file lasts {ours:.1} s, the room's {room:.1} s: it may be another cut"
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
/// duration matters.
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
    if !same_by_id {
        if ours.name != room.name {
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
