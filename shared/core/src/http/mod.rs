//! The HTTP API, independent of how requests arrive (API Gateway via `lambda_http`, or
//! the local server): one axum router for both APIs, a handler per route, and every
//! failure rendered in the shape of the API its route belongs to.

mod certificate_views;
pub mod contract;
mod device_views;
mod error;
mod handlers;
mod keystore_views;
mod multipart;
pub mod openapi;
mod routes;
mod search_query;
mod views;

use axum::extract::Request;
use axum::middleware::{from_fn, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use axum::Router;

pub use error::{error_response, styled_error_response, ErrorStyle};
pub use routes::{Route, RouteError, ROUTES};

use crate::app::{AppError, Deps};

/// Headers that may carry the API key (DigiCert and Venafi style).
pub const API_KEY_HEADERS: [&str; 2] = ["x-api-key", "tppl-api-key"];

/// Where a request came from, as the transport saw it (API Gateway's source IP, or the
/// local server's peer): put in the request's extensions before it reaches the router.
#[derive(Debug, Clone, Default)]
pub struct SourceIp(pub Option<String>);

/// A failure on its way out: rendered, in the shape of its route's API, by the router's
/// outermost layer (which knows the path).
#[derive(Debug)]
pub struct Failure(pub AppError);

impl From<AppError> for Failure {
    fn from(error: AppError) -> Self {
        Failure(error)
    }
}

impl From<crate::ports::InfraError> for Failure {
    fn from(error: crate::ports::InfraError) -> Self {
        Failure(error.into())
    }
}

/// The failure, waiting for its shape.
#[derive(Debug, Clone)]
struct Unrendered(AppError);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut response = Response::new(axum::body::Body::empty());
        response.extensions_mut().insert(Unrendered(self.0));
        response
    }
}

/// Both APIs as one router, with the routes `serves` admits: a Lambda function serves only
/// its own (the others are 404 there). Never panics on input; client mistakes are 4xx.
pub fn router(deps: Deps, serves: impl Fn(&Route) -> bool) -> Router {
    let mut by_path: Vec<(&str, MethodRouter<Deps>)> = Vec::new();
    for (method, template, route) in ROUTES {
        if !serves(route) {
            continue;
        }
        let filter = match *method {
            "GET" => MethodFilter::GET,
            _ => MethodFilter::POST,
        };
        // The handler's caller is admitted by the route's scopes (see `handlers::Call`).
        let handler = handlers::handler(*route, filter).layer(axum::Extension(*route));
        match by_path.iter_mut().find(|(path, _)| path == template) {
            Some((_, methods)) => *methods = std::mem::take(methods).merge(handler),
            None => by_path.push((template, handler)),
        }
    }
    let router = by_path
        .into_iter()
        .fold(Router::new(), |router, (path, methods)| {
            router.route(path, methods)
        });
    router
        .fallback(not_routed)
        .method_not_allowed_fallback(not_routed)
        .layer(from_fn(render_failures))
        .with_state(deps)
}

/// A path this router does not serve, or a method its path does not take.
async fn not_routed(request: Request) -> Failure {
    match Route::resolve(request.method(), request.uri().path()) {
        Err(RouteError::MethodNotAllowed { allow }) => Failure(AppError::MethodNotAllowed { allow }),
        // Unknown here, or a route another function serves.
        Ok(_) | Err(RouteError::NotFound) => Failure(AppError::NotFound("route")),
    }
}

async fn render_failures(request: Request, next: Next) -> Response {
    let style = ErrorStyle::for_path(request.uri().path());
    let mut response = next.run(request).await;
    match response.extensions_mut().remove::<Unrendered>() {
        Some(Unrendered(error)) => styled_error_response(&error, style).map(axum::body::Body::from),
        None => response,
    }
}

/// A trailing `/` names the same route: removed before routing.
pub fn without_trailing_slash<B>(mut request: http::Request<B>) -> http::Request<B> {
    let path = request.uri().path();
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
        let rebuilt = match request.uri().query() {
            Some(query) => format!("{trimmed}?{query}"),
            None => trimmed.to_string(),
        };
        if let Ok(uri) = rebuilt.parse() {
            *request.uri_mut() = uri;
        }
    }
    request
}
