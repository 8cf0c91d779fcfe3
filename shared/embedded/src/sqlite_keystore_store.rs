//! `KeystoreStore` on the same SQLite database as the other records.

use async_trait::async_trait;
use certport_core::domain::{
    EdgeInstance, EncryptionKey, ItemResult, KeystoreImportJob, KeystoreJobStatus, StoredKeyRecord, TrustedCa,
};
use certport_core::ports::{InfraResult, KeyInsert, KeystoreStore};
use rusqlite::{params, OptionalExtension};

use crate::sqlite_record_store::{db_error, to_doc, JobRow, SqliteRecordStore};

pub(crate) const KEYSTORE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS edge_instances (
    tenant_id TEXT NOT NULL, id TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id));
CREATE TABLE IF NOT EXISTS encryption_keys (
    tenant_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (tenant_id, id));
CREATE TABLE IF NOT EXISTS trusted_cas (
    tenant_id TEXT NOT NULL, fingerprint TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, fingerprint));
CREATE TABLE IF NOT EXISTS keystore_jobs (
    tenant_id TEXT NOT NULL, id TEXT NOT NULL, created_at TEXT NOT NULL DEFAULT '',
    open INTEGER NOT NULL DEFAULT 0, doc TEXT NOT NULL, PRIMARY KEY (tenant_id, id));
CREATE TABLE IF NOT EXISTS keystore_results (
    tenant_id TEXT NOT NULL, job_id TEXT NOT NULL, ordinal INTEGER NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, job_id, ordinal));
CREATE TABLE IF NOT EXISTS stored_keys (
    tenant_id TEXT NOT NULL, fingerprint_sha256 TEXT NOT NULL, job_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (tenant_id, fingerprint_sha256));
";

fn job_row(job: &KeystoreImportJob) -> InfraResult<JobRow> {
    let open = job.status == KeystoreJobStatus::Processing;
    JobRow::new(&job.tenant_id, &job.id, &job.creation_date, open, job)
}

#[async_trait]
impl KeystoreStore for SqliteRecordStore {
    async fn put_edge_instance(&self, edge: &EdgeInstance) -> InfraResult<()> {
        let sql =
            "INSERT OR REPLACE INTO edge_instances (tenant_id, id, created_at, doc) VALUES (?1, ?2, ?3, ?4)";
        let keys = vec![edge.tenant_id.clone(), edge.id.clone(), edge.created_at.clone()];
        self.put_doc("put edge instance", sql, keys, to_doc(edge)?).await
    }

    async fn get_edge_instance(&self, tenant_id: &str, id: &str) -> InfraResult<Option<EdgeInstance>> {
        let sql = "SELECT doc FROM edge_instances WHERE tenant_id = ?1 AND id = ?2";
        self.get_doc("get edge instance", sql, vec![tenant_id.into(), id.into()])
            .await
    }

    async fn list_edge_instances(&self, tenant_id: &str) -> InfraResult<Vec<EdgeInstance>> {
        let sql = "SELECT doc FROM edge_instances WHERE tenant_id = ?1 ORDER BY created_at, id";
        self.list_docs("list edge instances", sql, vec![tenant_id.into()])
            .await
    }

    async fn put_encryption_key(&self, key: &EncryptionKey) -> InfraResult<()> {
        let sql = "INSERT OR REPLACE INTO encryption_keys (tenant_id, id, doc) VALUES (?1, ?2, ?3)";
        let keys = vec![key.tenant_id.clone(), key.id.clone()];
        self.put_doc("put encryption key", sql, keys, to_doc(key)?).await
    }

    async fn get_encryption_key(&self, tenant_id: &str, id: &str) -> InfraResult<Option<EncryptionKey>> {
        let sql = "SELECT doc FROM encryption_keys WHERE tenant_id = ?1 AND id = ?2";
        self.get_doc("get encryption key", sql, vec![tenant_id.into(), id.into()])
            .await
    }

    async fn insert_trusted_ca(&self, ca: &TrustedCa) -> InfraResult<bool> {
        let doc = to_doc(ca)?;
        let ca = ca.clone();
        self.with("insert trusted ca", move |conn| {
            let inserted = conn
                .execute(
                    "INSERT OR IGNORE INTO trusted_cas (tenant_id, fingerprint, created_at, doc) VALUES (?1, ?2, ?3, ?4)",
                    params![ca.tenant_id, ca.fingerprint, ca.created_at, doc],
                )
                .map_err(db_error("insert trusted ca"))?;
            Ok(inserted == 1)
        })
        .await
    }

    async fn list_trusted_cas(&self, tenant_id: &str) -> InfraResult<Vec<TrustedCa>> {
        let sql = "SELECT doc FROM trusted_cas WHERE tenant_id = ?1 ORDER BY created_at, fingerprint";
        self.list_docs("list trusted cas", sql, vec![tenant_id.into()])
            .await
    }

    async fn create_keystore_job(&self, job: &KeystoreImportJob) -> InfraResult<()> {
        let sql =
            "INSERT INTO keystore_jobs (tenant_id, id, created_at, open, doc) VALUES (?1, ?2, ?3, ?4, ?5)";
        self.write_job("create keystore job", sql, job_row(job)?)
            .await
            .map(|_| ())
    }

    async fn update_open_keystore_job(&self, job: &KeystoreImportJob) -> InfraResult<bool> {
        let sql = "UPDATE keystore_jobs SET created_at = ?3, open = ?4, doc = ?5
            WHERE tenant_id = ?1 AND id = ?2 AND open = 1";
        Ok(self
            .write_job("update open keystore job", sql, job_row(job)?)
            .await?
            == 1)
    }

    async fn get_keystore_job(&self, tenant_id: &str, id: &str) -> InfraResult<Option<KeystoreImportJob>> {
        let sql = "SELECT doc FROM keystore_jobs WHERE tenant_id = ?1 AND id = ?2";
        self.get_doc("get keystore job", sql, vec![tenant_id.into(), id.into()])
            .await
    }

    async fn open_keystore_jobs(&self, created_before: &str) -> InfraResult<Vec<(String, String)>> {
        let sql = "SELECT tenant_id, id FROM keystore_jobs
            WHERE open = 1 AND created_at < ?1 ORDER BY created_at, tenant_id, id";
        self.list_ids("open keystore jobs", sql, vec![created_before.to_string()])
            .await
    }

    async fn put_item_results(
        &self,
        tenant_id: &str,
        job_id: &str,
        results: &[ItemResult],
    ) -> InfraResult<()> {
        let rows = results
            .iter()
            .map(|r| Ok((r.ordinal, to_doc(r)?)))
            .collect::<InfraResult<Vec<_>>>()?;
        let (tenant_id, job_id) = (tenant_id.to_string(), job_id.to_string());
        self.with("put item results", move |conn| {
            let tx = conn.transaction().map_err(db_error("put item results"))?;
            {
                let mut insert = tx
                    .prepare_cached(
                        "INSERT OR REPLACE INTO keystore_results (tenant_id, job_id, ordinal, doc) VALUES (?1, ?2, ?3, ?4)",
                    )
                    .map_err(db_error("put item results"))?;
                for (ordinal, doc) in &rows {
                    insert
                        .execute(params![tenant_id, job_id, ordinal, doc])
                        .map_err(db_error("put item results"))?;
                }
            }
            tx.commit().map_err(db_error("put item results"))
        })
        .await
    }

    async fn item_results(&self, tenant_id: &str, job_id: &str) -> InfraResult<Vec<ItemResult>> {
        let sql = "SELECT doc FROM keystore_results WHERE tenant_id = ?1 AND job_id = ?2 ORDER BY ordinal";
        self.list_docs("list item results", sql, vec![tenant_id.into(), job_id.into()])
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
