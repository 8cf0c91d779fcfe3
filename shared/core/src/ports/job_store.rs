use async_trait::async_trait;

use super::InfraResult;
use crate::domain::{Admission, CertFailure, ItemResult, Job, JobKind, ShardReport, WorkQuota};

/// An unfinished job, as the sweeper lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenJob {
    pub kind: JobKind,
    pub tenant_id: String,
    pub job_id: String,
}

/// Import jobs of both kinds, with one lifecycle: a job is created once (an error if a
/// job with its id exists); every later write of it is conditional on the stored job
/// being open, returning `false` with nothing written once it has ended (or when there
/// is none). The write that ends it therefore happens once: of racing writers the first
/// wins. Each kind keeps its own per-item outcomes. Every read is scoped by tenant.
///
/// An open job holds part of its tenant's `WorkQuota` (one job, and its
/// `reserved_items`) from the write that creates it to the write that ends it. Creating
/// a job checks the quota and writes the job in one atomic step, so racing creators
/// never pass it together; a refused job is not written.
#[async_trait]
pub trait JobStore: Send + Sync {
    async fn create_job(&self, job: &Job, quota: WorkQuota) -> InfraResult<Admission>;
    async fn get_job(&self, tenant_id: &str, id: &str) -> InfraResult<Option<Job>>;
    /// Rewrites an open job with `job`, which is still open (its progress, its plan).
    async fn update_open_job(&self, job: &Job) -> InfraResult<bool>;
    /// Ends an open job with `job` (COMPLETED or FAILED), freeing its part of the quota.
    async fn finish_job(&self, job: &Job) -> InfraResult<bool>;
    /// Every open job of either kind last active before `active_before` (a timestamp as
    /// jobs store it), least recently active first: what the sweeper looks at.
    async fn open_jobs(&self, active_before: &str) -> InfraResult<Vec<OpenJob>>;

    /// Idempotent: a failure is keyed by its job and ordinal.
    async fn put_certificate_failures(
        &self,
        tenant_id: &str,
        job_id: &str,
        failures: &[CertFailure],
    ) -> InfraResult<()>;
    /// At most `limit` failures, by ordinal, from the first after `after` (from the first
    /// when `None`): a job may have millions, so they are read a page at a time.
    async fn certificate_failures(
        &self,
        tenant_id: &str,
        job_id: &str,
        after: Option<u32>,
        limit: usize,
    ) -> InfraResult<Vec<CertFailure>>;
    /// Counts a processed shard of a certificate job, once: `false`, with nothing
    /// written, when that shard is already counted (the first report stands).
    async fn record_shard(&self, tenant_id: &str, job_id: &str, report: &ShardReport) -> InfraResult<bool>;
    /// The shards counted so far, by shard number. Read after `record_shard`, it holds
    /// that shard and every shard counted before it.
    async fn shard_reports(&self, tenant_id: &str, job_id: &str) -> InfraResult<Vec<ShardReport>>;

    /// Idempotent: a result is keyed by its job and ordinal.
    async fn put_item_results(
        &self,
        tenant_id: &str,
        job_id: &str,
        results: &[ItemResult],
    ) -> InfraResult<()>;
    /// Ordered by ordinal.
    async fn item_results(&self, tenant_id: &str, job_id: &str) -> InfraResult<Vec<ItemResult>>;
}
