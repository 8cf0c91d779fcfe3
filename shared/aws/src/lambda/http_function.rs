//! API Gateway (HTTP API, payload v2) requests in, the core HTTP layer's responses out.

use bytes::Bytes;
use certport_core::app::Deps;

use crate::Function;
use certport_core::http::handle;
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};

pub async fn respond(
    deps: &Deps,
    function: Function,
    event: lambda_http::Request,
) -> Result<lambda_http::Response<Body>, lambda_http::Error> {
    let source_ip = match event.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
        _ => None,
    };
    let (parts, body) = event.into_parts();
    let body = match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text),
        Body::Binary(bytes) => Bytes::from(bytes),
        _ => Bytes::new(),
    };
    let request = http::Request::from_parts(parts, body);
    let response = handle(deps, |route| function.serves(route), request, source_ip).await;
    // Our bodies are JSON: send them as text so API Gateway does not base64 them.
    Ok(response.map(|bytes| match String::from_utf8(bytes.to_vec()) {
        Ok(text) => Body::Text(text),
        Err(e) => Body::Binary(e.into_bytes()),
    }))
}
