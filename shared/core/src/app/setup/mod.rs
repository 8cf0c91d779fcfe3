//! What a tenant sets up before importing: enrollment profiles (and their mapping),
//! edge instances with their DEKs, and trusted CAs.

pub(crate) mod edge_instances;
pub(crate) mod profiles;
pub(crate) mod trusted_cas;
