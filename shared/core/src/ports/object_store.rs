use std::ops::Range;
use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;

use super::{InfraError, InfraResult};

/// Local disk refusing a spooled upload (full, or read-only): retrying will not help.
pub fn spool_error(e: std::io::Error) -> InfraError {
    let message = e.to_string();
    InfraError::caused_by("spool upload to local disk", false, message, e)
}

/// A body arriving in chunks (an upload being received); an error ends it unstored.
pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// Where uploads are kept (S3 bucket, or a directory).
#[async_trait]
pub trait ObjectStore: Send + Sync {
    async fn put(&self, key: &str, body: Bytes) -> InfraResult<()>;
    /// Stores a body as it arrives; nothing is stored if the body ends in an error.
    /// Stores override this so an upload never has to fit in memory; wrappers forward it.
    async fn put_stream(&self, key: &str, mut body: ByteStream) -> InfraResult<()> {
        let mut whole = BytesMut::new();
        while let Some(chunk) = body.next().await {
            whole.extend_from_slice(&chunk.map_err(|e| InfraError::permanent("receive object", e))?);
        }
        self.put(key, whole.freeze()).await
    }

    /// `None` when no object has that key.
    async fn get(&self, key: &str) -> InfraResult<Option<Bytes>>;

    /// Writes the object to `to`, for uploads too large to hold in memory; the caller
    /// flushes `to`. `false` when no object has that key. Stores override this to stream;
    /// wrappers forward it (else this default would read the whole object into memory).
    async fn download(&self, key: &str, to: &mut tokio::fs::File) -> InfraResult<bool> {
        let Some(body) = self.get(key).await? else {
            return Ok(false);
        };
        to.write_all(&body).await.map_err(spool_error)?;
        Ok(true)
    }

    /// The object's size in bytes; `None` when no object has that key.
    async fn size(&self, key: &str) -> InfraResult<Option<u64>> {
        Ok(self.get(key).await?.map(|body| body.len() as u64))
    }

    /// Bytes `range` of the object, cut at its end (a shard reads its part of an upload);
    /// `None` when no object has that key. Stores override this to read only those bytes.
    async fn get_range(&self, key: &str, range: Range<u64>) -> InfraResult<Option<Bytes>> {
        Ok(self.get(key).await?.map(|body| {
            let end = range.end.min(body.len() as u64);
            body.slice(range.start.min(end) as usize..end as usize)
        }))
    }

    /// A URL a client can PUT exactly `size` bytes of `content_type` to, once stored
    /// under `key` (and announced like any stored upload), until it expires.
    async fn presign_put(&self, key: &str, upload: &UploadConstraints) -> InfraResult<PresignedPut> {
        let _ = (key, upload);
        Err(InfraError::permanent(
            "presign put",
            "this object store cannot issue upload URLs",
        ))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadConstraints {
    pub content_type: String,
    pub size: u64,
    pub expires_in: Duration,
}

/// How to upload: PUT to `url` with exactly these headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedPut {
    pub url: String,
    pub headers: Vec<(String, String)>,
}
