//! API B's keystore import: batches, upload URLs and a job's status.

use axum::extract::Path;

use crate::app;
use crate::http::{keystore_views, views};

use super::{answer, size_field, string_field, Answer, Call};

pub(super) async fn upload(call: Call) -> Answer {
    let job = app::upload_keystore_import(&call.deps, &call.caller, &call.body).await?;
    answer(views::json(201, &keystore_views::import_created(&job)))
}

pub(super) async fn upload_url(call: Call) -> Answer {
    let body = call.json_body(&["edgeInstanceId", "encryptionKeyId", "size"])?;
    let (job, upload) = app::request_keystore_upload_url(
        &call.deps,
        &call.caller,
        &string_field(&body, "edgeInstanceId")?,
        &string_field(&body, "encryptionKeyId")?,
        size_field(&body, "size")?,
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
