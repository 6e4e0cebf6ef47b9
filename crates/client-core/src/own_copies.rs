//! Series night: finding this member's own copy of each queue entry among
//! the films in the folders they chose. An entry names the adder's copy
//! (its file name, length, size) and, for an episode, the series and the
//! season and episode numbers; each friend's files are named their own
//! way ("The.Office.S01E03.720p.mkv", "office 1x03.mp4", a folder per
//! season), so names are matched by what they say, not letter for letter.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use matinee_protocol::{EpisodeNumber, QueueItem};
use regex::Regex;

/// File name endings taken for films.
const VIDEO_EXTENSIONS: &[&str] = &[
    "mkv", "mp4", "m4v", "avi", "mov", "webm", "ts", "m2ts", "wmv", "mpg", "mpeg", "ogv",
];
/// How deep a chosen folder is searched (a series, its seasons, extras).
const MAX_DEPTH: usize = 4;
/// Most files looked at in all the chosen folders.
pub const MAX_FILES_SCANNED: usize = 20_000;

/// Lengths further apart than this are not the same film or episode, s
/// (the same episode from two sources differs by a few seconds: a studio
/// logo, a recap, padding).
const SAME_LENGTH_WITHIN_S: f64 = 90.0;

/// A film file in one of the member's folders.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalFile {
    pub path: PathBuf,
    pub size_bytes: u64,
    /// Its length, when known (probed, or from an earlier look).
    pub duration: Option<f64>,
}

impl LocalFile {
    fn name(&self) -> String {
        self.path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// The file's name with its folder's: "Season 1/03 - Pilot" says as
    /// much as "S01E03 Pilot".
    fn name_with_folders(&self) -> String {
        let mut parts: Vec<String> = self
            .path
            .parent()
            .into_iter()
            .flat_map(|p| p.iter().rev().take(2))
            .map(|s| s.to_string_lossy().into_owned())
            .collect();
        parts.reverse();
        parts.push(self.name());
        parts.join(" ")
    }
}

fn episode_patterns() -> &'static [Regex; 3] {
    static PATTERNS: OnceLock<[Regex; 3]> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        [
            // S01E03, s1e3, S01.E03, S01 E03
            Regex::new(r"(?i)(?:^|[^a-z0-9])s(\d{1,2})[ ._-]?e(\d{1,3})(?:[^0-9]|$)").unwrap(),
            // 1x03 (not 1920x1080: two digits at most, then two or three)
            Regex::new(r"(?i)(?:^|[^0-9a-z])(\d{1,2})x(\d{2,3})(?:[^0-9]|$)").unwrap(),
            // Season 1 Episode 3
            Regex::new(
                r"(?i)season[ ._-]*(\d{1,2})[ ._-]*(?:episode|ep)[ ._-]*(\d{1,3})(?:[^0-9]|$)",
            )
            .unwrap(),
        ]
    })
}

/// The season and episode a name says, if it says one.
pub fn episode_in(name: &str) -> Option<EpisodeNumber> {
    episode_marker(name).map(|(_, ep)| ep)
}

/// The episode a name says and where its marker starts.
pub(crate) fn episode_marker(name: &str) -> Option<(usize, EpisodeNumber)> {
    episode_patterns().iter().find_map(|re| {
        let c = re.captures(name)?;
        let ep = EpisodeNumber {
            season: c[1].parse().ok()?,
            episode: c[2].parse().ok()?,
        };
        Some((c.get(0)?.start(), ep))
    })
}

/// Words of a name that say what it is: lower case, without release tags
/// (resolutions, codecs, sources) and episode markers.
fn words(name: &str) -> Vec<String> {
    const TAGS: &[&str] = &[
        "720p", "1080p", "2160p", "480p", "4k", "x264", "x265", "h264", "h265", "hevc", "aac",
        "ac3", "dts", "web", "webrip", "webdl", "dl", "bluray", "bdrip", "brrip", "dvdrip", "hdtv",
        "remux", "proper", "repack", "mkv", "mp4", "the", "a", "an", "and", "of", "season",
        "episode", "ep",
    ];
    let stripped = episode_patterns()
        .iter()
        .fold(name.to_lowercase(), |s, re| {
            re.replace_all(&s, " ").into_owned()
        });
    stripped
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !TAGS.contains(w))
        .filter(|w| !(w.len() == 4 && w.chars().all(|c| c.is_ascii_digit())))
        .map(str::to_string)
        .collect()
}

/// How many of `wanted`'s words `have` holds, 0..=1.
fn overlap(wanted: &[String], have: &[String]) -> f64 {
    if wanted.is_empty() {
        return 0.0;
    }
    let found = wanted.iter().filter(|w| have.contains(w)).count();
    found as f64 / wanted.len() as f64
}

/// How well `file` matches `item`, or None when it cannot be it (another
/// episode, a length far off, nothing in common).
pub fn match_score(item: &QueueItem, file: &LocalFile) -> Option<f64> {
    let full_name = file.name_with_folders();
    let have = words(&full_name);
    // The same file: its size says so.
    if item.media.size_bytes.is_some_and(|s| s == file.size_bytes) {
        return Some(10.0);
    }
    if let (Some(a), Some(b)) = (item.media.duration, file.duration) {
        if (a - b).abs() > SAME_LENGTH_WITHIN_S {
            return None;
        }
    }
    let length_bonus = match (item.media.duration, file.duration) {
        (Some(a), Some(b)) => 1.0 - (a - b).abs() / SAME_LENGTH_WITHIN_S,
        _ => 0.0,
    };
    let wanted_episode = item.episode.or_else(|| episode_in(&item.media.name));
    match wanted_episode {
        Some(ep) => {
            if episode_in(&file.name()).or_else(|| episode_in(&full_name)) != Some(ep) {
                return None;
            }
            // The right episode of the right series: at least one word of
            // the series' name (a folder of one series may name none).
            let series = item
                .series
                .as_deref()
                .map(words)
                .unwrap_or_else(|| words(&item.media.name));
            let series_overlap = overlap(&series, &have);
            if !series.is_empty() && series_overlap == 0.0 {
                return None;
            }
            Some(5.0 + 2.0 * series_overlap + length_bonus)
        }
        None => {
            let wanted: Vec<String> = words(&item.media.name)
                .into_iter()
                .chain(words(&item.title))
                .collect();
            let title_overlap = overlap(&wanted, &have).max(overlap(&have, &wanted));
            if title_overlap < 0.5 {
                return None;
            }
            Some(2.0 * title_overlap + length_bonus)
        }
    }
}

/// This member's copy of `item` among `files`: the best match, if any.
pub fn find_copy<'a>(item: &QueueItem, files: &'a [LocalFile]) -> Option<&'a LocalFile> {
    files
        .iter()
        .filter_map(|f| match_score(item, f).map(|s| (s, f)))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, f)| f)
}

/// The films in the chosen folders (searched a few levels deep, at most
/// [`MAX_FILES_SCANNED`] files looked at); unreadable folders are skipped.
pub fn scan_folders(folders: &[PathBuf]) -> Vec<LocalFile> {
    let mut out = Vec::new();
    let mut looked = 0usize;
    for folder in folders {
        for entry in walkdir::WalkDir::new(folder)
            .max_depth(MAX_DEPTH)
            .follow_links(true)
            .into_iter()
            .filter_map(Result::ok)
        {
            looked += 1;
            if looked > MAX_FILES_SCANNED {
                tracing::warn!(looked, "stopped looking for films: too many files");
                return out;
            }
            if !entry.file_type().is_file() || !is_video(entry.path()) {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            out.push(LocalFile {
                path: entry.into_path(),
                size_bytes: meta.len(),
                duration: None,
            });
        }
    }
    out
}

fn is_video(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| VIDEO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use matinee_protocol::MediaInfo;

    fn ep(season: u32, episode: u32) -> Option<EpisodeNumber> {
        Some(EpisodeNumber { season, episode })
    }

    fn item(name: &str, series: Option<&str>, episode: Option<EpisodeNumber>) -> QueueItem {
        QueueItem {
            title: name.into(),
            media: MediaInfo {
                name: name.into(),
                size_bytes: Some(1),
                duration: Some(1320.0),
                ..MediaInfo::default()
            },
            series: series.map(str::to_string),
            episode,
        }
    }

    fn file(path: &str, duration: Option<f64>) -> LocalFile {
        LocalFile {
            path: PathBuf::from(path),
            size_bytes: 700_000_000,
            duration,
        }
    }

    #[test]
    fn episode_numbers_are_read_in_the_usual_spellings() {
        assert_eq!(episode_in("The.Office.S01E03.720p.mkv"), ep(1, 3));
        assert_eq!(episode_in("the office s1e3"), ep(1, 3));
        assert_eq!(episode_in("Office S02.E11 Dinner"), ep(2, 11));
        assert_eq!(episode_in("office 1x03 - Health Care.mp4"), ep(1, 3));
        assert_eq!(episode_in("Season 2 Episode 7"), ep(2, 7));
        assert_eq!(episode_in("Film.1920x1080.mkv"), None);
        assert_eq!(episode_in("Seven.1995.mkv"), None);
        assert_eq!(
            episode_in("Dates.2x2.mkv"),
            None,
            "one-digit episode: not a marker"
        );
    }

    #[test]
    fn each_friend_s_differently_named_copy_is_found() {
        let wanted = item(
            "The.Office.US.S01E03.1080p.WEB.mkv",
            Some("The Office"),
            ep(1, 3),
        );
        let files = vec![
            file("/films/The Office/Season 1/office 1x02.mkv", Some(1310.0)),
            file("/films/The Office/Season 1/office 1x03.mkv", Some(1324.0)),
            file("/films/The Office/Season 2/office 2x03.mkv", Some(1320.0)),
            file("/films/Parks/Parks.S01E03.mkv", Some(1320.0)),
        ];
        let found = find_copy(&wanted, &files).unwrap();
        assert!(
            found.path.ends_with("Season 1/office 1x03.mkv"),
            "{found:?}"
        );
    }

    #[test]
    fn a_folder_named_after_the_series_is_enough() {
        let wanted = item("S01E02 Diversity Day", Some("The Office"), ep(1, 2));
        let files = vec![file("/tv/The Office (2005)/S01E02.mkv", None)];
        assert!(find_copy(&wanted, &files).is_some());
        // Another series' episode 1x02 is not it.
        let other = vec![file("/tv/Friends/S01E02.mkv", None)];
        assert!(find_copy(&wanted, &other).is_none());
    }

    #[test]
    fn a_length_far_off_rules_a_file_out_and_a_close_one_wins() {
        let wanted = item("Arrival.2016.1080p.mkv", None, None);
        let files = vec![
            file("/films/Arrival (2016) - behind the scenes.mkv", Some(600.0)),
            file("/films/arrival.mp4", Some(1324.0)),
        ];
        assert!(find_copy(&wanted, &files)
            .unwrap()
            .path
            .ends_with("arrival.mp4"));
        let only_far = vec![file("/films/arrival.mp4", Some(6000.0))];
        assert!(find_copy(&wanted, &only_far).is_none());
    }

    #[test]
    fn the_same_size_is_the_same_file_whatever_its_name() {
        let mut wanted = item("whatever.mkv", None, None);
        wanted.media.size_bytes = Some(700_000_000);
        assert!(find_copy(&wanted, &[file("/x/renamed.mkv", None)]).is_some());
        wanted.media.size_bytes = Some(5);
        assert!(find_copy(&wanted, &[file("/x/renamed.mkv", None)]).is_none());
    }

    #[test]
    fn folders_are_searched_for_films_only() {
        let dir = tempfile::tempdir().unwrap();
        let season = dir.path().join("Show/Season 1");
        std::fs::create_dir_all(&season).unwrap();
        std::fs::write(season.join("show 1x01.mkv"), b"12345").unwrap();
        std::fs::write(season.join("show 1x01.srt"), b"subs").unwrap();
        std::fs::write(season.join("notes.txt"), b"").unwrap();
        let found = scan_folders(&[dir.path().to_path_buf(), dir.path().join("missing")]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].size_bytes, 5);
        assert!(found[0].path.ends_with("show 1x01.mkv"));
    }
}
