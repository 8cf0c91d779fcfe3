use std::io::{ErrorKind, SeekFrom};
use std::ops::Range;
use std::path::PathBuf;

use async_trait::async_trait;
use bytes::Bytes;
use certport_core::ports::{spool_error, ByteStream, InfraError, InfraResult, ObjectStore};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// Objects as files in one directory. A file is named by the SHA-256 of its key, so
/// no part of a (user-influenced) key ever becomes a path. A put returns once the object
/// and its name are on the disk (fsync of the file, then of the directory).
pub struct FsObjectStore {
    dir: PathBuf,
}

impl FsObjectStore {
    pub fn open(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(FsObjectStore { dir })
    }

    /// Where an object is written before it is renamed into place: a name of its own per
    /// put, so concurrent puts of one key (a redelivered event) never collide.
    fn partial_path(&self, key: &str) -> (PathBuf, PathBuf) {
        let path = self.dir.join(file_name_for(key));
        let tmp = path.with_extension(format!("{:016x}.tmp", rand::random::<u64>()));
        (path, tmp)
    }
}

/// Writes `body` to `tmp` chunk by chunk, and onto the disk.
async fn write_stream(tmp: &std::path::Path, mut body: ByteStream) -> InfraResult<()> {
    let file = tokio::fs::File::create(tmp)
        .await
        .map_err(|e| InfraError::permanent("object put", e))?;
    let mut file = tokio::io::BufWriter::with_capacity(1 << 20, file);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| InfraError::permanent("receive object", e))?;
        file.write_all(&chunk).await.map_err(spool_error)?;
    }
    file.flush().await.map_err(spool_error)?;
    file.get_ref().sync_all().await.map_err(spool_error)
}

impl FsObjectStore {
    /// Renames the written `tmp` into place and makes the rename durable: once this
    /// returns, a power loss leaves the whole object under its name, so a record that
    /// points at it (committed after) never points at nothing.
    async fn publish(&self, tmp: &std::path::Path, path: &std::path::Path) -> InfraResult<()> {
        let failed = |e| InfraError::permanent("object put", e);
        if let Err(e) = tokio::fs::rename(tmp, path).await {
            let _ = tokio::fs::remove_file(tmp).await;
            return Err(failed(e));
        }
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || std::fs::File::open(&dir)?.sync_all())
            .await
            .map_err(|e| InfraError::permanent("object put", e))?
            .map_err(failed)
    }
}

#[async_trait]
impl ObjectStore for FsObjectStore {
    async fn put(&self, key: &str, body: Bytes) -> InfraResult<()> {
        // Write then rename, so a reader never sees half an object.
        let (path, tmp) = self.partial_path(key);
        let written = async {
            let mut file = tokio::fs::File::create(&tmp).await?;
            file.write_all(&body).await?;
            // tokio writes in the background: only flush reports that write's error.
            file.flush().await?;
            file.sync_all().await
        };
        if let Err(e) = written.await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(InfraError::permanent("object put", e));
        }
        self.publish(&tmp, &path).await
    }

    async fn put_stream(&self, key: &str, body: ByteStream) -> InfraResult<()> {
        let (path, tmp) = self.partial_path(key);
        if let Err(e) = write_stream(&tmp, body).await {
            // Best effort: a leftover `.tmp` file is never read.
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
        self.publish(&tmp, &path).await
    }

    async fn get(&self, key: &str) -> InfraResult<Option<Bytes>> {
        match tokio::fs::read(self.dir.join(file_name_for(key))).await {
            Ok(bytes) => Ok(Some(Bytes::from(bytes))),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(InfraError::permanent("object get", e)),
        }
    }

    async fn size(&self, key: &str) -> InfraResult<Option<u64>> {
        match tokio::fs::metadata(self.dir.join(file_name_for(key))).await {
            Ok(metadata) => Ok(Some(metadata.len())),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(InfraError::permanent("object size", e)),
        }
    }

    async fn get_range(&self, key: &str, range: Range<u64>) -> InfraResult<Option<Bytes>> {
        let read_error = |e| InfraError::permanent("object get range", e);
        let mut file = match tokio::fs::File::open(self.dir.join(file_name_for(key))).await {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(read_error(e)),
        };
        file.seek(SeekFrom::Start(range.start))
            .await
            .map_err(read_error)?;
        let mut bytes = Vec::new();
        file.take(range.end.saturating_sub(range.start))
            .read_to_end(&mut bytes)
            .await
            .map_err(read_error)?;
        Ok(Some(bytes.into()))
    }

    async fn download(&self, key: &str, to: &mut tokio::fs::File) -> InfraResult<bool> {
        let mut from = match tokio::fs::File::open(self.dir.join(file_name_for(key))).await {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(InfraError::permanent("object get", e)),
        };
        tokio::io::copy(&mut from, to).await.map_err(spool_error)?;
        Ok(true)
    }
}

/// A stable, path-safe file name for a key.
fn file_name_for(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passes_the_object_store_contract() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsObjectStore::open(dir.path()).unwrap();
        certport_core::testing::contracts::object_store_contract(&store).await;
    }
}
