//! The inventory's reads (API B's certificates, searches and certificate requests; API
//! A's devices and their certificates), private-key export, and the audit trail.

use crate::app::{self, AppError};
use crate::http::{certificate_views, device_views, search_query, views};
use axum::extract::Path;

use super::{answer, Answer, Call};
use crate::http::contract::api_b;

pub(super) async fn search(call: Call) -> Answer {
    let query = search_query::parse(&call.body, &call.deps.limits.search)?;
    let page = app::search_certificates(&call.deps, &call.caller, query).await?;
    answer(views::json(200, &certificate_views::search_page(&page)))
}

pub(super) async fn certificate(Path(id): Path<String>, call: Call) -> Answer {
    let view = app::get_certificate(&call.deps, &call.caller, &id).await?;
    answer(views::json(200, &certificate_views::certificate(&view)))
}

pub(super) async fn certificate_request(Path(id): Path<String>, call: Call) -> Answer {
    let view = app::get_certificate_request(&call.deps, &call.caller, &id).await?;
    answer(views::json(200, &certificate_views::certificate_request(&view)))
}

/// certport issues no certificates: a 400 saying to import instead.
pub(super) async fn request_certificate(_call: Call) -> Answer {
    Err(app::request_certificate().into())
}

pub(super) async fn contents(Path(id): Path<String>, call: Call) -> Answer {
    let params = call.params();
    let format = app::ContentFormat::parse(params.get("format").map(String::as_str))?;
    let order = app::ChainOrder::parse(params.get("chainOrder").map(String::as_str))?;
    let body = app::certificate_contents(&call.deps, &call.caller, &id, format, order).await?;
    let content_type = match format {
        app::ContentFormat::Pem => "text/plain",
        app::ContentFormat::Der => "application/octet-stream",
    };
    answer(certificate_views::raw(content_type, body))
}

pub(super) async fn export(Path(id): Path<String>, call: Call) -> Answer {
    let export = match export_request(&call) {
        Ok(export) => export,
        // A request that does not parse is a refused export too, and audited as one.
        Err(refused) => {
            let refusal = app::ExportRefusal {
                certificate_id: &id,
                source_ip: call.source_ip.clone(),
            };
            app::audit_refused_export(&call.deps, &call.caller, refusal, &refused).await?;
            return Err(refused.into());
        }
    };
    let bytes = app::export_private_key(&call.deps, &call.caller, &id, export).await?;
    // Clients dispatch on the type: the keystore is a download whatever `Accept` says.
    answer(certificate_views::raw("application/octet-stream", bytes))
}

fn export_request(call: &Call) -> Result<app::ExportRequest, AppError> {
    let body: api_b::KeystoreExportRequest = call.json()?;
    Ok(app::ExportRequest {
        format: app::ExportFormat::parse(&body.export_format)?,
        encrypted_private_key_passphrase: body.encrypted_private_key_passphrase,
        encrypted_keystore_passphrase: body.encrypted_keystore_passphrase.unwrap_or_default(),
        certificate_label: body.certificate_label.unwrap_or_default(),
        source_ip: call.source_ip.clone(),
    })
}

pub(super) async fn audit_events(call: Call) -> Answer {
    let limit = match call.params().get("limit") {
        None => 100,
        Some(n) => n
            .parse()
            .map_err(|_| AppError::invalid("limit must be a whole number from 1 to 1000"))?,
    };
    let events = app::list_audit_events(&call.deps, &call.caller, limit).await?;
    answer(views::json(200, &certificate_views::audit_events(&events)))
}

pub(super) async fn devices(call: Call) -> Answer {
    let params = call.params();
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
    let page = app::list_devices(&call.deps, &call.caller, filter, limit, offset).await?;
    let tenant = &call.caller.tenant;
    answer(views::json(
        200,
        &device_views::page(&page, |d| device_views::device(d, tenant)),
    ))
}

pub(super) async fn device(Path(id): Path<String>, call: Call) -> Answer {
    let device = app::get_device(&call.deps, &call.caller, &id).await?;
    answer(views::json(
        200,
        &device_views::device(&device, &call.caller.tenant),
    ))
}

pub(super) async fn device_certificates(call: Call) -> Answer {
    let params = call.params();
    let (limit, offset) = limit_and_offset(&params)?;
    let filter = app::CertificateFilter {
        profile_id: params.get("enrollment_profile_id").cloned(),
        common_name: params.get("common_name").cloned(),
        serial_number: params.get("serial_number").cloned(),
        status: params.get("status").cloned(),
    };
    let page = app::list_device_certificates(&call.deps, &call.caller, filter, limit, offset).await?;
    answer(views::json(
        200,
        &device_views::page(&page, device_views::certificate),
    ))
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
