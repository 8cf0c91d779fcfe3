use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use certport_core::ports::{decode_record, encode_record, InfraError, InfraResult, Record};
use rusqlite::{Connection, OptionalExtension};

use crate::blocking;
use crate::sqlite_checkpointer::{configure_writer, Checkpointer};
pub(crate) use crate::sqlite_error::db_error;

/// Every store port on one SQLite database: most records as JSON documents, with the
/// keys, unique constraints and the columns queries use as real columns; the inventory,
/// written a row per certificate on every import, as columns alone. The ports' impls are
/// in `sqlite_tenants`, `sqlite_jobs` and `sqlite_inventory`. Writes go through one
/// connection, reads through another (WAL lets a reader see the last commit while the
/// writer is in a transaction), so a status poll or a search never waits behind an
/// import's batch.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    reader: Arc<Mutex<Connection>>,
    checkpointer: Arc<Checkpointer>,
}

/// Set on every open (the schema itself is `sqlite_schema`'s).
/// `synchronous = FULL`: a commit returns once the WAL is on the disk. With NORMAL, a
/// power loss may take back the last commits, among them a stored key's record or a job
/// that said COMPLETED; certport's commits are batches, so the fsync each costs is small.
const PRAGMAS: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
-- 32 MiB of page cache (SQLite's default is 2 MiB): an import's index pages stay in memory.
PRAGMA cache_size = -32768;
";

/// Statements each connection keeps prepared: every one the store runs (about 40; rusqlite
/// keeps 16 by default). Preparing is SQLite parsing the SQL: a quarter of the CPU of a
/// job status request when it was done every time.
const STATEMENT_CACHE: usize = 64;

/// The reading connection: refuses writes; a smaller page cache than the writer's (the
/// operating system caches the file too), so a large search adds little to the peak.
fn open_reader(path: &Path) -> InfraResult<Connection> {
    let conn = Connection::open(path).map_err(db_error("open database"))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.execute_batch("PRAGMA query_only = 1; PRAGMA cache_size = -8192;")
        .and_then(|()| conn.busy_timeout(std::time::Duration::from_secs(5)))
        .map_err(db_error("configure database"))?;
    Ok(conn)
}

/// Takes a connection's lock (on the blocking pool: it may wait behind a transaction).
fn lock<'a>(conn: &'a Mutex<Connection>, operation: &'static str) -> InfraResult<MutexGuard<'a, Connection>> {
    conn.lock()
        .map_err(|_| InfraError::permanent(operation, "database lock poisoned"))
}

pub(crate) fn to_doc<T: Record>(value: &T) -> InfraResult<String> {
    encode_record(value).map_err(|e| InfraError::permanent("encode record", e))
}

pub(crate) fn from_doc<T: Record>(doc: &str) -> InfraResult<T> {
    decode_record(doc).map_err(|e| InfraError::permanent("decode record", e))
}

impl SqliteStore {
    pub fn open(path: &Path) -> InfraResult<Self> {
        let mut conn = Connection::open(path).map_err(db_error("open database"))?;
        // Before anything that writes: another process (`certport admin` beside a running
        // `serve`) may hold the write lock for a moment.
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db_error("configure database"))?;
        conn.execute_batch(PRAGMAS)
            .map_err(db_error("configure database"))?;
        crate::sqlite_schema::migrate(&mut conn, path)?;
        configure_writer(&conn)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            reader: Arc::new(Mutex::new(open_reader(path)?)),
            checkpointer: Arc::new(Checkpointer::start(path)?),
        })
    }

    /// Runs read-only `work` on the reading connection: it sees every committed write.
    pub(crate) async fn read<T: Send + 'static>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&Connection) -> InfraResult<T> + Send + 'static,
    ) -> InfraResult<T> {
        let reader = self.reader.clone();
        blocking(operation, move || work(&*lock(&reader, operation)?)).await
    }

    pub(crate) async fn with<T: Send + 'static>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&mut Connection) -> InfraResult<T> + Send + 'static,
    ) -> InfraResult<T> {
        let (conn, checkpointer) = (self.conn.clone(), self.checkpointer.clone());
        blocking(operation, move || {
            let mut guard = lock(&conn, operation)?;
            let changes = guard.total_changes();
            let result = work(&mut guard);
            if guard.total_changes() != changes {
                checkpointer.written();
            }
            result
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
            conn.prepare_cached(sql)
                .and_then(|mut statement| statement.execute(values.as_slice()))
                .map_err(db_error(operation))?;
            Ok(())
        })
        .await
    }

    pub(crate) async fn get_doc<T: Record + Send + 'static>(
        &self,
        operation: &'static str,
        sql: &'static str,
        keys: Vec<String>,
    ) -> InfraResult<Option<T>> {
        self.read(operation, move |conn| {
            let values: Vec<&dyn rusqlite::ToSql> = keys.iter().map(|k| k as &dyn rusqlite::ToSql).collect();
            let doc: Option<String> = conn
                .prepare_cached(sql)
                .and_then(|mut query| query.query_row(values.as_slice(), |row| row.get(0)).optional())
                .map_err(db_error(operation))?;
            doc.as_deref().map(from_doc).transpose()
        })
        .await
    }
}

impl SqliteStore {
    pub(crate) async fn list_docs<T: Record + Send + 'static>(
        &self,
        operation: &'static str,
        sql: &'static str,
        keys: Vec<String>,
    ) -> InfraResult<Vec<T>> {
        self.read(operation, move |conn| {
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

#[cfg(test)]
mod contract {
    use crate::SqliteStore;

    certport_core::store_contract_tests!({
        // Kept for the test's lifetime: the database lives in it.
        let dir = tempfile::tempdir().unwrap().keep();
        SqliteStore::open(&dir.join("records.db")).unwrap()
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_reach_the_database_file_while_the_writer_leaves_checkpoints_to_the_thread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records.db");
        let store = SqliteStore::open(&path).unwrap();
        store
            .with("test write", |conn| {
                conn.execute_batch("CREATE TABLE filler (x); INSERT INTO filler VALUES (zeroblob(400000));")
                    .map_err(db_error("test write"))
            })
            .await
            .unwrap();
        // The writer checkpoints itself only past WRITER_CHECKPOINT_BYTES; these 400 KB
        // reach the file through the checkpoint thread.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::fs::metadata(&path).unwrap().len() < 400_000 {
            assert!(
                std::time::Instant::now() < deadline,
                "the write was not checkpointed"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    #[test]
    fn every_commit_is_on_the_disk_when_it_returns() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("records.db")).unwrap();
        let conn = store.conn.lock().unwrap();
        let synchronous: i64 = conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(synchronous, 2, "FULL");
    }

    #[test]
    fn the_writer_checkpoints_only_past_64_mib_of_wal() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("records.db")).unwrap();
        let conn = store.conn.lock().unwrap();
        let pragma = |name: &str| -> i64 { conn.pragma_query_value(None, name, |r| r.get(0)).unwrap() };
        assert_eq!(pragma("wal_autocheckpoint") * pragma("page_size"), 64 << 20);
    }

    #[test]
    fn sqlite_is_built_without_allocation_statistics() {
        // Set by .cargo/config.toml: with them, every SQLite allocation takes a global mutex.
        let conn = Connection::open_in_memory().unwrap();
        let options: Vec<String> = conn
            .prepare("PRAGMA compile_options")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"), "{options:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_read_is_answered_while_a_write_transaction_is_open() {
        use certport_core::domain::{Division, Tenant};
        use certport_core::ports::TenantStore;

        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("records.db")).unwrap();
        let division = Division {
            id: "d".into(),
            name: "D".into(),
        };
        let tenant = |name: &str| Tenant {
            id: "t".into(),
            name: name.into(),
            division: division.clone(),
        };
        store.put_tenant(&tenant("before")).await.unwrap();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (begun, has_begun) = tokio::sync::oneshot::channel();
        let doc = to_doc(&tenant("during")).unwrap();
        let writer = store.clone();
        let writing = tokio::spawn(async move {
            writer
                .with("test write", move |conn| {
                    let tx = conn.transaction().map_err(db_error("test write"))?;
                    tx.execute("UPDATE tenants SET doc = ?1 WHERE id = 't'", [doc])
                        .map_err(db_error("test write"))?;
                    begun.send(()).unwrap();
                    released.recv().unwrap();
                    tx.commit().map_err(db_error("test write"))
                })
                .await
        });
        has_begun.await.unwrap();

        let read = tokio::time::timeout(std::time::Duration::from_secs(30), store.get_tenant("t"))
            .await
            .expect("the read waited for the writer");
        assert_eq!(
            read.unwrap().unwrap().name,
            "before",
            "the last commit, not the open transaction"
        );
        release.send(()).unwrap();
        writing.await.unwrap().unwrap();
        assert_eq!(store.get_tenant("t").await.unwrap().unwrap().name, "during");
    }
}
