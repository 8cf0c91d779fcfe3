//! The inventory's certificates: one record per tenant and certificate (by SHA-256),
//! whichever API brought it in, with the device that holds it and the private key when
//! the inventory has one.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{DeviceRecord, StoredKeyRecord};

/// A certificate of a tenant's inventory: what never changes once it is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateRecord {
    pub tenant_id: String,
    /// `certificate_id(tenant_id, fingerprint_sha256)`.
    pub id: String,
    /// Lower-case hex.
    pub fingerprint_sha256: String,
    /// Upper-case hex (Venafi's `fingerprint`).
    pub fingerprint_sha1: String,
    /// Upper-case hex.
    pub serial_number: String,
    /// RFC 3339 UTC to the second (`2027-01-31T12:00:00Z`): sorts as time does.
    pub validity_end: String,
    /// Base64 DER.
    pub certificate: String,
    pub created_at: String,
}

impl CertificateRecord {
    /// Where the record sits in the tenant's listing: by expiry, then id.
    pub fn sort_key(&self) -> String {
        format!("{}#{}", self.validity_end, self.id)
    }
}

/// A certificate as the inventory holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryEntry {
    pub certificate: CertificateRecord,
    /// The device (API A) that holds it.
    pub device_identifier: Option<String>,
    /// Its private key (API B), encrypted elsewhere.
    pub key: Option<StoredKeyRecord>,
    /// When a device or a key last came with it.
    pub modified_at: String,
}

/// A new device with the certificate it holds (to add to the inventory or find there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDevice {
    pub device: DeviceRecord,
    pub certificate: CertificateRecord,
}

/// Inclusive bounds on listing sort keys; `None` is open. A cursor continues after the
/// last key a page returned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyRange {
    pub from: Option<String>,
    pub to: Option<String>,
    pub after: Option<String>,
}

/// A page of a listing and where the next one starts (none when this is the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// The first `limit` of `items` (in key order; read `limit + 1` to know whether more
    /// follow), with a cursor after the last when they do.
    pub fn first(mut items: Vec<(String, T)>, limit: usize) -> Page<T> {
        let more = items.len() > limit;
        items.truncate(limit);
        let next = if more {
            items.last().map(|(key, _)| key.clone())
        } else {
            None
        };
        Page {
            items: items.into_iter().map(|(_, item)| item).collect(),
            next,
        }
    }
}

/// A certificate's id in a tenant's inventory: a UUID (version 8) derived from the tenant
/// and the SHA-256 fingerprint, so whoever writes the certificate first, and whichever
/// API, gives it the same id, and a fingerprint lookup is a key lookup.
pub fn certificate_id(tenant_id: &str, fingerprint_sha256: &str) -> String {
    derived_uuid("certificate", tenant_id, fingerprint_sha256)
}

/// The id of the certificate request an imported certificate answers to (vcert reaches a
/// certificate through its request: `certificateRequestId`, then
/// `GET certificaterequests/{id}` → `certificateIds`). A fixed mask over the certificate
/// id's bits (its version and variant kept), so it is its own inverse: a request is looked
/// up by its certificate's key, with no record or index of its own. `None` for text that
/// is not a UUID.
pub fn certificate_request_id(id: &str) -> Option<String> {
    // Every bit flipped but the version nibble (byte 6) and the variant bits (byte 8).
    const MASK: [u8; 16] = [
        0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x0a, 0x5a, 0x1a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
    ];
    let mut bytes = *uuid::Uuid::parse_str(id).ok()?.as_bytes();
    for (byte, mask) in bytes.iter_mut().zip(MASK) {
        *byte ^= mask;
    }
    Some(uuid::Uuid::from_bytes(bytes).hyphenated().to_string())
}

/// A device's id, derived from the tenant and device identifier like `certificate_id`.
pub fn device_id(tenant_id: &str, device_identifier: &str) -> String {
    derived_uuid("device", tenant_id, device_identifier)
}

fn derived_uuid(kind: &str, tenant_id: &str, name: &str) -> String {
    let mut hash = Sha256::new();
    for part in ["certport", kind, tenant_id, name] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash.finalize()[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

impl DeviceRecord {
    pub fn id(&self) -> String {
        device_id(&self.tenant_id, &self.device_identifier)
    }

    /// Where the device sits in the tenant's listing: by creation, then identifier.
    pub fn sort_key(&self) -> String {
        format!("{}#{}", self.created_at, self.device_identifier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuids_that_differ_by_tenant_and_kind() {
        let a = certificate_id("t1", "ab");
        assert_eq!(uuid::Uuid::parse_str(&a).unwrap().get_version_num(), 8);
        assert_eq!(a, certificate_id("t1", "ab"));
        assert_ne!(a, certificate_id("t2", "ab"));
        assert_ne!(a, device_id("t1", "ab"));
        // Lengths are hashed in: ("t1", "ab") and ("t", "1ab") differ.
        assert_ne!(certificate_id("t", "1ab"), a);
    }

    #[test]
    fn a_certificate_request_id_is_a_distinct_uuid_that_leads_back_to_its_certificate() {
        let id = certificate_id("t1", "ab");
        let request = certificate_request_id(&id).unwrap();
        let parsed = uuid::Uuid::parse_str(&request).unwrap();
        assert_eq!(
            (parsed.get_version_num(), parsed.get_variant()),
            (8, uuid::Variant::RFC4122)
        );
        assert_ne!(request, id);
        assert_eq!(certificate_request_id(&request).as_deref(), Some(id.as_str()));
        assert_eq!(certificate_request_id("not-a-uuid"), None);
    }
}
