//! Upload URLs on the local server, standing in for S3 presigned PUTs: an HMAC over
//! key, content type, size and expiry, checked when the body arrives at
//! `PUT /local-upload/<key>`. The key is per server start, so URLs end with the process.
//! A URL takes one upload, as an S3 URL signed with `If-None-Match: *` does.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use certport_core::ports::{
    ByteStream, InfraError, InfraResult, ObjectStore, PresignedPut, UploadConstraints,
};
use futures_util::{Stream, StreamExt};
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
    /// Keys an upload is being stored under right now.
    arriving: Mutex<HashSet<String>>,
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
    /// As S3 refuses a PUT without a header signed into its URL.
    #[error("send every header the upload URL came with: if-none-match: * is missing")]
    MissingIfNoneMatch,
    /// As S3 answers a PUT with `If-None-Match: *` to a key that exists.
    #[error("this upload URL was used already (an upload URL takes one upload); ask for a new one")]
    AlreadyUsed,
}

/// An upload URL's key held for the one upload arriving under it; let go when dropped,
/// so an upload that failed half-way can be sent again.
pub struct ArrivingUpload<'a> {
    urls: &'a LocalUploadUrls,
    key: String,
}

impl Drop for ArrivingUpload<'_> {
    fn drop(&mut self) {
        if let Ok(mut arriving) = self.urls.arriving.lock() {
            arriving.remove(&self.key);
        }
    }
}

/// The query of an upload URL, and what the request's headers declare.
pub struct UploadAttempt<'a> {
    pub path: &'a str,
    pub query: &'a str,
    pub content_type: &'a str,
    /// `Content-Length`, when the request has one (not when chunked).
    pub declared_len: Option<u64>,
    pub if_none_match: Option<&'a str>,
    pub now_unix: i64,
}

/// An upload the URL holds for: where to store it and exactly how long it must be.
#[derive(Debug, PartialEq, Eq)]
pub struct AcceptedUpload {
    pub key: String,
    pub size: u64,
}

impl LocalUploadUrls {
    pub fn new(inner: Arc<dyn ObjectStore>, base: String) -> Self {
        // A whole SHA-256 block: HMAC takes it as it is.
        let mut secret = Zeroizing::new([0u8; 64]);
        rand::fill(&mut secret[..]);
        LocalUploadUrls {
            inner,
            base,
            secret,
            arriving: Mutex::new(HashSet::new()),
        }
    }

    /// Holds `key` for one upload, as S3 holds a URL signed with `If-None-Match: *`:
    /// refused while another upload arrives under it or once one was stored.
    pub async fn claim(&self, key: &str) -> Result<ArrivingUpload<'_>, UploadRefused> {
        let newly = self
            .arriving
            .lock()
            .map(|mut arriving| arriving.insert(key.to_string()))
            .unwrap_or(false);
        if !newly {
            return Err(UploadRefused::AlreadyUsed);
        }
        let claim = ArrivingUpload {
            urls: self,
            key: key.to_string(),
        };
        match self.inner.size(key).await {
            Ok(None) => Ok(claim),
            // Stored already; or unknown, and then not stored over.
            Ok(Some(_)) | Err(_) => Err(UploadRefused::AlreadyUsed),
        }
    }

    fn signature(&self, key: &str, content_type: &str, size: u64, expires: i64) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&(*self.secret).into());
        mac.update(format!("PUT\n{key}\n{content_type}\n{size}\n{expires}").as_bytes());
        mac
    }

    /// Where an upload may be stored, if the URL is ours, current, and the request's
    /// headers match what it was issued for. Checked before the body is read; the body's
    /// length is held to `size` as it arrives ([`exact_length`]).
    pub fn check(&self, attempt: &UploadAttempt<'_>) -> Result<AcceptedUpload, UploadRefused> {
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
        if attempt.declared_len.is_some_and(|len| len != size) {
            return Err(UploadRefused::WrongSize(size));
        }
        if attempt.content_type != content_type {
            return Err(UploadRefused::WrongContentType(content_type));
        }
        if attempt.if_none_match.map(str::trim) != Some("*") {
            return Err(UploadRefused::MissingIfNoneMatch);
        }
        Ok(AcceptedUpload { key, size })
    }
}

/// `body`, ended with an error once it runs past `size` bytes or stops short of them (and
/// `wrong_size` set), so no store keeps a body other than the one the URL was issued for.
pub fn exact_length<S>(body: S, size: u64, wrong_size: Arc<AtomicBool>) -> ByteStream
where
    S: Stream<Item = std::io::Result<Bytes>> + Send + 'static,
{
    let wrong = move |message: &str| {
        wrong_size.store(true, Ordering::Relaxed);
        std::io::Error::new(std::io::ErrorKind::InvalidData, message.to_string())
    };
    let state = (Box::pin(body), 0u64, false);
    Box::pin(futures_util::stream::unfold(
        state,
        move |(mut body, seen, ended)| {
            let wrong = wrong.clone();
            async move {
                if ended {
                    return None;
                }
                match body.next().await {
                    Some(Ok(chunk)) => {
                        let seen = seen + chunk.len() as u64;
                        if seen > size {
                            return Some((
                                Err(wrong("the body is longer than declared")),
                                (body, seen, true),
                            ));
                        }
                        Some((Ok(chunk), (body, seen, false)))
                    }
                    Some(Err(e)) => Some((Err(e), (body, seen, true))),
                    None if seen < size => Some((
                        Err(wrong("the body is shorter than declared")),
                        (body, seen, true),
                    )),
                    None => None,
                }
            }
        },
    ))
}

#[async_trait]
impl ObjectStore for LocalUploadUrls {
    async fn put(&self, key: &str, body: Bytes) -> InfraResult<()> {
        self.inner.put(key, body).await
    }

    async fn put_stream(&self, key: &str, body: ByteStream) -> InfraResult<()> {
        self.inner.put_stream(key, body).await
    }

    async fn get(&self, key: &str) -> InfraResult<Option<Bytes>> {
        self.inner.get(key).await
    }

    async fn download(&self, key: &str, to: &mut tokio::fs::File) -> InfraResult<bool> {
        self.inner.download(key, to).await
    }

    async fn size(&self, key: &str) -> InfraResult<Option<u64>> {
        self.inner.size(key).await
    }

    async fn get_range(&self, key: &str, range: std::ops::Range<u64>) -> InfraResult<Option<Bytes>> {
        self.inner.get_range(key, range).await
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
            // As S3's: the URL takes one upload, and these headers are required.
            headers: vec![
                ("content-type".into(), upload.content_type.clone()),
                ("if-none-match".into(), "*".into()),
            ],
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
        let check = |path: &str, query: &str, content_type: &str, len: u64, now_unix| {
            urls.check(&UploadAttempt {
                path,
                query,
                content_type,
                declared_len: Some(len),
                if_none_match: Some("*"),
                now_unix,
            })
        };
        let accepted = AcceptedUpload {
            key: key.to_string(),
            size: 10,
        };
        assert_eq!(check(path, query, "application/zip", 10, now), Ok(accepted));
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

    async fn collect(chunks: &[&'static [u8]], size: u64) -> (Result<Vec<u8>, std::io::Error>, bool) {
        let wrong = Arc::new(AtomicBool::new(false));
        let chunks: Vec<std::io::Result<Bytes>> = chunks.iter().map(|c| Ok(Bytes::from_static(c))).collect();
        let body = futures_util::stream::iter(chunks);
        let mut stream = exact_length(body, size, wrong.clone());
        let mut all = Vec::new();
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(chunk) => all.extend_from_slice(&chunk),
                Err(e) => return (Err(e), wrong.load(Ordering::Relaxed)),
            }
        }
        (Ok(all), wrong.load(Ordering::Relaxed))
    }

    #[tokio::test]
    async fn a_streamed_body_must_be_exactly_the_declared_size() {
        let (exact, wrong) = collect(&[b"12345", b"67890"], 10).await;
        assert_eq!((exact.unwrap(), wrong), (b"1234567890".to_vec(), false));
        let (longer, wrong) = collect(&[b"12345", b"678901"], 10).await;
        assert!(longer.is_err() && wrong);
        let (shorter, wrong) = collect(&[b"12345"], 10).await;
        assert!(shorter.is_err() && wrong);
    }
}
