//! The `Authorization: MediaBrowser …` header Jellyfin expects, and the
//! device identity it carries.

use std::path::Path;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but unreserved URI characters is encoded in header values.
const VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Who is calling: the app, the machine, a stable id per install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub client: String,
    pub device: String,
    pub device_id: String,
    pub version: String,
}

impl DeviceInfo {
    /// Matinee's identity, with the device id kept in `id_file` (created on
    /// first use) so the server sees one device per install.
    pub fn for_install(id_file: &Path) -> std::io::Result<Self> {
        let device_id = match std::fs::read_to_string(id_file) {
            Ok(id) if valid_device_id(id.trim()) => id.trim().to_string(),
            _ => {
                let id = new_device_id();
                if let Some(dir) = id_file.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::write(id_file, &id)?;
                id
            }
        };
        Ok(Self {
            client: "Matinee".into(),
            device: hostname(),
            device_id,
            version: env!("CARGO_PKG_VERSION").into(),
        })
    }

    /// The header value, with the token when signed in.
    pub fn authorization(&self, token: Option<&str>) -> String {
        let enc = |v: &str| utf8_percent_encode(v, VALUE).to_string();
        let mut h = format!(
            "MediaBrowser Client=\"{}\", Device=\"{}\", DeviceId=\"{}\", Version=\"{}\"",
            enc(&self.client),
            enc(&self.device),
            enc(&self.device_id),
            enc(&self.version)
        );
        if let Some(token) = token {
            h.push_str(&format!(", Token=\"{}\"", enc(token)));
        }
        h
    }
}

fn valid_device_id(id: &str) -> bool {
    (16..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric())
}

fn new_device_id() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "Matinee desktop".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_encodes_values_and_adds_the_token_when_given() {
        let d = DeviceInfo {
            client: "Matinee".into(),
            device: "Ana's \"laptop\"".into(),
            device_id: "abc123".into(),
            version: "0.1.0".into(),
        };
        assert_eq!(
            d.authorization(None),
            "MediaBrowser Client=\"Matinee\", Device=\"Ana%27s%20%22laptop%22\", DeviceId=\"abc123\", Version=\"0.1.0\""
        );
        assert!(d.authorization(Some("t0k")).ends_with(", Token=\"t0k\""));
    }

    #[test]
    fn the_device_id_is_stable_per_install() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("device-id");
        let a = DeviceInfo::for_install(&file).unwrap();
        let b = DeviceInfo::for_install(&file).unwrap();
        assert_eq!(a.device_id, b.device_id);
        assert_eq!(a.device_id.len(), 32);
        std::fs::write(&file, "bad id!").unwrap();
        let c = DeviceInfo::for_install(&file).unwrap();
        assert_ne!(c.device_id, "bad id!", "a damaged id is replaced");
    }
}
