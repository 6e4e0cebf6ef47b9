//! The window's Jellyfin commands: the work is in `matinee-jellyfin`'s
//! [`Account`] and client; this maps them to the UI's shapes and errors.

use matinee_jellyfin::{
    Account, AccountStatus, BaseItemDto, ItemPage, ItemQuery, JellyfinClient, JellyfinError,
};
use serde::{Deserialize, Serialize};
use tauri::State;
use tokio::sync::{MappedMutexGuard, MutexGuard};

use crate::error::{AppError, ErrorKind};
use crate::state::AppState;

/// Largest page the window may ask for.
const MAX_PAGE: u32 = 100;
/// Poster heights the window may ask for, in pixels.
const POSTER_HEIGHTS: std::ops::RangeInclusive<u32> = 60..=900;

/// An item as the window shows it.
#[derive(Debug, Serialize, ts_rs::TS)]
#[ts(export, rename = "JellyfinItem")]
pub struct Item {
    id: String,
    name: String,
    /// "Movie", "Series", "Season", "Episode", "CollectionFolder"…
    kind: String,
    year: Option<i32>,
    runtime_seconds: Option<f64>,
    resume_seconds: Option<f64>,
    played: bool,
    overview: Option<String>,
    series_name: Option<String>,
    series_id: Option<String>,
    season: Option<i32>,
    episode: Option<i32>,
    has_poster: bool,
    /// Something mpv can play (a film, an episode, a video).
    playable: bool,
    /// The server keeps where you stop (false for a video without a
    /// length: it is marked watched as soon as it starts).
    keeps_resume_point: bool,
}

impl From<BaseItemDto> for Item {
    fn from(i: BaseItemDto) -> Self {
        let kind = i.kind.clone().unwrap_or_default();
        let playable = matches!(
            kind.as_str(),
            "Movie" | "Episode" | "Video" | "MusicVideo" | "Trailer"
        );
        Self {
            name: i.name.clone().unwrap_or_else(|| "Untitled".into()),
            year: i.production_year,
            runtime_seconds: i.runtime_seconds(),
            resume_seconds: i.resume_seconds(),
            played: i.user_data.as_ref().and_then(|u| u.played).unwrap_or(false),
            has_poster: i.has_primary_image(),
            keeps_resume_point: i.keeps_resume_point(),
            overview: i.overview,
            series_name: i.series_name,
            series_id: i.series_id,
            season: i.parent_index_number,
            episode: i.index_number,
            id: i.id,
            kind,
            playable,
        }
    }
}

#[derive(Debug, Serialize, ts_rs::TS)]
#[ts(export, rename = "JellyfinPage")]
pub struct Page {
    items: Vec<Item>,
    total: u32,
    start: u32,
}

impl From<ItemPage> for Page {
    fn from(p: ItemPage) -> Self {
        Self {
            total: p.total_record_count,
            start: p.start_index,
            items: p.items.into_iter().map(Item::from).collect(),
        }
    }
}

/// What to list: a library's items, or a search.
#[derive(Debug, Deserialize)]
pub struct ListRequest {
    library: Option<String>,
    search: Option<String>,
    #[serde(default)]
    start: u32,
    limit: u32,
}

impl From<JellyfinError> for AppError {
    fn from(e: JellyfinError) -> Self {
        let kind = match &e {
            JellyfinError::BadUrl(_) => ErrorKind::JellyfinUrl,
            JellyfinError::Unreachable { .. } | JellyfinError::Tls { .. } => {
                ErrorKind::JellyfinUnreachable
            }
            JellyfinError::NotJellyfin { .. } => ErrorKind::JellyfinNotJellyfin,
            JellyfinError::Starting { retry_after_s } => {
                return AppError {
                    retry_after_s: Some(*retry_after_s),
                    ..AppError::sentence(ErrorKind::JellyfinStarting, &e)
                }
            }
            JellyfinError::RefusesNetwork => ErrorKind::JellyfinRefusesNetwork,
            JellyfinError::NoAccess => ErrorKind::JellyfinNoAccess,
            JellyfinError::AccountBlocked => ErrorKind::JellyfinCredentials,
            JellyfinError::TooOld { .. } => ErrorKind::JellyfinTooOld,
            JellyfinError::Moved { .. } => ErrorKind::JellyfinMoved,
            JellyfinError::BadCredentials => ErrorKind::JellyfinCredentials,
            JellyfinError::SignedOut | JellyfinError::NotSignedIn => ErrorKind::JellyfinSignedOut,
            JellyfinError::NoServer => ErrorKind::JellyfinNoServer,
            JellyfinError::QuickConnectDisabled | JellyfinError::QuickConnectExpired => {
                ErrorKind::JellyfinQuickConnect
            }
            JellyfinError::Keyring(_) | JellyfinError::Storage(_) => ErrorKind::JellyfinKeyring,
            _ => ErrorKind::Jellyfin,
        };
        AppError::sentence(kind, e)
    }
}

/// The account, restored from the last launch on first use.
async fn account(state: &AppState) -> MappedMutexGuard<'_, Account> {
    let mut jf = state.jellyfin.lock().await;
    if !jf.restored {
        jf.restored = true;
        if let Err(e) = jf.account.restore().await {
            tracing::warn!("jellyfin: could not restore the sign-in: {e}");
        }
    }
    MutexGuard::map(jf, |jf| &mut jf.account)
}

/// A signed-in client, without holding the account while it works.
pub(crate) async fn client(state: &AppState) -> Result<JellyfinClient, AppError> {
    Ok(account(state).await.client()?)
}

/// Runs a request; when the server says the sign-in is over, the account
/// forgets it so the window asks again.
async fn on_server<T>(
    state: &AppState,
    request: impl std::future::Future<Output = Result<T, JellyfinError>>,
) -> Result<T, AppError> {
    match request.await {
        Err(JellyfinError::SignedOut) => {
            if let Err(e) = account(state).await.signed_out_by_server().await {
                tracing::warn!("jellyfin: {e}");
            }
            Err(JellyfinError::SignedOut.into())
        }
        other => Ok(other?),
    }
}

#[tauri::command]
pub async fn jellyfin_status(state: State<'_, AppState>) -> Result<AccountStatus, AppError> {
    Ok(account(&state).await.status())
}

#[tauri::command]
pub async fn jellyfin_connect(
    state: State<'_, AppState>,
    url: String,
) -> Result<AccountStatus, AppError> {
    Ok(account(&state).await.connect(&url).await?)
}

#[tauri::command]
pub async fn jellyfin_sign_in(
    state: State<'_, AppState>,
    username: String,
    password: String,
) -> Result<AccountStatus, AppError> {
    if username.trim().is_empty() {
        return Err(AppError::new(
            ErrorKind::JellyfinCredentials,
            "Enter your Jellyfin username.",
        ));
    }
    Ok(account(&state)
        .await
        .sign_in(username.trim(), &password)
        .await?)
}

#[tauri::command]
pub async fn jellyfin_quick_connect_start(state: State<'_, AppState>) -> Result<String, AppError> {
    Ok(account(&state).await.quick_connect_start().await?)
}

/// The new status once the code is approved; nothing while it waits.
#[tauri::command]
pub async fn jellyfin_quick_connect_poll(
    state: State<'_, AppState>,
) -> Result<Option<AccountStatus>, AppError> {
    Ok(account(&state).await.quick_connect_poll().await?)
}

#[tauri::command]
pub async fn jellyfin_sign_out(state: State<'_, AppState>) -> Result<AccountStatus, AppError> {
    Ok(account(&state).await.sign_out().await?)
}

#[tauri::command]
pub async fn jellyfin_libraries(state: State<'_, AppState>) -> Result<Vec<Item>, AppError> {
    let c = client(&state).await?;
    let views = on_server(&state, c.views()).await?;
    Ok(views.into_iter().map(Item::from).collect())
}

#[tauri::command]
pub async fn jellyfin_items(
    state: State<'_, AppState>,
    request: ListRequest,
) -> Result<Page, AppError> {
    let c = client(&state).await?;
    let search = request
        .search
        .map(|s| s.trim().chars().take(100).collect::<String>())
        .filter(|s| !s.is_empty());
    let query = ItemQuery {
        recursive: search.is_some(),
        types: if search.is_some() {
            vec!["Movie".into(), "Series".into(), "Episode".into()]
        } else {
            Vec::new()
        },
        parent_id: request.library,
        search,
        start: request.start,
        limit: request.limit.clamp(1, MAX_PAGE),
    };
    Ok(on_server(&state, c.items(&query)).await?.into())
}

#[tauri::command]
pub async fn jellyfin_item(state: State<'_, AppState>, id: String) -> Result<Item, AppError> {
    let c = client(&state).await?;
    Ok(on_server(&state, c.item(&id)).await?.into())
}

#[tauri::command]
pub async fn jellyfin_seasons(
    state: State<'_, AppState>,
    series: String,
) -> Result<Vec<Item>, AppError> {
    let c = client(&state).await?;
    let seasons = on_server(&state, c.seasons(&series)).await?;
    Ok(seasons.into_iter().map(Item::from).collect())
}

#[tauri::command]
pub async fn jellyfin_episodes(
    state: State<'_, AppState>,
    series: String,
    season: String,
) -> Result<Vec<Item>, AppError> {
    let c = client(&state).await?;
    let episodes = on_server(&state, c.episodes(&series, &season)).await?;
    Ok(episodes.into_iter().map(Item::from).collect())
}

/// A poster as a `data:` URL (cached).
#[tauri::command]
pub async fn jellyfin_poster(
    state: State<'_, AppState>,
    id: String,
    height: u32,
) -> Result<String, AppError> {
    let (c, posters) = {
        let a = account(&state).await;
        (a.client()?, a.posters())
    };
    let height = height.clamp(*POSTER_HEIGHTS.start(), *POSTER_HEIGHTS.end());
    Ok(on_server(&state, posters.get(&c, &id, height))
        .await?
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_starting_server_tells_the_window_when_to_ask_again() {
        let e = AppError::from(JellyfinError::Starting { retry_after_s: 5 });
        assert_eq!(e.kind, ErrorKind::JellyfinStarting);
        let wire = serde_json::to_value(&e).unwrap();
        assert_eq!(wire["kind"], "jellyfin_starting");
        assert_eq!(wire["retry_after_s"], 5);
        assert!(e.message.starts_with("The server is still starting"));

        // Other errors carry no retry time, and a hidden library is not a
        // sign-out.
        let e = AppError::from(JellyfinError::NoAccess);
        let wire = serde_json::to_value(&e).unwrap();
        assert_eq!(wire["kind"], "jellyfin_no_access");
        assert!(wire.get("retry_after_s").is_none());
        assert_eq!(
            AppError::from(JellyfinError::AccountBlocked).kind,
            ErrorKind::JellyfinCredentials
        );
    }
}
