use bytes::Bytes;
use http::HeaderMap;
use serde_json::Value;

use crate::app::{self, AppError, Caller, Deps};

use super::{keystore_views, multipart, views, Route};

pub struct Request<'a> {
    pub headers: &'a HeaderMap,
    pub body: Bytes,
    pub source_ip: Option<String>,
}

pub async fn dispatch(
    deps: &Deps,
    caller: &Caller,
    route: Route,
    request: Request<'_>,
) -> Result<http::Response<Bytes>, AppError> {
    match route {
        Route::CreateProfile => {
            let body = json_body(&request.body, &["name", "enrollment_method"])?;
            let new = app::NewProfile {
                name: string_field(&body, "name")?,
                enrollment_method: string_field(&body, "enrollment_method")?,
            };
            let profile = app::create_profile(deps, caller, new).await?;
            Ok(views::json(201, &views::profile(&profile, &caller.tenant)))
        }
        Route::GetProfile { id } => {
            let profile = app::get_profile(deps, caller, &id).await?;
            Ok(views::json(200, &views::profile(&profile, &caller.tenant)))
        }
        Route::SetSourceFieldsMapping { id } => {
            let form = multipart::parse(request.headers, request.body).await?;
            let file = form.require("file")?;
            let sample_name = file.file_name.clone().unwrap_or_default();
            let mapping: Value = serde_json::from_slice(&form.require("mapping")?.data)
                .map_err(|e| AppError::invalid(format!("`mapping` is not valid JSON: {e}")))?;
            let preview =
                app::set_source_fields_mapping(deps, caller, &id, &sample_name, &file.data, &mapping).await?;
            Ok(views::json(
                200,
                &views::mapping_preview(&preview, &caller.tenant),
            ))
        }
        Route::UploadCertificateImport { profile_id } => {
            let form = multipart::parse(request.headers, request.body).await?;
            let file = form.require("file")?;
            let upload = app::CertImportUpload {
                profile_id,
                file_name: file.file_name.clone().unwrap_or_else(|| "upload.zip".into()),
                zip: file.data.clone(),
                ip_address: request.source_ip,
            };
            let job = app::upload_certificate_import(deps, caller, upload).await?;
            Ok(views::json(200, &views::cert_import_job(&job)))
        }
        Route::CertificateUploadUrl { profile_id } => {
            let body = json_body(&request.body, &["file_name", "size"])?;
            let (job, upload) = app::request_certificate_upload_url(
                deps,
                caller,
                &profile_id,
                &string_field(&body, "file_name")?,
                size_field(&body, "size")?,
                request.source_ip,
            )
            .await?;
            Ok(views::json(200, &views::cert_import_upload_url(&job, &upload)))
        }
        Route::GetCertificateImport { job_id } => {
            let status = app::get_certificate_import(deps, caller, &job_id).await?;
            Ok(views::json(
                200,
                &views::cert_import_status(&status, &caller.tenant),
            ))
        }
        Route::UploadKeystoreImport => {
            let job = app::upload_keystore_import(deps, caller, &request.body).await?;
            Ok(views::json(201, &keystore_views::import_created(&job)))
        }
        Route::KeystoreUploadUrl => {
            let body = json_body(&request.body, &["edgeInstanceId", "encryptionKeyId", "size"])?;
            let (job, upload) = app::request_keystore_upload_url(
                deps,
                caller,
                &string_field(&body, "edgeInstanceId")?,
                &string_field(&body, "encryptionKeyId")?,
                size_field(&body, "size")?,
            )
            .await?;
            Ok(views::json(
                201,
                &keystore_views::import_upload_url(&job, &upload),
            ))
        }
        Route::GetKeystoreImport { id } => {
            let status = app::get_keystore_import(deps, caller, &id).await?;
            Ok(views::json(200, &keystore_views::import_status(&status)))
        }
        Route::ListEdgeInstances => {
            let edges = app::list_edge_instances(deps, caller).await?;
            Ok(views::json(200, &keystore_views::edge_instances(&edges)))
        }
        Route::GetEncryptionKey { id } => {
            let key = app::get_encryption_key(deps, caller, &id).await?;
            Ok(views::json(200, &keystore_views::encryption_key(&key)))
        }
        Route::AddTrustedCa => {
            let body = json_body(&request.body, &["certificate"])?;
            let ca = app::add_trusted_ca(deps, caller, &string_field(&body, "certificate")?).await?;
            Ok(views::json(201, &keystore_views::trusted_ca(&ca)))
        }
        Route::ListTrustedCas => {
            let cas = app::list_trusted_cas(deps, caller).await?;
            Ok(views::json(200, &keystore_views::trusted_cas(&cas)))
        }
    }
}

/// The body as a JSON object holding only `fields`: an unknown field (often a misspelt
/// one, which would otherwise be dropped silently) is refused by name.
fn json_body(body: &[u8], fields: &[&str]) -> Result<Value, AppError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| AppError::invalid(format!("the body is not valid JSON: {e}")))?;
    let Some(object) = value.as_object() else {
        return Err(AppError::invalid("the body must be a JSON object"));
    };
    if let Some(unknown) = object.keys().find(|k| !fields.contains(&k.as_str())) {
        return Err(AppError::invalid(format!(
            "unknown field `{unknown}`; this request takes {}",
            fields.join(", ")
        )));
    }
    Ok(value)
}

fn string_field(body: &Value, name: &str) -> Result<String, AppError> {
    body.get(name)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| AppError::invalid(format!("`{name}` is required and must be a string")))
}

fn size_field(body: &Value, name: &str) -> Result<u64, AppError> {
    body.get(name).and_then(Value::as_u64).ok_or_else(|| {
        AppError::invalid(format!(
            "`{name}` is required and must be a whole number of bytes"
        ))
    })
}
