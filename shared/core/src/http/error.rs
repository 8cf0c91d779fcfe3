//! Every failure a client can see, mapped to a status and a stable code here and only here.

use bytes::Bytes;
use serde_json::json;

use crate::app::AppError;

/// The error body shape of the API a route belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorStyle {
    /// API A: `{"errors": [{"code": "<string>", "message": ...}]}`.
    DigiCert,
    /// API B: `{"errors": [{"code": <int>, "message": ..., "args": []}]}`; code = 10000 + status.
    Venafi,
}

impl ErrorStyle {
    /// The error shape of the API family a path belongs to, known or not: API B's
    /// routes live under `/outagedetection/` and `/v1/`.
    pub fn for_path(path: &str) -> ErrorStyle {
        if path.starts_with("/outagedetection/") || path.starts_with("/v1/") {
            ErrorStyle::Venafi
        } else {
            ErrorStyle::DigiCert
        }
    }
}

pub fn error_response(error: &AppError) -> http::Response<Bytes> {
    styled_error_response(error, ErrorStyle::DigiCert)
}

pub fn styled_error_response(error: &AppError, style: ErrorStyle) -> http::Response<Bytes> {
    let (status, code) = match error {
        AppError::Unauthorized => (401, "unauthorized"),
        AppError::NotFound(_) => (404, "not_found"),
        AppError::InvalidInput(_) => (400, "invalid_input"),
        AppError::Conflict(_) => (409, "conflict"),
        AppError::Precondition(_) => (412, "precondition_failed"),
        AppError::PayloadTooLarge(_) => (413, "payload_too_large"),
        AppError::MethodNotAllowed { .. } => (405, "method_not_allowed"),
        AppError::TooBusy { .. } => (429, "too_many_requests"),
        AppError::Infra(e) if e.transient => (503, "service_unavailable"),
        AppError::Infra(_) => (500, "internal_error"),
    };
    let message = match error {
        AppError::Infra(e) => {
            tracing::error!(operation = e.operation, error = %e.chain(), transient = e.transient, "infrastructure failure");
            "the service could not complete the request; try again later".to_string()
        }
        other => other.to_string(),
    };
    let mut response = match style {
        ErrorStyle::DigiCert => json_error(status, code, &message),
        ErrorStyle::Venafi => super::views::json(
            status,
            &json!({"errors": [{"code": 10000 + u32::from(status), "message": message, "args": []}]}),
        ),
    };
    let headers = response.headers_mut();
    match error {
        AppError::MethodNotAllowed { allow } => {
            if let Ok(value) = http::HeaderValue::from_str(allow) {
                headers.insert(http::header::ALLOW, value);
            }
        }
        AppError::TooBusy { retry_after_secs, .. } => {
            headers.insert(http::header::RETRY_AFTER, (*retry_after_secs).into());
        }
        _ => {}
    }
    response
}

fn json_error(status: u16, code: &str, message: &str) -> http::Response<Bytes> {
    super::views::json(status, &json!({"errors": [{"code": code, "message": message}]}))
}
