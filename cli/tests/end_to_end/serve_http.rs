//! End to end on embedded storage: the real `certport serve` binary, driven over HTTP.

use certport_core::testing::certs::{one_line_base64, self_signed, KeyType, TestCert};
use certport_core::testing::zip_of;

use crate::support::{start_server, Server};
use serde_json::{json, Value};

fn crlf(pem: &str) -> String {
    pem.replace('\n', "\r\n")
}

fn failures(job: &Value) -> Vec<Value> {
    serde_json::from_str(
        job["status_message"]
            .as_str()
            .expect("status_message is a string"),
    )
    .unwrap()
}

fn assert_job_fields(job: &Value) {
    for field in [
        "id",
        "random_id",
        "enrollment_profile",
        "original_file_name",
        "format",
        "original_size",
        "stored_file_name",
        "created_at",
        "status",
        "enrollment_context",
        "total_certificates",
        "failed_certificates",
        "processing_time",
    ] {
        assert!(job.get(field).is_some(), "missing `{field}` in {job}");
    }
    let random_id = job["random_id"].as_str().unwrap();
    assert_eq!(random_id.len(), 12);
    assert!(random_id.chars().all(|c| c.is_ascii_digit()));
    assert_eq!(
        job["stored_file_name"],
        format!("certificate-import-{random_id}.zip")
    );
    let created = job["created_at"].as_str().unwrap();
    assert!(
        created.ends_with('Z') && created.len() == "2026-01-01T00:00:00.000000Z".len(),
        "{created}"
    );
    assert_eq!(
        job["enrollment_context"]["enrollment_method"],
        "CERTIFICATE_IMPORT"
    );
    assert_eq!(job["enrollment_context"]["ip_address"], "127.0.0.1");
    assert_eq!(job["enrollment_context"]["auth_type"], "API_KEY");
    assert!(job["original_size"].as_u64().unwrap() > 0);
    assert!(job["processing_time"].is_u64());
}

struct Certs {
    rsa: TestCert,
    p256: TestCert,
    ed25519: TestCert,
    p384: TestCert,
    no_cn: TestCert,
}

fn certs() -> Certs {
    Certs {
        rsa: self_signed(
            KeyType::Rsa2048,
            "/CN=meter-001/O=Acme/L=Oslo",
            Some("DNS:meter-001.example.com"),
        ),
        p256: self_signed(KeyType::EcP256, "/CN=meter-002/O=Acme", None),
        ed25519: self_signed(KeyType::Ed25519, "/CN=meter-003", None),
        p384: self_signed(KeyType::EcP384, "/CN=meter-004/L=Bergen", Some("IP:10.0.0.4")),
        no_cn: self_signed(KeyType::EcP256, "/O=Nameless", None),
    }
}

/// A server on a fresh data directory, with its HTTP client.
struct Fixture {
    server: Server,
    client: reqwest::Client,
    dir: tempfile::TempDir,
}

impl Fixture {
    fn start() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let (server, _) = start_server(dir.path());
        Fixture {
            server,
            client: certport_tests::http_client(),
            dir,
        }
    }

    /// A CERTIFICATE_IMPORT profile mapped from `sample`: its id.
    async fn mapped_profile(&self, name: &str, sample_name: &str, sample: &str, mapping: Value) -> String {
        let profile = self
            .server
            .create_profile(&self.client, name, "CERTIFICATE_IMPORT")
            .await;
        let id = profile["id"].as_str().unwrap().to_string();
        let response = self.map(&id, sample_name, sample, mapping).await;
        assert_eq!(response.status(), 200);
        id
    }

    async fn map(&self, profile: &str, sample_name: &str, sample: &str, mapping: Value) -> reqwest::Response {
        let sample = sample.as_bytes().to_vec();
        self.server
            .map(&self.client, profile, sample_name, sample, mapping)
            .await
    }

    async fn upload(&self, profile: &str, zip: Vec<u8>) -> reqwest::Response {
        self.server
            .upload_zip(&self.client, profile, zip, &self.server.api_key)
            .await
    }

    /// Uploads `zip` and waits for its job to finish.
    async fn import(&self, profile: &str, zip: Vec<u8>) -> Value {
        let response = self.upload(profile, zip).await;
        assert_eq!(response.status(), 200);
        let job: Value = response.json().await.unwrap();
        self.server
            .finished_job(&self.client, job["id"].as_str().unwrap())
            .await
    }

    async fn get(&self, path: &str, key: &str) -> reqwest::Response {
        let request = self.client.get(self.server.url(path)).header("x-api-key", key);
        request.send().await.unwrap()
    }

    async fn post_json(&self, path: &str, body: reqwest::Body, json: bool) -> (u16, Value) {
        let mut request = self
            .client
            .post(self.server.url(path))
            .header("x-api-key", &self.server.api_key);
        if json {
            request = request.header("content-type", "application/json");
        }
        let response = request.body(body).send().await.unwrap();
        (
            response.status().as_u16(),
            response.json().await.unwrap_or(Value::Null),
        )
    }
}

const MAPPING: &str =
    r#"{"device_identifier": "subject.common_name", "site": "subject.locality", "dns": "san.dns_name"}"#;

fn mapping() -> Value {
    serde_json::from_str(MAPPING).unwrap()
}

/// Two PEM bundles: CRLF, text around blocks, and three bad entries among seven.
fn bundles(c: &Certs) -> Vec<u8> {
    let a_pem = format!(
        "Exported by DeviceTool 2.1\r\n{}\r\n{}-- end of bundle --\r\n",
        crlf(&c.rsa.pem),
        c.p256.pem
    );
    let b_pem = format!(
        "{}-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n{}{}-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n",
        c.ed25519.pem, c.p384.pem, c.no_cn.pem
    );
    zip_of(&[("a.pem", a_pem.as_bytes()), ("nested/b.pem", b_pem.as_bytes())])
}

fn gateways_xml() -> String {
    let gw1 = self_signed(
        KeyType::EcP256,
        "/CN=gw-1",
        Some("DNS:gw-1.example.com,URI:urn:dev:gw-1"),
    );
    let gw2 = self_signed(KeyType::Rsa2048, "/CN=gw-2", Some("DNS:gw-2.example.com"));
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<certificates>\r\n  <certificate><pem>{}</pem></certificate>\r\n  <certificate><pem>{}</pem></certificate>\r\n</certificates>\r\n",
        one_line_base64(&gw1),
        one_line_base64(&gw2)
    )
}

#[tokio::test]
async fn first_start_prints_the_api_key_and_a_restart_keeps_the_tenant_and_its_profiles() {
    let dir = tempfile::tempdir().unwrap();
    let (server, printed) = start_server(dir.path());
    assert!(
        printed.iter().any(|l| l.contains(&server.api_key)),
        "first start prints the API key"
    );
    let client = certport_tests::http_client();
    let profile = server
        .create_profile(&client, "Meters", "CERTIFICATE_IMPORT")
        .await;
    drop(server);
    let (server, printed) = start_server(dir.path());
    assert!(!printed.iter().any(|l| l.contains(&server.api_key)));
    let path = format!(
        "/iot/api/v1/enrollment-profile/{}",
        profile["id"].as_str().unwrap()
    );
    let response = client
        .get(server.url(&path))
        .header("x-api-key", &server.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_second_server_on_the_same_data_directory_is_refused_naming_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start_server(dir.path());
    let second = crate::support::serve_command(dir.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("process {}", server.pid())) && stderr.contains("--data-dir"),
        "{stderr}"
    );
}

#[tokio::test]
async fn https_answers_with_the_local_ca_trusted_at_the_address_credentials_record() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start_server(dir.path());
    let credentials: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("credentials.json")).unwrap()).unwrap();
    assert_eq!(credentials["url"], server.base.as_str());
    let untrusting = certport_tests::http_client();
    let ca = reqwest::Certificate::from_pem(&std::fs::read(&server.ca_file).unwrap()).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(ca)
        .build()
        .unwrap();
    let response = client
        .get(format!("{}/v1/edgeinstances", server.tls_base))
        .header("tppl-api-key", &server.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // Without the CA, the certificate is not trusted.
    assert!(untrusting
        .get(format!("{}/", server.tls_base))
        .send()
        .await
        .is_err());
    // Someone who points a browser at the server learns where the API is described.
    let index: Value = untrusting
        .get(server.url("/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(index["openapi"], "/openapi.yaml");
}

#[tokio::test]
async fn https_can_use_a_certificate_and_key_of_your_own() {
    let files = tempfile::tempdir().unwrap();
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name.push(rcgen::DnType::CommonName, "my own CA");
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let key = rcgen::KeyPair::generate().unwrap();
    let server = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&key, &rcgen::Issuer::new(ca, ca_key))
        .unwrap();
    let (cert_path, key_path) = (
        files.path().join("server.pem"),
        files.path().join("server-key.pem"),
    );
    std::fs::write(&cert_path, format!("{}{ca_pem}", server.pem())).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (server, printed) = crate::support::start_server_with(
        dir.path(),
        &[
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        !dir.path().join("tls").exists(),
        "no local CA is made: {printed:?}"
    );
    let _ = certport_tests::http_client();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let port = server.tls_base.rsplit(':').next().unwrap();
    let response = client
        .get(format!("https://localhost:{port}/v1/edgeinstances"))
        .header("tppl-api-key", &server.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_pem_sample_sets_the_profile_format_and_previews_the_mapping() {
    let f = Fixture::start();
    let profile = f
        .server
        .create_profile(&f.client, "Meters", "CERTIFICATE_IMPORT")
        .await;
    let profile_id = profile["id"].as_str().unwrap();
    assert_eq!(profile["enrollment_method"], "CERTIFICATE_IMPORT");
    assert!(profile["format"].is_null());
    let response = f.map(profile_id, "sample.pem", &certs().rsa.pem, mapping()).await;
    assert_eq!(response.status(), 200);
    let preview: Value = response.json().await.unwrap();
    assert_eq!(preview["format"], "PEM");
    let expected = json!({"device_identifier": "meter-001", "site": "Oslo", "dns": "meter-001.example.com"});
    assert_eq!(preview["mapped_fields"], expected);
    let names: Vec<&str> = preview["source_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    for name in [
        "subject.common_name",
        "subject.organization_name",
        "san.dns_name",
        "serial_number",
        "issuer.common_name",
        "fingerprint_sha256",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let fetched: Value = f
        .get(
            &format!("/iot/api/v1/enrollment-profile/{profile_id}"),
            &f.server.api_key,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            fetched["format"].clone(),
            fetched["source_fields_mapping"].clone()
        ),
        (json!("PEM"), mapping())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pem_zip_is_pending_at_once_then_completes_with_each_failure_located() {
    let f = Fixture::start();
    let c = certs();
    let profile_id = f
        .mapped_profile("Meters", "sample.pem", &c.rsa.pem, mapping())
        .await;
    let zip = bundles(&c);
    let response = f.upload(&profile_id, zip.clone()).await;
    assert_eq!(response.status(), 200);
    let job: Value = response.json().await.unwrap();
    assert_job_fields(&job);
    assert_eq!(
        (job["status"].as_str(), job["format"].as_str()),
        (Some("PENDING"), Some("PEM"))
    );
    assert_eq!(job["original_file_name"], "devices batch+1.zip");
    assert_eq!(
        (job["original_size"].as_u64(), job["total_certificates"].as_u64()),
        (Some(zip.len() as u64), Some(7))
    );
    assert_eq!(
        job["enrollment_profile"],
        json!({"id": profile_id, "name": "Meters"})
    );

    let done = f
        .server
        .finished_job(&f.client, job["id"].as_str().unwrap())
        .await;
    assert_job_fields(&done);
    assert_eq!(
        (done["status"].as_str(), done["result"].as_str()),
        (Some("COMPLETED"), Some("PARTIAL_SUCCESS"))
    );
    assert_eq!(
        (
            done["total_certificates"].as_u64(),
            done["failed_certificates"].as_u64()
        ),
        (Some(7), Some(3))
    );
    assert!(
        done["account_id"].is_string()
            && done["division"]["id"].is_string()
            && done["division"]["name"].is_string()
    );
    let located: Vec<(String, u64, String)> = failures(&done)
        .iter()
        .map(|f| {
            (
                f["file_name"].as_str().unwrap().into(),
                f["index"].as_u64().unwrap(),
                f["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected = [
        ("nested/b.pem".into(), 1, "MALFORMED_PEM".into()),
        ("nested/b.pem".into(), 3, "MISSING_REQUIRED_FIELD".into()),
        ("nested/b.pem".into(), 4, "MALFORMED_CERTIFICATE".into()),
    ];
    assert_eq!(located, expected);
    assert!(failures(&done)
        .iter()
        .all(|f| !f["message"].as_str().unwrap().is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_zip_again_changes_nothing_and_its_certificates_are_duplicates() {
    let f = Fixture::start();
    let c = certs();
    let profile_id = f
        .mapped_profile("Meters", "sample.pem", &c.rsa.pem, mapping())
        .await;
    f.import(&profile_id, bundles(&c)).await;
    let again = f.import(&profile_id, bundles(&c)).await;
    assert_eq!(
        (again["failed_certificates"].as_u64(), again["result"].as_str()),
        (Some(7), Some("FAILURE"))
    );
    let duplicates = failures(&again)
        .iter()
        .filter(|f| f["reason"] == "DUPLICATE")
        .count();
    assert_eq!(duplicates, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_xml_zip_imports_into_a_profile_mapped_from_an_xml_sample() {
    let f = Fixture::start();
    let xml = gateways_xml();
    let profile_id = f
        .mapped_profile(
            "Gateways",
            "sample.xml",
            &xml,
            json!({"device_identifier": "san.dns_name", "urn": "san.uri"}),
        )
        .await;
    let response = f
        .upload(&profile_id, zip_of(&[("gateways.xml", xml.as_bytes())]))
        .await;
    assert_eq!(response.status(), 200);
    let job: Value = response.json().await.unwrap();
    assert_eq!(job["format"], "XML");
    let done = f
        .server
        .finished_job(&f.client, job["id"].as_str().unwrap())
        .await;
    assert_eq!(
        (
            done["total_certificates"].as_u64(),
            done["failed_certificates"].as_u64()
        ),
        (Some(2), Some(0))
    );
    assert_eq!(
        (done["result"].as_str(), done["status_message"].as_str()),
        (Some("SUCCESS"), Some("[]"))
    );
}

#[tokio::test]
async fn a_pem_zip_to_an_xml_profile_is_refused_saying_what_it_expects() {
    let f = Fixture::start();
    let xml = gateways_xml();
    let profile_id = f
        .mapped_profile(
            "Gateways",
            "sample.xml",
            &xml,
            json!({"device_identifier": "san.dns_name"}),
        )
        .await;
    let response = f
        .upload(&profile_id, zip_of(&[("a.pem", certs().rsa.pem.as_bytes())]))
        .await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["errors"][0]["code"], "invalid_input");
    assert!(
        error["errors"][0]["message"].as_str().unwrap().contains(".xml"),
        "{error}"
    );
}

#[tokio::test]
async fn a_missing_or_wrong_api_key_is_a_json_401() {
    let f = Fixture::start();
    for key in [None, Some("cpk_wrong")] {
        let mut request = f.client.get(f.server.url("/iot/api/v1/enrollment-profile/x"));
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["code"], "unauthorized");
    }
}

/// The answer comes from the head alone: the server never waits for the body it was
/// promised (here, never sent) when the key is wrong.
#[tokio::test]
async fn a_body_is_not_read_before_the_api_key_is_checked() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let f = Fixture::start();
    let host = f.server.base.strip_prefix("http://").unwrap();
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let head = format!(
        "POST /outagedetection/v1/certificates/imports HTTP/1.1\r\nhost: {host}\r\n\
         tppl-api-key: cpk_wrong\r\ncontent-type: application/json\r\ncontent-length: 5000000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = [0u8; 12];
    // Only a guard against hanging: without the check first, no answer ever comes.
    let read = tokio::time::timeout(std::time::Duration::from_secs(60), stream.read_exact(&mut answer));
    read.await.expect("answered before any body").unwrap();
    assert_eq!(&answer, b"HTTP/1.1 401");
}

#[tokio::test]
async fn uploads_before_a_mapping_and_bad_mappings_or_samples_are_400() {
    let f = Fixture::start();
    let cert = self_signed(KeyType::EcP256, "/CN=dev-1", None);
    let profile = f
        .server
        .create_profile(&f.client, "P", "CERTIFICATE_IMPORT")
        .await;
    let profile_id = profile["id"].as_str().unwrap();
    let zip = zip_of(&[("a.pem", cert.pem.as_bytes())]);
    assert_eq!(f.upload(profile_id, zip).await.status(), 400);
    let by_cn = json!({"device_identifier": "subject.common_name"});
    let refused = [
        ("s.pem", cert.pem.as_str(), json!({"site": "subject.locality"})),
        (
            "s.pem",
            cert.pem.as_str(),
            json!({"device_identifier": "subject.nickname"}),
        ),
        (
            "s.pem",
            cert.pem.as_str(),
            json!({"device_identifier": "subject.email"}),
        ),
        ("s.crt", cert.pem.as_str(), by_cn.clone()),
        ("s.pem", "no certs here", by_cn.clone()),
    ];
    for (name, sample, mapping) in refused {
        assert_eq!(
            f.map(profile_id, name, sample, mapping.clone()).await.status(),
            400,
            "{name} {mapping}"
        );
    }
    assert_eq!(f.map(profile_id, "s.pem", &cert.pem, by_cn).await.status(), 200);
}

#[tokio::test]
async fn bad_uploads_and_bodies_are_400_saying_what_is_wrong() {
    let f = Fixture::start();
    let cert = self_signed(KeyType::EcP256, "/CN=dev-1", None);
    let profile_id = f
        .mapped_profile(
            "P",
            "s.pem",
            &cert.pem,
            json!({"device_identifier": "subject.common_name"}),
        )
        .await;
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"this is not a zip".to_vec(), "in a .zip and upload that"),
        (zip_of(&[("a.xml", b"<certificates/>")]), ".pem"),
        (zip_of(&[("readme.txt", b"hi")]), "readme.txt"),
        (zip_of(&[("a.pem", b"no certificates")]), "no certificates"),
    ];
    for (zip, expected) in cases {
        let response = f.upload(&profile_id, zip).await;
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains(expected),
            "{message:?} should mention {expected:?}"
        );
    }
    let upload = format!("/iot/api/v1/certificate-import/{profile_id}");
    assert_eq!(f.post_json(&upload, "plain".into(), false).await.0, 400);
    let profiles = "/iot/api/v1/enrollment-profile";
    assert_eq!(f.post_json(profiles, "{not json".into(), true).await.0, 400);
    let pigeon = json!({"name": "x", "enrollment_method": "CARRIER_PIGEON"}).to_string();
    assert_eq!(f.post_json(profiles, pigeon.into(), true).await.0, 400);
    let misspelt = json!({"name": "x", "enrolment_method": "CERTIFICATE_IMPORT"}).to_string();
    let (status, body) = f.post_json(profiles, misspelt.into(), true).await;
    assert_eq!(status, 400);
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("unknown field `enrolment_method`"), "{body}");
}

#[tokio::test]
async fn a_profile_of_another_enrollment_method_cannot_import() {
    let f = Fixture::start();
    let cert = self_signed(KeyType::EcP256, "/CN=dev-1", None);
    let est = f.server.create_profile(&f.client, "EST devices", "EST").await;
    let est_id = est["id"].as_str().unwrap();
    let by_cn = json!({"device_identifier": "subject.common_name"});
    assert_eq!(f.map(est_id, "s.pem", &cert.pem, by_cn).await.status(), 200);
    let response = f.upload(est_id, zip_of(&[("a.pem", cert.pem.as_bytes())])).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("CERTIFICATE_IMPORT"));
}

#[tokio::test]
async fn unknown_ids_and_routes_are_404() {
    let f = Fixture::start();
    let missing = [
        "/iot/api/v1/certificate-import/job/00000000-0000-0000-0000-000000000000",
        "/iot/api/v1/enrollment-profile/nope",
        "/iot/api/v1/nothing-here",
    ];
    for path in missing {
        assert_eq!(f.get(path, &f.server.api_key).await.status(), 404, "{path}");
    }
    let zip = zip_of(&[(
        "a.pem",
        self_signed(KeyType::EcP256, "/CN=d", None).pem.as_bytes(),
    )]);
    assert_eq!(f.upload("nope", zip).await.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenant_sees_and_touches_none_of_a_tenants_profiles_and_jobs() {
    let f = Fixture::start();
    let cert = self_signed(KeyType::EcP256, "/CN=dev-1", None);
    let by_cn = json!({"device_identifier": "subject.common_name"});
    let profile_id = f.mapped_profile("P", "s.pem", &cert.pem, by_cn.clone()).await;
    let zip = zip_of(&[("a.pem", cert.pem.as_bytes())]);
    let job: Value = f.upload(&profile_id, zip.clone()).await.json().await.unwrap();
    let job_id = job["id"].as_str().unwrap();
    let store = certport_embedded::SqliteStore::open(&f.dir.path().join("records.db")).unwrap();
    let tenant_b = certport_core::app::create_tenant_with_key(&store, "B")
        .await
        .unwrap();
    let key_b = tenant_b.api_key.expose().to_string();
    for path in [
        format!("/iot/api/v1/enrollment-profile/{profile_id}"),
        format!("/iot/api/v1/certificate-import/job/{job_id}"),
    ] {
        assert_eq!(f.get(&path, &key_b).await.status(), 404, "{path}");
    }
    assert_eq!(
        f.server
            .upload_zip(&f.client, &profile_id, zip, &key_b)
            .await
            .status(),
        404
    );
    let response = f.map(&profile_id, "s.pem", &cert.pem, by_cn).await;
    assert_eq!(response.status(), 200, "tenant A still owns its profile");
    assert_eq!(
        f.server.finished_job(&f.client, job_id).await["result"],
        "SUCCESS"
    );
}
