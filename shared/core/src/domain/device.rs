use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A device in the inventory, created from one imported certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    pub tenant_id: String,
    pub device_identifier: String,
    pub fingerprint_sha256: String,
    /// Base64 DER of the certificate.
    pub certificate: String,
    pub fields: BTreeMap<String, String>,
    pub profile_id: String,
    /// The job that imported it; lets a retried job recognise its own writes.
    pub job_id: String,
    pub created_at: String,
}
