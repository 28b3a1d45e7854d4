//! Secrets at rest: registry passwords are sealed with ChaCha20-Poly1305 under a key from
//! `DRYDOCK_SECRET_KEY` (base64 of 32 bytes; required to share one database between
//! machines) or, when that is unset, a key file created (mode 0600) in the data directory.

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use std::path::Path;

/// Seals and opens secrets with one key.
pub struct Sealer {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

impl Sealer {
    /// A sealer for a 32-byte key.
    pub fn new(key: &[u8; 32]) -> Self {
        Sealer {
            cipher: ChaCha20Poly1305::new(Key::from_slice(key)),
        }
    }

    /// The key from `DRYDOCK_SECRET_KEY` (base64), else from `dir/secret.key`, created when
    /// missing.
    pub fn load(env_key: Option<&str>, dir: &Path) -> Result<Self, String> {
        if let Some(k) = env_key {
            let bytes = B64
                .decode(k.trim())
                .map_err(|e| format!("DRYDOCK_SECRET_KEY is not base64: {e}"))?;
            let key: [u8; 32] = bytes.try_into().map_err(|_| {
                "DRYDOCK_SECRET_KEY must be 32 bytes (base64), e.g. from `head -c32 /dev/urandom | base64`".to_string()
            })?;
            return Ok(Sealer::new(&key));
        }
        let path = dir.join("secret.key");
        if let Ok(text) = std::fs::read_to_string(&path) {
            let bytes = B64
                .decode(text.trim())
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let key: [u8; 32] = bytes
                .try_into()
                .map_err(|_| format!("{}: not a 32-byte key", path.display()))?;
            return Ok(Sealer::new(&key));
        }
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        write_private(&path, B64.encode(key).as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Sealer::new(&key))
    }

    /// Encrypts: base64 of nonce and ciphertext.
    pub fn seal(&self, plain: &str) -> Result<String, String> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| e.to_string())?;
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .map_err(|_| "encryption failed".to_string())?;
        let mut out = nonce.to_vec();
        out.extend(ct);
        Ok(B64.encode(out))
    }

    /// Decrypts what [`Sealer::seal`] made (with the same key).
    pub fn open(&self, sealed: &str) -> Result<String, String> {
        let raw = B64
            .decode(sealed)
            .map_err(|_| "sealed secret is not base64".to_string())?;
        if raw.len() < 12 {
            return Err("sealed secret too short".into());
        }
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(&raw[..12]), &raw[12..])
            .map_err(|_| "cannot decrypt: wrong DRYDOCK_SECRET_KEY or damaged data".to_string())?;
        String::from_utf8(plain).map_err(|_| "sealed secret is not text".into())
    }
}

#[cfg(unix)]
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(data)
}

#[cfg(not(unix))]
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, data)
}

#[cfg(test)]
mod tests {
    use super::Sealer;

    #[test]
    fn seal_round_trip_and_wrong_key() {
        let a = Sealer::new(&[7u8; 32]);
        let sealed = a.seal("hunter22").unwrap();
        assert!(!sealed.contains("hunter22"));
        assert_ne!(sealed, a.seal("hunter22").unwrap(), "random nonce");
        assert_eq!(a.open(&sealed).unwrap(), "hunter22");
        assert!(Sealer::new(&[8u8; 32]).open(&sealed).is_err());
        let dir = tempfile::tempdir().unwrap();
        let k1 = Sealer::load(None, dir.path()).unwrap();
        let k2 = Sealer::load(None, dir.path()).unwrap();
        assert_eq!(k2.open(&k1.seal("x").unwrap()).unwrap(), "x", "the key file is reused");
    }
}
