//! `ShardQueue` on SQS: one message per shard, ten a `SendMessageBatch` call.

use async_trait::async_trait;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use certport_core::domain::ShardTask;
use certport_core::ports::{InfraError, InfraResult, ShardQueue};

use crate::adapters::errors::infra_error;

/// SQS takes at most ten messages a batch.
const BATCH_MAX: usize = 10;

pub struct SqsShardQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsShardQueue {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        SqsShardQueue {
            client,
            queue_url: queue_url.into(),
        }
    }
}

#[async_trait]
impl ShardQueue for SqsShardQueue {
    async fn send(&self, tasks: &[ShardTask]) -> InfraResult<()> {
        for batch in tasks.chunks(BATCH_MAX) {
            let entries = batch
                .iter()
                .enumerate()
                .map(|(n, task)| {
                    let body =
                        serde_json::to_string(task).map_err(|e| InfraError::permanent("queue shards", e))?;
                    SendMessageBatchRequestEntry::builder()
                        .id(n.to_string())
                        .message_body(body)
                        .build()
                        .map_err(|e| InfraError::permanent("queue shards", e))
                })
                .collect::<InfraResult<Vec<_>>>()?;
            let sent = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| infra_error("queue shards", e))?;
            // Entries refused inside a successful call: the whole send is retried (a shard
            // queued twice runs twice and counts once).
            if let Some(refused) = sent.failed.first() {
                let message = format!(
                    "SQS refused {} of {} shard messages ({})",
                    sent.failed.len(),
                    batch.len(),
                    refused.code
                );
                return Err(InfraError::transient("queue shards", message));
            }
        }
        Ok(())
    }
}
