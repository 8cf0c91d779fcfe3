//! The `certport` binary end to end: `serve` over HTTP and HTTPS (both APIs, hostile input,
//! limits, the sweep, OpenAPI conformance, vcert), the client and admin commands against
//! it, and the README's first hour as written. One test binary, a module per area, so
//! they build and link once.
// Test code: a failed step should stop the run that took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod admin;
mod client_cli;
mod readme_first_hour;
mod serve_devices;
mod serve_durability;
mod serve_export;
mod serve_hostile;
mod serve_http;
mod serve_inventory;
mod serve_keystores;
mod serve_limits;
mod serve_openapi;
mod serve_scopes;
mod serve_stale_jobs;
mod serve_upload_urls;
