//! The processors that stored uploads start, one per key prefix, as S3 notifies them;
//! and the end of a job whose processing cannot succeed (by its upload's key).

use crate::ports::InfraError;

use crate::app::{
    fail_job, parse_certificate_import_key, parse_keystore_import_key, process_certificate_import,
    process_keystore_import, Deps, ProcessOutcome, CERTIFICATE_IMPORT_PREFIX, KEYSTORE_IMPORT_PREFIX,
    STORAGE_REFUSED,
};
use crate::domain::FailureReason;

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
                tracing::error!(key, error = %e.chain(), "permanent storage failure; the job ends FAILED");
                abandon_upload(deps, key, STORAGE_REFUSED).await
            }
            other => other,
        }
    }
}

/// Why a job ends when Lambda gave up on its processor invocation.
pub const RETRIES_EXHAUSTED: &str = "processing failed after every retry; upload the file again";

/// Fails the job of an upload whose processing cannot succeed, with `message`.
pub async fn abandon_upload(deps: &Deps, key: &str, message: &str) -> Result<ProcessOutcome, InfraError> {
    let job = match UploadProcessor::for_key(key) {
        Some(UploadProcessor::CertificateImport) => parse_certificate_import_key(key),
        Some(UploadProcessor::KeystoreImport) => parse_keystore_import_key(key),
        None => None,
    };
    match job {
        Some((tenant_id, job_id)) => {
            fail_job(deps, tenant_id, job_id, FailureReason::NotProcessed, message).await
        }
        None => Ok(ProcessOutcome::Ignored {
            reason: "not an upload key".into(),
        }),
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
