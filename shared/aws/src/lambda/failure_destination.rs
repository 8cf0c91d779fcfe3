//! The processors' on-failure destination: Lambda sends each asynchronous invocation that
//! failed every retry to an SQS queue, as a record holding the original S3 event, and the
//! shard queue moves there each shard that failed every delivery. The job behind each
//! object or shard is ended FAILED, so no job waits for the sweeper needlessly.

use aws_lambda_events::event::s3::S3Event;
use aws_lambda_events::event::sqs::SqsEvent;
use certport_core::app::{abandon_upload, fail_job, Deps, RETRIES_EXHAUSTED};
use certport_core::domain::FailureReason::NotProcessed;
use lambda_runtime::LambdaEvent;
use serde_json::{json, Value};

use crate::lambda::certificate_processor::shard_task;
use crate::lambda::s3_function::{decode_s3_key, outcome_json};

/// Fails the job of every object in the failed invocations. Only transient errors fail
/// the batch (SQS delivers it again; ending a job is idempotent).
pub async fn respond(deps: &Deps, event: LambdaEvent<SqsEvent>) -> Result<Value, lambda_runtime::Error> {
    let mut outcomes = Vec::new();
    for message in event.payload.records {
        if let Some(task) = message.body.as_deref().and_then(shard_task) {
            let reason = format!(
                "shard {} of {} (files {}..{}) failed every retry: {RETRIES_EXHAUSTED}",
                task.shard + 1,
                task.shards,
                task.first_file,
                task.end_file
            );
            let (tenant, job) = (&task.tenant_id, &task.job_id);
            let outcome = fail_job(deps, tenant, job, NotProcessed, &reason).await?;
            tracing::warn!(job_id = %task.job_id, shard = task.shard, ?outcome, "shard abandoned after failed processing");
            outcomes.push(outcome_json(&format!("{}#{}", task.job_id, task.shard), &outcome));
            continue;
        }
        let Some(event) = message.body.as_deref().and_then(failed_s3_event) else {
            tracing::warn!(message_id = ?message.message_id, "not a failed S3 invocation record; dropped");
            continue;
        };
        for record in event.records {
            let Some(raw_key) = record.s3.object.key else {
                continue;
            };
            let key = decode_s3_key(&raw_key);
            let outcome = abandon_upload(deps, &key, RETRIES_EXHAUSTED).await?;
            tracing::warn!(key = %key, ?outcome, "upload abandoned after failed processing");
            outcomes.push(outcome_json(&key, &outcome));
        }
    }
    Ok(json!({ "outcomes": outcomes }))
}

/// The S3 event inside a Lambda destination record (`requestPayload`).
fn failed_s3_event(body: &str) -> Option<S3Event> {
    let record: Value = serde_json::from_str(body).ok()?;
    serde_json::from_value(record.get("requestPayload")?.clone()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_s3_event_of_a_destination_record() {
        let fixture = include_str!("../../../../events/processor-failures.json");
        let event: SqsEvent = serde_json::from_str(fixture).unwrap();
        let body = event.records[0].body.as_deref().unwrap();
        let s3 = failed_s3_event(body).expect("an S3 event");
        let key = decode_s3_key(s3.records[0].s3.object.key.as_deref().unwrap());
        assert!(key.starts_with("certificate-import/"), "{key}");
        assert!(failed_s3_event("{}").is_none());
        assert!(failed_s3_event(r#"{"requestPayload": {"Records": 3}}"#).is_none());
        assert!(failed_s3_event("not json").is_none());
    }
}
