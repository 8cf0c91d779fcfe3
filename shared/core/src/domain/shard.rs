//! A large certificate upload split into shards: one plan, then one task per run of
//! files, each processed on its own (docs/scaling.md). Small uploads are one run.

use serde::{Deserialize, Serialize};

/// What the plan of a sharded job decided, kept on the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardPlan {
    pub shards: u32,
    /// When the plan started (milliseconds since the epoch): the job's processing time
    /// runs from here to the last shard.
    pub planned_at_ms: u64,
}

/// One shard to process: the upload's files `first_file..end_file` (in zip order), whose
/// first certificate is number `first_ordinal` of the whole upload. The message a shard
/// queue carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardTask {
    pub tenant_id: String,
    pub job_id: String,
    pub shard: u32,
    pub shards: u32,
    pub first_file: u32,
    pub end_file: u32,
    pub first_ordinal: u32,
}

/// A processed shard, as the job store counts it: once per shard, however often the
/// shard ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardReport {
    pub shard: u32,
    /// Certificates of the shard the inventory refused (the plan counted the others).
    pub failed: u64,
    /// Certificates the shard covered: a sharded job's progress is the sum.
    pub certificates: u64,
    /// Its failures by reason.
    pub failure_counts: super::FailureCounts,
}
