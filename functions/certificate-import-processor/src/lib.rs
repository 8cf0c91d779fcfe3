//! Processes stored certificate-import uploads on S3 ObjectCreated events.

pub mod event_handler;
