//! Who is calling: API keys to tenants, and new tenants with their first key.

pub(crate) mod auth;
pub(crate) mod bootstrap;
