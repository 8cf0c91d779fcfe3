use async_trait::async_trait;

use super::InfraResult;
use crate::domain::{
    ApiKeyHash, ApiKeyRecord, CertFailure, CertImportJob, DeviceRecord, EnrollmentProfile, Tenant,
};

/// What happened to one device of an `insert_devices` batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceInsert {
    Inserted,
    /// Written earlier by the same job (a retried or re-delivered run).
    AlreadyWrittenByThisJob,
    /// The tenant already holds this certificate.
    DuplicateCertificate,
    /// The device identifier already holds another certificate.
    DeviceIdentifierTaken,
}

/// Tenants, keys, profiles, jobs and the inventory (DynamoDB, or SQLite).
/// Every read is scoped by tenant: another tenant's id reads as absent.
#[async_trait]
pub trait RecordStore: Send + Sync {
    async fn put_tenant(&self, tenant: &Tenant) -> InfraResult<()>;
    async fn get_tenant(&self, tenant_id: &str) -> InfraResult<Option<Tenant>>;
    async fn put_api_key(&self, key: &ApiKeyRecord) -> InfraResult<()>;
    async fn find_api_key(&self, hash: &ApiKeyHash) -> InfraResult<Option<ApiKeyRecord>>;

    /// Creates or replaces.
    async fn put_profile(&self, profile: &EnrollmentProfile) -> InfraResult<()>;
    async fn get_profile(&self, tenant_id: &str, id: &str) -> InfraResult<Option<EnrollmentProfile>>;

    /// Creates the job record (without its failures); an error if a job with its id exists.
    async fn create_job(&self, job: &CertImportJob) -> InfraResult<()>;
    /// Writes `job` over the stored job only while that one is unfinished (PENDING);
    /// `false`, with nothing written, once it has ended or when there is none. Every move
    /// to a terminal state goes through here, so of two racing writers the first wins.
    async fn update_open_job(&self, job: &CertImportJob) -> InfraResult<bool>;
    async fn get_job(&self, tenant_id: &str, id: &str) -> InfraResult<Option<CertImportJob>>;
    /// (tenant id, job id) of every PENDING job created before `created_before` (a
    /// timestamp as jobs store it), oldest first: what the sweeper looks at.
    async fn open_jobs(&self, created_before: &str) -> InfraResult<Vec<(String, String)>>;
    /// Idempotent: a failure is keyed by its job and ordinal.
    async fn put_job_failures(
        &self,
        tenant_id: &str,
        job_id: &str,
        failures: &[CertFailure],
    ) -> InfraResult<()>;
    /// Ordered by ordinal.
    async fn job_failures(&self, tenant_id: &str, job_id: &str) -> InfraResult<Vec<CertFailure>>;

    /// Adds devices (all of one tenant and job), unique by device identifier and by
    /// certificate fingerprint, however many callers insert at once: a device and its
    /// certificate are claimed together or not at all. One outcome per device, in order.
    /// The batch holds no two devices with the same identifier or fingerprint.
    async fn insert_devices(&self, devices: &[DeviceRecord]) -> InfraResult<Vec<DeviceInsert>>;
    async fn get_device(&self, tenant_id: &str, device_identifier: &str)
        -> InfraResult<Option<DeviceRecord>>;
}
