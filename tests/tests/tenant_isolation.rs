//! Tenant isolation on every route: another tenant's ids answer 404, lists show
//! only the caller's records, and a missing or unknown key is 401 with a JSON error. Run
//! through the HTTP layer on the embedded adapters (the AWS ones pass the same store
//! contracts, where every read is scoped by tenant).
// Test code: a failed step should stop the run that took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine;
use bytes::Bytes;
use certport_core::app::{create_edge_instance, create_tenant_with_key, Deps, Limits};
use certport_core::http::handle;
use certport_core::testing::certs::{self_signed, KeyType};
use certport_core::testing::zip_of;
use certport_tests::embedded::embedded_deps;
use certport_tests::fixtures::{multipart, repo_root};
use serde_json::{json, Value};

struct Api {
    deps: Deps,
}

impl Api {
    async fn call(&self, key: Option<&str>, method: &str, path: &str, body: Body) -> (u16, Value) {
        let mut request = http::Request::builder().method(method).uri(path);
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        let bytes = match body {
            Body::None => Bytes::new(),
            Body::Json(value) => {
                request = request.header("content-type", "application/json");
                Bytes::from(value.to_string())
            }
            Body::Form(parts) => {
                request = request.header("content-type", "multipart/form-data; boundary=isolation");
                let parts: Vec<(&str, Option<&str>, &[u8])> =
                    parts.iter().map(|(n, f, d)| (*n, *f, d.as_slice())).collect();
                Bytes::from(multipart("isolation", &parts))
            }
        };
        let response = handle(&self.deps, |_| true, request.body(bytes).unwrap(), None).await;
        let status = response.status().as_u16();
        (
            status,
            serde_json::from_slice(response.body()).unwrap_or(Value::Null),
        )
    }
}

enum Body {
    None,
    Json(Value),
    Form(Vec<(&'static str, Option<&'static str>, Vec<u8>)>),
}

#[tokio::test]
async fn another_tenant_sees_and_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let deps = embedded_deps(dir.path(), Limits::default());
    let api = Api { deps: deps.clone() };
    let a = create_tenant_with_key(deps.tenants.as_ref(), "a").await.unwrap();
    let b = create_tenant_with_key(deps.tenants.as_ref(), "b").await.unwrap();
    let (ka, kb) = (a.api_key.expose().to_string(), b.api_key.expose().to_string());

    // Tenant A's records: a mapped profile, an import job, an edge instance, a trusted CA, a keystore job.
    let (_, profile) = api
        .call(
            Some(&ka),
            "POST",
            "/iot/api/v1/enrollment-profile",
            Body::Json(json!({"name": "a", "enrollment_method": "CERTIFICATE_IMPORT"})),
        )
        .await;
    let profile = profile["id"].as_str().unwrap().to_string();
    let sample = self_signed(KeyType::EcP256, "/CN=a-1", None).pem.into_bytes();
    let mapping = Body::Form(vec![
        ("file", Some("s.pem"), sample.clone()),
        (
            "mapping",
            None,
            br#"{"device_identifier": "subject.common_name"}"#.to_vec(),
        ),
    ]);
    let mapping_path = format!("/iot/api/v1/enrollment-profile/{profile}/source-fields-mapping");
    assert_eq!(api.call(Some(&ka), "POST", &mapping_path, mapping).await.0, 200);
    let zip = zip_of(&[("a.pem", &sample)]);
    let import_path = format!("/iot/api/v1/certificate-import/{profile}");
    let (code, job) = api
        .call(
            Some(&ka),
            "POST",
            &import_path,
            Body::Form(vec![("file", Some("a.zip"), zip.clone())]),
        )
        .await;
    assert_eq!(code, 200, "{job}");
    let job = job["id"].as_str().unwrap().to_string();
    let (edge, dek) = create_edge_instance(
        deps.tenants.as_ref(),
        deps.keys.dek.as_ref(),
        &a.tenant.id,
        "edge-a",
    )
    .await
    .unwrap();
    let root =
        std::fs::read_to_string(repo_root().join("tests/fixtures/keystores/trusted-root.pem")).unwrap();
    let ca_body = || Body::Json(json!({"certificate": root}));
    assert_eq!(
        api.call(Some(&ka), "POST", "/v1/trustedcacertificates", ca_body())
            .await
            .0,
        201
    );
    let b64 = base64::engine::general_purpose::STANDARD;
    let batch = json!({
        "edgeInstanceId": edge.id, "encryptionKeyId": dek.id,
        "importInformation": [{"pkcs12Keystore": b64.encode(b"x"), "dekEncryptedPassword": b64.encode(b"y")}]
    });
    let (code, keystore_job) = api
        .call(
            Some(&ka),
            "POST",
            "/outagedetection/v1/certificates/imports",
            Body::Json(batch.clone()),
        )
        .await;
    assert_eq!(code, 201, "{keystore_job}");
    let keystore_job = keystore_job["id"].as_str().unwrap().to_string();

    // Tenant B, on every route that names one of them: 404.
    let named: Vec<(&str, String, Body)> = vec![
        (
            "GET",
            format!("/iot/api/v1/enrollment-profile/{profile}"),
            Body::None,
        ),
        (
            "POST",
            mapping_path.clone(),
            Body::Form(vec![
                ("file", Some("s.pem"), sample.clone()),
                (
                    "mapping",
                    None,
                    br#"{"device_identifier": "subject.common_name"}"#.to_vec(),
                ),
            ]),
        ),
        (
            "POST",
            import_path.clone(),
            Body::Form(vec![("file", Some("a.zip"), zip.clone())]),
        ),
        (
            "POST",
            format!("{import_path}/upload-url"),
            Body::Json(json!({"file_name": "a.zip", "size": 10})),
        ),
        (
            "GET",
            format!("/iot/api/v1/certificate-import/job/{job}"),
            Body::None,
        ),
        (
            "GET",
            format!("/outagedetection/v1/certificates/imports/{keystore_job}"),
            Body::None,
        ),
        ("GET", format!("/v1/edgeencryptionkeys/{}", dek.id), Body::None),
        (
            "POST",
            "/outagedetection/v1/certificates/imports".into(),
            Body::Json(batch.clone()),
        ),
        (
            "POST",
            "/outagedetection/v1/certificates/imports/upload-url".into(),
            Body::Json(json!({"edgeInstanceId": edge.id, "encryptionKeyId": dek.id, "size": 10})),
        ),
    ];
    for (method, path, body) in named {
        let (code, error) = api.call(Some(&kb), method, &path, body).await;
        assert_eq!(code, 404, "{method} {path} as tenant B: {error}");
        assert!(error["errors"][0]["message"].is_string(), "{error}");
    }
    // Lists hold only the caller's records; adding the same CA is B's own first time.
    let (_, edges) = api.call(Some(&kb), "GET", "/v1/edgeinstances", Body::None).await;
    assert_eq!(edges["edgeinstances"], json!([]));
    let (_, cas) = api
        .call(Some(&kb), "GET", "/v1/trustedcacertificates", Body::None)
        .await;
    assert_eq!(cas["trustedCaCertificates"], json!([]));
    assert_eq!(
        api.call(Some(&kb), "POST", "/v1/trustedcacertificates", ca_body())
            .await
            .0,
        201
    );
    // A's records are untouched by all of that.
    let (code, a_job) = api
        .call(
            Some(&ka),
            "GET",
            &format!("/iot/api/v1/certificate-import/job/{job}"),
            Body::None,
        )
        .await;
    assert_eq!((code, a_job["status"].as_str()), (200, Some("PENDING")));

    // Without a key, or with an unknown one: 401 with a JSON error, on every route.
    let every_route = [
        ("POST", "/iot/api/v1/enrollment-profile".to_string()),
        ("GET", format!("/iot/api/v1/enrollment-profile/{profile}")),
        ("POST", mapping_path),
        ("POST", import_path.clone()),
        ("POST", format!("{import_path}/upload-url")),
        ("GET", format!("/iot/api/v1/certificate-import/job/{job}")),
        ("POST", "/outagedetection/v1/certificates/imports".into()),
        (
            "POST",
            "/outagedetection/v1/certificates/imports/upload-url".into(),
        ),
        (
            "GET",
            format!("/outagedetection/v1/certificates/imports/{keystore_job}"),
        ),
        ("GET", "/v1/edgeinstances".into()),
        ("GET", format!("/v1/edgeencryptionkeys/{}", dek.id)),
        ("POST", "/v1/trustedcacertificates".into()),
        ("GET", "/v1/trustedcacertificates".into()),
    ];
    for (method, path) in every_route {
        for key in [None, Some("cpk_not_a_key_of_anyone")] {
            let (code, error) = api.call(key, method, &path, Body::None).await;
            assert_eq!(code, 401, "{method} {path} with {key:?}: {error}");
            assert!(
                error["errors"][0]["message"]
                    .as_str()
                    .unwrap()
                    .contains("API key"),
                "{error}"
            );
        }
    }
}
