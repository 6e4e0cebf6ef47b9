//! Where access tokens live: the OS keyring, never a file.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::JellyfinError;

/// Keeps a secret per account.
pub trait TokenStore: Send + Sync {
    fn load(&self, account: &str) -> Result<Option<String>, JellyfinError>;
    fn save(&self, account: &str, token: &str) -> Result<(), JellyfinError>;
    fn delete(&self, account: &str) -> Result<(), JellyfinError>;
}

/// The OS keyring (Secret Service, Keychain, Credential Manager). Calls
/// block: run them off the async runtime (`spawn_blocking`).
#[derive(Debug, Clone)]
pub struct KeyringStore {
    service: String,
}

impl KeyringStore {
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
        }
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry, JellyfinError> {
        keyring::Entry::new(&self.service, account).map_err(keyring_error)
    }
}

fn keyring_error(e: keyring::Error) -> JellyfinError {
    JellyfinError::Keyring(match e {
        keyring::Error::NoStorageAccess(_) | keyring::Error::PlatformFailure(_) => format!(
            "{e} (on Linux a Secret Service such as GNOME Keyring or KWallet must be running and unlocked)"
        ),
        other => other.to_string(),
    })
}

impl TokenStore for KeyringStore {
    fn load(&self, account: &str) -> Result<Option<String>, JellyfinError> {
        match self.entry(account)?.get_password() {
            Ok(t) => Ok(Some(t)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(e)),
        }
    }

    fn save(&self, account: &str, token: &str) -> Result<(), JellyfinError> {
        self.entry(account)?
            .set_password(token)
            .map_err(keyring_error)
    }

    fn delete(&self, account: &str) -> Result<(), JellyfinError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keyring_error(e)),
        }
    }
}

/// In memory, for tests of code that needs a store.
#[derive(Debug, Default)]
pub struct MemoryStore(Mutex<HashMap<String, String>>);

impl TokenStore for MemoryStore {
    fn load(&self, account: &str) -> Result<Option<String>, JellyfinError> {
        Ok(self.0.lock().expect("store lock").get(account).cloned())
    }

    fn save(&self, account: &str, token: &str) -> Result<(), JellyfinError> {
        self.0
            .lock()
            .expect("store lock")
            .insert(account.into(), token.into());
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<(), JellyfinError> {
        self.0.lock().expect("store lock").remove(account);
        Ok(())
    }
}
