//! The searches of `certport-embedded`'s `inventory_reads` benchmark on DynamoDB over the
//! wire (moto server): `cargo bench -p certport-tests --bench moto_inventory_reads [-- <count>]`
//! (default 100,000). Uses the moto server `CERTPORT_TEST_MOTO_ENDPOINT` names, or starts
//! its own. moto is a single-threaded Python server: the numbers show how many round trips
//! each search takes, not what DynamoDB does.
// Test code: a failed step should stop the run that took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use certport_core::testing::scenarios::{bench_count, inventory_search_bench, FillWith};
use certport_tests::moto::{bench_endpoint, Stack};

fn main() {
    let count = bench_count(100_000);
    let (_own, endpoint) = bench_endpoint();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let stack = Stack::create_at(&endpoint).await;
        let deps = stack.function_config().deps(&stack.sdk);
        inventory_search_bench(&deps, count, "moto", FillWith::Keys).await;
    });
}
