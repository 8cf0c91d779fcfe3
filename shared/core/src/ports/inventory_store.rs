use async_trait::async_trait;

use super::InfraResult;
use crate::domain::{
    AuditEvent, CertificateRecord, DeviceRecord, InventoryEntry, KeyRange, NewDevice, Page, StoredKeyRecord,
};

/// What happened to one device of an `insert_devices` batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceInsert {
    Inserted,
    /// Written earlier by the same job (a retried or re-delivered run).
    AlreadyWrittenByThisJob,
    /// A device already holds this certificate.
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
    /// The inventory already holds this certificate's key.
    AlreadyPresent,
}

/// How to find certificates by something other than their id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateLookup {
    /// Upper-case hex.
    Sha1(String),
    /// Upper-case hex; several certificates may share one.
    Serial(String),
}

/// A tenant's inventory: certificates (one record each, whichever API brought them in),
/// the devices that hold them, and their private keys (encrypted elsewhere). Every read
/// is scoped by tenant; listings are paged and never load the whole inventory.
#[async_trait]
pub trait InventoryStore: Send + Sync {
    /// Adds devices (all of one tenant and job), unique by device identifier, each with
    /// its certificate, however many callers insert at once: a device and its claim on
    /// the certificate are written together or not at all. The certificate may already be
    /// in the inventory (from a keystore); a device already holding it makes the new one
    /// a duplicate. One outcome per device, in order. The batch holds no two devices
    /// with the same identifier or fingerprint.
    async fn insert_devices(&self, devices: &[NewDevice]) -> InfraResult<Vec<DeviceInsert>>;
    async fn get_device(&self, tenant_id: &str, device_identifier: &str)
        -> InfraResult<Option<DeviceRecord>>;
    async fn get_device_by_id(&self, tenant_id: &str, id: &str) -> InfraResult<Option<DeviceRecord>>;
    /// Devices in `sort_key` order (creation, then identifier) within `range`.
    async fn list_devices(
        &self,
        tenant_id: &str,
        range: &KeyRange,
        limit: usize,
    ) -> InfraResult<Page<DeviceRecord>>;

    /// Adds a private key to its certificate (adding the certificate when it is new), in
    /// one conditional step: of racing inserts exactly one is `Inserted`.
    async fn insert_stored_key(
        &self,
        record: &StoredKeyRecord,
        certificate: &CertificateRecord,
    ) -> InfraResult<KeyInsert>;
    async fn get_stored_key(
        &self,
        tenant_id: &str,
        fingerprint_sha256: &str,
    ) -> InfraResult<Option<StoredKeyRecord>>;

    async fn get_certificate(&self, tenant_id: &str, id: &str) -> InfraResult<Option<InventoryEntry>>;
    async fn find_certificates(
        &self,
        tenant_id: &str,
        lookup: &CertificateLookup,
    ) -> InfraResult<Vec<InventoryEntry>>;
    /// Certificates in `sort_key` order (expiry, then id) within `range`.
    async fn list_certificates(
        &self,
        tenant_id: &str,
        range: &KeyRange,
        limit: usize,
    ) -> InfraResult<Page<InventoryEntry>>;

    /// Adds an event to its tenant's audit trail (a new id each time).
    async fn record_audit_event(&self, event: &AuditEvent) -> InfraResult<()>;
    /// The tenant's latest `limit` audit events, newest first.
    async fn list_audit_events(&self, tenant_id: &str, limit: usize) -> InfraResult<Vec<AuditEvent>>;
}
