//! The ports, by role: tenants (and their settings), jobs, the inventory, objects, keys,
//! and the queue of a large upload's shards.
//! Adapters live in `certport-aws` (S3, DynamoDB, KMS) and `certport-embedded`
//! (filesystem, SQLite, local key file).

mod inventory_store;
mod job_store;
mod key_service;
mod object_store;
mod records;
mod shard_queue;
mod tenant_store;

pub use inventory_store::{CertificateLookup, DeviceInsert, InventoryStore, KeyInsert};
pub use job_store::{JobStore, OpenJob};
pub use key_service::{DataKey, EncryptionContext, KeyService};
pub use object_store::{spool_error, ByteStream, ObjectStore, PresignedPut, UploadConstraints};
pub use records::{decode_record, encode_record, Record};
pub use shard_queue::ShardQueue;
pub use tenant_store::TenantStore;

/// A failure of the infrastructure behind a port (not of the user's input).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation}: {message}")]
pub struct InfraError {
    pub operation: &'static str,
    pub message: String,
    /// Worth retrying (throttling, timeouts, unavailable).
    pub transient: bool,
}

impl InfraError {
    pub fn permanent(operation: &'static str, message: impl std::fmt::Display) -> Self {
        InfraError {
            operation,
            message: message.to_string(),
            transient: false,
        }
    }

    pub fn transient(operation: &'static str, message: impl std::fmt::Display) -> Self {
        InfraError {
            operation,
            message: message.to_string(),
            transient: true,
        }
    }
}

pub type InfraResult<T> = Result<T, InfraError>;
