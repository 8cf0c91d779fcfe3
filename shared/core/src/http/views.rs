//! The JSON bodies of API A (DigiCert ONE IoT Trust Manager compatible).

use bytes::Bytes;
use serde_json::{json, Value};

use crate::app::{CertImportStatus, FailurePage, MappingPreview, UploadUrl};
use crate::domain::{CertFailure, EnrollmentProfile, Job, JobState, Tenant};

pub fn json(status: u16, body: &Value) -> http::Response<Bytes> {
    http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Bytes::from(body.to_string()))
        .unwrap_or_else(|_| http::Response::new(Bytes::new()))
}

pub fn profile(p: &EnrollmentProfile, tenant: &Tenant) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "enrollment_method": p.enrollment_method.as_str(),
        "account_id": tenant.id,
        "division": {"id": tenant.division.id, "name": tenant.division.name},
        "format": p.format.map(|f| f.as_str()),
        "source_fields_mapping": p.mapping,
        "created_at": p.created_at,
    })
}

pub fn mapping_preview(preview: &MappingPreview, tenant: &Tenant) -> Value {
    let source_fields: Vec<Value> = preview
        .sample
        .fields
        .iter()
        .map(|(field, values)| json!({"name": field.as_str(), "value": values.first(), "values": values}))
        .collect();
    let mut mapped = serde_json::Map::new();
    mapped.insert("device_identifier".into(), json!(preview.device_identifier));
    for (target, value) in &preview.mapped_fields {
        mapped.insert(target.clone(), json!(value));
    }
    json!({
        "enrollment_profile": profile(&preview.profile, tenant),
        "format": preview.profile.format.map(|f| f.as_str()),
        "source_fields_mapping": preview.profile.mapping,
        "source_fields": source_fields,
        "mapped_fields": mapped,
    })
}

/// API A's words for a job's state.
fn status_word(state: JobState) -> &'static str {
    match state {
        JobState::Open => "PENDING",
        JobState::Completed => "COMPLETED",
        JobState::Failed => "FAILED",
    }
}

/// A certificate import job (only those reach API A's views).
pub fn cert_import_job(job: &Job) -> Value {
    let Some(import) = job.certificates() else {
        return json!({"id": job.id, "created_at": job.created_at, "status": status_word(job.state)});
    };
    json!({
        "id": job.id,
        "random_id": import.random_id,
        "enrollment_profile": {"id": import.profile_id, "name": import.profile_name},
        "original_file_name": import.original_file_name,
        "format": import.format.as_str(),
        "original_size": import.original_size,
        "stored_file_name": import.stored_file_name(),
        "created_at": job.created_at,
        "status": status_word(job.state),
        "enrollment_context": {
            "enrollment_method": "CERTIFICATE_IMPORT",
            "ip_address": import.enrollment_context.ip_address,
            "authorization": import.enrollment_context.authorization,
            "auth_type": import.enrollment_context.auth_type,
        },
        "total_certificates": job.total,
        "failed_certificates": job.failed,
        // Ours: how far a PENDING job has come (equal to the total once it ends).
        "processed_certificates": job.processed,
        "processing_time": job.processing_time_ms,
    })
}

fn failure(f: &CertFailure) -> Value {
    json!({
        "file_name": f.file_name,
        "index": f.index,
        "reason": f.reason,
        "message": f.message,
    })
}

/// The job with its first failures in `status_message`; ours besides: the failures by
/// reason, and whether the failures route has more than `status_message` lists.
pub fn cert_import_status(status: &CertImportStatus, tenant: &Tenant) -> Value {
    let mut body = cert_import_job(&status.job);
    let messages: Vec<Value> = status.failures.iter().map(failure).collect();
    if let Some(obj) = body.as_object_mut() {
        obj.insert("account_id".into(), json!(tenant.id));
        obj.insert(
            "division".into(),
            json!({"id": tenant.division.id, "name": tenant.division.name}),
        );
        obj.insert("result".into(), json!(status.job.result()));
        obj.insert("status_message".into(), json!(Value::Array(messages).to_string()));
        obj.insert("failure_counts".into(), json!(status.job.failure_counts));
        obj.insert("more_failures".into(), json!(status.more_failures));
    }
    body
}

/// A page of a job's failures: `next` is the `after` of the next page (null on the last).
pub fn cert_import_failures(page: &FailurePage, limit: usize) -> Value {
    let records: Vec<Value> = page
        .failures
        .iter()
        .map(|f| {
            let mut record = failure(f);
            if let Some(object) = record.as_object_mut() {
                object.insert("ordinal".into(), json!(f.ordinal));
            }
            record
        })
        .collect();
    json!({"limit": limit, "total": page.total, "records": records, "next": page.next})
}

/// The job (PENDING, 0 certificates until processed) and where to PUT the zip.
pub fn cert_import_upload_url(job: &Job, upload: &UploadUrl) -> Value {
    let mut body = cert_import_job(job);
    if let Some(obj) = body.as_object_mut() {
        obj.insert(
            "upload".into(),
            json!({"url": upload.url, "method": "PUT", "headers": headers(upload), "expires_at": upload.expires_at}),
        );
    }
    body
}

pub fn headers(upload: &UploadUrl) -> Value {
    Value::Object(
        upload
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), Value::from(value.as_str())))
            .collect(),
    )
}
