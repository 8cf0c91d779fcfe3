//! The searches of `certport-embedded`'s `inventory_reads` benchmark on DynamoDB over the
//! wire (moto server): `cargo bench -p certport-tests --bench moto_inventory_reads [-- <count>]`
//! (default 100,000). Uses the moto server `CERTPORT_TEST_MOTO_ENDPOINT` names, or starts
//! its own. moto is a single-threaded Python server: the numbers show how many round trips
//! each search takes, not what DynamoDB does.
// Test code: a failed step should stop the run that took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use certport_core::testing::scenarios::{fill_inventory, time_searches};
use certport_tests::moto::{OwnMotoServer, Stack, ENDPOINT_VAR};

fn main() {
    let count: u64 = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .map_or(100_000, |a| a.parse().expect("a certificate count"));
    let own = std::env::var(ENDPOINT_VAR).is_err().then(OwnMotoServer::start);
    let endpoint = own.as_ref().map_or_else(
        || std::env::var(ENDPOINT_VAR).expect("endpoint"),
        |o| o.endpoint.clone(),
    );
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let stack = Stack::create_at(&endpoint).await;
        let deps = stack.function_config().deps(&stack.sdk);
        let started = Instant::now();
        let (caller, fingerprint) = fill_inventory(&deps, count).await;
        eprintln!(
            "filled {count} certificates in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        for (what, matches, took) in time_searches(&deps, &caller, &fingerprint, 3).await {
            println!(
                "moto, {count} certificates: {what}: {matches} matches in {:.1} ms",
                took.as_secs_f64() * 1e3
            );
        }
    });
}
