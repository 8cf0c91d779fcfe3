//! Hostile uploads through the real HTTP API of `certport serve`: each is refused with a
//! clear 4xx, or fails on its own as an item with a stable reason, never a 500 or a hang;
//! entry names never touch the filesystem; and the server still imports normally after.
//! The hostile files are made here (`hostile_zips`), so anyone can rebuild them.

use std::io::Write;

use crate::support::{start_server_with, Server};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use certport_core::testing::certs::{self_signed, KeyType, TestCert};
use certport_core::testing::zip_of;
use serde_json::{json, Value};
use zip::write::SimpleFileOptions;

const LIMITS: &[(&str, &str)] = &[
    ("CERTPORT_ZIP_MAX_ENTRIES", "50"),
    ("CERTPORT_ZIP_MAX_ENTRY_BYTES", "1048576"),
    ("CERTPORT_ZIP_MAX_TOTAL_BYTES", "4194304"),
    ("CERTPORT_MAX_CERTIFICATES", "20"),
    ("CERTPORT_MAX_CERTIFICATE_BYTES", "2000"),
];

fn zip_with(build: impl FnOnce(&mut zip::ZipWriter<std::io::Cursor<Vec<u8>>>)) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    build(&mut writer);
    writer.finish().unwrap().into_inner()
}

/// (what, zip, expected status, a piece of the expected message).
fn hostile_zips(pem: &str) -> Vec<(&'static str, Vec<u8>, u16, &'static str)> {
    let deflated = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let bomb = zip_with(|w| {
        w.start_file("bomb.pem", deflated).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..50 {
            w.write_all(&zeros).unwrap();
        }
    });
    let many = zip_with(|w| {
        for i in 0..51 {
            w.start_file(format!("{i}.pem"), deflated).unwrap();
            w.write_all(pem.as_bytes()).unwrap();
        }
    });
    let large_total = zip_with(|w| {
        for i in 0..5 {
            w.start_file(format!("{i}.pem"), deflated).unwrap();
            w.write_all(&vec![b'A'; 1_000_000]).unwrap();
        }
    });
    let symlink = zip_with(|w| {
        w.add_symlink("link.pem", "/etc/passwd", SimpleFileOptions::default())
            .unwrap();
    });
    // The encrypted flag (bit 0 of the general purpose flags) on the entry, in both headers.
    let mut encrypted = zip_of(&[("secret.pem", pem.as_bytes())]);
    for signature in [&b"PK\x03\x04"[..], &b"PK\x01\x02"[..]] {
        let at = encrypted.windows(4).position(|w| w == signature).unwrap();
        let flags = at + if signature == b"PK\x03\x04" { 6 } else { 8 };
        encrypted[flags] |= 1;
    }
    // Two entries under one name: the second name patched to the first in both headers.
    let mut duplicate = zip_of(&[("a.pem", pem.as_bytes()), ("b.pem", pem.as_bytes())]);
    replace_all(&mut duplicate, b"b.pem", b"a.pem");
    // Overlapping entries (a non-recursive bomb): every central directory entry points at
    // the first entry's data, 1 MiB of zeros, so 40 entries inflate to 40 MiB.
    let mut overlapping = zip_with(|w| {
        w.start_file("0.pem", deflated).unwrap();
        w.write_all(&vec![0u8; 1 << 20]).unwrap();
        for i in 1..40 {
            w.start_file(format!("{i}.pem"), deflated).unwrap();
            w.write_all(&vec![0u8; 1 << 20]).unwrap();
        }
    });
    point_all_entries_at_the_first(&mut overlapping);
    let crowded = pem.repeat(21);
    vec![
        (
            "too many certificates",
            zip_of(&[("crowd.pem", crowded.as_bytes())]),
            400,
            "at most 20",
        ),
        ("duplicate names", duplicate, 400, "same name"),
        ("overlapping entries", overlapping, 400, "bytes uncompressed"),
        ("a zip bomb", bomb, 400, "larger than 1048576 bytes uncompressed"),
        ("too many entries", many, 400, "more than 50 entries"),
        (
            "too much in all",
            large_total,
            400,
            "larger than 4194304 bytes uncompressed",
        ),
        (
            "a nested zip",
            zip_of(&[("inner.zip", &zip_of(&[("a.pem", pem.as_bytes())]))]),
            400,
            "`inner.zip`",
        ),
        ("a symlink entry", symlink, 400, "symbolic link"),
        ("an encrypted entry", encrypted, 400, "encrypted"),
        (
            "not a zip at all",
            b"PK\x03\x04 nothing more".to_vec(),
            400,
            "not a zip archive",
        ),
        ("an empty zip", zip_of(&[]), 400, "no .pem or .xml file"),
    ]
}

fn replace_all(bytes: &mut [u8], from: &[u8], to: &[u8]) {
    let mut at = 0;
    while let Some(found) = bytes[at..].windows(from.len()).position(|w| w == from) {
        bytes[at + found..at + found + to.len()].copy_from_slice(to);
        at += found + from.len();
    }
}

/// Sets every central directory entry's local header offset (and sizes) to the first's.
fn point_all_entries_at_the_first(zip: &mut [u8]) {
    let entries: Vec<usize> = zip
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"PK\x01\x02")
        .map(|(i, _)| i)
        .collect();
    let first = entries[0];
    let (sizes, offset) = (first + 16..first + 28, first + 42..first + 46);
    let (sizes_of_first, offset_of_first) = (zip[sizes.clone()].to_vec(), zip[offset.clone()].to_vec());
    for entry in entries {
        zip[entry + 16..entry + 28].copy_from_slice(&sizes_of_first);
        zip[entry + 42..entry + 46].copy_from_slice(&offset_of_first);
    }
}

impl Server {
    async fn upload(&self, client: &reqwest::Client, profile: &str, zip: Vec<u8>) -> (u16, Value) {
        let part = reqwest::multipart::Part::bytes(zip).file_name("upload.zip");
        let response = client
            .post(self.url(&format!("/iot/api/v1/certificate-import/{profile}")))
            .header("x-api-key", &self.api_key)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.json().await.unwrap_or(Value::Null),
        )
    }

    async fn mapped_profile(
        &self,
        client: &reqwest::Client,
        sample_name: &'static str,
        sample: Vec<u8>,
    ) -> String {
        let (_, profile) = self
            .call(
                client,
                reqwest::Method::POST,
                "/iot/api/v1/enrollment-profile",
                Some(json!({"name": sample_name, "enrollment_method": "CERTIFICATE_IMPORT"})),
            )
            .await;
        let id = profile["id"].as_str().unwrap().to_string();
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(sample).file_name(sample_name),
            )
            .text("mapping", r#"{"device_identifier": "subject.common_name"}"#);
        let response = client
            .post(self.url(&format!(
                "/iot/api/v1/enrollment-profile/{id}/source-fields-mapping"
            )))
            .header("x-api-key", &self.api_key)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        id
    }

    async fn wait_for(&self, client: &reqwest::Client, job: &str) -> Value {
        for _ in 0..600 {
            let (_, body) = self
                .call(
                    client,
                    reqwest::Method::GET,
                    &format!("/iot/api/v1/certificate-import/job/{job}"),
                    None,
                )
                .await;
            if body["status"] != "PENDING" {
                return body;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("job {job} still pending");
    }
}

/// A server with tight limits, a PEM profile mapped from `cert`, and an HTTP client.
struct Hostile {
    server: Server,
    client: reqwest::Client,
    data_dir: tempfile::TempDir,
    cert: TestCert,
    profile: String,
}

impl Hostile {
    async fn start() -> Hostile {
        let data_dir = tempfile::tempdir().unwrap();
        let (server, _) = start_server_with(data_dir.path(), &[], LIMITS);
        let client = certport_tests::http_client();
        let cert = self_signed(KeyType::EcP256, "/CN=hostile-ok-1", None);
        let profile = server
            .mapped_profile(&client, "sample.pem", cert.pem.clone().into_bytes())
            .await;
        Hostile {
            server,
            client,
            data_dir,
            cert,
            profile,
        }
    }

    /// Uploads `zip` to the PEM profile, expects it accepted, and waits for its job.
    async fn import(&self, zip: Vec<u8>) -> Value {
        let (code, job) = self.server.upload(&self.client, &self.profile, zip).await;
        assert_eq!(code, 200, "{job}");
        self.server
            .wait_for(&self.client, job["id"].as_str().unwrap())
            .await
    }

    /// The edge instance and key ids `serve` created.
    fn edge_and_key(&self) -> (Value, Value) {
        let credentials: Value =
            serde_json::from_slice(&std::fs::read(self.data_dir.path().join("credentials.json")).unwrap())
                .unwrap();
        (
            credentials["edge_instance_id"].clone(),
            credentials["encryption_key_id"].clone(),
        )
    }

    async fn post_batch(&self, body: Value) -> (u16, Value) {
        let imports = "/outagedetection/v1/certificates/imports";
        self.server
            .call(&self.client, reqwest::Method::POST, imports, Some(body))
            .await
    }
}

fn pem_block(der: &[u8]) -> String {
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        B64.encode(der)
    )
}

#[tokio::test]
async fn hostile_zips_are_refused_with_a_reason_and_the_server_still_imports() {
    let h = Hostile::start().await;
    for (what, zip, status, says) in hostile_zips(&h.cert.pem) {
        let (code, body) = h.server.upload(&h.client, &h.profile, zip).await;
        assert_eq!(code, status, "{what}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{what}: {message}");
    }
    let fine = self_signed(KeyType::EcP256, "/CN=hostile-after", None);
    let done = h.import(zip_of(&[("fine.pem", fine.pem.as_bytes())])).await;
    assert_eq!(done["result"], "SUCCESS", "{done}");
}

#[tokio::test]
async fn entry_names_are_labels_and_nothing_is_written_where_they_point() {
    let h = Hostile::start().await;
    let names = ["../../escaped.pem", "/tmp/absolute-certport.pem", "dir\\back.pem"];
    let certs: Vec<_> = (2..5)
        .map(|i| self_signed(KeyType::EcP256, &format!("/CN=hostile-ok-{i}"), None).pem)
        .collect();
    let entries: Vec<(&str, &[u8])> = names
        .iter()
        .copied()
        .zip(certs.iter().map(|c| c.as_bytes()))
        .collect();
    let done = h.import(zip_of(&entries)).await;
    assert_eq!(
        (done["status"].as_str(), done["failed_certificates"].as_u64()),
        (Some("COMPLETED"), Some(0)),
        "{done}"
    );
    assert!(!h.data_dir.path().join("../../escaped.pem").exists());
    assert!(!h.data_dir.path().parent().unwrap().join("escaped.pem").exists());
    assert!(!std::path::Path::new("/tmp/absolute-certport.pem").exists());
}

#[tokio::test]
async fn broken_certificates_in_a_good_zip_fail_one_by_one_with_their_reason() {
    let h = Hostile::start().await;
    let truncated = pem_block(&h.cert.der[..h.cert.der.len() / 2]);
    let trailing = pem_block(&[h.cert.der.as_slice(), b"trailing"].concat());
    let good = self_signed(KeyType::Rsa2048, "/CN=hostile-ok-5", None).pem;
    let sans: Vec<String> = (0..80).map(|i| format!("DNS:host-{i}.large.example")).collect();
    let oversized = self_signed(KeyType::EcP256, "/CN=hostile-big", Some(&sans.join(","))).pem;
    let bad_base64 = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    let bundle = format!("{truncated}{trailing}{bad_base64}{oversized}{good}");
    let done = h.import(zip_of(&[("mixed.pem", bundle.as_bytes())])).await;
    assert_eq!(
        (
            done["total_certificates"].as_u64(),
            done["failed_certificates"].as_u64()
        ),
        (Some(5), Some(4)),
        "{done}"
    );
    let failures: Vec<Value> = serde_json::from_str(done["status_message"].as_str().unwrap()).unwrap();
    let reasons: Vec<&str> = failures.iter().map(|f| f["reason"].as_str().unwrap()).collect();
    let expected = [
        "MALFORMED_CERTIFICATE",
        "MALFORMED_CERTIFICATE",
        "MALFORMED_PEM",
        "CERTIFICATE_TOO_LARGE",
    ];
    assert_eq!(reasons, expected, "{failures:?}");
}

#[tokio::test]
async fn xml_with_entities_deep_nesting_or_not_utf8_is_refused_never_expanded() {
    let h = Hostile::start().await;
    let b64 = B64.encode(&h.cert.der);
    let sample = format!("<certificates><certificate><pem>{b64}</pem></certificate></certificates>");
    let xml_profile = h
        .server
        .mapped_profile(&h.client, "sample.xml", sample.into_bytes())
        .await;
    let entity = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE c [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><certificates><certificate><pem>&x;{b64}</pem></certificate></certificates>"
    );
    let deep = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
    let latin1 = b"<certificates><certificate><pem>\xff\xfe</pem></certificate></certificates>".to_vec();
    for (what, xml) in [
        ("an entity", entity.into_bytes()),
        ("deep nesting", deep.into_bytes()),
        ("not UTF-8", latin1),
    ] {
        let (code, body) = h
            .server
            .upload(&h.client, &xml_profile, zip_of(&[("c.xml", &xml)]))
            .await;
        assert_eq!(code, 400, "{what}: {body}");
        assert!(body["errors"][0]["message"].as_str().is_some(), "{what}: {body}");
    }
}

#[tokio::test]
async fn malformed_keystore_batch_bodies_are_400_in_api_b_shape() {
    let h = Hostile::start().await;
    let (edge, key) = h.edge_and_key();
    let item = json!({"pkcs12Keystore": B64.encode(b"x"), "dekEncryptedPassword": B64.encode([0u8; 48])});
    let bad_base64 = json!({"pkcs12Keystore": "%%%", "dekEncryptedPassword": "AA=="});
    let unknown_field =
        json!({"pkcs12Keystore": "AA==", "dekEncryptedPassword": "AA==", "password": "changeit"});
    let batch =
        |items: Value| json!({"edgeInstanceId": edge, "encryptionKeyId": key, "importInformation": items});
    let mut huge_extra = batch(json!([item.clone()]));
    huge_extra["x"] = json!("y".repeat(1 << 20));
    for (what, body) in [
        ("101 items", batch(json!(vec![item.clone(); 101]))),
        ("bad base64", batch(json!([bad_base64]))),
        (
            "wrong types",
            json!({"edgeInstanceId": 7, "encryptionKeyId": key, "importInformation": "all of them"}),
        ),
        (
            "no items field",
            json!({"edgeInstanceId": edge, "encryptionKeyId": key}),
        ),
        ("unknown item field", batch(json!([unknown_field]))),
        ("unknown top-level field", huge_extra),
    ] {
        let (code, body) = h.post_batch(body).await;
        assert_eq!(
            (code, body["errors"][0]["code"].as_i64()),
            (400, Some(10400)),
            "{what}: {body}"
        );
    }
}

#[tokio::test]
async fn an_oversized_keystore_item_fails_alone() {
    let h = Hostile::start().await;
    let (edge, key) = h.edge_and_key();
    let get = reqwest::Method::GET;
    let (_, dek) = h
        .server
        .call(
            &h.client,
            get.clone(),
            &format!("/v1/edgeencryptionkeys/{}", key.as_str().unwrap()),
            None,
        )
        .await;
    let public: [u8; 32] = B64
        .decode(dek["key"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let sealed = B64.encode(certport_core::crypto::seal_to(&public, b"changeit"));
    let huge = json!({"pkcs12Keystore": B64.encode(vec![0x30u8; 2 << 20]), "dekEncryptedPassword": sealed});
    let item = json!({"pkcs12Keystore": B64.encode(b"x"), "dekEncryptedPassword": sealed});
    let (code, created) = h
        .post_batch(
            json!({"edgeInstanceId": edge, "encryptionKeyId": key, "importInformation": [huge, item]}),
        )
        .await;
    assert_eq!(code, 201, "{created}");
    let path = format!(
        "/outagedetection/v1/certificates/imports/{}",
        created["id"].as_str().unwrap()
    );
    // The deadline only guards against a hang.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let job = loop {
        let (_, job) = h.server.call(&h.client, get.clone(), &path, None).await;
        if job["status"] != "PROCESSING" {
            break job;
        }
        assert!(std::time::Instant::now() < deadline, "still processing: {job}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(job["results"][0]["reasonCode"], "TOO_LARGE", "{job}");
    assert_eq!(job["results"][1]["status"], "FAILED", "{job}");
}
