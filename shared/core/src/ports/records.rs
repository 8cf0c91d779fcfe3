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
    ApiKeyHash, ApiKeyRecord, AuditAction, AuditEvent, CertFailure, CertificateImport, CertificateRecord,
    DeviceRecord, Division, EdgeInstance, EncryptionKey, EnrollmentContext, EnrollmentMethod,
    EnrollmentProfile, FailureCounts, FailureReason, FieldMapping, Import, ItemFailureReason, ItemResult,
    ItemStatus, Job, JobFailure, JobState, KeystoreImport, Scope, Scopes, ShardPlan, ShardReport,
    StoredKeyRecord, Tenant, TrustedCa, UploadFormat,
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
    /// Keys stored before scopes existed could do everything, and still can until an
    /// operator rotates them.
    #[serde(default = "Scope::all")]
    scopes = scopes: Scopes,
    /// Empty on keys stored before it was kept.
    #[serde(default)]
    created_at = created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    revoked_at = revoked_at: Option<String>,
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

/// A job of either kind; what its kind adds is tagged with the kind.
#[derive(Serialize, Deserialize)]
pub struct StoredJob {
    id: String,
    tenant_id: String,
    object_key: String,
    created_at: String,
    active_at: String,
    state: JobState,
    total: u64,
    processed: u64,
    failed: u64,
    #[serde(default, skip_serializing_if = "FailureCounts::is_empty")]
    failure_counts: FailureCounts,
    processing_time_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failure: Option<StoredJobFailure>,
    reserved_items: u32,
    import: StoredImport,
}

#[derive(Serialize, Deserialize)]
pub struct StoredJobFailure {
    reason: FailureReason,
    message: String,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoredImport {
    Certificates {
        random_id: String,
        profile_id: String,
        profile_name: String,
        original_file_name: String,
        format: UploadFormat,
        original_size: u64,
        enrollment_context: EnrollmentContext,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mapping: Option<FieldMapping>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shard_plan: Option<ShardPlan>,
    },
    Keystores {
        edge_instance_id: String,
        encryption_key_id: String,
    },
}

impl From<&Job> for StoredJob {
    fn from(job: &Job) -> Self {
        let import = match &job.import {
            Import::Certificates(c) => StoredImport::Certificates {
                random_id: c.random_id.clone(),
                profile_id: c.profile_id.clone(),
                profile_name: c.profile_name.clone(),
                original_file_name: c.original_file_name.clone(),
                format: c.format,
                original_size: c.original_size,
                enrollment_context: c.enrollment_context.clone(),
                mapping: c.mapping.clone(),
                shard_plan: c.shard_plan,
            },
            Import::Keystores(k) => StoredImport::Keystores {
                edge_instance_id: k.edge_instance_id.clone(),
                encryption_key_id: k.encryption_key_id.clone(),
            },
        };
        StoredJob {
            id: job.id.clone(),
            tenant_id: job.tenant_id.clone(),
            object_key: job.object_key.clone(),
            created_at: job.created_at.clone(),
            active_at: job.active_at.clone(),
            state: job.state,
            total: job.total,
            processed: job.processed,
            failed: job.failed,
            failure_counts: job.failure_counts.clone(),
            processing_time_ms: job.processing_time_ms,
            failure: job.failure.as_ref().map(|f| StoredJobFailure {
                reason: f.reason,
                message: f.message.clone(),
            }),
            reserved_items: job.reserved_items,
            import,
        }
    }
}

impl From<StoredJob> for Job {
    fn from(stored: StoredJob) -> Self {
        let import = match stored.import {
            StoredImport::Certificates {
                random_id,
                profile_id,
                profile_name,
                original_file_name,
                format,
                original_size,
                enrollment_context,
                mapping,
                shard_plan,
            } => Import::Certificates(CertificateImport {
                random_id,
                profile_id,
                profile_name,
                original_file_name,
                format,
                original_size,
                enrollment_context,
                mapping,
                shard_plan,
            }),
            StoredImport::Keystores {
                edge_instance_id,
                encryption_key_id,
            } => Import::Keystores(KeystoreImport {
                edge_instance_id,
                encryption_key_id,
            }),
        };
        Job {
            id: stored.id,
            tenant_id: stored.tenant_id,
            object_key: stored.object_key,
            created_at: stored.created_at,
            active_at: stored.active_at,
            state: stored.state,
            total: stored.total,
            processed: stored.processed,
            failed: stored.failed,
            failure_counts: stored.failure_counts,
            processing_time_ms: stored.processing_time_ms,
            failure: stored.failure.map(|f| JobFailure {
                reason: f.reason,
                message: f.message,
            }),
            reserved_items: stored.reserved_items,
            import,
        }
    }
}

impl Record for Job {
    type Stored = StoredJob;
}

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
    action = action: AuditAction,
    api_key_id = api_key_id: Option<String>,
    certificate_id = certificate_id: Option<String>,
    format = format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subject_api_key_id = subject_api_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    replacement_api_key_id = replacement_api_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason = reason: Option<String>,
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

    /// The stored form of a job is fixed: these documents read back, and write back the same.
    #[test]
    fn stored_jobs_of_each_kind_read_back_and_write_back_the_same() {
        let certificates = r#"{"id":"j","tenant_id":"t","object_key":"k","created_at":"2026-01-01T00:00:00.000000Z","active_at":"2026-01-01T00:05:00.000000Z","state":"FAILED","total":3,"processed":1,"failed":3,"failure_counts":{"NOT_PROCESSED":3},"processing_time_ms":5,"failure":{"reason":"NOT_PROCESSED","message":"gone"},"reserved_items":0,"import":{"kind":"certificates","random_id":"123456789012","profile_id":"p","profile_name":"n","original_file_name":"a.zip","format":"PEM","original_size":1,"enrollment_context":{"ip_address":null,"authorization":"k","auth_type":"API_KEY"},"mapping":{"device_identifier":"subject.common_name"}}}"#;
        let keystores = r#"{"id":"j","tenant_id":"t","object_key":"k","created_at":"2026-01-01T00:00:00.000000Z","active_at":"2026-01-01T00:00:00.000000Z","state":"OPEN","total":0,"processed":0,"failed":0,"processing_time_ms":0,"reserved_items":100,"import":{"kind":"keystores","edge_instance_id":"e","encryption_key_id":"d"}}"#;
        for document in [certificates, keystores] {
            let job: Job = decode_record(document).unwrap();
            assert_eq!(encode_record(&job).unwrap(), document);
        }
        let job: Job = decode_record(certificates).unwrap();
        assert_eq!(job.certificates().unwrap().profile_id, "p");
        assert_eq!(job.failure.unwrap().reason, FailureReason::NotProcessed);
    }
}
