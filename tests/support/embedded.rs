//! The embedded adapters (SQLite, files, a local key file) in a scratch directory.

use std::path::Path;

use certport_core::app::{Deps, Limits};

pub fn embedded_deps(dir: &Path, limits: Limits) -> Deps {
    certport_embedded::open_deps(dir, limits).expect("embedded storage")
}
