//! One lifecycle for jobs of both kinds, and every move in it. A job is created once
//! (the store refuses a second record with its id, and a tenant past its quota) and ends
//! once: every move to COMPLETED or FAILED is one conditional write of the job record,
//! so when a processor, the sweeper and the failure queue race, the first writer wins
//! and the others change nothing. A failed job's per-item outcomes are read from its
//! record (see the status use cases), so failing a job writes nothing but the record.

use crate::domain::{
    format_timestamp, Admission, FailureCounts, FailureReason, Job, JobState, QuotaLimit, MAX_BATCH_ITEMS,
};
use crate::ports::InfraError;

use crate::app::{AppError, Deps, ProcessOutcome};

/// How long a tenant at its quota is asked to wait: most jobs end within seconds.
pub const RETRY_AFTER_SECS: u64 = 10;

/// Creates an open job, if its tenant's quota has room for it.
pub(crate) async fn create_job(deps: &Deps, job: &Job) -> Result<(), AppError> {
    let quota = deps.limits.work_quota;
    let message = match deps.jobs.create_job(job, quota).await? {
        Admission::Admitted => return Ok(()),
        Admission::Refused(QuotaLimit::OpenJobs) => format!(
            "this tenant is at its limit of {} unfinished import jobs; retry once one has finished",
            quota.max_open_jobs
        ),
        Admission::Refused(QuotaLimit::KeystoreItems) => format!(
            "this tenant is at its limit of {} keystore items in unfinished imports (a batch \
             sent to an upload URL holds {MAX_BATCH_ITEMS} until it arrives); retry once one has finished",
            quota.max_keystore_items
        ),
    };
    Err(AppError::TooBusy {
        message,
        retry_after_secs: RETRY_AFTER_SECS,
    })
}

/// Records that an open job moved forward (its upload arrived, a batch was done, its
/// plan or its count of items is known), as `job` says, stamping when: the sweeper's
/// deadline runs from there. `false` when it has ended meanwhile, and whoever is working
/// on it should stop.
pub(crate) async fn record_progress(deps: &Deps, job: &mut Job) -> Result<bool, InfraError> {
    job.active_at = format_timestamp(chrono::Utc::now());
    deps.jobs.update_open_job(job).await
}

/// Ends the job FAILED with `message` if it is still open. `reason` is the code a
/// certificate import reports; keystore items report `JOB_FAILED`.
pub async fn fail_job(
    deps: &Deps,
    tenant_id: &str,
    job_id: &str,
    reason: FailureReason,
    message: &str,
) -> Result<ProcessOutcome, InfraError> {
    let Some(job) = deps.jobs.get_job(tenant_id, job_id).await? else {
        return Ok(ProcessOutcome::Ignored {
            reason: "no such job".into(),
        });
    };
    fail(deps, job, reason, message).await
}

/// Ends `job` (as read) FAILED with `message` if it is still open.
pub(crate) async fn fail(
    deps: &Deps,
    job: Job,
    reason: FailureReason,
    message: &str,
) -> Result<ProcessOutcome, InfraError> {
    if !job.is_open() {
        return Ok(ProcessOutcome::AlreadyFinished { job_id: job.id });
    }
    let job = job.failed_for(reason, message);
    if !deps.jobs.finish_job(&job).await? {
        return Ok(ProcessOutcome::AlreadyFinished { job_id: job.id });
    }
    tracing::warn!(job_id = %job.id, kind = ?job.kind(), reason = message, "job failed");
    Ok(ProcessOutcome::Failed {
        job_id: job.id,
        reason: message.to_string(),
    })
}

/// Ends a job COMPLETED with its counts if it is still open; a job the sweeper or the
/// failure queue ended meanwhile stays as they left it.
pub(crate) async fn complete(
    deps: &Deps,
    mut job: Job,
    (total, failed, failure_counts): (u64, u64, FailureCounts),
    processing_time_ms: u64,
) -> Result<ProcessOutcome, InfraError> {
    job.state = JobState::Completed;
    job.total = total;
    job.processed = total;
    job.failed = failed;
    job.failure_counts = failure_counts;
    job.processing_time_ms = processing_time_ms;
    if !deps.jobs.finish_job(&job).await? {
        return Ok(ProcessOutcome::AlreadyFinished { job_id: job.id });
    }
    tracing::info!(job_id = %job.id, kind = ?job.kind(), total, failed, ms = processing_time_ms, "job completed");
    Ok(ProcessOutcome::Completed {
        job_id: job.id,
        total,
        failed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{
        create_edge_instance, get_certificate_import, get_keystore_import, upload_certificate_import,
        upload_keystore_import, Caller, CertImportUpload, Limits, UploadProcessor,
    };
    use std::sync::Arc;

    use crate::domain::{ItemFailureReason, ItemStatus, JobResult};
    use crate::testing::certs::{ca_signed_keystores, self_signed, KeyType};
    use crate::testing::faults::{DeviceWritesFailAfter, JobWritesFault};
    use crate::testing::memory::memory_deps;
    use crate::testing::scenarios::{keystore_batch, new_caller, pem_profile};
    use crate::testing::zip_of;

    async fn certificate_job(deps: &Deps) -> (Caller, Job) {
        let caller = new_caller(deps, "lifecycle").await;
        let profile_id = pem_profile(deps, &caller).await;
        let pem = self_signed(KeyType::EcP256, "/CN=lifecycle-1", None).pem;
        let upload = CertImportUpload {
            profile_id,
            file_name: "devices.zip".into(),
            zip: zip_of(&[("devices.pem", pem.as_bytes())]).into(),
            ip_address: None,
        };
        let job = upload_certificate_import(deps, &caller, upload).await.unwrap();
        (caller, job)
    }

    fn sweep(
        deps: &Deps,
        job_id: &str,
        tenant_id: &str,
    ) -> impl std::future::Future<Output = Result<ProcessOutcome, InfraError>> {
        let (deps, job_id, tenant_id) = (deps.clone(), job_id.to_string(), tenant_id.to_string());
        async move { fail_job(&deps, &tenant_id, &job_id, FailureReason::NotProcessed, "swept").await }
    }

    #[tokio::test]
    async fn concurrent_processor_and_sweeper_end_a_job_once() {
        let deps = memory_deps(Limits::default());
        let (caller, job) = certificate_job(&deps).await;
        let processing = UploadProcessor::CertificateImport.process(&deps, &job.object_key);
        let sweeping = sweep(&deps, &job.id, &caller.tenant.id);
        let (processed, swept) = tokio::join!(processing, sweeping);
        let status = get_certificate_import(&deps, &caller, &job.id).await.unwrap();
        match (processed.unwrap(), swept.unwrap()) {
            (ProcessOutcome::Completed { .. }, ProcessOutcome::AlreadyFinished { .. }) => {
                assert_eq!(status.job.state, JobState::Completed);
            }
            (ProcessOutcome::AlreadyFinished { .. }, ProcessOutcome::Failed { .. }) => {
                assert_eq!(status.job.state, JobState::Failed);
            }
            other => panic!("expected exactly one of them to end the job: {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_job_failed_first_is_left_alone_by_a_late_processor() {
        let deps = memory_deps(Limits::default());
        let (caller, job) = certificate_job(&deps).await;
        let swept = sweep(&deps, &job.id, &caller.tenant.id).await;
        assert!(matches!(swept.unwrap(), ProcessOutcome::Failed { .. }));
        let late = UploadProcessor::CertificateImport
            .process(&deps, &job.object_key)
            .await;
        assert_eq!(
            late.unwrap(),
            ProcessOutcome::AlreadyFinished {
                job_id: job.id.clone()
            }
        );
        let status = get_certificate_import(&deps, &caller, &job.id).await.unwrap();
        assert_eq!(status.job.result(), Some(JobResult::Failure));
        assert_eq!(status.failures.len(), 1);
        assert_eq!(status.failures[0].reason, FailureReason::NotProcessed);
        assert_eq!(status.failures[0].message, "swept");
    }

    #[tokio::test]
    async fn a_completed_job_is_left_alone_by_the_sweeper() {
        let deps = memory_deps(Limits::default());
        let (caller, job) = certificate_job(&deps).await;
        let processed = UploadProcessor::CertificateImport
            .process(&deps, &job.object_key)
            .await;
        assert!(matches!(
            processed.unwrap(),
            ProcessOutcome::Completed {
                total: 1,
                failed: 0,
                ..
            }
        ));
        let swept = sweep(&deps, &job.id, &caller.tenant.id).await;
        assert_eq!(
            swept.unwrap(),
            ProcessOutcome::AlreadyFinished {
                job_id: job.id.clone()
            }
        );
        let status = get_certificate_import(&deps, &caller, &job.id).await.unwrap();
        assert_eq!(status.job.result(), Some(JobResult::Success));
    }

    #[tokio::test]
    async fn every_item_of_a_failed_keystore_job_reads_failed_with_the_reason() {
        let deps = memory_deps(Limits::default());
        let caller = new_caller(&deps, "lifecycle").await;
        let tenants = deps.tenants.as_ref();
        let (edge, dek) = create_edge_instance(tenants, deps.keys.dek.as_ref(), &caller.tenant.id, "e")
            .await
            .unwrap();
        let item = serde_json::json!({"pkcs12Keystore": "AAEC", "dekEncryptedPassword": "AAEC"});
        let batch = serde_json::json!({"edgeInstanceId": edge.id, "encryptionKeyId": dek.id, "importInformation": [item.clone(), item]});
        let job = upload_keystore_import(&deps, &caller, batch.to_string().as_bytes())
            .await
            .unwrap();
        let swept = sweep(&deps, &job.id, &caller.tenant.id).await;
        assert!(matches!(swept.unwrap(), ProcessOutcome::Failed { .. }));
        let status = get_keystore_import(&deps, &caller, &job.id).await.unwrap();
        assert_eq!(status.job.state, JobState::Failed);
        assert_eq!(status.results.len(), 2);
        for result in status.results {
            assert_eq!(result.status, ItemStatus::Failed);
            assert_eq!(result.reason_code, Some(ItemFailureReason::JobFailed));
            assert_eq!(result.reason, "swept");
        }
    }

    /// Five certificates and a malformed one (second), in batches of two; the second
    /// batch's write fails every time, until the failure queue gives up on the job.
    #[tokio::test]
    async fn a_job_failed_part_way_reports_what_its_runs_wrote() {
        let deps = memory_deps(Limits {
            device_batch_size: 2,
            ..Limits::default()
        });
        let caller = new_caller(&deps, "part way").await;
        let profile_id = pem_profile(&deps, &caller).await;
        let cert = |cn: &str| self_signed(KeyType::EcP256, &format!("/CN={cn}"), None).pem;
        let bad = "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n";
        let pems = [
            cert("c-0"),
            bad.into(),
            cert("c-1"),
            cert("c-2"),
            cert("c-3"),
            cert("c-4"),
        ]
        .concat();
        let upload = CertImportUpload {
            profile_id,
            file_name: "devices.zip".into(),
            zip: zip_of(&[("devices.pem", pems.as_bytes())]).into(),
            ip_address: None,
        };
        let job = upload_certificate_import(&deps, &caller, upload).await.unwrap();
        let crashing = Deps {
            inventory: Arc::new(DeviceWritesFailAfter::new(deps.inventory.clone(), 1)),
            ..deps.clone()
        };
        let crashed = UploadProcessor::CertificateImport
            .process(&crashing, &job.object_key)
            .await;
        assert!(crashed.unwrap_err().transient);
        fail_job(
            &deps,
            &caller.tenant.id,
            &job.id,
            FailureReason::NotProcessed,
            "gave up",
        )
        .await
        .unwrap();

        let status = get_certificate_import(&deps, &caller, &job.id).await.unwrap();
        let job = &status.job;
        // c-0 and c-1 are in the inventory, the malformed one failed, three were never reached.
        assert_eq!(
            (job.state, job.total, job.processed, job.failed),
            (JobState::Failed, 6, 3, 4)
        );
        assert_eq!(job.failure_counts.get(&FailureReason::NotProcessed), Some(&3));
        let listed: Vec<(u32, FailureReason)> =
            status.failures.iter().map(|f| (f.ordinal, f.reason)).collect();
        assert_eq!(listed[0], (0, FailureReason::NotProcessed));
        assert_eq!(listed[1].0, 2, "{listed:?}");
        for written in ["c-0", "c-1"] {
            let device = deps
                .inventory
                .get_device(&caller.tenant.id, written)
                .await
                .unwrap();
            assert!(device.is_some(), "{written}");
        }
    }

    /// Two keystores; the sweeper ends the job after the first is stored.
    #[tokio::test]
    async fn a_keystore_job_failed_part_way_keeps_the_items_it_imported() {
        let deps = memory_deps(Limits::default());
        let caller = new_caller(&deps, "part way").await;
        let (ca, keystores) = ca_signed_keystores(2, "changeit");
        let batch = keystore_batch(&deps, &caller, &ca, &keystores, "changeit").await;
        let job = upload_keystore_import(&deps, &caller, &batch).await.unwrap();
        // Its arrival, the first item, then the second: swept just before that one.
        let swept = Deps {
            jobs: Arc::new(JobWritesFault::swept_after(deps.jobs.clone(), 2)),
            ..deps.clone()
        };
        let outcome = UploadProcessor::KeystoreImport
            .process(&swept, &job.object_key)
            .await
            .unwrap();
        assert!(
            matches!(outcome, ProcessOutcome::AlreadyFinished { .. }),
            "{outcome:?}"
        );
        let status = get_keystore_import(&deps, &caller, &job.id).await.unwrap();
        assert_eq!(status.job.state, JobState::Failed);
        let results: Vec<_> = status.results.iter().map(|r| (r.status, r.reason_code)).collect();
        assert_eq!(
            results,
            [
                (ItemStatus::Imported, None),
                (ItemStatus::Failed, Some(ItemFailureReason::JobFailed))
            ]
        );
    }
}
