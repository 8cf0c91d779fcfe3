//! Fault-injecting adapters: the real adapter behind the same port, failing on cue.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;

use crate::domain::{
    Admission, AuditEvent, CertFailure, CertificateRecord, DeviceRecord, InventoryEntry, ItemResult, Job,
    KeyRange, NewDevice, Page, ShardReport, StoredKeyRecord, WorkQuota,
};
use crate::ports::{
    CertificateLookup, DeviceInsert, InfraError, InfraResult, InventoryStore, JobStore, KeyInsert,
    ObjectStore, OpenJob, PresignedPut, UploadConstraints,
};

/// Takes one call from `allowed`; an injected transient error once none are left.
fn let_through(allowed: &AtomicUsize, operation: &'static str) -> InfraResult<()> {
    allowed
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .map(|_| ())
        .map_err(|_| InfraError::transient(operation, "injected fault: the writer died"))
}

/// An inventory whose `insert_devices` fails (transiently, as a throttled or crashed
/// writer would) after `allowed` calls: a processor dying half-way through its writes.
pub struct DeviceWritesFailAfter {
    inner: Arc<dyn InventoryStore>,
    allowed: AtomicUsize,
}

impl DeviceWritesFailAfter {
    pub fn new(inner: Arc<dyn InventoryStore>, allowed: usize) -> Self {
        DeviceWritesFailAfter {
            inner,
            allowed: AtomicUsize::new(allowed),
        }
    }
}

#[async_trait]
impl InventoryStore for DeviceWritesFailAfter {
    async fn insert_devices(&self, devices: &[NewDevice]) -> InfraResult<Vec<DeviceInsert>> {
        let_through(&self.allowed, "insert devices")?;
        self.inner.insert_devices(devices).await
    }
    async fn get_device(&self, tenant_id: &str, identifier: &str) -> InfraResult<Option<DeviceRecord>> {
        self.inner.get_device(tenant_id, identifier).await
    }
    async fn get_device_by_id(&self, tenant_id: &str, id: &str) -> InfraResult<Option<DeviceRecord>> {
        self.inner.get_device_by_id(tenant_id, id).await
    }
    async fn list_devices(
        &self,
        tenant_id: &str,
        range: &KeyRange,
        limit: usize,
    ) -> InfraResult<Page<DeviceRecord>> {
        self.inner.list_devices(tenant_id, range, limit).await
    }
    async fn insert_stored_key(
        &self,
        record: &StoredKeyRecord,
        certificate: &CertificateRecord,
    ) -> InfraResult<KeyInsert> {
        self.inner.insert_stored_key(record, certificate).await
    }
    async fn get_stored_key(
        &self,
        tenant_id: &str,
        fingerprint: &str,
    ) -> InfraResult<Option<StoredKeyRecord>> {
        self.inner.get_stored_key(tenant_id, fingerprint).await
    }
    async fn get_certificate(&self, tenant_id: &str, id: &str) -> InfraResult<Option<InventoryEntry>> {
        self.inner.get_certificate(tenant_id, id).await
    }
    async fn find_certificates(
        &self,
        tenant_id: &str,
        lookup: &CertificateLookup,
    ) -> InfraResult<Vec<InventoryEntry>> {
        self.inner.find_certificates(tenant_id, lookup).await
    }
    async fn list_certificates(
        &self,
        tenant_id: &str,
        range: &KeyRange,
        limit: usize,
    ) -> InfraResult<Page<InventoryEntry>> {
        self.inner.list_certificates(tenant_id, range, limit).await
    }
    async fn record_audit_event(&self, event: &AuditEvent) -> InfraResult<()> {
        self.inner.record_audit_event(event).await
    }
    async fn list_audit_events(&self, tenant_id: &str, limit: usize) -> InfraResult<Vec<AuditEvent>> {
        self.inner.list_audit_events(tenant_id, limit).await
    }
}

/// A job store whose writes of open jobs (recording progress, ending a job) fail
/// transiently after `allowed` calls: a processor dying after its writes, before the job
/// ends. It keeps every job it was asked to write, in order.
pub struct JobEndsFailAfter {
    inner: Arc<dyn JobStore>,
    allowed: AtomicUsize,
    updates: std::sync::Mutex<Vec<Job>>,
}

impl JobEndsFailAfter {
    pub fn new(inner: Arc<dyn JobStore>, allowed: usize) -> Self {
        JobEndsFailAfter {
            inner,
            allowed: AtomicUsize::new(allowed),
            updates: Default::default(),
        }
    }

    /// The jobs written so far (progress, then the end).
    pub fn updates(&self) -> Vec<Job> {
        self.updates.lock().map(|u| u.clone()).unwrap_or_default()
    }

    fn let_through(&self, job: &Job, operation: &'static str) -> InfraResult<()> {
        let_through(&self.allowed, operation)?;
        if let Ok(mut updates) = self.updates.lock() {
            updates.push(job.clone());
        }
        Ok(())
    }
}

#[async_trait]
impl JobStore for JobEndsFailAfter {
    async fn create_job(&self, job: &Job, quota: WorkQuota) -> InfraResult<Admission> {
        self.inner.create_job(job, quota).await
    }
    async fn get_job(&self, tenant_id: &str, id: &str) -> InfraResult<Option<Job>> {
        self.inner.get_job(tenant_id, id).await
    }
    async fn update_open_job(&self, job: &Job) -> InfraResult<bool> {
        self.let_through(job, "update open job")?;
        self.inner.update_open_job(job).await
    }
    async fn finish_job(&self, job: &Job) -> InfraResult<bool> {
        self.let_through(job, "finish job")?;
        self.inner.finish_job(job).await
    }
    async fn open_jobs(&self, created_before: &str) -> InfraResult<Vec<OpenJob>> {
        self.inner.open_jobs(created_before).await
    }
    async fn put_certificate_failures(
        &self,
        tenant_id: &str,
        job_id: &str,
        f: &[CertFailure],
    ) -> InfraResult<()> {
        self.inner.put_certificate_failures(tenant_id, job_id, f).await
    }
    async fn certificate_failures(
        &self,
        tenant_id: &str,
        job_id: &str,
        after: Option<u32>,
        limit: usize,
    ) -> InfraResult<Vec<CertFailure>> {
        self.inner
            .certificate_failures(tenant_id, job_id, after, limit)
            .await
    }
    async fn record_shard(&self, tenant_id: &str, job_id: &str, report: &ShardReport) -> InfraResult<bool> {
        self.inner.record_shard(tenant_id, job_id, report).await
    }
    async fn shard_reports(&self, tenant_id: &str, job_id: &str) -> InfraResult<Vec<ShardReport>> {
        self.inner.shard_reports(tenant_id, job_id).await
    }
    async fn put_item_results(&self, tenant_id: &str, job_id: &str, r: &[ItemResult]) -> InfraResult<()> {
        self.inner.put_item_results(tenant_id, job_id, r).await
    }
    async fn item_results(&self, tenant_id: &str, job_id: &str) -> InfraResult<Vec<ItemResult>> {
        self.inner.item_results(tenant_id, job_id).await
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
