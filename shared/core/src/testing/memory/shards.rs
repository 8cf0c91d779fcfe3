use std::sync::Mutex;

use async_trait::async_trait;

use crate::domain::ShardTask;
use crate::ports::{InfraResult, ShardQueue};

/// Shard tasks kept in order until a test takes them (and runs them as it likes).
#[derive(Default)]
pub struct MemoryShardQueue {
    tasks: Mutex<Vec<ShardTask>>,
}

impl MemoryShardQueue {
    /// Every task queued so far, oldest first; the queue is left empty.
    pub fn take(&self) -> Vec<ShardTask> {
        std::mem::take(&mut *self.tasks.lock().unwrap())
    }
}

#[async_trait]
impl ShardQueue for MemoryShardQueue {
    async fn send(&self, tasks: &[ShardTask]) -> InfraResult<()> {
        self.tasks.lock().unwrap().extend_from_slice(tasks);
        Ok(())
    }
}
