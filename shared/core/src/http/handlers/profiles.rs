//! API A's enrollment profiles and their source fields mapping.

use axum::extract::Path;
use serde_json::Value;

use crate::app::{self, AppError};
use crate::http::{multipart, views};

use super::{answer, Answer, Call};
use crate::http::contract::api_a;

pub(super) async fn create(call: Call) -> Answer {
    let body: api_a::NewEnrollmentProfile = call.json()?;
    let new = app::NewProfile {
        name: body.name,
        enrollment_method: body.enrollment_method,
    };
    let profile = app::create_profile(&call.deps, &call.caller, new).await?;
    answer(views::json(201, &views::profile(&profile, &call.caller.tenant)))
}

pub(super) async fn get(Path(id): Path<String>, call: Call) -> Answer {
    let profile = app::get_profile(&call.deps, &call.caller, &id).await?;
    answer(views::json(200, &views::profile(&profile, &call.caller.tenant)))
}

pub(super) async fn set_mapping(Path(id): Path<String>, call: Call) -> Answer {
    let form = multipart::parse(&call.headers, call.body.clone()).await?;
    let file = form.require("file")?;
    let sample_name = file.file_name.clone().unwrap_or_default();
    let mapping: Value = serde_json::from_slice(&form.require("mapping")?.data)
        .map_err(|e| AppError::invalid(format!("`mapping` is not valid JSON: {e}")))?;
    let preview =
        app::set_source_fields_mapping(&call.deps, &call.caller, &id, &sample_name, &file.data, &mapping)
            .await?;
    answer(views::json(
        200,
        &views::mapping_preview(&preview, &call.caller.tenant),
    ))
}
