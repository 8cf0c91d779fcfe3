//! The HTTP API, independent of how requests arrive (API Gateway via `lambda_http`,
//! or the local server) and of which process serves which route.

mod certificate_views;
mod device_views;
mod error;
mod handlers;
mod keystore_views;
mod multipart;
mod routes;
mod search_query;
mod views;

use bytes::Bytes;

pub use error::{error_response, styled_error_response, ErrorStyle};
pub use routes::{Route, RouteError, ROUTES};

use crate::app::{AppError, Deps};

/// Headers that may carry the API key (DigiCert and Venafi style).
pub const API_KEY_HEADERS: [&str; 2] = ["x-api-key", "tppl-api-key"];

/// Answers one request, if `accepts` its route (else 404: a Lambda function answers only
/// the routes it is deployed for). Never panics on input; client mistakes are 4xx.
pub async fn handle(
    deps: &Deps,
    accepts: impl Fn(&Route) -> bool,
    request: http::Request<Bytes>,
    source_ip: Option<String>,
) -> http::Response<Bytes> {
    let style = ErrorStyle::for_path(request.uri().path());
    match respond(deps, accepts, request, source_ip).await {
        Ok(response) => response,
        Err(e) => styled_error_response(&e, style),
    }
}

async fn respond(
    deps: &Deps,
    accepts: impl Fn(&Route) -> bool,
    request: http::Request<Bytes>,
    source_ip: Option<String>,
) -> Result<http::Response<Bytes>, AppError> {
    let (parts, body) = request.into_parts();
    let route = match Route::resolve(&parts.method, parts.uri.path()) {
        Ok(route) if accepts(&route) => route,
        Ok(_) | Err(RouteError::NotFound) => return Err(AppError::NotFound("route")),
        Err(RouteError::MethodNotAllowed { allow }) => return Err(AppError::MethodNotAllowed { allow }),
    };
    if body.len() > deps.limits.max_body_bytes {
        return Err(AppError::PayloadTooLarge(deps.limits.max_body_bytes));
    }
    let presented = API_KEY_HEADERS
        .iter()
        .find_map(|name| parts.headers.get(*name))
        .and_then(|value| value.to_str().ok());
    let caller = crate::app::authenticate(deps.tenants.as_ref(), presented).await?;
    let request = handlers::Request {
        headers: &parts.headers,
        query: parts.uri.query().unwrap_or_default(),
        body,
        source_ip,
    };
    handlers::dispatch(deps, &caller, route, request).await
}
