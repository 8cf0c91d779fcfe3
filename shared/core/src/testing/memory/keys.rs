use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use rand::RngCore;
use zeroize::Zeroizing;

use crate::ports::{DataKey, EncryptionContext, InfraError, InfraResult, KeyService};

/// What a handle opens: the context it was sealed with, and the plaintext.
type Sealed = (EncryptionContext, Zeroizing<Vec<u8>>);

/// A key service that keeps each plaintext and its context in a map and hands out a
/// random handle as the "ciphertext": it opens only with the same context, and a
/// tampered handle opens nothing.
#[derive(Default)]
pub struct MemoryKeys {
    sealed: Mutex<HashMap<[u8; 16], Sealed>>,
}

#[async_trait]
impl KeyService for MemoryKeys {
    async fn encrypt(&self, plaintext: &[u8], context: &EncryptionContext) -> InfraResult<Vec<u8>> {
        let mut handle = [0u8; 16];
        rand::rng().fill_bytes(&mut handle);
        let entry = (context.clone(), Zeroizing::new(plaintext.to_vec()));
        self.sealed.lock().unwrap().insert(handle, entry);
        Ok(handle.to_vec())
    }

    async fn decrypt(
        &self,
        ciphertext: &[u8],
        context: &EncryptionContext,
    ) -> InfraResult<Zeroizing<Vec<u8>>> {
        let refused = || InfraError::permanent("decrypt", "the ciphertext or its context does not match");
        let handle: [u8; 16] = ciphertext.try_into().map_err(|_| refused())?;
        match self.sealed.lock().unwrap().get(&handle) {
            Some((sealed_with, plaintext)) if sealed_with == context => Ok(plaintext.clone()),
            _ => Err(refused()),
        }
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
