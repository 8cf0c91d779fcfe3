//! Keystore import end to end on `certport serve`: edge instance and DEK,
//! trusted CAs, the whole checked-in corpus sealed with PyNaCl (an independent libsodium),
//! every item's exact outcome, and no private key or password in the clear at rest or in
//! the server's log.

use std::path::{Path, PathBuf};

use crate::support::venafi::{corpus, corpus_text, seal_with_pynacl, Fixture, GET, POST};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};
use sha1::{Digest, Sha1};

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn summary(job: &Value) -> Vec<(Value, Value)> {
    let results = job["results"].as_array().unwrap();
    results
        .iter()
        .map(|r| (r["status"].clone(), r["reasonCode"].clone()))
        .collect()
}

#[tokio::test]
async fn the_edge_instance_and_its_dek_are_served_in_api_b_shape() {
    let f = Fixture::start().await;
    let (status, edges) = f.call(GET, "/v1/edgeinstances", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        edges["edgeInstances"],
        json!([{"id": f.edge_id, "name": "local", "encryptionKeyId": f.key_id, "edgeStatus": "ACTIVE", "companyId": f.tenant_id}])
    );
    let (status, dek) = f
        .call(GET, &format!("/v1/edgeencryptionkeys/{}", f.key_id), None)
        .await;
    assert_eq!(status, 200, "{dek}");
    assert_eq!(
        (dek["keyAlgorithm"].as_str(), dek["companyId"].as_str()),
        (Some("ED25519"), Some(f.tenant_id.as_str()))
    );
    assert_eq!(B64.decode(&f.public_key).unwrap().len(), 32);
    let (status, missing) = f.call(GET, "/v1/edgeencryptionkeys/nope", None).await;
    assert_eq!(status, 404);
    assert_eq!(
        (
            missing["errors"][0]["code"].clone(),
            missing["errors"][0]["args"].clone()
        ),
        (json!(10404), json!([]))
    );
}

#[tokio::test]
async fn a_trusted_ca_is_added_once_and_listed() {
    let f = Fixture::start().await;
    let (_, listed) = f.call(GET, "/v1/trustedcacertificates", None).await;
    let ca = &listed["trustedCaCertificates"][0];
    assert!(
        ca["subject"].as_str().unwrap().contains("certport test root"),
        "{listed}"
    );
    assert_eq!(ca["fingerprint"].as_str().unwrap().len(), 40);
    let (status, again) = f.trust(&corpus_text("trusted-root.pem")).await;
    assert_eq!((status, again["errors"][0]["code"].clone()), (409, json!(10409)));
    let (status, bad) = f.trust("nope").await;
    assert_eq!((status, bad["errors"][0]["code"].clone()), (400, json!(10400)));
}

#[tokio::test]
async fn pkcs8_items_import_and_bad_items_fail_alone() {
    let f = Fixture::start().await;
    let sealed = f.seal(&[
        b"changeit".to_vec(),
        corpus("pkcs8-rsa2048.key.pem"),
        b"wrong".to_vec(),
    ]);
    let (changeit, rsa_key, wrong) = (&sealed[0], &sealed[1], &sealed[2]);
    let sealed_elsewhere = &seal_with_pynacl(&B64.encode([7u8; 32]), &[b"changeit".to_vec()])[0];
    let p256_p12 = B64.encode(corpus("openssl3-default-p256-chain.p12"));
    let job = f
        .import(vec![
            json!({"certificate": corpus_text("pkcs8-p256.crt.pem"), "passwordEncryptedPrivateKey": corpus_text("pkcs8-p256.key.enc.pem"), "dekEncryptedPassword": changeit}),
            json!({"certificate": corpus_text("pkcs8-rsa2048.crt.pem"), "dekEncryptedPrivateKey": rsa_key}),
            json!({"certificate": corpus_text("pkcs8-ed25519.crt.pem"), "passwordEncryptedPrivateKey": corpus_text("pkcs8-ed25519.key.enc.pem"), "dekEncryptedPassword": wrong}),
            json!({"pkcs12Keystore": p256_p12, "dekEncryptedPassword": sealed_elsewhere}),
            json!({"certificate": corpus_text("pkcs8-ed25519.crt.pem"), "passwordEncryptedPrivateKey": corpus_text("pkcs8-p256.key.enc.pem"), "dekEncryptedPassword": changeit}),
        ])
        .await;
    assert_eq!(job["status"], "COMPLETED", "{job}");
    let expected = [
        (json!("IMPORTED"), Value::Null),
        (json!("IMPORTED"), Value::Null),
        (json!("FAILED"), json!("WRONG_PASSWORD")),
        (json!("FAILED"), json!("SEALED_BOX_INVALID")),
        (json!("FAILED"), json!("KEY_MISMATCH")),
    ];
    assert_eq!(summary(&job), expected, "{job}");
    for result in &job["results"].as_array().unwrap()[..2] {
        let der = B64.decode(result["certificateBytes"].as_str().unwrap()).unwrap();
        assert_eq!(result["fingerprint"], hex_upper_sha1(&der));
    }
    assert!(job["results"][3]["reason"].as_str().unwrap().contains(&f.key_id));
}

#[tokio::test]
async fn every_keystore_of_the_corpus_has_its_exact_outcome() {
    let f = Fixture::start().await;
    let manifest: Value = serde_json::from_slice(&corpus("manifest.json")).unwrap();
    let cases = manifest["items"].as_array().unwrap();
    // One sealed password per distinct password, reused by every item that has it.
    let mut passwords: Vec<&str> = cases.iter().map(|c| c["password"].as_str().unwrap()).collect();
    passwords.sort();
    passwords.dedup();
    let sealed = f.seal(
        &passwords
            .iter()
            .map(|p| p.as_bytes().to_vec())
            .collect::<Vec<_>>(),
    );
    let items: Vec<Value> = cases
        .iter()
        .map(|c| {
            let i = passwords.iter().position(|p| *p == c["password"].as_str().unwrap()).unwrap();
            json!({"pkcs12Keystore": B64.encode(corpus(c["file"].as_str().unwrap())), "dekEncryptedPassword": sealed[i]})
        })
        .collect();
    let job = f.import(items).await;
    assert_eq!(job["status"], "COMPLETED", "{job}");
    let results = job["results"].as_array().unwrap();
    assert_eq!(results.len(), cases.len());
    let mut imported: Vec<&str> = Vec::new();
    let mut mismatches = Vec::new();
    for (case, result) in cases.iter().zip(results) {
        let fingerprint = result["fingerprint"].as_str().unwrap_or_default();
        let expected = match case["expected"].as_str().unwrap() {
            "IMPORTED" if imported.contains(&fingerprint) => "SKIPPED",
            expected => expected,
        };
        let got = match result["status"].as_str().unwrap() {
            "FAILED" => result["reasonCode"].as_str().unwrap_or("?"),
            other => other,
        };
        if got != expected {
            mismatches.push(format!("{}: expected {expected}, got {result}", case["file"]));
        }
        if got == "IMPORTED" {
            imported.push(fingerprint);
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    // Distinct leaves: RSA-2048, RSA-4096, P-256, P-384, P-521, Ed25519, the root-signed
    // one, the RSA-PSS-signed one, the RSA-1024 one, the DSA one and two Ed448 ones.
    assert_eq!(imported.len(), 12, "{imported:?}");
    // Weak keys are in the inventory, their size shown so they can be found and replaced.
    for (case, result) in cases.iter().zip(results) {
        let Some(strength) = case.get("key_strength") else {
            continue;
        };
        let search =
            json!({"expression": {"field": "fingerprint", "operator": "EQ", "value": result["fingerprint"]}});
        let (_, found) = f
            .call(POST, "/outagedetection/v1/certificatesearch", Some(search))
            .await;
        assert_eq!(
            &found["certificates"][0]["keyStrength"], strength,
            "{}",
            case["file"]
        );
    }
}

#[tokio::test]
async fn request_errors_answer_in_api_b_shape() {
    let f = Fixture::start().await;
    let one = f.p256_item();
    let cases = [
        (f.batch(vec![one.clone(); 101]), 400),
        (f.batch(vec![]), 400),
        (
            json!({"edgeInstanceId": "nope", "encryptionKeyId": f.key_id, "importInformation": [one.clone()]}),
            404,
        ),
        (
            json!({"edgeInstanceId": f.edge_id, "encryptionKeyId": "nope", "importInformation": [one.clone()]}),
            404,
        ),
        (
            f.batch(vec![
                json!({"pkcs12Keystore": "***", "dekEncryptedPassword": one["dekEncryptedPassword"]}),
            ]),
            400,
        ),
    ];
    for (body, expected) in cases {
        let (status, error) = f
            .call(POST, "/outagedetection/v1/certificates/imports", Some(body))
            .await;
        assert_eq!(status, expected, "{error}");
        assert_eq!(error["errors"][0]["code"], json!(10000 + expected), "{error}");
        assert!(!error["errors"][0]["message"].as_str().unwrap().is_empty());
    }
    let (status, _) = f
        .call(GET, "/outagedetection/v1/certificates/imports/nope", None)
        .await;
    assert_eq!(status, 404);
    // Unknown routes of API B's families answer in its shape too.
    for path in ["/outagedetection/v1/nothing-here", "/v1/nothing-here"] {
        let (status, error) = f.call(GET, path, None).await;
        assert_eq!(
            (status, error["errors"][0]["code"].clone()),
            (404, json!(10404)),
            "{path}: {error}"
        );
    }
}

#[tokio::test]
async fn a_keystore_already_in_the_inventory_is_skipped() {
    let f = Fixture::start().await;
    let first = f.import(vec![f.p256_item()]).await;
    assert_eq!(first["results"][0]["status"], "IMPORTED", "{first}");
    let again = f.import(vec![f.p256_item()]).await;
    assert_eq!(again["results"][0]["status"], "SKIPPED", "{again}");
}

#[tokio::test]
async fn no_key_or_password_is_in_the_clear_at_rest_or_in_the_log() {
    let f = Fixture::start().await;
    let sealed = f.seal(&[corpus("pkcs8-rsa2048.key.pem")]);
    let rsa =
        json!({"certificate": corpus_text("pkcs8-rsa2048.crt.pem"), "dekEncryptedPrivateKey": sealed[0]});
    let job = f.import(vec![rsa, f.p256_item()]).await;
    assert_eq!(summary(&job), vec![(json!("IMPORTED"), Value::Null); 2], "{job}");
    let rsa_pem_line = corpus_text("pkcs8-rsa2048.key.pem")
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    let log = std::fs::read(&f.log_path).unwrap();
    assert!(
        String::from_utf8_lossy(&log).contains("upload processed"),
        "the log was captured at trace level"
    );
    let in_the_log = [
        b"changeit".to_vec(),
        rsa_pkcs8_der(),
        rsa_pem_line.into_bytes(),
        f.server.api_key.as_bytes().to_vec(),
    ];
    for secret in &in_the_log {
        assert!(
            !contains(&log, secret),
            "the server log holds {}",
            preview(secret)
        );
    }
    let at_rest = [
        b"-----BEGIN PRIVATE KEY".to_vec(),
        b"-----BEGIN RSA PRIVATE KEY".to_vec(),
        b"-----BEGIN EC PRIVATE KEY".to_vec(),
        b"changeit".to_vec(),
        rsa_pkcs8_der(),
    ];
    // The HTTPS server's own keys (its local CA's and its certificate's) are the only
    // private keys a data directory keeps readable, to its owner alone.
    let tls_keys = ["tls/ca-key.pem", "tls/server-key.pem"].map(|k| f.data_dir.path().join(k));
    for key in &tls_keys {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", key.display());
    }
    for file in files_under(f.data_dir.path()) {
        let bytes = std::fs::read(&file).unwrap();
        let own_key = tls_keys.contains(&file);
        for secret in at_rest.iter().filter(|s| !own_key || !s.starts_with(b"-----")) {
            assert!(
                !contains(&bytes, secret),
                "{} holds {} in the clear",
                file.display(),
                preview(secret)
            );
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn preview(secret: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(&secret[..secret.len().min(24)]))
}

fn hex_upper_sha1(der: &[u8]) -> String {
    Sha1::digest(der).iter().map(|b| format!("{b:02X}")).collect()
}

fn rsa_pkcs8_der() -> Vec<u8> {
    let pem = corpus_text("pkcs8-rsa2048.key.pem");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    B64.decode(body).unwrap()
}

#[tokio::test]
async fn hostile_items_fail_alone_with_their_reasons_and_the_batch_goes_on() {
    let f = Fixture::start().await;
    let dek: [u8; 32] = B64.decode(&f.public_key).unwrap().try_into().unwrap();
    let cases = certport_tests::hostile_keystores::hostile_items(&dek);
    let mut items: Vec<Value> = cases.iter().map(|c| c.item.clone()).collect();
    items.push(f.p256_item());
    let job = f.import(items).await;
    assert_eq!(job["status"], "COMPLETED", "{job}");
    let results = job["results"].as_array().unwrap();
    let wrong = certport_tests::hostile_keystores::mismatches(&cases, results);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(results.last().unwrap()["status"], "IMPORTED", "{job}");
    // The server is still there for the next batch.
    let (status, _) = f.call(GET, "/v1/edgeinstances", None).await;
    assert_eq!(status, 200);
}
