//! Processing a stored certificate upload: in one run, or, when it is large and a shard
//! queue is configured, planned into shards.

use std::fs::File;
use std::time::Instant;

use tokio::io::AsyncWriteExt;

use crate::domain::{FailureReason, UploadFormat};
use crate::ports::{spool_error, InfraError};

use crate::app::certificate_import::engine::run::{fail_this_job, Mode, Run, ALL_FILES, UPLOAD_MISSING};
use crate::app::certificate_import::shards::plan_shards;
use crate::app::jobs::lifecycle::{complete, record_progress};
use crate::app::{parse_certificate_import_key, Deps, ProcessOutcome};

/// Processes the upload stored at `key` (already URL-decoded). Idempotent: any number
/// of deliveries, or a retry after a crash part-way, give the same final job.
/// Returns `Err` only for infrastructure failures worth retrying.
pub async fn process_certificate_import(deps: &Deps, key: &str) -> Result<ProcessOutcome, InfraError> {
    let Some((tenant_id, job_id)) = parse_certificate_import_key(key) else {
        return Ok(ProcessOutcome::Ignored {
            reason: "not a certificate import key".into(),
        });
    };
    let Some(mut job) = deps.jobs.get_job(tenant_id, job_id).await? else {
        return Ok(ProcessOutcome::Ignored {
            reason: "no such job".into(),
        });
    };
    let Some(import) = job.certificates().cloned() else {
        return Ok(ProcessOutcome::Ignored {
            reason: "not a certificate import job".into(),
        });
    };
    // Its upload has arrived (or a retry runs): the sweeper's clock starts again.
    if !job.is_open() || !record_progress(deps, &mut job).await? {
        return Ok(ProcessOutcome::AlreadyFinished { job_id: job.id });
    }
    let started = Instant::now();
    let profile = import.profile(tenant_id);
    if profile.mapping.is_none() {
        return fail_this_job(
            deps,
            &job,
            FailureReason::UnreadableUpload,
            "the enrollment profile has no source fields mapping; set one and upload again",
        )
        .await;
    }
    let Some(zip) = spool(deps, &job.object_key).await? else {
        return fail_this_job(deps, &job, FailureReason::UnreadableUpload, UPLOAD_MISSING).await;
    };
    if let Some(queue) = deps.shards.as_deref() {
        let size = zip.metadata().map_err(spool_error)?.len();
        // An XML upload is one entry (at most CERTPORT_ZIP_MAX_ENTRY_BYTES uncompressed): one run.
        if size >= deps.limits.shard_upload_bytes && import.format == UploadFormat::Pem {
            return plan_shards(deps, queue, job, &profile, zip).await;
        }
    }
    let mut run = Run::new(deps, &job, &profile, Mode::Whole);
    if let Some(failed) = run.import_to_end(zip, ALL_FILES, 1).await? {
        return Ok(failed);
    }
    let Run {
        total,
        failed,
        failure_counts,
        ..
    } = run;
    let ms = started.elapsed().as_millis() as u64;
    complete(deps, job, (total, failed, failure_counts), ms).await
}

/// The upload copied to an anonymous temporary file (gone when closed): the zip is read
/// from disk, so memory does not grow with the upload's size.
async fn spool(deps: &Deps, key: &str) -> Result<Option<File>, InfraError> {
    let file = tempfile::tempfile().map_err(spool_error)?;
    let mut writer = tokio::fs::File::from_std(file.try_clone().map_err(spool_error)?);
    if !deps.objects.download(key, &mut writer).await? {
        return Ok(None);
    }
    writer.flush().await.map_err(spool_error)?;
    Ok(Some(file))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::app::{get_certificate_import, upload_certificate_import, Caller, CertImportUpload, Limits};
    use crate::domain::{CertFailure, Job, JobState};
    use crate::testing::certs::{self_signed, KeyType};
    use crate::testing::memory::memory_deps;
    use crate::testing::scenarios::{new_caller, pem_profile};
    use crate::testing::zip_of;

    async fn upload(deps: &Deps, caller: &Caller, profile_id: &str, files: &[(&str, &str)]) -> Job {
        let files: Vec<(&str, &[u8])> = files.iter().map(|(n, c)| (*n, c.as_bytes())).collect();
        let upload = CertImportUpload {
            profile_id: profile_id.to_string(),
            file_name: "devices.zip".into(),
            zip: zip_of(&files).into(),
            ip_address: None,
        };
        upload_certificate_import(deps, caller, upload).await.unwrap()
    }

    /// Uploads `files` and processes them: the outcome, and the failures in upload order.
    async fn import(
        deps: &Deps,
        caller: &Caller,
        profile_id: &str,
        files: &[(&str, &str)],
    ) -> (ProcessOutcome, Vec<CertFailure>) {
        let job = upload(deps, caller, profile_id, files).await;
        let outcome = process_certificate_import(deps, &job.object_key).await.unwrap();
        let status = get_certificate_import(deps, caller, &job.id).await.unwrap();
        (outcome, status.failures)
    }

    fn cert(cn: &str) -> String {
        self_signed(KeyType::EcP256, &format!("/CN={cn}"), None).pem
    }

    #[tokio::test]
    async fn a_field_too_long_fails_its_certificate_alone() {
        crate::testing::scenarios::a_field_too_long_fails_its_certificate_alone(&memory_deps(
            Limits::default(),
        ))
        .await;
    }

    #[tokio::test]
    async fn a_running_import_records_its_progress_after_each_batch_then_its_end() {
        let limits = Limits {
            device_batch_size: 2,
            ..Limits::default()
        };
        let deps = memory_deps(limits);
        let caller = new_caller(&deps, "progress").await;
        let profile = pem_profile(&deps, &caller).await;
        let pems: String = (0..5).map(|i| cert(&format!("meter-{i}"))).collect();
        let job = upload(&deps, &caller, &profile, &[("meters.pem", &pems)]).await;
        let jobs = Arc::new(crate::testing::faults::JobWritesFault::writer_dies_after(
            deps.jobs.clone(),
            usize::MAX,
        ));
        let watched = Deps {
            jobs: jobs.clone(),
            ..deps.clone()
        };
        process_certificate_import(&watched, &job.object_key)
            .await
            .unwrap();
        let written: Vec<(JobState, u64, u64)> = jobs
            .updates()
            .iter()
            .map(|j| (j.state, j.processed, j.total))
            .collect();
        use JobState::{Completed, Open as Pending};
        assert_eq!(
            written,
            [
                // Its upload arrived; then each batch.
                (Pending, 0, 5),
                (Pending, 2, 5),
                (Pending, 4, 5),
                (Pending, 5, 5),
                (Completed, 5, 5)
            ]
        );
    }

    #[tokio::test]
    async fn a_run_whose_job_was_ended_elsewhere_writes_no_later_batch() {
        let limits = Limits {
            device_batch_size: 1,
            ..Limits::default()
        };
        let deps = memory_deps(limits);
        let caller = new_caller(&deps, "ended").await;
        let profile = pem_profile(&deps, &caller).await;
        let pems: String = (0..3).map(|i| cert(&format!("meter-{i}"))).collect();
        let job = upload(&deps, &caller, &profile, &[("meters.pem", &pems)]).await;
        let profile = deps
            .tenants
            .get_profile(&caller.tenant.id, &profile)
            .await
            .unwrap()
            .unwrap();
        // The run started while the job was open; the sweeper ends it before the first batch lands.
        let mut run = Run::new(&deps, &job, &profile, Mode::Whole);
        fail_this_job(&deps, &job, FailureReason::NotProcessed, "swept")
            .await
            .unwrap();
        let zip = std::io::Cursor::new(zip_of(&[("meters.pem", pems.as_bytes())]));
        let stopped = run.import_to_end(zip, ALL_FILES, 1).await.unwrap();
        assert_eq!(
            stopped,
            Some(ProcessOutcome::AlreadyFinished {
                job_id: job.id.clone()
            })
        );
        let last = deps
            .inventory
            .get_device(&caller.tenant.id, "meter-2")
            .await
            .unwrap();
        assert_eq!(last, None, "the run wrote on after its job ended");
    }

    #[tokio::test]
    async fn a_certificate_repeated_in_one_upload_is_a_duplicate_after_the_first() {
        let deps = memory_deps(Limits::default());
        let caller = new_caller(&deps, "process").await;
        let profile = pem_profile(&deps, &caller).await;
        let (a, b) = (cert("dev-a"), cert("dev-b"));
        let (outcome, failures) = import(
            &deps,
            &caller,
            &profile,
            &[("1.pem", &a), ("2.pem", &format!("{b}{a}"))],
        )
        .await;
        assert!(
            matches!(
                outcome,
                ProcessOutcome::Completed {
                    total: 3,
                    failed: 1,
                    ..
                }
            ),
            "{outcome:?}"
        );
        assert_eq!(failures[0].reason, FailureReason::Duplicate);
        assert_eq!(
            (failures[0].file_name.as_deref(), failures[0].index),
            (Some("2.pem"), Some(1))
        );
        assert!(
            failures[0].message.contains("1.pem #0"),
            "{}",
            failures[0].message
        );
    }

    #[tokio::test]
    async fn certificates_already_in_the_inventory_are_duplicates_or_conflicts() {
        let deps = memory_deps(Limits::default());
        let caller = new_caller(&deps, "process").await;
        let profile = pem_profile(&deps, &caller).await;
        let first = cert("dev-1");
        import(&deps, &caller, &profile, &[("a.pem", &first)]).await;
        let same_name = cert("dev-1");
        let (outcome, failures) = import(
            &deps,
            &caller,
            &profile,
            &[("b.pem", &format!("{first}{same_name}"))],
        )
        .await;
        assert!(
            matches!(
                outcome,
                ProcessOutcome::Completed {
                    total: 2,
                    failed: 2,
                    ..
                }
            ),
            "{outcome:?}"
        );
        let reasons: Vec<FailureReason> = failures.iter().map(|f| f.reason).collect();
        assert_eq!(
            reasons,
            [FailureReason::Duplicate, FailureReason::DeviceIdentifierConflict]
        );
    }

    #[tokio::test]
    async fn an_upload_url_zip_over_the_certificate_limit_fails_before_anything_is_written() {
        let mut deps = memory_deps(Limits::default());
        let caller = new_caller(&deps, "process").await;
        let profile = pem_profile(&deps, &caller).await;
        let (a, b) = (cert("url-a"), cert("url-b"));
        let mut job = upload(&deps, &caller, &profile, &[("devices.pem", &format!("{a}{b}"))]).await;
        // As an upload URL leaves it: nothing counted until the processor reads the zip.
        job.total = 0;
        assert!(deps.jobs.update_open_job(&job).await.unwrap());
        deps.limits.max_certificates = 1;
        let outcome = process_certificate_import(&deps, &job.object_key).await.unwrap();
        assert!(matches!(outcome, ProcessOutcome::Failed { .. }), "{outcome:?}");
        let status = get_certificate_import(&deps, &caller, &job.id).await.unwrap();
        assert!(
            status.failures[0].message.contains("holds 2 certificates"),
            "{}",
            status.failures[0].message
        );
        let everything = crate::domain::KeyRange::default();
        let devices = deps
            .inventory
            .list_devices(&caller.tenant.id, &everything, 10)
            .await;
        assert!(devices.unwrap().items.is_empty());
    }

    #[tokio::test]
    async fn a_stored_upload_that_is_not_a_zip_fails_the_job_as_unreadable() {
        let deps = memory_deps(Limits::default());
        let caller = new_caller(&deps, "process").await;
        let profile = pem_profile(&deps, &caller).await;
        let job = upload(&deps, &caller, &profile, &[("d.pem", &cert("dev-z"))]).await;
        deps.objects
            .put(&job.object_key, bytes::Bytes::from_static(b"not a zip"))
            .await
            .unwrap();
        let outcome = process_certificate_import(&deps, &job.object_key).await.unwrap();
        assert!(matches!(outcome, ProcessOutcome::Failed { .. }), "{outcome:?}");
        let status = get_certificate_import(&deps, &caller, &job.id).await.unwrap();
        assert_eq!(status.failures[0].reason, FailureReason::UnreadableUpload);
    }

    /// A zip of a file per certificate whose third file is damaged (inflated by a parsing
    /// task, not the reader): the job fails as unreadable, naming the file.
    #[tokio::test]
    async fn a_damaged_file_fails_the_job_naming_it() {
        use std::io::Write;
        let deps = memory_deps(Limits::default());
        let caller = new_caller(&deps, "process").await;
        let profile = pem_profile(&deps, &caller).await;
        let job = upload(&deps, &caller, &profile, &[("d.pem", &cert("dev-y"))]).await;
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let stored =
            zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for (name, cn) in [("a.pem", "dev-a"), ("b.pem", "dev-b"), ("c.pem", "dev-c")] {
            writer.start_file(name, stored).unwrap();
            writer.write_all(cert(cn).as_bytes()).unwrap();
        }
        let mut zip = writer.finish().unwrap().into_inner();
        let c = zip.windows(5).position(|w| w == b"c.pem").unwrap();
        let body = zip[c..].windows(5).position(|w| w == b"-----").unwrap() + c + 40;
        zip[body] ^= 0x01;
        deps.objects.put(&job.object_key, zip.into()).await.unwrap();
        let outcome = process_certificate_import(&deps, &job.object_key).await.unwrap();
        assert!(matches!(outcome, ProcessOutcome::Failed { .. }), "{outcome:?}");
        let status = get_certificate_import(&deps, &caller, &job.id).await.unwrap();
        let unreadable = status
            .failures
            .iter()
            .find(|f| f.reason == FailureReason::UnreadableUpload);
        assert!(
            unreadable.is_some_and(|f| f.message.contains("c.pem")),
            "{:?}",
            status.failures
        );
    }
}
