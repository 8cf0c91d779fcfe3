//! What an import costs on AWS, counted from a real run: every S3, DynamoDB and KMS call
//! the upload and the processor make for 500 certificates (and for a 50-keystore
//! batch), seen by the proxy in front of moto server, per certificate and per million.
//! `cargo bench -p certport-tests --bench moto_call_counts [-- <latency ms>]`
//!
//! Write units come from the written items' sizes in the requests (an upper bound);
//! index entries are not in the requests and are modelled (the table's three indexes copy
//! a certificate's item once each at most). Lambda time is modelled from the calls: the
//! processor keeps 4 transactions in flight, each taking the given latency (default 25 ms),
//! plus its parsing (~11 µs a certificate on one vCPU, the `parse_path` bench).
// Test code: a failed step should stop the run that took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use certport_core::domain::ItemStatus;
use certport_core::testing::certs::ca_signed_keystores;
use certport_core::testing::scenarios::{
    certificate_templates, certificate_zip, import_certificates, import_keystores, keystore_batch, new_caller,
};
use certport_tests::flaky_aws::{Call, FlakyAws};
use certport_tests::moto::{bench_endpoint, Stack};

const CERTIFICATES: u64 = 500;
const KEYSTORES: u64 = 50;
/// List prices, us-east-1: DynamoDB on demand per million write units; S3 per thousand
/// PUTs and GETs; KMS per ten thousand requests; Lambda per GB-second (x86).
const DYNAMODB_WRITE_UNIT: f64 = 0.625 / 1e6;
const S3_PUT: f64 = 0.005 / 1e3;
const S3_GET: f64 = 0.0004 / 1e3;
const KMS_REQUEST: f64 = 0.03 / 1e4;
const LAMBDA_GB_SECOND: f64 = 0.000_016_666_7;
/// Index entries per certificate (lookup, serial and listing for the certificate item,
/// lookup and listing for the device), each under 1 KB except the two listing entries.
const INDEX_UNITS: f64 = 7.0;
const PROCESSOR_GB: f64 = 1.0;
const PARSE_SECONDS: f64 = 11e-6;
const TRANSACTIONS_IN_FLIGHT: f64 = 4.0;

fn main() {
    let latency_ms: f64 = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .map_or(25.0, |a| a.parse().expect("latency in ms"));
    let (_own, endpoint) = bench_endpoint();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let stack = Stack::create_at(&endpoint).await;
        let proxy = FlakyAws::start(&endpoint, Box::new(|_| None)).await;
        let deps = stack.function_config().deps(&proxy.sdk_config().await);

        eprintln!("certificates: {CERTIFICATES} certificates, 5 files of 100...");
        let zip = certificate_zip(&certificate_templates(), 5, 100);
        let before = proxy.calls().len();
        import_certificates(&deps, zip.into(), CERTIFICATES).await;
        let calls = proxy.calls()[before..].to_vec();
        report("certificate import (API A)", &calls, CERTIFICATES, latency_ms);

        eprintln!("keystores: {KEYSTORES} RSA-2048 keystores...");
        let (ca, keystores) = ca_signed_keystores(KEYSTORES as usize, "changeit");
        let caller = new_caller(&deps, "bench").await;
        let body = keystore_batch(&deps, &caller, &ca, &keystores, "changeit").await;
        let before = proxy.calls().len();
        let (statuses, _) = import_keystores(&deps, &caller, &body).await;
        assert!(
            statuses.iter().all(|s| *s == ItemStatus::Imported),
            "{statuses:?}"
        );
        let calls = proxy.calls()[before..].to_vec();
        report("keystore import (API B)", &calls, KEYSTORES, latency_ms);
    });
}

fn report(what: &str, calls: &[Call], count: u64, latency_ms: f64) {
    let n = count as f64;
    let mut by_operation: BTreeMap<(String, String), (u64, usize, f64)> = BTreeMap::new();
    for call in calls {
        let entry = by_operation
            .entry((format!("{:?}", call.service), call.operation.clone()))
            .or_default();
        entry.0 += 1;
        entry.1 += call.items;
        entry.2 += call.write_units;
    }
    println!("\n{what}: {count} items, {} calls", calls.len());
    println!("| service | call | calls per item | items named per item | table write units per item |");
    println!("|---|---|---|---|---|");
    for ((service, operation), (calls, items, units)) in &by_operation {
        println!(
            "| {service} | {operation} | {:.4} | {:.2} | {:.2} |",
            *calls as f64 / n,
            *items as f64 / n,
            units / n
        );
    }
    let count_of = |service: &str, operations: &[&str]| -> f64 {
        by_operation
            .iter()
            .filter(|((s, o), _)| s == service && operations.contains(&o.as_str()))
            .map(|(_, (c, _, _))| *c as f64)
            .sum::<f64>()
            / n
            + 0.0
    };
    let table_units: f64 = by_operation.values().map(|(_, _, u)| u).sum::<f64>() / n;
    let write_units = table_units + INDEX_UNITS;
    let (puts, gets) = (count_of("S3", &["PUT", "POST"]), count_of("S3", &["GET", "HEAD"]));
    let kms = by_operation
        .iter()
        .filter(|((s, _), _)| s == "Kms")
        .map(|(_, (c, _, _))| *c as f64)
        .sum::<f64>()
        / n
        + 0.0;
    let transactions = count_of("DynamoDb", &["TransactWriteItems", "BatchWriteItem"]);
    let seconds = PARSE_SECONDS + transactions * latency_ms / 1e3 / TRANSACTIONS_IN_FLIGHT;
    let gb_seconds = seconds * PROCESSOR_GB;
    let per_million = |x: f64| x * 1e6;
    println!(
        "per item: {write_units:.1} write units ({table_units:.1} table, {INDEX_UNITS} index, modelled), \
         {puts:.4} S3 PUTs, {gets:.4} S3 GETs, {kms:.4} KMS calls, \
         {:.1} ms of a {PROCESSOR_GB} GB processor at {latency_ms} ms a call ({gb_seconds:.6} GB-s)",
        seconds * 1e3
    );
    println!(
        "per million: DynamoDB ${:.2}, S3 ${:.3}, KMS ${:.2}, Lambda ${:.4}; total ${:.2}",
        per_million(write_units * DYNAMODB_WRITE_UNIT),
        per_million(puts * S3_PUT + gets * S3_GET),
        per_million(kms * KMS_REQUEST),
        per_million(gb_seconds * LAMBDA_GB_SECOND),
        per_million(
            write_units * DYNAMODB_WRITE_UNIT
                + puts * S3_PUT
                + gets * S3_GET
                + kms * KMS_REQUEST
                + gb_seconds * LAMBDA_GB_SECOND
        )
    );
}
