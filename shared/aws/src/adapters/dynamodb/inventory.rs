//! `InventoryStore` on the single table (layout in `super`, keys in `keys`).

use async_trait::async_trait;
use certport_core::domain::{
    certificate_id, AuditEvent, CertificateRecord, DeviceRecord, InventoryEntry, KeyRange, NewDevice, Page,
    StoredKeyRecord,
};
use certport_core::ports::{CertificateLookup, DeviceInsert, InfraResult, InventoryStore, KeyInsert};

use crate::adapters::dynamodb::certificates::{add_key, entry_of};
use crate::adapters::dynamodb::keys::{
    audit_pk, certificate_key, device_key, device_lookup, key, serial_lookup, sha1_lookup, Listing,
};
use crate::adapters::dynamodb::listing::{LOOKUP_INDEX, SERIAL_INDEX};
use crate::adapters::dynamodb::{doc_of, s, with_doc};
use crate::adapters::errors::infra_error;
use crate::DynamoStore;

#[async_trait]
impl InventoryStore for DynamoStore {
    async fn insert_devices(&self, devices: &[NewDevice]) -> InfraResult<Vec<DeviceInsert>> {
        self.claim_devices(devices).await
    }

    async fn get_device(
        &self,
        tenant_id: &str,
        device_identifier: &str,
    ) -> InfraResult<Option<DeviceRecord>> {
        let device: Option<DeviceRecord> = self
            .get("get device", device_key(tenant_id, device_identifier))
            .await?;
        Ok(self.with_certificates(device.into_iter().collect()).await?.pop())
    }

    async fn get_device_by_id(&self, tenant_id: &str, id: &str) -> InfraResult<Option<DeviceRecord>> {
        let lookup = device_lookup(tenant_id, id);
        let items = self
            .query_index("get device", LOOKUP_INDEX, "lookup_pk", lookup)
            .await?;
        let device: Option<DeviceRecord> = items.first().map(doc_of).transpose()?;
        Ok(self.with_certificates(device.into_iter().collect()).await?.pop())
    }

    async fn list_devices(
        &self,
        tenant_id: &str,
        range: &KeyRange,
        limit: usize,
    ) -> InfraResult<Page<DeviceRecord>> {
        let page = self
            .list_sharded("list devices", Listing::Devices, tenant_id, range, limit)
            .await?;
        let devices = page.items.iter().map(doc_of).collect::<InfraResult<_>>()?;
        Ok(Page {
            items: self.with_certificates(devices).await?,
            next: page.next,
        })
    }

    async fn insert_stored_key(
        &self,
        record: &StoredKeyRecord,
        certificate: &CertificateRecord,
    ) -> InfraResult<KeyInsert> {
        if self
            .update_if("insert stored key", add_key(certificate, record)?)
            .await?
        {
            return Ok(KeyInsert::Inserted);
        }
        let existing = self
            .get_stored_key(&record.tenant_id, &record.fingerprint_sha256)
            .await?;
        Ok(match existing {
            Some(e) if e.job_id == record.job_id && e.ordinal == record.ordinal => {
                KeyInsert::AlreadyWrittenByThisItem
            }
            _ => KeyInsert::AlreadyPresent,
        })
    }

    async fn get_stored_key(
        &self,
        tenant_id: &str,
        fingerprint_sha256: &str,
    ) -> InfraResult<Option<StoredKeyRecord>> {
        let id = certificate_id(tenant_id, fingerprint_sha256);
        Ok(self.get_certificate(tenant_id, &id).await?.and_then(|e| e.key))
    }

    async fn get_certificate(&self, tenant_id: &str, id: &str) -> InfraResult<Option<InventoryEntry>> {
        self.get_item("get certificate", certificate_key(tenant_id, id))
            .await?
            .as_ref()
            .map(entry_of)
            .transpose()
    }

    async fn find_certificates(
        &self,
        tenant_id: &str,
        lookup: &CertificateLookup,
    ) -> InfraResult<Vec<InventoryEntry>> {
        let (index, attribute, value) = match lookup {
            CertificateLookup::Sha1(sha1) => (LOOKUP_INDEX, "lookup_pk", sha1_lookup(tenant_id, sha1)),
            CertificateLookup::Serial(serial) => {
                (SERIAL_INDEX, "serial_pk", serial_lookup(tenant_id, serial))
            }
        };
        let items = self
            .query_index("find certificates", index, attribute, value)
            .await?;
        items.iter().map(entry_of).collect()
    }

    async fn list_certificates(
        &self,
        tenant_id: &str,
        range: &KeyRange,
        limit: usize,
    ) -> InfraResult<Page<InventoryEntry>> {
        let page = self
            .list_sharded(
                "list certificates",
                Listing::Certificates,
                tenant_id,
                range,
                limit,
            )
            .await?;
        Ok(Page {
            items: page.items.iter().map(entry_of).collect::<InfraResult<_>>()?,
            next: page.next,
        })
    }

    async fn record_audit_event(&self, event: &AuditEvent) -> InfraResult<()> {
        let item = with_doc(key(audit_pk(&event.tenant_id), event.sort_key()), event)?;
        self.create("record audit event", item).await
    }

    async fn list_audit_events(&self, tenant_id: &str, limit: usize) -> InfraResult<Vec<AuditEvent>> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(audit_pk(tenant_id)))
            .scan_index_forward(false)
            .limit(limit.clamp(1, 1000) as i32)
            .send()
            .await
            .map_err(|e| infra_error("list audit events", e))?;
        output.items().iter().map(doc_of).collect()
    }
}
