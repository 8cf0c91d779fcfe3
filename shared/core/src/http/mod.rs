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

use crate::app::{AppError, Caller, Deps};

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
    let (parts, body) = request.into_parts();
    match admit(deps, accepts, &parts).await {
        Ok(admitted) => answer(deps, admitted, &parts, body, source_ip).await,
        Err(e) => styled_error_response(&e, ErrorStyle::for_path(parts.uri.path())),
    }
}

/// A request whose head passed: its route exists (for this function) and its API key is
/// a tenant's.
pub struct Admitted {
    route: Route,
    caller: Caller,
}

/// What a request's head alone decides: its route and its caller. A server that receives
/// bodies itself calls this before reading one, so a caller without a valid key cannot
/// make it read (or wait for) a body.
pub async fn admit(
    deps: &Deps,
    accepts: impl Fn(&Route) -> bool,
    parts: &http::request::Parts,
) -> Result<Admitted, AppError> {
    let route = match Route::resolve(&parts.method, parts.uri.path()) {
        Ok(route) if accepts(&route) => route,
        Ok(_) | Err(RouteError::NotFound) => return Err(AppError::NotFound("route")),
        Err(RouteError::MethodNotAllowed { allow }) => return Err(AppError::MethodNotAllowed { allow }),
    };
    let presented = API_KEY_HEADERS
        .iter()
        .find_map(|name| parts.headers.get(*name))
        .and_then(|value| value.to_str().ok());
    let caller = crate::app::authenticate(deps.tenants.as_ref(), presented).await?;
    Ok(Admitted { route, caller })
}

/// Answers an admitted request with its body.
pub async fn answer(
    deps: &Deps,
    admitted: Admitted,
    parts: &http::request::Parts,
    body: Bytes,
    source_ip: Option<String>,
) -> http::Response<Bytes> {
    let style = ErrorStyle::for_path(parts.uri.path());
    if body.len() > deps.limits.max_body_bytes {
        return styled_error_response(&AppError::PayloadTooLarge(deps.limits.max_body_bytes), style);
    }
    let request = handlers::Request {
        headers: &parts.headers,
        query: parts.uri.query().unwrap_or_default(),
        body,
        source_ip,
    };
    handlers::dispatch(deps, &admitted.caller, admitted.route, request)
        .await
        .unwrap_or_else(|e| styled_error_response(&e, style))
}
