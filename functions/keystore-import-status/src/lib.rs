//! GET /outagedetection/v1/certificates/imports/{id}: the job and one result per submitted item.

pub mod http_handler;
