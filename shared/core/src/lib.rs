//! certport's core: domain types, parsers, ports (traits the adapters implement),
//! the use cases, and the HTTP API shared by the Lambda functions and the local server.
//! Nothing here knows about the AWS SDK.

pub mod app;
pub mod crypto;
pub mod domain;
pub mod http;
pub mod parsing;
pub mod ports;

#[cfg(any(test, feature = "test-util"))]
pub mod testing;

pub use app::Deps;
