//! `JobStore` on SQLite: one `jobs` table for both kinds, each kind's per-item outcomes
//! in a table of their own.

use async_trait::async_trait;
use certport_core::domain::{
    Admission, CertFailure, ItemResult, Job, JobKind, OpenWork, ShardReport, WorkQuota,
};
use certport_core::ports::{InfraError, InfraResult, JobStore, OpenJob};
use rusqlite::{params, Connection, TransactionBehavior};

use crate::sqlite_store::{db_error, to_doc, SqliteStore};

fn kind_column(kind: JobKind) -> &'static str {
    match kind {
        JobKind::CertificateImport => "certificates",
        JobKind::KeystoreImport => "keystores",
    }
}

/// A tenant's open work, counted from its open jobs (the `jobs_tenant_open` index).
fn open_work(conn: &Connection, tenant_id: &str) -> rusqlite::Result<OpenWork> {
    let sql = "SELECT COUNT(*), COALESCE(SUM(reserved_items), 0) FROM jobs WHERE tenant_id = ?1 AND open = 1";
    conn.prepare_cached(sql)?.query_row([tenant_id], |row| {
        Ok(OpenWork {
            jobs: row.get(0)?,
            keystore_items: row.get::<_, i64>(1)?.clamp(0, i64::from(u32::MAX)) as u32,
        })
    })
}

impl SqliteStore {
    /// Writes `job` over the stored one while that one is open: `true` when it did.
    async fn replace_open_job(&self, operation: &'static str, job: &Job) -> InfraResult<bool> {
        let sql = "UPDATE jobs SET open = ?3, active_at = ?4, doc = ?5 WHERE tenant_id = ?1 AND id = ?2 AND open = 1";
        let (tenant_id, id, open, doc) = (job.tenant_id.clone(), job.id.clone(), job.is_open(), to_doc(job)?);
        let active_at = job.active_at.clone();
        self.with(operation, move |conn| {
            let changed = conn
                .prepare_cached(sql)
                .and_then(|mut update| update.execute(params![tenant_id, id, open, active_at, doc]))
                .map_err(db_error(operation))?;
            Ok(changed == 1)
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
    /// Counting the tenant's open work and inserting share one write transaction: racing
    /// creators (other processes too) take turns.
    async fn create_job(&self, job: &Job, quota: WorkQuota) -> InfraResult<Admission> {
        let operation = "create job";
        let sql = "INSERT INTO jobs (tenant_id, id, kind, active_at, open, reserved_items, doc)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
        let row = (
            job.tenant_id.clone(),
            job.id.clone(),
            kind_column(job.kind()),
            job.active_at.clone(),
            job.is_open(),
            job.reserved_items,
            to_doc(job)?,
        );
        self.with(operation, move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_error(operation))?;
            if row.4 {
                let open = open_work(&tx, &row.0).map_err(db_error(operation))?;
                let admission = quota.admits(open, row.5);
                if admission != Admission::Admitted {
                    return Ok(admission);
                }
            }
            tx.prepare_cached(sql)
                .and_then(|mut insert| {
                    insert.execute(params![row.0, row.1, row.2, row.3, row.4, row.5, row.6])
                })
                .map_err(db_error(operation))?;
            tx.commit().map_err(db_error(operation))?;
            Ok(Admission::Admitted)
        })
        .await
    }

    async fn get_job(&self, tenant_id: &str, id: &str) -> InfraResult<Option<Job>> {
        let sql = "SELECT doc FROM jobs WHERE tenant_id = ?1 AND id = ?2";
        self.get_doc("get job", sql, vec![tenant_id.into(), id.into()])
            .await
    }

    async fn update_open_job(&self, job: &Job) -> InfraResult<bool> {
        if !job.is_open() {
            return Err(InfraError::permanent(
                "update open job",
                "the job given has ended",
            ));
        }
        self.replace_open_job("update open job", job).await
    }

    async fn finish_job(&self, job: &Job) -> InfraResult<bool> {
        if job.is_open() {
            return Err(InfraError::permanent("finish job", "the job given is open"));
        }
        self.replace_open_job("finish job", job).await
    }

    async fn open_jobs(&self, active_before: &str) -> InfraResult<Vec<OpenJob>> {
        let sql = "SELECT kind, tenant_id, id FROM jobs WHERE open = 1 AND active_at < ?1
            ORDER BY active_at, tenant_id, id";
        let active_before = active_before.to_string();
        self.read("open jobs", move |conn| {
            let mut query = conn.prepare_cached(sql).map_err(db_error("open jobs"))?;
            let rows = query
                .query_map(params![active_before], |row| {
                    let kind = match row.get::<_, String>(0)?.as_str() {
                        "certificates" => JobKind::CertificateImport,
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
}
