//! The `events/` fixtures and the ids they name.

use std::path::PathBuf;

use aws_lambda_events::event::s3::S3Event;
use base64::Engine;
use certport_core::domain::{
    ApiKey, ApiKeyRecord, CertImportJob, Division, EnrollmentContext, EnrollmentMethod, EnrollmentProfile,
    JobStatus, Tenant, UploadFormat,
};
use certport_core::ports::{ObjectStore, RecordStore};
use serde_json::Value;

pub const TENANT: &str = "11111111-1111-4111-8111-111111111111";
pub const PROFILE: &str = "22222222-2222-4222-8222-222222222222";
pub const JOB: &str = "33333333-3333-4333-8333-333333333333";
pub const API_KEY: &str = "cpk_fixture_only_not_a_real_key_0000000000000000000000000000";
pub const UPLOAD_NAME: &str = "devices batch #1 (2024)+final.zip";

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
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
pub async fn seed(records: &dyn RecordStore, objects: &dyn ObjectStore) {
    let tenant = Tenant {
        id: TENANT.into(),
        name: "fixture".into(),
        division: Division {
            id: "fixture-division".into(),
            name: "Default division".into(),
        },
    };
    records.put_tenant(&tenant).await.unwrap();
    let key = ApiKey::from_presented(API_KEY);
    records
        .put_api_key(&ApiKeyRecord::for_key(&key, TENANT, "fixture"))
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
    records.put_profile(&profile).await.unwrap();
    let object_key = format!("certificate-import/{TENANT}/{JOB}/{UPLOAD_NAME}");
    let job = CertImportJob {
        id: JOB.into(),
        tenant_id: TENANT.into(),
        random_id: "100000000001".into(),
        profile_id: PROFILE.into(),
        profile_name: profile.name.clone(),
        original_file_name: UPLOAD_NAME.into(),
        format: UploadFormat::Pem,
        original_size: fixture_upload_zip().len() as u64,
        object_key: object_key.clone(),
        created_at: "2026-11-22T12:00:00.000000Z".into(),
        status: JobStatus::Pending,
        enrollment_context: EnrollmentContext {
            ip_address: Some("203.0.113.7".into()),
            authorization: "fixture".into(),
            auth_type: "API_KEY".into(),
        },
        total_certificates: 1,
        failed_certificates: 0,
        processing_time_ms: 0,
        result: None,
        failure_message: None,
    };
    records.put_job(&job).await.unwrap();
    objects
        .put(&object_key, fixture_upload_zip().into())
        .await
        .unwrap();
}
