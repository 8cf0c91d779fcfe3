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

/// What happens to a job at the write where a `JobWritesFault` strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobFault {
    /// The writer dies: that write and every later one fails transiently.
    WriterDies,
    /// The sweeper ends the job just before that write (of progress) lands.
    Swept,
}

/// A job store that lets `allowed` writes of open jobs (recording progress, ending a
/// job) through, then strikes: a processor dying after its writes, before the job ends
/// (`writer_dies_after`), or a run meeting a job the sweeper ended under it
/// (`swept_after`). It keeps every job it was asked to write, in order.
pub struct JobWritesFault {
    inner: Arc<dyn JobStore>,
    allowed: AtomicUsize,
    fault: JobFault,
    updates: std::sync::Mutex<Vec<Job>>,
}

impl JobWritesFault {
    pub fn writer_dies_after(inner: Arc<dyn JobStore>, allowed: usize) -> Self {
        Self::new(inner, allowed, JobFault::WriterDies)
    }

    pub fn swept_after(inner: Arc<dyn JobStore>, allowed: usize) -> Self {
        Self::new(inner, allowed, JobFault::Swept)
    }

    fn new(inner: Arc<dyn JobStore>, allowed: usize, fault: JobFault) -> Self {
        JobWritesFault {
            inner,
            allowed: AtomicUsize::new(allowed),
            fault,
            updates: Default::default(),
        }
    }

    /// The jobs written so far (progress, then the end).
    pub fn updates(&self) -> Vec<Job> {
        self.updates.lock().map(|u| u.clone()).unwrap_or_default()
    }

    async fn strike(&self, job: &Job, operation: &'static str) -> InfraResult<()> {
        let struck = let_through(&self.allowed, operation).is_err();
        match (struck, self.fault) {
            (true, JobFault::WriterDies) => return let_through(&self.allowed, operation),
            (true, JobFault::Swept) => {
                // Once: the sweeper ends a job once.
                self.allowed.store(usize::MAX, Ordering::SeqCst);
                if let Some(stored) = self.inner.get_job(&job.tenant_id, &job.id).await? {
                    let swept = stored.failed_for(crate::domain::FailureReason::NotProcessed, "swept");
                    self.inner.finish_job(&swept).await?;
                }
            }
            (false, _) => {}
        }
        if let Ok(mut updates) = self.updates.lock() {
            updates.push(job.clone());
        }
        Ok(())
    }
}

#[async_trait]
impl JobStore for JobWritesFault {
    async fn create_job(&self, job: &Job, quota: WorkQuota) -> InfraResult<Admission> {
        self.inner.create_job(job, quota).await
    }
    async fn get_job(&self, tenant_id: &str, id: &str) -> InfraResult<Option<Job>> {
        self.inner.get_job(tenant_id, id).await
    }
    async fn update_open_job(&self, job: &Job) -> InfraResult<bool> {
        self.strike(job, "update open job").await?;
        self.inner.update_open_job(job).await
    }
    async fn finish_job(&self, job: &Job) -> InfraResult<bool> {
        self.strike(job, "finish job").await?;
        self.inner.finish_job(job).await
    }
    async fn open_jobs(&self, active_before: &str) -> InfraResult<Vec<OpenJob>> {
        self.inner.open_jobs(active_before).await
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
