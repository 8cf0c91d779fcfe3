use crate::domain::{ItemFailureReason, ItemResult, ItemStatus, KeystoreImportJob, KeystoreJobStatus};

use super::{AppError, Caller, Deps};

pub struct KeystoreImportStatus {
    pub job: KeystoreImportJob,
    /// One per submitted item, in order; PROCESSING until the processor records it.
    pub results: Vec<ItemResult>,
}

pub async fn get_keystore_import(
    deps: &Deps,
    caller: &Caller,
    id: &str,
) -> Result<KeystoreImportStatus, AppError> {
    let job = deps
        .jobs
        .get_keystore_job(&caller.tenant.id, id)
        .await?
        .ok_or(AppError::NotFound("keystore import"))?;
    if job.status == KeystoreJobStatus::Failed {
        // A failed job's items all say why it failed, from its record alone.
        let reason = job.failure_message.clone().unwrap_or_default();
        let results = (0..job.item_count)
            .map(|ordinal| ItemResult {
                status: ItemStatus::Failed,
                reason_code: Some(ItemFailureReason::JobFailed),
                reason: reason.clone(),
                ..ItemResult::processing(ordinal)
            })
            .collect();
        return Ok(KeystoreImportStatus { job, results });
    }
    let mut recorded = deps
        .jobs
        .item_results(&caller.tenant.id, id)
        .await?
        .into_iter()
        .peekable();
    let mut results = Vec::with_capacity(job.item_count as usize);
    for ordinal in 0..job.item_count {
        match recorded.next_if(|r| r.ordinal == ordinal) {
            Some(result) => results.push(result),
            None => results.push(ItemResult::processing(ordinal)),
        }
    }
    Ok(KeystoreImportStatus { job, results })
}
