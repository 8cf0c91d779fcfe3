//! Whole imports through the use cases, on whatever storage `Deps` holds: what the
//! benchmarks time, on embedded storage and on moto alike.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bytes::Bytes;
use serde_json::json;

use super::certs::{numbered_copy, pem_of, scramble_p256, scramble_rsa2048, self_signed, KeyType};
use super::zip_of;
use crate::app::{
    add_trusted_ca, create_edge_instance, create_profile, create_tenant_with_key, set_source_fields_mapping,
    upload_certificate_import, upload_keystore_import, Caller, CertImportUpload, Deps, NewProfile,
    ProcessOutcome, UploadProcessor,
};
use crate::crypto::seal_to;
use crate::domain::ItemStatus;

/// The text in the templates' subject and SAN that numbered copies replace.
pub const MARKER: &str = "XXXXXXXXXX";

/// A new tenant, and a caller acting for it.
pub async fn new_caller(deps: &Deps, name: &str) -> Caller {
    let created = create_tenant_with_key(deps.tenants.as_ref(), name)
        .await
        .expect("create tenant");
    Caller {
        tenant: created.tenant,
        api_key_id: created.api_key_id,
        scopes: crate::domain::Scope::all(),
    }
}

/// A PEM profile mapping the common name to the device identifier, plus two custom fields.
pub async fn pem_profile(deps: &Deps, caller: &Caller) -> String {
    let new = NewProfile {
        name: "bench".into(),
        enrollment_method: "CERTIFICATE_IMPORT".into(),
    };
    let profile = create_profile(deps, caller, new).await.expect("create profile");
    let sample = self_signed(
        KeyType::EcP256,
        "/CN=sample/L=Oslo",
        Some("DNS:sample.example.com"),
    );
    let mapping = json!({"device_identifier": "subject.common_name", "site": "subject.locality", "dns": "san.dns_name"});
    set_source_fields_mapping(
        deps,
        caller,
        &profile.id,
        "s.pem",
        sample.pem.as_bytes(),
        &mapping,
    )
    .await
    .expect("map profile");
    profile.id
}

/// The two templates of the realistic mix: RSA-2048 and P-256, with `MARKER` in their
/// common name and DNS name.
pub fn certificate_templates() -> [Vec<u8>; 2] {
    [KeyType::Rsa2048, KeyType::EcP256].map(|key| {
        let subject = format!("/CN=device-{MARKER}/O=Bench Inc/L=Oslo");
        self_signed(key, &subject, Some(&format!("DNS:device-{MARKER}.example.com"))).der
    })
}

/// A zip of `files` PEM files of `per_file` distinct certificates, RSA and EC alternating,
/// their keys and signatures noise: like real certificates, many to a file compress only
/// a few times better than one to a file (what copies share still compresses).
pub fn certificate_zip(templates: &[Vec<u8>; 2], files: usize, per_file: usize) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut noise = move || {
        // xorshift64: fast, and enough to defeat deflate.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as u8
    };
    let bundles: Vec<(String, Vec<u8>)> = (0..files)
        .map(|f| {
            let bundle: String = (0..per_file)
                .map(|i| {
                    let n = (f * per_file + i) as u64;
                    let mut der = numbered_copy(&templates[(n % 2) as usize], MARKER.as_bytes(), n);
                    match n % 2 {
                        0 => scramble_rsa2048(&mut der, &mut noise),
                        _ => scramble_p256(&mut der, &mut noise),
                    }
                    pem_of(&der)
                })
                .collect();
            (format!("devices-{f}.pem"), bundle.into_bytes())
        })
        .collect();
    let entries: Vec<(&str, &[u8])> = bundles.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
    zip_of(&entries)
}

/// RSA-2048 certificates with their modulus and signature replaced by noise (so they
/// compress as real ones do), 1,000 to a file, until the zip at `path` reaches
/// `min_bytes` (it ends at most one file, ~600 KB, past it). The number written.
pub fn write_large_zip(path: &std::path::Path, min_bytes: u64) -> u64 {
    use std::io::Write;
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
        if std::fs::metadata(path).expect("zip size").len() >= min_bytes {
            break;
        }
        writer
            .start_file(format!("devices-{f}.pem"), options)
            .expect("start file");
        for _ in 0..1_000 {
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

/// Uploads `zip` of `count` good certificates into a new tenant's PEM profile and runs the
/// processor on it; checks every certificate imported and gives the time from upload to
/// COMPLETED.
pub async fn import_certificates(deps: &Deps, zip: Bytes, count: u64) -> Duration {
    let caller = new_caller(deps, "bench").await;
    let profile_id = pem_profile(deps, &caller).await;
    let started = Instant::now();
    let upload = CertImportUpload {
        profile_id,
        file_name: "devices.zip".into(),
        zip,
        ip_address: None,
    };
    let job = upload_certificate_import(deps, &caller, upload)
        .await
        .expect("upload");
    let outcome = UploadProcessor::CertificateImport
        .process(deps, &job.object_key)
        .await
        .expect("process");
    let took = started.elapsed();
    assert!(
        matches!(outcome, ProcessOutcome::Completed { total, failed: 0, .. } if total == count),
        "{outcome:?}"
    );
    took
}

/// A new edge instance trusting `ca`, and the import body of `keystores` (all with
/// `password`, one sealed password reused by every item, as clients do).
pub async fn keystore_batch(
    deps: &Deps,
    caller: &Caller,
    ca: &str,
    keystores: &[Vec<u8>],
    password: &str,
) -> Vec<u8> {
    let (edge, dek) = create_edge_instance(
        deps.tenants.as_ref(),
        deps.keys.dek.as_ref(),
        &caller.tenant.id,
        "bench",
    )
    .await
    .expect("edge instance");
    add_trusted_ca(deps, caller, ca).await.expect("trust CA");
    let public: [u8; 32] = B64
        .decode(&dek.public_key)
        .expect("DEK")
        .try_into()
        .expect("32 bytes");
    let sealed = B64.encode(seal_to(&public, password.as_bytes()));
    let items: Vec<_> = keystores
        .iter()
        .map(|k| json!({"pkcs12Keystore": B64.encode(k), "dekEncryptedPassword": sealed}))
        .collect();
    json!({"edgeInstanceId": edge.id, "encryptionKeyId": dek.id, "importInformation": items})
        .to_string()
        .into_bytes()
}

/// Uploads a keystore batch and runs the processor: every item's status, and the time
/// from upload to COMPLETED.
pub async fn import_keystores(deps: &Deps, caller: &Caller, body: &[u8]) -> (Vec<ItemStatus>, Duration) {
    let started = Instant::now();
    let job = upload_keystore_import(deps, caller, body).await.expect("upload");
    UploadProcessor::KeystoreImport
        .process(deps, &job.object_key)
        .await
        .expect("process");
    let elapsed = started.elapsed();
    let results = deps
        .jobs
        .item_results(&caller.tenant.id, &job.id)
        .await
        .expect("results");
    (results.into_iter().map(|r| r.status).collect(), elapsed)
}

/// How the inventory benchmark fills a tenant: devices (transactions of 25, as imports
/// write them) or keys (one conditional update per certificate: what moto takes fastest,
/// since it copies a table for every transaction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FillWith {
    Devices,
    Keys,
}

/// Validity periods of the inventory benchmark's templates: 10% of the certificates
/// expire within each 30-day step.
const INVENTORY_DAYS: [u32; 10] = [30, 60, 90, 120, 150, 180, 210, 240, 270, 300];

/// Fills a new tenant's inventory with `count` distinct devices (P-256 certificates,
/// numbered CN and SAN, expiring evenly over 300 days), straight through the port: the
/// reads are what is measured. The caller, and one SHA-1 fingerprint to look up.
pub async fn fill_inventory(deps: &Deps, count: u64, with: FillWith) -> (Caller, String) {
    use crate::domain::{format_timestamp, DeviceRecord, NewDevice, StoredKeyRecord};
    use crate::parsing::parse_certificate;
    let caller = new_caller(deps, "inventory bench").await;
    let templates: Vec<Vec<u8>> = INVENTORY_DAYS
        .iter()
        .map(|days| {
            let subject = format!("/CN=meter-{MARKER}/O=Bench Inc");
            let san = format!("DNS:meter-{MARKER}.example.com");
            super::certs::self_signed_for_days(KeyType::EcP256, &subject, Some(&san), *days).der
        })
        .collect();
    let created = format_timestamp(chrono::Utc::now());
    let mut sample = String::new();
    let batch = 500u64;
    for start in (0..count).step_by(batch as usize) {
        let devices: Vec<NewDevice> = (start..(start + batch).min(count))
            .map(|n| {
                let der = numbered_copy(&templates[(n % 10) as usize], MARKER.as_bytes(), n);
                let parsed = parse_certificate(der).expect("a numbered copy parses");
                let certificate = parsed.record(&caller.tenant.id, &created);
                let device = DeviceRecord {
                    tenant_id: caller.tenant.id.clone(),
                    device_identifier: format!("meter-{n}"),
                    fingerprint_sha256: certificate.fingerprint_sha256.clone(),
                    certificate: certificate.certificate.clone(),
                    fields: Default::default(),
                    profile_id: "bench".into(),
                    job_id: "bench".into(),
                    created_at: created.clone(),
                };
                NewDevice { device, certificate }
            })
            .collect();
        if (start..start + batch).contains(&(count / 2)) {
            sample = devices[(count / 2 - start) as usize]
                .certificate
                .fingerprint_sha1
                .clone();
        }
        match with {
            FillWith::Devices => {
                deps.inventory
                    .insert_devices(&devices)
                    .await
                    .expect("insert devices");
            }
            FillWith::Keys => {
                let keys = devices.iter().map(|NewDevice { certificate, .. }| {
                    let key = StoredKeyRecord {
                        tenant_id: certificate.tenant_id.clone(),
                        fingerprint_sha256: certificate.fingerprint_sha256.clone(),
                        fingerprint_sha1: certificate.fingerprint_sha1.clone(),
                        subject: String::new(),
                        key_algorithm: "EC_P256".into(),
                        chain: vec![certificate.certificate.clone()],
                        private_key_object: "bench".into(),
                        encryption_key_id: String::new(),
                        job_id: "bench".into(),
                        ordinal: 0,
                        imported_at: created.clone(),
                    };
                    async move { deps.inventory.insert_stored_key(&key, certificate).await }
                });
                for result in futures_util::future::join_all(keys).await {
                    result.expect("insert stored key");
                }
            }
        }
    }
    (caller, sample)
}

/// Runs the searches the inventory benchmark times: (what, matches, best time of `runs`).
pub async fn time_searches(
    deps: &Deps,
    caller: &Caller,
    fingerprint: &str,
    runs: usize,
) -> Vec<(String, u64, Duration)> {
    use crate::app::{search_certificates, SearchQuery};
    use crate::domain::search::{Expression, SearchLimits};
    let soon = (chrono::Utc::now() + chrono::Duration::days(45)).to_rfc3339();
    let searches = [
        (
            "fingerprint EQ (key lookup)",
            json!({"field": "fingerprint", "operator": "EQ", "value": fingerprint}),
        ),
        (
            "validityEnd < now + 45 days (expiry index)",
            json!({"field": "validityEnd", "operator": "LT", "value": soon}),
        ),
        (
            "subjectCN FIND (every record)",
            json!({"field": "subjectCN", "operator": "FIND", "value": "METER-0000000042"}),
        ),
    ];
    let mut results = Vec::new();
    for (what, expression) in searches {
        let mut best = Duration::MAX;
        let mut count = 0;
        for _ in 0..runs {
            let parsed = Expression::parse(Some(&expression), &SearchLimits::default()).expect("expression");
            let started = Instant::now();
            let page = search_certificates(deps, caller, SearchQuery::new(parsed))
                .await
                .expect("search");
            best = best.min(started.elapsed());
            count = page.count;
        }
        results.push((what.to_string(), count, best));
    }
    results
}

/// The inventory benchmark on `deps`: fills `count` certificates, then prints each
/// search's best time of 3, labelled with `storage`.
pub async fn inventory_search_bench(deps: &Deps, count: u64, storage: &str, with: FillWith) {
    let started = Instant::now();
    let (caller, fingerprint) = fill_inventory(deps, count, with).await;
    eprintln!(
        "filled {count} certificates in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    for (what, matches, took) in time_searches(deps, &caller, &fingerprint, 3).await {
        println!(
            "{storage}, {count} certificates: {what}: {matches} matches in {:.1} ms",
            took.as_secs_f64() * 1e3
        );
    }
}

/// A benchmark's certificate count: its first argument, else `default`.
pub fn bench_count(default: u64) -> u64 {
    std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .map_or(default, |a| a.parse().expect("a certificate count"))
}

/// The same per-certificate outcome on every store: an upload whose middle certificate's
/// device identifier (here its SAN URI) is longer than a device may keep fails that
/// certificate alone (`FIELD_TOO_LONG`), before anything is written; the others import.
pub async fn a_field_too_long_fails_its_certificate_alone(deps: &Deps) {
    use crate::app::{get_certificate_import, process_certificate_import};
    use crate::domain::{FailureReason, JobState, MAX_DEVICE_IDENTIFIER_BYTES};
    let caller = new_caller(deps, "too long").await;
    let profile = create_profile(
        deps,
        &caller,
        NewProfile {
            name: "uris".into(),
            enrollment_method: "CERTIFICATE_IMPORT".into(),
        },
    )
    .await
    .expect("create profile");
    let uri = |path: &str| format!("URI:https://devices.example/{path}");
    let sample = self_signed(KeyType::EcP256, "/CN=s", Some(&uri("sample")));
    let mapping = json!({"device_identifier": "san.uri"});
    set_source_fields_mapping(
        deps,
        &caller,
        &profile.id,
        "s.pem",
        sample.pem.as_bytes(),
        &mapping,
    )
    .await
    .expect("map profile");
    let long = "x".repeat(MAX_DEVICE_IDENTIFIER_BYTES);
    let pems: Vec<String> = ["ok-1", long.as_str(), "ok-2"]
        .iter()
        .map(|path| self_signed(KeyType::EcP256, "/CN=d", Some(&uri(path))).pem)
        .collect();
    let upload = CertImportUpload {
        profile_id: profile.id,
        file_name: "devices.zip".into(),
        zip: zip_of(&[("devices.pem", pems.concat().as_bytes())]).into(),
        ip_address: None,
    };
    let job = upload_certificate_import(deps, &caller, upload)
        .await
        .expect("upload");
    process_certificate_import(deps, &job.object_key)
        .await
        .expect("process");
    let status = get_certificate_import(deps, &caller, &job.id)
        .await
        .expect("status");
    assert_eq!(
        (status.job.state, status.job.total, status.job.failed),
        (JobState::Completed, 3, 1)
    );
    let failure = &status.failures[0];
    assert_eq!(
        (failure.reason, failure.index),
        (FailureReason::FieldTooLong, Some(1))
    );
    assert!(
        failure.message.contains("device identifier"),
        "{}",
        failure.message
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parsing::{parse_certificate_fields, pem, UploadArchive, ZipLimits};

    /// The benches' certificates, noise in their keys and signatures, still parse, each
    /// distinct; bundled, they compress only a few times better than one to a file.
    #[test]
    fn bench_certificates_parse_and_compress_like_real_ones() {
        let templates = certificate_templates();
        let bundled = certificate_zip(&templates, 2, 50);
        let single = certificate_zip(&templates, 100, 1);
        // What copies share (issuer, extensions) still compresses across a bundle, as the
        // certificates of one CA's devices do: within 4x, not the 30x of bare copies.
        assert!(
            bundled.len() * 4 > single.len(),
            "{} vs {}",
            bundled.len(),
            single.len()
        );
        let mut archive = UploadArchive::open(&bundled, ZipLimits::default()).unwrap();
        let mut fingerprints = std::collections::HashSet::new();
        for n in 0..archive.file_count() {
            for der in pem::certificate_blocks(&archive.read_file(n).unwrap().contents) {
                let parsed = parse_certificate_fields(der.unwrap(), |_| true).unwrap();
                fingerprints.insert(parsed.record("t", "2026-01-01T00:00:00Z").fingerprint_sha256);
            }
        }
        assert_eq!(fingerprints.len(), 100);
    }
}
