//! SQLite's errors as the ports' errors.

use certport_core::ports::InfraError;

/// SQLite's error as the ports', kept as the source; a busy or locked database is worth
/// trying again.
pub(crate) fn db_error(operation: &'static str) -> impl Fn(rusqlite::Error) -> InfraError {
    move |e| {
        let transient = matches!(
            &e,
            rusqlite::Error::SqliteFailure(code, _)
                if matches!(code.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        );
        let message = e.to_string();
        InfraError::caused_by(operation, transient, message, e)
    }
}
