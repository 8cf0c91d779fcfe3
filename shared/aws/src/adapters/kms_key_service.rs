use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use certport_core::ports::{DataKey, EncryptionContext, InfraError, InfraResult, KeyService};
use zeroize::Zeroizing;

use crate::adapters::errors::infra_error;

/// One KMS key; every call carries the encryption context, so a ciphertext only
/// opens with the context it was made with (and IAM can condition on it).
#[derive(Clone)]
pub struct KmsKeyService {
    client: aws_sdk_kms::Client,
    key_id: String,
}

impl KmsKeyService {
    pub fn new(client: aws_sdk_kms::Client, key_id: impl Into<String>) -> Self {
        KmsKeyService {
            client,
            key_id: key_id.into(),
        }
    }
}

fn context_map(context: &EncryptionContext) -> Option<HashMap<String, String>> {
    Some(context.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

#[async_trait]
impl KeyService for KmsKeyService {
    async fn encrypt(&self, plaintext: &[u8], context: &EncryptionContext) -> InfraResult<Vec<u8>> {
        let output = self
            .client
            .encrypt()
            .key_id(&self.key_id)
            .plaintext(Blob::new(plaintext))
            .set_encryption_context(context_map(context))
            .send()
            .await
            .map_err(|e| infra_error("kms encrypt", e))?;
        output
            .ciphertext_blob
            .map(Blob::into_inner)
            .ok_or_else(|| InfraError::permanent("kms encrypt", "no ciphertext in the response"))
    }

    async fn decrypt(
        &self,
        ciphertext: &[u8],
        context: &EncryptionContext,
    ) -> InfraResult<Zeroizing<Vec<u8>>> {
        let output = self
            .client
            .decrypt()
            .key_id(&self.key_id)
            .ciphertext_blob(Blob::new(ciphertext))
            .set_encryption_context(context_map(context))
            .send()
            .await
            .map_err(|e| infra_error("kms decrypt", e))?;
        output
            .plaintext
            .map(|blob| Zeroizing::new(blob.into_inner()))
            .ok_or_else(|| InfraError::permanent("kms decrypt", "no plaintext in the response"))
    }

    async fn generate_data_key(&self, context: &EncryptionContext) -> InfraResult<DataKey> {
        let output = self
            .client
            .generate_data_key()
            .key_id(&self.key_id)
            .key_spec(DataKeySpec::Aes256)
            .set_encryption_context(context_map(context))
            .send()
            .await
            .map_err(|e| infra_error("kms generate data key", e))?;
        let plaintext = Zeroizing::new(output.plaintext.map(Blob::into_inner).unwrap_or_default());
        let plaintext: [u8; 32] = plaintext
            .as_slice()
            .try_into()
            .map_err(|_| InfraError::permanent("kms generate data key", "data key is not 32 bytes"))?;
        let ciphertext = output
            .ciphertext_blob
            .map(Blob::into_inner)
            .ok_or_else(|| InfraError::permanent("kms generate data key", "no ciphertext in the response"))?;
        Ok(DataKey {
            plaintext: Zeroizing::new(plaintext),
            ciphertext,
        })
    }
}
