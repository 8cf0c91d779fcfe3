//! The certificate parse path against its raw floor, on the same zip:
//! `cargo bench -p certport-core --features test-util --bench parse_path`.
//!
//! Our path: the processor's reading without storage (zip limits, PEM scanning, X.509
//! fields, SHA-256 fingerprint, mapping). The floor: inflate, cut PEM blocks, base64,
//! `x509_parser::parse_x509_certificate`, SHA-256, and nothing else. Best of five runs.

use std::hint::black_box;
use std::time::{Duration, Instant};

use base64::Engine;
use certport_core::domain::FieldMapping;
use certport_core::parsing::{parse_certificate, pem, UploadArchive, ZipLimits};
use certport_core::testing::certs::{self_signed, KeyType};
use certport_core::testing::zip_of;
use sha2::{Digest, Sha256};

const DISTINCT: usize = 100;
const FILES: usize = 100;
const PER_FILE: usize = 100;

fn best_of(runs: usize, mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut count = 0;
    for _ in 0..runs {
        let started = Instant::now();
        count = f();
        best = best.min(started.elapsed());
    }
    (best, count)
}

fn our_path(zip: &[u8], mapping: &FieldMapping) -> usize {
    let mut archive = UploadArchive::open(zip, ZipLimits::default()).expect("zip");
    let mut parsed = 0;
    for n in 0..archive.file_count() {
        let file = archive.read_file(n).expect("entry");
        for der in pem::certificate_blocks(&file.contents).into_iter().flatten() {
            let certificate = parse_certificate(der).expect("certificate");
            black_box(mapping.apply(|f| certificate.field(f)).expect("mapped"));
            parsed += 1;
        }
    }
    parsed
}

fn raw_floor(zip: &[u8]) -> usize {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("zip");
    let mut parsed = 0;
    for n in 0..archive.len() {
        let mut contents = String::new();
        std::io::Read::read_to_string(&mut archive.by_index(n).expect("entry"), &mut contents).expect("read");
        for block in contents.split("-----BEGIN CERTIFICATE-----").skip(1) {
            let body: String = block
                .split("-----END CERTIFICATE-----")
                .next()
                .unwrap_or_default()
                .split_whitespace()
                .collect();
            let der = base64::engine::general_purpose::STANDARD
                .decode(body)
                .expect("base64");
            black_box(x509_parser::parse_x509_certificate(&der).expect("certificate"));
            black_box(Sha256::digest(&der));
            parsed += 1;
        }
    }
    parsed
}

fn main() {
    eprintln!("making {DISTINCT} certificates (half RSA-2048, half P-256) with openssl...");
    let pems: Vec<String> = (0..DISTINCT)
        .map(|i| {
            let key = if i % 2 == 0 {
                KeyType::Rsa2048
            } else {
                KeyType::EcP256
            };
            let san = format!("DNS:device-{i}.example.com");
            self_signed(key, &format!("/CN=device-{i}/O=Bench Inc/L=Oslo"), Some(&san)).pem
        })
        .collect();
    let files: Vec<(String, Vec<u8>)> = (0..FILES)
        .map(|f| {
            let bundle: String = (0..PER_FILE)
                .map(|i| pems[(f * PER_FILE + i) % DISTINCT].as_str())
                .collect();
            (format!("devices-{f}.pem"), bundle.into_bytes())
        })
        .collect();
    let entries: Vec<(&str, &[u8])> = files.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
    let zip = zip_of(&entries);
    let mapping = FieldMapping::parse(&serde_json::json!({
        "device_identifier": "subject.common_name", "site": "subject.locality", "dns": "san.dns_name"
    }))
    .expect("mapping");

    let (ours, n_ours) = best_of(5, || our_path(&zip, &mapping));
    let (floor, n_floor) = best_of(5, || raw_floor(&zip));
    assert_eq!(n_ours, n_floor);
    let rate = |d: Duration| n_ours as f64 / d.as_secs_f64();
    println!("certificates: {n_ours} in a {} KiB zip", zip.len() / 1024);
    println!(
        "our parse path: {:>8.1} ms  {:>9.0} certificates/s",
        ours.as_secs_f64() * 1e3,
        rate(ours)
    );
    println!(
        "raw floor:      {:>8.1} ms  {:>9.0} certificates/s",
        floor.as_secs_f64() * 1e3,
        rate(floor)
    );
    println!(
        "ratio (ours / floor): {:.2}",
        ours.as_secs_f64() / floor.as_secs_f64()
    );
}
