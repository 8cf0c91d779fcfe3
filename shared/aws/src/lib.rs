//! AWS adapters for certport's ports: S3 objects, DynamoDB records, KMS keys, SQS shards.

pub mod certificate_processor;
mod config;
mod dynamodb_certificates;
mod dynamodb_devices;
mod dynamodb_inventory;
mod dynamodb_jobs;
mod dynamodb_listing;
mod dynamodb_open_work;
mod dynamodb_store;
mod dynamodb_tenants;
mod dynamodb_transactions;
mod dynamodb_upgrade;
mod errors;
pub mod failure_destination;
mod function_config;
mod functions;
pub mod http_function;
mod kms_key_service;
mod not_configured;
pub mod s3_function;
mod s3_object_store;
mod sqs_shard_queue;

pub use config::{load_sdk_config, s3_client, ConfigError};
pub use dynamodb_listing::{LISTING_INDEX, LOOKUP_INDEX, SERIAL_INDEX};
pub use dynamodb_store::{DynamoStore, OPEN_JOBS_INDEX};
pub use dynamodb_upgrade::UpgradeReport;
pub use function_config::{cold_start, cold_start_with_shard_queue, FunctionConfig, Uses};
pub use functions::Function;
pub use kms_key_service::KmsKeyService;
pub use s3_object_store::S3ObjectStore;
pub use sqs_shard_queue::SqsShardQueue;
