//! API A's certificate import: uploads, upload URLs, a job's status and its failures.

use axum::extract::Path;

use crate::app::{self, AppError};
use crate::http::{multipart, views};

use super::{answer, Answer, Call};
use crate::http::contract::api_a;

pub(super) async fn upload(Path(profile_id): Path<String>, call: Call) -> Answer {
    let form = multipart::parse(&call.headers, call.body.clone()).await?;
    let file = form.require("file")?;
    let upload = app::CertImportUpload {
        profile_id,
        file_name: file.file_name.clone().unwrap_or_else(|| "upload.zip".into()),
        zip: file.data.clone(),
        ip_address: call.source_ip.clone(),
    };
    let job = app::upload_certificate_import(&call.deps, &call.caller, upload).await?;
    answer(views::json(200, &views::cert_import_job(&job)))
}

pub(super) async fn upload_url(Path(profile_id): Path<String>, call: Call) -> Answer {
    let body: api_a::CertificateUploadUrlRequest = call.json()?;
    let (job, upload) = app::request_certificate_upload_url(
        &call.deps,
        &call.caller,
        &profile_id,
        &body.file_name,
        body.size,
        call.source_ip.clone(),
    )
    .await?;
    answer(views::json(200, &views::cert_import_upload_url(&job, &upload)))
}

pub(super) async fn status(Path(job_id): Path<String>, call: Call) -> Answer {
    let status = app::get_certificate_import(&call.deps, &call.caller, &job_id).await?;
    answer(views::json(
        200,
        &views::cert_import_status(&status, &call.caller.tenant),
    ))
}

pub(super) async fn failures(Path(job_id): Path<String>, call: Call) -> Answer {
    let params = call.params();
    let limit = match params.get("limit") {
        None => 100,
        Some(n) => n.trim().parse().map_err(|_| {
            AppError::invalid(format!(
                "limit must be a whole number from 1 to {}",
                app::MAX_FAILURE_PAGE
            ))
        })?,
    };
    let after = params
        .get("after")
        .map(|n| {
            n.trim()
                .parse::<u32>()
                .map_err(|_| AppError::invalid("after must be the `next` of the page before"))
        })
        .transpose()?;
    let page = app::list_certificate_import_failures(&call.deps, &call.caller, &job_id, after, limit).await?;
    answer(views::json(200, &views::cert_import_failures(&page, limit)))
}
