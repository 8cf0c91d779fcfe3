//! Tenant isolation on every route: another tenant's ids answer 404, lists show
//! only the caller's records, and a missing or unknown key is 401 with a JSON error. Run
//! through the HTTP layer on the embedded adapters (the AWS ones pass the same store
//! contracts, where every read is scoped by tenant).

use base64::Engine;
use bytes::Bytes;
use certport_core::app::{create_edge_instance, create_tenant_with_key, Deps, Limits, UploadProcessor};
use certport_core::domain::{certificate_id, certificate_request_id};
use certport_core::http::{router, ROUTES};
use certport_core::testing::certs::{self_signed, KeyType};
use certport_core::testing::zip_of;
use certport_tests::embedded::embedded_deps;
use certport_tests::fixtures::{multipart, repo_root};
use serde_json::{json, Value};
use tower::ServiceExt;

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
        let request = request.body(axum::body::Body::from(bytes)).unwrap();
        let response = router(self.deps.clone(), |_| true)
            .oneshot(request)
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }
}

enum Body {
    None,
    Json(Value),
    Form(Vec<(&'static str, Option<&'static str>, Vec<u8>)>),
}

/// Two tenants on embedded storage; tenant A has one of every record.
struct TwoTenants {
    api: Api,
    _dir: tempfile::TempDir,
    key_a: String,
    key_b: String,
    profile: String,
    job: String,
    keystore_job: String,
    edge_id: String,
    dek_id: String,
    sample: Vec<u8>,
    /// The id of A's imported certificate.
    certificate: String,
    batch: Value,
}

fn mapping_form(sample: &[u8]) -> Body {
    let mapping = br#"{"device_identifier": "subject.common_name"}"#.to_vec();
    Body::Form(vec![
        ("file", Some("s.pem"), sample.to_vec()),
        ("mapping", None, mapping),
    ])
}

fn trusted_root() -> Body {
    let root =
        std::fs::read_to_string(repo_root().join("tests/fixtures/keystores/trusted-root.pem")).unwrap();
    Body::Json(json!({"certificate": root}))
}

impl TwoTenants {
    /// Tenant A's records: a mapped profile, an import job, an edge instance, a trusted
    /// CA, a keystore job.
    async fn set_up() -> TwoTenants {
        let dir = tempfile::tempdir().unwrap();
        let deps = embedded_deps(dir.path(), Limits::default());
        let api = Api { deps: deps.clone() };
        let a = create_tenant_with_key(deps.tenants.as_ref(), "a").await.unwrap();
        let b = create_tenant_with_key(deps.tenants.as_ref(), "b").await.unwrap();
        let (ka, kb) = (a.api_key.expose().to_string(), b.api_key.expose().to_string());
        let new_profile = Body::Json(json!({"name": "a", "enrollment_method": "CERTIFICATE_IMPORT"}));
        let (_, profile) = api
            .call(Some(&ka), "POST", "/iot/api/v1/enrollment-profile", new_profile)
            .await;
        let profile = profile["id"].as_str().unwrap().to_string();
        let sample = self_signed(KeyType::EcP256, "/CN=a-1", None).pem.into_bytes();
        let mapping_path = format!("/iot/api/v1/enrollment-profile/{profile}/source-fields-mapping");
        assert_eq!(
            api.call(Some(&ka), "POST", &mapping_path, mapping_form(&sample))
                .await
                .0,
            200
        );
        let zip = Body::Form(vec![("file", Some("a.zip"), zip_of(&[("a.pem", &sample)]))]);
        let (code, job) = api
            .call(
                Some(&ka),
                "POST",
                &format!("/iot/api/v1/certificate-import/{profile}"),
                zip,
            )
            .await;
        assert_eq!(code, 200, "{job}");
        let object_key = format!(
            "certificate-import/{}/{}/a.zip",
            a.tenant.id,
            job["id"].as_str().unwrap()
        );
        UploadProcessor::CertificateImport
            .process(&deps, &object_key)
            .await
            .unwrap();
        let fingerprint = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
            certport_core::testing::certs::der_of(std::str::from_utf8(&sample).unwrap()),
        ));
        let certificate = certificate_id(&a.tenant.id, &fingerprint);
        let tenants = deps.tenants.as_ref();
        let (edge, dek) = create_edge_instance(tenants, deps.keys.dek.as_ref(), &a.tenant.id, "edge-a")
            .await
            .unwrap();
        assert_eq!(
            api.call(Some(&ka), "POST", "/v1/trustedcacertificates", trusted_root())
                .await
                .0,
            201
        );
        let b64 = base64::engine::general_purpose::STANDARD;
        let batch = json!({
            "edgeInstanceId": edge.id, "encryptionKeyId": dek.id,
            "importInformation": [{"pkcs12Keystore": b64.encode(b"x"), "dekEncryptedPassword": b64.encode(b"y")}]
        });
        let imports = "/outagedetection/v1/certificates/imports";
        let (code, keystore_job) = api
            .call(Some(&ka), "POST", imports, Body::Json(batch.clone()))
            .await;
        assert_eq!(code, 201, "{keystore_job}");
        TwoTenants {
            api,
            _dir: dir,
            key_a: ka,
            key_b: kb,
            profile,
            job: job["id"].as_str().unwrap().to_string(),
            keystore_job: keystore_job["id"].as_str().unwrap().to_string(),
            edge_id: edge.id,
            dek_id: dek.id,
            sample,
            certificate,
            batch,
        }
    }
}

#[tokio::test]
async fn another_tenant_gets_404_for_every_route_naming_a_tenants_record() {
    let t = TwoTenants::set_up().await;
    let (profile, job, keystore_job) = (&t.profile, &t.job, &t.keystore_job);
    let import_path = format!("/iot/api/v1/certificate-import/{profile}");
    let zip = Body::Form(vec![("file", Some("a.zip"), zip_of(&[("a.pem", &t.sample)]))]);
    let named: Vec<(&str, String, Body)> = vec![
        (
            "GET",
            format!("/iot/api/v1/enrollment-profile/{profile}"),
            Body::None,
        ),
        (
            "POST",
            format!("/iot/api/v1/enrollment-profile/{profile}/source-fields-mapping"),
            mapping_form(&t.sample),
        ),
        ("POST", import_path.clone(), zip),
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
            format!("/iot/api/v1/certificate-import/job/{job}/failures"),
            Body::None,
        ),
        (
            "GET",
            format!("/outagedetection/v1/certificates/imports/{keystore_job}"),
            Body::None,
        ),
        ("GET", format!("/v1/edgeencryptionkeys/{}", t.dek_id), Body::None),
        (
            "POST",
            "/outagedetection/v1/certificates/imports".into(),
            Body::Json(t.batch.clone()),
        ),
        (
            "POST",
            "/outagedetection/v1/certificates/imports/upload-url".into(),
            Body::Json(json!({"edgeInstanceId": t.edge_id, "encryptionKeyId": t.dek_id, "size": 10})),
        ),
        (
            "GET",
            format!("/outagedetection/v1/certificates/{}", t.certificate),
            Body::None,
        ),
        (
            "GET",
            format!("/outagedetection/v1/certificates/{}/contents", t.certificate),
            Body::None,
        ),
        (
            "POST",
            format!("/outagedetection/v1/certificates/{}/keystore", t.certificate),
            Body::Json(json!({"exportFormat": "PEM", "encryptedPrivateKeyPassphrase": "eA=="})),
        ),
        (
            "GET",
            format!(
                "/outagedetection/v1/certificaterequests/{}",
                certificate_request_id(&t.certificate).unwrap()
            ),
            Body::None,
        ),
    ];
    let mine = format!("/outagedetection/v1/certificates/{}", t.certificate);
    let (code, certificate) = t.api.call(Some(&t.key_a), "GET", &mine, Body::None).await;
    assert_eq!(code, 200, "A reads its own certificate: {certificate}");
    let (_, devices) = t
        .api
        .call(Some(&t.key_a), "GET", "/iot/api/v2/device", Body::None)
        .await;
    let device = devices["records"][0]["id"].as_str().unwrap().to_string();
    let (code, error) = t
        .api
        .call(
            Some(&t.key_b),
            "GET",
            &format!("/iot/api/v2/device/{device}"),
            Body::None,
        )
        .await;
    assert_eq!(code, 404, "B reads A's device: {error}");
    for (method, path, body) in named {
        let (code, error) = t.api.call(Some(&t.key_b), method, &path, body).await;
        assert_eq!(code, 404, "{method} {path} as tenant B: {error}");
        assert!(error["errors"][0]["message"].is_string(), "{error}");
    }
    let (code, a_job) = t
        .api
        .call(
            Some(&t.key_a),
            "GET",
            &format!("/iot/api/v1/certificate-import/job/{job}"),
            Body::None,
        )
        .await;
    assert_eq!(
        (code, a_job["status"].as_str()),
        (200, Some("COMPLETED")),
        "A's job is untouched"
    );
}

#[tokio::test]
async fn lists_hold_only_the_callers_records() {
    let t = TwoTenants::set_up().await;
    let (_, edges) = t
        .api
        .call(Some(&t.key_b), "GET", "/v1/edgeinstances", Body::None)
        .await;
    assert_eq!(edges["edgeInstances"], json!([]));
    let search = Body::Json(json!({}));
    let (_, found) = t
        .api
        .call(
            Some(&t.key_b),
            "POST",
            "/outagedetection/v1/certificatesearch",
            search,
        )
        .await;
    assert_eq!(found, json!({"count": 0, "certificates": []}));
    let (_, found) = t
        .api
        .call(
            Some(&t.key_a),
            "POST",
            "/outagedetection/v1/certificatesearch",
            Body::Json(json!({})),
        )
        .await;
    assert_eq!(found["count"], 1);
    let (_, events) = t
        .api
        .call(Some(&t.key_b), "GET", "/v1/auditevents", Body::None)
        .await;
    let actions: Vec<&Value> = events["auditEvents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["action"])
        .collect();
    assert_eq!(
        actions,
        [&json!("API_KEY_CREATED")],
        "only B's own first key: {events}"
    );
    let (_, cas) = t
        .api
        .call(Some(&t.key_b), "GET", "/v1/trustedcacertificates", Body::None)
        .await;
    assert_eq!(cas["trustedCaCertificates"], json!([]));
    // The CA that A trusts is new to B.
    assert_eq!(
        t.api
            .call(
                Some(&t.key_b),
                "POST",
                "/v1/trustedcacertificates",
                trusted_root()
            )
            .await
            .0,
        201
    );
    let (_, cas) = t
        .api
        .call(Some(&t.key_a), "GET", "/v1/trustedcacertificates", Body::None)
        .await;
    assert_eq!(cas["trustedCaCertificates"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_missing_or_unknown_key_is_a_json_401_on_every_route() {
    let t = TwoTenants::set_up().await;
    for (method, template, _) in ROUTES {
        let path = template
            .replace("{id}", &t.profile)
            .replace("{enrollment_profile_id}", &t.profile)
            .replace("{job_id}", &t.job);
        for key in [None, Some("cpk_not_a_key_of_anyone")] {
            let (code, error) = t.api.call(key, method, &path, Body::None).await;
            assert_eq!(code, 401, "{method} {path} with {key:?}: {error}");
            let message = error["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains("API key"), "{error}");
        }
    }
}
