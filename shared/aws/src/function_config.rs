use std::sync::Arc;

use certport_core::app::{Deps, Limits};

use crate::{required_env, s3_client, ConfigError, DynamoRecordStore, S3ObjectStore};

/// What every certport Lambda function reads from its environment at cold start.
#[derive(Debug, Clone)]
pub struct FunctionConfig {
    pub table: String,
    pub bucket: String,
    pub limits: Limits,
}

impl FunctionConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut limits = Limits::default();
        if let Ok(value) = std::env::var("CERTPORT_MAX_BODY_BYTES") {
            limits.max_body_bytes = value
                .parse()
                .map_err(|_| ConfigError("CERTPORT_MAX_BODY_BYTES", "a number of bytes"))?;
        }
        Ok(FunctionConfig {
            table: required_env("CERTPORT_TABLE", "the DynamoDB table name")?,
            bucket: required_env("CERTPORT_BUCKET", "the upload bucket name")?,
            limits,
        })
    }

    /// The ports on AWS: S3 for uploads, DynamoDB for records.
    pub fn deps(&self, sdk: &aws_config::SdkConfig) -> Deps {
        Deps {
            objects: Arc::new(S3ObjectStore::new(s3_client(sdk), &self.bucket)),
            records: Arc::new(DynamoRecordStore::new(
                aws_sdk_dynamodb::Client::new(sdk),
                &self.table,
            )),
            limits: self.limits,
        }
    }
}
