//! certport on AWS: the adapters of its ports (DynamoDB records, S3 objects, KMS keys,
//! SQS shards), and the Lambda glue that turns events into use cases.

mod adapters;
mod lambda;

pub use adapters::config::{load_sdk_config, s3_client, ConfigError};
pub use adapters::dynamodb::listing::{LISTING_INDEX, LOOKUP_INDEX, SERIAL_INDEX};
pub use adapters::dynamodb::schema::{SchemaUpgrade, SCHEMA_VERSION};
pub use adapters::dynamodb::{DynamoStore, OPEN_JOBS_INDEX};
pub use adapters::kms_key_service::KmsKeyService;
pub use adapters::s3_object_store::S3ObjectStore;
pub use adapters::sqs_shard_queue::SqsShardQueue;
pub use lambda::function_config::{
    cold_start, cold_start_with_shard_queue, FunctionConfig, StartError, Uses,
};
pub use lambda::functions::Function;
pub use lambda::{certificate_processor, failure_destination, http_function, s3_function};
