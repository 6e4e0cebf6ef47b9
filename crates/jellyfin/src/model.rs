//! The parts of Jellyfin's DTOs Matinee reads and writes (PascalCase on the
//! wire, as in the OpenAPI spec). Unknown fields are ignored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Ticks of 100 ns, Jellyfin's unit for positions and runtimes.
pub const TICKS_PER_SECOND: f64 = 10_000_000.0;

pub fn seconds_to_ticks(s: f64) -> i64 {
    (s.max(0.0) * TICKS_PER_SECOND).round() as i64
}

pub fn ticks_to_seconds(t: i64) -> f64 {
    t as f64 / TICKS_PER_SECOND
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PublicSystemInfo {
    pub server_name: Option<String>,
    pub version: Option<String>,
    pub product_name: Option<String>,
    pub id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UserDto {
    pub id: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AuthenticationResult {
    pub user: Option<UserDto>,
    pub access_token: Option<String>,
    pub server_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct QuickConnectResult {
    pub authenticated: bool,
    pub secret: String,
    pub code: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UserItemData {
    pub playback_position_ticks: Option<i64>,
    pub played: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct MediaSourceInfo {
    pub id: Option<String>,
    pub name: Option<String>,
    pub container: Option<String>,
    pub size: Option<i64>,
    pub run_time_ticks: Option<i64>,
    pub supports_direct_stream: Option<bool>,
    pub supports_direct_play: Option<bool>,
}

/// An item: a film, a series, a season, an episode, a library.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct BaseItemDto {
    pub id: String,
    pub name: Option<String>,
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    pub collection_type: Option<String>,
    pub is_folder: Option<bool>,
    pub production_year: Option<i32>,
    pub run_time_ticks: Option<i64>,
    pub overview: Option<String>,
    pub series_name: Option<String>,
    pub series_id: Option<String>,
    pub season_id: Option<String>,
    pub index_number: Option<i32>,
    pub parent_index_number: Option<i32>,
    pub provider_ids: Option<BTreeMap<String, Option<String>>>,
    pub image_tags: Option<BTreeMap<String, String>>,
    pub user_data: Option<UserItemData>,
    pub media_sources: Option<Vec<MediaSourceInfo>>,
}

impl BaseItemDto {
    pub fn runtime_seconds(&self) -> Option<f64> {
        self.run_time_ticks.map(ticks_to_seconds)
    }

    /// Whether the server can keep a resume point for it. An item without
    /// a length (some home videos, live recordings) is marked watched at
    /// its first playback report and keeps none
    /// (Emby.Server.Implementations/Library/UserDataManager.cs,
    /// `UpdatePlayState`: "If we don't know the runtime we'll just have to
    /// assume it was fully played").
    pub fn keeps_resume_point(&self) -> bool {
        self.run_time_ticks.is_some_and(|t| t > 0)
    }

    /// Where the user stopped last time, if anywhere.
    pub fn resume_seconds(&self) -> Option<f64> {
        self.user_data
            .as_ref()
            .and_then(|u| u.playback_position_ticks)
            .filter(|t| *t > 0)
            .map(ticks_to_seconds)
    }

    /// Provider ids with a value (Tmdb, Imdb, Tvdb…).
    pub fn provider_ids(&self) -> BTreeMap<String, String> {
        self.provider_ids
            .iter()
            .flatten()
            .filter_map(|(k, v)| {
                v.as_ref()
                    .filter(|v| !v.is_empty())
                    .map(|v| (k.clone(), v.clone()))
            })
            .collect()
    }

    pub fn has_primary_image(&self) -> bool {
        self.image_tags
            .as_ref()
            .is_some_and(|t| t.contains_key("Primary"))
    }
}

/// A page of items.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ItemPage {
    pub items: Vec<BaseItemDto>,
    pub total_record_count: u32,
    pub start_index: u32,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct PlaybackInfoResponse {
    pub media_sources: Vec<MediaSourceInfo>,
    pub play_session_id: Option<String>,
    pub error_code: Option<String>,
}
