//! The host's endpoint key: made once per install and kept in the config
//! directory, so that the endpoint id (what invites carry) stays the same
//! from one evening to the next.
//!
//! A file others can read, or one that does not hold a key, is replaced
//! (with a warning): never a crash, and never a key others may have read.

use std::io::Write;
use std::path::Path;

use iroh::SecretKey;

use crate::P2pError;

/// The key's file name in the config directory.
pub const KEY_FILE: &str = "p2p-secret-key";

/// The key, and why it is new when the old file could not be used.
pub struct LoadedKey {
    pub key: SecretKey,
    /// Set when an existing file was replaced (endpoint ids in older
    /// invites no longer work).
    pub warning: Option<String>,
}

impl std::fmt::Debug for LoadedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret itself.
        f.debug_struct("LoadedKey")
            .field("id", &self.key.public().to_string())
            .field("warning", &self.warning)
            .finish()
    }
}

/// Reads the key from `dir`, or makes one.
pub fn load_or_create_key(dir: &Path) -> Result<LoadedKey, P2pError> {
    let path = dir.join(KEY_FILE);
    let failed = |reason: String| P2pError::Key {
        path: path.display().to_string(),
        reason,
    };
    let warning = match std::fs::read_to_string(&path) {
        Ok(text) => match (parse(&text), readable_by_others(&path)) {
            (Some(key), false) => return Ok(LoadedKey { key, warning: None }),
            (Some(_), true) => Some(format!(
                "{} could be read by other users of this computer; made a new one \
                 (invites sent before now no longer connect peer-to-peer)",
                path.display()
            )),
            (None, _) => Some(format!(
                "{} did not hold a key; made a new one (invites sent before now no \
                 longer connect peer-to-peer)",
                path.display()
            )),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => Some(format!(
            "{} could not be read ({e}); made a new one",
            path.display()
        )),
    };
    if let Some(w) = &warning {
        tracing::warn!("{w}");
    }
    let key = SecretKey::from_bytes(&rand::random::<[u8; 32]>());
    std::fs::create_dir_all(dir).map_err(|e| failed(e.to_string()))?;
    write_private(&path, &hex(&key.to_bytes())).map_err(|e| failed(e.to_string()))?;
    Ok(LoadedKey { key, warning })
}

fn parse(text: &str) -> Option<SecretKey> {
    let text = text.trim();
    if text.len() != 64 {
        return None;
    }
    let mut bytes = [0u8; 32];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(SecretKey::from_bytes(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(unix)]
fn readable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0)
}

#[cfg(not(unix))]
fn readable_by_others(_path: &Path) -> bool {
    // The file lives in the user's own profile directory, whose ACL keeps
    // other users out.
    false
}

/// Writes `text` to `path` readable by the owner only, replacing it
/// whole (a new file renamed over the old).
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("new");
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_kept_and_a_bad_file_is_replaced_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create_key(dir.path()).unwrap();
        assert!(first.warning.is_none());
        let again = load_or_create_key(dir.path()).unwrap();
        assert_eq!(again.key.public(), first.key.public(), "same id each start");
        assert!(again.warning.is_none());
        assert!(!format!("{again:?}").contains(&hex(&again.key.to_bytes())));

        std::fs::write(dir.path().join(KEY_FILE), "not a key").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                dir.path().join(KEY_FILE),
                std::fs::Permissions::from_mode(0o600),
            )
            .unwrap();
        }
        let replaced = load_or_create_key(dir.path()).unwrap();
        assert!(replaced.warning.unwrap().contains("did not hold a key"));
        assert_ne!(replaced.key.public(), first.key.public());

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = dir.path().join(KEY_FILE);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let replaced_again = load_or_create_key(dir.path()).unwrap();
            assert!(replaced_again
                .warning
                .unwrap()
                .contains("could be read by other users"));
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            assert_eq!(
                load_or_create_key(dir.path()).unwrap().key.public(),
                replaced_again.key.public()
            );
        }
    }
}
