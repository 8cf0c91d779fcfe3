//! The DigiCert-compatible reads on `certport serve` over HTTP: the device list (filters,
//! paging, total), one device, and the certificates devices hold.

use crate::support::{start_server, Server};
use certport_core::testing::certs::{self_signed, KeyType};
use certport_core::testing::zip_of;
use serde_json::{json, Value};

const DEVICES: usize = 7;

/// A server with `DEVICES` devices (`meter-0` ...) imported into one profile, the
/// profile's id, and the certificates' serial numbers.
struct Devices {
    server: Server,
    client: reqwest::Client,
    profile: String,
    _dir: tempfile::TempDir,
}

impl Devices {
    async fn start() -> Devices {
        let dir = tempfile::tempdir().unwrap();
        let (server, _) = start_server(dir.path());
        let client = certport_tests::http_client();
        let profile = server
            .create_profile(&client, "meters", "CERTIFICATE_IMPORT")
            .await;
        let profile = profile["id"].as_str().unwrap().to_string();
        let mapping = json!({"device_identifier": "subject.common_name", "site": "subject.locality"});
        let sample = self_signed(KeyType::EcP256, "/CN=sample/L=Oslo", None)
            .pem
            .into_bytes();
        let mapped = server.map(&client, &profile, "s.pem", sample, mapping).await;
        assert_eq!(mapped.status(), 200);
        let pems: Vec<String> = (0..DEVICES)
            .map(|i| self_signed(KeyType::EcP256, &format!("/CN=meter-{i}/L=Oslo"), None).pem)
            .collect();
        let zip = zip_of(&[("meters.pem", pems.concat().as_bytes())]);
        let response = server.upload_zip(&client, &profile, zip, &server.api_key).await;
        let job: Value = response.json().await.unwrap();
        let job = server.finished_job(&client, job["id"].as_str().unwrap()).await;
        assert_eq!(job["failed_certificates"], 0, "{job}");
        Devices {
            server,
            client,
            profile,
            _dir: dir,
        }
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(self.server.url(path))
            .header("x-api-key", &self.server.api_key)
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.json().await.unwrap_or(Value::Null),
        )
    }

    async fn identifiers(&self, query: &str) -> (u64, Vec<String>) {
        let (status, page) = self.get(&format!("/iot/api/v2/device{query}")).await;
        assert_eq!(status, 200, "{query}: {page}");
        let ids = page["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["device_identifier"].as_str().unwrap().to_string())
            .collect();
        (page["total"].as_u64().unwrap(), ids)
    }
}

#[tokio::test]
async fn devices_list_in_pages_with_their_total_and_read_one_by_one() {
    let d = Devices::start().await;
    let (total, first) = d.identifiers("?limit=3").await;
    let (_, rest) = d.identifiers("?limit=3&offset=3").await;
    let (_, last) = d.identifiers("?limit=3&offset=6").await;
    assert_eq!(total, DEVICES as u64);
    let mut all: Vec<String> = [first, rest, last].concat();
    assert_eq!(all.len(), DEVICES, "{all:?}");
    all.sort();
    assert_eq!(
        all,
        (0..DEVICES).map(|i| format!("meter-{i}")).collect::<Vec<_>>()
    );
    let (_, page) = d.get("/iot/api/v2/device?device_identifier=meter-4").await;
    let device = &page["records"][0];
    assert_eq!(
        (page["total"].as_u64(), page["limit"].as_u64()),
        (Some(1), Some(20))
    );
    assert_eq!(device["fields"], json!([{"name": "site", "value": "Oslo"}]));
    assert_eq!(
        device["enrollment_profile"],
        json!({"id": d.profile, "name": "meters"})
    );
    assert_eq!(device["certificate"]["common_name"], "meter-4");
    let (status, one) = d
        .get(&format!("/iot/api/v2/device/{}", device["id"].as_str().unwrap()))
        .await;
    assert_eq!((status, &one), (200, device));
}

#[tokio::test]
async fn device_filters_select_by_profile_and_creation_time() {
    let d = Devices::start().await;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    for (query, expected) in [
        (format!("?enrollment_profile_id={}", d.profile), DEVICES),
        (
            "?enrollment_profile_id=00000000-0000-4000-8000-000000000000".to_string(),
            0,
        ),
        (format!("?created_from={today}&created_to={today}"), DEVICES),
        (format!("?upated_to={today}"), DEVICES),
        ("?created_to=2000-01-01".to_string(), 0),
        ("?updated_from=2100-01-01T00:00:00%2B01:00".to_string(), 0),
    ] {
        let (total, _) = d.identifiers(&query).await;
        assert_eq!(total, expected as u64, "{query}");
    }
}

#[tokio::test]
async fn the_certificates_devices_hold_list_with_and_without_a_trailing_slash() {
    let d = Devices::start().await;
    let (status, page) = d.get("/iot/api/v1/certificate/?common_name=meter-2").await;
    assert_eq!(status, 200, "{page}");
    let certificate = &page["records"][0];
    assert_eq!(
        (page["total"].as_u64(), certificate["status"].as_str()),
        (Some(1), Some("ISSUED"))
    );
    assert!(certificate["body"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----\n"));
    let serial = certificate["serial_number"].as_str().unwrap().to_lowercase();
    let (_, by_serial) = d
        .get(&format!("/iot/api/v1/certificate?serial_number={serial}"))
        .await;
    assert_eq!(
        by_serial["records"][0]["id"], certificate["id"],
        "serial numbers compare without case"
    );
    let (_, expired) = d.get("/iot/api/v1/certificate?status=EXPIRED").await;
    assert_eq!(expired["total"], 0);
    let (_, all) = d.get("/iot/api/v1/certificate?limit=1000").await;
    assert_eq!(all["total"].as_u64(), Some(DEVICES as u64));
}

#[tokio::test]
async fn out_of_range_paging_bad_dates_and_ids_are_400s_saying_which() {
    let d = Devices::start().await;
    for (path, named) in [
        ("/iot/api/v2/device?limit=0", "limit"),
        ("/iot/api/v2/device?limit=1001", "limit"),
        ("/iot/api/v2/device?offset=-1", "offset"),
        ("/iot/api/v2/device?offset=100001", "offset"),
        ("/iot/api/v2/device?created_from=yesterday", "created_from"),
        ("/iot/api/v1/certificate?status=REVOKED", "status"),
        ("/iot/api/v2/device/not-a-uuid", "not-a-uuid"),
    ] {
        let (status, error) = d.get(path).await;
        assert_eq!(status, 400, "{path}: {error}");
        assert!(
            error["errors"][0]["message"].as_str().unwrap().contains(named),
            "{path}: {error}"
        );
    }
    let (status, _) = d
        .get("/iot/api/v2/device/00000000-0000-4000-8000-000000000000")
        .await;
    assert_eq!(status, 404);
}

/// A self-signed certificate (PEM) with the given serial number's bytes.
fn with_serial(serial: &[u8], common_name: &str) -> String {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    params.serial_number = Some(rcgen::SerialNumber::from_slice(serial));
    params.self_signed(&key).unwrap().pem()
}

#[tokio::test]
async fn a_serial_number_matches_in_any_spelling_in_search_and_in_the_certificate_list() {
    let d = Devices::start().await;
    // Its top bit is set, so DER adds a sign byte: the record holds 00A0B0C0D5.
    let pem = with_serial(&[0xA0, 0xB0, 0xC0, 0xD5], "meter-serial");
    let zip = zip_of(&[("serial.pem", pem.as_bytes())]);
    let response = d
        .server
        .upload_zip(&d.client, &d.profile, zip, &d.server.api_key)
        .await;
    let job: Value = response.json().await.unwrap();
    let job = d
        .server
        .finished_job(&d.client, job["id"].as_str().unwrap())
        .await;
    assert_eq!(job["failed_certificates"], 0, "{job}");
    for spelling in ["a0b0c0d5", "00A0B0C0D5", "A0:B0:C0:D5", "0xa0b0c0d5"] {
        let search = json!({"expression": {"field": "serialNumber", "operator": "EQ", "value": spelling}});
        let (status, found) = d
            .server
            .call(
                &d.client,
                reqwest::Method::POST,
                "/outagedetection/v1/certificatesearch",
                Some(search),
            )
            .await;
        assert_eq!(
            (status, found["count"].as_u64()),
            (200, Some(1)),
            "{spelling}: {found}"
        );
        let query: String = form_urlencoded::byte_serialize(spelling.as_bytes()).collect();
        let (_, listed) = d
            .get(&format!("/iot/api/v1/certificate?serial_number={query}"))
            .await;
        assert_eq!(listed["total"].as_u64(), Some(1), "{spelling}: {listed}");
        assert_eq!(listed["records"][0]["common_name"], "meter-serial");
    }
}
