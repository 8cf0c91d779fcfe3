//! `JobStore` on the single table (layout in `super`, keys in `keys`).

use async_trait::async_trait;
use certport_core::domain::{Admission, CertFailure, ItemResult, Job, JobKind, ShardReport, WorkQuota};
use certport_core::ports::{InfraError, InfraResult, JobStore, OpenJob};

use crate::adapters::dynamodb::keys::{
    certificate_job_pk, failure_sk, item_result_key, job_key, key, keystore_job_pk, shard_report_key,
    ITEM_PREFIX, SHARD_PREFIX,
};
use crate::adapters::dynamodb::{with_doc, Item, OPEN_JOB_CONDITION};
use crate::DynamoStore;

fn job_item(job: &Job) -> InfraResult<Item> {
    let item = DynamoStore::job_item(job.kind(), &job.tenant_id, &job.id, &job.active_at, job.is_open());
    with_doc(item, job)
}

#[async_trait]
impl JobStore for DynamoStore {
    async fn create_job(&self, job: &Job, quota: WorkQuota) -> InfraResult<Admission> {
        let item = job_item(job)?;
        if !job.is_open() {
            return self
                .create("create job", item)
                .await
                .map(|()| Admission::Admitted);
        }
        let reserved = job.reserved_items;
        self.create_open_job("create job", &job.tenant_id, item, reserved, quota)
            .await
    }

    async fn get_job(&self, tenant_id: &str, id: &str) -> InfraResult<Option<Job>> {
        self.get("get job", job_key(tenant_id, id)).await
    }

    async fn update_open_job(&self, job: &Job) -> InfraResult<bool> {
        if !job.is_open() {
            return Err(InfraError::permanent(
                "update open job",
                "the job given has ended",
            ));
        }
        self.put_if("update open job", job_item(job)?, OPEN_JOB_CONDITION)
            .await
    }

    async fn finish_job(&self, job: &Job) -> InfraResult<bool> {
        if job.is_open() {
            return Err(InfraError::permanent("finish job", "the job given is open"));
        }
        let reserved = job.reserved_items;
        self.end_open_job("finish job", &job.tenant_id, job_item(job)?, reserved)
            .await
    }

    async fn open_jobs(&self, active_before: &str) -> InfraResult<Vec<OpenJob>> {
        let mut jobs = self
            .query_open_jobs(JobKind::CertificateImport, active_before)
            .await?;
        jobs.extend(
            self.query_open_jobs(JobKind::KeystoreImport, active_before)
                .await?,
        );
        jobs.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(jobs.into_iter().map(|(_, job)| job).collect())
    }

    async fn put_certificate_failures(
        &self,
        tenant_id: &str,
        job_id: &str,
        failures: &[CertFailure],
    ) -> InfraResult<()> {
        let items = failures
            .iter()
            .map(|f| {
                let item = key(
                    certificate_job_pk(tenant_id, job_id),
                    failure_sk(f.ordinal.into()),
                );
                with_doc(item, f)
            })
            .collect::<InfraResult<Vec<_>>>()?;
        self.batch_put(items).await
    }

    async fn certificate_failures(
        &self,
        tenant_id: &str,
        job_id: &str,
        after: Option<u32>,
        limit: usize,
    ) -> InfraResult<Vec<CertFailure>> {
        let from = after.map_or(0, |a| u64::from(a) + 1);
        self.query_range(
            "list job failures",
            certificate_job_pk(tenant_id, job_id),
            (failure_sk(from), failure_sk(u32::MAX.into())),
            limit,
        )
        .await
    }

    async fn record_shard(&self, tenant_id: &str, job_id: &str, report: &ShardReport) -> InfraResult<bool> {
        let item = with_doc(shard_report_key(tenant_id, job_id, report.shard), report)?;
        self.put_if("record shard", item, "attribute_not_exists(pk)")
            .await
    }

    async fn shard_reports(&self, tenant_id: &str, job_id: &str) -> InfraResult<Vec<ShardReport>> {
        self.query_prefix(
            "list shard reports",
            certificate_job_pk(tenant_id, job_id),
            SHARD_PREFIX,
        )
        .await
    }

    async fn put_item_results(
        &self,
        tenant_id: &str,
        job_id: &str,
        results: &[ItemResult],
    ) -> InfraResult<()> {
        let items = results
            .iter()
            .map(|r| with_doc(item_result_key(tenant_id, job_id, r.ordinal), r))
            .collect::<InfraResult<Vec<_>>>()?;
        self.batch_put(items).await
    }

    async fn item_results(&self, tenant_id: &str, job_id: &str) -> InfraResult<Vec<ItemResult>> {
        self.query_prefix(
            "list item results",
            keystore_job_pk(tenant_id, job_id),
            ITEM_PREFIX,
        )
        .await
    }
}
