//! `InventoryStore` on SQLite: a `certificates` table (one row per tenant and
//! certificate, with the device holding it and its key, when there are), and `devices`.
//! Every write runs in one transaction, which SQLite serialises: checks and writes
//! cannot interleave with another caller's.

use async_trait::async_trait;
use certport_core::domain::{
    certificate_id, AuditEvent, CertificateRecord, DeviceRecord, InventoryEntry, KeyRange, NewDevice, Page,
    StoredKeyRecord,
};
use certport_core::ports::{CertificateLookup, DeviceInsert, InfraResult, InventoryStore, KeyInsert};
use rusqlite::{params, OptionalExtension, Transaction};

use crate::sqlite_store::{db_error, from_doc, to_doc, SqliteStore};

const CERTIFICATE_COLUMNS: &str = "doc, device_identifier, key_doc, modified_at";

fn entry(row: &rusqlite::Row<'_>) -> rusqlite::Result<(String, Option<String>, Option<String>, String)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn to_entry(columns: (String, Option<String>, Option<String>, String)) -> InfraResult<InventoryEntry> {
    let (doc, device_identifier, key_doc, modified_at) = columns;
    Ok(InventoryEntry {
        certificate: from_doc(&doc)?,
        device_identifier,
        key: key_doc.as_deref().map(from_doc).transpose()?,
        modified_at,
    })
}

/// Adds the certificate's row unless it is there; the first writer's facts stay.
pub(crate) fn ensure_certificate(tx: &Transaction<'_>, record: &CertificateRecord) -> InfraResult<()> {
    let doc = to_doc(record)?;
    tx.prepare_cached(
        "INSERT INTO certificates (tenant_id, id, fingerprint_sha256, fingerprint_sha1, serial_number, sort_key, modified_at, doc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (tenant_id, id) DO NOTHING",
    )
    .and_then(|mut insert| {
        insert.execute(params![
            record.tenant_id,
            record.id,
            record.fingerprint_sha256,
            record.fingerprint_sha1,
            record.serial_number,
            record.sort_key(),
            record.created_at,
            doc,
        ])
    })
    .map_err(db_error("record certificate"))?;
    Ok(())
}

/// Records the certificate (unless a keystore brought it already) as held by `device`,
/// which was just inserted: no other device can hold it (devices are unique by certificate).
fn claim_certificate(
    tx: &Transaction<'_>,
    record: &CertificateRecord,
    device: &DeviceRecord,
) -> InfraResult<()> {
    let doc = to_doc(record)?;
    tx.prepare_cached(
        "INSERT INTO certificates (tenant_id, id, fingerprint_sha256, fingerprint_sha1, serial_number, sort_key,
                                   modified_at, doc, device_identifier, device_job_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (tenant_id, id) DO UPDATE SET device_identifier = excluded.device_identifier,
             device_job_id = excluded.device_job_id, modified_at = excluded.modified_at",
    )
    .and_then(|mut upsert| {
        upsert.execute(params![
            record.tenant_id,
            record.id,
            record.fingerprint_sha256,
            record.fingerprint_sha1,
            record.serial_number,
            record.sort_key(),
            device.created_at,
            doc,
            device.device_identifier,
            device.job_id,
        ])
    })
    .map_err(db_error("insert devices"))?;
    Ok(())
}

/// Why `device` could not be inserted: its certificate is held (by this job's earlier
/// write, or another's), or its identifier is taken.
fn conflict(tx: &Transaction<'_>, device: &DeviceRecord) -> InfraResult<DeviceInsert> {
    let holder: Option<String> = tx
        .prepare_cached("SELECT job_id FROM devices WHERE tenant_id = ?1 AND fingerprint_sha256 = ?2")
        .and_then(|mut q| {
            q.query_row(params![device.tenant_id, device.fingerprint_sha256], |r| r.get(0))
                .optional()
        })
        .map_err(db_error("insert devices"))?;
    Ok(match holder {
        Some(job) if job == device.job_id => DeviceInsert::AlreadyWrittenByThisJob,
        Some(_) => DeviceInsert::DuplicateCertificate,
        None => DeviceInsert::DeviceIdentifierTaken,
    })
}

/// A range as one condition on `sort_key` (?2 lower, ?3 upper) that the listing index
/// serves: a page reads only its own rows. The lower bound is `after` (exclusive) when
/// it is past `from` (inclusive).
fn range_condition(range: &KeyRange) -> (&'static str, [String; 2]) {
    // Above every key: keys are UTF-8 text.
    let upper = range.to.clone().unwrap_or_else(|| "\u{10FFFF}".to_string());
    match (&range.after, &range.from) {
        (Some(after), from) if from.as_ref().is_none_or(|from| after >= from) => {
            ("sort_key > ?2 AND sort_key <= ?3", [after.clone(), upper])
        }
        (_, from) => (
            "sort_key >= ?2 AND sort_key <= ?3",
            [from.clone().unwrap_or_default(), upper],
        ),
    }
}

#[async_trait]
impl InventoryStore for SqliteStore {
    async fn insert_devices(&self, devices: &[NewDevice]) -> InfraResult<Vec<DeviceInsert>> {
        let rows = devices
            .iter()
            .map(|d| Ok((d.clone(), to_doc(&d.device)?)))
            .collect::<InfraResult<Vec<_>>>()?;
        self.with("insert devices", move |conn| {
            let tx = conn.transaction().map_err(db_error("insert devices"))?;
            let mut outcomes = Vec::with_capacity(rows.len());
            for (NewDevice { device, certificate }, doc) in &rows {
                // Insert first: a conflict is the rare case, and only then is it read.
                let inserted = tx
                    .prepare_cached(
                        "INSERT INTO devices (tenant_id, device_identifier, fingerprint_sha256, job_id, id, sort_key, doc)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
                    )
                    .and_then(|mut insert| {
                        insert.execute(params![
                            device.tenant_id,
                            device.device_identifier,
                            device.fingerprint_sha256,
                            device.job_id,
                            device.id(),
                            device.sort_key(),
                            doc
                        ])
                    })
                    .map_err(db_error("insert devices"))?
                    == 1;
                let outcome = if inserted {
                    claim_certificate(&tx, certificate, device)?;
                    DeviceInsert::Inserted
                } else {
                    conflict(&tx, device)?
                };
                outcomes.push(outcome);
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

    async fn get_device_by_id(&self, tenant_id: &str, id: &str) -> InfraResult<Option<DeviceRecord>> {
        let sql = "SELECT doc FROM devices WHERE tenant_id = ?1 AND id = ?2";
        self.get_doc("get device", sql, vec![tenant_id.to_string(), id.to_string()])
            .await
    }

    async fn list_devices(
        &self,
        tenant_id: &str,
        range: &KeyRange,
        limit: usize,
    ) -> InfraResult<Page<DeviceRecord>> {
        let (tenant_id, (condition, [lower, upper])) = (tenant_id.to_string(), range_condition(range));
        self.with("list devices", move |conn| {
            let sql = format!(
                "SELECT sort_key, doc FROM devices WHERE tenant_id = ?1 AND {condition} ORDER BY sort_key LIMIT ?4"
            );
            let mut query = conn.prepare_cached(&sql).map_err(db_error("list devices"))?;
            let rows = query
                .query_map(params![tenant_id, lower, upper, limit as i64 + 1], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .and_then(Iterator::collect::<Result<Vec<_>, _>>)
                .map_err(db_error("list devices"))?;
            let items = rows
                .into_iter()
                .map(|(key, doc)| Ok((key, from_doc(&doc)?)))
                .collect::<InfraResult<Vec<_>>>()?;
            Ok(Page::first(items, limit))
        })
        .await
    }

    async fn insert_stored_key(
        &self,
        record: &StoredKeyRecord,
        certificate: &CertificateRecord,
    ) -> InfraResult<KeyInsert> {
        let doc = to_doc(record)?;
        let (record, certificate) = (record.clone(), certificate.clone());
        self.with("insert stored key", move |conn| {
            let tx = conn.transaction().map_err(db_error("insert stored key"))?;
            ensure_certificate(&tx, &certificate)?;
            let existing: Option<String> = tx
                .query_row(
                    "SELECT key_doc FROM certificates WHERE tenant_id = ?1 AND id = ?2",
                    params![certificate.tenant_id, certificate.id],
                    |row| row.get(0),
                )
                .map_err(db_error("insert stored key"))?;
            let outcome = match existing.as_deref().map(from_doc::<StoredKeyRecord>).transpose()? {
                Some(e) if e.job_id == record.job_id && e.ordinal == record.ordinal => {
                    KeyInsert::AlreadyWrittenByThisItem
                }
                Some(_) => KeyInsert::AlreadyPresent,
                None => {
                    tx.execute(
                        "UPDATE certificates SET key_doc = ?3, modified_at = ?4 WHERE tenant_id = ?1 AND id = ?2",
                        params![certificate.tenant_id, certificate.id, doc, record.imported_at],
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
        let id = certificate_id(tenant_id, fingerprint_sha256);
        Ok(self.get_certificate(tenant_id, &id).await?.and_then(|e| e.key))
    }

    async fn get_certificate(&self, tenant_id: &str, id: &str) -> InfraResult<Option<InventoryEntry>> {
        let (tenant_id, id) = (tenant_id.to_string(), id.to_string());
        self.with("get certificate", move |conn| {
            let sql =
                format!("SELECT {CERTIFICATE_COLUMNS} FROM certificates WHERE tenant_id = ?1 AND id = ?2");
            conn.prepare_cached(&sql)
                .and_then(|mut q| q.query_row(params![tenant_id, id], entry).optional())
                .map_err(db_error("get certificate"))?
                .map(to_entry)
                .transpose()
        })
        .await
    }

    async fn find_certificates(
        &self,
        tenant_id: &str,
        lookup: &CertificateLookup,
    ) -> InfraResult<Vec<InventoryEntry>> {
        let (column, value) = match lookup {
            CertificateLookup::Sha1(sha1) => ("fingerprint_sha1", sha1.clone()),
            CertificateLookup::Serial(serial) => ("serial_number", serial.clone()),
        };
        let tenant_id = tenant_id.to_string();
        self.with("find certificates", move |conn| {
            let sql = format!(
                "SELECT {CERTIFICATE_COLUMNS} FROM certificates WHERE tenant_id = ?1 AND {column} = ?2"
            );
            let rows = conn
                .prepare_cached(&sql)
                .and_then(|mut q| {
                    q.query_map(params![tenant_id, value], entry)?
                        .collect::<Result<Vec<_>, _>>()
                })
                .map_err(db_error("find certificates"))?;
            rows.into_iter().map(to_entry).collect()
        })
        .await
    }

    async fn list_certificates(
        &self,
        tenant_id: &str,
        range: &KeyRange,
        limit: usize,
    ) -> InfraResult<Page<InventoryEntry>> {
        let (tenant_id, (condition, [lower, upper])) = (tenant_id.to_string(), range_condition(range));
        self.with("list certificates", move |conn| {
            let sql = format!(
                "SELECT {CERTIFICATE_COLUMNS}, sort_key FROM certificates WHERE tenant_id = ?1 AND {condition}
                 ORDER BY sort_key LIMIT ?4"
            );
            let rows = conn
                .prepare_cached(&sql)
                .and_then(|mut q| {
                    q.query_map(params![tenant_id, lower, upper, limit as i64 + 1], |r| {
                        Ok((r.get::<_, String>(4)?, entry(r)?))
                    })?
                    .collect::<Result<Vec<_>, _>>()
                })
                .map_err(db_error("list certificates"))?;
            let items = rows
                .into_iter()
                .map(|(key, columns)| Ok((key, to_entry(columns)?)))
                .collect::<InfraResult<Vec<_>>>()?;
            Ok(Page::first(items, limit))
        })
        .await
    }

    async fn record_audit_event(&self, event: &AuditEvent) -> InfraResult<()> {
        let sql = "INSERT INTO audit_events (tenant_id, sort_key, doc) VALUES (?1, ?2, ?3)";
        let keys = vec![event.tenant_id.clone(), event.sort_key()];
        self.put_doc("record audit event", sql, keys, to_doc(event)?)
            .await
    }

    async fn list_audit_events(&self, tenant_id: &str, limit: usize) -> InfraResult<Vec<AuditEvent>> {
        let sql = "SELECT doc FROM audit_events WHERE tenant_id = ?1 ORDER BY sort_key DESC LIMIT CAST(?2 AS INTEGER)";
        self.list_docs(
            "list audit events",
            sql,
            vec![tenant_id.to_string(), limit.to_string()],
        )
        .await
    }
}
