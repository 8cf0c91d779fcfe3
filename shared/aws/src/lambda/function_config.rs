use std::sync::Arc;

use certport_core::app::{Deps, KeyServices, Limits};
use certport_core::ports::{InfraError, ShardQueue};

use crate::lambda::not_configured::NotConfigured;
use crate::{s3_client, ConfigError, DynamoStore, KmsKeyService, S3ObjectStore, SqsShardQueue};

/// What a function uses besides the table: only these are read from its environment
/// (and required there), so a function is deployed with nothing it does not use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uses {
    pub bucket: bool,
    /// The KMS key wrapping DEK private keys.
    pub dek_key: bool,
    /// The KMS key making the data keys of stored private keys.
    pub data_key: bool,
    /// The queue of large uploads' shards.
    pub shard_queue: bool,
}

impl Uses {
    /// Readers, admin routes, the sweeper and the failure queue.
    pub const TABLE: Uses = Uses {
        bucket: false,
        dek_key: false,
        data_key: false,
        shard_queue: false,
    };
    /// Uploads.
    pub const TABLE_AND_BUCKET: Uses = Uses {
        bucket: true,
        ..Uses::TABLE
    };
    /// The certificate processor: it plans large uploads into shards and runs them.
    pub const TABLE_BUCKET_AND_SHARDS: Uses = Uses {
        shard_queue: true,
        ..Uses::TABLE_AND_BUCKET
    };
    /// The keystore processor.
    pub const TABLE_BUCKET_AND_KEYS: Uses = Uses {
        bucket: true,
        dek_key: true,
        data_key: true,
        shard_queue: false,
    };
}

/// What a certport Lambda function reads from its environment at cold start.
#[derive(Debug, Clone)]
pub struct FunctionConfig {
    pub table: String,
    pub bucket: Option<String>,
    pub dek_kms_key_id: Option<String>,
    pub data_kms_key_id: Option<String>,
    pub shard_queue_url: Option<String>,
    pub limits: Limits,
}

impl FunctionConfig {
    pub fn from_env(uses: Uses) -> Result<Self, ConfigError> {
        Self::from_lookup(uses, |name| std::env::var(name).ok())
    }

    /// From `lookup` (the environment, or a test's map); empty counts as missing.
    pub fn from_lookup(uses: Uses, lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let required = |name: &'static str, what: &'static str| {
            lookup(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or(ConfigError(name, what))
        };
        let optional = |used: bool, name, what| used.then(|| required(name, what)).transpose();
        let limits = Limits::from_env(&lookup).map_err(|e| ConfigError(e.name, "a whole number above 0"))?;
        Ok(FunctionConfig {
            table: required("CERTPORT_TABLE", "the DynamoDB table name")?,
            bucket: optional(uses.bucket, "CERTPORT_BUCKET", "the upload bucket name")?,
            dek_kms_key_id: optional(
                uses.dek_key,
                "CERTPORT_DEK_KMS_KEY_ID",
                "the KMS key wrapping DEK private keys",
            )?,
            data_kms_key_id: optional(
                uses.data_key,
                "CERTPORT_DATA_KMS_KEY_ID",
                "the KMS key for data keys of stored private keys",
            )?,
            shard_queue_url: optional(
                uses.shard_queue,
                "CERTPORT_SHARD_QUEUE_URL",
                "the URL of the SQS queue of large uploads' shards",
            )?,
            limits,
        })
    }

    /// The ports on AWS: S3 for uploads, DynamoDB for records, KMS for keys. What the
    /// function does not use refuses every call.
    pub fn deps(&self, sdk: &aws_config::SdkConfig) -> Deps {
        let store = Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &self.table));
        // A KMS client only for a function that uses a key.
        let key = |id: &Option<String>, what: &'static str| -> Arc<dyn certport_core::ports::KeyService> {
            match id {
                Some(id) => Arc::new(KmsKeyService::new(aws_sdk_kms::Client::new(sdk), id)),
                None => Arc::new(NotConfigured(what)),
            }
        };
        Deps {
            objects: match &self.bucket {
                Some(bucket) => Arc::new(S3ObjectStore::new(s3_client(sdk), bucket)),
                None => Arc::new(NotConfigured("the upload bucket")),
            },
            tenants: store.clone(),
            jobs: store.clone(),
            inventory: store,
            keys: KeyServices {
                dek: key(&self.dek_kms_key_id, "the DEK key"),
                data: key(&self.data_kms_key_id, "the data key"),
            },
            limits: self.limits,
            shards: None,
        }
    }

    /// The same, with the shard queue when the function uses one (the certificate
    /// processor). Apart from `deps` so that only the functions calling it link the SQS
    /// client.
    pub fn deps_with_shard_queue(&self, sdk: &aws_config::SdkConfig) -> Deps {
        Deps {
            shards: self.shard_queue_url.as_ref().map(|url| {
                Arc::new(SqsShardQueue::new(aws_sdk_sqs::Client::new(sdk), url)) as Arc<dyn ShardQueue>
            }),
            ..self.deps(sdk)
        }
    }
}

/// Why a function would not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The table is not at the schema version this build reads and writes.
    #[error("{0}")]
    Schema(#[from] InfraError),
}

/// A function's cold start: JSON-or-text tracing as Lambda asks, the configuration from
/// the environment (refusing to start without what it uses), the ports on AWS, and a
/// table at the schema version this build knows.
pub async fn cold_start(uses: Uses) -> Result<Deps, StartError> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = FunctionConfig::from_env(uses)?;
    let sdk = crate::load_sdk_config().await;
    checked_schema(&config, &sdk).await?;
    Ok(config.deps(&sdk))
}

/// The certificate processor's cold start: as `cold_start`, with the shard queue
/// (`CERTPORT_SHARD_QUEUE_URL`, required).
pub async fn cold_start_with_shard_queue() -> Result<Deps, StartError> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = FunctionConfig::from_env(Uses::TABLE_BUCKET_AND_SHARDS)?;
    let sdk = crate::load_sdk_config().await;
    checked_schema(&config, &sdk).await?;
    Ok(config.deps_with_shard_queue(&sdk))
}

async fn checked_schema(config: &FunctionConfig, sdk: &aws_config::SdkConfig) -> Result<(), InfraError> {
    DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &config.table)
        .check_schema()
        .await
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| vars.get(name).cloned()
    }

    #[test]
    fn a_table_only_function_needs_no_bucket_and_no_keys() {
        let config = FunctionConfig::from_lookup(Uses::TABLE, lookup(&[("CERTPORT_TABLE", "t")])).unwrap();
        assert_eq!((config.bucket, config.dek_kms_key_id), (None, None));
    }

    #[test]
    fn what_a_function_uses_must_be_set() {
        let only_table = lookup(&[("CERTPORT_TABLE", "t"), ("CERTPORT_BUCKET", " ")]);
        let missing = FunctionConfig::from_lookup(Uses::TABLE_AND_BUCKET, only_table).unwrap_err();
        assert_eq!(missing.0, "CERTPORT_BUCKET");
        let no_keys = lookup(&[("CERTPORT_TABLE", "t"), ("CERTPORT_BUCKET", "b")]);
        let missing = FunctionConfig::from_lookup(Uses::TABLE_BUCKET_AND_KEYS, no_keys).unwrap_err();
        assert_eq!(missing.0, "CERTPORT_DEK_KMS_KEY_ID");
        let missing = FunctionConfig::from_lookup(Uses::TABLE, lookup(&[])).unwrap_err();
        assert_eq!(missing.0, "CERTPORT_TABLE");
        let no_queue = lookup(&[("CERTPORT_TABLE", "t"), ("CERTPORT_BUCKET", "b")]);
        let missing = FunctionConfig::from_lookup(Uses::TABLE_BUCKET_AND_SHARDS, no_queue).unwrap_err();
        assert_eq!(missing.0, "CERTPORT_SHARD_QUEUE_URL");
    }
}
