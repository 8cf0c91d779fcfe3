//! What processing an upload, a shard or a job's end came to.

pub const STORAGE_REFUSED: &str =
    "the job could not be processed: storage refused an operation that retrying will not fix; upload the file again";

/// What one S3 ObjectCreated notification led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessOutcome {
    Completed {
        job_id: String,
        total: u64,
        failed: u64,
    },
    /// The job could not run as a whole; it is recorded FAILED with the reason.
    Failed {
        job_id: String,
        reason: String,
    },
    /// A large upload, planned and queued as `shards` shards; the last one to finish
    /// completes the job.
    Sharded {
        job_id: String,
        shards: u32,
    },
    /// One shard of a sharded job done; others are still to report.
    ShardProcessed {
        job_id: String,
        shard: u32,
    },
    /// A re-delivered event for a job that already ended.
    AlreadyFinished {
        job_id: String,
    },
    /// The key is not one of ours, or names no job: nothing to do.
    Ignored {
        reason: String,
    },
}
