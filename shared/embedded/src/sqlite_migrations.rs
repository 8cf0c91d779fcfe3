//! Brings a database written by an earlier version up to the current schema, at open.

use certport_core::ports::InfraResult;
use rusqlite::Connection;

use crate::sqlite_store::db_error;

/// Job tables gained `created_at` and `open` columns (the sweeper's query used to read
/// them out of the JSON document, under a different name for each kind of job).
struct JobTable {
    table: &'static str,
    created_path: &'static str,
    open_status: &'static str,
}

const JOB_TABLES: [JobTable; 2] = [
    JobTable {
        table: "cert_import_jobs",
        created_path: "$.created_at",
        open_status: "PENDING",
    },
    JobTable {
        table: "keystore_jobs",
        created_path: "$.creation_date",
        open_status: "PROCESSING",
    },
];

pub(crate) fn upgrade(conn: &Connection) -> InfraResult<()> {
    for job in &JOB_TABLES {
        if !has_column(conn, job.table, "open")? {
            let (table, path, status) = (job.table, job.created_path, job.open_status);
            conn.execute_batch(&format!(
                "BEGIN;
                ALTER TABLE {table} ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
                ALTER TABLE {table} ADD COLUMN open INTEGER NOT NULL DEFAULT 0;
                UPDATE {table} SET created_at = json_extract(doc, '{path}'),
                    open = (json_extract(doc, '$.status') = '{status}');
                COMMIT;"
            ))
            .map_err(db_error("upgrade database"))?;
        }
        conn.execute_batch(&format!(
            "CREATE INDEX IF NOT EXISTS {0}_open ON {0} (open, created_at)",
            job.table
        ))
        .map_err(db_error("upgrade database"))?;
    }
    Ok(())
}

fn has_column(conn: &Connection, table: &str, column: &str) -> InfraResult<bool> {
    let mut info = conn
        .prepare(&format!("PRAGMA table_info({table})"))
        .map_err(db_error("upgrade database"))?;
    let names = info
        .query_map([], |row| row.get::<_, String>(1))
        .map_err(db_error("upgrade database"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db_error("upgrade database"))?;
    Ok(names.iter().any(|n| n == column))
}

#[cfg(test)]
mod tests {
    use certport_core::domain::JobKind;
    use certport_core::ports::{JobStore, OpenJob};

    use crate::SqliteStore;

    /// Job tables as the previous version created them, with one unfinished job each.
    fn write_old_database(path: &std::path::Path) {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch(
            r#"CREATE TABLE cert_import_jobs (
                tenant_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (tenant_id, id));
            CREATE TABLE keystore_jobs (
                tenant_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (tenant_id, id));
            INSERT INTO cert_import_jobs VALUES ('t', 'c1',
                '{"status": "PENDING", "created_at": "2026-01-01T00:00:00.000000Z"}');
            INSERT INTO cert_import_jobs VALUES ('t', 'c2',
                '{"status": "COMPLETED", "created_at": "2026-01-01T00:00:00.000000Z"}');
            INSERT INTO keystore_jobs VALUES ('t', 'k1',
                '{"status": "PROCESSING", "creation_date": "2026-01-01T00:00:00.000000Z"}');"#,
        )
        .unwrap();
    }

    #[tokio::test]
    async fn an_old_database_keeps_its_unfinished_jobs_visible_to_the_sweeper() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records.db");
        write_old_database(&path);
        let store = SqliteStore::open(&path).unwrap();
        let later = "2026-02-01T00:00:00.000000Z";
        let open = |kind, id: &str| OpenJob {
            kind,
            tenant_id: "t".into(),
            job_id: id.into(),
        };
        assert_eq!(
            store.open_jobs(later).await.unwrap(),
            vec![
                open(JobKind::CertificateImport, "c1"),
                open(JobKind::KeystoreImport, "k1")
            ]
        );
        drop(store);
        // Opening again finds nothing left to do.
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.open_jobs(later).await.unwrap().len(), 2);
    }
}
