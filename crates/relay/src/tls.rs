//! TLS for the relay: a certificate from files (`--tls-cert/--tls-key`), or
//! one made once per install and pinned by invites (the embedded relay).
//!
//! A pinned certificate needs no certificate authority: the invite carries
//! its SHA-256 fingerprint and the joining app accepts exactly that
//! certificate, as Syncthing does with device IDs.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

use crate::error::RelayError;

/// File names of the self-signed identity in its folder.
const CERT_FILE: &str = "relay-cert.pem";
const KEY_FILE: &str = "relay-key.pem";

struct Inner {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

/// A certificate chain and its private key.
#[derive(Clone)]
pub struct TlsIdentity(Arc<Inner>);

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("fingerprint", &crate::tokens::hex(&self.fingerprint()))
            .finish_non_exhaustive()
    }
}

fn bad(path: &Path, what: &str) -> RelayError {
    RelayError::Tls(format!("{} {what}", path.display()))
}

impl TlsIdentity {
    /// A PEM certificate chain and a PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, RelayError> {
        let chain = CertificateDer::pem_file_iter(cert)
            .map_err(|e| bad(cert, &format!("cannot be read: {e}")))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(cert, &format!("is not a PEM certificate: {e}")))?;
        if chain.is_empty() {
            return Err(bad(cert, "holds no certificate"));
        }
        let key = PrivateKeyDer::from_pem_file(key)
            .map_err(|e| bad(key, &format!("holds no usable private key: {e}")))?;
        let identity = Self(Arc::new(Inner { chain, key }));
        identity.server_config()?;
        Ok(identity)
    }

    /// The identity kept in `dir`, made there on first use: a self-signed
    /// ECDSA P-256 certificate, its key readable by the owner only.
    pub fn self_signed_in(dir: &Path) -> Result<Self, RelayError> {
        let (cert, key) = (dir.join(CERT_FILE), dir.join(KEY_FILE));
        if cert.exists() && key.exists() {
            return Self::from_pem_files(&cert, &key);
        }
        let made = rcgen::generate_simple_self_signed(vec!["matinee-relay".to_string()])
            .map_err(|e| RelayError::Tls(format!("cannot make a certificate: {e}")))?;
        std::fs::create_dir_all(dir).map_err(|e| bad(dir, &format!("cannot be made: {e}")))?;
        write_private(&key, made.signing_key.serialize_pem().as_bytes())
            .map_err(|e| bad(&key, &format!("cannot be written: {e}")))?;
        std::fs::write(&cert, made.cert.pem())
            .map_err(|e| bad(&cert, &format!("cannot be written: {e}")))?;
        tracing::info!(dir = %dir.display(), "made this relay's TLS certificate");
        Self::from_pem_files(&cert, &key)
    }

    /// SHA-256 of the leaf certificate (DER): what invites pin.
    pub fn fingerprint(&self) -> [u8; 32] {
        Sha256::digest(self.0.chain[0].as_ref()).into()
    }

    pub(crate) fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, RelayError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| RelayError::Tls(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(self.0.chain.clone(), self.0.key.clone_key())
            .map_err(|e| RelayError::Tls(format!("the certificate and key do not fit: {e}")))?;
        Ok(Arc::new(config))
    }
}

/// Writes a new file only its owner can read (replacing a partial one).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_identity_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = TlsIdentity::self_signed_in(dir.path()).unwrap();
        let again = TlsIdentity::self_signed_in(dir.path()).unwrap();
        assert_eq!(first.fingerprint(), again.fingerprint());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let other = TlsIdentity::self_signed_in(&dir.path().join("other")).unwrap();
        assert_ne!(first.fingerprint(), other.fingerprint());
    }

    #[test]
    fn files_that_are_not_pem_are_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        let err = TlsIdentity::from_pem_files(&junk, &junk).unwrap_err();
        assert!(err.to_string().contains("junk.pem"), "{err}");
    }
}
