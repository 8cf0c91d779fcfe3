//! The certificate processor's two kinds of event: an upload's S3 notification (one run,
//! or the plan of a large upload) and a shard of a planned upload from the shard queue.

use aws_lambda_events::event::s3::S3Event;
use aws_lambda_events::event::sqs::SqsEvent;
use certport_core::app::{process_certificate_shard, Deps, UploadProcessor};
use certport_core::domain::ShardTask;
use lambda_runtime::LambdaEvent;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

use crate::lambda::s3_function::outcome_json;

#[derive(Debug, Clone)]
pub enum CertificateProcessorEvent {
    Upload(S3Event),
    Shards(SqsEvent),
}

impl From<S3Event> for CertificateProcessorEvent {
    fn from(event: S3Event) -> Self {
        CertificateProcessorEvent::Upload(event)
    }
}

impl From<SqsEvent> for CertificateProcessorEvent {
    fn from(event: SqsEvent) -> Self {
        CertificateProcessorEvent::Shards(event)
    }
}

/// Told apart by the records' `eventSource` (`aws:sqs`, else S3's).
impl<'de> Deserialize<'de> for CertificateProcessorEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let event = Value::deserialize(deserializer)?;
        let source = event
            .pointer("/Records/0/eventSource")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if source.as_deref() == Some("aws:sqs") {
            serde_json::from_value(event).map(CertificateProcessorEvent::Shards)
        } else {
            serde_json::from_value(event).map(CertificateProcessorEvent::Upload)
        }
        .map_err(D::Error::custom)
    }
}

/// Runs the event. Only transient infrastructure errors fail an upload's invocation
/// (S3's retries can help); the rest is recorded on the job. Of a batch of shards, those
/// that met a transient error are reported back alone (`batchItemFailures`), so the
/// queue delivers again just them, once their visibility timeout has passed.
pub async fn respond(
    deps: &Deps,
    event: LambdaEvent<CertificateProcessorEvent>,
) -> Result<Value, lambda_runtime::Error> {
    let (payload, context) = event.into_parts();
    let sqs = match payload {
        CertificateProcessorEvent::Upload(s3) => {
            let event = LambdaEvent::new(s3, context);
            return crate::lambda::s3_function::respond(deps, UploadProcessor::CertificateImport, event)
                .await;
        }
        CertificateProcessorEvent::Shards(sqs) => sqs,
    };
    let (mut outcomes, mut retry) = (Vec::new(), Vec::new());
    for message in sqs.records {
        let Some(task) = message.body.as_deref().and_then(shard_task) else {
            tracing::warn!(message_id = ?message.message_id, "not a shard task; dropped");
            continue;
        };
        match process_certificate_shard(deps, &task).await {
            Ok(outcome) => {
                tracing::info!(job_id = %task.job_id, shard = task.shard, ?outcome, "shard processed");
                outcomes.push(outcome_json(&format!("{}#{}", task.job_id, task.shard), &outcome));
            }
            Err(e) => {
                tracing::warn!(job_id = %task.job_id, shard = task.shard, error = %e.chain(), "shard to be delivered again");
                retry.push(json!({"itemIdentifier": message.message_id.unwrap_or_default()}));
            }
        }
    }
    Ok(json!({ "outcomes": outcomes, "batchItemFailures": retry }))
}

/// The task a shard message carries.
pub fn shard_task(body: &str) -> Option<ShardTask> {
    serde_json::from_str(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> CertificateProcessorEvent {
        let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn s3_notifications_and_shard_messages_are_told_apart() {
        let CertificateProcessorEvent::Upload(s3) = fixture("certificate-import-processor.json") else {
            panic!("an S3 notification");
        };
        assert!(s3.records[0].s3.object.key.is_some());
        let CertificateProcessorEvent::Shards(sqs) = fixture("certificate-import-shard.json") else {
            panic!("a shard message");
        };
        let task = shard_task(sqs.records[0].body.as_deref().unwrap()).unwrap();
        assert_eq!((task.shard, task.shards, task.first_ordinal), (0, 1, 1));
        assert!(shard_task(r#"{"Records": []}"#).is_none());
    }
}
