use std::collections::BTreeMap;

use async_trait::async_trait;
use zeroize::Zeroizing;

use super::InfraResult;

/// Authenticated data bound to a ciphertext; decrypting needs the same context.
pub type EncryptionContext = BTreeMap<String, String>;

/// A fresh data key: use `plaintext` once, keep only `ciphertext`.
pub struct DataKey {
    pub plaintext: Zeroizing<[u8; 32]>,
    pub ciphertext: Vec<u8>,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKey")
            .field("plaintext", &"<redacted>")
            .field("ciphertext_len", &self.ciphertext.len())
            .finish()
    }
}

/// Wraps small secrets (KMS, or a local key file).
#[async_trait]
pub trait KeyService: Send + Sync {
    async fn encrypt(&self, plaintext: &[u8], context: &EncryptionContext) -> InfraResult<Vec<u8>>;
    /// Fails (permanently) when the ciphertext or the context does not match.
    async fn decrypt(
        &self,
        ciphertext: &[u8],
        context: &EncryptionContext,
    ) -> InfraResult<Zeroizing<Vec<u8>>>;
    async fn generate_data_key(&self, context: &EncryptionContext) -> InfraResult<DataKey>;
}
