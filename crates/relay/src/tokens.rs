//! Resume tokens a relay can check without remembering them: each names its
//! room and participant and carries an HMAC-SHA256 over both. With a key
//! kept in a file (`--resume-secret-file`), a restarted relay can still tell
//! a room's members from strangers and rebuild the room from what they
//! remember; with a key made at start, it cannot, and nothing is rebuilt.

use std::io::Write;
use std::path::Path;

use hmac::{Hmac, Mac};
use matinee_protocol::{ParticipantId, RoomCode};
use rand::Rng;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

pub(crate) struct TokenSigner {
    key: [u8; 32],
    /// The key outlives this process: rooms can be rebuilt after a restart.
    pub persistent: bool,
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

impl TokenSigner {
    /// The key from `file` (made there, readable by the owner only, when
    /// missing), or a fresh one for this process.
    pub fn load(file: Option<&Path>) -> std::io::Result<Self> {
        let Some(path) = file else {
            return Ok(Self {
                key: rand::rng().random(),
                persistent: false,
            });
        };
        let key = match std::fs::read_to_string(path) {
            Ok(text) => unhex(text.trim())
                .and_then(|k| <[u8; 32]>::try_from(k).ok())
                .ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{} does not hold a resume secret", path.display()),
                    )
                })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = rand::rng().random();
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                let mut f = std::fs::OpenOptions::new();
                f.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut f, 0o600);
                f.open(path)?.write_all(hex(&key).as_bytes())?;
                key
            }
            Err(e) => return Err(e),
        };
        Ok(Self {
            key,
            persistent: true,
        })
    }

    /// A key every node of a cluster shares.
    pub fn shared(key: [u8; 32]) -> Self {
        Self {
            key,
            persistent: true,
        }
    }

    pub fn key(&self) -> [u8; 32] {
        self.key
    }

    fn mac(&self, code: &RoomCode, pid: ParticipantId, nonce: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("any key length");
        mac.update(code.as_str().as_bytes());
        mac.update(&pid.to_be_bytes());
        mac.update(nonce.as_bytes());
        mac
    }

    /// A token for participant `pid` of room `code`.
    pub fn mint(&self, code: &RoomCode, pid: ParticipantId) -> String {
        let nonce = hex(&rand::rng().random::<[u8; 8]>());
        let tag = self.mac(code, pid, &nonce).finalize().into_bytes();
        format!("{pid}-{nonce}-{}", hex(&tag))
    }

    /// The participant a token was minted for in room `code`, if this key
    /// minted it.
    pub fn verify(&self, code: &RoomCode, token: &str) -> Option<ParticipantId> {
        let mut parts = token.splitn(3, '-');
        let pid: ParticipantId = parts.next()?.parse().ok()?;
        let nonce = parts.next()?;
        let tag = unhex(parts.next()?)?;
        self.mac(code, pid, nonce).verify_slice(&tag).ok()?;
        Some(pid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_for_their_room_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        let signer = TokenSigner::load(Some(&file)).unwrap();
        assert!(signer.persistent);
        let room = RoomCode::parse("K7MQ2X").unwrap();
        let other = RoomCode::parse("ABCDEF").unwrap();
        let token = signer.mint(&room, 7);
        assert_eq!(signer.verify(&room, &token), Some(7));
        assert_eq!(signer.verify(&other, &token), None, "another room");
        let forged = token.replacen("7-", "1-", 1);
        assert_eq!(signer.verify(&room, &forged), None, "another seat");
        assert_eq!(signer.verify(&room, "7-00-00"), None);
        assert_eq!(signer.verify(&room, "garbage"), None);

        // The same file, the same key: a restarted relay still verifies.
        let again = TokenSigner::load(Some(&file)).unwrap();
        assert_eq!(again.verify(&room, &token), Some(7));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        // Tokens are long and unguessable.
        assert!(token.len() > 80);
        assert_ne!(signer.mint(&room, 7), token);
        // A key made for one process does not.
        let fresh = TokenSigner::load(None).unwrap();
        assert!(!fresh.persistent);
        assert_eq!(fresh.verify(&room, &token), None);
    }
}
