//! The inventory's read routes: certificate search, details and contents (Venafi
//! compatible). Reads only: no KMS, no private keys.

pub mod http_handler;
