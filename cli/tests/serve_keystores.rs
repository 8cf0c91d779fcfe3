//! Keystore import end to end on `certport serve`: edge instance and DEK,
//! trusted CAs, the whole checked-in corpus sealed with PyNaCl (an independent libsodium),
//! every item's exact outcome, and no private key or password in the clear at rest or in
//! the server's log.
// Test code: a failed step should stop the run that took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};
use sha1::{Digest, Sha1};
use support::{start_server_logging_to, test_python, Server};

mod support;

fn corpus(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/keystores")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn corpus_text(name: &str) -> String {
    String::from_utf8(corpus(name)).unwrap()
}

/// Seals each plaintext to `public_key` with PyNaCl's SealedBox (libsodium crypto_box_seal).
fn seal_with_pynacl(public_key: &str, plaintexts: &[Vec<u8>]) -> Vec<String> {
    const SCRIPT: &str = "import base64, json, sys\n\
        from nacl.public import PublicKey, SealedBox\n\
        request = json.load(sys.stdin)\n\
        box = SealedBox(PublicKey(base64.b64decode(request['key'])))\n\
        print(json.dumps([base64.b64encode(box.encrypt(base64.b64decode(p))).decode() for p in request['plaintexts']]))\n";
    let mut child = Command::new(test_python())
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run the test virtualenv's python");
    let request = json!({"key": public_key, "plaintexts": plaintexts.iter().map(|p| B64.encode(p)).collect::<Vec<_>>()});
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "PyNaCl sealing failed");
    serde_json::from_slice(&output.stdout).unwrap()
}

impl Server {
    /// Submits a batch and polls until it leaves PROCESSING; the deadline only guards a hang.
    async fn import(&self, client: &reqwest::Client, batch: Value) -> Value {
        let (status, created) = self
            .call(
                client,
                reqwest::Method::POST,
                "/outagedetection/v1/certificates/imports",
                Some(batch),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        assert!(created["creationDate"].as_str().unwrap().ends_with('Z'));
        let path = format!(
            "/outagedetection/v1/certificates/imports/{}",
            created["id"].as_str().unwrap()
        );
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let (status, job) = self.call(client, reqwest::Method::GET, &path, None).await;
            assert_eq!(status, 200, "{job}");
            if job["status"] != "PROCESSING" {
                return job;
            }
            assert!(Instant::now() < deadline, "job still processing: {job}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

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

#[tokio::test]
async fn imports_the_keystore_corpus_with_exact_outcomes() {
    let data_dir = tempfile::tempdir().unwrap();
    let log_dir = tempfile::tempdir().unwrap();
    let log_path = log_dir.path().join("serve.log");
    let (server, printed) =
        start_server_logging_to(data_dir.path(), std::fs::File::create(&log_path).unwrap());
    assert!(
        printed.iter().any(|l| l.starts_with("edge instance ")),
        "{printed:?}"
    );
    let credentials: Value =
        serde_json::from_slice(&std::fs::read(data_dir.path().join("credentials.json")).unwrap()).unwrap();
    let edge_id = credentials["edge_instance_id"].as_str().unwrap();
    let key_id = credentials["encryption_key_id"].as_str().unwrap();
    let client = certport_tests::http_client();
    let get = reqwest::Method::GET;

    let (status, edges) = server.call(&client, get.clone(), "/v1/edgeinstances", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        edges["edgeinstances"],
        json!([{"id": edge_id, "name": "local", "encryptionKeyId": key_id, "edgeStatus": "ACTIVE"}])
    );
    let (status, dek) = server
        .call(
            &client,
            get.clone(),
            &format!("/v1/edgeencryptionkeys/{key_id}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{dek}");
    assert_eq!(dek["keyAlgorithm"], "ED25519");
    assert_eq!(dek["companyId"], credentials["tenant_id"]);
    let public_key = dek["key"].as_str().unwrap().to_string();
    assert_eq!(B64.decode(&public_key).unwrap().len(), 32);
    let (status, missing) = server
        .call(&client, get.clone(), "/v1/edgeencryptionkeys/nope", None)
        .await;
    assert_eq!(status, 404);
    assert_eq!(missing["errors"][0]["code"], 10404);
    assert_eq!(missing["errors"][0]["args"], json!([]));

    // Trusted CAs.
    let root = corpus_text("trusted-root.pem");
    let post = reqwest::Method::POST;
    let (status, ca) = server
        .call(
            &client,
            post.clone(),
            "/v1/trustedcacertificates",
            Some(json!({"certificate": root})),
        )
        .await;
    assert_eq!(status, 201, "{ca}");
    assert!(ca["subject"].as_str().unwrap().contains("certport test root"));
    assert_eq!(ca["fingerprint"].as_str().unwrap().len(), 40);
    let (status, again) = server
        .call(
            &client,
            post.clone(),
            "/v1/trustedcacertificates",
            Some(json!({"certificate": root})),
        )
        .await;
    assert_eq!((status, again["errors"][0]["code"].clone()), (409, json!(10409)));
    let (status, bad) = server
        .call(
            &client,
            post.clone(),
            "/v1/trustedcacertificates",
            Some(json!({"certificate": "nope"})),
        )
        .await;
    assert_eq!((status, bad["errors"][0]["code"].clone()), (400, json!(10400)));
    let (_, listed) = server
        .call(&client, get.clone(), "/v1/trustedcacertificates", None)
        .await;
    assert_eq!(listed["trustedCaCertificates"][0]["id"], ca["id"]);

    // Batch 1: the PKCS#8 forms, and items that must fail on their own.
    let sealed = seal_with_pynacl(
        &public_key,
        &[
            b"changeit".to_vec(),
            corpus("pkcs8-rsa2048.key.pem"),
            b"wrong".to_vec(),
        ],
    );
    let (changeit, rsa_key, wrong) = (&sealed[0], &sealed[1], &sealed[2]);
    let other_dek = B64.encode([7u8; 32]);
    let sealed_elsewhere = &seal_with_pynacl(&other_dek, &[b"changeit".to_vec()])[0];
    let p256_p12 = B64.encode(corpus("openssl3-default-p256-chain.p12"));
    let batch = json!({
        "edgeInstanceId": edge_id,
        "encryptionKeyId": key_id,
        "importInformation": [
            {"certificate": corpus_text("pkcs8-p256.crt.pem"), "passwordEncryptedPrivateKey": corpus_text("pkcs8-p256.key.enc.pem"), "dekEncryptedPassword": changeit},
            {"certificate": corpus_text("pkcs8-rsa2048.crt.pem"), "dekEncryptedPrivateKey": rsa_key},
            {"certificate": corpus_text("pkcs8-ed25519.crt.pem"), "passwordEncryptedPrivateKey": corpus_text("pkcs8-ed25519.key.enc.pem"), "dekEncryptedPassword": wrong},
            {"pkcs12Keystore": p256_p12, "dekEncryptedPassword": sealed_elsewhere},
            {"certificate": corpus_text("pkcs8-ed25519.crt.pem"), "passwordEncryptedPrivateKey": corpus_text("pkcs8-p256.key.enc.pem"), "dekEncryptedPassword": changeit},
        ]
    });
    let job = server.import(&client, batch).await;
    assert_eq!(job["status"], "COMPLETED", "{job}");
    let results = job["results"].as_array().unwrap();
    let summary: Vec<(Value, Value)> = results
        .iter()
        .map(|r| (r["status"].clone(), r["reasonCode"].clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (json!("IMPORTED"), Value::Null),
            (json!("IMPORTED"), Value::Null),
            (json!("FAILED"), json!("WRONG_PASSWORD")),
            (json!("FAILED"), json!("SEALED_BOX_INVALID")),
            (json!("FAILED"), json!("KEY_MISMATCH")),
        ],
        "{job}"
    );
    let mut imported: Vec<String> = Vec::new();
    for result in &results[..2] {
        let der = B64.decode(result["certificateBytes"].as_str().unwrap()).unwrap();
        assert_eq!(result["fingerprint"], hex_upper_sha1(&der));
        imported.push(result["fingerprint"].as_str().unwrap().to_string());
    }
    assert!(results[3]["reason"].as_str().unwrap().contains(key_id));

    // Batch 2: every PKCS#12 file of the corpus, one sealed password per distinct password.
    let manifest: Value = serde_json::from_slice(&corpus("manifest.json")).unwrap();
    let cases = manifest["items"].as_array().unwrap();
    let mut passwords: Vec<String> = cases
        .iter()
        .map(|c| c["password"].as_str().unwrap().to_string())
        .collect();
    passwords.sort();
    passwords.dedup();
    let sealed = seal_with_pynacl(
        &public_key,
        &passwords
            .iter()
            .map(|p| p.as_bytes().to_vec())
            .collect::<Vec<_>>(),
    );
    let items: Vec<Value> = cases
        .iter()
        .map(|c| {
            let i = passwords.iter().position(|p| p == c["password"].as_str().unwrap()).unwrap();
            json!({"pkcs12Keystore": B64.encode(corpus(c["file"].as_str().unwrap())), "dekEncryptedPassword": sealed[i]})
        })
        .collect();
    let job = server
        .import(
            &client,
            json!({"edgeInstanceId": edge_id, "encryptionKeyId": key_id, "importInformation": items}),
        )
        .await;
    assert_eq!(job["status"], "COMPLETED", "{job}");
    let results = job["results"].as_array().unwrap();
    assert_eq!(results.len(), cases.len());
    let mut mismatches = Vec::new();
    for (case, result) in cases.iter().zip(results) {
        let expected = case["expected"].as_str().unwrap();
        let fingerprint = result["fingerprint"].as_str().unwrap_or_default().to_string();
        let expected = if expected == "IMPORTED" && imported.contains(&fingerprint) {
            "SKIPPED"
        } else {
            expected
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
    // Distinct leaves: RSA-2048, P-256 (batch 1), RSA-4096, P-384, P-521, Ed25519, the root-signed one.
    assert_eq!(imported.len(), 7, "{imported:?}");

    // Request-level errors answer in API B's shape.
    let one = json!({"pkcs12Keystore": p256_p12, "dekEncryptedPassword": changeit});
    let cases = [
        (
            json!({"edgeInstanceId": edge_id, "encryptionKeyId": key_id, "importInformation": vec![one.clone(); 101]}),
            400,
        ),
        (
            json!({"edgeInstanceId": edge_id, "encryptionKeyId": key_id, "importInformation": []}),
            400,
        ),
        (
            json!({"edgeInstanceId": "nope", "encryptionKeyId": key_id, "importInformation": [one.clone()]}),
            404,
        ),
        (
            json!({"edgeInstanceId": edge_id, "encryptionKeyId": "nope", "importInformation": [one.clone()]}),
            404,
        ),
        (
            json!({"edgeInstanceId": edge_id, "encryptionKeyId": key_id, "importInformation": [{"pkcs12Keystore": "***", "dekEncryptedPassword": changeit}]}),
            400,
        ),
    ];
    for (body, expected) in cases {
        let (status, error) = server
            .call(
                &client,
                post.clone(),
                "/outagedetection/v1/certificates/imports",
                Some(body),
            )
            .await;
        assert_eq!(status, expected, "{error}");
        assert_eq!(error["errors"][0]["code"], json!(10000 + expected), "{error}");
        assert!(!error["errors"][0]["message"].as_str().unwrap().is_empty());
    }
    let (status, _) = server
        .call(
            &client,
            get.clone(),
            "/outagedetection/v1/certificates/imports/nope",
            None,
        )
        .await;
    assert_eq!(status, 404);

    // The same keystore again: already in the inventory.
    let job = server
        .import(
            &client,
            json!({"edgeInstanceId": edge_id, "encryptionKeyId": key_id, "importInformation": [one]}),
        )
        .await;
    assert_eq!(job["results"][0]["status"], "SKIPPED", "{job}");

    // At rest: no private key, password or DEK in the clear anywhere in the data directory.
    let secrets: Vec<Vec<u8>> = vec![
        b"-----BEGIN PRIVATE KEY".to_vec(),
        b"-----BEGIN RSA PRIVATE KEY".to_vec(),
        b"-----BEGIN EC PRIVATE KEY".to_vec(),
        b"changeit".to_vec(),
        rsa_pkcs8_der(),
    ];
    let rsa_pem_line = corpus_text("pkcs8-rsa2048.key.pem")
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    let in_the_log = [
        b"changeit".to_vec(),
        rsa_pkcs8_der(),
        rsa_pem_line.into_bytes(),
        server.api_key.as_bytes().to_vec(),
    ];
    let log = std::fs::read(&log_path).unwrap();
    assert!(
        String::from_utf8_lossy(&log).contains("upload processed"),
        "the log was captured at trace level"
    );
    for secret in &in_the_log {
        assert!(
            !log.windows(secret.len()).any(|w| w == secret.as_slice()),
            "the server log holds {:?}",
            String::from_utf8_lossy(&secret[..secret.len().min(24)])
        );
    }
    for file in files_under(data_dir.path()) {
        let bytes = std::fs::read(&file).unwrap();
        for secret in &secrets {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_slice()),
                "{} holds {:?} in the clear",
                file.display(),
                String::from_utf8_lossy(&secret[..secret.len().min(24)])
            );
        }
    }
}

fn hex_upper_sha1(der: &[u8]) -> String {
    Sha1::digest(der).iter().map(|b| format!("{b:02X}")).collect()
}

fn rsa_pkcs8_der() -> Vec<u8> {
    let pem = corpus_text("pkcs8-rsa2048.key.pem");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    B64.decode(body).unwrap()
}
