//! Series night with Jellyfin: an item of the member's server as queue
//! entries (an episode, a season or a whole series, in order), and each
//! member's own copy of an entry on their own server: by provider ids
//! (IMDb, TMDb, TVDb), else by the series' name with its season and
//! episode numbers. The items API has no provider-id filter, so lists are
//! asked with `Fields=ProviderIds` and matched here.

use std::collections::BTreeMap;

use matinee_jellyfin::{BaseItemDto, ItemQuery, JellyfinClient};
use matinee_protocol::{EpisodeNumber, MediaInfo, QueueItem, MAX_QUEUE_ENTRIES};

use crate::ClientError;

/// Items asked for per page when looking through a whole library.
const SCAN_PAGE: u32 = 200;
/// Pages looked through at most (a library of 5 000 episodes or films).
const SCAN_PAGES: u32 = 25;
/// Series of that name tried before looking through every episode.
const SERIES_TRIED: u32 = 5;
/// Films and videos playable on their own.
const FILM_KINDS: [&str; 3] = ["Movie", "Video", "MusicVideo"];

/// A copy of an entry on the member's own server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerCopy {
    pub item_id: String,
    /// What the queue shows as the member's copy.
    pub name: String,
}

/// The queue entries for item `id` of the member's server, each with the
/// member's copy (the item itself): an episode or a film is one; a season
/// its episodes; a series all its episodes, in order (at most the queue's
/// limit).
pub async fn queue_items_from(
    client: &JellyfinClient,
    id: &str,
) -> Result<Vec<(QueueItem, ServerCopy)>, ClientError> {
    let item = client.item(id).await?;
    let episodes = match item.kind.as_deref() {
        Some("Series") => client.series_episodes(&item.id).await?,
        Some("Season") => {
            let series = item.series_id.clone().unwrap_or_default();
            client.episodes(&series, &item.id).await?
        }
        _ => vec![item],
    };
    let items: Vec<(QueueItem, ServerCopy)> = episodes
        .iter()
        .filter(|e| e.is_folder != Some(true))
        .take(MAX_QUEUE_ENTRIES)
        .map(|e| {
            let item = entry_for(e);
            let copy = ServerCopy {
                item_id: e.id.clone(),
                name: item.title.clone(),
            };
            (item, copy)
        })
        .collect();
    if items.is_empty() {
        return Err(matinee_jellyfin::JellyfinError::NotPlayable.into());
    }
    Ok(items)
}

/// An item as a queue entry: "Example Show · S01E02 · The Pilot".
pub fn entry_for(item: &BaseItemDto) -> QueueItem {
    let name = item.name.clone().unwrap_or_default();
    let episode = episode_number(item);
    let series = item.series_name.clone().filter(|_| episode.is_some());
    let title = match (&series, episode) {
        (Some(s), Some(ep)) => format!("{s} · {ep} · {name}"),
        _ => match item.production_year {
            Some(year) => format!("{name} ({year})"),
            None => name.clone(),
        },
    };
    let size_bytes = item
        .media_sources
        .iter()
        .flatten()
        .find_map(|m| m.size)
        .and_then(|s| u64::try_from(s).ok());
    QueueItem {
        title: title
            .chars()
            .take(matinee_protocol::MAX_QUEUE_TITLE_CHARS)
            .collect(),
        media: MediaInfo {
            name,
            size_bytes,
            duration: item.runtime_seconds(),
            provider_ids: item.provider_ids(),
        },
        series,
        episode,
    }
}

fn episode_number(item: &BaseItemDto) -> Option<EpisodeNumber> {
    if item.kind.as_deref() != Some("Episode") {
        return None;
    }
    Some(EpisodeNumber {
        season: u32::try_from(item.parent_index_number?).ok()?,
        episode: u32::try_from(item.index_number?).ok()?,
    })
}

/// Whether two items share a provider id (the same key, the same value;
/// case aside).
pub fn same_provider_id(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> bool {
    a.iter().any(|(k, v)| {
        b.iter()
            .any(|(k2, v2)| k.eq_ignore_ascii_case(k2) && v.trim().eq_ignore_ascii_case(v2.trim()))
    })
}

/// Whether `candidate` on this server is the entry's item: a shared
/// provider id, else (an episode) the same series name and numbers, else
/// (a film) the same name and length.
fn is_copy_of(entry: &QueueItem, candidate: &BaseItemDto) -> bool {
    let ids = candidate.provider_ids();
    if same_provider_id(&entry.media.provider_ids, &ids) {
        return true;
    }
    match (entry.episode, &entry.series) {
        (Some(ep), Some(series)) => {
            episode_number(candidate) == Some(ep)
                && candidate
                    .series_name
                    .as_deref()
                    .is_some_and(|s| s.trim().eq_ignore_ascii_case(series.trim()))
        }
        _ => {
            let same_name = candidate
                .name
                .as_deref()
                .is_some_and(|n| n.trim().eq_ignore_ascii_case(entry.media.name.trim()));
            let same_length = match (entry.media.duration, candidate.runtime_seconds()) {
                (Some(a), Some(b)) => (a - b).abs() <= 2.0,
                _ => true,
            };
            same_name && same_length
        }
    }
}

/// The member's copy of an entry on their own server, if it has one.
pub async fn find_on_server(
    client: &JellyfinClient,
    entry: &QueueItem,
) -> Result<Option<ServerCopy>, ClientError> {
    let found = match (&entry.series, entry.episode) {
        (Some(series), Some(_)) => {
            let named = client
                .items(&ItemQuery {
                    search: Some(series.clone()),
                    types: vec!["Series".into()],
                    limit: SERIES_TRIED,
                    recursive: true,
                    ..ItemQuery::default()
                })
                .await?;
            let mut found = None;
            for series in named.items {
                let episodes = client.series_episodes(&series.id).await?;
                if let Some(e) = episodes.into_iter().find(|e| is_copy_of(entry, e)) {
                    found = Some(e);
                    break;
                }
            }
            match found {
                Some(e) => Some(e),
                // The series under another name: every episode, by ids.
                None => look_through(client, &["Episode"], entry).await?,
            }
        }
        _ => {
            let named = client
                .items(&ItemQuery {
                    search: Some(entry.media.name.clone()),
                    types: FILM_KINDS.iter().map(|k| k.to_string()).collect(),
                    limit: SCAN_PAGE,
                    recursive: true,
                    ..ItemQuery::default()
                })
                .await?;
            match named.items.into_iter().find(|i| is_copy_of(entry, i)) {
                Some(i) => Some(i),
                None => look_through(client, &FILM_KINDS, entry).await?,
            }
        }
    };
    Ok(found.map(|item| ServerCopy {
        name: entry_for(&item).title,
        item_id: item.id,
    }))
}

/// Every item of these kinds, a page at a time, for one sharing a
/// provider id with the entry (only worth it when the entry has some).
async fn look_through(
    client: &JellyfinClient,
    kinds: &[&str],
    entry: &QueueItem,
) -> Result<Option<BaseItemDto>, ClientError> {
    if entry.media.provider_ids.is_empty() {
        return Ok(None);
    }
    for page in 0..SCAN_PAGES {
        let got = client
            .items(&ItemQuery {
                types: kinds.iter().map(|k| k.to_string()).collect(),
                start: page * SCAN_PAGE,
                limit: SCAN_PAGE,
                recursive: true,
                ..ItemQuery::default()
            })
            .await?;
        let ids = &entry.media.provider_ids;
        if let Some(i) = got
            .items
            .iter()
            .find(|i| same_provider_id(ids, &i.provider_ids()))
        {
            return Ok(Some(i.clone()));
        }
        if got.items.len() < SCAN_PAGE as usize || (page + 1) * SCAN_PAGE >= got.total_record_count
        {
            break;
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn episode(series: &str, s: i32, e: i32, tvdb: Option<&str>) -> BaseItemDto {
        BaseItemDto {
            id: format!("{series}-{s}-{e}"),
            name: Some(format!("Episode {e}")),
            kind: Some("Episode".into()),
            series_name: Some(series.into()),
            index_number: Some(e),
            parent_index_number: Some(s),
            run_time_ticks: Some(1_320 * 10_000_000),
            provider_ids: tvdb.map(|t| BTreeMap::from([("Tvdb".into(), Some(t.into()))])),
            ..BaseItemDto::default()
        }
    }

    #[test]
    fn an_episode_is_its_series_and_numbers_with_its_ids() {
        let item = entry_for(&episode("Example Show", 1, 2, Some("902")));
        assert_eq!(item.title, "Example Show · S01E02 · Episode 2");
        assert_eq!(item.series.as_deref(), Some("Example Show"));
        assert_eq!(
            item.episode,
            Some(EpisodeNumber {
                season: 1,
                episode: 2
            })
        );
        assert_eq!(
            item.media.provider_ids.get("Tvdb").map(String::as_str),
            Some("902")
        );
        assert_eq!(item.media.duration, Some(1320.0));
    }

    #[test]
    fn a_copy_is_found_by_provider_id_else_by_series_and_numbers() {
        let entry = entry_for(&episode("Example Show", 1, 2, Some("902")));
        // Another server's name for the series, the same TVDb id.
        assert!(is_copy_of(
            &entry,
            &episode("Exemple de série", 1, 2, Some("902"))
        ));
        // Its other episodes are not it.
        assert!(!is_copy_of(
            &entry,
            &episode("Exemple de série", 1, 3, Some("903"))
        ));
        // No ids on this server: the same series and numbers.
        assert!(is_copy_of(&entry, &episode("example show", 1, 2, None)));
        // Another series with the same numbers is not it.
        assert!(!is_copy_of(&entry, &episode("The Office", 1, 2, None)));
        assert!(same_provider_id(
            &BTreeMap::from([("IMDB".into(), "tt01".into())]),
            &BTreeMap::from([("Imdb".into(), "TT01".into())])
        ));
    }

    #[test]
    fn a_film_is_found_by_name_and_length_without_ids() {
        let film = BaseItemDto {
            id: "f".into(),
            name: Some("Sintel".into()),
            kind: Some("Movie".into()),
            production_year: Some(2010),
            run_time_ticks: Some(888 * 10_000_000),
            ..BaseItemDto::default()
        };
        let entry = entry_for(&film);
        assert_eq!(entry.title, "Sintel (2010)");
        assert!(entry.episode.is_none());
        assert!(is_copy_of(&entry, &film));
        let longer = BaseItemDto {
            run_time_ticks: Some(1_500 * 10_000_000),
            ..film
        };
        assert!(!is_copy_of(&entry, &longer), "another cut");
    }
}
