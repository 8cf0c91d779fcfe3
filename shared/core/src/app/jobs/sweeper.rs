//! The sweeper: jobs that will not finish by themselves (their upload never arrived, or
//! their processing kept failing) end FAILED once they have made no progress for the
//! deadline. Also what a restarted `serve` must process again.

use std::time::Duration;

use crate::domain::{format_timestamp, FailureReason};
use crate::ports::InfraError;

use crate::app::{fail_job, Deps, ProcessOutcome};

/// Fails every unfinished job, of both kinds, that has not moved forward for `max_idle`
/// (since it was created, its upload arrived, or its last batch was done).
pub async fn sweep_stale_jobs(deps: &Deps, max_idle: Duration) -> Result<Vec<ProcessOutcome>, InfraError> {
    let cutoff = chrono::Utc::now() - chrono::Duration::from_std(max_idle).unwrap_or_default();
    let cutoff = format_timestamp(cutoff);
    let message = format!(
        "the job made no progress for {} minutes (its upload never arrived, or processing kept failing); upload what it did not import again",
        max_idle.as_secs() / 60
    );
    let stale = deps.jobs.open_jobs(&cutoff).await?;
    let mut outcomes = Vec::with_capacity(stale.len());
    for job in stale {
        let (tenant_id, job_id) = (&job.tenant_id, &job.job_id);
        outcomes.push(fail_job(deps, tenant_id, job_id, FailureReason::NotProcessed, &message).await?);
    }
    Ok(outcomes)
}

/// The stored uploads of open jobs, for a restarted `serve` to process again: a job
/// whose processing a crash or a stop cut short finishes then (on AWS, S3's events and
/// their retries do this). Processing is idempotent, so a run cut short starts over.
pub async fn stored_uploads_of_open_jobs(deps: &Deps) -> Result<Vec<String>, InfraError> {
    let mut keys = Vec::new();
    for open in deps.jobs.open_jobs("9999-12-31T23:59:59.999999Z").await? {
        let Some(job) = deps.jobs.get_job(&open.tenant_id, &open.job_id).await? else {
            continue;
        };
        if job.is_open() && deps.objects.size(&job.object_key).await?.is_some() {
            keys.push(job.object_key);
        }
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::jobs::lifecycle::record_progress;
    use crate::app::Limits;
    use crate::domain::{JobState, WorkQuota};
    use crate::testing::memory::memory_deps;
    use crate::testing::store_contracts::keystore_job;

    /// Both jobs were created three hours ago; one moved forward just now.
    #[tokio::test]
    async fn the_deadline_runs_from_a_jobs_last_progress_not_its_creation() {
        let deps = memory_deps(Limits::default());
        let three_hours_ago = format_timestamp(chrono::Utc::now() - chrono::Duration::hours(3));
        let idle = keystore_job("tenant", &three_hours_ago);
        let mut moving = keystore_job("tenant", &three_hours_ago);
        for job in [&idle, &moving] {
            deps.jobs.create_job(job, WorkQuota::UNLIMITED).await.unwrap();
        }
        assert!(record_progress(&deps, &mut moving).await.unwrap());

        sweep_stale_jobs(&deps, Duration::from_secs(2 * 60 * 60))
            .await
            .unwrap();
        for (job, state) in [(idle, JobState::Failed), (moving, JobState::Open)] {
            let stored = deps.jobs.get_job("tenant", &job.id).await.unwrap().unwrap();
            assert_eq!(stored.state, state);
        }
    }
}
