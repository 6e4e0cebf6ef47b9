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
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

pub(crate) struct TokenSigner {
    key: [u8; 32],
    /// The key outlives this process: rooms can be rebuilt after a restart.
    pub persistent: bool,
}

/// Compares secrets in time independent of where they differ.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
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

/// Who the host removed from a room: their seats, and their addresses as
/// keyed tags (a proof the host holds must not reveal others' addresses).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Bans {
    #[serde(default)]
    pub seats: Vec<ParticipantId>,
    #[serde(default)]
    pub addrs: Vec<String>,
}

/// Most bans a room keeps (the oldest go first).
pub(crate) const MAX_BANS: usize = 64;

/// Adds `item` unless present, keeping the newest [`MAX_BANS`].
fn push_new<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if list.contains(&item) {
        return;
    }
    list.push(item);
    let excess = list.len().saturating_sub(MAX_BANS);
    list.drain(..excess);
}

impl Bans {
    pub fn add(&mut self, seat: ParticipantId, addr_tag: Option<String>) {
        push_new(&mut self.seats, seat);
        if let Some(tag) = addr_tag {
            push_new(&mut self.addrs, tag);
        }
    }

    pub fn merge(&mut self, other: &Bans) {
        for s in &other.seats {
            push_new(&mut self.seats, *s);
        }
        for a in &other.addrs {
            push_new(&mut self.addrs, a.clone());
        }
    }

    pub fn has_seat(&self, seat: ParticipantId) -> bool {
        self.seats.contains(&seat)
    }

    pub fn has_addr(&self, tag: &str) -> bool {
        self.addrs.iter().any(|a| a == tag)
    }
}

/// What a host proof states: this seat of this room was made host at this
/// server time, and these were the room's bans then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct HostProof {
    pub room: String,
    pub seat: ParticipantId,
    pub issued_ms: u64,
    #[serde(default)]
    pub bans: Bans,
}

impl TokenSigner {
    fn proof_mac(&self, payload: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("any key length");
        mac.update(b"matinee host proof\0");
        mac.update(payload);
        mac
    }

    /// A signed host proof: hex of its JSON, a dot, hex of the HMAC.
    pub fn sign_host_proof(&self, proof: &HostProof) -> String {
        let payload = serde_json::to_vec(proof).expect("serialisable");
        let tag = self.proof_mac(&payload).finalize().into_bytes();
        format!("{}.{}", hex(&payload), hex(&tag))
    }

    /// The proof `text` states, if this key signed it for room `code`.
    pub fn verify_host_proof(&self, code: &RoomCode, text: &str) -> Option<HostProof> {
        let (payload, tag) = text.split_once('.')?;
        let payload = unhex(payload)?;
        self.proof_mac(&payload).verify_slice(&unhex(tag)?).ok()?;
        let proof: HostProof = serde_json::from_slice(&payload).ok()?;
        (proof.room == code.as_str()).then_some(proof)
    }

    /// A keyed tag of an address (its /64 for IPv6), for bans.
    pub fn address_tag(&self, ip: std::net::IpAddr) -> Option<String> {
        if ip.is_unspecified() {
            return None;
        }
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("any key length");
        mac.update(b"matinee address\0");
        mac.update(crate::limits::address_key(ip).to_string().as_bytes());
        Some(hex(&mac.finalize().into_bytes()[..12]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_proofs_verify_only_unchanged_for_their_room() {
        let signer = TokenSigner::load(None).unwrap();
        let room = RoomCode::parse("K7MQ2X").unwrap();
        let mut bans = Bans::default();
        bans.add(3, signer.address_tag("192.0.2.7".parse().unwrap()));
        let proof = HostProof {
            room: room.to_string(),
            seat: 1,
            issued_ms: 1_700_000_000_000,
            bans,
        };
        let text = signer.sign_host_proof(&proof);
        assert_eq!(signer.verify_host_proof(&room, &text), Some(proof.clone()));
        let other = RoomCode::parse("ABCDEF").unwrap();
        assert_eq!(signer.verify_host_proof(&other, &text), None);
        // A guest who edits the seat (hex of the payload) breaks the MAC.
        let forged = text.replacen(&hex(b"\"seat\":1"), &hex(b"\"seat\":2"), 1);
        assert_ne!(forged, text);
        assert_eq!(signer.verify_host_proof(&room, &forged), None);
        assert_eq!(signer.verify_host_proof(&room, "zz.zz"), None);
        // Tags do not show the address, and one /64 is one tag.
        let tag = |s: &str| signer.address_tag(s.parse().unwrap()).unwrap();
        // (A random hex tag may hold "192" by chance: check the keying instead.)
        assert!(!tag("192.0.2.7").contains('.'));
        assert_eq!(tag("192.0.2.7").len(), 24);
        assert_ne!(tag("192.0.2.7"), tag("192.0.2.8"));
        let other_key = TokenSigner::load(None).unwrap();
        assert_ne!(
            other_key.address_tag("192.0.2.7".parse().unwrap()),
            Some(tag("192.0.2.7"))
        );
        assert_eq!(tag("2001:db8::1"), tag("2001:db8::2"));
    }

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
