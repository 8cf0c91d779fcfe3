use crate::domain::Scope;
use crate::ports::InfraError;

/// A failure a caller sees. The HTTP layer maps each variant to a status and a
/// stable code in one place (`http::error`).
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    #[error("missing or invalid API key: send it in the x-api-key (or tppl-api-key) header")]
    Unauthorized,
    /// The key is valid but may not do this: it needs one of these scopes.
    #[error("{}", forbidden_message(.0))]
    Forbidden(&'static [Scope]),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    InvalidInput(String),
    /// The thing to create exists already.
    #[error("{0}")]
    Conflict(String),
    /// The request names things that exist but do not fit together.
    #[error("{0}")]
    Precondition(String),
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// The path exists, but not with this method; `allow` lists those it has.
    #[error("this path only accepts {allow}")]
    MethodNotAllowed { allow: String },
    /// The tenant holds as much unfinished work as it may: try again later.
    #[error("{message}")]
    TooBusy { message: String, retry_after_secs: u64 },
    #[error(transparent)]
    Infra(#[from] InfraError),
}

impl AppError {
    pub fn invalid(message: impl Into<String>) -> Self {
        AppError::InvalidInput(message.into())
    }
}

fn forbidden_message(needs: &[Scope]) -> String {
    let names: Vec<String> = needs.iter().map(|s| format!("`{s}`")).collect();
    format!(
        "this API key may not do this: it needs the {} scope; use a key that has it (an operator makes one with `certport admin api-keys create --scopes {}`)",
        names.join(" or "),
        needs.first().map(|s| s.name()).unwrap_or_default()
    )
}
