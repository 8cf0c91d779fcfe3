//! POST /outagedetection/v1/certificates/imports: stores the sealed batch and the PROCESSING job.

pub mod http_handler;
