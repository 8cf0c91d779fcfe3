//! The JSON bodies of API B (Venafi TLS Protect Cloud compatible).

use serde_json::{json, Value};

use crate::app::{KeystoreImportStatus, UploadUrl};
use crate::domain::{EdgeInstance, EncryptionKey, ItemResult, ItemStatus, Job, JobState, TrustedCa};

pub fn import_created(job: &Job) -> Value {
    json!({"id": job.id, "creationDate": job.created_at})
}

pub fn import_upload_url(job: &Job, upload: &UploadUrl) -> Value {
    json!({
        "id": job.id,
        "creationDate": job.created_at,
        "upload": {
            "url": upload.url,
            "method": "PUT",
            "headers": super::views::headers(upload),
            "expiresAt": upload.expires_at,
        },
    })
}

/// API B's words for a job's state.
fn status_word(state: JobState) -> &'static str {
    match state {
        JobState::Open => "PROCESSING",
        JobState::Completed => "COMPLETED",
        JobState::Failed => "FAILED",
    }
}

pub fn import_status(status: &KeystoreImportStatus) -> Value {
    let results: Vec<Value> = status.results.iter().map(item_result).collect();
    json!({
        "id": status.job.id,
        "creationDate": status.job.created_at,
        "status": status_word(status.job.state),
        "results": results,
        // Ours: items with their outcome so far (the others are PROCESSING).
        "processedItems": status
            .results
            .iter()
            .filter(|r| r.status != ItemStatus::Processing)
            .count(),
    })
}

fn item_result(result: &ItemResult) -> Value {
    json!({
        "certificateBytes": result.certificate,
        "fingerprint": result.fingerprint,
        "status": result.status,
        "reason": result.reason,
        "reasonCode": result.reason_code,
    })
}

pub fn edge_instances(edges: &[EdgeInstance]) -> Value {
    let edges: Vec<Value> = edges
        .iter()
        .map(|e| {
            json!({
                "id": e.id,
                "name": e.name,
                "encryptionKeyId": e.encryption_key_id,
                "edgeStatus": e.edge_status,
                "companyId": e.tenant_id,
            })
        })
        .collect();
    // Camel case, as clients read it (`response["edgeInstances"]`).
    json!({ "edgeInstances": edges })
}

pub fn encryption_key(key: &EncryptionKey) -> Value {
    json!({
        "companyId": key.tenant_id,
        "id": key.id,
        "key": key.public_key,
        "keyAlgorithm": "ED25519",
        "lastBackupDate": key.created_at,
    })
}

pub fn trusted_ca(ca: &TrustedCa) -> Value {
    json!({"id": ca.id, "fingerprint": ca.fingerprint, "subject": ca.subject})
}

pub fn trusted_cas(cas: &[TrustedCa]) -> Value {
    let cas: Vec<Value> = cas
        .iter()
        .map(|ca| {
            json!({
                "id": ca.id,
                "fingerprint": ca.fingerprint,
                "subject": ca.subject,
                "certificate": ca.certificate,
                "creationDate": ca.created_at,
            })
        })
        .collect();
    json!({ "trustedCaCertificates": cas })
}
