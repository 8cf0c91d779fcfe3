//! GET /iot/api/v1/certificate-import/job/{job_id}: the job and its per-certificate failures.

pub mod http_handler;
