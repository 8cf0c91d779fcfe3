//! Embedded adapters for running certport on one machine: objects in a directory,
//! records in SQLite, and a local key file standing in for KMS.

mod fs_object_store;
mod local_key_service;
mod sqlite_keystore_store;
mod sqlite_record_store;

pub use fs_object_store::FsObjectStore;
pub use local_key_service::LocalKeyService;
pub use sqlite_record_store::SqliteRecordStore;

use certport_core::ports::InfraError;

/// Runs blocking storage work off the async executor's worker threads.
async fn blocking<T: Send + 'static>(
    operation: &'static str,
    work: impl FnOnce() -> Result<T, InfraError> + Send + 'static,
) -> Result<T, InfraError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| InfraError::permanent(operation, e))?
}
