//! `InventoryStore` on SQLite: `inventory_certificates` (one row per tenant and
//! certificate: its facts as columns, its DER as a blob, the device holding it and its
//! key, when there are) and `inventory_devices` (a device's own facts; its certificate is
//! the row it points at, not a copy). Tenants are small integers (`tenant_keys`), so index
//! entries stay short. Every write runs in one transaction, which SQLite serialises:
//! checks and writes cannot interleave with another caller's.

use std::collections::BTreeMap;

use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use certport_core::domain::{
    certificate_id, device_id, AuditEvent, CertificateRecord, DeviceRecord, InventoryEntry, KeyRange,
    NewDevice, Page, StoredKeyRecord,
};
use certport_core::ports::{
    CertificateLookup, DeviceInsert, InfraError, InfraResult, InventoryStore, KeyInsert,
};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::sqlite_store::{db_error, from_doc, to_doc, SqliteStore};

/// A tenant's key in the inventory tables, made on its first write.
pub(crate) fn tenant_key(conn: &Connection, tenant_id: &str) -> InfraResult<i64> {
    conn.prepare_cached("INSERT INTO tenant_keys (tenant_id) VALUES (?1) ON CONFLICT DO NOTHING")
        .and_then(|mut insert| insert.execute([tenant_id]))
        .map_err(db_error("record tenant"))?;
    existing_tenant_key(conn, tenant_id)?
        .ok_or_else(|| InfraError::permanent("record tenant", "tenant key missing after insert"))
}

/// A tenant's key; none when it has written nothing to the inventory.
fn existing_tenant_key(conn: &Connection, tenant_id: &str) -> InfraResult<Option<i64>> {
    conn.prepare_cached("SELECT key FROM tenant_keys WHERE tenant_id = ?1")
        .and_then(|mut q| q.query_row([tenant_id], |r| r.get(0)).optional())
        .map_err(db_error("read tenant"))
}

const CERTIFICATE_COLUMNS: &str =
    "id, fingerprint_sha256, fingerprint_sha1, serial_number, validity_end, der,
    created_at, device_identifier, key_doc, modified_at, sort_key";

/// A row of `CERTIFICATE_COLUMNS`, with its sort key.
fn certificate_row(
    tenant_id: &str,
    row: &Row<'_>,
) -> rusqlite::Result<(String, InfraResult<InventoryEntry>)> {
    let der: Vec<u8> = row.get(5)?;
    let key_doc: Option<String> = row.get(8)?;
    let certificate = CertificateRecord {
        tenant_id: tenant_id.to_string(),
        id: row.get(0)?,
        fingerprint_sha256: row.get(1)?,
        fingerprint_sha1: row.get(2)?,
        serial_number: row.get(3)?,
        validity_end: row.get(4)?,
        certificate: B64.encode(der),
        created_at: row.get(6)?,
    };
    let device_identifier = row.get(7)?;
    let modified_at = row.get(9)?;
    let entry = key_doc
        .as_deref()
        .map(from_doc)
        .transpose()
        .map(|key| InventoryEntry {
            certificate,
            device_identifier,
            key,
            modified_at,
        });
    Ok((row.get(10)?, entry))
}

const DEVICE_COLUMNS: &str = "d.device_identifier, c.fingerprint_sha256, c.der, d.fields, d.profile_id,
    d.job_id, d.created_at, d.sort_key";
const DEVICE_FROM: &str = "inventory_devices d JOIN inventory_certificates c
    ON c.tenant = d.tenant AND c.id = d.certificate_id";

/// A row of `DEVICE_COLUMNS`, with its sort key.
fn device_row(tenant_id: &str, row: &Row<'_>) -> rusqlite::Result<(String, InfraResult<DeviceRecord>)> {
    let der: Vec<u8> = row.get(2)?;
    let fields: String = row.get(3)?;
    let device = serde_json::from_str::<BTreeMap<String, String>>(&fields)
        .map_err(|e| InfraError::permanent("decode record", e));
    let (device_identifier, fingerprint_sha256, profile_id, job_id, created_at) =
        (row.get(0)?, row.get(1)?, row.get(4)?, row.get(5)?, row.get(6)?);
    let device = device.map(|fields| DeviceRecord {
        tenant_id: tenant_id.to_string(),
        device_identifier,
        fingerprint_sha256,
        certificate: B64.encode(der),
        fields,
        profile_id,
        job_id,
        created_at,
    });
    Ok((row.get(7)?, device))
}

/// The certificate's row, as its first writer gave it.
struct CertificateValues {
    id: String,
    fingerprint_sha256: String,
    fingerprint_sha1: String,
    serial_number: String,
    validity_end: String,
    sort_key: String,
    der: Vec<u8>,
    created_at: String,
}

impl CertificateValues {
    fn of(record: &CertificateRecord) -> InfraResult<CertificateValues> {
        let der = B64
            .decode(&record.certificate)
            .map_err(|e| InfraError::permanent("encode record", e))?;
        Ok(CertificateValues {
            id: record.id.clone(),
            fingerprint_sha256: record.fingerprint_sha256.clone(),
            fingerprint_sha1: record.fingerprint_sha1.clone(),
            serial_number: record.serial_number.clone(),
            validity_end: record.validity_end.clone(),
            sort_key: record.sort_key(),
            der,
            created_at: record.created_at.clone(),
        })
    }
}

/// The certificate row's insert, ending in what happens when the row is there (one
/// literal per use, so a write looks its statement up without building its text).
macro_rules! insert_certificate {
    ($on_conflict:literal) => {
        concat!(
            "INSERT INTO inventory_certificates (tenant, id, fingerprint_sha256, fingerprint_sha1,
                serial_number, validity_end, sort_key, der, created_at, modified_at, device_identifier,
                device_job_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ",
            $on_conflict
        )
    };
}

/// The device a certificate row is written for, and since when it holds it.
struct Holder<'a> {
    device_identifier: Option<&'a str>,
    job_id: Option<&'a str>,
    since: &'a str,
}

/// Inserts the certificate's row with `insert` (an `insert_certificate!`). The number of
/// rows written.
fn write_certificate(
    conn: &Connection,
    tenant: i64,
    c: &CertificateValues,
    insert: &'static str,
    holder: Holder<'_>,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(insert).and_then(|mut insert| {
        insert.execute(params![
            tenant,
            c.id,
            c.fingerprint_sha256,
            c.fingerprint_sha1,
            c.serial_number,
            c.validity_end,
            c.sort_key,
            c.der,
            c.created_at,
            holder.since,
            holder.device_identifier,
            holder.job_id,
        ])
    })
}

/// Adds the certificate's row unless it is there (the first writer's facts stay); its
/// tenant's key.
pub(crate) fn ensure_certificate(conn: &Connection, record: &CertificateRecord) -> InfraResult<i64> {
    let tenant = tenant_key(conn, &record.tenant_id)?;
    let c = CertificateValues::of(record)?;
    let nobody = Holder {
        device_identifier: None,
        job_id: None,
        since: &c.created_at,
    };
    let unless_present = insert_certificate!("ON CONFLICT (tenant, id) DO NOTHING");
    write_certificate(conn, tenant, &c, unless_present, nobody).map_err(db_error("record certificate"))?;
    Ok(tenant)
}

/// Records `device` as the holder of its certificate (adding the certificate unless a
/// keystore brought it already); false when another device holds it.
fn claim_certificate(conn: &Connection, tenant: i64, device: &DeviceRow) -> InfraResult<bool> {
    let unless_held = insert_certificate!(
        "ON CONFLICT (tenant, id) DO UPDATE SET
            device_identifier = excluded.device_identifier, device_job_id = excluded.device_job_id,
            modified_at = excluded.modified_at
        WHERE inventory_certificates.device_identifier IS NULL"
    );
    let holder = Holder {
        device_identifier: Some(&device.device_identifier),
        job_id: Some(&device.job_id),
        since: &device.created_at,
    };
    let claimed = write_certificate(conn, tenant, &device.certificate, unless_held, holder)
        .map_err(db_error("insert devices"))?;
    Ok(claimed == 1)
}

/// Why a device could not be added: its certificate is held (by this job's earlier
/// write, or another's), or else its identifier is taken.
fn conflict(conn: &Connection, tenant: i64, certificate_id: &str, job_id: &str) -> InfraResult<DeviceInsert> {
    let holder: Option<String> = conn
        .prepare_cached(
            "SELECT device_job_id FROM inventory_certificates
             WHERE tenant = ?1 AND id = ?2 AND device_identifier IS NOT NULL",
        )
        .and_then(|mut q| {
            q.query_row(params![tenant, certificate_id], |r| r.get(0))
                .optional()
        })
        .map_err(db_error("insert devices"))?;
    Ok(match holder {
        Some(job) if job == job_id => DeviceInsert::AlreadyWrittenByThisJob,
        Some(_) => DeviceInsert::DuplicateCertificate,
        None => DeviceInsert::DeviceIdentifierTaken,
    })
}

/// A device's row and its certificate's, made before the database is locked (decoding,
/// hashing, formatting), so the writer holding the lock only writes.
pub(crate) struct DeviceRow {
    tenant_id: String,
    id: String,
    device_identifier: String,
    profile_id: String,
    job_id: String,
    created_at: String,
    sort_key: String,
    fields: String,
    certificate: CertificateValues,
}

impl DeviceRow {
    pub(crate) fn of(new: &NewDevice) -> InfraResult<DeviceRow> {
        let device = &new.device;
        let fields =
            serde_json::to_string(&device.fields).map_err(|e| InfraError::permanent("encode record", e))?;
        Ok(DeviceRow {
            tenant_id: device.tenant_id.clone(),
            id: device.id(),
            device_identifier: device.device_identifier.clone(),
            profile_id: device.profile_id.clone(),
            job_id: device.job_id.clone(),
            created_at: device.created_at.clone(),
            sort_key: device.sort_key(),
            fields,
            certificate: CertificateValues::of(&new.certificate)?,
        })
    }
}

/// Adds one device and its claim on its certificate, both or neither.
pub(crate) fn insert_device(conn: &Connection, tenant: i64, device: &DeviceRow) -> InfraResult<DeviceInsert> {
    // Insert first: a conflict is the rare case, and only then is anything read.
    let inserted = conn
        .prepare_cached(
            "INSERT INTO inventory_devices (tenant, id, device_identifier, certificate_id, profile_id, job_id,
                created_at, sort_key, fields) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
        )
        .and_then(|mut insert| {
            insert.execute(params![
                tenant,
                device.id,
                device.device_identifier,
                device.certificate.id,
                device.profile_id,
                device.job_id,
                device.created_at,
                device.sort_key,
                device.fields,
            ])
        })
        .map_err(db_error("insert devices"))?
        == 1;
    if inserted && claim_certificate(conn, tenant, device)? {
        return Ok(DeviceInsert::Inserted);
    }
    if inserted {
        // Another device holds the certificate: this one is not added.
        conn.prepare_cached("DELETE FROM inventory_devices WHERE tenant = ?1 AND id = ?2")
            .and_then(|mut delete| delete.execute(params![tenant, device.id]))
            .map_err(db_error("insert devices"))?;
    }
    conflict(conn, tenant, &device.certificate.id, &device.job_id)
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

/// The rows `sql` selects for the tenant (?1 its key), each made by `row`; none when the
/// tenant has written nothing.
fn tenant_rows<T>(
    conn: &Connection,
    operation: &'static str,
    tenant_id: &str,
    sql: &str,
    values: &[&dyn rusqlite::ToSql],
    row: impl Fn(&str, &Row<'_>) -> rusqlite::Result<(String, InfraResult<T>)>,
) -> InfraResult<Vec<(String, T)>> {
    let Some(tenant) = existing_tenant_key(conn, tenant_id)? else {
        return Ok(Vec::new());
    };
    let mut all: Vec<&dyn rusqlite::ToSql> = vec![&tenant];
    all.extend_from_slice(values);
    let rows = conn
        .prepare_cached(sql)
        .and_then(|mut q| {
            q.query_map(all.as_slice(), |r| row(tenant_id, r))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(db_error(operation))?;
    rows.into_iter().map(|(key, item)| Ok((key, item?))).collect()
}

impl SqliteStore {
    async fn one_certificate(&self, tenant_id: &str, id: &str) -> InfraResult<Option<InventoryEntry>> {
        let (tenant_id, id) = (tenant_id.to_string(), id.to_string());
        self.read("get certificate", move |conn| {
            let sql = format!(
                "SELECT {CERTIFICATE_COLUMNS} FROM inventory_certificates WHERE tenant = ?1 AND id = ?2"
            );
            let rows = tenant_rows(conn, "get certificate", &tenant_id, &sql, &[&id], certificate_row)?;
            Ok(rows.into_iter().next().map(|(_, entry)| entry))
        })
        .await
    }

    async fn one_device(&self, tenant_id: &str, id: String) -> InfraResult<Option<DeviceRecord>> {
        let tenant_id = tenant_id.to_string();
        self.read("get device", move |conn| {
            let sql = format!("SELECT {DEVICE_COLUMNS} FROM {DEVICE_FROM} WHERE d.tenant = ?1 AND d.id = ?2");
            let rows = tenant_rows(conn, "get device", &tenant_id, &sql, &[&id], device_row)?;
            Ok(rows.into_iter().next().map(|(_, device)| device))
        })
        .await
    }
}

#[async_trait]
impl InventoryStore for SqliteStore {
    async fn insert_devices(&self, devices: &[NewDevice]) -> InfraResult<Vec<DeviceInsert>> {
        let rows = devices
            .iter()
            .map(DeviceRow::of)
            .collect::<InfraResult<Vec<_>>>()?;
        self.with("insert devices", move |conn| {
            let tx = conn.transaction().map_err(db_error("insert devices"))?;
            let mut tenants: Vec<(&str, i64)> = Vec::new();
            let mut outcomes = Vec::with_capacity(rows.len());
            for row in &rows {
                let tenant = match tenants.iter().find(|(t, _)| *t == row.tenant_id) {
                    Some((_, key)) => *key,
                    None => {
                        let key = tenant_key(&tx, &row.tenant_id)?;
                        tenants.push((&row.tenant_id, key));
                        key
                    }
                };
                outcomes.push(insert_device(&tx, tenant, row)?);
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
        self.one_device(tenant_id, device_id(tenant_id, device_identifier))
            .await
    }

    async fn get_device_by_id(&self, tenant_id: &str, id: &str) -> InfraResult<Option<DeviceRecord>> {
        self.one_device(tenant_id, id.to_string()).await
    }

    async fn list_devices(
        &self,
        tenant_id: &str,
        range: &KeyRange,
        limit: usize,
    ) -> InfraResult<Page<DeviceRecord>> {
        let (tenant_id, (condition, [lower, upper])) = (tenant_id.to_string(), range_condition(range));
        self.read("list devices", move |conn| {
            let condition = condition.replace("sort_key", "d.sort_key");
            let sql = format!(
                "SELECT {DEVICE_COLUMNS} FROM {DEVICE_FROM} WHERE d.tenant = ?1 AND {condition}
                 ORDER BY d.sort_key LIMIT ?4"
            );
            let values: [&dyn rusqlite::ToSql; 3] = [&lower, &upper, &(limit as i64 + 1)];
            let rows = tenant_rows(conn, "list devices", &tenant_id, &sql, &values, device_row)?;
            Ok(Page::first(rows, limit))
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
            let tenant = ensure_certificate(&tx, &certificate)?;
            let existing: Option<String> = tx
                .prepare_cached("SELECT key_doc FROM inventory_certificates WHERE tenant = ?1 AND id = ?2")
                .and_then(|mut query| query.query_row(params![tenant, certificate.id], |row| row.get(0)))
                .map_err(db_error("insert stored key"))?;
            let outcome = match existing.as_deref().map(from_doc::<StoredKeyRecord>).transpose()? {
                Some(e) if e.job_id == record.job_id && e.ordinal == record.ordinal => {
                    KeyInsert::AlreadyWrittenByThisItem
                }
                Some(_) => KeyInsert::AlreadyPresent,
                None => {
                    tx.prepare_cached(
                        "UPDATE inventory_certificates SET key_doc = ?3, modified_at = ?4 WHERE tenant = ?1 AND id = ?2",
                    )
                    .and_then(|mut update| update.execute(params![tenant, certificate.id, doc, record.imported_at]))
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
        Ok(self.one_certificate(tenant_id, &id).await?.and_then(|e| e.key))
    }

    async fn get_certificate(&self, tenant_id: &str, id: &str) -> InfraResult<Option<InventoryEntry>> {
        self.one_certificate(tenant_id, id).await
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
        self.read("find certificates", move |conn| {
            let sql = format!(
                "SELECT {CERTIFICATE_COLUMNS} FROM inventory_certificates WHERE tenant = ?1 AND {column} = ?2"
            );
            let rows = tenant_rows(
                conn,
                "find certificates",
                &tenant_id,
                &sql,
                &[&value],
                certificate_row,
            )?;
            Ok(rows.into_iter().map(|(_, entry)| entry).collect())
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
        self.read("list certificates", move |conn| {
            let sql = format!(
                "SELECT {CERTIFICATE_COLUMNS} FROM inventory_certificates WHERE tenant = ?1 AND {condition}
                 ORDER BY sort_key LIMIT ?4"
            );
            let values: [&dyn rusqlite::ToSql; 3] = [&lower, &upper, &(limit as i64 + 1)];
            let rows = tenant_rows(
                conn,
                "list certificates",
                &tenant_id,
                &sql,
                &values,
                certificate_row,
            )?;
            Ok(Page::first(rows, limit))
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
