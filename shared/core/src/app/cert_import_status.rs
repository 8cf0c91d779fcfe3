use crate::domain::{CertFailure, CertImportJob, JobStatus};

use super::{AppError, Caller, Deps};

pub struct CertImportStatus {
    pub job: CertImportJob,
    pub failures: Vec<CertFailure>,
}

pub async fn get_certificate_import(
    deps: &Deps,
    caller: &Caller,
    job_id: &str,
) -> Result<CertImportStatus, AppError> {
    let mut job = deps
        .jobs
        .get_certificate_job(&caller.tenant.id, job_id)
        .await?
        .ok_or(AppError::NotFound("certificate import job"))?;
    if job.status == JobStatus::Pending && job.shard_plan.is_some() {
        // Shards run at once and report as they finish: their sum is the progress.
        let reports = deps.jobs.shard_reports(&job.tenant_id, &job.id).await?;
        job.processed_certificates = reports.iter().map(|r| r.certificates).sum();
    }
    let failures = match (job.status, job.failure_reason) {
        (JobStatus::Pending, _) => Vec::new(),
        // A failed job reports why it failed as a whole, from its record alone.
        (JobStatus::Failed, Some(reason)) => vec![CertFailure {
            ordinal: 0,
            file_name: None,
            index: None,
            reason,
            message: job.failure_message.clone().unwrap_or_default(),
        }],
        _ => deps.jobs.certificate_failures(&job.tenant_id, &job.id).await?,
    };
    Ok(CertImportStatus { job, failures })
}
