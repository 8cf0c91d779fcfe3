//! Support for certport's end-to-end tests: moto server stacks, `events/` fixtures,
//! and the fixture tenant those fixtures name.
// Test code: a failed step should stop the run that took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod aws_limits;
pub mod embedded;
pub mod fixtures;
pub mod flaky_aws;
pub mod hostile_keystores;
pub mod moto;
pub mod python;

/// An HTTP client for tests. The workspace's reqwest has TLS on rustls without a built-in
/// provider (the `certport` client uses aws-lc-rs, as the AWS SDK does), so building any
/// reqwest client needs a process-wide provider first.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::new()
}

/// A process's peak resident memory so far (`VmHWM`, Linux), in KiB: `pid` is a process
/// id, or `"self"`.
pub fn peak_rss_kib(pid: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
