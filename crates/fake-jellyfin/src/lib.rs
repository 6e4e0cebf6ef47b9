//! A fake Jellyfin 10.11 server on loopback for tests. Every request is
//! checked against the OpenAPI document first; a request the spec does not
//! allow is answered 400 and recorded, and [`FakeJellyfin::assert_clean`]
//! fails the test. Its own JSON answers are checked against the spec too.
//!
//! Where the real server has rules a client meets, the fake follows them,
//! citing the server's source (Jellyfin v10.11.11): what needs a token and
//! what does not, Quick Connect's lifetime, how positions become resume
//! points and "played". [`ServerSetup`] gives the variations real servers
//! come in: a user without the remuxing permission, an older version, a
//! base URL (`/jellyfin`, with the redirect a path outside it gets), a
//! library of home videos without a length; [`Phase`] a server loading,
//! updating after an upgrade or refusing the caller's network; libraries
//! hidden from the user, a disabled or locked-out account; and
//! [`FakeJellyfin::redirect_front`] puts an http→https style redirect in
//! front of it.

pub mod spec;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};
use tower::ServiceExt;

pub const USER: &str = "ana";
pub const PASSWORD: &str = "correct horse";
pub const SERVER_ID: &str = "f00dfeedf00dfeedf00dfeedf00dfeed";
pub const USER_ID: &str = "0a0a0a0a0b0b0b0b0c0c0c0c0d0d0d0d";
pub const MOVIES: &str = "11111111111111111111111111111111";
pub const SHOWS: &str = "22222222222222222222222222222222";
pub const FILM: &str = "33333333333333333333333333333333";
pub const FILM2: &str = "44444444444444444444444444444444";
pub const SERIES: &str = "55555555555555555555555555555555";
pub const SEASON: &str = "66666666666666666666666666666666";
pub const EPISODE1: &str = "77777777777777777777777777777777";
pub const EPISODE2: &str = "88888888888888888888888888888888";
pub const SOURCE: &str = "99999999999999999999999999999999";
/// The home-videos library ([`ServerSetup::with_home_videos`]) and its one
/// video, which has no length.
pub const HOME_VIDEOS: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
pub const HOME_VIDEO: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/// The device the tests sign in as.
pub const DEVICE_ID: &str = "0123456789abcdef0123456789abcdef";

pub fn device() -> matinee_jellyfin::DeviceInfo {
    matinee_jellyfin::DeviceInfo {
        client: "Matinee".into(),
        device: "test box".into(),
        device_id: DEVICE_ID.into(),
        version: "0.1.0".into(),
    }
}

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0d, 0x49, 0x44, 0x41, 0x54,
    0x78, 0x9c, 0x63, 0x60, 0, 0, 0, 2, 0, 1, 0xe5, 0x27, 0xde, 0xfc, 0, 0, 0, 0, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub template: String,
    pub query: Vec<(String, String)>,
    pub authorization: Option<String>,
    pub body: Value,
}

/// How long a Quick Connect request lives
/// (Emby.Server.Implementations/QuickConnect/QuickConnectManager.cs,
/// `Timeout = 10` minutes).
const QUICK_CONNECT_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// The server's defaults for resume points
/// (MediaBrowser.Model/Configuration/ServerConfiguration.cs).
const MIN_RESUME_PCT: f64 = 5.0;
const MAX_RESUME_PCT: f64 = 90.0;
const MIN_RESUME_DURATION_SECONDS: f64 = 300.0;
const TICKS_PER_SECOND: i64 = 10_000_000;

/// What kind of server (and user) the fake plays.
#[derive(Debug, Clone)]
pub struct ServerSetup {
    /// The `Version` of `/System/Info/Public`.
    pub version: String,
    /// The user has "Allow playback that requires remuxing"; without it
    /// the server reports `SupportsDirectStream = false` (direct play stays
    /// true) — Emby.Server.Implementations/Library/MediaSourceManager.cs,
    /// `source.SupportsDirectStream = user.HasPermission(EnablePlaybackRemuxing)`.
    pub remuxing_allowed: bool,
    /// The server's base URL setting, e.g. "/jellyfin": everything is
    /// served under it; a path outside it is redirected to `{base}/web/`.
    pub base_path: String,
    /// A third library, "Home videos", holding one video without a length
    /// (no `RunTimeTicks`).
    pub home_videos: bool,
    /// The series' name on this server (another server may know the same
    /// series under another name; its provider ids are the same).
    pub series_name: String,
}

impl Default for ServerSetup {
    fn default() -> Self {
        Self {
            version: "10.11.11".into(),
            remuxing_allowed: true,
            base_path: String::new(),
            home_videos: false,
            series_name: "Example Show".into(),
        }
    }
}

impl ServerSetup {
    /// A user without the remuxing permission.
    pub fn restricted_user() -> Self {
        Self {
            remuxing_allowed: false,
            ..Self::default()
        }
    }

    /// A Jellyfin 10.8 server.
    pub fn version_10_8() -> Self {
        Self {
            version: "10.8.13".into(),
            ..Self::default()
        }
    }

    /// A server with a "Home videos" library whose video has no length.
    pub fn with_home_videos() -> Self {
        Self {
            home_videos: true,
            ..Self::default()
        }
    }

    /// A friend's server knowing the series as `name`.
    pub fn series_named(name: &str) -> Self {
        Self {
            series_name: name.into(),
            ..Self::default()
        }
    }

    /// A server with its base URL set to `path` (e.g. "/jellyfin").
    pub fn under(path: &str) -> Self {
        Self {
            base_path: path.trim_end_matches('/').into(),
            ..Self::default()
        }
    }
}

/// Where the server is in its life, as a client sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    #[default]
    Running,
    /// Loading: every request but a ping is answered 503 with a page
    /// (Jellyfin.Api/Middleware/ServerStartupMessageMiddleware.cs).
    Loading,
    /// Updating its database after an upgrade: a set-up app answers
    /// `/System/Info/Public` (at the root, whatever the base URL) in its own
    /// camelCase spelling with the wizard not completed, and everything else
    /// 503 with `Retry-After: 005` (Jellyfin.Server/ServerSetupApp/SetupServer.cs).
    Updating,
    /// Refusing the caller's network (remote access off): an empty 503
    /// (Jellyfin.Api/Middleware/IpBasedAccessValidationMiddleware.cs).
    RefusingNetwork,
}

struct QuickRequest {
    code: String,
    approved: bool,
    created: Instant,
}

#[derive(Default)]
struct Inner {
    tokens: Vec<String>,
    violations: Vec<String>,
    seen: Vec<Seen>,
    quick_connect_enabled: bool,
    phase: Phase,
    /// Libraries an admin hid from the user.
    hidden: Vec<String>,
    /// The account is disabled (by an admin, or locked out).
    disabled: bool,
    /// Wrong passwords in a row, and how many lock the account out
    /// (the user's `LoginAttemptsBeforeLockout`).
    failed_logins: u32,
    lockout_after: Option<u32>,
    quick: HashMap<String, QuickRequest>,
    resume_ticks: HashMap<String, i64>,
    played: HashMap<String, bool>,
    next: u64,
}

pub struct Shared {
    inner: Mutex<Inner>,
    film: PathBuf,
    film_ticks: i64,
    film_size: u64,
    setup: ServerSetup,
}

pub struct FakeJellyfin {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeJellyfin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeJellyfin {
    /// Serves `film` as every playable item's media.
    pub async fn start(film: PathBuf, film_seconds: f64) -> Self {
        Self::start_with(film, film_seconds, ServerSetup::default()).await
    }

    /// Like [`FakeJellyfin::start`], as the server (and user) `setup` says.
    pub async fn start_with(film: PathBuf, film_seconds: f64, setup: ServerSetup) -> Self {
        spec::spec();
        let film_size = std::fs::metadata(&film).map(|m| m.len()).unwrap_or(0);
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                quick_connect_enabled: true,
                ..Inner::default()
            }),
            film,
            film_ticks: (film_seconds * 1e7) as i64,
            film_size,
            setup,
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, shared, task }
    }

    /// The server's address, with its base path when it has one.
    pub fn url(&self) -> String {
        format!("http://{}{}", self.addr, self.shared.setup.base_path)
    }

    /// A front on another port that answers every request with a 301 to
    /// the same path here, as a reverse proxy redirecting http to https
    /// does (another origin: clients drop the Authorization header, and a
    /// POST followed after a 301 becomes a GET).
    pub async fn redirect_front(&self) -> RedirectFront {
        let target = self.url();
        let app = Router::new().fallback(move |req: Request| {
            let target = target.clone();
            async move {
                let to = format!(
                    "{target}{}",
                    req.uri().path_and_query().map_or("/", |p| p.as_str())
                );
                (StatusCode::MOVED_PERMANENTLY, [("location", to)], "moved")
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        RedirectFront { addr, task }
    }

    /// Puts the server in `phase` (loading, updating, refusing the
    /// caller's network, running).
    pub fn set_phase(&self, phase: Phase) {
        self.shared.inner.lock().unwrap().phase = phase;
    }

    /// Hides a library from the user, as an admin unticking it in the
    /// user's library access does: it leaves the user's views, and listing
    /// it answers 401 (Jellyfin.Api/Controllers/ItemsController.cs,
    /// `GetItems`: "… is not permitted to access Library …").
    pub fn hide_library(&self, id: &str) {
        self.shared
            .inner
            .lock()
            .unwrap()
            .hidden
            .push(id.to_string());
    }

    /// Disables (or enables) the account, as an admin can.
    pub fn set_disabled(&self, on: bool) {
        let mut inner = self.shared.inner.lock().unwrap();
        inner.disabled = on;
        inner.failed_logins = 0;
    }

    /// Locks the account after `n` wrong passwords in a row
    /// (the user's "Maximum number of failed login attempts").
    pub fn set_lockout_after(&self, n: u32) {
        self.shared.inner.lock().unwrap().lockout_after = Some(n);
    }

    /// Whether the server marked `item` played for the user.
    pub fn played(&self, item: &str) -> bool {
        self.shared
            .inner
            .lock()
            .unwrap()
            .played
            .get(item)
            .copied()
            .unwrap_or(false)
    }

    /// Fails the test if any request broke the spec.
    pub fn assert_clean(&self) {
        let v = self.shared.inner.lock().unwrap().violations.clone();
        assert!(
            v.is_empty(),
            "requests the spec does not allow:\n{}",
            v.join("\n")
        );
    }

    pub fn violations(&self) -> Vec<String> {
        self.shared.inner.lock().unwrap().violations.clone()
    }

    pub fn seen(&self, template: &str) -> Vec<Seen> {
        self.shared
            .inner
            .lock()
            .unwrap()
            .seen
            .iter()
            .filter(|s| s.template == template)
            .cloned()
            .collect()
    }

    /// Approves a Quick Connect code, as the user would on another device.
    pub fn approve(&self, code: &str) -> bool {
        let mut inner = self.shared.inner.lock().unwrap();
        let mut found = false;
        for request in inner.quick.values_mut() {
            if request.code == code {
                request.approved = true;
                found = true;
            }
        }
        found
    }

    /// Ages every Quick Connect request by `by`, as time passing would.
    pub fn age_quick_connect(&self, by: Duration) {
        let mut inner = self.shared.inner.lock().unwrap();
        for request in inner.quick.values_mut() {
            request.created = request.created.checked_sub(by).unwrap_or(request.created);
        }
    }

    pub fn set_quick_connect(&self, on: bool) {
        self.shared.inner.lock().unwrap().quick_connect_enabled = on;
    }

    /// The access tokens it has handed out and not revoked.
    pub fn tokens(&self) -> Vec<String> {
        self.shared.inner.lock().unwrap().tokens.clone()
    }

    /// Ends every sign-in, as an admin revoking devices would.
    pub fn revoke_all(&self) {
        self.shared.inner.lock().unwrap().tokens.clear();
    }

    pub fn valid_tokens(&self) -> usize {
        self.shared.inner.lock().unwrap().tokens.len()
    }

    pub fn resume_ticks(&self, item: &str) -> Option<i64> {
        self.shared
            .inner
            .lock()
            .unwrap()
            .resume_ticks
            .get(item)
            .copied()
    }
}

fn reply(status: StatusCode, body: Value) -> Response {
    (
        status,
        [("content-type", "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// A redirecting front (see [`FakeJellyfin::redirect_front`]).
pub struct RedirectFront {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl RedirectFront {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RedirectFront {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let phase = shared.inner.lock().unwrap().phase;
    match phase {
        Phase::Running => {}
        Phase::Loading => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [("content-type", "text/html")],
                "Jellyfin Server is still loading. Please try again shortly.",
            )
                .into_response()
        }
        Phase::Updating => return setup_app(&shared, req.uri().path()),
        Phase::RefusingNetwork => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
    // A base URL: only what is under it is served; every other path is
    // redirected (302) to `{base}/web/`, by a URL relative to the one
    // asked (Jellyfin.Api/Middleware/BaseUrlRedirectionMiddleware.cs:
    // `uri.MakeRelativeUri(redirectUri)`; "web/" is the default
    // redirect path).
    let base = shared.setup.base_path.as_str();
    let req = if base.is_empty() {
        req
    } else {
        let (mut parts, body) = req.into_parts();
        let path = parts.uri.path().to_string();
        let inside = path.len() > base.len() + 1
            && path[..base.len()].eq_ignore_ascii_case(base)
            && path.as_bytes()[base.len()] == b'/';
        if !inside {
            let to = relative_uri(&path, &format!("{base}/web/"));
            return (StatusCode::FOUND, [("location", to)]).into_response();
        }
        let rest = path[base.len()..].to_string();
        let pq = match parts.uri.query() {
            Some(q) => format!("{rest}?{q}"),
            None => rest,
        };
        parts.uri = pq.parse().unwrap();
        Request::from_parts(parts, body)
    };
    let (parts, body) = req.into_parts();
    let body: Bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let method = parts.method.as_str().to_string();
    let path = parts.uri.path().to_string();
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let header = |h: &HeaderMap, k: &str| h.get(k).and_then(|v| v.to_str().ok()).map(String::from);
    let authorization = header(&parts.headers, "authorization");
    let content_type = header(&parts.headers, "content-type");
    let matched = spec::spec().check_request(
        &method,
        &path,
        &query,
        authorization.as_deref(),
        content_type.as_deref(),
        &body,
    );
    let matched = match matched {
        Ok(m) => m,
        Err(why) => {
            let msg = format!("{method} {}: {why}", parts.uri);
            shared.inner.lock().unwrap().violations.push(msg.clone());
            return (StatusCode::BAD_REQUEST, msg).into_response();
        }
    };
    let body_json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    {
        let mut inner = shared.inner.lock().unwrap();
        inner.seen.push(Seen {
            method: method.clone(),
            template: matched.template.clone(),
            query: query.clone(),
            authorization: authorization.clone(),
            body: body_json.clone(),
        });
    }
    let token = spec::token_of(authorization.as_deref());
    let authed = token
        .as_ref()
        .is_some_and(|t| shared.inner.lock().unwrap().tokens.contains(t));
    if matched.secured && !authed {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let q = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let p = |k: &str| matched.path_params.get(k).cloned().unwrap_or_default();
    let t = matched.template.as_str();

    // Binary answers first. Neither needs a token on a real server:
    // Jellyfin.Api/Controllers/VideosController.cs `GetVideoStream` and
    // ImageController.cs `GetItemImage` carry no [Authorize].
    if t == "/Videos/{itemId}/stream" {
        if !is_playable(&p("itemId")) || q("mediaSourceId").as_deref() != Some(SOURCE) {
            return StatusCode::NOT_FOUND.into_response();
        }
        let req = Request::from_parts(parts, Body::empty());
        return tower_http::services::ServeFile::new(&shared.film)
            .oneshot(req)
            .await
            .map(IntoResponse::into_response)
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    }
    if t == "/Items/{itemId}/Images/{imageType}" {
        return ([("content-type", "image/png")], PNG).into_response();
    }

    let (status, mut answer) = route(&shared, &method, t, &q, &p, &body_json, token);
    leave_out_unasked_fields(t, &query, &mut answer);
    if status == StatusCode::OK {
        if let Err(why) = spec::spec().check_response(&method, t, 200, &answer) {
            let msg = format!("the fake's answer to {method} {t} breaks the spec: {why}");
            shared.inner.lock().unwrap().violations.push(msg.clone());
            return (StatusCode::INTERNAL_SERVER_ERROR, msg).into_response();
        }
        reply(status, answer)
    } else if answer.is_null() {
        status.into_response()
    } else if let Value::String(text) = answer {
        (status, [("content-type", "text/plain")], text).into_response()
    } else {
        reply(status, answer)
    }
}

/// A list answers with the fields asked for: `ProviderIds` only with
/// `Fields=ProviderIds` (Emby.Server.Implementations/Dto/DtoService.cs,
/// `if (options.ContainsField(ItemFields.ProviderIds))`); one item by its
/// id answers with every field (`new DtoOptions()` holds them all).
fn leave_out_unasked_fields(template: &str, query: &[(String, String)], answer: &mut Value) {
    let lists = [
        "/Items",
        "/Shows/{seriesId}/Episodes",
        "/Shows/{seriesId}/Seasons",
    ];
    if !lists.contains(&template) {
        return;
    }
    let asked = query
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("fields"))
        .flat_map(|(_, v)| v.split(','))
        .any(|f| f.trim().eq_ignore_ascii_case("ProviderIds"));
    if asked {
        return;
    }
    if let Some(items) = answer.get_mut("Items").and_then(Value::as_array_mut) {
        for item in items {
            if let Some(item) = item.as_object_mut() {
                item.remove("ProviderIds");
            }
        }
    }
}

/// What the set-up app that runs a 10.11 server's updates answers
/// (Jellyfin.Server/ServerSetupApp/SetupServer.cs): its own public info at
/// the root, written with ASP.NET's web defaults (camelCase) and the wizard
/// not completed; everything else a 503 page with `Retry-After: 005`.
fn setup_app(shared: &Shared, path: &str) -> Response {
    if path.eq_ignore_ascii_case("/System/Info/Public") {
        let info = json!({
            "localAddress": "http://127.0.0.1:8096",
            "serverName": "Fake Jellyfin",
            "version": shared.setup.version,
            "productName": "Jellyfin Server",
            "operatingSystem": "",
            "id": SERVER_ID,
            "startupWizardCompleted": false
        });
        return reply(StatusCode::OK, info);
    }
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [("retry-after", "005"), ("content-type", "text/html")],
        "<html><body>Jellyfin is updating. This page reloads itself.</body></html>",
    )
        .into_response()
}

/// `from`'s URL for `to`, relative, as .NET's `Uri.MakeRelativeUri` writes
/// it for two paths on one host: up one level for each folder of `from`
/// past what they share, then the rest of `to`.
pub fn relative_uri(from: &str, to: &str) -> String {
    let dirs = |p: &str| -> Vec<String> {
        let mut segs: Vec<String> = p.split('/').skip(1).map(String::from).collect();
        segs.pop(); // the last segment is a file (or empty after a '/')
        segs
    };
    let (from_dirs, to_dirs) = (dirs(from), dirs(to));
    let shared = from_dirs
        .iter()
        .zip(&to_dirs)
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = "../".repeat(from_dirs.len() - shared);
    for d in &to_dirs[shared..] {
        out.push_str(d);
        out.push('/');
    }
    out.push_str(to.rsplit('/').next().unwrap_or(""));
    out
}

fn is_playable(id: &str) -> bool {
    [FILM, FILM2, EPISODE1, EPISODE2, HOME_VIDEO].contains(&id)
}

/// An item's length in ticks (the home video has none).
fn runtime_of(shared: &Shared, id: &str) -> Option<i64> {
    (id != HOME_VIDEO).then_some(shared.film_ticks)
}

fn route(
    shared: &Shared,
    method: &str,
    t: &str,
    q: &dyn Fn(&str) -> Option<String>,
    p: &dyn Fn(&str) -> String,
    body: &Value,
    token: Option<String>,
) -> (StatusCode, Value) {
    let ok = |v: Value| (StatusCode::OK, v);
    let none = |s: StatusCode| (s, Value::Null);
    // Jellyfin 10.8 had none of these (only the `Users/{userId}/…` forms,
    // and a GET-only Quick Connect initiate).
    if shared.setup.version.starts_with("10.8.") {
        match (method, t) {
            (_, "/UserViews" | "/Items/{itemId}") => return none(StatusCode::NOT_FOUND),
            ("POST", "/QuickConnect/Initiate") => return none(StatusCode::METHOD_NOT_ALLOWED),
            _ => {}
        }
    }
    match (method, t) {
        ("GET", "/System/Info/Public") => ok(json!({
            "LocalAddress": "http://127.0.0.1:8096",
            "ServerName": "Fake Jellyfin",
            "Version": shared.setup.version,
            "ProductName": "Jellyfin Server",
            "OperatingSystem": "",
            "Id": SERVER_ID,
            "StartupWizardCompleted": true
        })),
        // Jellyfin.Server.Implementations/Users/UserManager.cs,
        // `AuthenticateUser`: a wrong password is an AuthenticationException
        // (401) and counts towards the lockout, which disables the account;
        // a disabled account with the right password is a
        // SecurityException (403), whose text a production server hides
        // (Jellyfin.Api/Middleware/ExceptionMiddleware.cs).
        ("POST", "/Users/AuthenticateByName") => {
            let mut inner = shared.inner.lock().unwrap();
            // Names are matched upper-cased (`GetUserByName`:
            // `NormalizedUsername == name.ToUpperInvariant()`).
            let name = body["Username"].as_str().unwrap_or_default();
            if name.to_uppercase() != USER.to_uppercase() {
                return none(StatusCode::UNAUTHORIZED);
            }
            if body["Pw"] != PASSWORD {
                inner.failed_logins += 1;
                if inner
                    .lockout_after
                    .is_some_and(|n| inner.failed_logins >= n)
                {
                    inner.disabled = true;
                }
                return none(StatusCode::UNAUTHORIZED);
            }
            if inner.disabled {
                return (
                    StatusCode::FORBIDDEN,
                    Value::String("Error processing request.".into()),
                );
            }
            inner.failed_logins = 0;
            drop(inner);
            ok(auth_result(shared))
        }
        ("GET", "/Users/Me") => ok(json!({
            "Name": USER, "Id": USER_ID, "ServerId": SERVER_ID, "HasPassword": true,
            "HasConfiguredPassword": true, "EnableAutoLogin": false
        })),
        ("GET", "/QuickConnect/Enabled") => {
            ok(json!(shared.inner.lock().unwrap().quick_connect_enabled))
        }
        // Quick Connect (Jellyfin.Api/Controllers/QuickConnectController.cs,
        // Emby.Server.Implementations/QuickConnect/QuickConnectManager.cs):
        // initiate and connect answer 401 while it is off; requests expire
        // after 10 minutes; signing in with an approved secret does not
        // spend it (GetAuthorizedRequest only reads).
        ("POST", "/QuickConnect/Initiate") => {
            let mut inner = shared.inner.lock().unwrap();
            if !inner.quick_connect_enabled {
                return none(StatusCode::UNAUTHORIZED);
            }
            inner.next += 1;
            let secret = format!("{:064x}", 0xabcdef_u64 + inner.next);
            let code = format!("{:06}", 314_159 + inner.next);
            inner.quick.insert(
                secret.clone(),
                QuickRequest {
                    code: code.clone(),
                    approved: false,
                    created: Instant::now(),
                },
            );
            ok(quick_state(&secret, &code, false))
        }
        ("GET", "/QuickConnect/Connect") => {
            let secret = q("secret").unwrap_or_default();
            let mut inner = shared.inner.lock().unwrap();
            if !inner.quick_connect_enabled {
                return none(StatusCode::UNAUTHORIZED);
            }
            expire_quick_connect(&mut inner);
            match inner.quick.get(&secret) {
                Some(r) => ok(quick_state(&secret, &r.code, r.approved)),
                None => none(StatusCode::NOT_FOUND),
            }
        }
        ("POST", "/Users/AuthenticateWithQuickConnect") => {
            let secret = body["Secret"].as_str().unwrap_or_default().to_string();
            let approved = {
                let mut inner = shared.inner.lock().unwrap();
                // `GetAuthorizedRequest` asserts Quick Connect is on first
                // (AuthenticationException: 401).
                if !inner.quick_connect_enabled {
                    return none(StatusCode::UNAUTHORIZED);
                }
                expire_quick_connect(&mut inner);
                inner.quick.get(&secret).is_some_and(|r| r.approved)
            };
            if approved {
                ok(auth_result(shared))
            } else {
                none(StatusCode::UNAUTHORIZED)
            }
        }
        ("POST", "/Sessions/Logout") => {
            let mut inner = shared.inner.lock().unwrap();
            inner.tokens.retain(|t| Some(t) != token.as_ref());
            none(StatusCode::NO_CONTENT)
        }
        ("GET", "/UserViews") => {
            let mut views = vec![
                json!({ "Id": MOVIES, "Name": "Films", "Type": "CollectionFolder", "CollectionType": "movies", "IsFolder": true, "ImageTags": { "Primary": "a1" } }),
                json!({ "Id": SHOWS, "Name": "Shows", "Type": "CollectionFolder", "CollectionType": "tvshows", "IsFolder": true, "ImageTags": {} }),
            ];
            if shared.setup.home_videos {
                views.push(json!({ "Id": HOME_VIDEOS, "Name": "Home videos", "Type": "CollectionFolder", "CollectionType": "homevideos", "IsFolder": true, "ImageTags": {} }));
            }
            let hidden = shared.inner.lock().unwrap().hidden.clone();
            views.retain(|v| !hidden.iter().any(|h| v["Id"] == h.as_str()));
            let n = views.len();
            ok(page(views, 0, n))
        }
        ("GET", "/Items") => {
            let all = library(shared);
            let parent = q("parentId");
            if let Some(p) = &parent {
                if shared.inner.lock().unwrap().hidden.contains(p) {
                    let name = if p == MOVIES { "Films" } else { "Shows" };
                    return (
                        StatusCode::UNAUTHORIZED,
                        Value::String(format!("{USER} is not permitted to access Library {name}.")),
                    );
                }
            }
            let search = q("searchTerm").map(|s| s.to_lowercase());
            let types: Option<Vec<String>> =
                q("includeItemTypes").map(|t| t.split(',').map(String::from).collect());
            let matches: Vec<Value> = all
                .into_iter()
                .filter(|i| parent.as_ref().is_none_or(|p| i["ParentId"] == *p))
                .filter(|i| {
                    search
                        .as_ref()
                        .is_none_or(|s| i["Name"].as_str().unwrap_or("").to_lowercase().contains(s))
                })
                .filter(|i| {
                    types
                        .as_ref()
                        .is_none_or(|t| t.iter().any(|t| i["Type"] == *t))
                })
                .collect();
            let start: usize = q("startIndex").and_then(|s| s.parse().ok()).unwrap_or(0);
            let limit: usize = q("limit").and_then(|s| s.parse().ok()).unwrap_or(100);
            let total = matches.len();
            let items = matches.into_iter().skip(start).take(limit).collect();
            ok(page(items, start, total))
        }
        ("GET", "/Items/{itemId}") => {
            match library(shared).into_iter().find(|i| i["Id"] == p("itemId")) {
                Some(item) => ok(item),
                None => none(StatusCode::NOT_FOUND),
            }
        }
        ("GET", "/Shows/{seriesId}/Seasons") => ok(page(
            library(shared)
                .into_iter()
                .filter(|i| i["Type"] == "Season" && i["SeriesId"] == p("seriesId"))
                .collect(),
            0,
            1,
        )),
        ("GET", "/Shows/{seriesId}/Episodes") => {
            let eps: Vec<Value> = library(shared)
                .into_iter()
                .filter(|i| i["Type"] == "Episode" && i["SeriesId"] == p("seriesId"))
                .filter(|i| q("seasonId").is_none_or(|s| i["SeasonId"] == s))
                .collect();
            let n = eps.len();
            ok(page(eps, 0, n))
        }
        ("POST", "/Items/{itemId}/PlaybackInfo") => {
            let id = p("itemId");
            if !is_playable(&id) {
                // A series, season or collection exists but has no media
                // source: the real server fails with 500.
                let exists = library(shared).iter().any(|i| i["Id"] == id.as_str());
                return none(if exists {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::NOT_FOUND
                });
            }
            let mut inner = shared.inner.lock().unwrap();
            inner.next += 1;
            ok(json!({
                "MediaSources": [media_source(shared, &id)],
                "PlaySessionId": format!("{:032x}", 0x5e55_u64 + inner.next),
            }))
        }
        // Playback start marks the item unplayed (SessionManager.cs,
        // OnPlaybackStart); progress and stop both go through the
        // resume-point rules (OnPlaybackProgress, OnPlaybackStopped →
        // UserDataManager.UpdatePlayState).
        ("POST", "/Sessions/Playing") => {
            if let Some(item) = body["ItemId"].as_str() {
                shared
                    .inner
                    .lock()
                    .unwrap()
                    .played
                    .insert(item.to_string(), false);
            }
            none(StatusCode::NO_CONTENT)
        }
        ("POST", "/Sessions/Playing/Progress" | "/Sessions/Playing/Stopped") => {
            if let (Some(item), Some(ticks)) =
                (body["ItemId"].as_str(), body["PositionTicks"].as_i64())
            {
                let mut inner = shared.inner.lock().unwrap();
                let runtime = runtime_of(shared, item).unwrap_or(0);
                let (position, played) = play_state(runtime, ticks);
                inner.resume_ticks.insert(item.to_string(), position);
                if played {
                    inner.played.insert(item.to_string(), true);
                }
            }
            none(StatusCode::NO_CONTENT)
        }
        _ => none(StatusCode::NOT_IMPLEMENTED),
    }
}

fn expire_quick_connect(inner: &mut Inner) {
    inner
        .quick
        .retain(|_, r| r.created.elapsed() < QUICK_CONNECT_LIFETIME);
}

/// The resume point and "played" a reported position leaves, as
/// Emby.Server.Implementations/Library/UserDataManager.cs
/// `UpdatePlayState` computes them with the default settings: under 5 %
/// nothing is kept; over 90 % (or within a second of the end) the item is
/// played and has no resume point; an item shorter than 5 minutes is played
/// and has none either; an item without a length is played at its first
/// report. Returns (resume ticks, played).
pub fn play_state(runtime_ticks: i64, position_ticks: i64) -> (i64, bool) {
    if runtime_ticks <= 0 {
        // "If we don't know the runtime we'll just have to assume it was
        // fully played": played at once, no resume point.
        return (0, true);
    }
    if position_ticks <= 0 {
        return (0, false);
    }
    let pct = position_ticks as f64 / runtime_ticks as f64 * 100.0;
    if pct < MIN_RESUME_PCT {
        (0, false)
    } else if pct > MAX_RESUME_PCT
        || position_ticks >= runtime_ticks - TICKS_PER_SECOND
        || (runtime_ticks as f64 / TICKS_PER_SECOND as f64) < MIN_RESUME_DURATION_SECONDS
    {
        // Near the end, or an item too short to resume: played.
        (0, true)
    } else {
        (position_ticks, false)
    }
}

fn auth_result(shared: &Shared) -> Value {
    let mut inner = shared.inner.lock().unwrap();
    inner.next += 1;
    let token = format!("{:032x}", 0x70c0_u64 * 1000 + inner.next);
    inner.tokens.push(token.clone());
    json!({
        "User": { "Name": USER, "Id": USER_ID, "ServerId": SERVER_ID, "HasPassword": true },
        "AccessToken": token,
        "ServerId": SERVER_ID
    })
}

fn quick_state(secret: &str, code: &str, approved: bool) -> Value {
    json!({
        "Authenticated": approved,
        "Secret": secret,
        "Code": code,
        "DeviceId": "device",
        "DeviceName": "Matinee",
        "AppName": "Matinee",
        "AppVersion": "0.1.0",
        "DateAdded": "2026-11-22T10:00:00.0000000Z"
    })
}

fn page(items: Vec<Value>, start: usize, total: usize) -> Value {
    json!({ "Items": items, "TotalRecordCount": total, "StartIndex": start })
}

fn media_source(shared: &Shared, item: &str) -> Value {
    // The server leaves out what it does not know (JsonDefaults:
    // `DefaultIgnoreCondition = WhenWritingNull`).
    let mut source = json!({
        "Id": SOURCE,
        "Name": "clip",
        "Container": "mkv",
        "Size": shared.film_size,
        "RunTimeTicks": runtime_of(shared, item),
        "SupportsDirectStream": shared.setup.remuxing_allowed,
        "SupportsDirectPlay": true,
        "SupportsTranscoding": false,
        "Protocol": "File",
        "Type": "Default"
    });
    source
        .as_object_mut()
        .expect("an object")
        .retain(|_, v| !v.is_null());
    source
}

fn library(shared: &Shared) -> Vec<Value> {
    let inner = shared.inner.lock().unwrap();
    let user_data = |id: &str| {
        json!({
            "PlaybackPositionTicks": inner.resume_ticks.get(id).copied().unwrap_or(0),
            "Played": inner.played.get(id).copied().unwrap_or(false),
            "PlayCount": 0,
            "IsFavorite": false,
            "Key": id,
            "ItemId": id
        })
    };
    let film = |id: &str, name: &str, year: i32, tmdb: &str, imdb: &str| {
        json!({
            "Id": id, "Name": name, "Type": "Movie", "ParentId": MOVIES, "IsFolder": false,
            "ProductionYear": year, "RunTimeTicks": shared.film_ticks,
            "Overview": format!("{name}, a test film."),
            "ProviderIds": { "Tmdb": tmdb, "Imdb": imdb },
            "ImageTags": { "Primary": "p1" },
            "UserData": user_data(id),
            "MediaSources": [media_source(shared, id)]
        })
    };
    let series_name = shared.setup.series_name.as_str();
    let episode = |id: &str, n: i32| {
        json!({
            "Id": id, "Name": format!("Episode {n}"), "Type": "Episode", "ParentId": SEASON,
            "SeriesId": SERIES, "SeriesName": series_name, "SeasonId": SEASON,
            "IndexNumber": n, "ParentIndexNumber": 1, "IsFolder": false,
            "RunTimeTicks": shared.film_ticks, "ProviderIds": { "Tvdb": format!("{}", 900 + n) },
            "ImageTags": {}, "UserData": user_data(id),
            "MediaSources": [media_source(shared, id)]
        })
    };
    let mut items = vec![
        film(FILM, "Big Buck Bunny", 2008, "10378", "tt1254207"),
        film(FILM2, "Sintel", 2010, "45745", "tt1727587"),
        json!({ "Id": SERIES, "Name": series_name, "Type": "Series", "ParentId": SHOWS, "IsFolder": true,
                "ProductionYear": 2020, "ProviderIds": { "Tvdb": "12345" }, "ImageTags": { "Primary": "s1" } }),
        json!({ "Id": SEASON, "Name": "Season 1", "Type": "Season", "ParentId": SERIES, "SeriesId": SERIES,
                "SeriesName": series_name, "IndexNumber": 1, "IsFolder": true, "ImageTags": {} }),
        episode(EPISODE1, 1),
        episode(EPISODE2, 2),
    ];
    if shared.setup.home_videos {
        // A video the server could not measure: no RunTimeTicks at all.
        items.push(json!({
            "Id": HOME_VIDEO, "Name": "Beach day", "Type": "Video", "ParentId": HOME_VIDEOS,
            "IsFolder": false, "ImageTags": {}, "UserData": user_data(HOME_VIDEO),
            "MediaSources": [media_source(shared, HOME_VIDEO)]
        }));
    }
    // What sits in a hidden library is not the user's to see: the server
    // checks each item against the user's library access.
    let hidden = &inner.hidden;
    let library_of = |i: &Value| -> String {
        if i["Type"] == "Series" || i["SeriesId"].is_string() {
            SHOWS.into()
        } else {
            i["ParentId"].as_str().unwrap_or_default().into()
        }
    };
    items.retain(|i| !hidden.contains(&library_of(i)));
    items
}

/// Sends a raw request (for tests that the checker refuses bad ones).
pub async fn raw(
    fake: &FakeJellyfin,
    method: Method,
    path_and_query: &str,
    authorization: Option<&str>,
    body: Option<Value>,
) -> u16 {
    let client = reqwest::Client::new();
    let mut req = client.request(method, format!("{}{path_and_query}", fake.url()));
    if let Some(a) = authorization {
        req = req.header("Authorization", a);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap().status().as_u16()
}

#[cfg(test)]
mod tests {
    use super::{play_state, relative_uri};

    #[test]
    fn redirects_are_relative_as_dotnet_writes_them() {
        assert_eq!(
            relative_uri("/System/Info/Public", "/jellyfin/web/"),
            "../../jellyfin/web/"
        );
        assert_eq!(relative_uri("/", "/jellyfin/web/"), "jellyfin/web/");
        assert_eq!(relative_uri("/jellyfin", "/jellyfin/web/"), "jellyfin/web/");
        assert_eq!(relative_uri("/jellyfin/", "/jellyfin/web/"), "web/");
        assert_eq!(
            relative_uri("/jf/a/b", "/jellyfin/web/"),
            "../../jellyfin/web/"
        );
    }

    const S: i64 = 10_000_000;

    #[test]
    fn resume_points_follow_the_server_s_rules() {
        // A two-hour film: under 5 % nothing, over 90 % played.
        assert_eq!(play_state(7200 * S, 100 * S), (0, false));
        assert_eq!(play_state(7200 * S, 3600 * S), (3600 * S, false));
        assert_eq!(play_state(7200 * S, 6700 * S), (0, true));
        assert_eq!(play_state(7200 * S, 7199 * S + S / 2), (0, true));
        // A 20 s clip stopped at 12 s: too short to resume, so played.
        assert_eq!(play_state(20 * S, 12 * S), (0, true));
        // …but 0.5 s in is still under 5 %.
        assert_eq!(play_state(20 * S, S / 2), (0, false));
        // Without a length: played at once, wherever it is.
        assert_eq!(play_state(0, 0), (0, true));
        assert_eq!(play_state(0, 30 * S), (0, true));
    }
}
