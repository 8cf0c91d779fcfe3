//! How a stored private key is bound to its tenant and certificate: the key service's
//! context for its data key, and its AES-GCM associated data.

use crate::ports::EncryptionContext;

/// The key-service context of a stored private key's data key.
pub fn private_key_context(tenant_id: &str, fingerprint_sha256: &str) -> EncryptionContext {
    EncryptionContext::from([
        ("certport:purpose".to_string(), "private-key".to_string()),
        ("certport:tenant".to_string(), tenant_id.to_string()),
        ("certport:fingerprint".to_string(), fingerprint_sha256.to_string()),
    ])
}

/// The AES-GCM associated data of a stored private key: binds it to tenant and certificate.
pub fn private_key_aad(tenant_id: &str, fingerprint_sha256: &str) -> String {
    format!("certport:private-key:v1:{tenant_id}:{fingerprint_sha256}")
}
