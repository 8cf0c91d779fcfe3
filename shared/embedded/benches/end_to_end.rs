//! End-to-end imports on embedded storage (SQLite, files, local key file), from upload
//! to COMPLETED: `cargo bench -p certport-embedded --bench end_to_end [-- what...]`,
//! `what` among `certificates`, `keystores` (the default: both) and `large`.
//!
//! - certificates: a zip of 10,000 distinct certificates (RSA-2048 and P-256 alternating,
//!   100 files of 100), upload + processing, best of 3, each on fresh storage.
//! - keystores: a batch of 100 OpenSSL 3 default PKCS#12 files (RSA-2048, chained to a
//!   trusted CA), upload + processing, best of 3.
//! - large: a zip of at least 1 GB of incompressible certificates; the processor alone runs
//!   in a child process under `/usr/bin/time -v`, which reports its peak RSS.
// Test code: a failed step should stop the run that took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use certport_core::app::{Limits, ProcessOutcome, UploadProcessor};
use certport_core::domain::ItemStatus;
use certport_core::testing::certs::{
    ca_signed_keystores, numbered_copy, pem_of, scramble_rsa2048, self_signed, KeyType,
};
use certport_core::testing::scenarios::{
    certificate_templates, certificate_zip, import_certificates, import_keystores, keystore_batch,
    new_caller, pem_profile, MARKER,
};
use certport_embedded::open_deps;

const RUNS: usize = 3;
const LARGE_ZIP_BYTES: u64 = 1_000_000_000;
const LARGE_PER_FILE: usize = 1_000;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    if let [mode, dir, key] = args.as_slice() {
        if mode == "process-large" {
            return runtime.block_on(process_large(Path::new(dir), key));
        }
    }
    let what: Vec<&str> = if args.is_empty() {
        vec!["certificates", "keystores"]
    } else {
        args.iter().map(String::as_str).collect()
    };
    for w in what {
        match w {
            "certificates" => runtime.block_on(certificates()),
            "keystores" => runtime.block_on(keystores()),
            "large" => runtime.block_on(large()),
            other => panic!("unknown benchmark `{other}`: certificates, keystores or large"),
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
    eprintln!("certificates: making 10,000 certificates from two openssl templates...");
    let zip = bytes::Bytes::from(certificate_zip(&certificate_templates(), 100, 100));
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let dir = tempfile::tempdir().expect("temp dir");
        let deps = open_deps(dir.path(), Limits::default()).expect("embedded storage");
        times.push(import_certificates(&deps, zip.clone(), 10_000).await);
    }
    println!("zip: {} KiB", zip.len() / 1024);
    report(
        "10,000-certificate zip, upload to COMPLETED, certificates",
        10_000,
        &times,
    );
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

async fn large() {
    let dir = tempfile::tempdir().expect("temp dir");
    let zip_path = dir.path().join("large.zip");
    eprintln!("large: writing a zip of at least {LARGE_ZIP_BYTES} bytes...");
    let started = Instant::now();
    let certificates = write_large_zip(&zip_path);
    let zip = bytes::Bytes::from(std::fs::read(&zip_path).expect("read zip"));
    std::fs::remove_file(&zip_path).expect("remove zip");
    eprintln!(
        "large: {certificates} certificates, {} bytes, made in {:.0} s; uploading...",
        zip.len(),
        started.elapsed().as_secs_f64()
    );
    let data = dir.path().join("data");
    let deps = open_deps(&data, Limits::default()).expect("embedded storage");
    let caller = new_caller(&deps, "bench").await;
    let profile = pem_profile(&deps, &caller).await;
    let upload = certport_core::app::CertImportUpload {
        profile_id: profile,
        file_name: "large.zip".into(),
        zip: zip.clone(),
        ip_address: None,
    };
    let job = certport_core::app::upload_certificate_import(&deps, &caller, upload)
        .await
        .expect("upload");
    let zip_bytes = zip.len();
    drop((zip, deps));

    eprintln!("large: processing in a child process under /usr/bin/time -v...");
    let exe = std::env::current_exe().expect("this bench binary");
    let output = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(exe)
        .args(["process-large", &data.to_string_lossy(), &job.object_key])
        .output()
        .expect("run /usr/bin/time (Debian package `time`)");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the processor failed: {stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let field = |name: &str| {
        stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .map(str::trim)
            .unwrap_or("?")
            .to_string()
    };
    println!("large zip: {zip_bytes} bytes, {certificates} certificates");
    print!("{stdout}");
    println!(
        "processor peak RSS: {} MiB (/usr/bin/time: {} KiB), wall {}",
        field("Maximum resident set size (kbytes):")
            .parse::<u64>()
            .map_or(0, |k| k / 1024),
        field("Maximum resident set size (kbytes):"),
        field("Elapsed (wall clock) time (h:mm:ss or m:ss):")
    );
}

/// The processor alone, on the upload `large` stored: what `/usr/bin/time` measures.
async fn process_large(data: &Path, key: &str) {
    let deps = open_deps(data, Limits::default()).expect("embedded storage");
    let started = Instant::now();
    let outcome = UploadProcessor::CertificateImport
        .process(&deps, key)
        .await
        .expect("process");
    let ProcessOutcome::Completed { total, failed, .. } = outcome else {
        panic!("not completed: {outcome:?}");
    };
    assert_eq!(failed, 0, "every certificate imports");
    let took = started.elapsed().as_secs_f64();
    println!(
        "processing: {total} certificates in {took:.1} s, {:.0} certificates/s",
        total as f64 / took
    );
}

/// RSA-2048 certificates with their modulus and signature replaced by noise (so they
/// compress as real ones do), 1,000 to a file, until the zip reaches `LARGE_ZIP_BYTES`.
fn write_large_zip(path: &Path) -> u64 {
    let template = self_signed(
        KeyType::Rsa2048,
        &format!("/CN=device-{MARKER}/O=Bench Inc/L=Oslo"),
        Some(&format!("DNS:device-{MARKER}.example.com")),
    )
    .der;
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut noise = || {
        // xorshift64: fast, and enough to defeat deflate.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as u8
    };
    let file = std::fs::File::create(path).expect("create zip");
    let mut writer = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let options = zip::write::SimpleFileOptions::default();
    let mut n = 0u64;
    for f in 0.. {
        if std::fs::metadata(path).expect("zip size").len() >= LARGE_ZIP_BYTES {
            break;
        }
        writer
            .start_file(format!("devices-{f}.pem"), options)
            .expect("start file");
        for _ in 0..LARGE_PER_FILE {
            let mut der = numbered_copy(&template, MARKER.as_bytes(), n);
            scramble_rsa2048(&mut der, &mut noise);
            writer.write_all(pem_of(&der).as_bytes()).expect("write");
            n += 1;
        }
        writer.flush().expect("flush");
    }
    writer.finish().expect("finish zip");
    n
}
