use async_trait::async_trait;
use bytes::Bytes;

use super::InfraResult;

/// Where uploads are kept (S3 bucket, or a directory).
#[async_trait]
pub trait ObjectStore: Send + Sync {
    async fn put(&self, key: &str, body: Bytes) -> InfraResult<()>;
    /// `None` when no object has that key.
    async fn get(&self, key: &str) -> InfraResult<Option<Bytes>>;
}
