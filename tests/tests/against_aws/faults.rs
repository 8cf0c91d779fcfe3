//! Faults and re-deliveries (issue: nothing is lost, nothing is counted twice): a processor
//! dying half-way and retried, the same event processed twice at once, permanent storage
//! errors, and throttling. Fault-injecting adapters wrap the real embedded ones; on AWS a
//! proxy in front of moto answers with the errors AWS gives, so the real adapters and the
//! SDK's retries meet them over the wire.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use certport_core::app::{
    create_edge_instance, get_keystore_import, upload_certificate_import, upload_keystore_import, Caller,
    CertImportUpload, Deps, Limits, ProcessOutcome, UploadProcessor,
};
use certport_core::domain::{ItemStatus, Job, JobState};
use certport_core::testing::certs::{self_signed, KeyType};
use certport_core::testing::faults::{DeviceWritesFailAfter, JobWritesFault, ReadsRefused};
use certport_core::testing::scenarios::{keystore_batch, new_caller, pem_profile};
use certport_core::testing::zip_of;
use certport_tests::embedded::embedded_deps;
use certport_tests::fixtures::repo_root;
use certport_tests::flaky_aws::{self, Fault, FlakyAws, Service};
use certport_tests::moto::{self, Stack};
use serde_json::json;

async fn caller(deps: &Deps) -> Caller {
    new_caller(deps, "faults").await
}

/// A mapped profile and an uploaded zip of `count` fresh certificates named
/// `{prefix}-{i}`: (job id, object key).
async fn certificate_upload(deps: &Deps, caller: &Caller, prefix: &str, count: usize) -> (String, String) {
    let profile_id = pem_profile(deps, caller).await;
    let bundle: String = (0..count)
        .map(|i| self_signed(KeyType::EcP256, &format!("/CN={prefix}-{i}"), None).pem)
        .collect();
    let upload = CertImportUpload {
        profile_id,
        file_name: "devices.zip".into(),
        zip: zip_of(&[("devices.pem", bundle.as_bytes())]).into(),
        ip_address: None,
    };
    let job = upload_certificate_import(deps, caller, upload).await.unwrap();
    (job.id, job.object_key)
}

/// Devices `{prefix}-0` to `{prefix}-{count - 1}` exist, each written by `job_id`.
async fn assert_devices_of_job(deps: &Deps, tenant: &str, prefix: &str, count: usize, job_id: &str) {
    for i in 0..count {
        let device = deps
            .inventory
            .get_device(tenant, &format!("{prefix}-{i}"))
            .await
            .unwrap();
        assert_eq!(device.map(|d| d.job_id).as_deref(), Some(job_id), "{prefix}-{i}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_processor_dying_half_way_is_retried_without_double_counting() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        device_batch_size: 3,
        ..Limits::default()
    };
    let deps = embedded_deps(dir.path(), limits);
    let caller = caller(&deps).await;
    let (job_id, key) = certificate_upload(&deps, &caller, "crash", 10).await;
    let tenant = &caller.tenant.id;
    let processor = UploadProcessor::CertificateImport;

    // Two batches of three devices are written, then the writer dies: a transient error.
    let dying = Deps {
        inventory: Arc::new(DeviceWritesFailAfter::new(deps.inventory.clone(), 2)),
        ..deps.clone()
    };
    let error = processor.process(&dying, &key).await.unwrap_err();
    assert!(error.transient, "{error}");
    let job = deps.jobs.get_job(tenant, &job_id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Open, "a retry can still finish it");
    assert!(deps
        .inventory
        .get_device(tenant, "crash-5")
        .await
        .unwrap()
        .is_some());
    assert!(deps
        .inventory
        .get_device(tenant, "crash-6")
        .await
        .unwrap()
        .is_none());

    // The retry recognises what the first attempt wrote.
    let outcome = processor.process(&deps, &key).await.unwrap();
    assert_eq!(
        outcome,
        ProcessOutcome::Completed {
            job_id: job_id.clone(),
            total: 10,
            failed: 0
        }
    );
    assert!(deps
        .jobs
        .certificate_failures(tenant, &job_id, None, 100)
        .await
        .unwrap()
        .is_empty());
    assert_devices_of_job(&deps, tenant, "crash", 10, &job_id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_processor_dying_before_the_job_ends_is_retried_to_the_same_result() {
    let dir = tempfile::tempdir().unwrap();
    let deps = embedded_deps(dir.path(), Limits::default());
    let caller = caller(&deps).await;
    let (job_id, key) = certificate_upload(&deps, &caller, "late-crash", 4).await;
    let processor = UploadProcessor::CertificateImport;

    // Every device is written; the write that ends the job is the one that fails.
    let dying = Deps {
        jobs: Arc::new(JobWritesFault::writer_dies_after(deps.jobs.clone(), 0)),
        ..deps.clone()
    };
    assert!(processor.process(&dying, &key).await.unwrap_err().transient);
    let job = deps
        .jobs
        .get_job(&caller.tenant.id, &job_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.state, JobState::Open);

    let outcome = processor.process(&deps, &key).await.unwrap();
    let expected = ProcessOutcome::Completed {
        job_id: job_id.clone(),
        total: 4,
        failed: 0,
    };
    assert_eq!(outcome, expected);
    assert_devices_of_job(&deps, &caller.tenant.id, "late-crash", 4, &job_id).await;
}

/// Both deliveries of one event succeed, and the job counts each certificate once; a
/// keystore is stored once and its item IMPORTED (not SKIPPED by its own twin).
async fn the_same_event_twice_at_once(deps: &Deps) {
    let caller = caller(deps).await;
    let tenant = caller.tenant.id.clone();

    let (job_id, key) = certificate_upload(deps, &caller, "twice", 8).await;
    let processor = UploadProcessor::CertificateImport;
    let (first, second) = tokio::join!(processor.process(deps, &key), processor.process(deps, &key));
    for outcome in [first.unwrap(), second.unwrap()] {
        assert!(
            matches!(
                outcome,
                ProcessOutcome::Completed {
                    total: 8,
                    failed: 0,
                    ..
                } | ProcessOutcome::AlreadyFinished { .. }
            ),
            "{outcome:?}"
        );
    }
    let job = deps.jobs.get_job(&tenant, &job_id).await.unwrap().unwrap();
    assert_eq!((job.state, job.total, job.failed), (JobState::Completed, 8, 0));
    assert!(deps
        .jobs
        .certificate_failures(&tenant, &job_id, None, 100)
        .await
        .unwrap()
        .is_empty());
    assert_devices_of_job(deps, &tenant, "twice", 8, &job_id).await;

    let job = keystore_upload(deps, &caller).await;
    let processor = UploadProcessor::KeystoreImport;
    let (first, second) = tokio::join!(
        processor.process(deps, &job.object_key),
        processor.process(deps, &job.object_key)
    );
    first.unwrap();
    second.unwrap();
    let results = deps.jobs.item_results(&tenant, &job.id).await.unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].status, ItemStatus::Imported, "{:?}", results[0]);
}

/// A batch of one trusted OpenSSL 3 keystore, its password sealed to a new edge instance's DEK.
async fn keystore_upload(deps: &Deps, caller: &Caller) -> Job {
    let keystores = repo_root().join("tests/fixtures/keystores");
    let root = std::fs::read_to_string(keystores.join("trusted-root.pem")).unwrap();
    let p12 = std::fs::read(keystores.join("openssl3-default-p256-chain.p12")).unwrap();
    let batch = keystore_batch(deps, caller, &root, &[p12], "changeit").await;
    upload_keystore_import(deps, caller, &batch).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_event_twice_at_once_gives_one_result_on_embedded_storage() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        device_batch_size: 2,
        ..Limits::default()
    };
    the_same_event_twice_at_once(&embedded_deps(dir.path(), limits)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_event_twice_at_once_gives_one_result_on_aws() {
    let stack = Stack::create().await;
    let mut config = stack.function_config();
    config.limits.device_batch_size = 2;
    the_same_event_twice_at_once(&config.deps(&stack.sdk)).await;
}

/// Processing through `refusing`, whose object reads are denied for good, ends both kinds
/// of job FAILED at once, every keystore item filled, instead of leaving them to retries.
async fn permanent_storage_errors(deps: &Deps, refusing: &Deps) {
    let caller = caller(deps).await;
    let tenant = caller.tenant.id.clone();

    let (job_id, key) = certificate_upload(deps, &caller, "refused", 2).await;
    let outcome = UploadProcessor::CertificateImport
        .process(refusing, &key)
        .await
        .unwrap();
    assert!(matches!(outcome, ProcessOutcome::Failed { .. }), "{outcome:?}");
    let job = deps.jobs.get_job(&tenant, &job_id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Failed);
    assert!(job.failure.unwrap().message.contains("retrying will not fix"));

    let (edge, dek) = create_edge_instance(deps.tenants.as_ref(), deps.keys.dek.as_ref(), &tenant, "edge")
        .await
        .unwrap();
    let item = json!({"pkcs12Keystore": B64.encode(b"x"), "dekEncryptedPassword": B64.encode(b"y")});
    let batch = json!({"edgeInstanceId": edge.id, "encryptionKeyId": dek.id, "importInformation": [item.clone(), item.clone(), item]});
    let job = upload_keystore_import(deps, &caller, batch.to_string().as_bytes())
        .await
        .unwrap();
    let outcome = UploadProcessor::KeystoreImport
        .process(refusing, &job.object_key)
        .await
        .unwrap();
    assert!(matches!(outcome, ProcessOutcome::Failed { .. }), "{outcome:?}");
    let job = deps.jobs.get_job(&tenant, &job.id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Failed);
    // Every item of the failed job reads as failed, with the job's reason.
    let results = get_keystore_import(deps, &caller, &job.id).await.unwrap().results;
    assert_eq!(results.len(), 3);
    assert!(results
        .iter()
        .all(|r| r.status == ItemStatus::Failed && r.reason.contains("retrying will not fix")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_storage_errors_end_the_job_failed_on_embedded_storage() {
    let dir = tempfile::tempdir().unwrap();
    let deps = embedded_deps(dir.path(), Limits::default());
    let refusing = Deps {
        objects: Arc::new(ReadsRefused {
            inner: deps.objects.clone(),
        }),
        ..deps.clone()
    };
    permanent_storage_errors(&deps, &refusing).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_storage_errors_end_the_job_failed_on_aws() {
    let stack = Stack::create().await;
    let deny_s3_reads: flaky_aws::Rule =
        Box::new(|call| (call.service == Service::S3 && call.operation == "GET").then_some(Fault::Denied));
    let proxy = FlakyAws::start(&moto::endpoint(), deny_s3_reads).await;
    let config = stack.function_config();
    let refusing = config.deps(&proxy.sdk_config().await);
    permanent_storage_errors(&config.deps(&stack.sdk), &refusing).await;
    let denied = proxy
        .calls()
        .into_iter()
        .filter(|c| c.answered_with == Some(Fault::Denied));
    assert_eq!(
        denied.map(|c| c.attempt).max(),
        Some(1),
        "access denied is not retried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_unprocessed_batches_on_aws_are_retried_and_nothing_is_lost() {
    let stack = Stack::create().await;
    let proxy = FlakyAws::start(&moto::endpoint(), flaky_aws::throttle_first_attempts()).await;
    let mut config = stack.function_config();
    config.limits.device_batch_size = 3;
    let deps = config.deps(&proxy.sdk_config().await);
    let caller = caller(&deps).await;
    let tenant = caller.tenant.id.clone();

    let (job_id, key) = certificate_upload(&deps, &caller, "throttled", 10).await;
    let outcome = UploadProcessor::CertificateImport
        .process(&deps, &key)
        .await
        .unwrap();
    assert_eq!(
        outcome,
        ProcessOutcome::Completed {
            job_id: job_id.clone(),
            total: 10,
            failed: 0
        }
    );
    assert_devices_of_job(&deps, &tenant, "throttled", 10, &job_id).await;
    let job = keystore_upload(&deps, &caller).await;
    UploadProcessor::KeystoreImport
        .process(&deps, &job.object_key)
        .await
        .unwrap();
    let results = deps.jobs.item_results(&tenant, &job.id).await.unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].status, ItemStatus::Imported, "{:?}", results[0]);

    // Every service threw at us, and every throttled call went through on the SDK's retry.
    let calls = proxy.calls();
    for service in [Service::S3, Service::DynamoDb, Service::Kms] {
        let throttled = calls
            .iter()
            .filter(|c| c.service == service && c.answered_with == Some(Fault::Throttled))
            .count();
        let retried = calls
            .iter()
            .filter(|c| c.service == service && c.attempt == 2 && c.answered_with.is_none())
            .count();
        assert!(throttled > 0, "{service:?} was never throttled: {calls:?}");
        assert_eq!(throttled, retried, "{service:?}: {calls:?}");
    }
    let unprocessed = calls
        .iter()
        .filter(|c| c.answered_with == Some(Fault::Unprocessed))
        .count();
    assert!(unprocessed > 0, "no batch came back unprocessed: {calls:?}");
}
