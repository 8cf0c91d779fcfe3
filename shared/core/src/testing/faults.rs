//! Fault-injecting adapters: the real adapter behind the same port, failing on cue.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;

use crate::domain::{
    ApiKeyHash, ApiKeyRecord, CertFailure, CertImportJob, DeviceRecord, EnrollmentProfile, Tenant,
};
use crate::ports::{
    DeviceInsert, InfraError, InfraResult, ObjectStore, PresignedPut, RecordStore, UploadConstraints,
};

/// A record store whose writes fail (transiently, as a throttled or crashed writer
/// would) after letting some calls through: a processor dying half-way.
pub struct RecordFaults {
    inner: Arc<dyn RecordStore>,
    device_writes_allowed: AtomicUsize,
    job_updates_allowed: AtomicUsize,
}

impl RecordFaults {
    /// `insert_devices` fails after `allowed` calls.
    pub fn device_writes_fail_after(inner: Arc<dyn RecordStore>, allowed: usize) -> Self {
        RecordFaults {
            inner,
            device_writes_allowed: AtomicUsize::new(allowed),
            job_updates_allowed: AtomicUsize::new(usize::MAX),
        }
    }

    /// `update_open_job` (ending a job, among others) fails after `allowed` calls.
    pub fn job_updates_fail_after(inner: Arc<dyn RecordStore>, allowed: usize) -> Self {
        RecordFaults {
            inner,
            device_writes_allowed: AtomicUsize::new(usize::MAX),
            job_updates_allowed: AtomicUsize::new(allowed),
        }
    }
}

/// Takes one call from `allowed`; an injected transient error once none are left.
fn let_through(allowed: &AtomicUsize, operation: &'static str) -> InfraResult<()> {
    allowed
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .map(|_| ())
        .map_err(|_| InfraError::transient(operation, "injected fault: the writer died"))
}

#[async_trait]
impl RecordStore for RecordFaults {
    async fn put_tenant(&self, tenant: &Tenant) -> InfraResult<()> {
        self.inner.put_tenant(tenant).await
    }
    async fn get_tenant(&self, tenant_id: &str) -> InfraResult<Option<Tenant>> {
        self.inner.get_tenant(tenant_id).await
    }
    async fn put_api_key(&self, key: &ApiKeyRecord) -> InfraResult<()> {
        self.inner.put_api_key(key).await
    }
    async fn find_api_key(&self, hash: &ApiKeyHash) -> InfraResult<Option<ApiKeyRecord>> {
        self.inner.find_api_key(hash).await
    }
    async fn put_profile(&self, profile: &EnrollmentProfile) -> InfraResult<()> {
        self.inner.put_profile(profile).await
    }
    async fn get_profile(&self, tenant_id: &str, id: &str) -> InfraResult<Option<EnrollmentProfile>> {
        self.inner.get_profile(tenant_id, id).await
    }
    async fn create_job(&self, job: &CertImportJob) -> InfraResult<()> {
        self.inner.create_job(job).await
    }
    async fn update_open_job(&self, job: &CertImportJob) -> InfraResult<bool> {
        let_through(&self.job_updates_allowed, "update open job")?;
        self.inner.update_open_job(job).await
    }
    async fn get_job(&self, tenant_id: &str, id: &str) -> InfraResult<Option<CertImportJob>> {
        self.inner.get_job(tenant_id, id).await
    }
    async fn open_jobs(&self, created_before: &str) -> InfraResult<Vec<(String, String)>> {
        self.inner.open_jobs(created_before).await
    }
    async fn put_job_failures(
        &self,
        tenant_id: &str,
        job_id: &str,
        failures: &[CertFailure],
    ) -> InfraResult<()> {
        self.inner.put_job_failures(tenant_id, job_id, failures).await
    }
    async fn job_failures(&self, tenant_id: &str, job_id: &str) -> InfraResult<Vec<CertFailure>> {
        self.inner.job_failures(tenant_id, job_id).await
    }
    async fn insert_devices(&self, devices: &[DeviceRecord]) -> InfraResult<Vec<DeviceInsert>> {
        let_through(&self.device_writes_allowed, "insert devices")?;
        self.inner.insert_devices(devices).await
    }
    async fn get_device(
        &self,
        tenant_id: &str,
        device_identifier: &str,
    ) -> InfraResult<Option<DeviceRecord>> {
        self.inner.get_device(tenant_id, device_identifier).await
    }
}

/// An object store whose reads fail permanently (access denied, a deleted key policy):
/// retrying cannot help.
pub struct ReadsRefused {
    pub inner: Arc<dyn ObjectStore>,
}

#[async_trait]
impl ObjectStore for ReadsRefused {
    async fn put(&self, key: &str, body: Bytes) -> InfraResult<()> {
        self.inner.put(key, body).await
    }
    async fn get(&self, _key: &str) -> InfraResult<Option<Bytes>> {
        Err(InfraError::permanent(
            "get object",
            "injected fault: access denied",
        ))
    }
    async fn presign_put(&self, key: &str, upload: &UploadConstraints) -> InfraResult<PresignedPut> {
        self.inner.presign_put(key, upload).await
    }
}
