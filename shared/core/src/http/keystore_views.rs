//! API B's keystore-import and admin bodies (Venafi TLS Protect Cloud compatible).

use crate::app::{KeystoreImportStatus, UploadUrl};
use crate::domain::{EdgeInstance, EncryptionKey, ItemResult, ItemStatus, Job, JobState, TrustedCa};

use super::contract::api_b;

pub fn import_created(job: &Job) -> api_b::KeystoreImportCreated {
    api_b::KeystoreImportCreated {
        id: job.id.clone(),
        creation_date: job.created_at.clone(),
    }
}

pub fn import_upload_url(job: &Job, upload: &UploadUrl) -> api_b::KeystoreUploadUrl {
    api_b::KeystoreUploadUrl {
        id: job.id.clone(),
        creation_date: job.created_at.clone(),
        upload: api_b::KeystoreUpload {
            url: upload.url.clone(),
            method: "PUT".into(),
            headers: upload.headers.iter().cloned().collect(),
            expires_at: upload.expires_at.clone(),
        },
    }
}

/// API B's words for a job's state.
fn status_word(state: JobState) -> &'static str {
    match state {
        JobState::Open => "PROCESSING",
        JobState::Completed => "COMPLETED",
        JobState::Failed => "FAILED",
    }
}

/// A code's wire form (the serde name the API fixes).
fn code(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(code)) => code,
        _ => String::new(),
    }
}

pub fn import_status(status: &KeystoreImportStatus) -> api_b::KeystoreImportStatus {
    api_b::KeystoreImportStatus {
        id: status.job.id.clone(),
        creation_date: status.job.created_at.clone(),
        status: status_word(status.job.state).to_string(),
        results: status.results.iter().map(item_result).collect(),
        processed_items: status
            .results
            .iter()
            .filter(|r| r.status != ItemStatus::Processing)
            .count() as u64,
    }
}

fn item_result(result: &ItemResult) -> api_b::ItemResult {
    api_b::ItemResult {
        certificate_bytes: result.certificate.clone(),
        fingerprint: result.fingerprint.clone(),
        status: code(&result.status),
        reason: result.reason.clone(),
        reason_code: result.reason_code.map(|r| code(&r)),
    }
}

pub fn edge_instances(edges: &[EdgeInstance]) -> api_b::EdgeInstances {
    api_b::EdgeInstances {
        edge_instances: edges
            .iter()
            .map(|e| api_b::EdgeInstance {
                id: e.id.clone(),
                name: e.name.clone(),
                encryption_key_id: e.encryption_key_id.clone(),
                edge_status: e.edge_status.clone(),
                company_id: e.tenant_id.clone(),
            })
            .collect(),
    }
}

pub fn encryption_key(key: &EncryptionKey) -> api_b::EncryptionKey {
    api_b::EncryptionKey {
        company_id: key.tenant_id.clone(),
        id: key.id.clone(),
        key: key.public_key.clone(),
        key_algorithm: "ED25519".into(),
        last_backup_date: key.created_at.clone(),
    }
}

pub fn trusted_ca(ca: &TrustedCa) -> api_b::TrustedCaAdded {
    api_b::TrustedCaAdded {
        id: ca.id.clone(),
        fingerprint: ca.fingerprint.clone(),
        subject: ca.subject.clone(),
    }
}

pub fn trusted_cas(cas: &[TrustedCa]) -> api_b::TrustedCas {
    api_b::TrustedCas {
        trusted_ca_certificates: cas
            .iter()
            .map(|ca| api_b::TrustedCa {
                id: ca.id.clone(),
                fingerprint: ca.fingerprint.clone(),
                subject: ca.subject.clone(),
                certificate: ca.certificate.clone(),
                creation_date: ca.created_at.clone(),
            })
            .collect(),
    }
}
