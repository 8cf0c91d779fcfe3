//! Opens stored keystore-import batches on S3 ObjectCreated events: passwords through the DEK, keys into the vault.

pub mod event_handler;
