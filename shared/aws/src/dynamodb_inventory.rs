//! `InventoryStore` on the single table (layout in `dynamodb_store`).

use async_trait::async_trait;
use certport_core::domain::{DeviceRecord, StoredKeyRecord};
use certport_core::ports::{DeviceInsert, InfraResult, InventoryStore, KeyInsert};

use crate::dynamodb_store::{device_key, key, with_doc, Item};
use crate::DynamoStore;

fn stored_key_key(tenant_id: &str, fingerprint: &str) -> Item {
    key(format!("KEY#{tenant_id}#{fingerprint}"), "KEY")
}

#[async_trait]
impl InventoryStore for DynamoStore {
    async fn insert_devices(&self, devices: &[DeviceRecord]) -> InfraResult<Vec<DeviceInsert>> {
        self.claim_devices(devices).await
    }

    async fn get_device(
        &self,
        tenant_id: &str,
        device_identifier: &str,
    ) -> InfraResult<Option<DeviceRecord>> {
        self.get("get device", device_key(tenant_id, device_identifier))
            .await
    }

    async fn insert_stored_key(&self, record: &StoredKeyRecord) -> InfraResult<KeyInsert> {
        let item = with_doc(
            stored_key_key(&record.tenant_id, &record.fingerprint_sha256),
            record,
        )?;
        if self.put_new("insert stored key", item).await? {
            return Ok(KeyInsert::Inserted);
        }
        let existing: Option<StoredKeyRecord> = self
            .get(
                "insert stored key",
                stored_key_key(&record.tenant_id, &record.fingerprint_sha256),
            )
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
        self.get("get stored key", stored_key_key(tenant_id, fingerprint_sha256))
            .await
    }
}
