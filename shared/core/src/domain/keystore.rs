//! Keystore-import entities: edge instances and their DEKs, trusted CAs, one result per
//! submitted item of a keystore import, and the private keys of the inventory.

use serde::{Deserialize, Serialize};

/// Items one keystore import batch may hold.
pub const MAX_BATCH_ITEMS: usize = 100;

/// An edge instance: what clients name in `edgeInstanceId`; owns one DEK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeInstance {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub encryption_key_id: String,
    pub edge_status: String,
    pub created_at: String,
}

/// A DEK: the X25519 public key clients seal to, and its private key wrapped by the key
/// service (never stored in the clear).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptionKey {
    pub id: String,
    pub tenant_id: String,
    pub edge_instance_id: String,
    /// Base64 of the 32-byte public key.
    pub public_key: String,
    /// Base64 of the key service's ciphertext of the private key.
    pub wrapped_private_key: String,
    pub created_at: String,
}

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptionKey")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

/// A CA certificate a tenant trusts as the end of a keystore's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedCa {
    pub id: String,
    pub tenant_id: String,
    /// SHA-1 of the DER, upper-case hex (as Venafi shows fingerprints).
    pub fingerprint: String,
    pub subject: String,
    /// Base64 DER.
    pub certificate: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ItemStatus {
    Imported,
    Failed,
    Skipped,
    Processing,
}

/// Why an item was not imported. The codes are part of the API (`reasonCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ItemFailureReason {
    /// A sealed password or key that does not open with the edge instance's DEK.
    SealedBoxInvalid,
    WrongPassword,
    UnsupportedAlgorithm,
    TooManyIterations,
    Malformed,
    NoPrivateKey,
    SeveralPrivateKeys,
    NoCertificate,
    KeyMismatch,
    ChainNotTrusted,
    Expired,
    TooLarge,
    /// The job could not run; see the job's failure message.
    JobFailed,
}

/// The outcome of one submitted item, at its position in the batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemResult {
    pub ordinal: u32,
    /// Base64 DER of the leaf, empty until known.
    pub certificate: String,
    /// SHA-1 of the leaf DER, upper-case hex, empty until known.
    pub fingerprint: String,
    pub status: ItemStatus,
    pub reason_code: Option<ItemFailureReason>,
    pub reason: String,
}

impl ItemResult {
    pub fn processing(ordinal: u32) -> Self {
        ItemResult {
            ordinal,
            certificate: String::new(),
            fingerprint: String::new(),
            status: ItemStatus::Processing,
            reason_code: None,
            reason: String::new(),
        }
    }
}

/// A certificate with its private key in the inventory, keyed by the leaf's SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKeyRecord {
    pub tenant_id: String,
    pub fingerprint_sha256: String,
    pub fingerprint_sha1: String,
    pub subject: String,
    pub key_algorithm: String,
    /// Base64 DER, leaf first, up to (excluding) the trusted CA.
    pub chain: Vec<String>,
    /// Where the envelope-encrypted private key lives in the object store.
    pub private_key_object: String,
    /// The DEK (edge encryption key) of the job that imported it: exports seal their
    /// passphrases to it (`dekHash`). Empty on keys stored before it was kept.
    pub encryption_key_id: String,
    pub job_id: String,
    pub ordinal: u32,
    pub imported_at: String,
}
