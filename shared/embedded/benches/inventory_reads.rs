//! Reads of a 100,000-certificate inventory on embedded storage (SQLite):
//! `cargo bench -p certport-embedded --bench inventory_reads [-- <count>]`. Times a search
//! by fingerprint (a key lookup), a `validityEnd` range (the expiry index, 10% of the
//! certificates) and a FIND on the subject CN (every record read and parsed), best of 3.
// Test code: a failed step should stop the run that took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use certport_core::app::Limits;
use certport_core::testing::scenarios::{fill_inventory, time_searches};
use certport_embedded::open_deps;

fn main() {
    let count: u64 = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .map_or(100_000, |a| a.parse().expect("a certificate count"));
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let deps = open_deps(dir.path(), Limits::default()).unwrap();
        let started = Instant::now();
        let (caller, fingerprint) = fill_inventory(&deps, count).await;
        eprintln!(
            "filled {count} certificates in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        for (what, matches, took) in time_searches(&deps, &caller, &fingerprint, 3).await {
            println!(
                "embedded, {count} certificates: {what}: {matches} matches in {:.1} ms",
                took.as_secs_f64() * 1e3
            );
        }
    });
}
