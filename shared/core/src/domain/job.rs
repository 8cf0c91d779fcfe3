use serde::{Deserialize, Serialize};

use super::{EnrollmentMethod, EnrollmentProfile, FieldMapping, ShardPlan, UploadFormat};

/// The two kinds of import job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// API A: a zip of certificates for an enrollment profile.
    CertificateImport,
    /// API B: a batch of keystores.
    KeystoreImport,
}

/// Where a job is in its life. Each API has its own words for these (its views say them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobState {
    /// Created, waiting for its upload or being processed.
    Open,
    Completed,
    /// The job as a whole could not run to the end; `Job::failure` says why.
    Failed,
}

impl JobState {
    pub fn is_open(self) -> bool {
        self == JobState::Open
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

/// An import job of either kind: what every job has, and what its kind adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub tenant_id: String,
    /// Where its upload (a zip, or a keystore batch) is stored.
    pub object_key: String,
    pub created_at: String,
    /// When the job last moved forward: created, its upload arrived, a batch was done.
    /// The sweeper's deadline runs from here.
    pub active_at: String,
    pub state: JobState,
    /// Items the job holds (certificates, or keystore items); 0 until they are counted.
    pub total: u64,
    /// Items processed so far while the job runs (all of them once it has completed).
    pub processed: u64,
    pub failed: u64,
    /// The failures by reason, as runs count them.
    pub failure_counts: FailureCounts,
    pub processing_time_ms: u64,
    /// Why the job as a whole failed, when it did.
    pub failure: Option<JobFailure>,
    /// Keystore items the job holds of its tenant's quota while it is open.
    pub reserved_items: u32,
    pub import: Import,
}

/// Why a job as a whole failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFailure {
    pub reason: FailureReason,
    pub message: String,
}

/// What a job imports: the part of it that depends on its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Import {
    Certificates(CertificateImport),
    Keystores(KeystoreImport),
}

/// A certificate import (API A): a zip for an enrollment profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateImport {
    pub random_id: String,
    pub profile_id: String,
    pub profile_name: String,
    pub original_file_name: String,
    pub format: UploadFormat,
    pub original_size: u64,
    pub enrollment_context: EnrollmentContext,
    /// The profile's mapping when the job was created: every run of the job maps with
    /// it, whatever happens to the profile meanwhile.
    pub mapping: Option<FieldMapping>,
    /// Set when a large upload was split into shards.
    pub shard_plan: Option<ShardPlan>,
}

impl CertificateImport {
    pub fn stored_file_name(&self) -> String {
        format!("certificate-import-{}.zip", self.random_id)
    }

    /// The profile as the job took it.
    pub fn profile(&self, tenant_id: &str) -> EnrollmentProfile {
        EnrollmentProfile {
            id: self.profile_id.clone(),
            tenant_id: tenant_id.to_string(),
            name: self.profile_name.clone(),
            enrollment_method: EnrollmentMethod::CertificateImport,
            format: Some(self.format),
            mapping: self.mapping.clone(),
            created_at: String::new(),
        }
    }
}

/// A keystore import (API B): a batch of items for an edge instance's DEK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeystoreImport {
    pub edge_instance_id: String,
    pub encryption_key_id: String,
}

impl Job {
    /// A new open job: nothing counted yet, no quota reserved beyond the job itself.
    pub fn open(tenant_id: &str, id: String, object_key: String, created_at: String, import: Import) -> Job {
        Job {
            id,
            tenant_id: tenant_id.to_string(),
            object_key,
            active_at: created_at.clone(),
            created_at,
            state: JobState::Open,
            total: 0,
            processed: 0,
            failed: 0,
            failure_counts: FailureCounts::new(),
            processing_time_ms: 0,
            failure: None,
            reserved_items: 0,
            import,
        }
    }

    pub fn kind(&self) -> JobKind {
        match self.import {
            Import::Certificates(_) => JobKind::CertificateImport,
            Import::Keystores(_) => JobKind::KeystoreImport,
        }
    }

    pub fn certificates(&self) -> Option<&CertificateImport> {
        match &self.import {
            Import::Certificates(import) => Some(import),
            Import::Keystores(_) => None,
        }
    }

    pub fn keystores(&self) -> Option<&KeystoreImport> {
        match &self.import {
            Import::Keystores(import) => Some(import),
            Import::Certificates(_) => None,
        }
    }

    pub fn is_open(&self) -> bool {
        self.state.is_open()
    }

    /// Items its runs never reached (all of them, until its progress is recorded).
    pub fn unprocessed(&self) -> u64 {
        self.total.saturating_sub(self.processed)
    }

    /// This job, FAILED for `reason`: what its runs recorded stands, and what they never
    /// reached failed with it.
    pub fn failed_for(mut self, reason: FailureReason, message: &str) -> Job {
        let unprocessed = self.unprocessed();
        self.state = JobState::Failed;
        self.failed += unprocessed;
        // A job that never counted its items still says why it failed.
        let share = if self.total == 0 { 1 } else { unprocessed };
        if share > 0 {
            *self.failure_counts.entry(reason).or_default() += share;
        }
        self.failure = Some(JobFailure {
            reason,
            message: message.to_string(),
        });
        self
    }

    /// How it went, once it has ended.
    pub fn result(&self) -> Option<JobResult> {
        match self.state {
            JobState::Open => None,
            JobState::Completed => Some(JobResult::from_counts(self.total, self.failed)),
            JobState::Failed => Some(JobResult::Failure),
        }
    }
}
