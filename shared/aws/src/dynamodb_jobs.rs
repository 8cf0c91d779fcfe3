//! `JobStore` on the single table (layout in `dynamodb_store`).

use async_trait::async_trait;
use certport_core::domain::{
    Admission, CertFailure, CertImportJob, ItemResult, JobKind, KeystoreImportJob, KeystoreJobStatus,
    ShardReport, WorkQuota,
};
use certport_core::ports::{InfraResult, JobStore, OpenJob};

use crate::dynamodb_store::{key, tenant_pk, with_doc, Item, OPEN_JOB_CONDITION};
use crate::DynamoStore;

fn cert_job_item(job: &CertImportJob) -> Item {
    let open = !job.status.is_terminal();
    DynamoStore::job_item(
        JobKind::CertificateImport,
        &job.tenant_id,
        &job.id,
        &job.created_at,
        open,
    )
}

fn keystore_job_item(job: &KeystoreImportJob) -> Item {
    let open = job.status == KeystoreJobStatus::Processing;
    DynamoStore::job_item(
        JobKind::KeystoreImport,
        &job.tenant_id,
        &job.id,
        &job.creation_date,
        open,
    )
}

#[async_trait]
impl JobStore for DynamoStore {
    async fn create_certificate_job(&self, job: &CertImportJob, quota: WorkQuota) -> InfraResult<Admission> {
        let item = with_doc(cert_job_item(job), job)?;
        if job.status.is_terminal() {
            return self
                .create("create job", item)
                .await
                .map(|()| Admission::Admitted);
        }
        self.create_open_job("create job", &job.tenant_id, item, 0, quota)
            .await
    }

    async fn get_certificate_job(&self, tenant_id: &str, id: &str) -> InfraResult<Option<CertImportJob>> {
        self.get(
            "get job",
            key(format!("TENANT#{tenant_id}"), format!("CERTJOB#{id}")),
        )
        .await
    }

    async fn update_open_certificate_job(&self, job: &CertImportJob) -> InfraResult<bool> {
        let item = with_doc(cert_job_item(job), job)?;
        if job.status.is_terminal() {
            return self.end_open_job("end job", &job.tenant_id, item, 0).await;
        }
        self.put_if("update open job", item, OPEN_JOB_CONDITION).await
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

    async fn create_keystore_job(&self, job: &KeystoreImportJob, quota: WorkQuota) -> InfraResult<Admission> {
        let item = with_doc(keystore_job_item(job), job)?;
        if job.status != KeystoreJobStatus::Processing {
            return self
                .create("create keystore job", item)
                .await
                .map(|()| Admission::Admitted);
        }
        let reserved = job.reserved_items;
        self.create_open_job("create keystore job", &job.tenant_id, item, reserved, quota)
            .await
    }

    async fn get_keystore_job(&self, tenant_id: &str, id: &str) -> InfraResult<Option<KeystoreImportJob>> {
        self.get(
            "get keystore job",
            key(tenant_pk(tenant_id), format!("KSJOB#{id}")),
        )
        .await
    }

    async fn update_open_keystore_job(&self, job: &KeystoreImportJob) -> InfraResult<bool> {
        let item = with_doc(keystore_job_item(job), job)?;
        if job.status != KeystoreJobStatus::Processing {
            let reserved = job.reserved_items;
            return self
                .end_open_job("end keystore job", &job.tenant_id, item, reserved)
                .await;
        }
        self.put_if("update open keystore job", item, OPEN_JOB_CONDITION)
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

    async fn open_jobs(&self, created_before: &str) -> InfraResult<Vec<OpenJob>> {
        let mut jobs = self
            .query_open_jobs(JobKind::CertificateImport, created_before)
            .await?;
        jobs.extend(
            self.query_open_jobs(JobKind::KeystoreImport, created_before)
                .await?,
        );
        jobs.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(jobs.into_iter().map(|(_, job)| job).collect())
    }
}
