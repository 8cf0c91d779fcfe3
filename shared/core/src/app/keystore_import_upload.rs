use crate::domain::{format_timestamp, KeystoreImportJob, KeystoreJobStatus};

use super::keystore_batch::{keystore_import_key, KeystoreImportRequest};
use super::keystore_import_process::fail_keystore_job;
use super::{AppError, Caller, Deps};

/// Stores a validated batch and its job (PROCESSING); the processor takes it from there.
pub async fn upload_keystore_import(
    deps: &Deps,
    caller: &Caller,
    body: &[u8],
) -> Result<KeystoreImportJob, AppError> {
    let request = KeystoreImportRequest::parse(body)?;
    let tenant_id = &caller.tenant.id;
    let edge = deps
        .keystores
        .get_edge_instance(tenant_id, &request.edge_instance_id)
        .await?
        .ok_or(AppError::NotFound("edge instance"))?;
    if deps
        .keystores
        .get_encryption_key(tenant_id, &request.encryption_key_id)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound("encryption key"));
    }
    if edge.encryption_key_id != request.encryption_key_id {
        return Err(AppError::Precondition(format!(
            "encryption key {} does not belong to edge instance {}; use {}",
            request.encryption_key_id, edge.id, edge.encryption_key_id
        )));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let job = KeystoreImportJob {
        object_key: keystore_import_key(tenant_id, &id),
        id,
        tenant_id: tenant_id.clone(),
        edge_instance_id: edge.id,
        encryption_key_id: request.encryption_key_id.clone(),
        item_count: request.import_information.len() as u32,
        status: KeystoreJobStatus::Processing,
        creation_date: format_timestamp(chrono::Utc::now()),
        failure_message: None,
    };
    let batch = serde_json::to_vec(&request).map_err(|e| AppError::invalid(e.to_string()))?;
    // The job first, so it is readable the instant its id is returned.
    deps.keystores.put_keystore_job(&job).await?;
    if let Err(e) = deps.objects.put(&job.object_key, batch.into()).await {
        fail_keystore_job(deps, job, "the batch could not be stored; submit it again").await?;
        return Err(e.into());
    }
    Ok(job)
}
