use crate::domain::{format_timestamp, EdgeInstance, FailureReason, Import, Job, KeystoreImport};

use crate::app::jobs::lifecycle::{create_job, fail};
use crate::app::keystore_import::batch::KeystoreImportRequest;
use crate::app::object_keys::keystore_import_key;
use crate::app::{AppError, Caller, Deps};
use crate::domain::MAX_BATCH_ITEMS;

/// Stores a validated batch and its job (PROCESSING); the processor takes it from there.
pub async fn upload_keystore_import(deps: &Deps, caller: &Caller, body: &[u8]) -> Result<Job, AppError> {
    let request = KeystoreImportRequest::parse(body)?;
    let edge = usable_edge_instance(
        deps,
        caller,
        &request.edge_instance_id,
        &request.encryption_key_id,
    )
    .await?;
    let job = new_keystore_job(caller, edge, request.import_information.len() as u32);
    let batch = serde_json::to_vec(&request).map_err(|e| AppError::invalid(e.to_string()))?;
    // The job first, so it is readable the instant its id is returned.
    create_job(deps, &job).await?;
    if let Err(e) = deps.objects.put(&job.object_key, batch.into()).await {
        let message = "the batch could not be stored; submit it again";
        fail(deps, job, FailureReason::NotProcessed, message).await?;
        return Err(e.into());
    }
    Ok(job)
}

/// The caller's edge instance, if `encryption_key_id` is its encryption key.
pub(crate) async fn usable_edge_instance(
    deps: &Deps,
    caller: &Caller,
    edge_instance_id: &str,
    encryption_key_id: &str,
) -> Result<EdgeInstance, AppError> {
    let tenant_id = &caller.tenant.id;
    let edge = deps
        .tenants
        .get_edge_instance(tenant_id, edge_instance_id)
        .await?
        .ok_or(AppError::NotFound("edge instance"))?;
    if deps
        .tenants
        .get_encryption_key(tenant_id, encryption_key_id)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound("encryption key"));
    }
    if edge.encryption_key_id != encryption_key_id {
        return Err(AppError::Precondition(format!(
            "encryption key {encryption_key_id} does not belong to edge instance {}; use {}",
            edge.id, edge.encryption_key_id
        )));
    }
    Ok(edge)
}

/// An open job for a batch of `item_count` items (0: not counted yet, and until then it
/// reserves the most a batch may hold).
pub(crate) fn new_keystore_job(caller: &Caller, edge: EdgeInstance, item_count: u32) -> Job {
    let id = uuid::Uuid::new_v4().to_string();
    let object_key = keystore_import_key(&caller.tenant.id, &id);
    let import = Import::Keystores(KeystoreImport {
        edge_instance_id: edge.id,
        encryption_key_id: edge.encryption_key_id,
    });
    let created_at = format_timestamp(chrono::Utc::now());
    Job {
        total: item_count.into(),
        reserved_items: if item_count == 0 {
            MAX_BATCH_ITEMS as u32
        } else {
            item_count
        },
        ..Job::open(&caller.tenant.id, id, object_key, created_at, import)
    }
}
