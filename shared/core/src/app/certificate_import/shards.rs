//! Large certificate uploads, split into shards (docs/scaling.md):
//!
//! 1. **Plan**: one run reads the whole upload without writing devices: it checks the
//!    limits and the format, records every failure it can see alone (unreadable,
//!    unmapped, a repeat of an earlier certificate or device identifier in the upload)
//!    and marks those certificates in a skip set kept beside the upload. It cuts the
//!    files into shards of about `shard_certificates`, stores the plan on the job and
//!    queues one task per shard.
//! 2. **Shards** run anywhere, in any order, any number of times: each reads its files,
//!    skips what the plan settled, writes the rest (the inventory's conditions settle
//!    clashes with other jobs, and make a rerun write nothing twice) and records its
//!    report once.
//! 3. The shard that finds every report recorded completes the job; the job's
//!    conditional write lets only one of them do it.
//!
//! Because the plan settles repeats within the upload in upload order, a sharded job
//! ends exactly as the same upload processed in one run would.

use std::fs::File;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::domain::{FailureReason, Import, Job, ShardPlan, ShardReport, ShardTask};
use crate::ports::{InfraError, ShardQueue};

use crate::app::certificate_import::engine::ranged_upload::RangedUpload;
use crate::app::certificate_import::engine::run::{fail_this_job, Mode, Run, ALL_FILES, UPLOAD_MISSING};
use crate::app::certificate_import::engine::skip_set::SkipSet;
use crate::app::jobs::lifecycle::{complete, record_progress};
use crate::app::{fail_job, shard_skip_key, Deps, ProcessOutcome, STORAGE_REFUSED};

/// Step 1: plans the job, records what the plan settled and queues its shards.
pub(crate) async fn plan_shards(
    deps: &Deps,
    queue: &dyn ShardQueue,
    mut job: Job,
    profile: &crate::domain::EnrollmentProfile,
    zip: File,
) -> Result<ProcessOutcome, InfraError> {
    let planned_at_ms = now_ms();
    let mut run = Run::new(deps, &job, profile, Mode::Plan);
    if let Some(failed) = run.import_to_end(zip, ALL_FILES, 1).await? {
        return Ok(failed);
    }
    let Run {
        total,
        failed,
        failure_counts,
        files,
        skip,
        ..
    } = run;
    let tasks = cut(&job, &files, total, deps.limits.shard_certificates);
    deps.objects
        .put(&shard_skip_key(&job.tenant_id, &job.id), skip.0.into())
        .await?;
    job.total = total;
    job.failed = failed;
    job.failure_counts = failure_counts.clone();
    if let Import::Certificates(import) = &mut job.import {
        import.shard_plan = Some(ShardPlan {
            shards: tasks.len() as u32,
            planned_at_ms,
        });
    }
    if tasks.is_empty() {
        let since_plan = now_ms().saturating_sub(planned_at_ms);
        return complete(deps, job, (total, failed, failure_counts), since_plan).await;
    }
    if !record_progress(deps, &mut job).await? {
        return Ok(ProcessOutcome::AlreadyFinished { job_id: job.id });
    }
    // Queued after the plan is stored: a shard always finds it. A crash between the two
    // leaves the upload's event to be retried, which plans again and queues again.
    queue.send(&tasks).await?;
    tracing::info!(job_id = %job.id, total, shards = tasks.len(), "certificate import planned into shards");
    Ok(ProcessOutcome::Sharded {
        job_id: job.id,
        shards: tasks.len() as u32,
    })
}

/// Consecutive whole files, each run holding at least `target` certificates (the last
/// one what is left).
fn cut(job: &Job, files: &[(String, u32)], total: u64, target: u64) -> Vec<ShardTask> {
    let end_of_upload = total as u32 + 1;
    let mut tasks: Vec<ShardTask> = Vec::new();
    let mut first_file = 0;
    for n in 0..files.len() {
        let next = files.get(n + 1).map_or(end_of_upload, |(_, first)| *first);
        let held = u64::from(next - files[first_file].1);
        if held >= target.max(1) || n + 1 == files.len() {
            tasks.push(ShardTask {
                tenant_id: job.tenant_id.clone(),
                job_id: job.id.clone(),
                shard: tasks.len() as u32,
                shards: 0,
                first_file: first_file as u32,
                end_file: n as u32 + 1,
                first_ordinal: files[first_file].1,
            });
            first_file = n + 1;
        }
    }
    let shards = tasks.len() as u32;
    for task in &mut tasks {
        task.shards = shards;
    }
    tasks
}

/// Step 2: processes one shard. `Err` only for infrastructure failures worth retrying
/// (the queue delivers the task again); permanent ones end the job FAILED.
pub async fn process_certificate_shard(deps: &Deps, task: &ShardTask) -> Result<ProcessOutcome, InfraError> {
    match run_shard(deps, task).await {
        Err(e) if !e.transient => {
            tracing::error!(job_id = %task.job_id, shard = task.shard, error = %e.chain(), "permanent storage failure; the job ends FAILED");
            let reason = FailureReason::UnreadableUpload;
            fail_job(deps, &task.tenant_id, &task.job_id, reason, STORAGE_REFUSED).await
        }
        other => other,
    }
}

async fn run_shard(deps: &Deps, task: &ShardTask) -> Result<ProcessOutcome, InfraError> {
    let Some(mut job) = deps.jobs.get_job(&task.tenant_id, &task.job_id).await? else {
        return Ok(ProcessOutcome::Ignored {
            reason: "no such job".into(),
        });
    };
    if !job.is_open() || !record_progress(deps, &mut job).await? {
        return Ok(ProcessOutcome::AlreadyFinished { job_id: job.id });
    }
    let Some((plan, profile)) = job
        .certificates()
        .and_then(|import| Some((import.shard_plan?, import.profile(&job.tenant_id))))
    else {
        return Ok(ProcessOutcome::Ignored {
            reason: "the job was not split into shards".into(),
        });
    };
    let mut run = Run::new(deps, &job, &profile, Mode::Shard);
    let opened = RangedUpload::open(deps.objects.clone(), &job.object_key, run.storage_failure.clone());
    let Some(zip) = opened.await? else {
        return fail_this_job(deps, &job, FailureReason::UnreadableUpload, UPLOAD_MISSING).await;
    };
    let Some(skip) = deps.objects.get(&shard_skip_key(&job.tenant_id, &job.id)).await? else {
        let message = "the plan of this upload is missing from storage; upload it again";
        return fail_this_job(deps, &job, FailureReason::UnreadableUpload, message).await;
    };
    run.skip = SkipSet(skip.to_vec());
    let files = task.first_file..task.end_file;
    if let Some(failed) = run.import_to_end(zip, files, task.first_ordinal).await? {
        return Ok(failed);
    }
    let report = ShardReport {
        shard: task.shard,
        failed: run.failed,
        certificates: run
            .total
            .saturating_sub(u64::from(task.first_ordinal.saturating_sub(1))),
        failure_counts: run.failure_counts.clone(),
    };
    let counted = deps.jobs.record_shard(&job.tenant_id, &job.id, &report).await?;
    tracing::info!(job_id = %job.id, shard = task.shard, failed = report.failed, counted, "shard processed");
    let reports = deps.jobs.shard_reports(&job.tenant_id, &job.id).await?;
    if (reports.len() as u32) < plan.shards {
        return Ok(ProcessOutcome::ShardProcessed {
            job_id: job.id,
            shard: task.shard,
        });
    }
    // Step 3: the plan's counts and every shard's failures make the job's result.
    let total = job.total;
    let failed = job.failed + reports.iter().map(|r| r.failed).sum::<u64>();
    let mut counts = job.failure_counts.clone();
    for (reason, n) in reports.iter().flat_map(|r| &r.failure_counts) {
        *counts.entry(*reason).or_default() += n;
    }
    let since_plan = now_ms().saturating_sub(plan.planned_at_ms);
    complete(deps, job, (total, failed, counts), since_plan).await
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;

    use super::*;
    use crate::app::{
        get_certificate_import, process_certificate_import, upload_certificate_import, Caller,
        CertImportStatus, CertImportUpload, Limits,
    };
    use crate::domain::{JobResult, JobState};
    use crate::ports::{InfraResult, ObjectStore};
    use crate::testing::memory::{memory_deps, memory_sharded_deps, MemoryShardQueue};
    use crate::testing::scenarios::{new_caller, pem_profile};
    use crate::testing::sharding::{
        sharding_scenario, ShardingScenario, EXPECTED_FAILURES, EXPECTED_TOTAL, SHARD_CERTIFICATES,
    };
    use crate::testing::store_contracts;

    fn sharding_limits() -> Limits {
        Limits {
            shard_upload_bytes: 1,
            shard_certificates: SHARD_CERTIFICATES,
            ..Limits::default()
        }
    }

    /// Uploads `zip` and processes its stored object: the outcome and the job.
    async fn import(deps: &Deps, caller: &Caller, profile_id: &str, zip: &[u8]) -> (ProcessOutcome, Job) {
        let upload = CertImportUpload {
            profile_id: profile_id.into(),
            file_name: "devices.zip".into(),
            zip: zip.to_vec().into(),
            ip_address: None,
        };
        let job = upload_certificate_import(deps, caller, upload).await.unwrap();
        let outcome = process_certificate_import(deps, &job.object_key).await.unwrap();
        (outcome, job)
    }

    /// Runs every queued shard in order until the queue is empty: their outcomes.
    async fn drain(deps: &Deps, queue: &MemoryShardQueue) -> Vec<ProcessOutcome> {
        let mut outcomes = Vec::new();
        for task in queue.take() {
            outcomes.push(process_certificate_shard(deps, &task).await.unwrap());
        }
        outcomes
    }

    /// A tenant whose inventory holds the scenario's earlier import, and its profile.
    async fn tenant(deps: &Deps, queue: Option<&MemoryShardQueue>, earlier: &[u8]) -> (Caller, String) {
        let caller = new_caller(deps, "shards").await;
        let profile = pem_profile(deps, &caller).await;
        import(deps, &caller, &profile, earlier).await;
        if let Some(queue) = queue {
            drain(deps, queue).await;
        }
        (caller, profile)
    }

    fn positions(status: &CertImportStatus) -> Vec<(String, u32, FailureReason)> {
        let failures = status.failures.iter();
        failures
            .map(|f| (f.file_name.clone().unwrap(), f.index.unwrap(), f.reason))
            .collect()
    }

    fn expected_positions() -> Vec<(String, u32, FailureReason)> {
        EXPECTED_FAILURES
            .iter()
            .map(|(file, index, reason)| (file.to_string(), *index, *reason))
            .collect()
    }

    /// Plans the scenario's upload on a tenant of sharded `deps`: the job and its tasks.
    async fn planned(
        deps: &Deps,
        queue: &MemoryShardQueue,
        scenario: &ShardingScenario,
    ) -> (Caller, Job, Vec<ShardTask>) {
        let (caller, profile) = tenant(deps, Some(queue), &scenario.earlier).await;
        let (outcome, job) = import(deps, &caller, &profile, &scenario.upload).await;
        let tasks = queue.take();
        assert_eq!(
            outcome,
            ProcessOutcome::Sharded {
                job_id: job.id.clone(),
                shards: tasks.len() as u32
            }
        );
        assert!(tasks.len() > 2, "{tasks:?}");
        (caller, job, tasks)
    }

    #[tokio::test]
    async fn a_sharded_upload_ends_as_the_same_upload_in_one_run() {
        let scenario = sharding_scenario();
        let whole = memory_deps(Limits::default());
        let (caller, profile) = tenant(&whole, None, &scenario.earlier).await;
        let (_, job) = import(&whole, &caller, &profile, &scenario.upload).await;
        let in_one_run = get_certificate_import(&whole, &caller, &job.id).await.unwrap();

        let (sharded, queue) = memory_sharded_deps(sharding_limits());
        let (caller, job, tasks) = planned(&sharded, &queue, &scenario).await;
        for task in &tasks {
            process_certificate_shard(&sharded, task).await.unwrap();
        }
        let in_shards = get_certificate_import(&sharded, &caller, &job.id).await.unwrap();

        assert_eq!(positions(&in_one_run), expected_positions());
        assert_eq!(positions(&in_shards), expected_positions());
        let messages =
            |s: &CertImportStatus| s.failures.iter().map(|f| f.message.clone()).collect::<Vec<_>>();
        assert_eq!(messages(&in_shards), messages(&in_one_run));
        for status in [&in_one_run, &in_shards] {
            assert_eq!(status.job.state, JobState::Completed);
            assert_eq!(status.job.total, EXPECTED_TOTAL);
            assert_eq!(status.job.failed, EXPECTED_FAILURES.len() as u64);
        }
        let device = sharded.inventory.get_device(&caller.tenant.id, "shard-e").await;
        assert!(device.unwrap().is_some(), "the last shard's devices are written");
    }

    /// The profile is remapped while the shards wait: they map with the mapping the job
    /// was created with, so the job ends as planned.
    #[tokio::test]
    async fn every_shard_maps_with_the_mapping_its_job_was_created_with() {
        let (deps, queue) = memory_sharded_deps(sharding_limits());
        let (caller, job, tasks) = planned(&deps, &queue, &sharding_scenario()).await;
        let profile_id = &job.certificates().unwrap().profile_id;
        let mut profile = deps
            .tenants
            .get_profile(&caller.tenant.id, profile_id)
            .await
            .unwrap()
            .unwrap();
        let remapped = serde_json::json!({"device_identifier": "subject.locality"});
        profile.mapping = Some(crate::domain::FieldMapping::parse(&remapped).unwrap());
        deps.tenants.put_profile(&profile).await.unwrap();
        for task in &tasks {
            process_certificate_shard(&deps, task).await.unwrap();
        }
        let status = get_certificate_import(&deps, &caller, &job.id).await.unwrap();
        assert_eq!(positions(&status), expected_positions());
        let device = deps.inventory.get_device(&caller.tenant.id, "shard-e").await;
        assert!(device.unwrap().is_some(), "named by the common name, as planned");
    }

    #[tokio::test]
    async fn a_shard_run_again_writes_and_counts_nothing_twice() {
        let (deps, queue) = memory_sharded_deps(sharding_limits());
        let (caller, job, tasks) = planned(&deps, &queue, &sharding_scenario()).await;
        let mut outcomes = Vec::new();
        for task in tasks.iter().chain(&tasks) {
            outcomes.push(process_certificate_shard(&deps, task).await.unwrap());
        }
        let completed = outcomes
            .iter()
            .filter(|o| matches!(o, ProcessOutcome::Completed { .. }))
            .count();
        assert_eq!(completed, 1, "{outcomes:?}");
        let status = get_certificate_import(&deps, &caller, &job.id).await.unwrap();
        assert_eq!(status.job.failed, EXPECTED_FAILURES.len() as u64);
        assert_eq!(positions(&status), expected_positions());
    }

    #[tokio::test]
    async fn shards_finishing_together_complete_the_job_once() {
        let (deps, queue) = memory_sharded_deps(sharding_limits());
        let (caller, job, tasks) = planned(&deps, &queue, &sharding_scenario()).await;
        let runs = tasks.iter().rev().map(|task| {
            let (deps, task) = (deps.clone(), task.clone());
            tokio::spawn(async move { process_certificate_shard(&deps, &task).await.unwrap() })
        });
        let outcomes: Vec<ProcessOutcome> = futures_util::future::join_all(runs)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let completed: Vec<_> = outcomes
            .iter()
            .filter(|o| matches!(o, ProcessOutcome::Completed { .. }))
            .collect();
        assert_eq!(completed.len(), 1, "{outcomes:?}");
        let status = get_certificate_import(&deps, &caller, &job.id).await.unwrap();
        assert_eq!(status.job.result(), Some(JobResult::PartialSuccess));
        assert_eq!(positions(&status), expected_positions());
    }

    #[tokio::test]
    async fn a_shard_of_a_job_that_ended_changes_nothing() {
        let (deps, queue) = memory_sharded_deps(sharding_limits());
        let (caller, job, tasks) = planned(&deps, &queue, &sharding_scenario()).await;
        let reason = FailureReason::NotProcessed;
        fail_job(&deps, &caller.tenant.id, &job.id, reason, "swept")
            .await
            .unwrap();
        let outcome = process_certificate_shard(&deps, &tasks[0]).await.unwrap();
        assert_eq!(outcome, ProcessOutcome::AlreadyFinished { job_id: job.id });
        let device = deps.inventory.get_device(&caller.tenant.id, "shard-a").await;
        assert!(device.unwrap().is_none());
    }

    /// Objects whose ranged reads fail as a throttled S3 would: retrying can help.
    struct RangesThrottled(Arc<dyn ObjectStore>);

    #[async_trait::async_trait]
    impl ObjectStore for RangesThrottled {
        async fn put(&self, key: &str, body: Bytes) -> InfraResult<()> {
            self.0.put(key, body).await
        }
        async fn get(&self, key: &str) -> InfraResult<Option<Bytes>> {
            self.0.get(key).await
        }
        async fn get_range(&self, _: &str, _: std::ops::Range<u64>) -> InfraResult<Option<Bytes>> {
            Err(InfraError::transient("s3 get object", "SlowDown"))
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_shard_whose_reads_fail_for_now_is_retried_not_failed() {
        let (deps, queue) = memory_sharded_deps(sharding_limits());
        let (caller, job, tasks) = planned(&deps, &queue, &sharding_scenario()).await;
        let throttled = Deps {
            objects: Arc::new(RangesThrottled(deps.objects.clone())),
            ..deps.clone()
        };
        let error = process_certificate_shard(&throttled, &tasks[0])
            .await
            .unwrap_err();
        assert!(error.transient, "{error}");
        let status = get_certificate_import(&deps, &caller, &job.id).await.unwrap();
        assert_eq!(status.job.state, JobState::Open, "the queue delivers it again");
        for task in &tasks {
            process_certificate_shard(&deps, task).await.unwrap();
        }
        let status = get_certificate_import(&deps, &caller, &job.id).await.unwrap();
        assert_eq!(positions(&status), expected_positions());
    }

    #[test]
    fn shards_are_runs_of_whole_files_holding_at_least_the_target() {
        let tenant = crate::domain::Tenant::new("t");
        let job = store_contracts::job(&tenant, &store_contracts::profile(&tenant, "p"));
        // Four files of 2, 5, 0 and 1 certificates (ordinals from 1).
        let files: Vec<(String, u32)> = [1, 3, 8, 8].iter().map(|f| ("f".to_string(), *f)).collect();
        let cuts: Vec<(u32, u32, u32)> = cut(&job, &files, 8, 3)
            .iter()
            .map(|t| (t.first_file, t.end_file, t.first_ordinal))
            .collect();
        assert_eq!(cuts, [(0, 2, 1), (2, 4, 8)]);
        assert!(cut(&job, &files, 8, 100).iter().all(|t| t.shards == 1));
    }

    #[test]
    fn a_skip_set_holds_exactly_what_was_put_in() {
        let mut skip = SkipSet::default();
        for ordinal in [1, 8, 9, 2_000_000] {
            skip.insert(ordinal);
        }
        let held: Vec<u32> = (0..2_000_010).filter(|o| skip.contains(*o)).collect();
        assert_eq!(held, [1, 8, 9, 2_000_000]);
    }
}
