//! Proves the README's cargo-lambda instructions: `cargo lambda watch` serves every
//! function (pointed at moto through `AWS_ENDPOINT_URL`), and every file in `events/`
//! invokes its function with `cargo lambda invoke --data-file`. Run by `scripts/test`
//! after `cargo test` (a running `cargo test` holds the build lock `watch` needs).
// Test code: a failed step should stop the run that took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use certport_tests::fixtures::{self, repo_root};
use certport_tests::moto::Stack;
use serde_json::Value;

struct Watch(Child);

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn invoke(port: u16, function: &str, event: &str) -> Result<Value, String> {
    let output = Command::new("cargo")
        .args([
            "lambda",
            "invoke",
            function,
            "-A",
            "127.0.0.1",
            "-P",
            &port.to_string(),
        ])
        .args(["--output-format", "json", "--data-file"])
        .arg(Path::new("events").join(event))
        .current_dir(repo_root())
        .output()
        .map_err(|e| format!("cannot run cargo lambda: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo lambda invoke {function} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("output of {function} is not JSON: {e}"))
}

/// An HTTP function's response: its status code and JSON body.
fn http_response(value: &Value) -> Result<(u64, Value), String> {
    let status = value["statusCode"]
        .as_u64()
        .ok_or(format!("no statusCode in {value}"))?;
    let body = serde_json::from_str(value["body"].as_str().unwrap_or("null")).map_err(|e| e.to_string())?;
    Ok((status, body))
}

fn expect(condition: bool, what: &str, got: &Value) -> Result<(), String> {
    if condition {
        Ok(())
    } else {
        Err(format!("{what}; got {got}"))
    }
}

type Check = (
    &'static str,
    &'static str,
    &'static str,
    fn(&Value) -> Result<(), String>,
);

const CHECKS: &[Check] = &[
    (
        "enrollment-profiles",
        "enrollment-profile-create.json",
        "creates a profile",
        |v| {
            let (status, body) = http_response(v)?;
            expect(
                status == 201 && body["enrollment_method"] == "CERTIFICATE_IMPORT",
                "201 with the profile",
                v,
            )
        },
    ),
    (
        "enrollment-profiles",
        "enrollment-profile-get.json",
        "reads the seeded profile",
        |v| {
            let (status, body) = http_response(v)?;
            expect(
                status == 200 && body["id"] == fixtures::PROFILE,
                "200 with the fixture profile",
                v,
            )
        },
    ),
    (
        "enrollment-profiles",
        "enrollment-profile-source-fields-mapping.json",
        "maps from a sample",
        |v| {
            let (status, body) = http_response(v)?;
            expect(
                status == 200 && body["mapped_fields"]["device_identifier"] == "fixture-sample",
                "200 with mapped fields",
                v,
            )
        },
    ),
    (
        "certificate-import-upload",
        "certificate-import-upload.json",
        "accepts a zip",
        |v| {
            let (status, body) = http_response(v)?;
            expect(
                status == 200 && body["status"] == "PENDING" && body["total_certificates"] == 1,
                "200 PENDING job",
                v,
            )
        },
    ),
    (
        "certificate-import-upload",
        "certificate-import-upload-url.json",
        "issues an upload URL",
        |v| {
            let (status, body) = http_response(v)?;
            expect(
                status == 200 && body["status"] == "PENDING" && body["upload"]["url"].is_string(),
                "200 PENDING job with an upload URL",
                v,
            )
        },
    ),
    (
        "certificate-import-processor",
        "certificate-import-processor.json",
        "processes the URL-encoded key",
        |v| {
            let outcome = &v["outcomes"][0];
            expect(
                outcome["outcome"] == "COMPLETED"
                    && outcome["key"]
                        .as_str()
                        .is_some_and(|k| k.ends_with(fixtures::UPLOAD_NAME)),
                "COMPLETED for the decoded key",
                v,
            )
        },
    ),
    (
        "certificate-import-processor",
        "certificate-import-shard.json",
        "takes a shard from the shard queue",
        |v| {
            let outcome = &v["outcomes"][0];
            expect(
                outcome["outcome"] == "ALREADY_FINISHED" && outcome["job_id"] == fixtures::JOB,
                "ALREADY_FINISHED: the fixture's job completed in one run",
                v,
            )
        },
    ),
    (
        "certificate-import-status",
        "certificate-import-status.json",
        "reads the finished job",
        |v| {
            let (status, body) = http_response(v)?;
            expect(
                status == 200 && body["status"] == "COMPLETED" && body["result"] == "SUCCESS",
                "200 COMPLETED SUCCESS",
                v,
            )
        },
    ),
    (
        "keystore-admin",
        "edge-instances-list.json",
        "lists the seeded edge instance",
        |v| {
            let (status, body) = http_response(v)?;
            expect(
                status == 200 && body["edgeInstances"][0]["encryptionKeyId"] == fixtures::DEK_ID,
                "200 with the fixture edge instance",
                v,
            )
        },
    ),
    (
        "keystore-admin",
        "edge-encryption-key-get.json",
        "serves the DEK public key",
        |v| {
            let (status, body) = http_response(v)?;
            expect(
                status == 200 && body["keyAlgorithm"] == "ED25519" && body["key"].is_string(),
                "200 with the public key",
                v,
            )
        },
    ),
    (
        "keystore-admin",
        "trusted-ca-add.json",
        "adds a trusted CA",
        |v| {
            let (status, body) = http_response(v)?;
            expect(
                status == 201 && body["fingerprint"].is_string(),
                "201 with the CA",
                v,
            )
        },
    ),
    (
        "keystore-admin",
        "trusted-ca-list.json",
        "lists the trusted CAs",
        |v| {
            let (status, body) = http_response(v)?;
            expect(
                status == 200
                    && body["trustedCaCertificates"]
                        .as_array()
                        .is_some_and(|a| a.len() == 2),
                "200 with the seeded and the added CA",
                v,
            )
        },
    ),
    (
        "keystore-import-upload",
        "keystore-import-upload.json",
        "accepts a sealed batch",
        |v| {
            let (status, body) = http_response(v)?;
            expect(
                status == 201 && body["id"].is_string() && body["creationDate"].is_string(),
                "201 with id and creationDate",
                v,
            )
        },
    ),
    (
        "keystore-import-upload",
        "keystore-import-upload-url.json",
        "issues an upload URL",
        |v| {
            let (status, body) = http_response(v)?;
            expect(
                status == 201 && body["upload"]["url"].is_string(),
                "201 with an upload URL",
                v,
            )
        },
    ),
    (
        "keystore-import-processor",
        "keystore-import-processor.json",
        "imports the seeded batch",
        |v| {
            let outcome = &v["outcomes"][0];
            expect(
                outcome["outcome"] == "COMPLETED" && outcome["failed"] == 0,
                "COMPLETED with no failure",
                v,
            )
        },
    ),
    (
        "inventory-reads",
        "certificate-search.json",
        "finds the imported certificate by fingerprint",
        |v| {
            let (status, body) = http_response(v)?;
            expect(
                status == 200 && body["count"] == 1 && body["certificates"][0]["dekHash"] == fixtures::DEK_ID,
                "200 with one certificate whose key is held",
                v,
            )
        },
    ),
    (
        "inventory-reads",
        "certificate-get.json",
        "reads the imported certificate by id",
        |v| {
            let (status, body) = http_response(v)?;
            expect(
                status == 200 && body["encryptionType"] == "EC" && body["keyCurve"] == "P256",
                "200 with the certificate's details",
                v,
            )
        },
    ),
    (
        "inventory-reads",
        "certificate-request-get.json",
        "answers the imported certificate's request, issued",
        |v| {
            let (status, body) = http_response(v)?;
            expect(
                status == 200
                    && body["status"] == "ISSUED"
                    && body["certificateIds"]
                        .as_array()
                        .is_some_and(|ids| ids.len() == 1),
                "200, ISSUED, naming the certificate",
                v,
            )
        },
    ),
    (
        "inventory-reads",
        "certificate-contents.json",
        "answers the chain as PEM, root first",
        |v| {
            let text = v["body"].as_str().unwrap_or_default();
            expect(
                v["statusCode"] == 200
                    && v["headers"]["content-type"] == "text/plain"
                    && text.matches("-----BEGIN CERTIFICATE-----").count() >= 2,
                "200 text/plain with the chain",
                v,
            )
        },
    ),
    (
        "certificate-export",
        "certificate-export.json",
        "exports the key as a PEM zip",
        |v| {
            let body = v["body"].as_str().unwrap_or_default();
            let zip = base64::engine::general_purpose::STANDARD
                .decode(body)
                .unwrap_or_default();
            expect(
                v["statusCode"] == 200
                    && v["headers"]["content-type"] == "application/octet-stream"
                    && v["isBase64Encoded"] == true
                    && zip.starts_with(b"PK"),
                "200 application/octet-stream with a zip",
                v,
            )
        },
    ),
    (
        "inventory-reads",
        "audit-events-list.json",
        "lists the export just made",
        |v| {
            let (status, body) = http_response(v)?;
            expect(
                status == 200 && body["auditEvents"][0]["format"] == "PEM",
                "200 with the PEM export",
                v,
            )
        },
    ),
    (
        "keystore-import-status",
        "keystore-import-status.json",
        "reads the imported keystore",
        |v| {
            let (status, body) = http_response(v)?;
            expect(
                status == 200 && body["status"] == "COMPLETED" && body["results"][0]["status"] == "IMPORTED",
                "200 COMPLETED with the item IMPORTED",
                v,
            )
        },
    ),
    (
        "processor-failures",
        "processor-failures.json",
        "leaves a finished job alone",
        |v| {
            expect(
                v["outcomes"][0]["outcome"] == "ALREADY_FINISHED",
                "ALREADY_FINISHED for the fixture's completed job",
                v,
            )
        },
    ),
    ("job-sweeper", "job-sweeper.json", "finds nothing stale", |v| {
        expect(
            v["failed_jobs"].as_array().is_some_and(|a| a.is_empty()),
            "no job failed",
            v,
        )
    }),
];

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let stack = Stack::create().await;
    let deps = stack.function_config().deps(&stack.sdk);
    fixtures::seed(&deps).await;
    fixtures::seed_keystores(&deps).await;

    let port = free_port();
    let log_path = repo_root().join(".build/cargo-lambda-watch.log");
    let log = std::fs::File::create(&log_path).expect("create watch log");
    let child = Command::new("cargo")
        .args([
            "lambda",
            "watch",
            "--ignore-changes",
            "-A",
            "127.0.0.1",
            "-P",
            &port.to_string(),
        ])
        .envs(stack.function_environment())
        .current_dir(repo_root())
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .expect("start cargo lambda watch (is cargo-lambda installed? run scripts/test)");
    let _watch = Watch(child);
    let deadline = Instant::now() + Duration::from_secs(300);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            eprintln!("cargo lambda watch did not listen; see {}", log_path.display());
            return std::process::ExitCode::FAILURE;
        }
        std::thread::sleep(Duration::from_millis(200));
    }

    let (mut passed, mut failed) = (0, 0);
    for (function, event, what, check) in CHECKS {
        match invoke(port, function, event).and_then(|value| check(&value)) {
            Ok(()) => {
                passed += 1;
                println!("ok   {function} --data-file events/{event}: {what}");
            }
            Err(e) => {
                failed += 1;
                println!("FAIL {function} --data-file events/{event}: {what}: {e}");
            }
        }
    }
    println!("cargo-lambda: {passed} passed, {failed} failed");
    if failed == 0 {
        std::process::ExitCode::SUCCESS
    } else {
        eprintln!("watch log: {}", log_path.display());
        std::process::ExitCode::FAILURE
    }
}
