//! API B's keystore import: batches, upload URLs and a job's status.

use axum::extract::Path;

use crate::app;
use crate::http::{keystore_views, views};

use super::{answer, Answer, Call};
use crate::http::contract::api_b;

pub(super) async fn upload(call: Call) -> Answer {
    let job = app::upload_keystore_import(&call.deps, &call.caller, &call.body).await?;
    answer(views::json(201, &keystore_views::import_created(&job)))
}

pub(super) async fn upload_url(call: Call) -> Answer {
    let body: api_b::KeystoreUploadUrlRequest = call.json()?;
    let (job, upload) = app::request_keystore_upload_url(
        &call.deps,
        &call.caller,
        &body.edge_instance_id,
        &body.encryption_key_id,
        body.size,
    )
    .await?;
    answer(views::json(
        201,
        &keystore_views::import_upload_url(&job, &upload),
    ))
}

pub(super) async fn status(Path(id): Path<String>, call: Call) -> Answer {
    let status = app::get_keystore_import(&call.deps, &call.caller, &id).await?;
    answer(views::json(200, &keystore_views::import_status(&status)))
}
