//! Reads of a 100,000-certificate inventory on embedded storage (SQLite):
//! `cargo bench -p certport-embedded --bench inventory_reads [-- <count>]`. Times a search
//! by fingerprint (a key lookup), a `validityEnd` range (the expiry index, 10% of the
//! certificates) and a FIND on the subject CN (every record read and parsed), best of 3.
// Test code: a failed step should stop the run that took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use certport_core::app::Limits;
use certport_core::testing::scenarios::{bench_count, inventory_search_bench, FillWith};
use certport_embedded::open_deps;

fn main() {
    let count = bench_count(100_000);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let deps = open_deps(dir.path(), Limits::default()).unwrap();
        inventory_search_bench(&deps, count, "embedded", FillWith::Devices).await;
    });
}
