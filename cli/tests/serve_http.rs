//! End to end on embedded storage: the real `certport serve` binary, driven over HTTP.
// Test code: a failed step should stop the run that took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use certport_core::testing::certs::{one_line_base64, self_signed, KeyType, TestCert};
use certport_core::testing::zip_of;
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use support::{start_server, Server};

mod support;

impl Server {
    async fn create_profile(&self, client: &reqwest::Client, name: &str, method: &str) -> Value {
        let response = client
            .post(self.url("/iot/api/v1/enrollment-profile"))
            .header("x-api-key", &self.api_key)
            .json(&json!({"name": name, "enrollment_method": method}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }

    async fn map(
        &self,
        client: &reqwest::Client,
        profile: &str,
        sample_name: &str,
        sample: Vec<u8>,
        mapping: Value,
    ) -> reqwest::Response {
        let form = Form::new()
            .part("file", Part::bytes(sample).file_name(sample_name.to_string()))
            .text("mapping", mapping.to_string());
        client
            .post(self.url(&format!(
                "/iot/api/v1/enrollment-profile/{profile}/source-fields-mapping"
            )))
            .header("x-api-key", &self.api_key)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    async fn upload(
        &self,
        client: &reqwest::Client,
        profile: &str,
        zip: Vec<u8>,
        key: &str,
    ) -> reqwest::Response {
        let form = Form::new().part("file", Part::bytes(zip).file_name("devices batch+1.zip"));
        client
            .post(self.url(&format!("/iot/api/v1/certificate-import/{profile}")))
            .header("x-api-key", key)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// Polls until the job leaves PENDING; the deadline only guards against a hang.
    async fn finished_job(&self, client: &reqwest::Client, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let job: Value = client
                .get(self.url(&format!("/iot/api/v1/certificate-import/job/{id}")))
                .header("tppl-api-key", &self.api_key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if job["status"] != "PENDING" {
                return job;
            }
            assert!(Instant::now() < deadline, "job {id} still pending");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pem_and_xml_imports_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let (server, printed) = start_server(dir.path());
    assert!(
        printed.iter().any(|l| l.contains(&server.api_key)),
        "first start prints the API key"
    );
    let client = certport_tests::http_client();
    let c = certs();

    // Profile and mapping from a PEM sample.
    let profile = server
        .create_profile(&client, "Meters", "CERTIFICATE_IMPORT")
        .await;
    let profile_id = profile["id"].as_str().unwrap();
    assert_eq!(profile["enrollment_method"], "CERTIFICATE_IMPORT");
    assert!(profile["format"].is_null());
    let mapping = json!({"device_identifier": "subject.common_name", "site": "subject.locality", "dns": "san.dns_name"});
    let response = server
        .map(
            &client,
            profile_id,
            "sample.pem",
            c.rsa.pem.clone().into_bytes(),
            mapping.clone(),
        )
        .await;
    assert_eq!(response.status(), 200);
    let preview: Value = response.json().await.unwrap();
    assert_eq!(preview["format"], "PEM");
    assert_eq!(
        preview["mapped_fields"],
        json!({"device_identifier": "meter-001", "site": "Oslo", "dns": "meter-001.example.com"})
    );
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
    let fetched: Value = client
        .get(server.url(&format!("/iot/api/v1/enrollment-profile/{profile_id}")))
        .header("x-api-key", &server.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fetched["format"], "PEM");
    assert_eq!(fetched["source_fields_mapping"], mapping);

    // A zip of two PEM bundles: CRLF, text around blocks, and three bad entries.
    let a_pem = format!(
        "Exported by DeviceTool 2.1\r\n{}\r\n{}-- end of bundle --\r\n",
        crlf(&c.rsa.pem),
        c.p256.pem
    );
    let b_pem = format!(
        "{}-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n{}{}-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n",
        c.ed25519.pem, c.p384.pem, c.no_cn.pem
    );
    let zip = zip_of(&[("a.pem", a_pem.as_bytes()), ("nested/b.pem", b_pem.as_bytes())]);
    let response = server
        .upload(&client, profile_id, zip.clone(), &server.api_key)
        .await;
    assert_eq!(response.status(), 200);
    let job: Value = response.json().await.unwrap();
    assert_job_fields(&job);
    assert_eq!(job["status"], "PENDING");
    assert_eq!(job["format"], "PEM");
    assert_eq!(job["original_file_name"], "devices batch+1.zip");
    assert_eq!(job["original_size"], zip.len() as u64);
    assert_eq!(job["total_certificates"], 7);
    assert_eq!(
        job["enrollment_profile"],
        json!({"id": profile_id, "name": "Meters"})
    );

    let done = server.finished_job(&client, job["id"].as_str().unwrap()).await;
    assert_job_fields(&done);
    assert_eq!(done["status"], "COMPLETED");
    assert_eq!(done["total_certificates"], 7);
    assert_eq!(done["failed_certificates"], 3);
    assert_eq!(done["result"], "PARTIAL_SUCCESS");
    assert!(
        done["account_id"].is_string()
            && done["division"]["id"].is_string()
            && done["division"]["name"].is_string()
    );
    let reasons: Vec<(String, u64, String)> = failures(&done)
        .iter()
        .map(|f| {
            (
                f["file_name"].as_str().unwrap().to_string(),
                f["index"].as_u64().unwrap(),
                f["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("nested/b.pem".into(), 1, "MALFORMED_PEM".into()),
            ("nested/b.pem".into(), 3, "MISSING_REQUIRED_FIELD".into()),
            ("nested/b.pem".into(), 4, "MALFORMED_CERTIFICATE".into()),
        ]
    );
    assert!(failures(&done)
        .iter()
        .all(|f| !f["message"].as_str().unwrap().is_empty()));

    // The same zip again: nothing new; every good certificate is a DUPLICATE.
    let again: Value = server
        .upload(&client, profile_id, zip, &server.api_key)
        .await
        .json()
        .await
        .unwrap();
    let again = server.finished_job(&client, again["id"].as_str().unwrap()).await;
    assert_eq!(again["failed_certificates"], 7);
    assert_eq!(again["result"], "FAILURE");
    let duplicates = failures(&again)
        .iter()
        .filter(|f| f["reason"] == "DUPLICATE")
        .count();
    assert_eq!(duplicates, 4);

    // The XML format, from its own profile.
    let xml_profile = server
        .create_profile(&client, "Gateways", "CERTIFICATE_IMPORT")
        .await;
    let xml_profile_id = xml_profile["id"].as_str().unwrap();
    let gw1 = self_signed(
        KeyType::EcP256,
        "/CN=gw-1",
        Some("DNS:gw-1.example.com,URI:urn:dev:gw-1"),
    );
    let gw2 = self_signed(KeyType::Rsa2048, "/CN=gw-2", Some("DNS:gw-2.example.com"));
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<certificates>\r\n  <certificate><pem>{}</pem></certificate>\r\n  <certificate><pem>{}</pem></certificate>\r\n</certificates>\r\n",
        one_line_base64(&gw1),
        one_line_base64(&gw2)
    );
    let response = server
        .map(
            &client,
            xml_profile_id,
            "sample.xml",
            xml.clone().into_bytes(),
            json!({"device_identifier": "san.dns_name", "urn": "san.uri"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let response = server
        .upload(
            &client,
            xml_profile_id,
            zip_of(&[("gateways.xml", xml.as_bytes())]),
            &server.api_key,
        )
        .await;
    assert_eq!(response.status(), 200);
    let job: Value = response.json().await.unwrap();
    assert_eq!(job["format"], "XML");
    let done = server.finished_job(&client, job["id"].as_str().unwrap()).await;
    assert_eq!(
        (
            done["total_certificates"].as_u64(),
            done["failed_certificates"].as_u64()
        ),
        (Some(2), Some(0))
    );
    assert_eq!(done["result"], "SUCCESS");
    assert_eq!(done["status_message"], "[]");

    // A PEM zip to the XML profile is refused with a message that says what to do.
    let response = server
        .upload(
            &client,
            xml_profile_id,
            zip_of(&[("a.pem", c.rsa.pem.as_bytes())]),
            &server.api_key,
        )
        .await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["errors"][0]["code"], "invalid_input");
    assert!(
        error["errors"][0]["message"].as_str().unwrap().contains(".xml"),
        "{error}"
    );

    // Restarting on the same data directory keeps the tenant and key.
    drop(server);
    let (server, printed) = start_server(dir.path());
    assert!(!printed.iter().any(|l| l.contains(&server.api_key)));
    let job = server.finished_job(&client, done["id"].as_str().unwrap()).await;
    assert_eq!(job["result"], "SUCCESS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_mistakes_are_clear_4xx_and_tenants_are_isolated() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start_server(dir.path());
    let client = certport_tests::http_client();
    let cert = self_signed(KeyType::EcP256, "/CN=dev-1", None);

    // Auth: missing or wrong key is 401 with a JSON error.
    for key in [None, Some("cpk_wrong")] {
        let mut request = client.get(server.url("/iot/api/v1/enrollment-profile/x"));
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["code"], "unauthorized");
    }

    let profile = server.create_profile(&client, "P", "CERTIFICATE_IMPORT").await;
    let profile_id = profile["id"].as_str().unwrap().to_string();
    let status_of = |r: reqwest::Response| r.status().as_u16();

    // Upload before any mapping, bad mappings, bad samples.
    let zip = zip_of(&[("a.pem", cert.pem.as_bytes())]);
    assert_eq!(
        status_of(
            server
                .upload(&client, &profile_id, zip.clone(), &server.api_key)
                .await
        ),
        400
    );
    let bad_mappings = [
        json!({"site": "subject.locality"}),
        json!({"device_identifier": "subject.nickname"}),
        json!({"device_identifier": "subject.email"}),
    ];
    for mapping in bad_mappings {
        let response = server
            .map(
                &client,
                &profile_id,
                "s.pem",
                cert.pem.clone().into_bytes(),
                mapping,
            )
            .await;
        assert_eq!(response.status(), 400);
    }
    assert_eq!(
        status_of(
            server
                .map(
                    &client,
                    &profile_id,
                    "s.crt",
                    cert.pem.clone().into_bytes(),
                    json!({"device_identifier": "subject.common_name"})
                )
                .await
        ),
        400
    );
    assert_eq!(
        status_of(
            server
                .map(
                    &client,
                    &profile_id,
                    "s.pem",
                    b"no certs here".to_vec(),
                    json!({"device_identifier": "subject.common_name"})
                )
                .await
        ),
        400
    );
    assert_eq!(
        status_of(
            server
                .map(
                    &client,
                    &profile_id,
                    "s.pem",
                    cert.pem.clone().into_bytes(),
                    json!({"device_identifier": "subject.common_name"})
                )
                .await
        ),
        200
    );

    // Bad uploads.
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"this is not a zip".to_vec(), "not a readable zip"),
        (zip_of(&[("a.xml", b"<certificates/>")]), ".pem"),
        (zip_of(&[("readme.txt", b"hi")]), "readme.txt"),
        (zip_of(&[("a.pem", b"no certificates")]), "no certificates"),
    ];
    for (zip, expected) in cases {
        let response = server.upload(&client, &profile_id, zip, &server.api_key).await;
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains(expected),
            "{message:?} should mention {expected:?}"
        );
    }
    let response = client
        .post(server.url(&format!("/iot/api/v1/certificate-import/{profile_id}")))
        .header("x-api-key", &server.api_key)
        .body("plain")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = client
        .post(server.url("/iot/api/v1/enrollment-profile"))
        .header("x-api-key", &server.api_key)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = client
        .post(server.url("/iot/api/v1/enrollment-profile"))
        .header("x-api-key", &server.api_key)
        .json(&json!({"name": "x", "enrollment_method": "CARRIER_PIGEON"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = client
        .post(server.url("/iot/api/v1/enrollment-profile"))
        .header("x-api-key", &server.api_key)
        .json(&json!({"name": "x", "enrolment_method": "CERTIFICATE_IMPORT"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `enrolment_method`"),
        "{body}"
    );

    // A profile of another enrollment method cannot import.
    let est = server.create_profile(&client, "EST devices", "EST").await;
    let est_id = est["id"].as_str().unwrap();
    assert_eq!(
        status_of(
            server
                .map(
                    &client,
                    est_id,
                    "s.pem",
                    cert.pem.clone().into_bytes(),
                    json!({"device_identifier": "subject.common_name"})
                )
                .await
        ),
        200
    );
    let response = server.upload(&client, est_id, zip.clone(), &server.api_key).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("CERTIFICATE_IMPORT"));

    // Unknown ids and routes are 404.
    let missing = [
        "/iot/api/v1/certificate-import/job/00000000-0000-0000-0000-000000000000",
        "/iot/api/v1/enrollment-profile/nope",
        "/iot/api/v1/nothing-here",
    ];
    for path in missing {
        let response = client
            .get(server.url(path))
            .header("x-api-key", &server.api_key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    assert_eq!(
        status_of(server.upload(&client, "nope", zip.clone(), &server.api_key).await),
        404
    );

    // Tenant B sees none of tenant A's profiles or jobs.
    let job: Value = server
        .upload(&client, &profile_id, zip.clone(), &server.api_key)
        .await
        .json()
        .await
        .unwrap();
    let job_id = job["id"].as_str().unwrap();
    let store = certport_embedded::SqliteStore::open(&dir.path().join("records.db")).unwrap();
    let tenant_b = certport_core::app::create_tenant_with_key(&store, "B")
        .await
        .unwrap();
    let key_b = tenant_b.api_key.expose().to_string();
    for path in [
        format!("/iot/api/v1/enrollment-profile/{profile_id}"),
        format!("/iot/api/v1/certificate-import/job/{job_id}"),
    ] {
        let response = client
            .get(server.url(&path))
            .header("x-api-key", &key_b)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    assert_eq!(
        status_of(server.upload(&client, &profile_id, zip, &key_b).await),
        404
    );
    let response = server
        .map(
            &client,
            &profile_id,
            "s.pem",
            cert.pem.clone().into_bytes(),
            json!({"device_identifier": "subject.common_name"}),
        )
        .await;
    assert_eq!(response.status(), 200, "tenant A still owns its profile");
    assert_eq!(server.finished_job(&client, job_id).await["result"], "SUCCESS");
}
