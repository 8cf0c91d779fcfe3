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

use std::sync::Arc;

/// A failure of the infrastructure behind a port (not of the user's input). It keeps what
/// failed underneath (an SDK's or the database's error) as its source, for logs; callers
/// are shown neither.
#[derive(Debug, Clone)]
pub struct InfraError {
    pub operation: &'static str,
    pub message: String,
    /// Worth retrying (throttling, timeouts, unavailable): a Lambda function returns it as
    /// its error so Lambda (or the queue) delivers the event again; anything else is
    /// recorded on the job instead.
    pub transient: bool,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl InfraError {
    pub fn permanent(operation: &'static str, message: impl std::fmt::Display) -> Self {
        InfraError {
            operation,
            message: message.to_string(),
            transient: false,
            source: None,
        }
    }

    pub fn transient(operation: &'static str, message: impl std::fmt::Display) -> Self {
        InfraError {
            transient: true,
            ..Self::permanent(operation, message)
        }
    }

    /// `error`, which made `operation` fail, kept as the source.
    pub fn caused_by(
        operation: &'static str,
        transient: bool,
        message: impl std::fmt::Display,
        error: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        InfraError {
            operation,
            message: message.to_string(),
            transient,
            source: Some(Arc::new(error)),
        }
    }

    /// Whether the event that led here should be delivered again.
    pub fn should_retry(&self) -> bool {
        self.transient
    }

    /// This error and every cause under it, for a log line.
    pub fn chain(&self) -> String {
        let mut chain = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(error) = cause {
            let text = error.to_string();
            if !chain.contains(&text) {
                chain.push_str(": ");
                chain.push_str(&text);
            }
            cause = error.source();
        }
        chain
    }
}

impl std::fmt::Display for InfraError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.operation, self.message)
    }
}

impl std::error::Error for InfraError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Equal when they say the same; their sources are not compared.
impl PartialEq for InfraError {
    fn eq(&self, other: &Self) -> bool {
        (self.operation, &self.message, self.transient) == (other.operation, &other.message, other.transient)
    }
}

impl Eq for InfraError {}

pub type InfraResult<T> = Result<T, InfraError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_infrastructure_error_keeps_what_failed_underneath() {
        let disk = std::io::Error::other("no space left on device");
        let error = InfraError::caused_by("spool upload", false, "writing failed", disk);
        let source = std::error::Error::source(&error).expect("its source");
        assert_eq!(source.to_string(), "no space left on device");
        assert_eq!(
            error.chain(),
            "spool upload: writing failed: no space left on device"
        );
        assert!(!error.should_retry());
        assert!(InfraError::transient("read", "throttled").should_retry());
    }
}
