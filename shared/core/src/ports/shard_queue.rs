use async_trait::async_trait;

use super::InfraResult;
use crate::domain::ShardTask;

/// Where the shards of a large upload wait for a processor (SQS on AWS). Delivery is at
/// least once: a shard may run more than once, and its writes and report are idempotent.
#[async_trait]
pub trait ShardQueue: Send + Sync {
    /// Every task is queued, or the call fails (sending them again is harmless).
    async fn send(&self, tasks: &[ShardTask]) -> InfraResult<()>;
}
