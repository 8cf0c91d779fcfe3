//! A large upload on AWS: the certificate processor plans it into shards on SQS, the
//! same function takes each shard from the queue, and the job ends as the same upload
//! processed in one run (moto: S3, DynamoDB and SQS over the wire).

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use certport_core::app::{
    get_certificate_import, upload_certificate_import, Caller, CertImportStatus, CertImportUpload, Deps,
};
use certport_core::domain::{FailureReason, JobState};
use certport_core::testing::scenarios::{new_caller, pem_profile};
use certport_core::testing::sharding::{
    sharding_scenario, EXPECTED_FAILURES, EXPECTED_TOTAL, SHARD_CERTIFICATES,
};
use certport_tests::fixtures::s3_event;
use certport_tests::moto::Stack;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;

/// The processor on the S3 event of the stored upload.
async fn on_upload(deps: &Deps, key: &str) -> Value {
    let event = LambdaEvent::new(s3_event(key).into(), Context::default());
    certificate_import_processor::event_handler::function_handler(deps, event)
        .await
        .expect("processor succeeds")
}

/// Uploads `zip` for a new tenant's profile (after its `earlier` import, in one run):
/// the caller and the processor's answer to the upload's S3 event.
async fn import(whole: &Deps, deps: &Deps, earlier: &[u8], zip: &[u8]) -> (Caller, String, Value) {
    let caller = new_caller(whole, "sharded").await;
    let profile = pem_profile(whole, &caller).await;
    let upload = |zip: &[u8]| CertImportUpload {
        profile_id: profile.clone(),
        file_name: "devices.zip".into(),
        zip: zip.to_vec().into(),
        ip_address: None,
    };
    let before = upload_certificate_import(whole, &caller, upload(earlier))
        .await
        .unwrap();
    on_upload(whole, &before.object_key).await;
    let job = upload_certificate_import(deps, &caller, upload(zip))
        .await
        .unwrap();
    let outcome = on_upload(deps, &job.object_key).await;
    (caller, job.id, outcome)
}

/// Receives what the shard queue holds (deleting it) as the SQS events Lambda would pass.
async fn shard_events(stack: &Stack) -> Vec<SqsEvent> {
    let sqs = aws_sdk_sqs::Client::new(&stack.sdk);
    let mut events = Vec::new();
    loop {
        let received = sqs
            .receive_message()
            .queue_url(&stack.shard_queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            return events;
        }
        for message in messages {
            sqs.delete_message()
                .queue_url(&stack.shard_queue_url)
                .receipt_handle(message.receipt_handle.clone().unwrap())
                .send()
                .await
                .unwrap();
            let mut record = SqsMessage::default();
            record.message_id = message.message_id;
            record.body = message.body;
            record.event_source = Some("aws:sqs".into());
            let mut event = SqsEvent::default();
            event.records = vec![record];
            events.push(event);
        }
    }
}

/// The event as it arrives at the function: JSON, told apart from S3's by its source.
async fn on_shard(deps: &Deps, event: &SqsEvent) -> Value {
    let event = serde_json::from_value(serde_json::to_value(event).unwrap()).unwrap();
    certificate_import_processor::event_handler::function_handler(
        deps,
        LambdaEvent::new(event, Context::default()),
    )
    .await
    .expect("shard succeeds")
}

/// A failure as (file, index, reason, message).
type Failure = (String, u32, FailureReason, String);

fn results(status: &CertImportStatus) -> (JobState, u64, u64, Vec<Failure>) {
    let failures = status
        .failures
        .iter()
        .map(|f| {
            (
                f.file_name.clone().unwrap(),
                f.index.unwrap(),
                f.reason,
                f.message.clone(),
            )
        })
        .collect();
    let job = &status.job;
    (job.state, job.total, job.failed, failures)
}

/// A stack, and the functions' ports on it twice: as deployed (uploads this small are one
/// run) and with every upload split into shards of a few certificates.
async fn stack() -> (Stack, Deps, Deps) {
    let stack = Stack::create().await;
    let whole = stack.function_config().deps_with_shard_queue(&stack.sdk);
    let mut config = stack.function_config();
    config.limits.shard_upload_bytes = 1;
    config.limits.shard_certificates = SHARD_CERTIFICATES;
    let sharded = config.deps_with_shard_queue(&stack.sdk);
    (stack, whole, sharded)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sharded_upload_on_sqs_ends_as_the_same_upload_in_one_run() {
    let (stack, whole, sharded) = stack().await;
    let scenario = sharding_scenario();

    let (caller, job_id, outcome) = import(&whole, &whole, &scenario.earlier, &scenario.upload).await;
    assert_eq!(outcome["outcomes"][0]["outcome"], "COMPLETED", "{outcome}");
    let in_one_run = results(&get_certificate_import(&whole, &caller, &job_id).await.unwrap());

    let (caller, job_id, outcome) = import(&whole, &sharded, &scenario.earlier, &scenario.upload).await;
    assert_eq!(outcome["outcomes"][0]["outcome"], "SHARDED", "{outcome}");
    let events = shard_events(&stack).await;
    assert_eq!(
        outcome["outcomes"][0]["shards"],
        events.len(),
        "one message a shard"
    );
    let (last, others) = events.split_last().unwrap();
    for event in others {
        let outcome = on_shard(&sharded, event).await;
        assert_eq!(outcome["outcomes"][0]["outcome"], "SHARD_PROCESSED", "{outcome}");
    }
    let status = get_certificate_import(&sharded, &caller, &job_id).await.unwrap();
    assert_eq!(status.job.state, JobState::Open, "open until the last shard");
    // Redelivered: counted once.
    on_shard(&sharded, &others[0]).await;
    let outcome = on_shard(&sharded, last).await;
    assert_eq!(outcome["outcomes"][0]["outcome"], "COMPLETED", "{outcome}");
    let in_shards = results(&get_certificate_import(&sharded, &caller, &job_id).await.unwrap());

    assert_eq!(in_shards, in_one_run);
    let (status, total, failed, failures) = in_shards;
    assert_eq!((status, total, failed), (JobState::Completed, EXPECTED_TOTAL, 5));
    let positions: Vec<_> = failures.into_iter().map(|(f, i, r, _)| (f, i, r)).collect();
    let expected: Vec<_> = EXPECTED_FAILURES
        .iter()
        .map(|(f, i, r)| (f.to_string(), *i, *r))
        .collect();
    assert_eq!(positions, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shard_that_failed_every_delivery_fails_its_job_with_the_reason() {
    let (stack, whole, sharded) = stack().await;
    let scenario = sharding_scenario();
    let (caller, job_id, _) = import(&whole, &sharded, &scenario.earlier, &scenario.upload).await;

    // The shard queue's redrive policy moves the message, as it is, to the failure queue.
    let events = shard_events(&stack).await;
    let event = serde_json::from_value(serde_json::to_value(&events[1]).unwrap()).unwrap();
    let outcome = processor_failures::event_handler::function_handler(
        &whole,
        LambdaEvent::new(event, Context::default()),
    )
    .await
    .unwrap();
    assert_eq!(outcome["outcomes"][0]["outcome"], "FAILED", "{outcome}");
    let status = get_certificate_import(&whole, &caller, &job_id).await.unwrap();
    assert_eq!(status.job.state, JobState::Failed);
    let message = status.job.failure.unwrap().message;
    assert!(
        message.contains("shard 2 of") && message.contains("every retry"),
        "{message}"
    );
    // The other shards, delivered late, change nothing.
    let outcome = on_shard(&sharded, &events[0]).await;
    assert_eq!(outcome["outcomes"][0]["outcome"], "ALREADY_FINISHED", "{outcome}");
}
