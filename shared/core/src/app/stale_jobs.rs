//! Jobs that will not finish by themselves end FAILED with a reason: those whose upload
//! never arrived or whose processing kept failing (the sweeper, by age), and those whose
//! processor invocation failed every retry (the failure destination, by upload key).

use std::time::Duration;

use crate::domain::{format_timestamp, FailureReason};
use crate::ports::InfraError;

use super::{
    fail_job, parse_certificate_import_key, parse_keystore_import_key, Deps, ProcessOutcome, UploadProcessor,
};

/// Fails every job still unfinished `max_age` after its creation, both kinds.
pub async fn sweep_stale_jobs(deps: &Deps, max_age: Duration) -> Result<Vec<ProcessOutcome>, InfraError> {
    let cutoff = chrono::Utc::now() - chrono::Duration::from_std(max_age).unwrap_or_default();
    let cutoff = format_timestamp(cutoff);
    let message = format!(
        "the job did not finish within {} minutes (its upload never arrived, or processing kept failing); upload it again",
        max_age.as_secs() / 60
    );
    let stale = deps.jobs.open_jobs(&cutoff).await?;
    let mut outcomes = Vec::with_capacity(stale.len());
    for job in stale {
        let (tenant_id, job_id) = (&job.tenant_id, &job.job_id);
        outcomes.push(fail_job(deps, tenant_id, job_id, FailureReason::NotProcessed, &message).await?);
    }
    Ok(outcomes)
}

/// Why a job ends when Lambda gave up on its processor invocation.
pub const RETRIES_EXHAUSTED: &str = "processing failed after every retry; upload the file again";

/// Fails the job of an upload whose processing cannot succeed, with `message`.
pub async fn abandon_upload(deps: &Deps, key: &str, message: &str) -> Result<ProcessOutcome, InfraError> {
    let job = match UploadProcessor::for_key(key) {
        Some(UploadProcessor::CertificateImport) => parse_certificate_import_key(key),
        Some(UploadProcessor::KeystoreImport) => parse_keystore_import_key(key),
        None => None,
    };
    match job {
        Some((tenant_id, job_id)) => {
            fail_job(deps, tenant_id, job_id, FailureReason::NotProcessed, message).await
        }
        None => Ok(ProcessOutcome::Ignored {
            reason: "not an upload key".into(),
        }),
    }
}
