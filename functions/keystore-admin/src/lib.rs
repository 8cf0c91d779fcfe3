//! Edge instances, their encryption keys (DEK public keys) and the tenant's trusted CA certificates.

pub mod http_handler;
