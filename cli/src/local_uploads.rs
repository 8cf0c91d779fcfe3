//! Upload URLs on the local server, standing in for S3 presigned PUTs: an HMAC over
//! key, content type, size and expiry, checked when the body arrives at
//! `PUT /local-upload/<key>`. The key is per server start, so URLs end with the process.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use certport_core::ports::{InfraError, InfraResult, ObjectStore, PresignedPut, UploadConstraints};
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::Sha256;
use zeroize::Zeroizing;

pub const PATH_PREFIX: &str = "/local-upload/";

/// Everything but unreserved characters and `/` is encoded in a key's URL path.
const KEY_PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

pub struct LocalUploadUrls {
    inner: Arc<dyn ObjectStore>,
    base: String,
    secret: Zeroizing<[u8; 64]>,
}

/// Why an upload to a local upload URL is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum UploadRefused {
    #[error("this upload URL is malformed or was not issued by this server")]
    BadSignature,
    #[error("this upload URL has expired; ask for a new one")]
    Expired,
    #[error("the body must be exactly {0} bytes, as declared when the URL was issued")]
    WrongSize(u64),
    #[error("the content type must be {0}, as declared when the URL was issued")]
    WrongContentType(String),
}

/// The query of an upload URL, and what the request carried.
pub struct UploadAttempt<'a> {
    pub path: &'a str,
    pub query: &'a str,
    pub content_type: &'a str,
    pub body_len: u64,
    pub now_unix: i64,
}

impl LocalUploadUrls {
    pub fn new(inner: Arc<dyn ObjectStore>, base: String) -> Self {
        // A whole SHA-256 block: HMAC takes it as it is.
        let mut secret = Zeroizing::new([0u8; 64]);
        rand::fill(&mut secret[..]);
        LocalUploadUrls { inner, base, secret }
    }

    fn signature(&self, key: &str, content_type: &str, size: u64, expires: i64) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&(*self.secret).into());
        mac.update(format!("PUT\n{key}\n{content_type}\n{size}\n{expires}").as_bytes());
        mac
    }

    /// The object key an upload may be stored under, if the URL is ours, current, and
    /// the request matches what it was issued for.
    pub fn check(&self, attempt: &UploadAttempt<'_>) -> Result<String, UploadRefused> {
        let encoded = attempt
            .path
            .strip_prefix(PATH_PREFIX)
            .ok_or(UploadRefused::BadSignature)?;
        let key = percent_decode_str(encoded)
            .decode_utf8()
            .map_err(|_| UploadRefused::BadSignature)?
            .into_owned();
        let param = |name: &str| {
            attempt
                .query
                .split('&')
                .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
        };
        let size: u64 = param("size")
            .and_then(|v| v.parse().ok())
            .ok_or(UploadRefused::BadSignature)?;
        let expires: i64 = param("expires")
            .and_then(|v| v.parse().ok())
            .ok_or(UploadRefused::BadSignature)?;
        let content_type = param("content-type")
            .and_then(|v| percent_decode_str(v).decode_utf8().ok())
            .ok_or(UploadRefused::BadSignature)?
            .into_owned();
        let signature = param("signature")
            .and_then(|v| hex::decode(v).ok())
            .ok_or(UploadRefused::BadSignature)?;
        self.signature(&key, &content_type, size, expires)
            .verify_slice(&signature)
            .map_err(|_| UploadRefused::BadSignature)?;
        if attempt.now_unix > expires {
            return Err(UploadRefused::Expired);
        }
        if attempt.body_len != size {
            return Err(UploadRefused::WrongSize(size));
        }
        if attempt.content_type != content_type {
            return Err(UploadRefused::WrongContentType(content_type));
        }
        Ok(key)
    }
}

#[async_trait]
impl ObjectStore for LocalUploadUrls {
    async fn put(&self, key: &str, body: Bytes) -> InfraResult<()> {
        self.inner.put(key, body).await
    }

    async fn get(&self, key: &str) -> InfraResult<Option<Bytes>> {
        self.inner.get(key).await
    }

    async fn presign_put(&self, key: &str, upload: &UploadConstraints) -> InfraResult<PresignedPut> {
        let ttl = i64::try_from(upload.expires_in.as_secs())
            .map_err(|e| InfraError::permanent("presign put", e))?;
        let expires = chrono::Utc::now().timestamp() + ttl;
        let signature = hex::encode(
            self.signature(key, &upload.content_type, upload.size, expires)
                .finalize()
                .into_bytes(),
        );
        let content_type = utf8_percent_encode(&upload.content_type, NON_ALPHANUMERIC);
        Ok(PresignedPut {
            url: format!(
                "{}{PATH_PREFIX}{}?size={}&expires={expires}&content-type={content_type}&signature={signature}",
                self.base,
                utf8_percent_encode(key, KEY_PATH),
                upload.size
            ),
            headers: vec![("content-type".into(), upload.content_type.clone())],
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    struct NoStore;

    #[async_trait]
    impl ObjectStore for NoStore {
        async fn put(&self, _: &str, _: Bytes) -> InfraResult<()> {
            Ok(())
        }
        async fn get(&self, _: &str) -> InfraResult<Option<Bytes>> {
            Ok(None)
        }
    }

    #[tokio::test]
    async fn urls_hold_only_for_their_key_size_type_and_time() {
        let urls = LocalUploadUrls::new(Arc::new(NoStore), "http://127.0.0.1:1".into());
        let key = "certificate-import/t/j/my devices+1.zip";
        let constraints = UploadConstraints {
            content_type: "application/zip".into(),
            size: 10,
            expires_in: Duration::from_secs(60),
        };
        let issued = urls.presign_put(key, &constraints).await.unwrap();
        let url = issued.url.strip_prefix("http://127.0.0.1:1").unwrap();
        let (path, query) = url.split_once('?').unwrap();
        let now = chrono::Utc::now().timestamp();
        let check = |path: &str, query: &str, content_type: &str, body_len, now_unix| {
            urls.check(&UploadAttempt {
                path,
                query,
                content_type,
                body_len,
                now_unix,
            })
        };
        assert_eq!(
            check(path, query, "application/zip", 10, now),
            Ok(key.to_string())
        );
        assert_eq!(
            check(path, query, "application/zip", 11, now),
            Err(UploadRefused::WrongSize(10))
        );
        assert_eq!(
            check(path, query, "text/plain", 10, now),
            Err(UploadRefused::WrongContentType("application/zip".into()))
        );
        assert_eq!(
            check(path, query, "application/zip", 10, now + 61),
            Err(UploadRefused::Expired)
        );
        let other_key = path.replace("/j/", "/k/");
        assert_eq!(
            check(&other_key, query, "application/zip", 10, now),
            Err(UploadRefused::BadSignature)
        );
        let bigger = query.replace("size=10", "size=11");
        assert_eq!(
            check(path, &bigger, "application/zip", 11, now),
            Err(UploadRefused::BadSignature)
        );
    }
}
