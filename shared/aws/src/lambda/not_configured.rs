//! The port a function was not configured with: every call fails, naming what is missing.
//! A wiring mistake then shows as a clear permanent error, not as a call to nowhere.

use async_trait::async_trait;
use bytes::Bytes;
use certport_core::ports::{DataKey, EncryptionContext, InfraError, InfraResult, KeyService, ObjectStore};
use zeroize::Zeroizing;

pub(crate) struct NotConfigured(pub &'static str);

impl NotConfigured {
    fn refuse<T>(&self, operation: &'static str) -> InfraResult<T> {
        Err(InfraError::permanent(
            operation,
            format!("this function is not configured with {}", self.0),
        ))
    }
}

#[async_trait]
impl ObjectStore for NotConfigured {
    async fn put(&self, _key: &str, _body: Bytes) -> InfraResult<()> {
        self.refuse("put object")
    }
    async fn get(&self, _key: &str) -> InfraResult<Option<Bytes>> {
        self.refuse("get object")
    }
}

#[async_trait]
impl KeyService for NotConfigured {
    async fn encrypt(&self, _plaintext: &[u8], _context: &EncryptionContext) -> InfraResult<Vec<u8>> {
        self.refuse("encrypt")
    }
    async fn decrypt(
        &self,
        _ciphertext: &[u8],
        _context: &EncryptionContext,
    ) -> InfraResult<Zeroizing<Vec<u8>>> {
        self.refuse("decrypt")
    }
    async fn generate_data_key(&self, _context: &EncryptionContext) -> InfraResult<DataKey> {
        self.refuse("generate data key")
    }
}
