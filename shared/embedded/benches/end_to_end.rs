//! End-to-end imports on embedded storage (SQLite, files, local key file), from upload
//! to COMPLETED: `cargo bench -p certport-embedded --bench end_to_end [-- what...]`,
//! `what` among `certificates` and `keystores` (the default: both). A 1 GiB upload's time
//! and peak memory are measured through `certport serve` itself: `cargo bench -p certport
//! --bench serve -- large`.
//!
//! - certificates: 10,000 distinct certificates (RSA-2048 and P-256 alternating), one
//!   per file (the shape the API describes), then 100 files of 100; upload + processing,
//!   best of 3, each on fresh storage.
//! - keystores: a batch of 100 OpenSSL 3 default PKCS#12 files (RSA-2048, chained to a
//!   trusted CA), upload + processing, best of 3.
// Test code: a failed step should stop the run that took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use certport_core::app::Limits;
use certport_core::domain::ItemStatus;
use certport_core::testing::certs::ca_signed_keystores;
use certport_core::testing::scenarios::{
    certificate_templates, certificate_zip, import_certificates, import_keystores, keystore_batch, new_caller,
};
use certport_embedded::open_deps;

const RUNS: usize = 3;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let what: Vec<&str> = if args.is_empty() {
        vec!["certificates", "keystores"]
    } else {
        args.iter().map(String::as_str).collect()
    };
    for w in what {
        match w {
            "certificates" => runtime.block_on(certificates()),
            "keystores" => runtime.block_on(keystores()),
            other => panic!("unknown benchmark `{other}`: certificates or keystores"),
        }
    }
}

fn report(what: &str, count: usize, times: &[Duration]) {
    let best = times.iter().min().expect("runs");
    let all: Vec<String> = times
        .iter()
        .map(|t| format!("{:.0}", t.as_secs_f64() * 1e3))
        .collect();
    println!(
        "{what}: best {:.0} ms, {:.0}/s (runs: {} ms)",
        best.as_secs_f64() * 1e3,
        count as f64 / best.as_secs_f64(),
        all.join(", ")
    );
}

async fn certificates() {
    eprintln!("certificates: making 10,000 certificates from two templates...");
    let templates = certificate_templates();
    // The shape the API describes (a file per certificate) first, then 100 to a file.
    for (files, per_file) in [(10_000, 1), (100, 100)] {
        let zip = bytes::Bytes::from(certificate_zip(&templates, files, per_file));
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let dir = tempfile::tempdir().expect("temp dir");
            let deps = open_deps(dir.path(), Limits::default()).expect("embedded storage");
            times.push(import_certificates(&deps, zip.clone(), 10_000).await);
        }
        report(
            &format!(
                "10,000 certificates, {per_file} per file ({} KiB zip), upload to COMPLETED",
                zip.len() / 1024
            ),
            10_000,
            &times,
        );
    }
}

async fn keystores() {
    eprintln!("keystores: making 100 RSA-2048 keystores with openssl...");
    let (ca, keystores) = ca_signed_keystores(100, "changeit");
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let dir = tempfile::tempdir().expect("temp dir");
        let deps = open_deps(dir.path(), Limits::default()).expect("embedded storage");
        let caller = new_caller(&deps, "bench").await;
        let body = keystore_batch(&deps, &caller, &ca, &keystores, "changeit").await;
        let (statuses, took) = import_keystores(&deps, &caller, &body).await;
        assert!(
            statuses.iter().all(|s| *s == ItemStatus::Imported),
            "{statuses:?}"
        );
        assert_eq!(statuses.len(), 100);
        times.push(took);
    }
    let workers = Limits::default().keystore_workers;
    report(
        &format!("100-keystore batch ({workers} workers), upload to COMPLETED, keystores"),
        100,
        &times,
    );
}
