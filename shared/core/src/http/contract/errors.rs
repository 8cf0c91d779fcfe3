//! The error bodies of both APIs.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// API A's stable, machine-readable error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Unauthorized,
    /// The API key lacks the scope the call needs (the message names it).
    Forbidden,
    NotFound,
    InvalidInput,
    Conflict,
    PreconditionFailed,
    PayloadTooLarge,
    MethodNotAllowed,
    TooManyRequests,
    ServiceUnavailable,
    InternalError,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DigiCertErrorDetail {
    pub code: ErrorCode,
    /// What went wrong, and what to fix.
    pub message: String,
}

/// API A's error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DigiCertError {
    #[schema(min_items = 1)]
    pub errors: Vec<DigiCertErrorDetail>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VenafiErrorDetail {
    /// 10000 + the HTTP status.
    #[schema(minimum = 10400, maximum = 10599)]
    pub code: u32,
    /// What went wrong, and what to fix.
    pub message: String,
    pub args: Vec<String>,
}

/// API B's error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VenafiError {
    #[schema(min_items = 1)]
    pub errors: Vec<VenafiErrorDetail>,
}
