//! Who is calling and what they may do: API keys to tenants and scopes, new tenants with
//! their first key, and keys made, listed, revoked and rotated.

pub(crate) mod api_keys;
pub(crate) mod auth;
pub(crate) mod bootstrap;
