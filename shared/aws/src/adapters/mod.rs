//! The AWS adapters of certport's ports: each implements a port of `certport_core` on
//! one service, and knows nothing of Lambda.

pub(crate) mod config;
pub(crate) mod dynamodb;
pub(crate) mod errors;
pub(crate) mod kms_key_service;
pub(crate) mod s3_object_store;
pub(crate) mod sqs_shard_queue;
