//! API A's bodies (DigiCert ONE IoT Trust Manager compatible): enrollment profiles,
//! certificate import jobs, devices and their certificates. Field names are the API's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /iot/api/v1/enrollment-profile`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEnrollmentProfile {
    #[schema(min_length = 1, max_length = 255, pattern = r"\S")]
    pub name: String,
    /// `CERTIFICATE_IMPORT` (the others are accepted and kept, and cannot import).
    pub enrollment_method: String,
}

/// The tenant's division.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Division {
    pub id: String,
    pub name: String,
}

/// A reference to a profile, by id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProfileRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EnrollmentProfile {
    #[schema(format = "uuid")]
    pub id: String,
    pub name: String,
    pub enrollment_method: String,
    pub account_id: String,
    pub division: Division,
    /// `PEM` or `XML`, set by the profile's source fields mapping; null until then.
    pub format: Option<String>,
    /// `{target_field: source_field}`; null until set.
    pub source_fields_mapping: Option<BTreeMap<String, String>>,
    pub created_at: String,
}

/// A source field found in the sample, with its values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SourceField {
    pub name: String,
    /// The first value, if any.
    pub value: Option<String>,
    pub values: Vec<String>,
}

/// What a source fields mapping reads from its sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MappingPreview {
    pub enrollment_profile: EnrollmentProfile,
    pub format: Option<String>,
    pub source_fields_mapping: Option<BTreeMap<String, String>>,
    pub source_fields: Vec<SourceField>,
    /// Each target field's value in the sample; `device_identifier` is always there.
    pub mapped_fields: BTreeMap<String, String>,
}

/// `POST .../certificate-import/{enrollment_profile_id}/upload-url`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateUploadUrlRequest {
    /// A `.zip` file name, at most 255 characters.
    #[schema(pattern = r"(?i)\.zip$", max_length = 255)]
    pub file_name: String,
    /// The exact size of the zip, in bytes.
    #[schema(minimum = 1, maximum = 1073741824)]
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EnrollmentContext {
    /// Always `CERTIFICATE_IMPORT`.
    pub enrollment_method: String,
    pub ip_address: Option<String>,
    /// The id of the API key used (never the key).
    pub authorization: String,
    pub auth_type: String,
}

/// A certificate import job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CertificateImportJob {
    #[schema(format = "uuid")]
    pub id: String,
    #[schema(pattern = r"^\d{12}$")]
    pub random_id: String,
    pub enrollment_profile: ProfileRef,
    pub original_file_name: String,
    pub format: String,
    pub original_size: u64,
    #[schema(pattern = r"^certificate-import-\d{12}\.zip$")]
    pub stored_file_name: String,
    pub created_at: String,
    /// `PENDING`, `COMPLETED` or `FAILED`.
    pub status: String,
    pub enrollment_context: EnrollmentContext,
    pub total_certificates: u64,
    pub failed_certificates: u64,
    /// Ours: certificates processed so far while PENDING; the total once the job completes.
    pub processed_certificates: u64,
    /// Milliseconds; 0 until the job ends.
    pub processing_time: u64,
}

/// Where and how to PUT an upload: one upload per URL (a second PUT is 412).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CertificateUpload {
    pub url: String,
    /// Always `PUT`.
    pub method: String,
    /// Exactly these headers, and only these (`content-type`, `if-none-match: *`).
    pub headers: BTreeMap<String, String>,
    pub expires_at: String,
}

/// A job just created for an upload URL, and where to PUT the zip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CertificateUploadUrl {
    #[serde(flatten)]
    pub job: CertificateImportJob,
    pub upload: CertificateUpload,
}

/// A job with its result and first failures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CertificateImportStatus {
    #[serde(flatten)]
    pub job: CertificateImportJob,
    pub account_id: String,
    pub division: Division,
    /// `SUCCESS`, `PARTIAL_SUCCESS` or `FAILURE`; null while PENDING.
    pub result: Option<String>,
    /// A JSON array serialized as a string, one `Failure` per failed certificate; `"[]"`
    /// when clean. At most the first failures (`CERTPORT_STATUS_MAX_FAILURES`, 100);
    /// `more_failures` says when there are more, and the failures route lists them all.
    pub status_message: String,
    /// Ours: the failures by reason code.
    pub failure_counts: BTreeMap<String, u64>,
    /// Ours: whether the job has failures past those `status_message` lists.
    pub more_failures: bool,
}

/// Why a certificate of an upload (or, with no file and index, the whole job) failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Failure {
    pub file_name: Option<String>,
    /// The certificate's position in its file, from 0.
    pub index: Option<u32>,
    pub reason: String,
    pub message: String,
}

/// A failure with its position in the whole upload (ordinal 0: the job's own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FailureRecord {
    #[serde(flatten)]
    pub failure: Failure,
    pub ordinal: u32,
}

/// A page of a job's failures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FailurePage {
    pub limit: u64,
    pub total: u64,
    pub records: Vec<FailureRecord>,
    /// The `after` of the next page; null on the last.
    pub next: Option<u32>,
}

/// A mapped field of a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeviceField {
    pub name: String,
    pub value: String,
}

/// The certificate a device holds, in brief.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeviceCertificateBrief {
    pub id: String,
    pub serial_number: String,
    pub thumbprint_sha256: String,
    pub common_name: Option<String>,
    pub valid_from: String,
    pub valid_to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Device {
    pub id: String,
    pub account_id: String,
    pub division: Division,
    pub device_identifier: String,
    pub enrollment_profile: ProfileRef,
    /// Always `ACTIVE`.
    pub status: String,
    pub created: String,
    pub updated: String,
    pub fields: Vec<DeviceField>,
    pub certificate: Option<DeviceCertificateBrief>,
}

/// A chain certificate, as PEM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChainCertificate {
    pub blob: String,
}

/// A certificate a device holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeviceCertificate {
    pub id: String,
    pub common_name: Option<String>,
    pub serial_number: Option<String>,
    /// `ISSUED`, `EXPIRED`, ...
    pub status: Option<String>,
    /// The certificate, as PEM.
    pub body: String,
    pub chain: Vec<ChainCertificate>,
    pub device_id: String,
    pub enrollment_profile: ProfileRef,
    pub enrollment_method: String,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub thumbprint_sha256: String,
}

/// A page of a list, DigiCert's way (`limit`, `offset`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub limit: u64,
    pub offset: u64,
    pub total: u64,
    pub records: Vec<T>,
}
