//! The parse paths without storage:
//! `cargo bench -p certport-core --features test-util --bench parse_path`.
//!
//! - Certificates, PEM and XML zips of the same 10,000 certificates, against their raw
//!   floor on the same bytes. Our path: the processor's reading (zip limits, PEM scanning
//!   or the XML reader, the X.509 fields the mapping reads, SHA-256 fingerprint, mapping). The floor: inflate,
//!   cut PEM blocks (or `<pem>` elements), base64, `x509_parser::parse_x509_certificate`,
//!   SHA-256, and nothing else. Best of five runs.
//! - PKCS#12: opening one keystore of the test corpus per algorithm (KDF, decryption,
//!   MAC) and checking it (key matches leaf, chain to the trusted root). Best of 20.
// Test code: a failed step should stop the run that took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use base64::Engine;
use certport_core::domain::FieldMapping;
use certport_core::parsing::keystore::{open_pkcs12, prepare_key, read_pem_certificate, Pkcs12Limits};
use certport_core::parsing::{parse_certificate_fields, pem, xml, UploadArchive, ZipLimits};
use certport_core::testing::certs::{one_line_base64, self_signed, KeyType, TestCert};
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
        let ders: Vec<Vec<u8>> = match archive.format() {
            certport_core::domain::UploadFormat::Pem => pem::certificate_blocks(&file.contents)
                .into_iter()
                .flatten()
                .collect(),
            certport_core::domain::UploadFormat::Xml => xml::certificates(&file.contents)
                .expect("xml")
                .into_iter()
                .flatten()
                .collect(),
        };
        for der in ders {
            let certificate = parse_certificate_fields(der, |f| mapping.reads(f)).expect("certificate");
            black_box(mapping.apply(|f| certificate.field(f)).expect("mapped"));
            parsed += 1;
        }
    }
    parsed
}

/// `begin` and `end` delimit each certificate's base64: PEM armour, or `<pem>` tags.
fn raw_floor(zip: &[u8], begin: &str, end: &str) -> usize {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("zip");
    let mut parsed = 0;
    for n in 0..archive.len() {
        let mut contents = String::new();
        std::io::Read::read_to_string(&mut archive.by_index(n).expect("entry"), &mut contents).expect("read");
        for block in contents.split(begin).skip(1) {
            let body: String = block
                .split(end)
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

fn compare(what: &str, zip: &[u8], mapping: &FieldMapping, begin: &str, end: &str) {
    let (ours, n_ours) = best_of(5, || our_path(zip, mapping));
    let (floor, n_floor) = best_of(5, || raw_floor(zip, begin, end));
    assert_eq!(n_ours, n_floor);
    let rate = |d: Duration| n_ours as f64 / d.as_secs_f64();
    println!("{what}: {n_ours} certificates in a {} KiB zip", zip.len() / 1024);
    println!(
        "  our parse path: {:>8.1} ms  {:>9.0} certificates/s",
        ours.as_secs_f64() * 1e3,
        rate(ours)
    );
    println!(
        "  raw floor:      {:>8.1} ms  {:>9.0} certificates/s",
        floor.as_secs_f64() * 1e3,
        rate(floor)
    );
    println!(
        "  ratio (ours / floor): {:.2}",
        ours.as_secs_f64() / floor.as_secs_f64()
    );
}

fn pkcs12() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/keystores");
    let root = std::fs::read_to_string(dir.join("trusted-root.pem")).expect("trusted root");
    let trusted = vec![read_pem_certificate(&root).expect("root")];
    let limits = Pkcs12Limits::default();
    let now = chrono::Utc::now().timestamp();
    println!("PKCS#12: open + key/leaf match + trusted chain, per keystore (best of 20)");
    for (file, what) in [
        (
            "openssl3-default-rsa2048-chain.p12",
            "OpenSSL 3 default (PBES2 AES-256, PBKDF2-SHA256 2048), RSA-2048",
        ),
        ("openssl3-default-p256-chain.p12", "OpenSSL 3 default, P-256"),
        (
            "openssl3-default-rsa4096-chain.p12",
            "OpenSSL 3 default, RSA-4096",
        ),
        (
            "openssl3-legacy-rsa2048-chain.p12",
            "OpenSSL -legacy (PBES1 3DES + RC2-40, SHA-1), RSA-2048",
        ),
        (
            "cryptography-pbesv1-3des-rsa2048-chain.p12",
            "PBES1 3DES (pyca cryptography), RSA-2048",
        ),
        ("keytool-rsa2048-chain.p12", "keytool default, RSA-2048"),
    ] {
        let data = std::fs::read(dir.join(file)).expect("fixture");
        let (best, _) = best_of(20, || {
            let contents = open_pkcs12(&data, "changeit", &limits).expect("open");
            let prepared =
                prepare_key(contents.private_keys, &contents.certificates, &trusted, now).expect("checked");
            black_box(prepared);
            1
        });
        println!("  {:>7.2} ms  {what}", best.as_secs_f64() * 1e3);
    }
}

fn main() {
    eprintln!("making {DISTINCT} certificates (half RSA-2048, half P-256) with openssl...");
    let certs: Vec<TestCert> = (0..DISTINCT)
        .map(|i| {
            let key = if i % 2 == 0 {
                KeyType::Rsa2048
            } else {
                KeyType::EcP256
            };
            let san = format!("DNS:device-{i}.example.com");
            self_signed(key, &format!("/CN=device-{i}/O=Bench Inc/L=Oslo"), Some(&san))
        })
        .collect();
    let nth = |n: usize| &certs[n % DISTINCT];
    let files: Vec<(String, Vec<u8>)> = (0..FILES)
        .map(|f| {
            let bundle: String = (0..PER_FILE)
                .map(|i| nth(f * PER_FILE + i).pem.as_str())
                .collect();
            (format!("devices-{f}.pem"), bundle.into_bytes())
        })
        .collect();
    let entries: Vec<(&str, &[u8])> = files.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
    let pem_zip = zip_of(&entries);
    let xml: String =
        std::iter::once("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<certificates>\n".to_string())
            .chain((0..FILES * PER_FILE).map(|n| {
                format!(
                    "  <certificate><pem>{}</pem></certificate>\n",
                    one_line_base64(nth(n))
                )
            }))
            .chain(std::iter::once("</certificates>\n".to_string()))
            .collect();
    let xml_zip = zip_of(&[("devices.xml", xml.as_bytes())]);
    let mapping = FieldMapping::parse(&serde_json::json!({
        "device_identifier": "subject.common_name", "site": "subject.locality", "dns": "san.dns_name"
    }))
    .expect("mapping");

    compare(
        "PEM",
        &pem_zip,
        &mapping,
        "-----BEGIN CERTIFICATE-----",
        "-----END CERTIFICATE-----",
    );
    compare("XML", &xml_zip, &mapping, "<pem>", "</pem>");
    pkcs12();
}
