use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tokio::io::AsyncReadExt;
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("no API key for {endpoint}: pass --api-key or set CERTPORT_API_KEY ({why})")]
    NoApiKey { endpoint: String, why: String },
    #[error("{endpoint} is not a usable URL: {reason}")]
    BadEndpoint { endpoint: String, reason: String },
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("{method} {path} answered {status}: {message}")]
    Refused {
        method: &'static str,
        path: String,
        status: u16,
        message: String,
    },
    /// 429: the tenant is at its quota of unfinished work.
    #[error("{method} {path} answered 429: {message}")]
    Busy {
        method: &'static str,
        path: String,
        message: String,
        retry_after: Duration,
    },
    #[error("{path} answered something that is not the expected JSON: {reason}")]
    InvalidResponse { path: String, reason: String },
    #[error("{0}")]
    Input(String),
    #[error("job {id} is still {status} after {waited:?}; read it later with `certport jobs get {id}`")]
    Timeout {
        id: String,
        status: String,
        waited: Duration,
    },
}

/// What an upload sends: bytes in memory, or a file (a zip may be as large as an upload
/// URL accepts, so it is streamed from disk).
pub enum UploadBody {
    Bytes(Vec<u8>),
    File { file: std::fs::File, length: u64 },
}

impl UploadBody {
    pub fn length(&self) -> u64 {
        match self {
            UploadBody::Bytes(bytes) => bytes.len() as u64,
            UploadBody::File { length, .. } => *length,
        }
    }

    /// The whole body in memory: only for bodies small enough for one request.
    pub fn into_bytes(self) -> Result<Vec<u8>, ClientError> {
        match self {
            UploadBody::Bytes(bytes) => Ok(bytes),
            UploadBody::File { mut file, length } => {
                use std::io::Read;
                let mut bytes = Vec::with_capacity(length as usize);
                file.read_to_end(&mut bytes)
                    .map_err(|e| ClientError::Input(format!("cannot read the zip to send: {e}")))?;
                Ok(bytes)
            }
        }
    }

    /// The body as a stream of chunks, adding to `sent` each chunk handed to the
    /// connection (the upload's progress).
    pub fn into_body(self, sent: Arc<AtomicU64>) -> reqwest::Body {
        const CHUNK: usize = 256 * 1024;
        let count = move |chunk: Bytes| {
            sent.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            chunk
        };
        match self {
            UploadBody::Bytes(bytes) => {
                let all = Bytes::from(bytes);
                let chunks: Vec<Bytes> = (0..all.len())
                    .step_by(CHUNK)
                    .map(|at| all.slice(at..(at + CHUNK).min(all.len())))
                    .collect();
                reqwest::Body::wrap_stream(futures_util::stream::iter(
                    chunks.into_iter().map(move |c| Ok::<_, std::io::Error>(count(c))),
                ))
            }
            UploadBody::File { file, .. } => {
                let file = Some(tokio::fs::File::from_std(file));
                reqwest::Body::wrap_stream(futures_util::stream::unfold(file, move |file| {
                    let count = count.clone();
                    async move {
                        let mut file = file?;
                        let mut chunk = vec![0; CHUNK];
                        match file.read(&mut chunk).await {
                            Ok(0) => None,
                            Ok(n) => {
                                chunk.truncate(n);
                                Some((Ok(count(Bytes::from(chunk))), Some(file)))
                            }
                            Err(e) => Some((Err(e), None)),
                        }
                    }
                }))
            }
        }
    }
}

/// A request's time limit, given time to send `length` bytes at 256 KiB/s at least (a
/// 1 GiB upload over a slow line must not fail at the usual two minutes).
fn upload_timeout(length: u64) -> Duration {
    REQUEST_TIMEOUT + Duration::from_secs(length / (256 * 1024))
}

const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// A certport endpoint and the key to call it with; the key never appears in errors.
pub struct ApiClient {
    http: reqwest::Client,
    base: String,
    api_key: Zeroizing<String>,
}

impl ApiClient {
    /// A client for `endpoint`, trusting the CA certificates (PEM files) of `roots` for
    /// HTTPS besides the system's.
    pub fn new(
        endpoint: &str,
        api_key: String,
        roots: &[std::path::PathBuf],
    ) -> Result<ApiClient, ClientError> {
        let bad = |reason: String| ClientError::BadEndpoint {
            endpoint: endpoint.to_string(),
            reason,
        };
        let mut url = reqwest::Url::parse(endpoint).map_err(|e| bad(e.to_string()))?;
        if !url.username().is_empty() || url.password().is_some() {
            // Said without them: they would otherwise end up in this message.
            let _ = (url.set_username(""), url.set_password(None));
            return Err(ClientError::BadEndpoint {
                endpoint: url.to_string(),
                reason: "it holds a user name or password; the API key is the credential".into(),
            });
        }
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("the scheme must be http or https".into()));
        }
        // TLS through the AWS SDK's provider, so no second crypto library is built.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let mut builder = reqwest::Client::builder().timeout(REQUEST_TIMEOUT);
        for root in roots {
            let unreadable = |reason: String| {
                ClientError::Input(format!("cannot use CA certificate {}: {reason}", root.display()))
            };
            let pem = std::fs::read(root).map_err(|e| unreadable(e.to_string()))?;
            for certificate in
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| unreadable(e.to_string()))?
            {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let http = builder.build().map_err(|e| bad(e.to_string()))?;
        Ok(ApiClient {
            http,
            base: endpoint.trim_end_matches('/').to_string(),
            api_key: Zeroizing::new(api_key),
        })
    }

    /// The answer to a GET, as the API's type `T`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.send("GET", path, self.http.get(self.url(path))).await
    }

    pub async fn post_json<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ClientError> {
        self.send("POST", path, self.http.post(self.url(path)).json(body))
            .await
    }

    pub async fn post_form<T: DeserializeOwned>(
        &self,
        path: &str,
        form: reqwest::multipart::Form,
    ) -> Result<T, ClientError> {
        self.send("POST", path, self.http.post(self.url(path)).multipart(form))
            .await
    }

    /// POSTs JSON and answers the raw body (an export, a download).
    pub async fn post_json_for_bytes(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<Vec<u8>, ClientError> {
        self.send_raw("POST", path, self.http.post(self.url(path)).json(body))
            .await
    }

    /// PUTs a body to an upload URL from the service, with exactly the headers it gave
    /// (never the API key: the URL is its own authorization) and the body's length (S3
    /// refuses a PUT without one). A file is streamed from disk, never read whole.
    pub async fn upload_to(
        &self,
        url: &str,
        headers: &BTreeMap<String, String>,
        body: UploadBody,
        sent: Arc<AtomicU64>,
    ) -> Result<(), ClientError> {
        let length = body.length();
        let mut request = self.http.put(url).timeout(upload_timeout(length));
        let mut length_given = false;
        for (name, value) in headers {
            length_given |= name.eq_ignore_ascii_case("content-length");
            request = request.header(name.as_str(), value);
        }
        if !length_given {
            request = request.header(reqwest::header::CONTENT_LENGTH, length);
        }
        let host = reqwest::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        let response =
            request
                .body(body.into_body(sent))
                .send()
                .await
                .map_err(|e| ClientError::Unreachable {
                    url: host.clone(),
                    reason: why_unreachable(&e),
                })?;
        if !response.status().is_success() {
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            return Err(ClientError::Refused {
                method: "PUT",
                path: format!("the upload URL on {host}"),
                status,
                message: text.chars().take(300).collect(),
            });
        }
        Ok(())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: &'static str,
        path: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let body = self.send_raw(method, path, request).await?;
        serde_json::from_slice(&body).map_err(|e| ClientError::InvalidResponse {
            path: path.to_string(),
            reason: e.to_string(),
        })
    }

    /// The body of a 2xx answer; a refusal with the service's message otherwise.
    async fn send_raw(
        &self,
        method: &'static str,
        path: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<Vec<u8>, ClientError> {
        let response = request
            .header("x-api-key", self.api_key.as_str())
            .send()
            .await
            .map_err(|e| ClientError::Unreachable {
                url: self.url(path),
                reason: why_unreachable(&e),
            })?;
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let bytes = response.bytes().await.map_err(|e| ClientError::Unreachable {
            url: self.url(path),
            reason: why_unreachable(&e),
        })?;
        if !(200..300).contains(&status) {
            let body: Option<Value> = serde_json::from_slice(&bytes).ok();
            let message = body
                .as_ref()
                .and_then(|b| b["errors"][0]["message"].as_str())
                .map(str::to_string)
                .unwrap_or_else(|| String::from_utf8_lossy(&bytes).chars().take(200).collect());
            if status == 429 {
                return Err(ClientError::Busy {
                    method,
                    path: path.to_string(),
                    message,
                    retry_after,
                });
            }
            return Err(ClientError::Refused {
                method,
                path: path.to_string(),
                status,
                message,
            });
        }
        Ok(bytes.to_vec())
    }
}

/// How long a 429 asks to wait (whole seconds), within reason.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Duration {
    let seconds = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(10);
    Duration::from_secs(seconds.clamp(1, 300))
}

/// Runs `attempt` again while the service answers that the tenant is at its quota (429),
/// waiting as long as it asks each time, for up to `patience` in all.
pub async fn retry_while_busy<T, Attempt, Fut>(
    patience: Duration,
    mut attempt: Attempt,
) -> Result<T, ClientError>
where
    Attempt: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ClientError>>,
{
    let deadline = Instant::now() + patience;
    loop {
        match attempt().await {
            Err(ClientError::Busy {
                message, retry_after, ..
            }) if Instant::now() + retry_after < deadline => {
                eprintln!("{message}: trying again in {} s", retry_after.as_secs());
                tokio::time::sleep(retry_after).await;
            }
            other => return other,
        }
    }
}

/// What went wrong, from the innermost cause (reqwest's own message is only "error
/// sending request"), with what to try when nothing answered.
fn why_unreachable(error: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    let reason = cause.to_string();
    if error.is_timeout() {
        format!("no answer in time ({reason})")
    } else if error.is_connect() && reason.to_lowercase().contains("refused") {
        format!(
            "{reason}: is the service running there? (`certport serve` in another terminal, or --endpoint)"
        )
    } else {
        reason
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Seek, Write};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// Takes one request and answers 200: its head (lower case) and its body, as received.
    async fn receive_one(listener: TcpListener) -> (String, Vec<u8>) {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut received = Vec::new();
        let body_at = loop {
            let mut chunk = [0u8; 8192];
            let n = socket.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the request ended in its head");
            received.extend_from_slice(&chunk[..n]);
            if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
        };
        let head = String::from_utf8_lossy(&received[..body_at]).to_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .expect("a content-length")
            .trim()
            .parse()
            .unwrap();
        while received.len() < body_at + length {
            let mut chunk = [0u8; 65536];
            let n = socket.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the body ended early");
            received.extend_from_slice(&chunk[..n]);
        }
        socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .await
            .unwrap();
        (head, received.split_off(body_at))
    }

    #[tokio::test]
    async fn a_file_is_put_with_its_length_once_never_chunked_and_without_the_api_key() {
        let contents: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let length = contents.len().to_string();
        // As `serve` gives them (no length), and as S3 does (the length signed).
        let given = [json_headers(&[]), json_headers(&[("Content-Length", &length)])];
        for headers in given {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}/upload?signature=x", listener.local_addr().unwrap());
            let server = tokio::spawn(receive_one(listener));
            let mut file = tempfile::tempfile().unwrap();
            file.write_all(&contents).unwrap();
            file.rewind().unwrap();
            let body = UploadBody::File {
                file,
                length: contents.len() as u64,
            };
            let client = ApiClient::new("http://127.0.0.1:1", "secret-key".into(), &[]).unwrap();
            client
                .upload_to(&url, &headers, body, Default::default())
                .await
                .unwrap();
            let (head, received) = server.await.unwrap();
            assert_eq!(head.matches("content-length: ").count(), 1, "{head}");
            assert!(head.contains(&format!("content-length: {length}\r\n")), "{head}");
            assert!(
                !head.contains("transfer-encoding") && !head.contains("secret-key"),
                "{head}"
            );
            assert!(received == contents, "the body differs from the file");
        }
    }

    fn json_headers(extra: &[(&str, &str)]) -> BTreeMap<String, String> {
        let mut headers = BTreeMap::from([("content-type".to_string(), "application/zip".to_string())]);
        for (name, value) in extra {
            headers.insert(name.to_string(), value.to_string());
        }
        headers
    }
}
