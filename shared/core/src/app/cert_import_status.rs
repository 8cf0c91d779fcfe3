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
    let job = deps
        .jobs
        .get_certificate_job(&caller.tenant.id, job_id)
        .await?
        .ok_or(AppError::NotFound("certificate import job"))?;
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
