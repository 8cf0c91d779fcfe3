//! The HTTP API, independent of how requests arrive (API Gateway via `lambda_http`,
//! or the local server). Every route has one owning Lambda function.

mod error;
mod handlers;
mod keystore_views;
mod multipart;
mod routes;
mod views;

use bytes::Bytes;

pub use error::{error_response, styled_error_response, ErrorStyle};
pub use routes::{Function, Route, RouteError};

use crate::app::{AppError, Deps};

/// Which routes a process answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serves {
    /// The local server: every route.
    All,
    /// A Lambda function: only the routes it owns.
    Only(Function),
}

/// Headers that may carry the API key (DigiCert and Venafi style).
pub const API_KEY_HEADERS: [&str; 2] = ["x-api-key", "tppl-api-key"];

/// Answers one request. Never panics on input; client mistakes are 4xx.
pub async fn handle(
    deps: &Deps,
    serves: Serves,
    request: http::Request<Bytes>,
    source_ip: Option<String>,
) -> http::Response<Bytes> {
    let style = match Route::resolve(request.method(), request.uri().path()) {
        Ok(route) => route.error_style(),
        Err(RouteError::MethodNotAllowed { style, .. }) => style,
        Err(RouteError::NotFound) => ErrorStyle::DigiCert,
    };
    match respond(deps, serves, request, source_ip).await {
        Ok(response) => response,
        Err(e) => styled_error_response(&e, style),
    }
}

async fn respond(
    deps: &Deps,
    serves: Serves,
    request: http::Request<Bytes>,
    source_ip: Option<String>,
) -> Result<http::Response<Bytes>, AppError> {
    let (parts, body) = request.into_parts();
    let route = match Route::resolve(&parts.method, parts.uri.path()) {
        Ok(route) if serves == Serves::All || serves == Serves::Only(route.owner()) => route,
        Ok(_) | Err(RouteError::NotFound) => return Err(AppError::NotFound("route")),
        Err(RouteError::MethodNotAllowed { allow, .. }) => return Err(AppError::MethodNotAllowed { allow }),
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
        body,
        source_ip,
    };
    handlers::dispatch(deps, &caller, route, request).await
}
