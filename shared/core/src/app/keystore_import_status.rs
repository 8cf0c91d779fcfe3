use crate::domain::{ItemFailureReason, ItemResult, ItemStatus, Job, JobState};

use super::{AppError, Caller, Deps};

pub struct KeystoreImportStatus {
    pub job: Job,
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
        .get_job(&caller.tenant.id, id)
        .await?
        .filter(|job| job.keystores().is_some())
        .ok_or(AppError::NotFound("keystore import"))?;
    let items = job.total as u32;
    if job.state == JobState::Failed {
        // A failed job's items all say why it failed, from its record alone.
        let reason = job
            .failure
            .as_ref()
            .map(|f| f.message.clone())
            .unwrap_or_default();
        let results = (0..items)
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
    let mut results = Vec::with_capacity(items as usize);
    for ordinal in 0..items {
        match recorded.next_if(|r| r.ordinal == ordinal) {
            Some(result) => results.push(result),
            None => results.push(ItemResult::processing(ordinal)),
        }
    }
    Ok(KeystoreImportStatus { job, results })
}
