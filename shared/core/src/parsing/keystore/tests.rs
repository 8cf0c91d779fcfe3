//! The checked-in corpus (`scripts/make-keystore-fixtures`): every file, its exact outcome.

use std::path::PathBuf;

use serde_json::Value;

use super::*;
use crate::parsing::pem::all_blocks;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/keystores")
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(corpus().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn trusted() -> Vec<Vec<u8>> {
    all_blocks(&read("trusted-root.pem"))
        .into_iter()
        .map(|b| b.body.unwrap().to_vec())
        .collect()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn outcome(data: &[u8], password: &str) -> Result<PreparedKey, KeystoreError> {
    let contents = open_pkcs12(data, password, &Pkcs12Limits::default())?;
    prepare_key(contents.private_keys, &contents.certificates, &trusted(), now())
}

#[test]
fn every_corpus_file_has_its_expected_outcome() {
    let manifest: Value = serde_json::from_slice(&read("manifest.json")).unwrap();
    let items = manifest["items"].as_array().unwrap();
    assert!(items.len() >= 25);
    let mut mismatches = Vec::new();
    for item in items {
        let file = item["file"].as_str().unwrap();
        let password = item["password"].as_str().unwrap();
        let expected = item["expected"].as_str().unwrap();
        let got = match outcome(&read(file), password) {
            Ok(prepared) => {
                assert!(
                    prepared.key.matches(prepared.leaf()),
                    "{file}: leaf does not hold the key"
                );
                "IMPORTED".to_string()
            }
            Err(e) => {
                if let Some(oid) = item["oid"].as_str() {
                    assert!(e.to_string().contains(oid), "{file}: {e} does not name {oid}");
                }
                serde_json::to_value(e.reason())
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
                    + ": "
                    + &e.to_string()
            }
        };
        if !got.starts_with(expected) || (expected == "IMPORTED") != got.starts_with("IMPORTED") {
            mismatches.push(format!(
                "{file} with {password:?}: expected {expected}, got {got}"
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn chains_come_out_leaf_first_whatever_the_input_order() {
    let prepared = outcome(&read("cryptography-shuffled-ed25519.p12"), "changeit").unwrap();
    assert_eq!(prepared.key.algorithm, KeyAlgorithm::Ed25519);
    // Leaf, then intermediate; the path stops at the trusted root, which the tenant already holds.
    assert_eq!(prepared.chain.len(), 2);
    let subjects: Vec<String> = prepared
        .chain
        .iter()
        .map(|der| {
            x509_parser::parse_x509_certificate(der)
                .unwrap()
                .1
                .subject()
                .to_string()
        })
        .collect();
    assert!(subjects[0].contains("leaf-ed25519"), "{subjects:?}");
    assert!(subjects[1].contains("intermediate"), "{subjects:?}");
}

#[test]
fn iteration_cap_is_configurable_and_checked_before_any_kdf() {
    let data = read("openssl3-default-p256-chain.p12");
    let tight = Pkcs12Limits {
        max_iterations: 1000,
        ..Pkcs12Limits::default()
    };
    assert!(matches!(
        open_pkcs12(&data, "changeit", &tight),
        Err(KeystoreError::TooManyIterations {
            found: 2048,
            max: 1000
        })
    ));
    let small = Pkcs12Limits {
        max_bytes: 100,
        ..Pkcs12Limits::default()
    };
    assert_eq!(
        open_pkcs12(&data, "changeit", &small).err(),
        Some(KeystoreError::TooLarge(100))
    );
    // Leaf, intermediate and root plus the key: four entries.
    let few = Pkcs12Limits {
        max_entries: 3,
        ..Pkcs12Limits::default()
    };
    assert_eq!(
        open_pkcs12(&data, "changeit", &few).err(),
        Some(KeystoreError::TooManyEntries(3))
    );
    let unencrypted = read("openssl3-nopbe-p256-chain.p12");
    assert_eq!(
        open_pkcs12(&unencrypted, "changeit", &few).err(),
        Some(KeystoreError::TooManyEntries(3)),
        "visible bags are counted before any decryption"
    );
    let enough = Pkcs12Limits {
        max_entries: 4,
        ..Pkcs12Limits::default()
    };
    assert!(open_pkcs12(&data, "changeit", &enough).is_ok());
}

#[test]
fn pkcs8_items_decrypt_and_match() {
    for kind in ["rsa2048", "p256", "ed25519"] {
        let cert_pem = String::from_utf8(read(&format!("pkcs8-{kind}.crt.pem"))).unwrap();
        let encrypted = String::from_utf8(read(&format!("pkcs8-{kind}.key.enc.pem"))).unwrap();
        let certificates: Vec<Vec<u8>> = all_blocks(cert_pem.as_bytes())
            .into_iter()
            .map(|b| b.body.unwrap().to_vec())
            .collect();
        let key = decrypt_pkcs8_pem(&encrypted, "changeit", &Pkcs12Limits::default()).unwrap();
        let prepared = prepare_key(vec![key], &certificates, &trusted(), now()).unwrap();
        assert_eq!(prepared.chain.len(), 2, "{kind}: leaf and intermediate");
        assert_eq!(
            decrypt_pkcs8_pem(&encrypted, "wrong", &Pkcs12Limits::default()).err(),
            Some(KeystoreError::WrongPassword),
            "{kind}"
        );
        let plain = read_pkcs8_key(&read(&format!("pkcs8-{kind}.key.pem"))).unwrap();
        assert!(prepare_key(vec![plain], &certificates, &trusted(), now()).is_ok());
        assert_eq!(read_pem_certificate(&cert_pem).unwrap(), certificates[0]);
    }
    // A key with somebody else's certificate.
    let rsa_key = read_pkcs8_key(&read("pkcs8-rsa2048.key.pem")).unwrap();
    let p256_cert = read_pem_certificate(&String::from_utf8(read("pkcs8-p256.crt.pem")).unwrap()).unwrap();
    assert!(matches!(
        prepare_key(vec![rsa_key], &[p256_cert], &trusted(), now()),
        Err(KeystoreError::KeyMismatch(_))
    ));
    assert!(matches!(
        read_pkcs8_key(b"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"),
        Err(KeystoreError::Malformed { .. })
    ));
}

#[test]
fn nothing_panics_on_truncations_and_bit_flips() {
    let data = read("openssl3-default-p256-chain.p12");
    for cut in (0..data.len()).step_by(97) {
        let _ = outcome(&data[..cut], "changeit");
    }
    for at in (0..data.len()).step_by(53) {
        let mut flipped = data.clone();
        flipped[at] ^= 0x5a;
        let _ = outcome(&flipped, "changeit");
    }
}

fn parse(der: &[u8]) -> x509_parser::certificate::X509Certificate<'_> {
    x509_parser::parse_x509_certificate(der).unwrap().1
}

/// The certificates of a corpus file, leaf first (as the chain orders them).
fn chain_of(name: &str) -> Vec<Vec<u8>> {
    outcome(&read(name), "changeit").unwrap().chain
}

/// The leaf of `file` verifies with its issuer's key, and no longer once a byte of its
/// signature changes.
fn assert_signature_checked(file: &str) {
    let chain = chain_of(file);
    let issuer = parse(&chain[1]);
    assert!(signature::issued_by(&parse(&chain[0]), &issuer), "{file}");
    let mut tampered = chain[0].clone();
    let last = tampered.len() - 3;
    tampered[last] ^= 1;
    assert!(!signature::issued_by(&parse(&tampered), &issuer), "{file}");
}

#[test]
fn dsa_signatures_verify_and_a_changed_one_does_not() {
    assert_signature_checked("cryptography-dsa-chain.p12");
    // Not by another DSA key: the leaf did not issue itself.
    let chain = chain_of("cryptography-dsa-chain.p12");
    assert!(!signature::issued_by(&parse(&chain[0]), &parse(&chain[0])));
}

#[test]
fn rsa_pss_signatures_verify_and_a_changed_one_does_not() {
    assert_signature_checked("cryptography-rsapss-p256-chain.p12");
}

#[test]
fn ed448_signatures_verify_and_a_changed_one_does_not() {
    assert_signature_checked("cryptography-ed448-signed-chain.p12");
}

/// The hostile corpus (hostile.json): items crafted to cost unbounded work if opened
/// naively. Each fails with its reason; none gets to the costly work (this test would
/// take minutes to hours if one did).
#[test]
fn every_hostile_item_fails_with_its_reason_before_the_costly_work() {
    let hostile: Value = serde_json::from_slice(&read("hostile.json")).unwrap();
    let text = |name: &Value| String::from_utf8(read(name.as_str().unwrap())).unwrap();
    let mut mismatches = Vec::new();
    for item in hostile["items"].as_array().unwrap() {
        let limits = Pkcs12Limits::default();
        let password = item["password"].as_str().unwrap_or_default();
        let outcome = if let Some(file) = item["pkcs12"].as_str() {
            outcome(&read(file), password).map(|_| ())
        } else if item.get("encrypted_key").is_some() {
            decrypt_pkcs8_pem(&text(&item["encrypted_key"]), password, &limits).map(|_| ())
        } else {
            read_pkcs8_key(text(&item["sealed_key"]).as_bytes())
                .and_then(crate::parsing::keystore::PrivateKey::from_pkcs8)
                .map(|_| ())
        };
        let got = match outcome {
            Ok(()) => "IMPORTED".to_string(),
            Err(e) => format!(
                "{}: {e}",
                serde_json::to_value(e.reason()).unwrap().as_str().unwrap()
            ),
        };
        let expected = item["expected"].as_str().unwrap();
        if !got.starts_with(expected) {
            mismatches.push(format!("{}: expected {expected}, got {got}", item["note"]));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
