//! API A's bodies (DigiCert ONE IoT Trust Manager compatible), from the use cases' results.

use bytes::Bytes;
use serde::Serialize;

use crate::app::{CertImportStatus, FailurePage, MappingPreview, UploadUrl};
use crate::domain::{CertFailure, EnrollmentProfile, Job, JobState, Tenant};

use super::contract::api_a;

/// A JSON answer.
pub fn json(status: u16, body: &impl Serialize) -> http::Response<Bytes> {
    http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Bytes::from(serde_json::to_vec(body).unwrap_or_default()))
        .unwrap_or_else(|_| http::Response::new(Bytes::new()))
}

pub fn division(tenant: &Tenant) -> api_a::Division {
    api_a::Division {
        id: tenant.division.id.clone(),
        name: tenant.division.name.clone(),
    }
}

pub fn profile(p: &EnrollmentProfile, tenant: &Tenant) -> api_a::EnrollmentProfile {
    api_a::EnrollmentProfile {
        id: p.id.clone(),
        name: p.name.clone(),
        enrollment_method: p.enrollment_method.as_str().to_string(),
        account_id: tenant.id.clone(),
        division: division(tenant),
        format: p.format.map(|f| f.as_str().to_string()),
        source_fields_mapping: p.mapping.as_ref().map(|m| m.to_map()),
        created_at: p.created_at.clone(),
    }
}

pub fn mapping_preview(preview: &MappingPreview, tenant: &Tenant) -> api_a::MappingPreview {
    let source_fields = preview
        .sample
        .fields
        .iter()
        .map(|(field, values)| api_a::SourceField {
            name: field.as_str().to_string(),
            value: values.first().cloned(),
            values: values.clone(),
        })
        .collect();
    let mut mapped = preview.mapped_fields.clone();
    mapped.insert("device_identifier".into(), preview.device_identifier.clone());
    api_a::MappingPreview {
        enrollment_profile: profile(&preview.profile, tenant),
        format: preview.profile.format.map(|f| f.as_str().to_string()),
        source_fields_mapping: preview.profile.mapping.as_ref().map(|m| m.to_map()),
        source_fields,
        mapped_fields: mapped,
    }
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
pub fn cert_import_job(job: &Job) -> api_a::CertificateImportJob {
    let import = job
        .certificates()
        .cloned()
        .unwrap_or_else(|| crate::domain::CertificateImport {
            random_id: String::new(),
            profile_id: String::new(),
            profile_name: String::new(),
            original_file_name: String::new(),
            format: crate::domain::UploadFormat::Pem,
            original_size: 0,
            enrollment_context: crate::domain::EnrollmentContext {
                ip_address: None,
                authorization: String::new(),
                auth_type: String::new(),
            },
            mapping: None,
            shard_plan: None,
        });
    api_a::CertificateImportJob {
        id: job.id.clone(),
        random_id: import.random_id.clone(),
        enrollment_profile: api_a::ProfileRef {
            id: import.profile_id.clone(),
            name: import.profile_name.clone(),
        },
        original_file_name: import.original_file_name.clone(),
        format: import.format.as_str().to_string(),
        original_size: import.original_size,
        stored_file_name: import.stored_file_name(),
        created_at: job.created_at.clone(),
        status: status_word(job.state).to_string(),
        enrollment_context: api_a::EnrollmentContext {
            enrollment_method: "CERTIFICATE_IMPORT".into(),
            ip_address: import.enrollment_context.ip_address.clone(),
            authorization: import.enrollment_context.authorization.clone(),
            auth_type: import.enrollment_context.auth_type.clone(),
        },
        total_certificates: job.total,
        failed_certificates: job.failed,
        processed_certificates: job.processed,
        processing_time: job.processing_time_ms,
    }
}

fn failure(f: &CertFailure) -> api_a::Failure {
    api_a::Failure {
        file_name: f.file_name.clone(),
        index: f.index,
        reason: code(&f.reason),
        message: f.message.clone(),
    }
}

/// A code's wire form (the serde name the API fixes).
fn code(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(code)) => code,
        _ => String::new(),
    }
}

/// The job with its first failures in `status_message`; ours besides: the failures by
/// reason, and whether the failures route has more than `status_message` lists.
pub fn cert_import_status(status: &CertImportStatus, tenant: &Tenant) -> api_a::CertificateImportStatus {
    let messages: Vec<api_a::Failure> = status.failures.iter().map(failure).collect();
    api_a::CertificateImportStatus {
        job: cert_import_job(&status.job),
        account_id: tenant.id.clone(),
        division: division(tenant),
        result: status.job.result().map(|r| code(&r)),
        status_message: serde_json::to_string(&messages).unwrap_or_else(|_| "[]".into()),
        failure_counts: status
            .job
            .failure_counts
            .iter()
            .map(|(reason, n)| (code(reason), *n))
            .collect(),
        more_failures: status.more_failures,
    }
}

/// A page of a job's failures: `next` is the `after` of the next page (null on the last).
pub fn cert_import_failures(page: &FailurePage, limit: usize) -> api_a::FailurePage {
    api_a::FailurePage {
        limit: limit as u64,
        total: page.total,
        records: page
            .failures
            .iter()
            .map(|f| api_a::FailureRecord {
                failure: failure(f),
                ordinal: f.ordinal,
            })
            .collect(),
        next: page.next,
    }
}

/// The job (PENDING, 0 certificates until processed) and where to PUT the zip.
pub fn cert_import_upload_url(job: &Job, upload: &UploadUrl) -> api_a::CertificateUploadUrl {
    api_a::CertificateUploadUrl {
        job: cert_import_job(job),
        upload: api_a::CertificateUpload {
            url: upload.url.clone(),
            method: "PUT".into(),
            headers: upload.headers.iter().cloned().collect(),
            expires_at: upload.expires_at.clone(),
        },
    }
}
