//! Entities of the inventory and of import jobs.

mod audit;
mod device;
mod inventory;
mod job;
mod keystore;
mod profile;
pub mod search;
mod serial_number;
mod shard;
mod tenant;
mod work_quota;

pub use audit::{AuditAction, AuditEvent};
pub use device::{
    unstorable, DeviceRecord, MAX_DEVICE_IDENTIFIER_BYTES, MAX_FIELD_VALUE_BYTES, MAX_MAPPED_FIELDS,
    MAX_SERIAL_BYTES,
};
pub use inventory::{
    certificate_id, certificate_request_id, device_id, CertificateRecord, InventoryEntry, KeyRange,
    NewDevice, Page,
};
pub use job::{
    CertFailure, CertificateImport, EnrollmentContext, FailureCounts, FailureReason, Import, Job, JobFailure,
    JobKind, JobResult, JobState, KeystoreImport,
};
pub use keystore::{
    EdgeInstance, EncryptionKey, ItemFailureReason, ItemResult, ItemStatus, StoredKeyRecord, TrustedCa,
    MAX_BATCH_ITEMS,
};
pub use profile::{
    EnrollmentMethod, EnrollmentProfile, FieldMapping, MappingError, SourceField, UploadFormat,
    DEVICE_IDENTIFIER,
};
pub use serial_number::{canonical_serial, same_serial, stored_serials};
pub use shard::{ShardPlan, ShardReport, ShardTask};
pub use tenant::{ApiKey, ApiKeyHash, ApiKeyRecord, Division, Scope, Scopes, Tenant};
pub use work_quota::{Admission, OpenWork, QuotaLimit, WorkQuota};

/// Time stamps as the APIs show them: ISO 8601 UTC with microseconds and `Z`.
pub fn format_timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The time now, as `format_timestamp` writes it.
pub fn timestamp_now() -> String {
    format_timestamp(chrono::Utc::now())
}
