//! The `events/` fixtures and the ids they name.

use std::path::PathBuf;

use aws_lambda_events::event::s3::S3Event;
use base64::Engine;
use certport_core::app::{
    add_trusted_ca, dek_context, keystore_import_key, Caller, Deps, KeystoreImportRequest,
};
use certport_core::crypto::DekKeyPair;
use certport_core::domain::{
    ApiKey, ApiKeyRecord, AuditAction, AuditEvent, CertificateImport, Division, EdgeInstance, EncryptionKey,
    EnrollmentContext, EnrollmentMethod, EnrollmentProfile, FieldMapping, Import, Job, KeystoreImport, Scope,
    Tenant, UploadFormat, WorkQuota,
};

use serde_json::Value;
use sha2::{Digest, Sha256};

pub const TENANT: &str = "11111111-1111-4111-8111-111111111111";
pub const PROFILE: &str = "22222222-2222-4222-8222-222222222222";
pub const JOB: &str = "33333333-3333-4333-8333-333333333333";
pub const API_KEY: &str = "cpk_fixture_only_not_a_real_key_0000000000000000000000000000";
pub const UPLOAD_NAME: &str = "devices batch #1 (2024)+final.zip";
pub const EDGE: &str = "44444444-4444-4444-8444-444444444444";
pub const DEK_ID: &str = "55555555-5555-4555-8555-555555555555";
pub const KEYSTORE_JOB: &str = "66666666-6666-4666-8666-666666666666";
/// The fixture DEK's secret is SHA-256 of this public label (as in scripts/make-event-fixtures):
/// a test value, never a real key.
const FIXTURE_DEK_LABEL: &[u8] = b"certport fixture DEK: a public test value, never a real key";

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The text of each resource under `template.yaml`'s `Resources:`, by logical name.
pub fn template_resources() -> Vec<(String, String)> {
    let template = std::fs::read_to_string(repo_root().join("template.yaml")).unwrap();
    let body = template.split("\nResources:\n").nth(1).unwrap();
    let mut resources: Vec<(String, String)> = Vec::new();
    for line in body.lines() {
        let is_name = line.starts_with("  ") && !line.starts_with("   ") && line.trim_end().ends_with(':');
        if is_name {
            resources.push((line.trim().trim_end_matches(':').to_string(), String::new()));
        } else if !line.starts_with(' ') && !line.is_empty() {
            break;
        } else if let Some((_, text)) = resources.last_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    resources
}

/// The text of one resource of `template.yaml` (its lines after the name).
pub fn template_resource(name: &str) -> String {
    template_resources()
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .1
}

pub fn event_path(name: &str) -> PathBuf {
    repo_root().join("events").join(name)
}

pub fn event_text(name: &str) -> String {
    std::fs::read_to_string(event_path(name)).unwrap_or_else(|e| panic!("read events/{name}: {e}"))
}

/// A fixture as an API Gateway request, with the fixture's ids and key replaced.
pub fn http_request(name: &str, replacements: &[(&str, &str)]) -> lambda_http::Request {
    let mut text = event_text(name);
    for (from, to) in replacements {
        text = text.replace(from, to);
    }
    lambda_http::request::from_str(&text)
        .unwrap_or_else(|e| panic!("events/{name} is not an HTTP API event: {e}"))
}

/// A fixture as an API Gateway request with its body replaced.
pub fn http_request_with_body(
    name: &str,
    replacements: &[(&str, &str)],
    content_type: &str,
    body: &[u8],
) -> lambda_http::Request {
    let mut event: Value = serde_json::from_str(&event_text(name)).unwrap();
    event["headers"]["content-type"] = Value::from(content_type);
    event["body"] = Value::from(base64::engine::general_purpose::STANDARD.encode(body));
    event["isBase64Encoded"] = Value::from(true);
    crate::aws_limits::lambda_payload(&format!("the request of events/{name}"), body, true);
    let mut text = event.to_string();
    for (from, to) in replacements {
        text = text.replace(from, to);
    }
    lambda_http::request::from_str(&text).unwrap()
}

/// The S3 event fixture, for the object `key` (URL-encoded here as S3 does).
pub fn s3_event(key: &str) -> S3Event {
    let mut event: Value = serde_json::from_str(&event_text("certificate-import-processor.json")).unwrap();
    event["Records"][0]["s3"]["object"]["key"] = Value::from(s3_encode(key));
    serde_json::from_value(event).unwrap()
}

/// S3's encoding of keys in event notifications: form encoding, `/` kept.
pub fn s3_encode(key: &str) -> String {
    key.split('/')
        .map(|segment| {
            segment
                .split(' ')
                .map(|part| {
                    percent_encoding::utf8_percent_encode(part, percent_encoding::NON_ALPHANUMERIC)
                        .to_string()
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A multipart/form-data body: (field, file name, bytes).
pub fn multipart(boundary: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file_name, data) in parts {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").bytes());
        if let Some(file_name) = file_name {
            body.extend(format!("; filename=\"{file_name}\"").bytes());
        }
        body.extend(b"\r\n\r\n");
        body.extend_from_slice(data);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").bytes());
    body
}

pub fn fixture_upload_zip() -> Vec<u8> {
    let text = event_text("fixture-upload.zip.b64");
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .unwrap()
}

/// Seeds what the fixtures name: the tenant and its key, an unmapped profile, and a
/// PENDING job whose upload is stored under the processor fixture's key.
pub async fn seed(deps: &Deps) {
    let tenant = Tenant {
        id: TENANT.into(),
        name: "fixture".into(),
        division: Division {
            id: "fixture-division".into(),
            name: "Default division".into(),
        },
    };
    deps.tenants.put_tenant(&tenant).await.unwrap();
    let key = ApiKey::from_presented(API_KEY);
    deps.tenants
        .put_api_key(
            &ApiKeyRecord::new(
                &key,
                TENANT,
                "fixture",
                Scope::all(),
                "2026-01-01T00:00:00.000000Z",
            ),
            &AuditEvent::new(
                TENANT,
                AuditAction::ApiKeyCreated,
                None,
                "2026-01-01T00:00:00.000000Z".into(),
            ),
        )
        .await
        .unwrap();
    let profile = EnrollmentProfile {
        id: PROFILE.into(),
        tenant_id: TENANT.into(),
        name: "Fixture meters".into(),
        enrollment_method: EnrollmentMethod::CertificateImport,
        format: None,
        mapping: None,
        created_at: "2026-11-22T12:00:00.000000Z".into(),
    };
    deps.tenants.put_profile(&profile).await.unwrap();
    let object_key = format!("certificate-import/{TENANT}/{JOB}/{UPLOAD_NAME}");
    let import = Import::Certificates(CertificateImport {
        random_id: "100000000001".into(),
        profile_id: PROFILE.into(),
        profile_name: profile.name.clone(),
        original_file_name: UPLOAD_NAME.into(),
        format: UploadFormat::Pem,
        original_size: fixture_upload_zip().len() as u64,
        enrollment_context: EnrollmentContext {
            ip_address: Some("203.0.113.7".into()),
            authorization: "fixture".into(),
            auth_type: "API_KEY".into(),
        },
        // As the fixture profile is mapped (`enrollment-profile-source-fields-mapping.json`).
        mapping: Some(
            FieldMapping::parse(&serde_json::json!({
                "device_identifier": "subject.common_name",
                "site": "subject.locality"
            }))
            .expect("mapping"),
        ),
        shard_plan: None,
    });
    let created_at = "2026-11-22T12:00:00.000000Z".to_string();
    let job = Job {
        total: 1,
        ..Job::open(TENANT, JOB.into(), object_key.clone(), created_at, import)
    };
    deps.jobs.create_job(&job, WorkQuota::UNLIMITED).await.unwrap();
    deps.objects
        .put(&object_key, fixture_upload_zip().into())
        .await
        .unwrap();
}

/// The fixture DEK: its public key is what the keystore events' passwords are sealed to.
pub fn fixture_dek() -> DekKeyPair {
    DekKeyPair::from_secret(Sha256::digest(FIXTURE_DEK_LABEL).into())
}

/// The JSON body of an API Gateway event fixture.
pub fn event_body(name: &str) -> Vec<u8> {
    let event: Value = serde_json::from_str(&event_text(name)).unwrap();
    event["body"].as_str().unwrap_or_default().as_bytes().to_vec()
}

/// Seeds what the keystore fixtures name (after `seed`): the edge instance and its DEK
/// (wrapped by the DEK key service), the corpus's trusted root, and a PROCESSING job
/// whose stored batch is the upload fixture's body.
pub async fn seed_keystores(deps: &Deps) {
    let dek = fixture_dek();
    let wrapped = deps
        .keys
        .dek
        .encrypt(dek.secret.as_ref(), &dek_context(TENANT, DEK_ID))
        .await
        .unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let created_at = "2026-11-22T12:00:00.000000Z".to_string();
    deps.tenants
        .put_encryption_key(&EncryptionKey {
            id: DEK_ID.into(),
            tenant_id: TENANT.into(),
            edge_instance_id: EDGE.into(),
            public_key: b64.encode(dek.public),
            wrapped_private_key: b64.encode(wrapped),
            created_at: created_at.clone(),
        })
        .await
        .unwrap();
    deps.tenants
        .put_edge_instance(&EdgeInstance {
            id: EDGE.into(),
            tenant_id: TENANT.into(),
            name: "fixture edge".into(),
            encryption_key_id: DEK_ID.into(),
            edge_status: "ACTIVE".into(),
            created_at: created_at.clone(),
        })
        .await
        .unwrap();
    let caller = Caller {
        tenant: deps
            .tenants
            .get_tenant(TENANT)
            .await
            .unwrap()
            .expect("seed() first"),
        api_key_id: "fixture".into(),
        scopes: Scope::all(),
    };
    let root =
        std::fs::read_to_string(repo_root().join("tests/fixtures/keystores/trusted-root.pem")).unwrap();
    add_trusted_ca(deps, &caller, &root).await.unwrap();
    let request = KeystoreImportRequest::parse(&event_body("keystore-import-upload.json")).unwrap();
    let items = request.import_information.len() as u32;
    let import = Import::Keystores(KeystoreImport {
        edge_instance_id: EDGE.into(),
        encryption_key_id: DEK_ID.into(),
    });
    let object_key = keystore_import_key(TENANT, KEYSTORE_JOB);
    let job = Job {
        total: items.into(),
        reserved_items: items,
        ..Job::open(TENANT, KEYSTORE_JOB.into(), object_key, created_at, import)
    };
    deps.jobs.create_job(&job, WorkQuota::UNLIMITED).await.unwrap();
    deps.objects
        .put(&job.object_key, serde_json::to_vec(&request).unwrap().into())
        .await
        .unwrap();
}
