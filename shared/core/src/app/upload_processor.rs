//! The processors that stored uploads start, one per key prefix, as S3 notifies them.

use crate::ports::InfraError;

use super::{
    abandon_upload, process_certificate_import, process_keystore_import, Deps, CERTIFICATE_IMPORT_PREFIX,
    KEYSTORE_IMPORT_PREFIX,
};

pub const STORAGE_REFUSED: &str =
    "the job could not be processed: storage refused an operation that retrying will not fix; upload the file again";

/// What one S3 ObjectCreated notification led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessOutcome {
    Completed {
        job_id: String,
        total: u64,
        failed: u64,
    },
    /// The job could not run as a whole; it is recorded FAILED with the reason.
    Failed {
        job_id: String,
        reason: String,
    },
    /// A large upload, planned and queued as `shards` shards; the last one to finish
    /// completes the job.
    Sharded {
        job_id: String,
        shards: u32,
    },
    /// One shard of a sharded job done; others are still to report.
    ShardProcessed {
        job_id: String,
        shard: u32,
    },
    /// A re-delivered event for a job that already ended.
    AlreadyFinished {
        job_id: String,
    },
    /// The key is not one of ours, or names no job: nothing to do.
    Ignored {
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadProcessor {
    CertificateImport,
    KeystoreImport,
}

impl UploadProcessor {
    pub const ALL: [UploadProcessor; 2] = [
        UploadProcessor::CertificateImport,
        UploadProcessor::KeystoreImport,
    ];

    /// The key prefix whose ObjectCreated events go to this processor.
    pub fn prefix(self) -> &'static str {
        match self {
            UploadProcessor::CertificateImport => CERTIFICATE_IMPORT_PREFIX,
            UploadProcessor::KeystoreImport => KEYSTORE_IMPORT_PREFIX,
        }
    }

    /// The processor S3 would notify for an object stored at `key`.
    pub fn for_key(key: &str) -> Option<UploadProcessor> {
        Self::ALL.into_iter().find(|p| key.starts_with(p.prefix()))
    }

    /// Processes the upload at `key` (already URL-decoded). `Err` only for
    /// infrastructure failures worth retrying; permanent ones end the job FAILED.
    pub async fn process(self, deps: &Deps, key: &str) -> Result<ProcessOutcome, InfraError> {
        let result = match self {
            UploadProcessor::CertificateImport => process_certificate_import(deps, key).await,
            UploadProcessor::KeystoreImport => process_keystore_import(deps, key).await,
        };
        match result {
            // Retrying cannot help: end the job now, with a reason the user can act on.
            Err(e) if !e.transient => {
                tracing::error!(key, error = %e, "permanent storage failure; the job ends FAILED");
                abandon_upload(deps, key, STORAGE_REFUSED).await
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processors_are_chosen_by_prefix() {
        assert_eq!(
            UploadProcessor::for_key("certificate-import/t/j/a.zip"),
            Some(UploadProcessor::CertificateImport)
        );
        assert_eq!(
            UploadProcessor::for_key("keystore-import/t/j.json"),
            Some(UploadProcessor::KeystoreImport)
        );
        assert_eq!(UploadProcessor::for_key("private-keys/t/abc.json"), None);
        assert_eq!(UploadProcessor::for_key("certificate-importx"), None);
    }
}
