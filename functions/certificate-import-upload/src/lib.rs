//! POST /iot/api/v1/certificate-import/{enrollment_profile_id}: stores the zip and the PENDING job.

pub mod http_handler;
