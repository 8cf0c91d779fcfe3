//! The bodies of both APIs as types: what the handlers answer and take, what the client
//! reads and sends, and what the OpenAPI document describes.

pub mod api_a;
pub mod api_b;
pub mod errors;
