//! API Gateway (HTTP API, payload v2) requests in, the core router's responses out.

use bytes::Bytes;
use certport_core::app::Deps;
use certport_core::http::{router, without_trailing_slash, SourceIp};
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};
use tower::ServiceExt;

use crate::Function;

/// Answers one request with the routes `function` serves (the others are 404 here).
pub async fn respond(
    deps: &Deps,
    function: Function,
    event: lambda_http::Request,
) -> Result<lambda_http::Response<Body>, lambda_http::Error> {
    let source_ip = match event.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
        _ => None,
    };
    let (mut parts, body) = event.into_parts();
    parts.extensions.insert(SourceIp(source_ip));
    let body = match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text),
        Body::Binary(bytes) => Bytes::from(bytes),
        _ => Bytes::new(),
    };
    let request = without_trailing_slash(http::Request::from_parts(parts, axum::body::Body::from(body)));
    let response = router(deps.clone(), |route| function.serves(route))
        .oneshot(request)
        .await?;
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await?;
    // Our bodies are JSON: send them as text so API Gateway does not base64 them.
    let body = match String::from_utf8(bytes.to_vec()) {
        Ok(text) => Body::Text(text),
        Err(e) => Body::Binary(e.into_bytes()),
    };
    Ok(lambda_http::Response::from_parts(parts, body))
}
