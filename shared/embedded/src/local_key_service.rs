use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use async_trait::async_trait;
use certport_core::ports::{DataKey, EncryptionContext, InfraError, InfraResult, KeyService};
use rand::RngCore;
use zeroize::Zeroizing;

const MAGIC: &[u8; 4] = b"CPK1";
const NONCE_LEN: usize = 12;

/// KMS's role played by a 256-bit key in a local file: AES-256-GCM with the
/// encryption context as associated data, so a ciphertext opens only with its context.
pub struct LocalKeyService {
    key: Zeroizing<[u8; 32]>,
}

impl LocalKeyService {
    /// Loads the key file, creating it (mode 0600) with a fresh key if absent. A new key
    /// is on the disk, whole, under its name before anything is wrapped with it: written
    /// aside and fsynced, linked into place (never over another start's key), and the
    /// directory fsynced.
    pub fn open_or_create(path: &Path) -> std::io::Result<Self> {
        if path.exists() {
            return LocalKeyService::open(path);
        }
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(key.as_mut());
        let aside = path.with_extension(format!("{:016x}.new", rand::random::<u64>()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options.open(&aside).and_then(|mut file| {
            file.write_all(key.as_ref())?;
            file.sync_all()
        });
        let linked = written.and_then(|()| std::fs::hard_link(&aside, path));
        let _ = std::fs::remove_file(&aside);
        match linked {
            Ok(()) => {}
            // Another start made it first: theirs is the key.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return LocalKeyService::open(path),
            Err(e) => return Err(e),
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(LocalKeyService { key })
    }

    /// Loads an existing key file: what wraps the data already stored (a new key would
    /// leave it unreadable).
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let bytes = Zeroizing::new(std::fs::read(path)?);
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{} must hold exactly 32 bytes", path.display()),
            )
        })?;
        Ok(LocalKeyService {
            key: Zeroizing::new(key),
        })
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&(*self.key).into())
    }
}

fn aad(context: &EncryptionContext) -> Vec<u8> {
    // BTreeMap serialises in key order: a canonical form.
    serde_json::to_vec(context).unwrap_or_default()
}

#[async_trait]
impl KeyService for LocalKeyService {
    async fn encrypt(&self, plaintext: &[u8], context: &EncryptionContext) -> InfraResult<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let aad = aad(context);
        let sealed = self
            .cipher()
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| InfraError::permanent("local key encrypt", "encryption failed"))?;
        Ok([MAGIC.as_slice(), &nonce, &sealed].concat())
    }

    async fn decrypt(
        &self,
        ciphertext: &[u8],
        context: &EncryptionContext,
    ) -> InfraResult<Zeroizing<Vec<u8>>> {
        let invalid = || {
            InfraError::permanent(
                "local key decrypt",
                "ciphertext or encryption context does not match",
            )
        };
        let rest = ciphertext.strip_prefix(MAGIC.as_slice()).ok_or_else(invalid)?;
        if rest.len() < NONCE_LEN {
            return Err(invalid());
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_from(nonce).map_err(|_| invalid())?;
        let aad = aad(context);
        self.cipher()
            .decrypt(
                &nonce,
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| invalid())
    }

    async fn generate_data_key(&self, context: &EncryptionContext) -> InfraResult<DataKey> {
        let mut plaintext = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(plaintext.as_mut());
        let ciphertext = self.encrypt(plaintext.as_ref(), context).await?;
        Ok(DataKey {
            plaintext,
            ciphertext,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passes_the_key_service_contract_and_reloads_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("local.key");
        let keys = LocalKeyService::open_or_create(&path).unwrap();
        certport_core::testing::contracts::key_service_contract(&keys).await;

        let context = EncryptionContext::from([("k".to_string(), "v".to_string())]);
        let ciphertext = keys.encrypt(b"secret", &context).await.unwrap();
        let reopened = LocalKeyService::open_or_create(&path).unwrap();
        assert_eq!(
            reopened.decrypt(&ciphertext, &context).await.unwrap().as_slice(),
            b"secret"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }
}
