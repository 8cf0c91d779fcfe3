use async_trait::async_trait;

use super::InfraResult;
use crate::domain::{EdgeInstance, EncryptionKey, ItemResult, KeystoreImportJob, StoredKeyRecord, TrustedCa};

/// What happened to an `insert_stored_key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyInsert {
    Inserted,
    /// Written earlier by the same job and item (a retried or re-delivered run).
    AlreadyWrittenByThisItem,
    /// The tenant already holds this certificate and key.
    AlreadyPresent,
}

/// Keystore-import records: edge instances, DEKs, trusted CAs, keystore jobs and their
/// item results, and the private-key inventory. Every read is scoped by tenant.
#[async_trait]
pub trait KeystoreStore: Send + Sync {
    async fn put_edge_instance(&self, edge: &EdgeInstance) -> InfraResult<()>;
    async fn get_edge_instance(&self, tenant_id: &str, id: &str) -> InfraResult<Option<EdgeInstance>>;
    /// Ordered by creation time.
    async fn list_edge_instances(&self, tenant_id: &str) -> InfraResult<Vec<EdgeInstance>>;

    async fn put_encryption_key(&self, key: &EncryptionKey) -> InfraResult<()>;
    async fn get_encryption_key(&self, tenant_id: &str, id: &str) -> InfraResult<Option<EncryptionKey>>;

    /// `false` (and nothing written) when the tenant already trusts a CA with that
    /// fingerprint. One atomic step: a CA is either wholly added (trusted and listed) or not.
    async fn insert_trusted_ca(&self, ca: &TrustedCa) -> InfraResult<bool>;
    /// Ordered by creation time.
    async fn list_trusted_cas(&self, tenant_id: &str) -> InfraResult<Vec<TrustedCa>>;

    /// Creates the job record (without its item results); an error if a job with its id exists.
    async fn create_keystore_job(&self, job: &KeystoreImportJob) -> InfraResult<()>;
    /// Writes `job` over the stored job only while that one is unfinished (PROCESSING);
    /// `false`, with nothing written, once it has ended or when there is none. Every move
    /// to a terminal state goes through here, so of two racing writers the first wins.
    async fn update_open_keystore_job(&self, job: &KeystoreImportJob) -> InfraResult<bool>;
    async fn get_keystore_job(&self, tenant_id: &str, id: &str) -> InfraResult<Option<KeystoreImportJob>>;
    /// (tenant id, job id) of every PROCESSING keystore job created before
    /// `created_before`, oldest first: what the sweeper looks at.
    async fn open_keystore_jobs(&self, created_before: &str) -> InfraResult<Vec<(String, String)>>;
    /// Idempotent: a result is keyed by its job and ordinal.
    async fn put_item_results(
        &self,
        tenant_id: &str,
        job_id: &str,
        results: &[ItemResult],
    ) -> InfraResult<()>;
    /// Ordered by ordinal.
    async fn item_results(&self, tenant_id: &str, job_id: &str) -> InfraResult<Vec<ItemResult>>;

    /// Adds a certificate with its key, unique per tenant by SHA-256 fingerprint, in one
    /// conditional step: of racing inserts exactly one is `Inserted`.
    async fn insert_stored_key(&self, record: &StoredKeyRecord) -> InfraResult<KeyInsert>;
    async fn get_stored_key(
        &self,
        tenant_id: &str,
        fingerprint_sha256: &str,
    ) -> InfraResult<Option<StoredKeyRecord>>;
}
