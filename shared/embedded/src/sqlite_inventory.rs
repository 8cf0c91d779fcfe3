//! `InventoryStore` on SQLite.

use async_trait::async_trait;
use certport_core::domain::{DeviceRecord, StoredKeyRecord};
use certport_core::ports::{DeviceInsert, InfraResult, InventoryStore, KeyInsert};
use rusqlite::{params, OptionalExtension};

use crate::sqlite_store::{db_error, to_doc, SqliteStore};

#[async_trait]
impl InventoryStore for SqliteStore {
    async fn insert_devices(&self, devices: &[DeviceRecord]) -> InfraResult<Vec<DeviceInsert>> {
        let rows = devices
            .iter()
            .map(|d| Ok((d.clone(), to_doc(d)?)))
            .collect::<InfraResult<Vec<_>>>()?;
        self.with("insert devices", move |conn| {
            let tx = conn.transaction().map_err(db_error("insert devices"))?;
            let mut outcomes = Vec::with_capacity(rows.len());
            {
                let mut by_fingerprint = tx
                    .prepare_cached("SELECT job_id FROM devices WHERE tenant_id = ?1 AND fingerprint_sha256 = ?2")
                    .map_err(db_error("insert devices"))?;
                let mut by_identifier = tx
                    .prepare_cached("SELECT 1 FROM devices WHERE tenant_id = ?1 AND device_identifier = ?2")
                    .map_err(db_error("insert devices"))?;
                let mut insert = tx
                    .prepare_cached(
                        "INSERT INTO devices (tenant_id, device_identifier, fingerprint_sha256, job_id, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
                    )
                    .map_err(db_error("insert devices"))?;
                for (device, doc) in &rows {
                    let owner: Option<String> = by_fingerprint
                        .query_row(params![device.tenant_id, device.fingerprint_sha256], |r| r.get(0))
                        .optional()
                        .map_err(db_error("insert devices"))?;
                    let outcome = match owner {
                        Some(job) if job == device.job_id => DeviceInsert::AlreadyWrittenByThisJob,
                        Some(_) => DeviceInsert::DuplicateCertificate,
                        None => {
                            let taken = by_identifier
                                .exists(params![device.tenant_id, device.device_identifier])
                                .map_err(db_error("insert devices"))?;
                            if taken {
                                DeviceInsert::DeviceIdentifierTaken
                            } else {
                                insert
                                    .execute(params![
                                        device.tenant_id,
                                        device.device_identifier,
                                        device.fingerprint_sha256,
                                        device.job_id,
                                        doc
                                    ])
                                    .map_err(db_error("insert devices"))?;
                                DeviceInsert::Inserted
                            }
                        }
                    };
                    outcomes.push(outcome);
                }
            }
            tx.commit().map_err(db_error("insert devices"))?;
            Ok(outcomes)
        })
        .await
    }

    async fn get_device(
        &self,
        tenant_id: &str,
        device_identifier: &str,
    ) -> InfraResult<Option<DeviceRecord>> {
        let sql = "SELECT doc FROM devices WHERE tenant_id = ?1 AND device_identifier = ?2";
        self.get_doc(
            "get device",
            sql,
            vec![tenant_id.to_string(), device_identifier.to_string()],
        )
        .await
    }

    async fn insert_stored_key(&self, record: &StoredKeyRecord) -> InfraResult<KeyInsert> {
        let doc = to_doc(record)?;
        let record = record.clone();
        self.with("insert stored key", move |conn| {
            let tx = conn.transaction().map_err(db_error("insert stored key"))?;
            let existing: Option<(String, u32)> = tx
                .query_row(
                    "SELECT job_id, ordinal FROM stored_keys WHERE tenant_id = ?1 AND fingerprint_sha256 = ?2",
                    params![record.tenant_id, record.fingerprint_sha256],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
                .map_err(db_error("insert stored key"))?;
            let outcome = match existing {
                Some((job, ordinal)) if job == record.job_id && ordinal == record.ordinal => {
                    KeyInsert::AlreadyWrittenByThisItem
                }
                Some(_) => KeyInsert::AlreadyPresent,
                None => {
                    tx.execute(
                        "INSERT INTO stored_keys (tenant_id, fingerprint_sha256, job_id, ordinal, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![record.tenant_id, record.fingerprint_sha256, record.job_id, record.ordinal, doc],
                    )
                    .map_err(db_error("insert stored key"))?;
                    KeyInsert::Inserted
                }
            };
            tx.commit().map_err(db_error("insert stored key"))?;
            Ok(outcome)
        })
        .await
    }

    async fn get_stored_key(
        &self,
        tenant_id: &str,
        fingerprint_sha256: &str,
    ) -> InfraResult<Option<StoredKeyRecord>> {
        let sql = "SELECT doc FROM stored_keys WHERE tenant_id = ?1 AND fingerprint_sha256 = ?2";
        self.get_doc(
            "get stored key",
            sql,
            vec![tenant_id.into(), fingerprint_sha256.into()],
        )
        .await
    }
}
