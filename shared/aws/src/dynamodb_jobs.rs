//! `JobStore` on the single table (layout in `dynamodb_store`).

use async_trait::async_trait;
use certport_core::domain::{Admission, CertFailure, ItemResult, Job, JobKind, ShardReport, WorkQuota};
use certport_core::ports::{InfraError, InfraResult, JobStore, OpenJob};

use crate::dynamodb_store::{key, tenant_pk, with_doc, Item, OPEN_JOB_CONDITION};
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
        self.get("get job", key(tenant_pk(tenant_id), format!("JOB#{id}")))
            .await
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
                    format!("CERTJOB#{tenant_id}#{job_id}"),
                    format!("FAILURE#{:010}", f.ordinal),
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
            format!("CERTJOB#{tenant_id}#{job_id}"),
            (format!("FAILURE#{from:010}"), format!("FAILURE#{:010}", u32::MAX)),
            limit,
        )
        .await
    }

    async fn record_shard(&self, tenant_id: &str, job_id: &str, report: &ShardReport) -> InfraResult<bool> {
        let item = key(
            format!("CERTJOB#{tenant_id}#{job_id}"),
            format!("SHARD#{:06}", report.shard),
        );
        let item = with_doc(item, report)?;
        self.put_if("record shard", item, "attribute_not_exists(pk)")
            .await
    }

    async fn shard_reports(&self, tenant_id: &str, job_id: &str) -> InfraResult<Vec<ShardReport>> {
        self.query_prefix(
            "list shard reports",
            format!("CERTJOB#{tenant_id}#{job_id}"),
            "SHARD#",
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
            .map(|r| {
                let item = key(
                    format!("KSJOB#{tenant_id}#{job_id}"),
                    format!("ITEM#{:06}", r.ordinal),
                );
                with_doc(item, r)
            })
            .collect::<InfraResult<Vec<_>>>()?;
        self.batch_put(items).await
    }

    async fn item_results(&self, tenant_id: &str, job_id: &str) -> InfraResult<Vec<ItemResult>> {
        self.query_prefix(
            "list item results",
            format!("KSJOB#{tenant_id}#{job_id}"),
            "ITEM#",
        )
        .await
    }
}
