//! S3 ObjectCreated events in, the core upload processors run on each object's key.

use aws_lambda_events::event::s3::S3Event;
use certport_core::app::{Deps, ProcessOutcome, UploadProcessor};
use lambda_runtime::LambdaEvent;
use serde_json::{json, Value};

/// Processes each object of the event. A permanent problem is recorded on its job
/// (FAILED with the reason) and the invocation succeeds; only transient
/// infrastructure errors fail it, so Lambda's retries can help (processing is idempotent).
pub async fn respond(
    deps: &Deps,
    processor: UploadProcessor,
    event: LambdaEvent<S3Event>,
) -> Result<Value, lambda_runtime::Error> {
    let mut outcomes = Vec::new();
    for record in event.payload.records {
        let Some(raw_key) = record.s3.object.key else {
            continue;
        };
        let key = decode_s3_key(&raw_key);
        let outcome = processor.process(deps, &key).await?;
        tracing::info!(key = %key, ?outcome, "object processed");
        outcomes.push(outcome_json(&key, &outcome));
    }
    Ok(json!({ "outcomes": outcomes }))
}

/// S3 event keys are URL-encoded, with `+` for spaces.
pub fn decode_s3_key(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

pub(crate) fn outcome_json(key: &str, outcome: &ProcessOutcome) -> Value {
    match outcome {
        ProcessOutcome::Completed {
            job_id,
            total,
            failed,
        } => json!({
            "key": key, "outcome": "COMPLETED", "job_id": job_id, "total": total, "failed": failed
        }),
        ProcessOutcome::Failed { job_id, reason } => {
            json!({"key": key, "outcome": "FAILED", "job_id": job_id, "reason": reason})
        }
        ProcessOutcome::Sharded { job_id, shards } => {
            json!({"key": key, "outcome": "SHARDED", "job_id": job_id, "shards": shards})
        }
        ProcessOutcome::ShardProcessed { job_id, shard } => {
            json!({"key": key, "outcome": "SHARD_PROCESSED", "job_id": job_id, "shard": shard})
        }
        ProcessOutcome::AlreadyFinished { job_id } => {
            json!({"key": key, "outcome": "ALREADY_FINISHED", "job_id": job_id})
        }
        ProcessOutcome::Ignored { reason } => json!({"key": key, "outcome": "IGNORED", "reason": reason}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_event_keys() {
        assert_eq!(
            decode_s3_key("certificate-import/t/j/my+devices%2B2024+%28final%29.zip"),
            "certificate-import/t/j/my devices+2024 (final).zip"
        );
        assert_eq!(decode_s3_key("a%C3%BCb"), "aüb");
        assert_eq!(decode_s3_key("plain/key.zip"), "plain/key.zip");
    }
}
