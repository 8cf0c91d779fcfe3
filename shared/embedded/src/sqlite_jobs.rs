//! `JobStore` on SQLite: one table per kind of job, each with its items.

use async_trait::async_trait;
use certport_core::domain::{
    Admission, CertFailure, CertImportJob, ItemResult, JobKind, KeystoreImportJob, KeystoreJobStatus,
    OpenWork, ShardReport, WorkQuota,
};
use certport_core::ports::{InfraResult, JobStore, OpenJob};
use rusqlite::{params, Connection, TransactionBehavior};

use crate::sqlite_store::{db_error, to_doc, JobRow, SqliteStore};

fn job_row(job: &KeystoreImportJob) -> InfraResult<JobRow> {
    let open = job.status == KeystoreJobStatus::Processing;
    JobRow::new(&job.tenant_id, &job.id, &job.creation_date, open, job)
}

/// A tenant's open work, counted from its open jobs (`*_tenant_open` indexes).
fn open_work(conn: &Connection, tenant_id: &str) -> rusqlite::Result<OpenWork> {
    let sql = "SELECT
        (SELECT COUNT(*) FROM cert_import_jobs WHERE tenant_id = ?1 AND open = 1)
          + (SELECT COUNT(*) FROM keystore_jobs WHERE tenant_id = ?1 AND open = 1),
        (SELECT COALESCE(SUM(reserved_items), 0) FROM keystore_jobs WHERE tenant_id = ?1 AND open = 1)";
    conn.prepare_cached(sql)?.query_row([tenant_id], |row| {
        Ok(OpenWork {
            jobs: row.get(0)?,
            keystore_items: row.get::<_, i64>(1)?.clamp(0, i64::from(u32::MAX)) as u32,
        })
    })
}

impl SqliteStore {
    /// Inserts a job with `sql` (its row as ?1..?5, its reserved items as ?6) if it is
    /// finished already or its tenant's open work admits it. Counting and inserting share
    /// one write transaction: racing creators (other processes too) take turns.
    async fn create_job(
        &self,
        operation: &'static str,
        sql: &'static str,
        row: JobRow,
        reserved_items: u32,
        quota: WorkQuota,
    ) -> InfraResult<Admission> {
        self.with(operation, move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_error(operation))?;
            if row.open {
                let open = open_work(&tx, &row.tenant_id).map_err(db_error(operation))?;
                let admission = quota.admits(open, reserved_items);
                if admission != Admission::Admitted {
                    return Ok(admission);
                }
            }
            tx.prepare_cached(sql)
                .and_then(|mut insert| {
                    insert.execute(params![
                        row.tenant_id,
                        row.id,
                        row.created_at,
                        row.open,
                        row.doc,
                        reserved_items
                    ])
                })
                .map_err(db_error(operation))?;
            tx.commit().map_err(db_error(operation))?;
            Ok(Admission::Admitted)
        })
        .await
    }

    /// Writes a job's per-item documents (`(ordinal, doc)`) with `sql`, in one transaction.
    async fn put_job_items(
        &self,
        operation: &'static str,
        sql: &'static str,
        tenant_id: &str,
        job_id: &str,
        rows: Vec<(u32, String)>,
    ) -> InfraResult<()> {
        let (tenant_id, job_id) = (tenant_id.to_string(), job_id.to_string());
        self.with(operation, move |conn| {
            let tx = conn.transaction().map_err(db_error(operation))?;
            {
                let mut insert = tx.prepare_cached(sql).map_err(db_error(operation))?;
                for (ordinal, doc) in &rows {
                    insert
                        .execute(params![tenant_id, job_id, ordinal, doc])
                        .map_err(db_error(operation))?;
                }
            }
            tx.commit().map_err(db_error(operation))
        })
        .await
    }
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn create_certificate_job(&self, job: &CertImportJob, quota: WorkQuota) -> InfraResult<Admission> {
        let sql = "INSERT INTO cert_import_jobs (tenant_id, id, created_at, open, doc, reserved_items)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
        let row = JobRow::new(
            &job.tenant_id,
            &job.id,
            &job.created_at,
            !job.status.is_terminal(),
            job,
        )?;
        self.create_job("create job", sql, row, 0, quota).await
    }

    async fn get_certificate_job(&self, tenant_id: &str, id: &str) -> InfraResult<Option<CertImportJob>> {
        let sql = "SELECT doc FROM cert_import_jobs WHERE tenant_id = ?1 AND id = ?2";
        self.get_doc("get job", sql, vec![tenant_id.to_string(), id.to_string()])
            .await
    }

    async fn update_open_certificate_job(&self, job: &CertImportJob) -> InfraResult<bool> {
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

    async fn put_certificate_failures(
        &self,
        tenant_id: &str,
        job_id: &str,
        failures: &[CertFailure],
    ) -> InfraResult<()> {
        let rows = failures.iter().map(|f| Ok((f.ordinal, to_doc(f)?)));
        let sql = "INSERT OR REPLACE INTO cert_import_failures (tenant_id, job_id, ordinal, doc) VALUES (?1, ?2, ?3, ?4)";
        self.put_job_items(
            "put job failures",
            sql,
            tenant_id,
            job_id,
            rows.collect::<InfraResult<_>>()?,
        )
        .await
    }

    async fn certificate_failures(
        &self,
        tenant_id: &str,
        job_id: &str,
        after: Option<u32>,
        limit: usize,
    ) -> InfraResult<Vec<CertFailure>> {
        let sql = "SELECT doc FROM cert_import_failures WHERE tenant_id = ?1 AND job_id = ?2 \
                   AND ordinal > CAST(?3 AS INTEGER) ORDER BY ordinal LIMIT CAST(?4 AS INTEGER)";
        let after = after.map_or(-1, i64::from).to_string();
        let keys = vec![tenant_id.into(), job_id.into(), after, limit.to_string()];
        self.list_docs("list job failures", sql, keys).await
    }

    async fn record_shard(&self, tenant_id: &str, job_id: &str, report: &ShardReport) -> InfraResult<bool> {
        let sql = "INSERT OR IGNORE INTO cert_import_shards (tenant_id, job_id, shard, doc) VALUES (?1, ?2, ?3, ?4)";
        let (tenant_id, job_id, shard, doc) = (
            tenant_id.to_string(),
            job_id.to_string(),
            report.shard,
            to_doc(report)?,
        );
        self.with("record shard", move |conn| {
            let inserted = conn
                .prepare_cached(sql)
                .and_then(|mut insert| insert.execute(params![tenant_id, job_id, shard, doc]))
                .map_err(db_error("record shard"))?;
            Ok(inserted == 1)
        })
        .await
    }

    async fn shard_reports(&self, tenant_id: &str, job_id: &str) -> InfraResult<Vec<ShardReport>> {
        let sql = "SELECT doc FROM cert_import_shards WHERE tenant_id = ?1 AND job_id = ?2 ORDER BY shard";
        self.list_docs("list shard reports", sql, vec![tenant_id.into(), job_id.into()])
            .await
    }

    async fn create_keystore_job(&self, job: &KeystoreImportJob, quota: WorkQuota) -> InfraResult<Admission> {
        let sql = "INSERT INTO keystore_jobs (tenant_id, id, created_at, open, doc, reserved_items)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
        let (row, reserved) = (job_row(job)?, job.reserved_items);
        self.create_job("create keystore job", sql, row, reserved, quota)
            .await
    }

    async fn get_keystore_job(&self, tenant_id: &str, id: &str) -> InfraResult<Option<KeystoreImportJob>> {
        let sql = "SELECT doc FROM keystore_jobs WHERE tenant_id = ?1 AND id = ?2";
        self.get_doc("get keystore job", sql, vec![tenant_id.into(), id.into()])
            .await
    }

    async fn update_open_keystore_job(&self, job: &KeystoreImportJob) -> InfraResult<bool> {
        let sql = "UPDATE keystore_jobs SET created_at = ?3, open = ?4, doc = ?5
            WHERE tenant_id = ?1 AND id = ?2 AND open = 1";
        Ok(self
            .write_job("update open keystore job", sql, job_row(job)?)
            .await?
            == 1)
    }

    async fn put_item_results(
        &self,
        tenant_id: &str,
        job_id: &str,
        results: &[ItemResult],
    ) -> InfraResult<()> {
        let rows = results.iter().map(|r| Ok((r.ordinal, to_doc(r)?)));
        let sql = "INSERT OR REPLACE INTO keystore_results (tenant_id, job_id, ordinal, doc) VALUES (?1, ?2, ?3, ?4)";
        self.put_job_items(
            "put item results",
            sql,
            tenant_id,
            job_id,
            rows.collect::<InfraResult<_>>()?,
        )
        .await
    }

    async fn item_results(&self, tenant_id: &str, job_id: &str) -> InfraResult<Vec<ItemResult>> {
        let sql = "SELECT doc FROM keystore_results WHERE tenant_id = ?1 AND job_id = ?2 ORDER BY ordinal";
        self.list_docs("list item results", sql, vec![tenant_id.into(), job_id.into()])
            .await
    }

    async fn open_jobs(&self, created_before: &str) -> InfraResult<Vec<OpenJob>> {
        let sql =
            "SELECT 'C', tenant_id, id, created_at FROM cert_import_jobs WHERE open = 1 AND created_at < ?1
            UNION ALL
            SELECT 'K', tenant_id, id, created_at FROM keystore_jobs WHERE open = 1 AND created_at < ?1
            ORDER BY 4, 2, 3";
        let created_before = created_before.to_string();
        self.read("open jobs", move |conn| {
            let mut query = conn.prepare_cached(sql).map_err(db_error("open jobs"))?;
            let rows = query
                .query_map(params![created_before], |row| {
                    let kind = match row.get::<_, String>(0)?.as_str() {
                        "C" => JobKind::CertificateImport,
                        _ => JobKind::KeystoreImport,
                    };
                    Ok(OpenJob {
                        kind,
                        tenant_id: row.get(1)?,
                        job_id: row.get(2)?,
                    })
                })
                .map_err(db_error("open jobs"))?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_error("open jobs"))
        })
        .await
    }
}
