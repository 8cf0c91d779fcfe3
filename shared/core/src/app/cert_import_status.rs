use crate::domain::{CertFailure, CertImportJob};

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
        .records
        .get_job(&caller.tenant.id, job_id)
        .await?
        .ok_or(AppError::NotFound("certificate import job"))?;
    let failures = if job.status.is_terminal() {
        deps.records.job_failures(&job.tenant_id, &job.id).await?
    } else {
        Vec::new()
    };
    Ok(CertImportStatus { job, failures })
}
