//! The end-to-end imports of `certport-embedded`'s `end_to_end` benchmark, on S3, DynamoDB
//! and KMS over the wire (moto server): `cargo bench -p certport-tests --bench moto_end_to_end`.
//! Uses the moto server `CERTPORT_TEST_MOTO_ENDPOINT` names, or starts its own from
//! `.build/venv` (made by `scripts/test`). moto is a single-threaded Python server, far
//! slower than AWS: this shows what the storage round trips cost, not what AWS does.
// Test code: a failed step should stop the run that took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use certport_core::app::Limits;
use certport_core::domain::ItemStatus;
use certport_core::testing::certs::ca_signed_keystores;
use certport_core::testing::scenarios::{
    certificate_templates, certificate_zip, import_certificates, import_keystores, keystore_batch, new_caller,
};
use certport_tests::moto::{bench_endpoint, Stack};

fn main() {
    let (_own, endpoint) = bench_endpoint();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let stack = Stack::create_at(&endpoint).await;
        let deps = stack.function_config().deps(&stack.sdk);
        assert_eq!(deps.limits, Limits::default());

        eprintln!("certificates: making 10,000 certificates from two openssl templates...");
        let zip = bytes::Bytes::from(certificate_zip(&certificate_templates(), 100, 100));
        let took = import_certificates(&deps, zip, 10_000).await;
        println!(
            "moto: 10,000-certificate zip, upload to COMPLETED: {:.1} s, {:.0} certificates/s",
            took.as_secs_f64(),
            10_000.0 / took.as_secs_f64()
        );

        eprintln!("keystores: making 100 RSA-2048 keystores with openssl...");
        let (ca, keystores) = ca_signed_keystores(100, "changeit");
        let caller = new_caller(&deps, "bench").await;
        let body = keystore_batch(&deps, &caller, &ca, &keystores, "changeit").await;
        let (statuses, took) = import_keystores(&deps, &caller, &body).await;
        assert!(
            statuses.iter().all(|s| *s == ItemStatus::Imported),
            "{statuses:?}"
        );
        println!(
            "moto: 100-keystore batch, upload to COMPLETED: {:.2} s, {:.0} keystores/s",
            took.as_secs_f64(),
            100.0 / took.as_secs_f64()
        );
    });
}
