use serde::{Deserialize, Serialize};

use super::{ShardPlan, UploadFormat};

/// The two kinds of import job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// API A: a zip of certificates for an enrollment profile.
    CertificateImport,
    /// API B: a batch of keystores.
    KeystoreImport,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    Pending,
    Completed,
    /// The job as a whole could not run (unreadable upload, ...); the reason is on the job.
    Failed,
}

impl JobStatus {
    pub fn is_terminal(self) -> bool {
        !matches!(self, JobStatus::Pending)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobResult {
    Success,
    PartialSuccess,
    Failure,
}

impl JobResult {
    pub fn from_counts(total: u64, failed: u64) -> Self {
        if failed == 0 {
            JobResult::Success
        } else if failed >= total {
            JobResult::Failure
        } else {
            JobResult::PartialSuccess
        }
    }
}

/// Why one certificate of an upload was not imported. The codes are part of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FailureReason {
    /// A PEM block whose body is not valid base64.
    MalformedPem,
    /// Bytes that are not a DER X.509 certificate.
    MalformedCertificate,
    /// A certificate larger than the configured limit.
    CertificateTooLarge,
    /// A device identifier, mapped field or serial number longer than a device may keep.
    FieldTooLong,
    /// A source field the mapping needs is absent from the certificate.
    MissingRequiredField,
    /// A device in the inventory already holds the same certificate.
    Duplicate,
    /// The mapped device identifier already holds a different certificate.
    DeviceIdentifierConflict,
    /// The stored upload could not be read as a whole.
    UnreadableUpload,
    /// The job was never processed to the end: its upload never arrived, or processing
    /// failed after every retry.
    NotProcessed,
}

/// How many certificates of a job failed, by reason: kept on the job as its runs count
/// them, so a status answers with them without reading the failures.
pub type FailureCounts = std::collections::BTreeMap<FailureReason, u64>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertFailure {
    /// Position of the certificate in the whole upload; orders failures and keys them in stores.
    pub ordinal: u32,
    pub file_name: Option<String>,
    /// Position of the certificate within its file, from 0.
    pub index: Option<u32>,
    pub reason: FailureReason,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentContext {
    pub ip_address: Option<String>,
    /// Which credential authorised the upload (the API key's id, never the key).
    pub authorization: String,
    pub auth_type: String,
}

/// A certificate import (API A) job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertImportJob {
    pub id: String,
    pub tenant_id: String,
    pub random_id: String,
    pub profile_id: String,
    pub profile_name: String,
    pub original_file_name: String,
    pub format: UploadFormat,
    pub original_size: u64,
    pub object_key: String,
    pub created_at: String,
    pub status: JobStatus,
    pub enrollment_context: EnrollmentContext,
    pub total_certificates: u64,
    pub failed_certificates: u64,
    /// Certificates processed so far while the job runs (not sharded: see `ShardReport`).
    #[serde(default)]
    pub processed_certificates: u64,
    /// The failures by reason, once the job ends (a sharded job's plan: the plan's).
    #[serde(default)]
    pub failure_counts: FailureCounts,
    pub processing_time_ms: u64,
    pub result: Option<JobResult>,
    /// Why the whole job failed, when it did.
    pub failure_message: Option<String>,
    /// The reason code of a failed job; absent on jobs recorded before it was kept.
    #[serde(default)]
    pub failure_reason: Option<FailureReason>,
    /// Set when a large upload was split into shards.
    #[serde(default)]
    pub shard_plan: Option<ShardPlan>,
}

impl CertImportJob {
    pub fn stored_file_name(&self) -> String {
        format!("certificate-import-{}.zip", self.random_id)
    }
}
