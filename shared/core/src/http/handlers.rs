use bytes::Bytes;
use http::HeaderMap;
use serde_json::Value;

use crate::app::{self, AppError, Caller, Deps};

use super::{certificate_views, device_views, keystore_views, multipart, search_query, views, Route};

pub struct Request<'a> {
    pub headers: &'a HeaderMap,
    /// The query string, undecoded.
    pub query: &'a str,
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
        Route::ListCertificateImportFailures { job_id } => {
            let params = query_params(request.query);
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
            let page = app::list_certificate_import_failures(deps, caller, &job_id, after, limit).await?;
            Ok(views::json(200, &views::cert_import_failures(&page, limit)))
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
        Route::SearchCertificates => {
            let query = search_query::parse(&request.body, &deps.limits.search)?;
            let page = app::search_certificates(deps, caller, query).await?;
            Ok(views::json(200, &certificate_views::search_page(&page)))
        }
        Route::GetCertificate { id } => {
            let view = app::get_certificate(deps, caller, &id).await?;
            Ok(views::json(200, &certificate_views::certificate(&view)))
        }
        Route::GetCertificateRequest { id } => {
            let view = app::get_certificate_request(deps, caller, &id).await?;
            Ok(views::json(200, &certificate_views::certificate_request(&view)))
        }
        Route::RequestCertificate => Err(app::request_certificate()),
        Route::GetCertificateContents { id } => {
            let params = query_params(request.query);
            let format = app::ContentFormat::parse(params.get("format").map(String::as_str))?;
            let order = app::ChainOrder::parse(params.get("chainOrder").map(String::as_str))?;
            let body = app::certificate_contents(deps, caller, &id, format, order).await?;
            let content_type = match format {
                app::ContentFormat::Pem => "text/plain",
                app::ContentFormat::Der => "application/octet-stream",
            };
            Ok(certificate_views::raw(content_type, body))
        }
        Route::ExportKeystore { id } => {
            const FIELDS: [&str; 4] = [
                "exportFormat",
                "encryptedPrivateKeyPassphrase",
                "encryptedKeystorePassphrase",
                "certificateLabel",
            ];
            let body = json_body(&request.body, &FIELDS)?;
            let optional = |name: &str| {
                body.get(name)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let export = app::ExportRequest {
                format: app::ExportFormat::parse(&string_field(&body, "exportFormat")?)?,
                encrypted_private_key_passphrase: string_field(&body, "encryptedPrivateKeyPassphrase")?,
                encrypted_keystore_passphrase: optional("encryptedKeystorePassphrase"),
                certificate_label: optional("certificateLabel"),
                source_ip: request.source_ip,
            };
            let bytes = app::export_private_key(deps, caller, &id, export).await?;
            // Clients dispatch on the type: the keystore is a download whatever `Accept` says.
            Ok(certificate_views::raw("application/octet-stream", bytes))
        }
        Route::ListAuditEvents => {
            let params = query_params(request.query);
            let limit = match params.get("limit") {
                None => 100,
                Some(n) => n
                    .parse()
                    .map_err(|_| AppError::invalid("limit must be a whole number from 1 to 1000"))?,
            };
            let events = app::list_audit_events(deps, caller, limit).await?;
            Ok(views::json(200, &certificate_views::audit_events(&events)))
        }
        Route::ListDevices => {
            let params = query_params(request.query);
            let (limit, offset) = limit_and_offset(&params)?;
            let instant = |name: &str, bound| {
                params
                    .get(name)
                    .map(|v| app::parse_instant(name, v, bound))
                    .transpose()
            };
            let filter = app::DeviceFilter {
                device_identifier: params.get("device_identifier").cloned(),
                profile_id: params.get("enrollment_profile_id").cloned(),
                created_from: instant("created_from", app::Bound::From)?,
                created_to: instant("created_to", app::Bound::To)?,
                updated_from: instant("updated_from", app::Bound::From)?,
                // DigiCert documents the parameter misspelt, too.
                updated_to: instant("updated_to", app::Bound::To)?.or(instant("upated_to", app::Bound::To)?),
            };
            let page = app::list_devices(deps, caller, filter, limit, offset).await?;
            let tenant = &caller.tenant;
            Ok(views::json(
                200,
                &device_views::page(&page, |d| device_views::device(d, tenant)),
            ))
        }
        Route::GetDevice { id } => {
            let device = app::get_device(deps, caller, &id).await?;
            Ok(views::json(200, &device_views::device(&device, &caller.tenant)))
        }
        Route::ListDeviceCertificates => {
            let params = query_params(request.query);
            let (limit, offset) = limit_and_offset(&params)?;
            let filter = app::CertificateFilter {
                profile_id: params.get("enrollment_profile_id").cloned(),
                common_name: params.get("common_name").cloned(),
                serial_number: params.get("serial_number").cloned(),
                status: params.get("status").cloned(),
            };
            let page = app::list_device_certificates(deps, caller, filter, limit, offset).await?;
            Ok(views::json(
                200,
                &device_views::page(&page, device_views::certificate),
            ))
        }
    }
}

/// DigiCert's paging: `limit` (default 20) and `offset` (default 0), whole numbers.
fn limit_and_offset(params: &std::collections::HashMap<String, String>) -> Result<(usize, usize), AppError> {
    let number = |name: &str, default: usize| match params.get(name) {
        None => Ok(default),
        Some(value) => value
            .trim()
            .parse::<usize>()
            .map_err(|_| AppError::invalid(format!("{name} must be a whole number from 0; got `{value}`"))),
    };
    Ok((number("limit", app::DEFAULT_DEVICE_LIMIT)?, number("offset", 0)?))
}

/// The query string's parameters, decoded; the first value of a repeated one.
pub(super) fn query_params(query: &str) -> std::collections::HashMap<String, String> {
    let mut params = std::collections::HashMap::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        params
            .entry(name.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    params
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
