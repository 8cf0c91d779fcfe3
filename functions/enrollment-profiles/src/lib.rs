//! Enrollment profiles and their source fields mapping (POST/GET /iot/api/v1/enrollment-profile...).

pub mod http_handler;
