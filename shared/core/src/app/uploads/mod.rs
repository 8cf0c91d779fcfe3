//! Stored uploads: the processor each key prefix starts (as S3 notifies it), and upload
//! URLs for files too large for a request body.

pub(crate) mod processor;
pub(crate) mod urls;
