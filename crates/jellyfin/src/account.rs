//! The app's Jellyfin account across launches: which server, who is signed
//! in (a small JSON profile, no secret in it) and the token (in a
//! [`TokenStore`], the OS keyring in the app).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::client::{JellyfinClient, Session, Token};
use crate::{DeviceInfo, JellyfinError, TokenStore};

/// The keyring service Matinee's tokens are filed under.
pub const KEYRING_SERVICE: &str = "app.matinee.desktop";

/// What is remembered between launches. Never holds the token.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Profile {
    pub server_url: String,
    pub server_name: String,
    pub server_version: String,
    pub server_id: String,
    pub user_id: String,
    pub user_name: String,
}

/// What the window shows about the account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
#[ts(export, rename = "JellyfinStatus")]
pub struct AccountStatus {
    /// The server chosen, if any.
    pub server: Option<ServerSummary>,
    /// The signed-in user's name, if signed in.
    pub user: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ServerSummary {
    pub url: String,
    pub name: String,
    pub version: String,
}

/// The profile file, the token store and the live client.
pub struct Account {
    device: DeviceInfo,
    store: Arc<dyn TokenStore>,
    profile_path: PathBuf,
    profile: Option<Profile>,
    client: Option<JellyfinClient>,
    quick_connect_secret: Option<String>,
    posters: PosterCache,
}

impl Account {
    /// An account with nothing chosen yet; call [`Account::restore`] to pick
    /// up the last launch's server and sign-in.
    pub fn new(device: DeviceInfo, store: Arc<dyn TokenStore>, profile_path: PathBuf) -> Self {
        Self {
            device,
            store,
            profile_path,
            profile: None,
            client: None,
            quick_connect_secret: None,
            posters: PosterCache::default(),
        }
    }

    /// Reads the profile and the token. A missing token (deleted from the
    /// keyring, or a keyring that is locked) leaves the server chosen and
    /// the user signed out; a broken profile file is ignored.
    pub async fn restore(&mut self) -> Result<AccountStatus, JellyfinError> {
        let Some(profile) = std::fs::read_to_string(&self.profile_path)
            .ok()
            .and_then(|t| serde_json::from_str::<Profile>(&t).ok())
            .filter(|p| !p.server_url.is_empty())
        else {
            return Ok(self.status());
        };
        let client = JellyfinClient::new(&profile.server_url, self.device.clone())?;
        self.client = Some(client);
        self.profile = Some(profile.clone());
        if profile.user_id.is_empty() {
            return Ok(self.status());
        }
        let account = format!("{}/{}", profile.server_id, profile.user_id);
        let token = self.blocking(move |s| s.load(&account)).await;
        match token {
            Ok(Some(token)) => {
                let session = Session {
                    server_id: profile.server_id.clone(),
                    user_id: profile.user_id.clone(),
                    user_name: profile.user_name.clone(),
                    token: Token::new(token),
                };
                self.client = self.client.take().map(|c| c.with_session(session));
                Ok(self.status())
            }
            Ok(None) => {
                self.forget_user().await?;
                Ok(self.status())
            }
            Err(e) => Err(e),
        }
    }

    pub fn status(&self) -> AccountStatus {
        let Some(p) = &self.profile else {
            return AccountStatus::default();
        };
        AccountStatus {
            server: Some(ServerSummary {
                url: p.server_url.clone(),
                name: p.server_name.clone(),
                version: p.server_version.clone(),
            }),
            user: self
                .client
                .as_ref()
                .and_then(JellyfinClient::session)
                .map(|s| s.user_name.clone()),
        }
    }

    /// Checks `url` is a Jellyfin server and makes it the chosen one. A
    /// sign-in on another server is ended first.
    pub async fn connect(&mut self, url: &str) -> Result<AccountStatus, JellyfinError> {
        let mut client = JellyfinClient::new(url, self.device.clone())?;
        // A server that redirects is stored at the address it leads to.
        let info = client.public_info().await?;
        if self.client.as_ref().is_some_and(|c| c.session().is_some()) {
            self.sign_out().await?;
        }
        let profile = Profile {
            server_url: client.base_url().to_string(),
            server_name: info.server_name.unwrap_or_else(|| "Jellyfin".into()),
            server_version: info.version.unwrap_or_default(),
            server_id: info.id.unwrap_or_default(),
            ..Profile::default()
        };
        self.save_profile(&profile)?;
        self.profile = Some(profile);
        self.client = Some(client);
        self.quick_connect_secret = None;
        Ok(self.status())
    }

    fn chosen(&mut self) -> Result<&mut JellyfinClient, JellyfinError> {
        self.client.as_mut().ok_or(JellyfinError::NoServer)
    }

    /// Signs in with a password; the token goes to the store.
    pub async fn sign_in(
        &mut self,
        username: &str,
        password: &str,
    ) -> Result<AccountStatus, JellyfinError> {
        let session = self.chosen()?.sign_in(username, password).await?;
        self.keep(session).await
    }

    /// Starts Quick Connect and returns the code to show.
    pub async fn quick_connect_start(&mut self) -> Result<String, JellyfinError> {
        let started = self.chosen()?.quick_connect_start().await?;
        self.quick_connect_secret = Some(started.secret);
        Ok(started.code)
    }

    /// Whether the code was approved; once it is, signs in.
    pub async fn quick_connect_poll(&mut self) -> Result<Option<AccountStatus>, JellyfinError> {
        let secret = self
            .quick_connect_secret
            .clone()
            .ok_or(JellyfinError::QuickConnectExpired)?;
        let client = self.chosen()?;
        if !client.quick_connect_approved(&secret).await? {
            return Ok(None);
        }
        let session = client.quick_connect_finish(&secret).await?;
        self.quick_connect_secret = None;
        self.keep(session).await.map(Some)
    }

    async fn keep(&mut self, session: Session) -> Result<AccountStatus, JellyfinError> {
        let account = session.account();
        let token = session.token.expose().to_string();
        self.blocking(move |s| s.save(&account, &token)).await?;
        let mut profile = self.profile.clone().unwrap_or_default();
        profile.server_id = session.server_id.clone();
        profile.user_id = session.user_id.clone();
        profile.user_name = session.user_name.clone();
        self.save_profile(&profile)?;
        self.profile = Some(profile);
        Ok(self.status())
    }

    /// Ends the session on the server and forgets the token. The server
    /// stays chosen. When the server cannot be reached the token is still
    /// forgotten here, and the error says the server was not told.
    pub async fn sign_out(&mut self) -> Result<AccountStatus, JellyfinError> {
        self.quick_connect_secret = None;
        let Some(client) = self.client.as_mut() else {
            return Ok(self.status());
        };
        let revoked = client.sign_out().await;
        self.forget_user().await?;
        revoked.map(|()| self.status())
    }

    /// The server ended our sign-in (a 401): forget the token so the window
    /// asks again.
    pub async fn signed_out_by_server(&mut self) -> Result<(), JellyfinError> {
        if let Some(c) = self.client.take() {
            self.client = Some(JellyfinClient::new(
                c.base_url().as_str(),
                self.device.clone(),
            )?);
        }
        self.forget_user().await
    }

    async fn forget_user(&mut self) -> Result<(), JellyfinError> {
        let Some(mut profile) = self.profile.clone() else {
            return Ok(());
        };
        if !profile.user_id.is_empty() {
            let account = format!("{}/{}", profile.server_id, profile.user_id);
            // A keyring that fails here is reported in the log: the sign-in
            // is over either way.
            if let Err(e) = self.blocking(move |s| s.delete(&account)).await {
                tracing::warn!("jellyfin: could not delete the token: {e}");
            }
        }
        profile.user_id.clear();
        profile.user_name.clear();
        self.save_profile(&profile)?;
        self.profile = Some(profile);
        self.posters.clear();
        Ok(())
    }

    /// A signed-in client for browsing and playing (cheap to clone: use it
    /// without holding the account).
    pub fn client(&self) -> Result<JellyfinClient, JellyfinError> {
        match &self.client {
            Some(c) if c.session().is_some() => Ok(c.clone()),
            Some(_) => Err(JellyfinError::NotSignedIn),
            None => Err(JellyfinError::NoServer),
        }
    }

    /// The poster cache, shared so posters load without the account.
    pub fn posters(&self) -> PosterCache {
        self.posters.clone()
    }

    fn save_profile(&self, profile: &Profile) -> Result<(), JellyfinError> {
        let io = |e: std::io::Error| JellyfinError::Storage(e.to_string());
        if let Some(dir) = self.profile_path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = self.profile_path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(profile).expect("profile serialises");
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, &self.profile_path).map_err(io)
    }

    /// Runs a keyring call on a blocking thread.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn TokenStore) -> Result<T, JellyfinError> + Send + 'static,
    ) -> Result<T, JellyfinError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(|e| JellyfinError::Keyring(e.to_string()))?
    }
}

/// Posters as `data:` URLs (the window's content policy allows those and
/// nothing remote), kept in memory so scrolling back costs nothing.
#[derive(Clone, Default)]
pub struct PosterCache(Arc<Mutex<HashMap<PosterKey, Arc<str>>>>);

/// An item id and a height in pixels.
type PosterKey = (String, u32);

/// How many posters are kept before the cache starts over.
const POSTERS_KEPT: usize = 600;

impl PosterCache {
    /// The poster of `id` at `height` pixels, from the cache or the server.
    pub async fn get(
        &self,
        client: &JellyfinClient,
        id: &str,
        height: u32,
    ) -> Result<Arc<str>, JellyfinError> {
        let key = (id.to_string(), height);
        if let Some(hit) = self.0.lock().expect("poster lock").get(&key) {
            return Ok(hit.clone());
        }
        let (mime, bytes) = client.poster(id, height).await?;
        if !mime.starts_with("image/") {
            return Err(JellyfinError::Decode(format!("a poster of type {mime}")));
        }
        let url: Arc<str> = format!(
            "data:{mime};base64,{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
        .into();
        let mut map = self.0.lock().expect("poster lock");
        if map.len() >= POSTERS_KEPT {
            map.clear();
        }
        map.insert(key, url.clone());
        Ok(url)
    }

    pub fn len(&self) -> usize {
        self.0.lock().expect("poster lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn clear(&self) {
        self.0.lock().expect("poster lock").clear();
    }
}
