//! Brings a database written by an earlier version up to the current schema, at open.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use certport_core::domain::{CertificateRecord, DeviceRecord, NewDevice, StoredKeyRecord};
use certport_core::parsing::certificate_record;
use certport_core::ports::InfraResult;
use rusqlite::{params, Connection, Transaction};

use crate::sqlite_inventory::{ensure_certificate, insert_device, tenant_key, DeviceRow};
use crate::sqlite_store::{db_error, from_doc};

pub(crate) fn upgrade(conn: &Connection) -> InfraResult<()> {
    upgrade_inventory(conn)
}

/// The inventory moved from JSON documents to columns: `devices` and `certificates`
/// (and, before those, `stored_keys`) became `inventory_devices` and
/// `inventory_certificates`. Every old row is written again through today's inserts, in
/// one transaction, then the old tables go.
fn upgrade_inventory(conn: &Connection) -> InfraResult<()> {
    let (devices, keys, certificates) = (
        has_table(conn, "devices")?,
        has_table(conn, "stored_keys")?,
        has_table(conn, "certificates")?,
    );
    if !(devices || keys || certificates) {
        return Ok(());
    }
    let tx = conn
        .unchecked_transaction()
        .map_err(db_error("upgrade database"))?;
    if devices {
        upgrade_devices(&tx)?;
    }
    if keys {
        upgrade_stored_keys(&tx)?;
    }
    if certificates {
        upgrade_certificates(&tx)?;
    }
    tx.execute_batch(
        "DROP TABLE IF EXISTS devices; DROP TABLE IF EXISTS stored_keys; DROP TABLE IF EXISTS certificates;",
    )
    .map_err(db_error("upgrade database"))?;
    tx.commit().map_err(db_error("upgrade database"))
}

fn upgrade_devices(tx: &Transaction<'_>) -> InfraResult<()> {
    for doc in documents(tx, "SELECT doc FROM devices")? {
        let device: DeviceRecord = from_doc(&doc)?;
        let Some(certificate) = record(&device.tenant_id, &device.certificate, &device.created_at) else {
            continue;
        };
        let tenant = tenant_key(tx, &device.tenant_id)?;
        insert_device(tx, tenant, &DeviceRow::of(&NewDevice { device, certificate })?)?;
    }
    Ok(())
}

fn upgrade_stored_keys(tx: &Transaction<'_>) -> InfraResult<()> {
    for doc in documents(tx, "SELECT doc FROM stored_keys")? {
        let key: StoredKeyRecord = from_doc(&doc)?;
        let leaf = key.chain.first().map(String::as_str).unwrap_or_default();
        if let Some(certificate) = record(&key.tenant_id, leaf, &key.imported_at) {
            let tenant = ensure_certificate(tx, &certificate)?;
            tx.execute(
                "UPDATE inventory_certificates SET key_doc = ?3, modified_at = ?4 WHERE tenant = ?1 AND id = ?2",
                params![tenant, certificate.id, doc, key.imported_at],
            )
            .map_err(db_error("upgrade database"))?;
        }
    }
    Ok(())
}

/// Rows of the one-record inventory as documents: the certificate, its holder and key.
fn upgrade_certificates(tx: &Transaction<'_>) -> InfraResult<()> {
    let rows = tx
        .prepare("SELECT doc, device_identifier, device_job_id, key_doc, modified_at FROM certificates")
        .and_then(|mut q| {
            q.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()
        })
        .map_err(db_error("upgrade database"))?;
    for (doc, device_identifier, device_job_id, key_doc, modified_at) in rows {
        let certificate: CertificateRecord = from_doc(&doc)?;
        let tenant = ensure_certificate(tx, &certificate)?;
        tx.execute(
            "UPDATE inventory_certificates SET device_identifier = ?3, device_job_id = ?4, key_doc = ?5,
                 modified_at = ?6
             WHERE tenant = ?1 AND id = ?2",
            params![
                tenant,
                certificate.id,
                device_identifier,
                device_job_id,
                key_doc,
                modified_at
            ],
        )
        .map_err(db_error("upgrade database"))?;
    }
    Ok(())
}

fn documents(tx: &Transaction<'_>, sql: &str) -> InfraResult<Vec<String>> {
    let mut query = tx.prepare(sql).map_err(db_error("upgrade database"))?;
    let docs = query
        .query_map([], |row| row.get(0))
        .and_then(Iterator::collect::<Result<Vec<String>, _>>)
        .map_err(db_error("upgrade database"));
    docs
}

/// The inventory record of a stored base64 DER; none (and a warning) if it no longer parses.
fn record(tenant_id: &str, certificate: &str, created_at: &str) -> Option<CertificateRecord> {
    let der = B64.decode(certificate).ok()?;
    match certificate_record(tenant_id, &der, created_at) {
        Ok(record) => Some(record),
        Err(e) => {
            tracing::warn!(tenant_id, error = %e, "a stored certificate no longer parses; left out of the upgraded inventory");
            None
        }
    }
}

fn has_table(conn: &Connection, table: &str) -> InfraResult<bool> {
    conn.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1")
        .and_then(|mut q| q.exists([table]))
        .map_err(db_error("upgrade database"))
}

#[cfg(test)]
mod tests {
    use crate::SqliteStore;

    /// The inventory as the previous version kept it: devices without ids, and keys in
    /// `stored_keys`, here both for one certificate.
    fn write_old_inventory(path: &std::path::Path, der: &[u8]) -> (String, String) {
        use base64::Engine;
        let certificate = base64::engine::general_purpose::STANDARD.encode(der);
        let (fingerprint, device) = certport_core::testing::legacy::device_doc("t", "dev-1", der);
        let key = certport_core::testing::legacy::stored_key_doc("t", der);
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch(
            "CREATE TABLE devices (tenant_id TEXT NOT NULL, device_identifier TEXT NOT NULL,
                fingerprint_sha256 TEXT NOT NULL, job_id TEXT NOT NULL, doc TEXT NOT NULL,
                PRIMARY KEY (tenant_id, device_identifier), UNIQUE (tenant_id, fingerprint_sha256));
            CREATE TABLE stored_keys (tenant_id TEXT NOT NULL, fingerprint_sha256 TEXT NOT NULL,
                job_id TEXT NOT NULL, ordinal INTEGER NOT NULL, doc TEXT NOT NULL,
                PRIMARY KEY (tenant_id, fingerprint_sha256));",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO devices VALUES ('t', 'dev-1', ?1, 'j1', ?2)",
            [&fingerprint, &device],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO stored_keys VALUES ('t', ?1, 'j2', 0, ?2)",
            [&fingerprint, &key],
        )
        .unwrap();
        (fingerprint, certificate)
    }

    #[tokio::test]
    async fn an_old_inventory_becomes_one_record_per_certificate() {
        use certport_core::domain::{certificate_id, device_id, KeyRange};
        use certport_core::ports::InventoryStore;
        use certport_core::testing::certs::{self_signed, KeyType};

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records.db");
        let cert = self_signed(KeyType::EcP256, "/CN=old.example", None);
        let (fingerprint, certificate) = write_old_inventory(&path, &cert.der);
        let store = SqliteStore::open(&path).unwrap();
        let id = certificate_id("t", &fingerprint);
        let entry = store.get_certificate("t", &id).await.unwrap().unwrap();
        assert_eq!(entry.certificate.certificate, certificate);
        assert_eq!(entry.device_identifier.as_deref(), Some("dev-1"));
        assert_eq!(entry.key.map(|k| k.job_id).as_deref(), Some("j2"));
        let device = store
            .get_device_by_id("t", &device_id("t", "dev-1"))
            .await
            .unwrap();
        assert_eq!(device.map(|d| d.job_id).as_deref(), Some("j1"));
        let listed = store.list_devices("t", &KeyRange::default(), 10).await.unwrap();
        assert_eq!(listed.items.len(), 1);
        drop(store);
        assert!(SqliteStore::open(&path)
            .unwrap()
            .get_certificate("t", &id)
            .await
            .unwrap()
            .is_some());
    }

    /// The inventory as JSON documents (the version before columns): a device and the
    /// certificate it holds, which also has a key.
    fn write_document_inventory(path: &std::path::Path, der: &[u8]) -> String {
        let certificate =
            certport_core::parsing::certificate_record("t", der, "2026-01-01T00:00:00Z").unwrap();
        let (_, device) = certport_core::testing::legacy::device_doc("t", "dev-1", der);
        let key = certport_core::testing::legacy::stored_key_doc("t", der);
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch(
            "CREATE TABLE devices (tenant_id TEXT NOT NULL, device_identifier TEXT NOT NULL,
                fingerprint_sha256 TEXT NOT NULL, job_id TEXT NOT NULL, id TEXT NOT NULL, sort_key TEXT NOT NULL,
                doc TEXT NOT NULL, PRIMARY KEY (tenant_id, device_identifier), UNIQUE (tenant_id, fingerprint_sha256));
            CREATE TABLE certificates (tenant_id TEXT NOT NULL, id TEXT NOT NULL, fingerprint_sha256 TEXT NOT NULL,
                fingerprint_sha1 TEXT NOT NULL, serial_number TEXT NOT NULL, sort_key TEXT NOT NULL,
                device_identifier TEXT, device_job_id TEXT, key_doc TEXT, modified_at TEXT NOT NULL,
                doc TEXT NOT NULL, PRIMARY KEY (tenant_id, id));",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO devices VALUES ('t', 'dev-1', ?1, 'j1', 'x', 'y', ?2)",
            [&certificate.fingerprint_sha256, &device],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO certificates VALUES ('t', ?1, ?2, ?3, ?4, 'z', 'dev-1', 'j1', ?5, '2026-01-03T00:00:00Z', ?6)",
            rusqlite::params![
                certificate.id,
                certificate.fingerprint_sha256,
                certificate.fingerprint_sha1,
                certificate.serial_number,
                key,
                certport_core::ports::encode_record(&certificate).unwrap()
            ],
        )
        .unwrap();
        certificate.id
    }

    #[tokio::test]
    async fn an_inventory_of_documents_keeps_its_devices_certificates_and_keys() {
        use certport_core::domain::{device_id, KeyRange};
        use certport_core::ports::{CertificateLookup, InventoryStore};
        use certport_core::testing::certs::{self_signed, KeyType};

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records.db");
        let cert = self_signed(KeyType::EcP256, "/CN=documents.example", None);
        let id = write_document_inventory(&path, &cert.der);
        let store = SqliteStore::open(&path).unwrap();
        let entry = store.get_certificate("t", &id).await.unwrap().unwrap();
        assert_eq!(entry.device_identifier.as_deref(), Some("dev-1"));
        assert_eq!(entry.key.map(|k| k.job_id).as_deref(), Some("j2"));
        assert_eq!(entry.modified_at, "2026-01-03T00:00:00Z");
        let sha1 = CertificateLookup::Sha1(entry.certificate.fingerprint_sha1.clone());
        assert_eq!(store.find_certificates("t", &sha1).await.unwrap().len(), 1);
        let device = store
            .get_device_by_id("t", &device_id("t", "dev-1"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (device.job_id.as_str(), device.certificate.as_str()),
            ("j1", entry.certificate.certificate.as_str())
        );
        let listed = store.list_devices("t", &KeyRange::default(), 10).await.unwrap();
        assert_eq!(listed.items, vec![device]);
        let conn = rusqlite::Connection::open(&path).unwrap();
        assert!(
            !super::has_table(&conn, "devices").unwrap() && !super::has_table(&conn, "certificates").unwrap()
        );
    }
}
