//! A signed-in (or not yet) conversation with one Jellyfin server.

use std::fmt;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;
use url::Url;

use crate::auth::DeviceInfo;
use crate::model::{
    AuthenticationResult, BaseItemDto, ItemPage, MediaSourceInfo, PlaybackInfoResponse,
    PublicSystemInfo, QuickConnectResult,
};
use crate::JellyfinError;

/// An access token. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(t: impl Into<String>) -> Self {
        Self(t.into())
    }

    /// The secret itself: for the keyring and the Authorization header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(…)")
    }
}

/// Who is signed in where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub server_id: String,
    pub user_id: String,
    pub user_name: String,
    pub token: Token,
}

impl Session {
    /// The keyring account name for this sign-in.
    pub fn account(&self) -> String {
        format!("{}/{}", self.server_id, self.user_id)
    }
}

/// What to list.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ItemQuery {
    /// A library or folder; none: everything.
    pub parent_id: Option<String>,
    pub search: Option<String>,
    pub start: u32,
    pub limit: u32,
    /// e.g. "Movie", "Series", "Episode".
    pub types: Vec<String>,
    pub recursive: bool,
}

/// What mpv needs to stream an item.
#[derive(Debug, Clone)]
pub struct StreamPlan {
    pub item: BaseItemDto,
    pub media_source: MediaSourceInfo,
    pub play_session_id: String,
    /// `/Videos/{id}/stream?static=true&mediaSourceId=…`: no token in it.
    pub url: Url,
}

impl StreamPlan {
    /// What the room is told about this item: its title, the file's size
    /// on the server, its runtime and its provider ids, so friends playing
    /// it from another server or as a local file are matched.
    pub fn media_info(&self) -> matinee_protocol::MediaInfo {
        matinee_protocol::MediaInfo {
            name: self.item.name.clone().unwrap_or_default(),
            size_bytes: self.media_source.size.and_then(|s| u64::try_from(s).ok()),
            duration: self
                .media_source
                .run_time_ticks
                .or(self.item.run_time_ticks)
                .map(crate::ticks_to_seconds),
            provider_ids: self.item.provider_ids(),
        }
    }
}

/// Normalises what a user typed as a server address.
pub fn parse_server_url(input: &str) -> Result<Url, JellyfinError> {
    let t = input.trim();
    let (scheme, rest) = t.split_once("://").unwrap_or(("http", t));
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() {
        return Err(JellyfinError::BadUrl(input.into()));
    }
    let url = Url::parse(&format!("{scheme}://{rest}/"))
        .map_err(|_| JellyfinError::BadUrl(input.into()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(JellyfinError::BadUrl(input.into()));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(JellyfinError::BadUrl(input.into()));
    }
    Ok(url)
}

const FIELDS: &str = "Overview,ProviderIds,MediaSources,PrimaryImageAspectRatio";

/// A client for one server.
#[derive(Clone)]
pub struct JellyfinClient {
    http: reqwest::Client,
    base: Url,
    device: DeviceInfo,
    session: Option<Session>,
}

/// The same server, signed in as the same user with the same token.
impl PartialEq for JellyfinClient {
    fn eq(&self, other: &Self) -> bool {
        self.base == other.base && self.session == other.session
    }
}

impl fmt::Debug for JellyfinClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JellyfinClient")
            .field("base", &self.base.as_str())
            .field("session", &self.session)
            .finish()
    }
}

impl JellyfinClient {
    /// A client for `server` (not contacted yet).
    pub fn new(server: &str, device: DeviceInfo) -> Result<Self, JellyfinError> {
        let base = parse_server_url(server)?;
        // Redirects are not followed: on one to another origin reqwest
        // would drop the Authorization header (the next call is a 401), and
        // on a 301/302 it would replay a sign-in POST as a GET. Connecting
        // follows the server's own redirect once ([`Self::public_info`]).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(8))
            .timeout(Duration::from_secs(20))
            .user_agent(format!("Matinee/{}", device.version))
            .build()
            .map_err(|e| JellyfinError::transport(base.as_str(), &e))?;
        Ok(Self {
            http,
            base,
            device,
            session: None,
        })
    }

    /// A client already signed in (a session restored from the keyring).
    pub fn with_session(mut self, session: Session) -> Self {
        self.session = Some(session);
        self
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    fn session_or_err(&self) -> Result<&Session, JellyfinError> {
        self.session.as_ref().ok_or(JellyfinError::NotSignedIn)
    }

    /// The Authorization header value for this client. Carries the token:
    /// hand it to mpv over IPC only, never log it.
    pub fn authorization(&self) -> String {
        self.device
            .authorization(self.session.as_ref().map(|s| s.token.expose()))
    }

    fn url(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        let joined = format!("{}{}", url.path().trim_end_matches('/'), path);
        url.set_path(&joined);
        url
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<serde_json::Value>,
    ) -> Result<reqwest::Response, JellyfinError> {
        let url = self.url(path);
        let mut req = self
            .http
            .request(method.clone(), url.clone())
            .header("Authorization", self.authorization())
            .header("Accept", "application/json");
        if !query.is_empty() {
            req = req.query(query);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        tracing::debug!(%method, path, "jellyfin request");
        let resp = req
            .send()
            .await
            .map_err(|e| JellyfinError::transport(self.base.as_str(), &e))?;
        match resp.status() {
            s if s.is_success() => Ok(resp),
            s if s.is_redirection() => Err(JellyfinError::Moved {
                to: redirect_target(&url, &resp)
                    .map_or_else(|| "another address".to_string(), |u| u.to_string()),
            }),
            StatusCode::SERVICE_UNAVAILABLE => Err(unavailable(resp).await),
            StatusCode::UNAUTHORIZED => Err(self.why_unauthorized(path).await),
            StatusCode::FORBIDDEN => Err(JellyfinError::Forbidden),
            StatusCode::NOT_FOUND => Err(JellyfinError::NotFound),
            s => {
                let detail: String = resp
                    .text()
                    .await
                    .unwrap_or_default()
                    .chars()
                    .take(200)
                    .collect();
                Err(JellyfinError::Server {
                    status: s.as_u16(),
                    detail,
                })
            }
        }
    }

    /// What a 401 means. The server answers 401 both to a token it does
    /// not know and, with the token still good, to a library the
    /// user may no longer see (Jellyfin.Api/Controllers/ItemsController.cs,
    /// `GetItems`: "… is not permitted to access Library …"). Only the
    /// first is a sign-out: the user's own endpoint tells them apart.
    async fn why_unauthorized(&self, path: &str) -> JellyfinError {
        let own = path.starts_with("/Users/")
            || path.starts_with("/QuickConnect/")
            || path == "/Sessions/Logout";
        if self.session.is_none() || own {
            return JellyfinError::SignedOut;
        }
        let probe = self
            .http
            .get(self.url("/Users/Me"))
            .header("Authorization", self.authorization())
            .header("Accept", "application/json")
            .send()
            .await;
        match probe {
            Ok(r) if r.status().is_success() => {
                tracing::info!(
                    path,
                    "jellyfin: 401 with a sign-in that still works: no access to this"
                );
                JellyfinError::NoAccess
            }
            Ok(r) if r.status() == StatusCode::SERVICE_UNAVAILABLE => unavailable(r).await,
            Ok(r) if r.status() == StatusCode::UNAUTHORIZED => JellyfinError::SignedOut,
            Ok(r) => JellyfinError::Server {
                status: r.status().as_u16(),
                detail: "the server did not say who is signed in".into(),
            },
            Err(e) => JellyfinError::transport(self.base.as_str(), &e),
        }
    }

    async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<serde_json::Value>,
    ) -> Result<T, JellyfinError> {
        self.send(method, path, query, body)
            .await?
            .json()
            .await
            .map_err(|e| JellyfinError::Decode(e.to_string()))
    }

    /// Checks the server is a Jellyfin Matinee can use, and says who it
    /// is. A server that redirects (http to https, a new host or path) is
    /// followed once, with a GET that carries no token: the client then
    /// talks to the new address, which the caller stores
    /// ([`Self::base_url`]).
    ///
    /// A server whose base URL (e.g. `/jellyfin`) the address lacks
    /// redirects every path outside it to `{base}/web/`
    /// (Jellyfin.Api/Middleware/BaseUrlRedirectionMiddleware.cs): the base
    /// is read from that, and the address with it is kept. At most two
    /// redirects are followed (a move to https, then a base URL).
    pub async fn public_info(&mut self) -> Result<PublicSystemInfo, JellyfinError> {
        let mut hops = 0;
        loop {
            match self.public_info_here().await {
                Err(JellyfinError::Moved { to }) if hops < 2 => {
                    hops += 1;
                    let moved = self.moved_base(&to)?;
                    tracing::info!(to = %moved, "the Jellyfin server redirects; following it");
                    self.base = moved;
                }
                other => return other,
            }
        }
    }

    /// The base URL where the server's redirect for its public info
    /// leads: the part before `/System/Info/Public` (the server moved), or
    /// before `/web/` (the server's base URL was missing).
    fn moved_base(&self, to: &str) -> Result<Url, JellyfinError> {
        let not_jellyfin = || JellyfinError::NotJellyfin {
            url: self.base.to_string(),
        };
        let target = Url::parse(to).map_err(|_| not_jellyfin())?;
        let path = target.path();
        let lower = path.to_ascii_lowercase();
        let cut = ["/system/info/public", "/web/", "/web", "/web/index.html"]
            .iter()
            .find(|end| lower.ends_with(*end))
            .ok_or_else(not_jellyfin)?;
        let base_path = &path[..path.len() - cut.len()];
        let same_place = authority(&target) == authority(&self.base)
            && target.scheme() == self.base.scheme()
            && base_path.trim_end_matches('/') == self.base.path().trim_end_matches('/');
        if same_place {
            // A redirect back to where we asked: not a Jellyfin base URL.
            return Err(not_jellyfin());
        }
        parse_server_url(&format!(
            "{}://{}{}",
            target.scheme(),
            authority(&target),
            base_path
        ))
    }

    async fn public_info_here(&self) -> Result<PublicSystemInfo, JellyfinError> {
        let not_jellyfin = || JellyfinError::NotJellyfin {
            url: self.base.to_string(),
        };
        let resp = match self
            .send(Method::GET, "/System/Info/Public", &[], None)
            .await
        {
            Ok(r) => r,
            Err(
                JellyfinError::NotFound
                | JellyfinError::Server { .. }
                | JellyfinError::SignedOut
                | JellyfinError::Forbidden,
            ) => return Err(not_jellyfin()),
            Err(e) => return Err(e),
        };
        let answer: serde_json::Value = resp.json().await.map_err(|_| not_jellyfin())?;
        // While a 10.11 server runs its updates after an upgrade, a set-up
        // app answers here in its own spelling (camelCase) with the wizard
        // not completed (Jellyfin.Server/ServerSetupApp/SetupServer.cs);
        // everything else answers 503 with Retry-After: 5.
        if answer.get("version").is_some() && answer.get("Version").is_none() {
            return Err(JellyfinError::Starting {
                retry_after_s: STARTING_RETRY_S,
            });
        }
        let info: PublicSystemInfo = serde_json::from_value(answer).map_err(|_| not_jellyfin())?;
        let Some(version) = info.version.as_deref().filter(|_| info.id.is_some()) else {
            return Err(not_jellyfin());
        };
        if version_below(version, MIN_SERVER_VERSION) {
            return Err(JellyfinError::TooOld {
                found: version.to_string(),
                need: format!("{}.{}", MIN_SERVER_VERSION.0, MIN_SERVER_VERSION.1),
            });
        }
        Ok(info)
    }

    fn signed_in(&mut self, auth: AuthenticationResult) -> Result<Session, JellyfinError> {
        let user = auth
            .user
            .ok_or_else(|| JellyfinError::Decode("no user".into()))?;
        let token = auth
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| JellyfinError::Decode("no access token".into()))?;
        let session = Session {
            server_id: auth.server_id.unwrap_or_default(),
            user_name: user.name.unwrap_or_default(),
            user_id: user.id,
            token: Token::new(token),
        };
        self.session = Some(session.clone());
        tracing::info!(user = %session.user_name, "signed in to Jellyfin");
        Ok(session)
    }

    /// Signs in with a username and password.
    pub async fn sign_in(
        &mut self,
        username: &str,
        password: &str,
    ) -> Result<Session, JellyfinError> {
        let body = json!({ "Username": username, "Pw": password });
        let auth = match self
            .json(Method::POST, "/Users/AuthenticateByName", &[], Some(body))
            .await
        {
            Err(JellyfinError::SignedOut | JellyfinError::NotFound) => {
                return Err(JellyfinError::BadCredentials)
            }
            // A disabled or locked-out account, remote access off for it,
            // or its schedule: all one SecurityException, 403, and in
            // production the same body
            // (Jellyfin.Server.Implementations/Users/UserManager.cs,
            // `AuthenticateUser`; Jellyfin.Api/Middleware/ExceptionMiddleware.cs).
            Err(JellyfinError::Forbidden) => return Err(JellyfinError::AccountBlocked),
            other => other?,
        };
        self.signed_in(auth)
    }

    /// Starts Quick Connect: show the code, then poll with the secret.
    pub async fn quick_connect_start(&self) -> Result<QuickConnectResult, JellyfinError> {
        let enabled: bool = self
            .json(Method::GET, "/QuickConnect/Enabled", &[], None)
            .await?;
        if !enabled {
            return Err(JellyfinError::QuickConnectDisabled);
        }
        match self
            .json(Method::POST, "/QuickConnect/Initiate", &[], None)
            .await
        {
            Err(JellyfinError::SignedOut) => Err(JellyfinError::QuickConnectDisabled),
            other => other,
        }
    }

    /// Whether the user approved the code yet.
    pub async fn quick_connect_approved(&self, secret: &str) -> Result<bool, JellyfinError> {
        let state: QuickConnectResult = match self
            .json(
                Method::GET,
                "/QuickConnect/Connect",
                &[("secret", secret.to_string())],
                None,
            )
            .await
        {
            Err(JellyfinError::NotFound) => return Err(JellyfinError::QuickConnectExpired),
            // The server answers 401 here when Quick Connect was switched
            // off while the code was showing (QuickConnectController,
            // GetQuickConnectState).
            Err(JellyfinError::SignedOut) => return Err(JellyfinError::QuickConnectDisabled),
            other => other?,
        };
        Ok(state.authenticated)
    }

    /// Finishes Quick Connect once approved.
    pub async fn quick_connect_finish(&mut self, secret: &str) -> Result<Session, JellyfinError> {
        let auth = match self
            .json(
                Method::POST,
                "/Users/AuthenticateWithQuickConnect",
                &[],
                Some(json!({ "Secret": secret })),
            )
            .await
        {
            // 401 both when the request is gone and when Quick Connect was
            // switched off after approval (QuickConnectManager.cs,
            // `GetAuthorizedRequest` → `AssertActive`): ask which.
            Err(JellyfinError::SignedOut | JellyfinError::NotFound) => {
                let enabled: Result<bool, _> = self
                    .json(Method::GET, "/QuickConnect/Enabled", &[], None)
                    .await;
                return Err(match enabled {
                    Ok(false) => JellyfinError::QuickConnectDisabled,
                    _ => JellyfinError::QuickConnectExpired,
                });
            }
            Err(JellyfinError::Forbidden) => return Err(JellyfinError::AccountBlocked),
            other => other?,
        };
        self.signed_in(auth)
    }

    /// Ends the session on the server (the token stops working).
    pub async fn sign_out(&mut self) -> Result<(), JellyfinError> {
        if self.session.is_none() {
            return Ok(());
        }
        let result = self.send(Method::POST, "/Sessions/Logout", &[], None).await;
        self.session = None;
        match result {
            Ok(_) | Err(JellyfinError::SignedOut) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The user's libraries.
    pub async fn views(&self) -> Result<Vec<BaseItemDto>, JellyfinError> {
        let s = self.session_or_err()?;
        let page: ItemPage = self
            .json(
                Method::GET,
                "/UserViews",
                &[("userId", s.user_id.clone())],
                None,
            )
            .await?;
        Ok(page.items)
    }

    /// A page of items in a library, or a search.
    pub async fn items(&self, q: &ItemQuery) -> Result<ItemPage, JellyfinError> {
        let s = self.session_or_err()?;
        let mut query = vec![
            ("userId", s.user_id.clone()),
            ("startIndex", q.start.to_string()),
            ("limit", q.limit.clamp(1, 200).to_string()),
            ("fields", FIELDS.into()),
            ("enableImageTypes", "Primary".into()),
            ("imageTypeLimit", "1".into()),
            ("sortBy", "SortName".into()),
            ("sortOrder", "Ascending".into()),
        ];
        if let Some(p) = &q.parent_id {
            query.push(("parentId", p.clone()));
        }
        if let Some(t) = q.search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            query.push(("searchTerm", t.to_string()));
        }
        if !q.types.is_empty() {
            query.push(("includeItemTypes", q.types.join(",")));
        }
        if q.recursive || q.search.is_some() {
            query.push(("recursive", "true".into()));
        }
        self.json(Method::GET, "/Items", &query, None).await
    }

    /// One item with its details.
    pub async fn item(&self, id: &str) -> Result<BaseItemDto, JellyfinError> {
        let s = self.session_or_err()?;
        self.json(
            Method::GET,
            &format!("/Items/{}", path_segment(id)?),
            &[("userId", s.user_id.clone())],
            None,
        )
        .await
    }

    /// A series' seasons.
    pub async fn seasons(&self, series_id: &str) -> Result<Vec<BaseItemDto>, JellyfinError> {
        self.of_series(series_id, "Seasons", None).await
    }

    /// A season's episodes.
    pub async fn episodes(
        &self,
        series_id: &str,
        season_id: &str,
    ) -> Result<Vec<BaseItemDto>, JellyfinError> {
        self.of_series(series_id, "Episodes", Some(season_id)).await
    }

    /// Every episode of a series, in order (seasons, then episodes).
    pub async fn series_episodes(
        &self,
        series_id: &str,
    ) -> Result<Vec<BaseItemDto>, JellyfinError> {
        self.of_series(series_id, "Episodes", None).await
    }

    /// `/Shows/{id}/{what}` (Seasons or Episodes), of one season or all.
    async fn of_series(
        &self,
        series_id: &str,
        what: &str,
        season_id: Option<&str>,
    ) -> Result<Vec<BaseItemDto>, JellyfinError> {
        let s = self.session_or_err()?;
        let mut query = vec![("userId", s.user_id.clone())];
        if let Some(season) = season_id {
            query.push(("seasonId", season.to_string()));
        }
        query.push(("fields", FIELDS.into()));
        let path = format!("/Shows/{}/{what}", path_segment(series_id)?);
        let page: ItemPage = self.json(Method::GET, &path, &query, None).await?;
        Ok(page.items)
    }

    /// A poster (the Primary image), scaled to `height` pixels.
    pub async fn poster(&self, id: &str, height: u32) -> Result<(String, Vec<u8>), JellyfinError> {
        let resp = self
            .send(
                Method::GET,
                &format!("/Items/{}/Images/Primary", path_segment(id)?),
                &[("fillHeight", height.to_string()), ("quality", "90".into())],
                None,
            )
            .await?;
        let mime = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("image/jpeg")
            .to_string();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| JellyfinError::transport(self.base.as_str(), &e))?;
        Ok((mime, bytes.to_vec()))
    }

    /// Asks the server how to play an item and builds the direct-stream URL.
    pub async fn plan_stream(&self, id: &str) -> Result<StreamPlan, JellyfinError> {
        let s = self.session_or_err()?;
        let item = self.item(id).await?;
        // Only films, episodes and other videos play: a real server answers
        // 500 when asked how to play a series or a collection.
        if item.is_folder == Some(true) || !item.kind.as_deref().is_some_and(is_video_kind) {
            return Err(JellyfinError::NotPlayable);
        }
        let info: PlaybackInfoResponse = self
            .json(
                Method::POST,
                &format!("/Items/{}/PlaybackInfo", path_segment(id)?),
                &[("userId", s.user_id.clone())],
                Some(json!({
                    "UserId": s.user_id,
                    "EnableDirectPlay": true,
                    "EnableDirectStream": true,
                    "EnableTranscoding": false,
                })),
            )
            .await?;
        if info.error_code.is_some() {
            return Err(JellyfinError::NotPlayable);
        }
        // The file as it is, by the static stream URL: allowed when the
        // server says either direct play or direct stream. A user without
        // the remuxing permission gets SupportsDirectStream = false while
        // direct play stays true (MediaSourceManager), and Jellyfin's web
        // client plays such a source by the same URL.
        let source = info
            .media_sources
            .into_iter()
            .find(|m| {
                m.id.is_some()
                    && (m.supports_direct_play == Some(true)
                        || m.supports_direct_stream != Some(false))
            })
            .ok_or(JellyfinError::NotPlayable)?;
        let play_session_id = info
            .play_session_id
            .unwrap_or_else(|| format!("{:032x}", rand::random::<u128>()));
        let mut url = self.url(&format!("/Videos/{}/stream", path_segment(id)?));
        url.query_pairs_mut()
            .append_pair("static", "true")
            .append_pair("mediaSourceId", source.id.as_deref().unwrap_or_default())
            .append_pair("playSessionId", &play_session_id)
            .append_pair("deviceId", &self.device.device_id);
        Ok(StreamPlan {
            item,
            media_source: source,
            play_session_id,
            url,
        })
    }

    pub(crate) async fn post_report(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> Result<(), JellyfinError> {
        self.session_or_err()?;
        self.send(Method::POST, path, &[], Some(body))
            .await
            .map(|_| ())
    }
}

/// Oldest Jellyfin whose API Matinee speaks (10.8 lacks `/UserViews` and
/// `GET /Items/{id}`, and its Quick Connect initiate is GET-only).
pub const MIN_SERVER_VERSION: (u32, u32) = (10, 9);

/// Whether a version like "10.8.13" is older than `min` (major, minor).
/// An unreadable version is not held against the server.
fn version_below(version: &str, min: (u32, u32)) -> bool {
    let mut parts = version.split('.').map(|p| p.trim().parse::<u32>());
    match (parts.next(), parts.next()) {
        (Some(Ok(major)), Some(Ok(minor))) => (major, minor) < min,
        _ => false,
    }
}

/// Item types that are a video to play.
fn is_video_kind(kind: &str) -> bool {
    matches!(
        kind,
        "Movie" | "Episode" | "Video" | "MusicVideo" | "Trailer"
    )
}

/// How long to wait before asking a starting server again when it does
/// not say (its set-up app says 5 s).
pub const STARTING_RETRY_S: u32 = 5;

/// What a 503 means: a server loading or updating says so, with a
/// Retry-After (Jellyfin.Server/ServerSetupApp/SetupServer.cs) or a page
/// (Jellyfin.Api/Middleware/ServerStartupMessageMiddleware.cs); a server
/// refusing the caller's network answers an empty 503
/// (Jellyfin.Api/Middleware/IpBasedAccessValidationMiddleware.cs).
async fn unavailable(resp: reqwest::Response) -> JellyfinError {
    let retry = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u32>().ok());
    let body = resp.text().await.unwrap_or_default();
    match retry {
        Some(s) => JellyfinError::Starting {
            retry_after_s: s.clamp(1, 60),
        },
        None if !body.trim().is_empty() => JellyfinError::Starting {
            retry_after_s: STARTING_RETRY_S,
        },
        None => JellyfinError::RefusesNetwork,
    }
}

/// The absolute URL a redirect answer points at.
fn redirect_target(from: &Url, resp: &reqwest::Response) -> Option<Url> {
    let location = resp
        .headers()
        .get(reqwest::header::LOCATION)?
        .to_str()
        .ok()?;
    from.join(location).ok()
}

/// host[:port] of a URL.
fn authority(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => String::new(),
    }
}

/// An id from the server, checked before it goes into a path.
fn path_segment(id: &str) -> Result<&str, JellyfinError> {
    if !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        Ok(id)
    } else {
        Err(JellyfinError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_are_normalised_and_checked() {
        assert_eq!(
            parse_server_url("media.local:8096").unwrap().as_str(),
            "http://media.local:8096/"
        );
        assert_eq!(
            parse_server_url(" https://jf.example.org/jellyfin/ ")
                .unwrap()
                .as_str(),
            "https://jf.example.org/jellyfin/"
        );
        for bad in [
            "",
            "ftp://x",
            "http://",
            "https://u:p@host",
            "http://h/?a=1",
            "not a url at all",
        ] {
            assert!(parse_server_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tokens_never_show_in_debug_output() {
        let s = Session {
            server_id: "s".into(),
            user_id: "u".into(),
            user_name: "Ana".into(),
            token: Token::new("supersecret"),
        };
        assert!(!format!("{s:?}").contains("supersecret"));
    }

    #[test]
    fn servers_older_than_10_9_are_told_apart() {
        assert!(version_below("10.8.13", MIN_SERVER_VERSION));
        assert!(version_below("9.1.0", MIN_SERVER_VERSION));
        assert!(!version_below("10.9.0", MIN_SERVER_VERSION));
        assert!(!version_below("10.11.11", MIN_SERVER_VERSION));
        assert!(!version_below("11.0.0", MIN_SERVER_VERSION));
        assert!(!version_below("unstable", MIN_SERVER_VERSION));
    }

    #[test]
    fn ids_are_checked_before_they_become_paths() {
        assert!(path_segment("0123abcd-ef").is_ok());
        assert!(path_segment("../System").is_err());
        assert!(path_segment("").is_err());
    }
}
