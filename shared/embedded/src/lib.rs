//! Embedded adapters for running certport on one machine: objects in a directory,
//! records in SQLite, and a local key file standing in for KMS.

mod fs_object_store;
mod local_key_service;
mod sqlite_checkpointer;
mod sqlite_error;
mod sqlite_inventory;
mod sqlite_jobs;
mod sqlite_schema;
mod sqlite_store;
mod sqlite_tenants;

pub use fs_object_store::FsObjectStore;
pub use local_key_service::LocalKeyService;
pub use sqlite_store::SqliteStore;

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

/// Every port on embedded storage under `dir` (created if need be: `records.db`, `objects/`, `local-kms.key`),
/// the layout `certport serve` uses; serve adds its upload notifications on top.
pub fn open_deps(
    dir: &std::path::Path,
    limits: certport_core::app::Limits,
) -> Result<certport_core::app::Deps, String> {
    use std::sync::Arc;
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let store = Arc::new(SqliteStore::open(&dir.join("records.db")).map_err(|e| e.to_string())?);
    let keys =
        Arc::new(LocalKeyService::open_or_create(&dir.join("local-kms.key")).map_err(|e| e.to_string())?);
    Ok(certport_core::app::Deps {
        objects: Arc::new(FsObjectStore::open(dir.join("objects")).map_err(|e| e.to_string())?),
        tenants: store.clone(),
        jobs: store.clone(),
        inventory: store,
        keys: certport_core::app::KeyServices {
            dek: keys.clone(),
            data: keys,
        },
        limits,
        shards: None,
    })
}
