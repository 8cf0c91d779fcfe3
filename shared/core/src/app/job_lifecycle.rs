//! One lifecycle for jobs of both kinds. A job is created once (the store refuses a
//! second record with its id) and ends once: every move to COMPLETED or FAILED is one
//! conditional write of the job record, so when a processor, the sweeper and the
//! failure queue race, the first writer wins and the others change nothing. A failed
//! job's per-item outcomes are read from its record (see the status use cases), so
//! failing a job writes nothing but the record.

use crate::domain::{FailureReason, JobKind, JobResult, JobStatus, KeystoreJobStatus};
use crate::ports::InfraError;

use super::{Deps, ProcessOutcome};

/// Ends the job FAILED with `message` if it is still open. `reason` is the code a
/// certificate import reports; keystore items report `JOB_FAILED`.
pub async fn fail_job(
    deps: &Deps,
    kind: JobKind,
    tenant_id: &str,
    job_id: &str,
    reason: FailureReason,
    message: &str,
) -> Result<ProcessOutcome, InfraError> {
    let ended = match kind {
        JobKind::CertificateImport => {
            let Some(mut job) = deps.jobs.get_certificate_job(tenant_id, job_id).await? else {
                return Ok(no_such_job());
            };
            if job.status.is_terminal() {
                return Ok(ProcessOutcome::AlreadyFinished { job_id: job.id });
            }
            job.status = JobStatus::Failed;
            job.result = Some(JobResult::Failure);
            job.failed_certificates = job.total_certificates;
            job.failure_message = Some(message.to_string());
            job.failure_reason = Some(reason);
            deps.jobs.update_open_certificate_job(&job).await?
        }
        JobKind::KeystoreImport => {
            let Some(mut job) = deps.jobs.get_keystore_job(tenant_id, job_id).await? else {
                return Ok(no_such_job());
            };
            if job.status != KeystoreJobStatus::Processing {
                return Ok(ProcessOutcome::AlreadyFinished { job_id: job.id });
            }
            job.status = KeystoreJobStatus::Failed;
            job.failure_message = Some(message.to_string());
            deps.jobs.update_open_keystore_job(&job).await?
        }
    };
    if !ended {
        return Ok(ProcessOutcome::AlreadyFinished {
            job_id: job_id.to_string(),
        });
    }
    tracing::warn!(%job_id, ?kind, reason = message, "job failed");
    Ok(ProcessOutcome::Failed {
        job_id: job_id.to_string(),
        reason: message.to_string(),
    })
}

fn no_such_job() -> ProcessOutcome {
    ProcessOutcome::Ignored {
        reason: "no such job".into(),
    }
}
