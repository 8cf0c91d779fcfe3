//! Every failure a client can see, mapped to a status and a stable code here and only here.

use super::contract::errors::{
    DigiCertError, DigiCertErrorDetail, ErrorCode, VenafiError, VenafiErrorDetail,
};
use bytes::Bytes;

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
        AppError::Unauthorized => (401, ErrorCode::Unauthorized),
        AppError::Forbidden(_) => (403, ErrorCode::Forbidden),
        AppError::NotFound(_) => (404, ErrorCode::NotFound),
        AppError::InvalidInput(_) => (400, ErrorCode::InvalidInput),
        AppError::Conflict(_) => (409, ErrorCode::Conflict),
        AppError::Precondition(_) => (412, ErrorCode::PreconditionFailed),
        AppError::PayloadTooLarge(_) => (413, ErrorCode::PayloadTooLarge),
        AppError::MethodNotAllowed { .. } => (405, ErrorCode::MethodNotAllowed),
        AppError::TooBusy { .. } => (429, ErrorCode::TooManyRequests),
        AppError::Infra(e) if e.transient => (503, ErrorCode::ServiceUnavailable),
        AppError::Infra(_) => (500, ErrorCode::InternalError),
    };
    let message = match error {
        AppError::Infra(e) => {
            tracing::error!(operation = e.operation, error = %e.chain(), transient = e.transient, "infrastructure failure");
            "the service could not complete the request; try again later".to_string()
        }
        other => other.to_string(),
    };
    let mut response = match style {
        ErrorStyle::DigiCert => super::views::json(
            status,
            &DigiCertError {
                errors: vec![DigiCertErrorDetail { code, message }],
            },
        ),
        ErrorStyle::Venafi => super::views::json(
            status,
            &VenafiError {
                errors: vec![VenafiErrorDetail {
                    code: 10000 + u32::from(status),
                    message,
                    args: Vec::new(),
                }],
            },
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
