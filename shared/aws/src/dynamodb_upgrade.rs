//! Brings a table written before the one-record inventory over to it
//! (`certport admin upgrade-table`): devices gain their index attributes and claim their
//! certificate record; stored keys (`KEY#` items) move onto their certificate record;
//! the old guard and key items go. Safe to run again, and while the functions run: every
//! step is conditional, like the functions' own writes.

use aws_sdk_dynamodb::types::AttributeValue;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use certport_core::domain::{CertificateRecord, DeviceRecord, StoredKeyRecord};
use certport_core::parsing::certificate_record;
use certport_core::ports::{InfraError, InfraResult};

use crate::dynamodb_certificates::{add_key, claim_for_device};
use crate::dynamodb_devices::device_lookup;
use crate::dynamodb_listing::listing_pk;
use crate::dynamodb_store::{attr, doc_of, s, Item};
use crate::dynamodb_transactions::{Cancelled, TransactUpdate};
use crate::errors::infra_error;
use crate::DynamoStore;

/// What an upgrade did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UpgradeReport {
    pub devices: u64,
    pub keys: u64,
    /// Certificates that no longer parse, left out of the listing (their devices stay).
    pub unreadable: u64,
}

fn record_of(tenant_id: &str, certificate: &str, created_at: &str) -> Option<CertificateRecord> {
    let der = B64.decode(certificate).ok()?;
    certificate_record(tenant_id, &der, created_at).ok()
}

impl DynamoStore {
    pub async fn upgrade_inventory(&self) -> InfraResult<UpgradeReport> {
        let mut report = UpgradeReport::default();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("sk IN (:device, :guard, :key)")
                .expression_attribute_values(":device", s("DEVICE"))
                .expression_attribute_values(":guard", s("CERT"))
                .expression_attribute_values(":key", s("KEY"))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| infra_error("upgrade table", e))?;
            for item in page.items.unwrap_or_default() {
                match attr(&item, "sk") {
                    Some("DEVICE") if !item.contains_key("list_pk") => {
                        self.upgrade_device(&item, &mut report).await?
                    }
                    Some("KEY") => self.upgrade_key(&item, &mut report).await?,
                    Some("CERT") => self.delete_item(&item).await?,
                    _ => {}
                }
            }
            match page.last_evaluated_key {
                Some(next) if !next.is_empty() => start = Some(next),
                _ => return Ok(report),
            }
        }
    }

    async fn upgrade_device(&self, item: &Item, report: &mut UpgradeReport) -> InfraResult<()> {
        let device: DeviceRecord = doc_of(item)?;
        let indexed = index_device(key_of(item)?, &device);
        let Some(certificate) = record_of(&device.tenant_id, &device.certificate, &device.created_at) else {
            report.unreadable += 1;
            self.update_if("upgrade table", indexed).await?;
            return Ok(());
        };
        let claim = claim_for_device(
            &certificate,
            &device.device_identifier,
            &device.job_id,
            &device.created_at,
        )?;
        match self
            .transact("upgrade table", vec![indexed.into(), claim.into()])
            .await?
        {
            None => {}
            // Claimed already (by a run before this one): index the device alone.
            Some(reasons) if matches!(reasons.get(1), Some(Cancelled::ConditionFailed(_))) => {
                self.update_if("upgrade table", index_device(key_of(item)?, &device))
                    .await?;
            }
            Some(_) => {
                return Err(InfraError::transient(
                    "upgrade table",
                    "a device changed while it was upgraded; run the upgrade again",
                ))
            }
        }
        report.devices += 1;
        Ok(())
    }

    async fn upgrade_key(&self, item: &Item, report: &mut UpgradeReport) -> InfraResult<()> {
        let key: StoredKeyRecord = doc_of(item)?;
        let leaf = key.chain.first().map(String::as_str).unwrap_or_default();
        match record_of(&key.tenant_id, leaf, &key.imported_at) {
            Some(certificate) => {
                // Already on the record (an earlier run) when the condition fails: fine.
                self.update_if("upgrade table", add_key(&certificate, &key)?)
                    .await?;
                report.keys += 1;
                self.delete_item(item).await
            }
            None => {
                report.unreadable += 1;
                Ok(())
            }
        }
    }

    async fn delete_item(&self, item: &Item) -> InfraResult<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_of(item)?))
            .send()
            .await
            .map_err(|e| infra_error("upgrade table", e))?;
        Ok(())
    }
}

/// Puts the device in the `lookup` and `listing` indexes.
fn index_device(key: Item, device: &DeviceRecord) -> TransactUpdate {
    let id = device.id();
    let values = Item::from([
        (":lookup".to_string(), s(device_lookup(&device.tenant_id, &id))),
        (
            ":list_pk".to_string(),
            s(listing_pk("DEVICES", &device.tenant_id, &id)),
        ),
        (":list_sk".to_string(), s(device.sort_key())),
    ]);
    TransactUpdate {
        key,
        expression: "SET lookup_pk = :lookup, list_pk = :list_pk, list_sk = :list_sk".into(),
        values,
        condition: Some("attribute_exists(pk)"),
    }
}

fn key_of(item: &Item) -> InfraResult<Item> {
    let part = |name: &str| -> InfraResult<(String, AttributeValue)> {
        let value = item
            .get(name)
            .cloned()
            .ok_or_else(|| InfraError::permanent("upgrade table", "an item without its key"))?;
        Ok((name.to_string(), value))
    };
    Ok(Item::from([part("pk")?, part("sk")?]))
}
