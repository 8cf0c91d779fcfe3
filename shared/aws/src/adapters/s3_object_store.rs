use std::ops::Range;

use async_trait::async_trait;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use certport_core::ports::{
    spool_error, InfraError, InfraResult, ObjectStore, PresignedPut, UploadConstraints,
};
use tokio::io::AsyncWriteExt;

use crate::adapters::errors::infra_error;

/// Uploads in one S3 bucket (encrypted at rest by the bucket's default SSE-KMS).
#[derive(Clone)]
pub struct S3ObjectStore {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3ObjectStore {
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        S3ObjectStore {
            client,
            bucket: bucket.into(),
        }
    }

    /// The object's response (of `range` only, an HTTP `Range` value, when given), body
    /// not yet read; `None` when no object has that key.
    async fn get_object(&self, key: &str, range: Option<String>) -> InfraResult<Option<GetObjectOutput>> {
        let request = self.client.get_object().bucket(&self.bucket).key(key);
        match request.set_range(range).send().await {
            Ok(output) => Ok(Some(output)),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            // A range past the end: nothing of it exists.
            Err(e) if e.as_service_error().and_then(|s| s.code()) == Some("InvalidRange") => {
                Ok(Some(GetObjectOutput::builder().build()))
            }
            Err(e) => Err(infra_error("s3 get object", e)),
        }
    }

    /// The object's body (or `range` of it), read whole.
    async fn read_object(&self, key: &str, range: Option<String>) -> InfraResult<Option<Bytes>> {
        let Some(output) = self.get_object(key, range).await? else {
            return Ok(None);
        };
        let body = output
            .body
            .collect()
            .await
            .map_err(|e| InfraError::transient("s3 read object", e))?;
        Ok(Some(body.into_bytes()))
    }
}

#[async_trait]
impl ObjectStore for S3ObjectStore {
    async fn put(&self, key: &str, body: Bytes) -> InfraResult<()> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| infra_error("s3 put object", e))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> InfraResult<Option<Bytes>> {
        self.read_object(key, None).await
    }

    async fn size(&self, key: &str) -> InfraResult<Option<u64>> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(output) => Ok(Some(output.content_length.unwrap_or(0).max(0) as u64)),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(infra_error("s3 head object", e)),
        }
    }

    /// One ranged GET (S3 cuts the range at the object's end).
    async fn get_range(&self, key: &str, range: Range<u64>) -> InfraResult<Option<Bytes>> {
        if range.is_empty() {
            return Ok(self.size(key).await?.map(|_| Bytes::new()));
        }
        let bytes = format!("bytes={}-{}", range.start, range.end - 1);
        self.read_object(key, Some(bytes)).await
    }

    /// Streams the body to `to` chunk by chunk: memory stays flat whatever the object's size.
    async fn download(&self, key: &str, to: &mut tokio::fs::File) -> InfraResult<bool> {
        let Some(output) = self.get_object(key, None).await? else {
            return Ok(false);
        };
        let mut body = output.body;
        while let Some(chunk) = body
            .try_next()
            .await
            .map_err(|e| InfraError::transient("s3 read object", e))?
        {
            to.write_all(&chunk).await.map_err(spool_error)?;
        }
        Ok(true)
    }

    /// A SigV4 presigned PUT; content type, length and `If-None-Match: *` are signed
    /// headers, so S3 refuses any other body, and a second upload to the same URL (412)
    /// while the first is processed. The object's creation notifies the processor as usual.
    async fn presign_put(&self, key: &str, upload: &UploadConstraints) -> InfraResult<PresignedPut> {
        let config = PresigningConfig::expires_in(upload.expires_in)
            .map_err(|e| InfraError::permanent("s3 presign put", e))?;
        let size = i64::try_from(upload.size).map_err(|e| InfraError::permanent("s3 presign put", e))?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(&upload.content_type)
            .content_length(size)
            .if_none_match("*")
            .presigned(config)
            .await
            .map_err(|e| infra_error("s3 presign put", e))?;
        Ok(PresignedPut {
            url: request.uri().to_string(),
            headers: request
                .headers()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
        })
    }
}
