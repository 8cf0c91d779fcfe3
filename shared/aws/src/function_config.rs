use std::sync::Arc;

use certport_core::app::{Deps, KeyServices, Limits};

use crate::{required_env, s3_client, ConfigError, DynamoStore, KmsKeyService, S3ObjectStore};

/// What every certport Lambda function reads from its environment at cold start.
#[derive(Debug, Clone)]
pub struct FunctionConfig {
    pub table: String,
    pub bucket: String,
    /// KMS key wrapping DEK private keys.
    pub dek_kms_key_id: String,
    /// KMS key making the data keys of stored private keys.
    pub data_kms_key_id: String,
    pub limits: Limits,
}

impl FunctionConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let limits = Limits::from_env(|name| std::env::var(name).ok())
            .map_err(|e| ConfigError(e.name, "a whole number above 0"))?;
        Ok(FunctionConfig {
            table: required_env("CERTPORT_TABLE", "the DynamoDB table name")?,
            bucket: required_env("CERTPORT_BUCKET", "the upload bucket name")?,
            dek_kms_key_id: required_env("CERTPORT_DEK_KMS_KEY_ID", "the KMS key wrapping DEK private keys")?,
            data_kms_key_id: required_env(
                "CERTPORT_DATA_KMS_KEY_ID",
                "the KMS key for data keys of stored private keys",
            )?,
            limits,
        })
    }

    /// The ports on AWS: S3 for uploads, DynamoDB for records, KMS for keys.
    pub fn deps(&self, sdk: &aws_config::SdkConfig) -> Deps {
        let store = Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &self.table));
        let kms = aws_sdk_kms::Client::new(sdk);
        Deps {
            objects: Arc::new(S3ObjectStore::new(s3_client(sdk), &self.bucket)),
            tenants: store.clone(),
            jobs: store.clone(),
            inventory: store,
            keys: KeyServices {
                dek: Arc::new(KmsKeyService::new(kms.clone(), &self.dek_kms_key_id)),
                data: Arc::new(KmsKeyService::new(kms, &self.data_kms_key_id)),
            },
            limits: self.limits,
        }
    }
}

/// A function's cold start: JSON-or-text tracing as Lambda asks, the configuration from
/// the environment (refusing to start without it), and the ports on AWS.
pub async fn cold_start() -> Result<Deps, ConfigError> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = FunctionConfig::from_env()?;
    Ok(config.deps(&crate::load_sdk_config().await))
}
