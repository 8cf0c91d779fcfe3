//! A stored upload read a part at a time with ranged reads, as the blocking `Read + Seek`
//! the zip reader takes: a shard reads the zip's central directory and its own entries,
//! not the whole upload.

use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::runtime::Handle;

use crate::ports::{InfraError, InfraResult, ObjectStore};

/// Bytes one ranged read fetches: few requests for a shard's entries, little memory.
const PART: u64 = 8 * 1024 * 1024;

/// The storage error that stopped a reader, kept so the caller can tell it from a bad
/// upload (the zip reader sees only an I/O error).
#[derive(Clone, Default)]
pub(crate) struct StorageFailure(Arc<Mutex<Option<InfraError>>>);

impl StorageFailure {
    fn set(&self, error: InfraError) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(error);
        }
    }

    pub fn is_set(&self) -> bool {
        self.0.lock().is_ok_and(|slot| slot.is_some())
    }

    pub fn take(&self) -> InfraError {
        let taken = self.0.lock().ok().and_then(|mut slot| slot.take());
        taken.unwrap_or_else(|| InfraError::transient("read upload", "storage failed"))
    }
}

/// Reads block on `runtime`: use it from the blocking pool, never from async code.
pub(crate) struct RangedUpload {
    objects: Arc<dyn ObjectStore>,
    key: String,
    size: u64,
    position: u64,
    /// The part last read, and where it starts.
    part: Bytes,
    part_start: u64,
    runtime: Handle,
    failure: StorageFailure,
}

impl RangedUpload {
    /// `None` when no object has that key.
    pub async fn open(
        objects: Arc<dyn ObjectStore>,
        key: &str,
        failure: StorageFailure,
    ) -> InfraResult<Option<Self>> {
        let Some(size) = objects.size(key).await? else {
            return Ok(None);
        };
        Ok(Some(RangedUpload {
            objects,
            key: key.to_string(),
            size,
            position: 0,
            part: Bytes::new(),
            part_start: 0,
            runtime: Handle::current(),
            failure,
        }))
    }

    fn fetch(&mut self, range: Range<u64>) -> io::Result<Bytes> {
        let read = self.runtime.block_on(self.objects.get_range(&self.key, range));
        let missing = || InfraError::permanent("read upload", "the upload is no longer in storage");
        match read.and_then(|part| part.ok_or_else(missing)) {
            Ok(part) => Ok(part),
            Err(e) => {
                let message = e.to_string();
                self.failure.set(e);
                Err(io::Error::other(message))
            }
        }
    }
}

impl Read for RangedUpload {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.position >= self.size || out.is_empty() {
            return Ok(0);
        }
        let part_end = self.part_start + self.part.len() as u64;
        if !(self.part_start..part_end).contains(&self.position) {
            let range = self.position..(self.position + PART).min(self.size);
            self.part = self.fetch(range)?;
            self.part_start = self.position;
            if self.part.is_empty() {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        let offset = (self.position - self.part_start) as usize;
        let n = out.len().min(self.part.len() - offset);
        out[..n].copy_from_slice(&self.part[offset..offset + n]);
        self.position += n as u64;
        Ok(n)
    }
}

impl Seek for RangedUpload {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(at) => Some(at),
            SeekFrom::End(delta) => self.size.checked_add_signed(delta),
            SeekFrom::Current(delta) => self.position.checked_add_signed(delta),
        };
        let target =
            target.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        self.position = target;
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parsing::{UploadArchive, ZipLimits};
    use crate::testing::faults::ReadsRefused;
    use crate::testing::memory::MemoryObjects;
    use crate::testing::zip_of;

    async fn stored(objects: &Arc<dyn ObjectStore>, body: Vec<u8>) -> RangedUpload {
        objects.put("k", body.into()).await.unwrap();
        let upload = RangedUpload::open(objects.clone(), "k", StorageFailure::default());
        upload.await.unwrap().unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_and_seeks_like_the_object_itself() {
        let objects: Arc<dyn ObjectStore> = Arc::new(MemoryObjects::default());
        let body: Vec<u8> = (0..(PART as u32 * 2 + 100)).map(|i| (i % 253) as u8).collect();
        let mut upload = stored(&objects, body.clone()).await;
        let read = tokio::task::spawn_blocking(move || {
            let mut tail = Vec::new();
            upload.seek(SeekFrom::End(-150)).unwrap();
            upload.read_to_end(&mut tail).unwrap();
            upload.seek(SeekFrom::Start(PART - 10)).unwrap();
            let mut across = [0; 20];
            upload.read_exact(&mut across).unwrap();
            let mut all = Vec::new();
            upload.rewind().unwrap();
            upload.read_to_end(&mut all).unwrap();
            (tail, across, all)
        });
        let (tail, across, all) = read.await.unwrap();
        assert_eq!(tail, body[body.len() - 150..]);
        assert_eq!(across[..], body[PART as usize - 10..PART as usize + 10]);
        assert!(all == body);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_zip_opens_through_ranged_reads() {
        let objects: Arc<dyn ObjectStore> = Arc::new(MemoryObjects::default());
        let upload = stored(&objects, zip_of(&[("a.pem", b"x"), ("b.pem", b"yz")])).await;
        let read = tokio::task::spawn_blocking(move || {
            let mut archive = UploadArchive::from_reader(upload, ZipLimits::default()).unwrap();
            archive.read_file(1).unwrap()
        });
        assert_eq!(read.await.unwrap().contents, b"yz");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_storage_error_is_kept_for_the_caller() {
        let inner: Arc<dyn ObjectStore> = Arc::new(MemoryObjects::default());
        inner.put("k", vec![1; 100].into()).await.unwrap();
        let refusing: Arc<dyn ObjectStore> = Arc::new(ReadsRefused { inner });
        let failure = StorageFailure::default();
        // `size` reads through `get` by default, which refuses too: open on the inner size.
        let mut upload = RangedUpload {
            objects: refusing,
            key: "k".into(),
            size: 100,
            position: 0,
            part: Bytes::new(),
            part_start: 0,
            runtime: Handle::current(),
            failure: failure.clone(),
        };
        let read = tokio::task::spawn_blocking(move || upload.read(&mut [0; 10]).is_err());
        assert!(read.await.unwrap());
        assert!(failure.is_set());
        assert!(!failure.take().transient, "access denied stays permanent");
    }
}
