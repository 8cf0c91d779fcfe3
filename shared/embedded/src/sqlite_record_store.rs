use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use certport_core::domain::{
    ApiKeyHash, ApiKeyRecord, CertFailure, CertImportJob, DeviceRecord, EnrollmentProfile, Tenant,
};
use certport_core::ports::{DeviceInsert, InfraError, InfraResult, RecordStore};
use rusqlite::{params, Connection, OptionalExtension};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::blocking;

/// Records as JSON documents in SQLite tables, with the keys and unique
/// constraints the ports promise as real columns.
#[derive(Clone)]
pub struct SqliteRecordStore {
    conn: Arc<Mutex<Connection>>,
}

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS tenants (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (hash TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS profiles (
    tenant_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (tenant_id, id));
CREATE TABLE IF NOT EXISTS cert_import_jobs (
    tenant_id TEXT NOT NULL, id TEXT NOT NULL, created_at TEXT NOT NULL DEFAULT '',
    open INTEGER NOT NULL DEFAULT 0, doc TEXT NOT NULL, PRIMARY KEY (tenant_id, id));
CREATE TABLE IF NOT EXISTS cert_import_failures (
    tenant_id TEXT NOT NULL, job_id TEXT NOT NULL, ordinal INTEGER NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, job_id, ordinal));
CREATE TABLE IF NOT EXISTS devices (
    tenant_id TEXT NOT NULL, device_identifier TEXT NOT NULL, fingerprint_sha256 TEXT NOT NULL,
    job_id TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, device_identifier),
    UNIQUE (tenant_id, fingerprint_sha256));
";

pub(crate) fn db_error(operation: &'static str) -> impl Fn(rusqlite::Error) -> InfraError {
    move |e| match e {
        rusqlite::Error::SqliteFailure(code, _)
            if matches!(
                code.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            InfraError::transient(operation, e)
        }
        other => InfraError::permanent(operation, other),
    }
}

pub(crate) fn to_doc<T: Serialize>(value: &T) -> InfraResult<String> {
    serde_json::to_string(value).map_err(|e| InfraError::permanent("encode record", e))
}

pub(crate) fn from_doc<T: DeserializeOwned>(doc: &str) -> InfraResult<T> {
    serde_json::from_str(doc).map_err(|e| InfraError::permanent("decode record", e))
}

impl SqliteRecordStore {
    pub fn open(path: &Path) -> InfraResult<Self> {
        let conn = Connection::open(path).map_err(db_error("open database"))?;
        conn.execute_batch(SCHEMA).map_err(db_error("create schema"))?;
        conn.execute_batch(crate::sqlite_keystore_store::KEYSTORE_SCHEMA)
            .map_err(db_error("create schema"))?;
        crate::sqlite_migrations::upgrade(&conn)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db_error("configure database"))?;
        Ok(SqliteRecordStore {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    pub(crate) async fn with<T: Send + 'static>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&mut Connection) -> InfraResult<T> + Send + 'static,
    ) -> InfraResult<T> {
        let conn = self.conn.clone();
        blocking(operation, move || {
            let mut guard = conn
                .lock()
                .map_err(|_| InfraError::permanent(operation, "database lock poisoned"))?;
            work(&mut guard)
        })
        .await
    }

    pub(crate) async fn put_doc(
        &self,
        operation: &'static str,
        sql: &'static str,
        keys: Vec<String>,
        doc: String,
    ) -> InfraResult<()> {
        self.with(operation, move |conn| {
            let mut values: Vec<&dyn rusqlite::ToSql> =
                keys.iter().map(|k| k as &dyn rusqlite::ToSql).collect();
            values.push(&doc);
            conn.execute(sql, values.as_slice())
                .map_err(db_error(operation))?;
            Ok(())
        })
        .await
    }

    pub(crate) async fn get_doc<T: DeserializeOwned + Send + 'static>(
        &self,
        operation: &'static str,
        sql: &'static str,
        keys: Vec<String>,
    ) -> InfraResult<Option<T>> {
        self.with(operation, move |conn| {
            let values: Vec<&dyn rusqlite::ToSql> = keys.iter().map(|k| k as &dyn rusqlite::ToSql).collect();
            let doc: Option<String> = conn
                .query_row(sql, values.as_slice(), |row| row.get(0))
                .optional()
                .map_err(db_error(operation))?;
            doc.as_deref().map(from_doc).transpose()
        })
        .await
    }
}

impl SqliteRecordStore {
    pub(crate) async fn list_docs<T: DeserializeOwned + Send + 'static>(
        &self,
        operation: &'static str,
        sql: &'static str,
        keys: Vec<String>,
    ) -> InfraResult<Vec<T>> {
        self.with(operation, move |conn| {
            let values: Vec<&dyn rusqlite::ToSql> = keys.iter().map(|k| k as &dyn rusqlite::ToSql).collect();
            let mut query = conn.prepare_cached(sql).map_err(db_error(operation))?;
            let docs = query
                .query_map(values.as_slice(), |row| row.get::<_, String>(0))
                .map_err(db_error(operation))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db_error(operation))?;
            docs.iter().map(|d| from_doc(d)).collect()
        })
        .await
    }
}

/// A job as its table stores it: the columns queries use, and the document.
pub(crate) struct JobRow {
    tenant_id: String,
    id: String,
    created_at: String,
    open: bool,
    doc: String,
}

impl JobRow {
    pub(crate) fn new<T: Serialize>(
        tenant_id: &str,
        id: &str,
        created_at: &str,
        open: bool,
        job: &T,
    ) -> InfraResult<JobRow> {
        Ok(JobRow {
            tenant_id: tenant_id.to_string(),
            id: id.to_string(),
            created_at: created_at.to_string(),
            open,
            doc: to_doc(job)?,
        })
    }
}

impl SqliteRecordStore {
    /// Runs `sql` with a job row's columns as ?1..?5; the number of rows it changed.
    pub(crate) async fn write_job(
        &self,
        operation: &'static str,
        sql: &'static str,
        row: JobRow,
    ) -> InfraResult<usize> {
        self.with(operation, move |conn| {
            conn.execute(
                sql,
                params![row.tenant_id, row.id, row.created_at, row.open, row.doc],
            )
            .map_err(db_error(operation))
        })
        .await
    }

    /// (tenant id, id) pairs a query selects.
    pub(crate) async fn list_ids(
        &self,
        operation: &'static str,
        sql: &'static str,
        keys: Vec<String>,
    ) -> InfraResult<Vec<(String, String)>> {
        self.with(operation, move |conn| {
            let values: Vec<&dyn rusqlite::ToSql> = keys.iter().map(|k| k as &dyn rusqlite::ToSql).collect();
            let mut query = conn.prepare_cached(sql).map_err(db_error(operation))?;
            let ids = query
                .query_map(values.as_slice(), |row| Ok((row.get(0)?, row.get(1)?)))
                .map_err(db_error(operation))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db_error(operation))?;
            Ok(ids)
        })
        .await
    }
}

#[async_trait]
impl RecordStore for SqliteRecordStore {
    async fn put_tenant(&self, tenant: &Tenant) -> InfraResult<()> {
        let sql = "INSERT OR REPLACE INTO tenants (id, doc) VALUES (?1, ?2)";
        self.put_doc("put tenant", sql, vec![tenant.id.clone()], to_doc(tenant)?)
            .await
    }

    async fn get_tenant(&self, tenant_id: &str) -> InfraResult<Option<Tenant>> {
        let sql = "SELECT doc FROM tenants WHERE id = ?1";
        self.get_doc("get tenant", sql, vec![tenant_id.to_string()]).await
    }

    async fn put_api_key(&self, key: &ApiKeyRecord) -> InfraResult<()> {
        let sql = "INSERT OR REPLACE INTO api_keys (hash, doc) VALUES (?1, ?2)";
        self.put_doc("put api key", sql, vec![key.hash.0.clone()], to_doc(key)?)
            .await
    }

    async fn find_api_key(&self, hash: &ApiKeyHash) -> InfraResult<Option<ApiKeyRecord>> {
        let sql = "SELECT doc FROM api_keys WHERE hash = ?1";
        self.get_doc("find api key", sql, vec![hash.0.clone()]).await
    }

    async fn put_profile(&self, profile: &EnrollmentProfile) -> InfraResult<()> {
        let sql = "INSERT OR REPLACE INTO profiles (tenant_id, id, doc) VALUES (?1, ?2, ?3)";
        let keys = vec![profile.tenant_id.clone(), profile.id.clone()];
        self.put_doc("put profile", sql, keys, to_doc(profile)?).await
    }

    async fn get_profile(&self, tenant_id: &str, id: &str) -> InfraResult<Option<EnrollmentProfile>> {
        let sql = "SELECT doc FROM profiles WHERE tenant_id = ?1 AND id = ?2";
        self.get_doc("get profile", sql, vec![tenant_id.to_string(), id.to_string()])
            .await
    }

    async fn create_job(&self, job: &CertImportJob) -> InfraResult<()> {
        let sql =
            "INSERT INTO cert_import_jobs (tenant_id, id, created_at, open, doc) VALUES (?1, ?2, ?3, ?4, ?5)";
        let row = JobRow::new(
            &job.tenant_id,
            &job.id,
            &job.created_at,
            !job.status.is_terminal(),
            job,
        )?;
        self.write_job("create job", sql, row).await.map(|_| ())
    }

    async fn update_open_job(&self, job: &CertImportJob) -> InfraResult<bool> {
        let sql = "UPDATE cert_import_jobs SET created_at = ?3, open = ?4, doc = ?5
            WHERE tenant_id = ?1 AND id = ?2 AND open = 1";
        let row = JobRow::new(
            &job.tenant_id,
            &job.id,
            &job.created_at,
            !job.status.is_terminal(),
            job,
        )?;
        Ok(self.write_job("update open job", sql, row).await? == 1)
    }

    async fn get_job(&self, tenant_id: &str, id: &str) -> InfraResult<Option<CertImportJob>> {
        let sql = "SELECT doc FROM cert_import_jobs WHERE tenant_id = ?1 AND id = ?2";
        self.get_doc("get job", sql, vec![tenant_id.to_string(), id.to_string()])
            .await
    }

    async fn open_jobs(&self, created_before: &str) -> InfraResult<Vec<(String, String)>> {
        let sql = "SELECT tenant_id, id FROM cert_import_jobs
            WHERE open = 1 AND created_at < ?1 ORDER BY created_at, tenant_id, id";
        self.list_ids("open jobs", sql, vec![created_before.to_string()])
            .await
    }

    async fn put_job_failures(
        &self,
        tenant_id: &str,
        job_id: &str,
        failures: &[CertFailure],
    ) -> InfraResult<()> {
        let rows = failures
            .iter()
            .map(|f| Ok((f.ordinal, to_doc(f)?)))
            .collect::<InfraResult<Vec<_>>>()?;
        let (tenant_id, job_id) = (tenant_id.to_string(), job_id.to_string());
        self.with("put job failures", move |conn| {
            let tx = conn.transaction().map_err(db_error("put job failures"))?;
            {
                let mut insert = tx
                    .prepare_cached(
                        "INSERT OR REPLACE INTO cert_import_failures (tenant_id, job_id, ordinal, doc) VALUES (?1, ?2, ?3, ?4)",
                    )
                    .map_err(db_error("put job failures"))?;
                for (ordinal, doc) in &rows {
                    insert
                        .execute(params![tenant_id, job_id, ordinal, doc])
                        .map_err(db_error("put job failures"))?;
                }
            }
            tx.commit().map_err(db_error("put job failures"))
        })
        .await
    }

    async fn job_failures(&self, tenant_id: &str, job_id: &str) -> InfraResult<Vec<CertFailure>> {
        let sql =
            "SELECT doc FROM cert_import_failures WHERE tenant_id = ?1 AND job_id = ?2 ORDER BY ordinal";
        self.list_docs("list job failures", sql, vec![tenant_id.into(), job_id.into()])
            .await
    }

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
}

#[cfg(test)]
mod contract {
    use crate::SqliteRecordStore;

    certport_core::store_contract_tests!({
        // Kept for the test's lifetime: the database lives in it.
        let dir = tempfile::tempdir().unwrap().keep();
        SqliteRecordStore::open(&dir.join("records.db")).unwrap()
    });
}
