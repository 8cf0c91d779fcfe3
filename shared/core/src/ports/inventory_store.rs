use async_trait::async_trait;

use super::InfraResult;
use crate::domain::{DeviceRecord, StoredKeyRecord};

/// What happened to one device of an `insert_devices` batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceInsert {
    Inserted,
    /// Written earlier by the same job (a retried or re-delivered run).
    AlreadyWrittenByThisJob,
    /// The tenant already holds this certificate.
    DuplicateCertificate,
    /// The device identifier already holds another certificate.
    DeviceIdentifierTaken,
}

/// What happened to an `insert_stored_key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyInsert {
    Inserted,
    /// Written earlier by the same job and item (a retried or re-delivered run).
    AlreadyWrittenByThisItem,
    /// The tenant already holds this certificate and key.
    AlreadyPresent,
}

/// A tenant's inventory: devices with their certificates, and certificates with their
/// private keys (encrypted elsewhere). Every read is scoped by tenant.
#[async_trait]
pub trait InventoryStore: Send + Sync {
    /// Adds devices (all of one tenant and job), unique by device identifier and by
    /// certificate fingerprint, however many callers insert at once: a device and its
    /// certificate are claimed together or not at all. One outcome per device, in order.
    /// The batch holds no two devices with the same identifier or fingerprint.
    async fn insert_devices(&self, devices: &[DeviceRecord]) -> InfraResult<Vec<DeviceInsert>>;
    async fn get_device(&self, tenant_id: &str, device_identifier: &str)
        -> InfraResult<Option<DeviceRecord>>;

    /// Adds a certificate with its key, unique per tenant by SHA-256 fingerprint, in one
    /// conditional step: of racing inserts exactly one is `Inserted`.
    async fn insert_stored_key(&self, record: &StoredKeyRecord) -> InfraResult<KeyInsert>;
    async fn get_stored_key(
        &self,
        tenant_id: &str,
        fingerprint_sha256: &str,
    ) -> InfraResult<Option<StoredKeyRecord>>;
}
