//! Processes stored certificate-import uploads on S3 ObjectCreated events, and the shards
//! of large ones from the shard queue.

pub mod event_handler;
