//! Reading the inventory back on `certport serve` over HTTP: search, certificate details
//! and contents, with Venafi's own SDK (vcert, Python) where it has the call, and every
//! refusal in API B's error shape.

use crate::support::venafi::{Fixture, GET, POST};
use certport_core::testing::certs::{self_signed, KeyType};
use certport_core::testing::zip_of;
use certport_tests::python::{run_json_with, vcert_python};
use serde_json::{json, Value};
use sha1::{Digest, Sha1};

/// A server holding one imported keystore (the corpus's P-256 key with its chain): its
/// SHA-1 fingerprint and the leaf's DER.
async fn with_one_keystore() -> (Fixture, String, Vec<u8>) {
    let f = Fixture::start().await;
    let imported = f.import_one_keystore().await;
    (f, imported.fingerprint, imported.leaf)
}

async fn search(f: &Fixture, body: Value) -> (u16, Value) {
    f.call(POST, "/outagedetection/v1/certificatesearch", Some(body))
        .await
}

async fn contents(f: &Fixture, id: &str, query: &str) -> (u16, String, Vec<u8>) {
    let url = f
        .server
        .url(&format!("/outagedetection/v1/certificates/{id}/contents{query}"));
    let response = f
        .client
        .get(url)
        .header("tppl-api-key", &f.server.api_key)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
    (status, content_type, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn vcert_finds_a_device_certificate_over_https_and_retrieves_it_through_its_request() {
    let f = Fixture::start().await;
    // A certificate without a key (API A): vcert retrieves its contents.
    let profile = f.server.mapped_pem_profile(&f.client).await;
    let device = self_signed(KeyType::EcP256, "/CN=meter-vcert", None);
    let zip = zip_of(&[("meter.pem", device.pem.as_bytes())]);
    let job: Value = f
        .server
        .upload_zip(&f.client, &profile, zip, &f.server.api_key)
        .await
        .json()
        .await
        .unwrap();
    let job = f
        .server
        .finished_job(&f.client, job["id"].as_str().unwrap())
        .await;
    assert_eq!(job["failed_certificates"], 0, "{job}");
    // vcert's public calls only, as shipped, over HTTPS with the local CA trusted.
    const SCRIPT: &str = r#"
import contextlib, io, json, logging, sys
from vcert import CertificateRequest, venafi_connection
request = json.load(sys.stdin)
logging.disable(logging.CRITICAL)  # vcert logs to standard output, where the answer goes
conn = venafi_connection(url=request["url"], api_key=request["api_key"],
                         http_request_kwargs={"verify": request["ca"]})
with contextlib.redirect_stdout(io.StringIO()):
    found = conn.search_by_thumbprint(request["thumbprint"], timeout=10)
    retrieved = conn.retrieve_cert(CertificateRequest(cert_id=found.csrId))
print(json.dumps({"subject": found.subject, "certificates": found.certificateIds,
                  "cert": retrieved.cert, "key": retrieved.key}))
"#;
    let thumbprint = hex::encode(Sha1::digest(&device.der));
    let request = json!({"api_key": f.server.api_key, "url": f.server.tls_base, "ca": f.server.ca_file,
                         "thumbprint": thumbprint});
    let found = run_json_with(&vcert_python(), SCRIPT, &request);
    assert_eq!(found["subject"], "CN=meter-vcert", "{found}");
    assert_eq!(found["key"], Value::Null, "{found}");
    let cert_pem = found["cert"].as_str().unwrap();
    assert_eq!(certport_core::testing::certs::der_of(cert_pem), device.der);
    let id = found["certificates"][0].as_str().unwrap();
    let (status, view) = f
        .call(GET, &format!("/outagedetection/v1/certificates/{id}"), None)
        .await;
    assert_eq!(
        (status, view["fingerprint"].as_str()),
        (200, Some(thumbprint.to_uppercase().as_str()))
    );
}

#[tokio::test]
async fn every_certificate_answers_to_an_issued_request_and_issuing_is_refused() {
    let (f, fingerprint, _) = with_one_keystore().await;
    let (_, found) = search(
        &f,
        json!({"expression": {"field": "fingerprint", "operator": "EQ", "value": fingerprint}}),
    )
    .await;
    let view = &found["certificates"][0];
    assert_eq!(view["dekHash"], f.key_id.as_str());
    assert_eq!(
        (view["encryptionType"].as_str(), view["keyCurve"].as_str()),
        (Some("EC"), Some("P256"))
    );
    let request_id = view["certificateRequestId"].as_str().unwrap();
    assert_ne!(request_id, view["id"].as_str().unwrap());
    let (status, request) = f
        .call(
            GET,
            &format!("/outagedetection/v1/certificaterequests/{request_id}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{request}");
    assert_eq!(
        (
            &request["id"],
            &request["status"],
            &request["certificateIds"],
            &request["subjectDN"]
        ),
        (
            &json!(request_id),
            &json!("ISSUED"),
            &json!([view["id"]]),
            &view["subjectDN"]
        )
    );
    // The certificate's own id names no request; nor does anything that is not an id.
    let (status, _) = f
        .call(
            GET,
            &format!(
                "/outagedetection/v1/certificaterequests/{}",
                view["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = f
        .call(GET, "/outagedetection/v1/certificaterequests/nope", None)
        .await;
    assert_eq!(status, 400);
    let (status, refused) = f
        .call(
            POST,
            "/outagedetection/v1/certificaterequests",
            Some(json!({"certificateSigningRequest": "x"})),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    let message = refused["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("certificates/imports"), "{message}");
}

#[tokio::test]
async fn contents_come_as_pem_in_each_chain_order_or_as_the_leaf_der() {
    let (f, fingerprint, leaf) = with_one_keystore().await;
    let (_, found) = search(
        &f,
        json!({"expression": {"field": "fingerprint", "operator": "EQ", "value": fingerprint}}),
    )
    .await;
    let id = found["certificates"][0]["id"].as_str().unwrap().to_string();
    let (status, content_type, ee_first) = contents(&f, &id, "").await;
    assert_eq!((status, content_type.as_str()), (200, "text/plain"));
    let ee_first = String::from_utf8(ee_first).unwrap();
    let blocks: Vec<&str> = ee_first.split("\n\n").map(str::trim_end).collect();
    assert_eq!(blocks.len(), 3, "leaf, intermediate, trusted root: {ee_first}");
    assert!(!ee_first.contains('\r'));
    assert_eq!(certport_core::testing::certs::der_of(blocks[0]), leaf);
    let (_, _, root_first) = contents(&f, &id, "?chainOrder=ROOT_FIRST&format=PEM").await;
    let root_first = String::from_utf8(root_first).unwrap();
    let root_first: Vec<&str> = root_first.split("\n\n").map(str::trim_end).collect();
    assert_eq!(root_first, [blocks[2], blocks[1], blocks[0]]);
    let (_, _, ee_only) = contents(&f, &id, "?chainOrder=EE_ONLY").await;
    assert_eq!(String::from_utf8(ee_only).unwrap().trim_end(), blocks[0]);
    let (status, content_type, der) = contents(&f, &id, "?format=DER").await;
    assert_eq!(
        (status, content_type.as_str(), der),
        (200, "application/octet-stream", leaf)
    );
    let (status, _, refused) = contents(&f, &id, "?format=PKCS7").await;
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&refused));
}

#[tokio::test]
async fn every_search_form_clients_send_finds_the_certificate() {
    let (f, fingerprint, leaf) = with_one_keystore().await;
    let sha256 = hex::encode_upper(sha2::Sha256::digest(&leaf));
    let condition = |field: &str, operator: &str, value: Value| json!({"field": field, "operator": operator, "value": value});
    let colons: String = fingerprint
        .as_bytes()
        .chunks(2)
        .map(|pair| String::from_utf8_lossy(pair).to_lowercase())
        .collect::<Vec<_>>()
        .join(":");
    let forms = [
        json!({}),
        json!({"expression": {}}),
        // VenafiPS, with no filter and no order.
        json!({"expression": {}, "ordering": {}, "paging": {"pageNumber": 0, "pageSize": 100}}),
        json!({"expression": condition("fingerprint", "MATCH", json!(colons))}),
        json!({"expression": condition("fingerprintSha256", "EQ", json!(sha256))}),
        json!({"expression": {"operands": [condition("keyStrength", "GTE", json!("256"))]}}),
        json!({"expression": {"operator": "AND", "operands": [
            condition("validityEnd", "GT", json!("2000-01-01T00:00:00.000+01:00")),
            json!({"field": "encryptionType", "operator": "IN", "values": ["RSA", "EC"]})]}}),
        json!({"expression": {"operator": "OR", "operands": [
            condition("subjectCN", "EQ", json!("nobody")),
            condition("hasPrivateKey", "EQ", json!("True"))]}}),
        json!({"expression": {"operator": "NOT", "operand": condition("selfSigned", "EQ", json!(true))}}),
        json!({"expression": condition("certificateStatus", "EQ", json!("ACTIVE")), "paging": {"pageNumber": 0, "pageSize": 1000}}),
    ];
    for form in forms {
        let (status, found) = search(&f, form.clone()).await;
        assert_eq!(
            (status, found["count"].as_u64()),
            (200, Some(1)),
            "{form}: {found}"
        );
        assert_eq!(found["certificates"][0]["fingerprint"], fingerprint.as_str());
    }
    let (status, none) = search(
        &f,
        json!({"expression": condition("validityEnd", "LT", json!("2000-01-01T00:00:00Z"))}),
    )
    .await;
    assert_eq!((status, none), (200, json!({"count": 0, "certificates": []})));
    let (_, second_page) = search(&f, json!({"paging": {"pageNumber": 1, "pageSize": 1}})).await;
    assert_eq!(
        (
            second_page["count"].as_u64(),
            second_page["certificates"].as_array().map(Vec::len)
        ),
        (Some(1), Some(0))
    );
}

/// A search body nesting NOT `depth` deep, as text (a `Value` that deep would overflow
/// this test's own stack).
fn nested(depth: usize) -> String {
    let condition = r#"{"field": "subjectCN", "operator": "EQ", "value": "x"}"#;
    format!(
        r#"{{"expression": {}{condition}{}}}"#,
        r#"{"operator": "NOT", "operand": "#.repeat(depth),
        "}".repeat(depth)
    )
}

#[tokio::test]
async fn hostile_or_mistaken_reads_are_clear_400s_in_api_b_shape() {
    let f = Fixture::start().await;
    // `{}` operands: 200,000 of them still fit a request body.
    let many: Vec<Value> = (0..200_000).map(|_| json!({})).collect();
    let cases = [
        (
            json!({"expression": {"field": "colour", "operator": "EQ", "value": "x"}}),
            "colour",
        ),
        (
            json!({"expression": {"field": "subjectCN", "operator": "LIKE", "value": "x"}}),
            "LIKE",
        ),
        (
            json!({"expression": {"field": "validityEnd", "operator": "GT", "value": "next tuesday"}}),
            "validityEnd",
        ),
        (json!({"expression": {"operands": many}}), "operands"),
        (
            json!({"expression": {"field": "subjectCN", "operator": "EQ", "value": "x".repeat(1 << 20)}}),
            "bytes",
        ),
        (json!({"paging": {"pageSize": 1001}}), "pageSize"),
        (json!({"paging": {"pageNumber": -1}}), "pageNumber"),
    ];
    for (body, named) in cases {
        let (status, error) = search(&f, body).await;
        assert_eq!(status, 400, "{named}: {error}");
        let first = &error["errors"][0];
        assert!(
            first["code"].is_i64() && first["message"].as_str().unwrap().contains(named),
            "{error}"
        );
    }
    let response = f
        .client
        .post(f.server.url("/outagedetection/v1/certificatesearch"))
        .header("tppl-api-key", &f.server.api_key)
        .body(nested(100_000))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let error: Value = response.json().await.unwrap();
    assert!(
        error["errors"][0]["message"].as_str().unwrap().contains("deep"),
        "{error}"
    );
    let (status, error) = f
        .call(GET, "/outagedetection/v1/certificates/not-a-uuid", None)
        .await;
    assert_eq!(status, 400, "{error}");
    let unknown = "/outagedetection/v1/certificates/00000000-0000-8000-8000-000000000000";
    let (status, error) = f.call(GET, unknown, None).await;
    assert_eq!(
        (status, error["errors"][0]["code"].is_i64()),
        (404, true),
        "{error}"
    );
}
