//! `certport serve` end to end: the real binary over HTTP, with the store stack it runs.
//! `cargo bench -p certport --bench serve [-- speed|large]`
//!
//! - speed (the default): 10,000 certificates (RSA-2048 and P-256 alternating) in a zip
//!   of a PEM file per certificate (the shape the API describes), then the same
//!   certificates 100 to a file; each POSTed and polled to COMPLETED, best of 5 on fresh
//!   data directories; then, in the same run on the same zip, the Python baseline
//!   (`scripts/bench-python-baseline`: `cryptography` + SQLite), best of 5, and the ratio.
//!   Each side's CPU time (every thread) is reported too: the work done, whatever the
//!   overlap; on N cores the wall time cannot go below CPU time / N.
//! - large: a zip just under 1 GiB (about 1.8 million certificates) imported with the
//!   real client (`certport import-certificates --upload url`, which streams it from disk
//!   to an upload URL); the time from its start to COMPLETED, and the peak RSS (`VmHWM`)
//!   of the server (receiving, storing and processing the upload) and of the client.
// Test code: a failed step should stop the run that took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use certport_core::testing::scenarios::{certificate_templates, certificate_zip, write_large_zip};
use certport_tests::peak_rss_kib;
use serde_json::Value;
use support::{start_server_with, Server};

// Shared with the end-to-end tests; the bench uses part of it.
#[allow(dead_code)]
#[path = "../tests/end_to_end/support/mod.rs"]
mod support;

const RUNS: usize = 5;
/// Just under the 1 GiB an upload URL accepts by default (the last file and the central
/// directory add under 1 MiB).
const LARGE_ZIP_BYTES: u64 = (1 << 30) - (2 << 20);

fn main() {
    let what: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    match what.first().map(String::as_str).unwrap_or("speed") {
        "speed" => runtime.block_on(speed()),
        "large" => runtime.block_on(large()),
        other => panic!("unknown benchmark `{other}`: speed or large"),
    }
}

/// Polls the job every 10 ms until it leaves PENDING: the answer is at most 10 ms late,
/// and the polls take little from the import they watch (a job GET cost `serve` 0.2–0.4 ms
/// of CPU on a 2-core machine: every 2 ms, a 400 ms import would lose 40–80 ms of CPU).
async fn completed(server: &Server, client: &reqwest::Client, job: &str) -> Value {
    loop {
        let job: Value = client
            .get(server.url(&format!("/iot/api/v1/certificate-import/job/{job}")))
            .header("x-api-key", &server.api_key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if job["status"] != "PENDING" {
            assert_eq!(job["status"], "COMPLETED", "{job}");
            assert_eq!(job["failed_certificates"], 0, "{job}");
            return job;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn millis(times: &[Duration]) -> String {
    let all: Vec<String> = times
        .iter()
        .map(|t| format!("{:.0}", t.as_secs_f64() * 1e3))
        .collect();
    all.join(", ")
}

async fn speed() {
    eprintln!("speed: making 10,000 certificates from two templates...");
    let templates = certificate_templates();
    // The shape the API describes (a file per certificate) is the headline; the same
    // certificates 100 to a file are the second row.
    for (files, per_file) in [(10_000, 1), (100, 100)] {
        speed_of(&certificate_zip(&templates, files, per_file), per_file).await;
    }
}

/// One zip: serve (best of `RUNS`, each on a fresh data directory) against the Python
/// baseline on the same zip, in the same run.
async fn speed_of(zip: &[u8], per_file: usize) {
    let scratch = tempfile::tempdir().unwrap();
    let zip_path = scratch.path().join("devices.zip");
    std::fs::write(&zip_path, zip).unwrap();
    let client = certport_tests::http_client();
    let (mut ours, mut processing, mut cpu) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let data = tempfile::tempdir().unwrap();
        let (server, _) = start_server_with(data.path(), &[], &[]);
        let profile = server.mapped_pem_profile(&client).await;
        let cpu_before = cpu_time(server.pid());
        let started = Instant::now();
        let response = server
            .upload_zip(&client, &profile, zip.to_vec(), &server.api_key)
            .await;
        assert_eq!(response.status(), 200);
        let job: Value = response.json().await.unwrap();
        let job = completed(&server, &client, job["id"].as_str().unwrap()).await;
        ours.push(started.elapsed());
        cpu.push(cpu_time(server.pid()) - cpu_before);
        assert_eq!(job["total_certificates"], 10_000);
        processing.push(Duration::from_millis(job["processing_time"].as_u64().unwrap()));
    }
    let (baseline, baseline_cpu): (Vec<Duration>, Vec<Duration>) =
        (0..RUNS).map(|_| python_baseline(&zip_path)).unzip();
    let (ours_best, baseline_best) = (ours.iter().min().unwrap(), baseline.iter().min().unwrap());
    let (cpu_best, baseline_cpu_best) = (cpu.iter().min().unwrap(), baseline_cpu.iter().min().unwrap());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "10,000 certificates, {per_file} per file: {} KiB zip",
        zip.len() / 1024
    );
    println!(
        "  serve, POST to COMPLETED: best {:.0} ms, {:.0} certificates/s (runs: {} ms)",
        ours_best.as_secs_f64() * 1e3,
        10_000.0 / ours_best.as_secs_f64(),
        millis(&ours)
    );
    println!(
        "    of which the processor (the job's processing_time): {} ms",
        millis(&processing)
    );
    println!(
        "    server CPU time: best {:.0} ms, {:.1} us a certificate (runs: {} ms); on {cores} cores \
         the wall time cannot go below {:.0} ms",
        cpu_best.as_secs_f64() * 1e3,
        cpu_best.as_secs_f64() * 1e6 / 10_000.0,
        millis(&cpu),
        cpu_best.as_secs_f64() * 1e3 / cores as f64
    );
    println!(
        "  Python cryptography + SQLite baseline, same zip: best {:.0} ms (runs: {} ms), CPU time best {:.0} ms",
        baseline_best.as_secs_f64() * 1e3,
        millis(&baseline),
        baseline_cpu_best.as_secs_f64() * 1e3
    );
    println!(
        "  serve is {:.1}x the baseline's speed, with {:.2}x its CPU time",
        baseline_best.as_secs_f64() / ours_best.as_secs_f64(),
        cpu_best.as_secs_f64() / baseline_cpu_best.as_secs_f64()
    );
}

/// A process's CPU time so far, user and system, every thread (`/proc/<pid>/stat`, in
/// the kernel's clock ticks of 1/100 s, which Linux fixes for user space).
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The command name, in parentheses, may hold spaces: fields are counted after it.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let (user, system): (u64, u64) = (fields[11].parse().unwrap(), fields[12].parse().unwrap());
    Duration::from_millis((user + system) * 10)
}

/// The baseline script's own measurement (parse to commit, interpreter start left out):
/// its wall time and CPU time.
fn python_baseline(zip: &Path) -> (Duration, Duration) {
    let script = certport_tests::fixtures::repo_root().join("scripts/bench-python-baseline");
    let output = Command::new(certport_tests::python::test_python())
        .arg(script)
        .arg(zip)
        .output()
        .expect("run the Python baseline");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "baseline failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (wall, cpu) = stdout
        .trim()
        .strip_prefix("baseline: 10000 certificates in ")
        .and_then(|rest| rest.strip_suffix(" ms CPU"))
        .and_then(|rest| rest.split_once(" ms, "))
        .unwrap_or_else(|| panic!("unexpected baseline output: {stdout}"));
    let ms = |v: &str| Duration::from_secs_f64(v.parse::<f64>().unwrap() / 1e3);
    (ms(wall), ms(cpu))
}

async fn large() {
    let scratch = tempfile::tempdir().unwrap();
    let zip_path = scratch.path().join("large.zip");
    eprintln!("large: writing a zip of about 1 GiB...");
    let started = Instant::now();
    let certificates = write_large_zip(&zip_path, LARGE_ZIP_BYTES);
    let size = std::fs::metadata(&zip_path).unwrap().len();
    eprintln!(
        "large: {certificates} certificates, {size} bytes, made in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let client = certport_tests::http_client();
    let data = scratch.path().join("data");
    let (server, _) = start_server_with(&data, &[], &[]);
    let profile = server.mapped_pem_profile(&client).await;
    eprintln!("large: `certport import-certificates --upload url` uploading, then waiting...");
    let started = Instant::now();
    let (job, client_peak_kib) = import_with_client(&server, &profile, &zip_path);
    let took = started.elapsed();
    assert_eq!(job["status"], "COMPLETED", "{job}");
    assert_eq!(job["total_certificates"], certificates);
    println!("large zip: {size} bytes, {certificates} certificates");
    println!(
        "certport import-certificates, start to COMPLETED: {:.1} s, {:.0} certificates/s",
        took.as_secs_f64(),
        certificates as f64 / took.as_secs_f64()
    );
    println!(
        "serve peak RSS: {} MiB",
        peak_rss_kib(&server.pid().to_string()).unwrap() / 1024
    );
    println!("client peak RSS: {} MiB", client_peak_kib / 1024);
}

/// Imports the zip with the real client, as a user would: its job (JSON) and its peak
/// RSS, read every 50 ms until it exits (the peak only grows, and the last reading is at
/// most 50 ms before the end, when it only waits for the job).
fn import_with_client(server: &Server, profile: &str, zip: &Path) -> (Value, u64) {
    let args = [
        "import-certificates",
        "--profile",
        profile,
        "--upload",
        "url",
        "--output",
        "json",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_certport"))
        .args(args)
        .args(["--wait-seconds", "3600", "--endpoint", &server.base])
        .arg(zip)
        .env("CERTPORT_API_KEY", &server.api_key)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run certport");
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        peak = peak_rss_kib(&child.id().to_string()).unwrap_or(peak).max(peak);
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "certport exited with {}", output.status);
    (serde_json::from_slice(&output.stdout).unwrap(), peak)
}
