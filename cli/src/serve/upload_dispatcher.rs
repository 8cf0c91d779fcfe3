//! Plays S3's part locally: when an upload is stored, the same processing use case
//! the Lambda processor runs is started for its key.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use certport_core::app::{
    abandon_upload, stored_uploads_of_open_jobs, sweep_stale_jobs, Deps, UploadProcessor, RETRIES_EXHAUSTED,
};
use certport_core::ports::{ByteStream, InfraResult, ObjectStore};
use tokio::sync::mpsc;

/// An object store that reports each stored upload, like an S3 ObjectCreated notification.
pub struct NotifyingObjectStore {
    inner: Arc<dyn ObjectStore>,
    created: mpsc::UnboundedSender<String>,
}

impl NotifyingObjectStore {
    pub fn new(inner: Arc<dyn ObjectStore>) -> (Self, mpsc::UnboundedReceiver<String>) {
        let (created, receiver) = mpsc::unbounded_channel();
        (NotifyingObjectStore { inner, created }, receiver)
    }

    /// Where stored uploads are reported: to report again those of jobs left open.
    pub fn notifier(&self) -> mpsc::UnboundedSender<String> {
        self.created.clone()
    }

    fn stored(&self, key: &str) {
        if UploadProcessor::for_key(key).is_some() {
            // The receiver lives as long as the server; a send error means it is shutting down.
            let _ = self.created.send(key.to_string());
        }
    }
}

#[async_trait]
impl ObjectStore for NotifyingObjectStore {
    async fn put(&self, key: &str, body: Bytes) -> InfraResult<()> {
        self.inner.put(key, body).await?;
        self.stored(key);
        Ok(())
    }

    async fn put_stream(&self, key: &str, body: ByteStream) -> InfraResult<()> {
        self.inner.put_stream(key, body).await?;
        self.stored(key);
        Ok(())
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
}

const ATTEMPTS: u32 = 4;

/// Processes stored uploads one after another, retrying transient failures as
/// Lambda's asynchronous invocation would.
pub async fn run(deps: Deps, mut created: mpsc::UnboundedReceiver<String>) {
    while let Some(key) = created.recv().await {
        let Some(processor) = UploadProcessor::for_key(&key) else {
            continue;
        };
        for attempt in 1..=ATTEMPTS {
            match processor.process(&deps, &key).await {
                Ok(outcome) => {
                    tracing::debug!(?outcome, "upload processed");
                    break;
                }
                Err(e) if e.transient && attempt < ATTEMPTS => {
                    tracing::warn!(error = %e.chain(), attempt, "processing failed; retrying");
                    tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(attempt))).await;
                }
                Err(e) => {
                    // As Lambda's on-failure destination does: the job ends FAILED.
                    tracing::error!(error = %e.chain(), "processing failed after every retry");
                    if let Err(e) = abandon_upload(&deps, &key, RETRIES_EXHAUSTED).await {
                        tracing::error!(error = %e.chain(), "the job could not be failed; the sweeper will");
                    }
                    break;
                }
            }
        }
    }
}

/// Hands the processor again the uploads of jobs left open when the server last stopped.
pub async fn resume(deps: &Deps, notifier: mpsc::UnboundedSender<String>) {
    match stored_uploads_of_open_jobs(deps).await {
        Ok(keys) => {
            if !keys.is_empty() {
                tracing::info!(count = keys.len(), "resuming jobs left open");
            }
            for key in keys {
                let _ = notifier.send(key);
            }
        }
        Err(e) => {
            tracing::error!(error = %e.chain(), "open jobs could not be listed; the sweeper will end them")
        }
    }
}

/// Fails jobs unfinished past the deadline, as the scheduled sweeper function does on AWS.
pub async fn sweep(deps: Deps) {
    let every = (deps.limits.job_deadline / 2).clamp(Duration::from_secs(1), Duration::from_secs(60));
    loop {
        tokio::time::sleep(every).await;
        match sweep_stale_jobs(&deps, deps.limits.job_deadline).await {
            Ok(outcomes) if !outcomes.is_empty() => {
                tracing::warn!(count = outcomes.len(), "stale jobs failed")
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e.chain(), "sweeping stale jobs failed; trying again later"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use certport_core::ports::InfraError;
    use futures_util::StreamExt;

    use super::*;
    use crate::serve::local_uploads::LocalUploadUrls;

    /// A store that only streams: whole-object calls fail, so a wrapper that falls back
    /// to them (and to memory) fails the test.
    #[derive(Default)]
    struct StreamsOnly {
        streamed: Mutex<Vec<u8>>,
    }

    #[async_trait]
    impl ObjectStore for StreamsOnly {
        async fn put(&self, _: &str, _: Bytes) -> InfraResult<()> {
            Err(InfraError::permanent("put", "whole-object put"))
        }
        async fn get(&self, _: &str) -> InfraResult<Option<Bytes>> {
            Err(InfraError::permanent("get", "whole-object get"))
        }
        async fn put_stream(&self, _: &str, mut body: ByteStream) -> InfraResult<()> {
            while let Some(chunk) = body.next().await {
                self.streamed.lock().unwrap().extend_from_slice(&chunk.unwrap());
            }
            Ok(())
        }
        async fn download(&self, _: &str, to: &mut tokio::fs::File) -> InfraResult<bool> {
            tokio::io::AsyncWriteExt::write_all(to, b"streamed")
                .await
                .unwrap();
            Ok(true)
        }
        async fn size(&self, _: &str) -> InfraResult<Option<u64>> {
            Ok(Some(8))
        }
        async fn get_range(&self, _: &str, range: std::ops::Range<u64>) -> InfraResult<Option<Bytes>> {
            Ok(Some(
                Bytes::from_static(b"streamed").slice(range.start as usize..range.end as usize),
            ))
        }
    }

    #[tokio::test]
    async fn the_serve_store_stack_streams_and_reads_ranges_from_the_store_beneath() {
        let files = Arc::new(StreamsOnly::default());
        let (notifying, mut created) = NotifyingObjectStore::new(files.clone());
        let stack = LocalUploadUrls::new(Arc::new(notifying), "http://127.0.0.1:1".into());
        let key = "certificate-import/t/j/devices.zip";
        let chunks: Vec<std::io::Result<Bytes>> = vec![Ok(Bytes::from_static(b"a zip"))];
        stack
            .put_stream(key, Box::pin(futures_util::stream::iter(chunks)))
            .await
            .unwrap();
        assert_eq!(files.streamed.lock().unwrap().as_slice(), b"a zip");
        assert_eq!(created.recv().await.as_deref(), Some(key));
        let mut spool = tokio::fs::File::from_std(tempfile::tempfile().unwrap());
        assert!(stack.download(key, &mut spool).await.unwrap());
        assert_eq!(stack.size(key).await.unwrap(), Some(8));
        let part = stack.get_range(key, 2..5).await.unwrap();
        assert_eq!(part.as_deref(), Some(b"rea".as_slice()));
    }
}
