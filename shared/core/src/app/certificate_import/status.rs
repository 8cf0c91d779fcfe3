//! Reading a certificate import: its status (totals, counts by reason and the first
//! failures, in a bounded number of reads whatever the job's size) and its failures, a
//! page at a time.

use crate::domain::{CertFailure, Job, JobState};

use crate::app::{AppError, Caller, Deps};

pub struct CertImportStatus {
    /// A certificate import.
    pub job: Job,
    /// The first failures, by ordinal: at most `Limits::status_failures`.
    pub failures: Vec<CertFailure>,
    /// Whether the job has failures past those (read them with the failures route).
    pub more_failures: bool,
}

/// A page of a job's failures, and the ordinal to continue after when there are more.
pub struct FailurePage {
    pub total: u64,
    pub failures: Vec<CertFailure>,
    pub next: Option<u32>,
}

/// Failures a page may hold.
pub const MAX_FAILURE_PAGE: usize = 1000;

/// The caller's certificate import `job_id`.
async fn job(deps: &Deps, caller: &Caller, job_id: &str) -> Result<Job, AppError> {
    let mut job = deps
        .jobs
        .get_job(&caller.tenant.id, job_id)
        .await?
        .ok_or(AppError::NotFound("certificate import job"))?;
    let sharded = job
        .certificates()
        .ok_or(AppError::NotFound("certificate import job"))?
        .shard_plan
        .is_some();
    if job.is_open() && sharded {
        // Shards run at once and report as they finish: their sum is the progress.
        let reports = deps.jobs.shard_reports(&job.tenant_id, &job.id).await?;
        job.processed = reports.iter().map(|r| r.certificates).sum();
    }
    Ok(job)
}

/// At most `limit` failures of `job` after ordinal `after`, and whether more follow. A
/// failed job lists why it failed first (as ordinal 0), then what its runs recorded.
async fn failures(
    deps: &Deps,
    job: &Job,
    after: Option<u32>,
    limit: usize,
) -> Result<(Vec<CertFailure>, bool), AppError> {
    let mut page = Vec::new();
    if let (Some(failure), None) = (&job.failure, after) {
        page.push(CertFailure {
            ordinal: 0,
            file_name: None,
            index: None,
            reason: failure.reason,
            message: failure.message.clone(),
        });
    }
    let room = limit - page.len();
    let mut read = deps
        .jobs
        .certificate_failures(&job.tenant_id, &job.id, after, room.saturating_add(1))
        .await?;
    let more = read.len() > room;
    read.truncate(room);
    page.extend(read);
    Ok((page, more))
}

pub async fn get_certificate_import(
    deps: &Deps,
    caller: &Caller,
    job_id: &str,
) -> Result<CertImportStatus, AppError> {
    let job = job(deps, caller, job_id).await?;
    let (failures, more_failures) = match job.state {
        // Failures are listed once the job has ended (the runs write them in batches).
        JobState::Open => (Vec::new(), false),
        _ => failures(deps, &job, None, deps.limits.status_failures).await?,
    };
    Ok(CertImportStatus {
        job,
        failures,
        more_failures,
    })
}

/// A page of the job's failures, by ordinal: at most `limit` (1 to 1,000) after `after`.
pub async fn list_certificate_import_failures(
    deps: &Deps,
    caller: &Caller,
    job_id: &str,
    after: Option<u32>,
    limit: usize,
) -> Result<FailurePage, AppError> {
    if !(1..=MAX_FAILURE_PAGE).contains(&limit) {
        return Err(AppError::invalid(format!(
            "limit must be from 1 to {MAX_FAILURE_PAGE}; got {limit}"
        )));
    }
    let job = job(deps, caller, job_id).await?;
    let (failures, more) = failures(deps, &job, after, limit).await?;
    let next = if more {
        failures.last().map(|f| f.ordinal)
    } else {
        None
    };
    // A failed job's own failure is one record; what it never reached is counted in it.
    let total = match job.state {
        JobState::Failed => job.failed.saturating_sub(job.unprocessed()) + 1,
        _ => job.failed,
    };
    Ok(FailurePage {
        total,
        failures,
        next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{process_certificate_import, upload_certificate_import, CertImportUpload, Limits};
    use crate::domain::FailureReason;
    use crate::testing::memory::memory_deps;
    use crate::testing::scenarios::{new_caller, pem_profile};
    use crate::testing::zip_of;

    /// A finished job of five certificates that all fail (not base64), with the status
    /// listing at most two.
    async fn five_failures() -> (Deps, Caller, String) {
        let deps = memory_deps(Limits {
            status_failures: 2,
            ..Limits::default()
        });
        let caller = new_caller(&deps, "failures").await;
        let profile_id = pem_profile(&deps, &caller).await;
        let bad = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n".repeat(5);
        let upload = CertImportUpload {
            profile_id,
            file_name: "bad.zip".into(),
            zip: zip_of(&[("bad.pem", bad.as_bytes())]).into(),
            ip_address: None,
        };
        let job = upload_certificate_import(&deps, &caller, upload).await.unwrap();
        process_certificate_import(&deps, &job.object_key).await.unwrap();
        (deps, caller, job.id)
    }

    #[tokio::test]
    async fn a_status_lists_the_first_failures_and_counts_them_all_by_reason() {
        let (deps, caller, job_id) = five_failures().await;
        let status = get_certificate_import(&deps, &caller, &job_id).await.unwrap();
        assert_eq!(
            status.failures.iter().map(|f| f.ordinal).collect::<Vec<_>>(),
            [1, 2]
        );
        assert!(status.more_failures);
        assert_eq!(status.job.failed, 5);
        assert_eq!(
            status.job.failure_counts,
            crate::domain::FailureCounts::from([(FailureReason::MalformedPem, 5)])
        );
    }

    #[tokio::test]
    async fn failures_page_by_ordinal_to_the_last() {
        let (deps, caller, job_id) = five_failures().await;
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = list_certificate_import_failures(&deps, &caller, &job_id, after, 2)
                .await
                .unwrap();
            assert_eq!(page.total, 5);
            seen.extend(page.failures.iter().map(|f| f.ordinal));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, [1, 2, 3, 4, 5]);
        let refused = list_certificate_import_failures(&deps, &caller, &job_id, None, 1001).await;
        assert!(matches!(refused, Err(AppError::InvalidInput(_))));
    }
}
