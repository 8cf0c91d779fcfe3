//! Uploads too large for a request body (Lambda takes 6 MB): the job is created as for a
//! direct upload, and the client PUTs the file to a short-lived URL bound to its size and
//! content type. Storing the object starts the same processor.

use crate::domain::{format_timestamp, FailureReason, Job};
use crate::ports::{PresignedPut, UploadConstraints};

use crate::app::certificate_import::upload::{importable_profile, new_job};
use crate::app::jobs::lifecycle::{create_job, fail};
use crate::app::keystore_import::upload::{new_keystore_job, usable_edge_instance};
use crate::app::{AppError, Caller, Deps};

/// Where and how to PUT the upload.
#[derive(Debug, Clone)]
pub struct UploadUrl {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub expires_at: String,
}

pub async fn request_certificate_upload_url(
    deps: &Deps,
    caller: &Caller,
    profile_id: &str,
    file_name: &str,
    size: u64,
    ip_address: Option<String>,
) -> Result<(Job, UploadUrl), AppError> {
    if !file_name.to_ascii_lowercase().ends_with(".zip") || file_name.chars().count() > 255 {
        return Err(AppError::invalid(
            "`file_name` must be a .zip file name of at most 255 characters",
        ));
    }
    check_size(deps, size)?;
    let (profile, format) = importable_profile(deps, caller, profile_id).await?;
    let job = new_job(
        caller,
        &profile,
        format,
        file_name.to_string(),
        size,
        0,
        ip_address,
    );
    create_job(deps, &job).await?;
    issue_url(deps, job, "application/zip", size).await
}

pub async fn request_keystore_upload_url(
    deps: &Deps,
    caller: &Caller,
    edge_instance_id: &str,
    encryption_key_id: &str,
    size: u64,
) -> Result<(Job, UploadUrl), AppError> {
    check_size(deps, size)?;
    let edge = usable_edge_instance(deps, caller, edge_instance_id, encryption_key_id).await?;
    // The items are counted when the batch arrives; until then it holds the most a batch may.
    let job = new_keystore_job(caller, edge, 0);
    create_job(deps, &job).await?;
    issue_url(deps, job, "application/json", size).await
}

/// The upload URL of a job just created; without one the job ends FAILED at once.
async fn issue_url(
    deps: &Deps,
    job: Job,
    content_type: &str,
    size: u64,
) -> Result<(Job, UploadUrl), AppError> {
    match presign(deps, &job.object_key, content_type, size).await {
        Ok(url) => Ok((job, url)),
        Err(e) => {
            let message = "no upload URL could be issued; ask for one again";
            fail(deps, job, FailureReason::NotProcessed, message).await?;
            Err(e)
        }
    }
}

fn check_size(deps: &Deps, size: u64) -> Result<(), AppError> {
    if size == 0 || size > deps.limits.max_upload_bytes {
        return Err(AppError::invalid(format!(
            "`size` must be 1 to {} bytes (the exact size of the file to upload)",
            deps.limits.max_upload_bytes
        )));
    }
    Ok(())
}

async fn presign(deps: &Deps, key: &str, content_type: &str, size: u64) -> Result<UploadUrl, AppError> {
    let ttl = deps.limits.upload_url_ttl;
    let constraints = UploadConstraints {
        content_type: content_type.to_string(),
        size,
        expires_in: ttl,
    };
    let PresignedPut { url, headers } = deps.objects.presign_put(key, &constraints).await?;
    let expires_at = chrono::Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default();
    Ok(UploadUrl {
        url,
        headers,
        expires_at: format_timestamp(expires_at),
    })
}
