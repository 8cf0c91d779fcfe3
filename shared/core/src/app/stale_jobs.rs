//! Jobs that will not finish by themselves end FAILED with a reason: those whose upload
//! never arrived or whose processing kept failing (the sweeper, by age), and those whose
//! processor invocation failed every retry (the failure destination, by upload key).

use std::time::Duration;

use crate::domain::{format_timestamp, FailureReason, KeystoreJobStatus};
use crate::ports::InfraError;

use super::cert_import_process::fail_job;
use super::keystore_import_process::fail_keystore_job;
use super::{parse_certificate_import_key, parse_keystore_import_key, Deps, ProcessOutcome, UploadProcessor};

/// Fails every job still unfinished `max_age` after its creation, both kinds.
pub async fn sweep_stale_jobs(deps: &Deps, max_age: Duration) -> Result<Vec<ProcessOutcome>, InfraError> {
    let cutoff = chrono::Utc::now() - chrono::Duration::from_std(max_age).unwrap_or_default();
    let cutoff = format_timestamp(cutoff);
    let message = format!(
        "the job did not finish within {} minutes (its upload never arrived, or processing kept failing); upload it again",
        max_age.as_secs() / 60
    );
    let mut outcomes = Vec::new();
    for (tenant_id, job_id) in deps.records.open_jobs(&cutoff).await? {
        outcomes.push(abandon_certificate_job(deps, &tenant_id, &job_id, &message).await?);
    }
    for (tenant_id, job_id) in deps.keystores.open_keystore_jobs(&cutoff).await? {
        outcomes.push(abandon_keystore_job(deps, &tenant_id, &job_id, &message).await?);
    }
    Ok(outcomes)
}

/// Why a job ends when Lambda gave up on its processor invocation.
pub const RETRIES_EXHAUSTED: &str = "processing failed after every retry; upload the file again";

/// Fails the job of an upload whose processing cannot succeed, with `message`.
pub async fn abandon_upload(deps: &Deps, key: &str, message: &str) -> Result<ProcessOutcome, InfraError> {
    let ignored = || ProcessOutcome::Ignored {
        reason: "not an upload key".into(),
    };
    match UploadProcessor::for_key(key) {
        Some(UploadProcessor::CertificateImport) => match parse_certificate_import_key(key) {
            Some((tenant_id, job_id)) => abandon_certificate_job(deps, tenant_id, job_id, message).await,
            None => Ok(ignored()),
        },
        Some(UploadProcessor::KeystoreImport) => match parse_keystore_import_key(key) {
            Some((tenant_id, job_id)) => abandon_keystore_job(deps, tenant_id, job_id, message).await,
            None => Ok(ignored()),
        },
        None => Ok(ignored()),
    }
}

async fn abandon_certificate_job(
    deps: &Deps,
    tenant_id: &str,
    job_id: &str,
    message: &str,
) -> Result<ProcessOutcome, InfraError> {
    match deps.records.get_job(tenant_id, job_id).await? {
        None => Ok(ProcessOutcome::Ignored {
            reason: "no such job".into(),
        }),
        Some(job) if job.status.is_terminal() => Ok(ProcessOutcome::AlreadyFinished { job_id: job.id }),
        Some(job) => fail_job(deps, job, FailureReason::NotProcessed, message).await,
    }
}

async fn abandon_keystore_job(
    deps: &Deps,
    tenant_id: &str,
    job_id: &str,
    message: &str,
) -> Result<ProcessOutcome, InfraError> {
    match deps.keystores.get_keystore_job(tenant_id, job_id).await? {
        None => Ok(ProcessOutcome::Ignored {
            reason: "no such job".into(),
        }),
        Some(job) if job.status != KeystoreJobStatus::Processing => {
            Ok(ProcessOutcome::AlreadyFinished { job_id: job.id })
        }
        Some(job) => fail_keystore_job(deps, job, message).await,
    }
}
