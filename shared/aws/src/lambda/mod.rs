//! The Lambda glue: each function's configuration from its environment, its clients,
//! and the translation of its events (HTTP, S3, SQS) into certport's use cases.

pub mod certificate_processor;
pub mod failure_destination;
pub(crate) mod function_config;
pub(crate) mod functions;
pub mod http_function;
pub(crate) mod not_configured;
pub mod s3_function;
