use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use certport_core::ports::InfraError;

/// Error codes AWS services use for throttling and passing trouble.
const TRANSIENT_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "SlowDown",
    "ServiceUnavailable",
    "InternalError",
    "InternalServerError",
    "InternalFailure",
    "KMSInternalException",
    "RequestTimeout",
    "TransactionInProgressException",
];

/// Maps an SDK error to the ports' error, deciding whether retrying may help.
pub fn infra_error<E, R>(operation: &'static str, error: SdkError<E, R>) -> InfraError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let transient = match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(service) => service
            .err()
            .code()
            .is_some_and(|code| TRANSIENT_CODES.contains(&code)),
        _ => false,
    };
    let message = DisplayErrorContext(&error).to_string();
    InfraError::caused_by(operation, transient, message, error)
}

/// A conditional write's outcome: `true` when written, `false` when its condition did not
/// hold (nothing written); other failures as the ports' error.
pub fn conditional_write<T, E, R>(
    operation: &'static str,
    result: Result<T, SdkError<E, R>>,
) -> Result<bool, InfraError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error().and_then(|se| se.code()) == Some("ConditionalCheckFailedException") =>
        {
            Ok(false)
        }
        Err(e) => Err(infra_error(operation, e)),
    }
}
