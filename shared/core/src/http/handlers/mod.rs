//! The handler of every route, by area. Each takes its path parameters and a `Call` (the
//! authenticated caller, the request's parts and its body) and answers, or fails with an
//! `AppError` that the router renders in its API's shape.

mod certificate_import;
mod inventory;
mod keystore_admin;
mod keystore_import;
mod profiles;

use axum::extract::{FromRequest, Request};
use axum::routing::{on, MethodFilter, MethodRouter};
use bytes::Bytes;
use http::HeaderMap;

use crate::app::{AppError, Caller, Deps};

use super::{Failure, Route, SourceIp, API_KEY_HEADERS};

/// The handler of `route`, for requests with its `method`.
pub(super) fn handler(route: Route, method: MethodFilter) -> MethodRouter<Deps> {
    let any = method;
    match route {
        Route::CreateProfile => on(any, profiles::create),
        Route::GetProfile => on(any, profiles::get),
        Route::SetSourceFieldsMapping => on(any, profiles::set_mapping),
        Route::UploadCertificateImport => on(any, certificate_import::upload),
        Route::CertificateUploadUrl => on(any, certificate_import::upload_url),
        Route::GetCertificateImport => on(any, certificate_import::status),
        Route::ListCertificateImportFailures => on(any, certificate_import::failures),
        Route::UploadKeystoreImport => on(any, keystore_import::upload),
        Route::KeystoreUploadUrl => on(any, keystore_import::upload_url),
        Route::GetKeystoreImport => on(any, keystore_import::status),
        Route::ListEdgeInstances => on(any, keystore_admin::edge_instances),
        Route::GetEncryptionKey => on(any, keystore_admin::encryption_key),
        Route::AddTrustedCa => on(any, keystore_admin::add_trusted_ca),
        Route::ListTrustedCas => on(any, keystore_admin::trusted_cas),
        Route::SearchCertificates => on(any, inventory::search),
        Route::GetCertificate => on(any, inventory::certificate),
        Route::GetCertificateContents => on(any, inventory::contents),
        Route::ExportKeystore => on(any, inventory::export),
        Route::GetCertificateRequest => on(any, inventory::certificate_request),
        Route::RequestCertificate => on(any, inventory::request_certificate),
        Route::ListAuditEvents => on(any, inventory::audit_events),
        Route::ListDevices => on(any, inventory::devices),
        Route::GetDevice => on(any, inventory::device),
        Route::ListDeviceCertificates => on(any, inventory::device_certificates),
    }
}

/// An authenticated call: its caller first (from the headers alone, so a caller without
/// a valid key, or whose key lacks the route's scopes, never makes the server read a
/// body), then its body, within the limit.
pub(super) struct Call {
    pub deps: Deps,
    pub caller: Caller,
    pub headers: HeaderMap,
    /// The query string, undecoded.
    pub query: String,
    pub body: Bytes,
    pub source_ip: Option<String>,
}

impl FromRequest<Deps> for Call {
    type Rejection = Failure;

    async fn from_request(request: Request, deps: &Deps) -> Result<Self, Failure> {
        let (parts, body) = request.into_parts();
        let presented = API_KEY_HEADERS
            .iter()
            .find_map(|name| parts.headers.get(*name))
            .and_then(|value| value.to_str().ok());
        let caller = crate::app::authenticate(deps.tenants.as_ref(), presented).await?;
        let source_ip = parts.extensions.get::<SourceIp>().and_then(|ip| ip.0.clone());
        let route = parts.extensions.get::<Route>().copied();
        let needs = route.map_or(&[][..], Route::scopes);
        if let Err(forbidden) = crate::app::authorize(&caller, needs) {
            if route == Some(Route::ExportKeystore) {
                let segment = parts.uri.path().split('/').nth(4).unwrap_or_default();
                let certificate_id: String = form_urlencoded::parse(format!("id={segment}").as_bytes())
                    .map(|(_, id)| id.into_owned())
                    .next()
                    .unwrap_or_default();
                let refusal = crate::app::ExportRefusal {
                    certificate_id: &certificate_id,
                    source_ip: source_ip.clone(),
                };
                crate::app::audit_refused_export(deps, &caller, refusal, &forbidden).await?;
            }
            return Err(forbidden.into());
        }
        let limit = deps.limits.max_body_bytes;
        let body = axum::body::to_bytes(body, limit)
            .await
            .map_err(|_| AppError::PayloadTooLarge(limit))?;
        Ok(Call {
            deps: deps.clone(),
            caller,
            query: parts.uri.query().unwrap_or_default().to_string(),
            headers: parts.headers,
            body,
            source_ip,
        })
    }
}

impl Call {
    /// The query string's parameters, decoded; the first value of a repeated one.
    pub fn params(&self) -> std::collections::HashMap<String, String> {
        let mut params = std::collections::HashMap::new();
        for (name, value) in form_urlencoded::parse(self.query.as_bytes()) {
            params
                .entry(name.into_owned())
                .or_insert_with(|| value.into_owned());
        }
        params
    }

    /// The body as the request type `T`: an unknown field (often a misspelt one, which
    /// would otherwise be dropped silently) or a missing one is refused by name.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, AppError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| AppError::invalid(format!("the body is not a valid request: {e}")))
    }
}

/// An answer, for axum.
pub(super) type Answer = Result<axum::response::Response, Failure>;

pub(super) fn answer(response: http::Response<Bytes>) -> Answer {
    Ok(response.map(axum::body::Body::from))
}
