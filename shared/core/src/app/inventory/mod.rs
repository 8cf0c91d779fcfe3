//! The inventory's reads (certificates, searches, devices), private-key export and the
//! audit trail, and how a stored private key is bound to its certificate.

pub(crate) mod certificate_reads;
pub(crate) mod certificate_search;
pub(crate) mod device_reads;
pub(crate) mod export;
#[cfg(test)]
mod one_inventory_tests;
pub(crate) mod private_keys;
