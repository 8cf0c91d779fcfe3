//! The stored form of every record: what each store adapter writes as a record's
//! document and reads back. These are types of their own, named field by field, so
//! renaming a domain field is a compile error here rather than a silent change of what
//! is stored (old documents would then no longer read back). Queries never look inside
//! a document: adapters keep what they select or order by in columns or attributes.
//! Nested value types and enums are stored in their serde form, which the APIs fix.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::domain::{
    ApiKeyHash, ApiKeyRecord, AuditEvent, CertFailure, CertImportJob, CertificateRecord, DeviceRecord,
    Division, EdgeInstance, EncryptionKey, EnrollmentContext, EnrollmentMethod, EnrollmentProfile,
    FailureCounts, FailureReason, FieldMapping, ItemFailureReason, ItemResult, ItemStatus, JobResult,
    JobStatus, KeystoreImportJob, KeystoreJobStatus, ShardPlan, ShardReport, StoredKeyRecord, Tenant,
    TrustedCa, UploadFormat,
};

/// A domain type that stores can keep, and the form they keep it in.
pub trait Record: Sized {
    type Stored: Serialize + DeserializeOwned + for<'a> From<&'a Self> + Into<Self>;
}

/// `stored_field = domain_field: Type` for every field: the stored name on the left stays
/// when the domain's changes.
macro_rules! stored {
    ($(#[$meta:meta])* $stored:ident for $domain:ident { $($(#[$fmeta:meta])* $name:ident = $field:ident: $ty:ty),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Serialize, Deserialize)]
        pub struct $stored {
            $($(#[$fmeta])* $name: $ty),+
        }

        impl From<&$domain> for $stored {
            fn from(value: &$domain) -> Self {
                $stored { $($name: value.$field.clone()),+ }
            }
        }

        impl From<$stored> for $domain {
            fn from(stored: $stored) -> Self {
                $domain { $($field: stored.$name),+ }
            }
        }

        impl Record for $domain {
            type Stored = $stored;
        }
    };
}

stored!(StoredTenant for Tenant {
    id = id: String,
    name = name: String,
    division = division: Division,
});

stored!(StoredApiKey for ApiKeyRecord {
    id = id: String,
    hash = hash: ApiKeyHash,
    tenant_id = tenant_id: String,
    name = name: String,
});

stored!(StoredProfile for EnrollmentProfile {
    id = id: String,
    tenant_id = tenant_id: String,
    name = name: String,
    enrollment_method = enrollment_method: EnrollmentMethod,
    format = format: Option<UploadFormat>,
    mapping = mapping: Option<FieldMapping>,
    created_at = created_at: String,
});

stored!(StoredEdgeInstance for EdgeInstance {
    id = id: String,
    tenant_id = tenant_id: String,
    name = name: String,
    encryption_key_id = encryption_key_id: String,
    edge_status = edge_status: String,
    created_at = created_at: String,
});

stored!(StoredEncryptionKey for EncryptionKey {
    id = id: String,
    tenant_id = tenant_id: String,
    edge_instance_id = edge_instance_id: String,
    public_key = public_key: String,
    wrapped_private_key = wrapped_private_key: String,
    created_at = created_at: String,
});

stored!(StoredTrustedCa for TrustedCa {
    id = id: String,
    tenant_id = tenant_id: String,
    fingerprint = fingerprint: String,
    subject = subject: String,
    certificate = certificate: String,
    created_at = created_at: String,
});

stored!(StoredCertificateJob for CertImportJob {
    id = id: String,
    tenant_id = tenant_id: String,
    random_id = random_id: String,
    profile_id = profile_id: String,
    profile_name = profile_name: String,
    original_file_name = original_file_name: String,
    format = format: UploadFormat,
    original_size = original_size: u64,
    object_key = object_key: String,
    created_at = created_at: String,
    status = status: JobStatus,
    enrollment_context = enrollment_context: EnrollmentContext,
    total_certificates = total_certificates: u64,
    failed_certificates = failed_certificates: u64,
    /// Absent on jobs stored before progress was kept.
    #[serde(default)]
    processed_certificates = processed_certificates: u64,
    #[serde(default, skip_serializing_if = "FailureCounts::is_empty")]
    failure_counts = failure_counts: FailureCounts,
    processing_time_ms = processing_time_ms: u64,
    result = result: Option<JobResult>,
    failure_message = failure_message: Option<String>,
    /// Absent on jobs stored before it was kept.
    #[serde(default)]
    failure_reason = failure_reason: Option<FailureReason>,
    /// Only on sharded jobs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    shard_plan = shard_plan: Option<ShardPlan>,
});

stored!(StoredShardReport for ShardReport {
    shard = shard: u32,
    failed = failed: u64,
    /// Absent on reports stored before progress was kept.
    #[serde(default)]
    certificates = certificates: u64,
    #[serde(default, skip_serializing_if = "FailureCounts::is_empty")]
    failure_counts = failure_counts: FailureCounts,
});

stored!(StoredCertificateFailure for CertFailure {
    ordinal = ordinal: u32,
    file_name = file_name: Option<String>,
    index = index: Option<u32>,
    reason = reason: FailureReason,
    message = message: String,
});

stored!(StoredKeystoreJob for KeystoreImportJob {
    id = id: String,
    tenant_id = tenant_id: String,
    edge_instance_id = edge_instance_id: String,
    encryption_key_id = encryption_key_id: String,
    object_key = object_key: String,
    item_count = item_count: u32,
    status = status: KeystoreJobStatus,
    creation_date = creation_date: String,
    failure_message = failure_message: Option<String>,
    #[serde(default)]
    reserved_items = reserved_items: u32,
});

stored!(StoredItemResult for ItemResult {
    ordinal = ordinal: u32,
    certificate = certificate: String,
    fingerprint = fingerprint: String,
    status = status: ItemStatus,
    reason_code = reason_code: Option<ItemFailureReason>,
    reason = reason: String,
});

stored!(StoredDevice for DeviceRecord {
    tenant_id = tenant_id: String,
    device_identifier = device_identifier: String,
    fingerprint_sha256 = fingerprint_sha256: String,
    certificate = certificate: String,
    fields = fields: BTreeMap<String, String>,
    profile_id = profile_id: String,
    job_id = job_id: String,
    created_at = created_at: String,
});

stored!(StoredCertificate for CertificateRecord {
    tenant_id = tenant_id: String,
    id = id: String,
    fingerprint_sha256 = fingerprint_sha256: String,
    fingerprint_sha1 = fingerprint_sha1: String,
    serial_number = serial_number: String,
    validity_end = validity_end: String,
    certificate = certificate: String,
    created_at = created_at: String,
});

stored!(StoredAuditEvent for AuditEvent {
    id = id: String,
    tenant_id = tenant_id: String,
    action = action: String,
    api_key_id = api_key_id: String,
    certificate_id = certificate_id: String,
    format = format: String,
    source_ip = source_ip: Option<String>,
    at = at: String,
});

stored!(StoredKey for StoredKeyRecord {
    tenant_id = tenant_id: String,
    fingerprint_sha256 = fingerprint_sha256: String,
    fingerprint_sha1 = fingerprint_sha1: String,
    subject = subject: String,
    key_algorithm = key_algorithm: String,
    chain = chain: Vec<String>,
    private_key_object = private_key_object: String,
    /// Absent on keys stored before it was kept.
    #[serde(default)]
    encryption_key_id = encryption_key_id: String,
    job_id = job_id: String,
    ordinal = ordinal: u32,
    imported_at = imported_at: String,
});

/// A record as the JSON document stores keep.
pub fn encode_record<T: Record>(value: &T) -> Result<String, serde_json::Error> {
    serde_json::to_string(&T::Stored::from(value))
}

/// A record from the JSON document a store kept.
pub fn decode_record<T: Record>(document: &str) -> Result<T, serde_json::Error> {
    serde_json::from_str::<T::Stored>(document).map(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document written before `failure_reason` existed still reads.
    #[test]
    fn a_job_stored_by_an_earlier_version_reads_back() {
        let old = r#"{"id":"j","tenant_id":"t","random_id":"123456789012","profile_id":"p","profile_name":"n",
            "original_file_name":"a.zip","format":"PEM","original_size":1,"object_key":"k",
            "created_at":"2026-01-01T00:00:00.000000Z","status":"FAILED",
            "enrollment_context":{"ip_address":null,"authorization":"k","auth_type":"API_KEY"},
            "total_certificates":0,"failed_certificates":0,"processing_time_ms":0,"result":"FAILURE",
            "failure_message":"gone"}"#;
        let job: CertImportJob = decode_record(old).unwrap();
        assert_eq!((job.status, job.failure_reason), (JobStatus::Failed, None));
        let again: CertImportJob = decode_record(&encode_record(&job).unwrap()).unwrap();
        assert_eq!(again, job);
    }
}
