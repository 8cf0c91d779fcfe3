use crate::domain::{ItemFailureReason, ItemResult, ItemStatus, Job};

use crate::app::{AppError, Caller, Deps};

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
    // An item without a recorded outcome is still being processed, or, once the job has
    // failed, failed with it; what was recorded stands either way.
    let unrecorded = |ordinal| match &job.failure {
        Some(failure) => ItemResult {
            status: ItemStatus::Failed,
            reason_code: Some(ItemFailureReason::JobFailed),
            reason: failure.message.clone(),
            ..ItemResult::processing(ordinal)
        },
        None => ItemResult::processing(ordinal),
    };
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
            None => results.push(unrecorded(ordinal)),
        }
    }
    Ok(KeystoreImportStatus { job, results })
}
