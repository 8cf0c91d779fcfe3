//! WAL checkpoints off the writer's path. A checkpoint copies the WAL's pages into the
//! database file and fsyncs both; run by the writing connection (SQLite's default, every
//! 1,000 pages) it stalls every write behind it: in a profile of a 10,000-certificate
//! import, almost half of the writer's time. Here a thread with its own connection runs a
//! passive checkpoint (one that never blocks writers or readers) shortly after writes,
//! while the writer goes on. The writer keeps a checkpoint of its own for a WAL that
//! grows past `WRITER_CHECKPOINT_BYTES` anyway: the WAL only starts over when a
//! checkpoint has copied every page before the next write, which a busy writer may not
//! leave the thread time for.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use certport_core::ports::{InfraError, InfraResult};
use rusqlite::Connection;

use crate::sqlite_error::db_error;

/// WAL past which the writer checkpoints itself (SQLite counts it in pages).
const WRITER_CHECKPOINT_BYTES: i64 = 64 * 1024 * 1024;

/// A large import's transactions can grow the WAL file past the writer's threshold;
/// once the WAL starts over, its file is cut back to this.
const WAL_FILE_LIMIT_BYTES: i64 = 64 * 1024 * 1024;

/// The writing connection's side of this arrangement: its own checkpoint only as a bound.
pub(crate) fn configure_writer(conn: &Connection) -> InfraResult<()> {
    conn.pragma_query_value(None, "page_size", |row| row.get::<_, i64>(0))
        .and_then(|page_size| {
            conn.pragma_update(
                None,
                "wal_autocheckpoint",
                WRITER_CHECKPOINT_BYTES / page_size.max(512),
            )
        })
        .and_then(|()| conn.pragma_update(None, "journal_size_limit", WAL_FILE_LIMIT_BYTES))
        .map_err(db_error("configure database"))
}

/// The least time between two checkpoints: pages a batch rewrites (index pages, mostly)
/// are then copied once for several batches, not after each.
const PAUSE: Duration = Duration::from_millis(100);

#[derive(Default)]
struct State {
    written: bool,
    stopping: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

/// The checkpointing thread; stopped (after a last checkpoint) when dropped.
pub(crate) struct Checkpointer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    pub(crate) fn start(path: &Path) -> InfraResult<Checkpointer> {
        let conn = Connection::open(path).map_err(db_error("open database"))?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(db_error("configure database"))?;
        let shared = Arc::new(Shared::default());
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn({
                let shared = shared.clone();
                move || run(&conn, &shared)
            })
            .map_err(|e| InfraError::permanent("start checkpoints", e))?;
        Ok(Checkpointer {
            shared,
            thread: Some(thread),
        })
    }

    /// Something was committed: checkpoint soon.
    pub(crate) fn written(&self) {
        if let Ok(mut state) = self.shared.state.lock() {
            state.written = true;
            self.shared.wake.notify_one();
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        if let Ok(mut state) = self.shared.state.lock() {
            state.stopping = true;
            self.shared.wake.notify_one();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(conn: &Connection, shared: &Shared) {
    loop {
        let Ok(state) = shared.state.lock() else { return };
        let Ok(mut state) = shared.wake.wait_while(state, |s| !s.written && !s.stopping) else {
            return;
        };
        let stopping = state.stopping;
        state.written = false;
        drop(state);
        // A busy or failed checkpoint is retried after the next write (and the writer's own
        // checkpoint bounds the WAL meanwhile).
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::debug!(error = %e, "background checkpoint did not run");
        }
        if stopping {
            return;
        }
        let Ok(state) = shared.state.lock() else { return };
        if shared
            .wake
            .wait_timeout_while(state, PAUSE, |s| !s.stopping)
            .is_err()
        {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_reaches_the_database_file_without_the_writer_checkpointing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (x);")
            .unwrap();
        let checkpointer = Checkpointer::start(&path).unwrap();
        writer
            .execute("INSERT INTO t VALUES (zeroblob(100000))", [])
            .unwrap();
        checkpointer.written();
        // Only a checkpoint moves pages from the WAL into the database file.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::fs::metadata(&path).unwrap().len() < 100_000 {
            assert!(std::time::Instant::now() < deadline, "no checkpoint");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}
