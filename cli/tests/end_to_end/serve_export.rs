//! Private-key export on `certport serve` over HTTP: vcert's own retrieval of a key with
//! its certificate, the PKCS12 opened by Python `cryptography`, every refusal, the audit
//! trail, and no passphrase or key in the trace-level log.

use crate::support::venafi::{Fixture, GET, POST};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use certport_tests::python::{run_json, run_json_with, vcert_python};
use serde_json::{json, Value};

/// A server holding one imported keystore: the certificate's id.
async fn with_one_keystore() -> (Fixture, String) {
    let f = Fixture::start().await;
    let fingerprint = f.import_one_keystore().await.fingerprint;
    let search = json!({"expression": {"field": "fingerprint", "operator": "EQ", "value": fingerprint}});
    let (_, found) = f
        .call(POST, "/outagedetection/v1/certificatesearch", Some(search))
        .await;
    let id = found["certificates"][0]["id"].as_str().unwrap().to_string();
    (f, id)
}

/// POSTs an export request: status, content type, body.
async fn export(f: &Fixture, id: &str, body: Value) -> (u16, String, Vec<u8>) {
    let response = f
        .client
        .post(
            f.server
                .url(&format!("/outagedetection/v1/certificates/{id}/keystore")),
        )
        .header("tppl-api-key", &f.server.api_key)
        .header("accept", "application/json")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
    (status, content_type, response.bytes().await.unwrap().to_vec())
}

const PASSPHRASE: &str = "correct horse battery staple";

#[tokio::test]
async fn vcert_retrieves_the_key_with_its_certificate_and_chain_over_https_through_its_request() {
    let (f, id) = with_one_keystore().await;
    let (_, view) = f
        .call(GET, &format!("/outagedetection/v1/certificates/{id}"), None)
        .await;
    // vcert's public calls only, as shipped: HTTPS with the local CA trusted, the request
    // found by thumbprint, then retrieved with the key (sealed to the certificate's DEK).
    const SCRIPT: &str = r#"
import contextlib, io, json, logging, sys
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_private_key
from vcert import CertificateRequest, venafi_connection
request = json.load(sys.stdin)
logging.disable(logging.CRITICAL)  # vcert logs to standard output, where the answer goes
conn = venafi_connection(url=request["url"], api_key=request["api_key"],
                         http_request_kwargs={"verify": request["ca"]})
with contextlib.redirect_stdout(io.StringIO()):
    found = conn.search_by_thumbprint(request["thumbprint"], timeout=10)
    retrieved = conn.retrieve_cert(CertificateRequest(cert_id=found.csrId, key_password=request["passphrase"]))
key = load_pem_private_key(retrieved.key.encode(), request["passphrase"].encode())
cert = x509.load_pem_x509_certificate(retrieved.cert.encode())
spki = lambda k: k.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo).hex()
print(json.dumps({"request": found.csrId, "matches": spki(key.public_key()) == spki(cert.public_key()),
                  "encrypted": "ENCRYPTED PRIVATE KEY" in retrieved.key, "chain": len(retrieved.chain)}))
"#;
    let request = json!({"api_key": f.server.api_key, "url": f.server.tls_base, "ca": f.server.ca_file,
                         "thumbprint": view["fingerprint"], "passphrase": PASSPHRASE});
    let retrieved = run_json_with(&vcert_python(), SCRIPT, &request);
    // The intermediate from the keystore, and the tenant's trusted root it chains to.
    assert_eq!(
        retrieved,
        json!({"request": view["certificateRequestId"], "matches": true, "encrypted": true, "chain": 2})
    );
}

#[tokio::test]
async fn a_pkcs12_export_opens_with_python_cryptography_under_the_keystore_passphrase() {
    let (f, id) = with_one_keystore().await;
    let sealed = f.seal(&[PASSPHRASE.as_bytes().to_vec(), b"keystore pass".to_vec()]);
    let body = json!({"exportFormat": "PKCS12", "encryptedPrivateKeyPassphrase": sealed[0],
                      "encryptedKeystorePassphrase": sealed[1], "certificateLabel": "my server"});
    let (status, content_type, p12) = export(&f, &id, body).await;
    assert_eq!(
        (status, content_type.as_str()),
        (200, "application/octet-stream"),
        "{}",
        String::from_utf8_lossy(&p12)
    );
    const SCRIPT: &str = r#"
import base64, json, sys
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, pkcs12
request = json.load(sys.stdin)
p12 = pkcs12.load_pkcs12(base64.b64decode(request["p12"]), request["passphrase"].encode())
spki = lambda k: k.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
print(json.dumps({"matches": spki(p12.key.public_key()) == spki(p12.cert.certificate.public_key()),
                  "chain": len(p12.additional_certs)}))
"#;
    let opened = run_json(
        SCRIPT,
        &json!({"p12": B64.encode(&p12), "passphrase": "keystore pass"}),
    );
    assert_eq!(
        opened,
        json!({"matches": true, "chain": 2}),
        "intermediate and root"
    );
}

/// Runs a tool, failing the test with its error output unless it succeeds.
fn succeeds(tool: &str, args: &[&str]) {
    let output = std::process::Command::new(tool).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{tool} {args:?}: {stderr}");
}

#[tokio::test]
async fn openssl_and_keytool_open_both_exports_at_the_default_iterations() {
    let (f, id) = with_one_keystore().await;
    let sealed = f.seal(&[PASSPHRASE.as_bytes().to_vec()]);
    let dir = tempfile::tempdir().unwrap();
    let pass = format!("pass:{PASSPHRASE}");
    let body = json!({"exportFormat": "PKCS12", "encryptedPrivateKeyPassphrase": sealed[0]});
    let (status, _, p12) = export(&f, &id, body).await;
    assert_eq!(status, 200);
    let p12_path = dir.path().join("export.p12");
    std::fs::write(&p12_path, p12).unwrap();
    let p12_file = p12_path.to_str().unwrap();
    // The iterations it was written with are 600,000, the MAC's too.
    let info = std::process::Command::new("openssl")
        .args(["pkcs12", "-in", p12_file, "-passin", &pass, "-info", "-noout"])
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&info.stderr);
    let iterations: Vec<&str> = info.split("Iteration ").skip(1).collect();
    assert!(
        iterations.len() == 3 && iterations.iter().all(|i| i.starts_with("600000")),
        "the MAC, the certificates and the key: {info}"
    );
    let keytool = [
        "-list",
        "-keystore",
        p12_file,
        "-storetype",
        "PKCS12",
        "-storepass",
        PASSPHRASE,
    ];
    succeeds("keytool", &keytool);
    let body = json!({"exportFormat": "PEM", "encryptedPrivateKeyPassphrase": sealed[0]});
    let (_, _, zip) = export(&f, &id, body).await;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let key_path = dir.path().join("export.key");
    let mut key = std::fs::File::create(&key_path).unwrap();
    std::io::copy(&mut archive.by_name("leaf-p256.key").unwrap(), &mut key).unwrap();
    succeeds(
        "openssl",
        &[
            "pkey",
            "-in",
            key_path.to_str().unwrap(),
            "-passin",
            &pass,
            "-noout",
        ],
    );
}

#[tokio::test]
async fn a_pem_export_is_the_zip_clients_unpack() {
    let (f, id) = with_one_keystore().await;
    let sealed = f.seal(&[PASSPHRASE.as_bytes().to_vec()]);
    let body = json!({"exportFormat": "PEM", "encryptedPrivateKeyPassphrase": sealed[0],
                      "encryptedKeystorePassphrase": "", "certificateLabel": ""});
    let (status, content_type, zip) = export(&f, &id, body).await;
    assert_eq!((status, content_type.as_str()), (200, "application/octet-stream"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut names: Vec<String> = archive.file_names().map(|n| n.unwrap().into_owned()).collect();
    names.sort();
    let expected = [
        "leaf-p256.crt",
        "leaf-p256.key",
        "leaf-p256_root-first.pem",
        "leaf-p256_root-last.pem",
    ];
    assert_eq!(names, expected);
    let mut key = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("leaf-p256.key").unwrap(), &mut key).unwrap();
    assert!(key.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n") && !key.contains('\r'));
}

#[tokio::test]
async fn refused_exports_say_what_is_wrong() {
    let (f, id) = with_one_keystore().await;
    let sealed = f.seal(&[PASSPHRASE.as_bytes().to_vec(), Vec::new(), b"password".to_vec()]);
    let other_key = certport_core::crypto::DekKeyPair::generate();
    let to_other = B64.encode(certport_core::crypto::seal_to(
        &other_key.public,
        PASSPHRASE.as_bytes(),
    ));
    let request = |format: &str, passphrase: &str| json!({"exportFormat": format, "encryptedPrivateKeyPassphrase": passphrase});
    let cases = [
        (request("PEM", &sealed[1]), "empty passphrase"),
        (request("PEM", &sealed[2]), "too weak"),
        (request("PEM", &to_other), "does not open"),
        (request("PEM", "not base64!"), "not base64"),
        (request("DER", &sealed[0]), "unknown exportFormat"),
        (request("JKS", &sealed[0]), "JKS"),
        (json!({"exportFormat": "PEM"}), "encryptedPrivateKeyPassphrase"),
    ];
    let attempts = cases.len() + 1;
    for (body, says) in cases {
        let (status, _, answer) = export(&f, &id, body).await;
        let error: Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!(status, 400, "{says}: {error}");
        assert!(error["errors"][0]["code"].is_i64(), "{error}");
        assert!(
            error["errors"][0]["message"].as_str().unwrap().contains(says),
            "{says}: {error}"
        );
    }
    let unknown = "00000000-0000-8000-8000-000000000000";
    let (status, _, _) = export(&f, unknown, request("PEM", &sealed[0])).await;
    assert_eq!(status, 404);
    let (_, events) = f.call(GET, "/v1/auditevents", None).await;
    let refused: Vec<&Value> = events["auditEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] != "API_KEY_CREATED")
        .collect();
    assert_eq!(refused.len(), attempts, "every refusal is audited: {events}");
    for event in refused {
        assert_eq!(
            event["action"], "PRIVATE_KEY_EXPORT_REFUSED",
            "not an export: {event}"
        );
        assert!(event["reason"].as_str().is_some_and(|r| !r.is_empty()), "{event}");
    }
}

#[tokio::test]
async fn every_export_is_audited_and_the_log_holds_no_passphrase_or_key() {
    let (f, id) = with_one_keystore().await;
    let sealed = f.seal(&[PASSPHRASE.as_bytes().to_vec()]);
    for format in ["PEM", "PKCS12"] {
        let body = json!({"exportFormat": format, "encryptedPrivateKeyPassphrase": sealed[0]});
        let (status, _, _) = export(&f, &id, body).await;
        assert_eq!(status, 200);
    }
    let (status, events) = f.call(GET, "/v1/auditevents", None).await;
    assert_eq!(status, 200, "{events}");
    let events: Vec<&Value> = events["auditEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] != "API_KEY_CREATED")
        .collect();
    let formats: Vec<&str> = events.iter().map(|e| e["format"].as_str().unwrap()).collect();
    assert_eq!(formats, ["PKCS12", "PEM"], "newest first");
    for event in &events {
        assert_eq!(
            (event["certificateId"].as_str(), event["sourceIp"].as_str()),
            (Some(id.as_str()), Some("127.0.0.1"))
        );
        assert_eq!(event["action"], "PRIVATE_KEY_EXPORT");
        assert!(!event["apiKeyId"].as_str().unwrap().is_empty());
    }
    let log = std::fs::read_to_string(&f.log_path).unwrap();
    assert!(log.contains("private key exported"), "the export is in the log");
    for secret in [PASSPHRASE, "PRIVATE KEY", &sealed[0]] {
        assert!(!log.contains(secret), "the log holds `{secret}`");
    }
}
