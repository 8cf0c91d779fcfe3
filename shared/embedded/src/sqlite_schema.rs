//! The database's schema as numbered migrations: `PRAGMA user_version` says how many a
//! database has had, and opening it applies the rest, each in a transaction. A change of
//! schema is a new migration at the end; one that ran is never edited.

use std::path::Path;

use certport_core::ports::{InfraError, InfraResult};
use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};

/// Version 1: the schema as it was first versioned.
const V1: &str = "
CREATE TABLE tenants (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE api_keys (hash TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE profiles (
    tenant_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (tenant_id, id));
CREATE TABLE jobs (
    tenant_id TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL, created_at TEXT NOT NULL,
    open INTEGER NOT NULL, reserved_items INTEGER NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id));
CREATE INDEX jobs_open ON jobs (open, created_at);
-- Counts a tenant's open work when a job is created.
CREATE INDEX jobs_tenant_open ON jobs (tenant_id) WHERE open = 1;
CREATE TABLE cert_import_failures (
    tenant_id TEXT NOT NULL, job_id TEXT NOT NULL, ordinal INTEGER NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, job_id, ordinal));
CREATE TABLE cert_import_shards (
    tenant_id TEXT NOT NULL, job_id TEXT NOT NULL, shard INTEGER NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, job_id, shard));
CREATE TABLE tenant_keys (key INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL UNIQUE);
CREATE TABLE inventory_certificates (
    tenant INTEGER NOT NULL, id TEXT NOT NULL, fingerprint_sha256 TEXT NOT NULL,
    fingerprint_sha1 TEXT NOT NULL, serial_number TEXT NOT NULL, validity_end TEXT NOT NULL,
    sort_key TEXT NOT NULL, der BLOB NOT NULL, created_at TEXT NOT NULL, modified_at TEXT NOT NULL,
    device_identifier TEXT, device_job_id TEXT, key_doc TEXT, PRIMARY KEY (tenant, id));
CREATE INDEX inventory_certificates_sha1 ON inventory_certificates (tenant, fingerprint_sha1);
CREATE INDEX inventory_certificates_serial ON inventory_certificates (tenant, serial_number);
CREATE INDEX inventory_certificates_listing ON inventory_certificates (tenant, sort_key);
CREATE TABLE inventory_devices (
    tenant INTEGER NOT NULL, id TEXT NOT NULL, device_identifier TEXT NOT NULL,
    certificate_id TEXT NOT NULL, profile_id TEXT NOT NULL, job_id TEXT NOT NULL,
    created_at TEXT NOT NULL, sort_key TEXT NOT NULL, fields TEXT NOT NULL, PRIMARY KEY (tenant, id));
CREATE INDEX inventory_devices_listing ON inventory_devices (tenant, sort_key);
CREATE TABLE audit_events (
    tenant_id TEXT NOT NULL, sort_key TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (tenant_id, sort_key));
CREATE TABLE edge_instances (
    tenant_id TEXT NOT NULL, id TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id));
CREATE TABLE encryption_keys (
    tenant_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (tenant_id, id));
CREATE TABLE trusted_cas (
    tenant_id TEXT NOT NULL, fingerprint TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, fingerprint));
CREATE TABLE keystore_results (
    tenant_id TEXT NOT NULL, job_id TEXT NOT NULL, ordinal INTEGER NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, job_id, ordinal));
";

/// Version 2: the sweeper's deadline runs from a job's last progress, not its creation.
const V2: &str = "
ALTER TABLE jobs RENAME COLUMN created_at TO active_at;
DROP INDEX jobs_open;
CREATE INDEX jobs_open ON jobs (open, active_at);
";

/// Version 3: API keys have scopes and can be revoked, and a tenant's keys are listed.
/// Keys from before had every power, so they keep every scope; their creation time was
/// not kept, so they list as created at the upgrade.
const V3: &str = "
ALTER TABLE api_keys ADD COLUMN tenant_id TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN id TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
UPDATE api_keys SET
    tenant_id = json_extract(doc, '$.tenant_id'),
    id = json_extract(doc, '$.id'),
    created_at = strftime('%Y-%m-%dT%H:%M:%S.000000Z', 'now');
UPDATE api_keys SET doc = json_set(doc,
    '$.scopes', json('[\"import\",\"read\",\"export\",\"manage\",\"admin\"]'),
    '$.created_at', created_at);
CREATE UNIQUE INDEX api_keys_of_tenant ON api_keys (tenant_id, id);
";

const MIGRATIONS: &[M<'static>] = &[M::up(V1), M::up(V2), M::up(V3)];

fn migrations() -> Migrations<'static> {
    Migrations::from_slice(MIGRATIONS)
}

/// Brings the database at `path` to the latest version. A database with tables but no
/// version was written by a build from before the schema was versioned: it is refused,
/// saying what to do, rather than guessed at.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> InfraResult<()> {
    let refused = |message: String| InfraError::permanent("open database", message);
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|e| refused(e.to_string()))?;
    let tables: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |row| row.get(0),
        )
        .map_err(|e| refused(e.to_string()))?;
    if version == 0 && tables > 0 {
        return Err(refused(format!(
            "{} was written by a development build of certport from before its schema was \
             versioned, and cannot be read: move the data directory aside and start afresh",
            path.display()
        )));
    }
    if version > MIGRATIONS.len() as i64 {
        return Err(refused(format!(
            "{} is at schema version {version}, newer than this certport knows ({}): run a newer certport",
            path.display(),
            MIGRATIONS.len()
        )));
    }
    migrations()
        .to_latest(conn)
        .map_err(|e| refused(format!("upgrading {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use certport_core::domain::JobKind;
    use certport_core::ports::{JobStore, OpenJob};

    use super::*;
    use crate::SqliteStore;

    #[test]
    fn the_migrations_are_valid() {
        migrations().validate().unwrap();
    }

    /// A database left at version 1 with an open job: opened, it is at the latest version,
    /// and the job is still there for the sweeper.
    #[tokio::test]
    async fn a_database_at_version_1_is_upgraded_with_its_open_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records.db");
        let mut conn = Connection::open(&path).unwrap();
        migrations().to_version(&mut conn, 1).unwrap();
        conn.execute(
            "INSERT INTO jobs VALUES ('t', 'j', 'keystores', '2026-01-01T00:00:00.000000Z', 1, 0, '{}')",
            [],
        )
        .unwrap();
        drop(conn);
        let store = SqliteStore::open(&path).unwrap();
        let open = store.open_jobs("2026-02-01T00:00:00.000000Z").await.unwrap();
        let job = OpenJob {
            kind: JobKind::KeystoreImport,
            tenant_id: "t".into(),
            job_id: "j".into(),
        };
        assert_eq!(open, vec![job]);
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
    }

    /// A key stored at version 2 had every power and no listing: after the upgrade it
    /// still authenticates, with every scope, and its tenant lists it.
    #[tokio::test]
    async fn a_database_at_version_2_keeps_its_keys_with_every_scope() {
        use certport_core::domain::{ApiKey, Scope};
        use certport_core::ports::TenantStore;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records.db");
        let mut conn = Connection::open(&path).unwrap();
        migrations().to_version(&mut conn, 2).unwrap();
        let key = ApiKey::generate();
        let doc =
            serde_json::json!({"id": "k1", "hash": key.hash().0, "tenant_id": "t", "name": "initial key"});
        conn.execute(
            "INSERT INTO api_keys (hash, doc) VALUES (?1, ?2)",
            rusqlite::params![key.hash().0, doc.to_string()],
        )
        .unwrap();
        drop(conn);
        let store = SqliteStore::open(&path).unwrap();
        let found = store.find_api_key(&key.hash()).await.unwrap().unwrap();
        assert_eq!((found.id.as_str(), found.scopes.clone()), ("k1", Scope::all()));
        assert_eq!(store.list_api_keys("t").await.unwrap(), vec![found]);
    }

    #[test]
    fn a_database_from_before_versions_is_refused_saying_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE devices (tenant_id TEXT, doc TEXT)")
            .unwrap();
        drop(conn);
        let error = SqliteStore::open(&path).err().expect("refused");
        assert!(error.message.contains("move the data directory aside"), "{error}");
    }

    #[test]
    fn a_database_newer_than_this_build_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA user_version = 99").unwrap();
        drop(conn);
        let error = SqliteStore::open(&path).err().expect("refused");
        assert!(error.message.contains("run a newer certport"), "{error}");
    }
}
