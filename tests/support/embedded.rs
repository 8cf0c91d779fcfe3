//! The embedded adapters (SQLite, files, a local key file) in a scratch directory.

use std::path::Path;
use std::sync::Arc;

use certport_core::app::{Deps, KeyServices, Limits};
use certport_embedded::{FsObjectStore, LocalKeyService, SqliteRecordStore};

pub fn embedded_deps(dir: &Path, limits: Limits) -> Deps {
    let records = Arc::new(SqliteRecordStore::open(&dir.join("records.db")).expect("open SQLite"));
    let keys = Arc::new(LocalKeyService::open_or_create(&dir.join("local-kms.key")).expect("key file"));
    Deps {
        objects: Arc::new(FsObjectStore::open(dir.join("objects")).expect("object dir")),
        records: records.clone(),
        keystores: records,
        keys: KeyServices {
            dek: keys.clone(),
            data: keys,
        },
        limits,
    }
}
