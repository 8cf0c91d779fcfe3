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

/// What one device may hold, so that its records fit every store whichever adapter
/// writes them (DynamoDB: sort keys of 1,024 bytes, items of 400 KB): checked before any
/// write, so a certificate past them fails alone (`FIELD_TOO_LONG`) on every adapter.
pub const MAX_DEVICE_IDENTIFIER_BYTES: usize = 512;
pub const MAX_FIELD_VALUE_BYTES: usize = 1024;
pub const MAX_MAPPED_FIELDS: usize = 32;
/// A serial number's content octets: RFC 5280 allows 20; some CAs wrote a few more.
pub const MAX_SERIAL_BYTES: usize = 64;

/// Why a device with this identifier, these fields and this serial (hex) cannot be
/// stored, if it cannot.
pub fn unstorable(identifier: &str, fields: &BTreeMap<String, String>, serial_hex: &str) -> Option<String> {
    if identifier.len() > MAX_DEVICE_IDENTIFIER_BYTES {
        return Some(format!(
            "the device identifier is {} bytes; at most {MAX_DEVICE_IDENTIFIER_BYTES} are kept",
            identifier.len()
        ));
    }
    if let Some((name, value)) = fields.iter().find(|(_, v)| v.len() > MAX_FIELD_VALUE_BYTES) {
        return Some(format!(
            "field `{name}` is {} bytes; at most {MAX_FIELD_VALUE_BYTES} are kept",
            value.len()
        ));
    }
    if serial_hex.len() / 2 > MAX_SERIAL_BYTES {
        return Some(format!(
            "the serial number is {} bytes; at most {MAX_SERIAL_BYTES} are kept",
            serial_hex.len() / 2
        ));
    }
    None
}
