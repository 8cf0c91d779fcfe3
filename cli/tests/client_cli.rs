//! The client commands end to end: the real `certport` binary against a real
//! `certport serve`, their tables, JSON and exit statuses.
// Test code: a failed step should stop the run that took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use certport_core::testing::certs::{self_signed, KeyType};
use serde_json::Value;
use support::{start_server, Server};

mod support;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Asserts the exit status and a piece of the printed output.
    fn expect(&self, code: i32, says: &str) -> &Run {
        assert_eq!(self.code, code, "{}{}", self.stdout, self.stderr);
        assert!(
            self.stdout.contains(says),
            "expected {says:?} in:\n{}",
            self.stdout
        );
        self
    }

    /// The job id of a table report (`job <id>: ...`).
    fn job_id(&self) -> String {
        let line = self
            .stdout
            .lines()
            .find(|l| l.starts_with("job "))
            .expect("a job line");
        line.split_whitespace()
            .nth(1)
            .unwrap()
            .trim_end_matches(':')
            .to_string()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

fn certport(server: &Server, cwd: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_certport"))
        .args(args)
        .args(["--endpoint", &server.base])
        .env("CERTPORT_API_KEY", &server.api_key)
        .current_dir(cwd)
        .output()
        .expect("run certport");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn corpus(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/keystores")
        .join(name)
}

#[test]
fn certificates_from_files_directories_and_both_formats() {
    let data_dir = tempfile::tempdir().unwrap();
    let (server, _) = start_server(data_dir.path());
    let work = tempfile::tempdir().unwrap();
    let w = work.path();

    let created = certport(
        &server,
        w,
        &["profiles", "create", "--name", "meters", "--output", "json"],
    );
    assert_eq!(created.code, 0, "{}", created.stderr);
    let profile = created.json()["id"].as_str().unwrap().to_string();

    // Not mapped yet: the command says what to do.
    std::fs::write(
        w.join("one.pem"),
        self_signed(KeyType::EcP256, "/CN=m-0", None).pem,
    )
    .unwrap();
    let early = certport(
        &server,
        w,
        &["import-certificates", "--profile", &profile, "one.pem"],
    );
    assert_eq!(early.code, 1);
    assert!(early.stderr.contains("certport profiles map"), "{}", early.stderr);

    std::fs::write(
        w.join("sample.pem"),
        self_signed(KeyType::EcP256, "/CN=sample-1/L=Oslo", None).pem,
    )
    .unwrap();
    let mapped = certport(
        &server,
        w,
        &[
            "profiles",
            "map",
            &profile,
            "--sample",
            "sample.pem",
            "--map",
            "device_identifier=subject.common_name",
            "--map",
            "site=subject.locality",
        ],
    );
    assert_eq!(mapped.code, 0, "{}", mapped.stderr);
    assert!(
        mapped.stdout.contains("sample device_identifier  sample-1"),
        "{}",
        mapped.stdout
    );
    assert!(mapped.stdout.contains("PEM"), "{}", mapped.stdout);

    // A directory: a bundle, a .crt, and a broken file; one failure among four.
    let certs = w.join("certs/nested");
    std::fs::create_dir_all(&certs).unwrap();
    let bundle = format!(
        "{}{}",
        self_signed(KeyType::EcP256, "/CN=m-1/L=Oslo", None).pem,
        self_signed(KeyType::Rsa2048, "/CN=m-2/L=Bergen", None).pem
    );
    std::fs::write(w.join("certs/bundle.pem"), bundle).unwrap();
    std::fs::write(
        certs.join("m-3.crt"),
        self_signed(KeyType::Ed25519, "/CN=m-3", None).pem,
    )
    .unwrap();
    std::fs::write(
        w.join("certs/bad.pem"),
        "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    std::fs::write(w.join("certs/notes.txt"), "ignored").unwrap();
    let partial = certport(
        &server,
        w,
        &["import-certificates", "--profile", &profile, "certs"],
    );
    partial.expect(3, "COMPLETED PARTIAL_SUCCESS — 4 certificates, 1 failed");
    assert!(
        partial.stdout.contains("bad.pem") && partial.stdout.contains("MALFORMED_CERTIFICATE"),
        "{}",
        partial.stdout
    );
    let job_id = partial.job_id();

    // Again, as JSON: already imported is not a failure for the exit status.
    let again = certport(
        &server,
        w,
        &[
            "import-certificates",
            "--profile",
            &profile,
            "certs/bundle.pem",
            "certs/nested",
            "--output",
            "json",
        ],
    );
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    let job = again.json();
    assert_eq!(
        (
            job["total_certificates"].as_u64(),
            job["failed_certificates"].as_u64()
        ),
        (Some(3), Some(3))
    );
    assert!(job["status_message"].as_str().unwrap().contains("DUPLICATE"));

    let read = certport(&server, w, &["jobs", "get", &job_id, "--output", "json"]);
    assert_eq!(read.code, 3);
    assert_eq!(read.json()["id"], job_id.as_str());

    // An XML profile: the command builds the XML document from PEM files.
    let xml_profile = certport(
        &server,
        w,
        &["profiles", "create", "--name", "xml meters", "--output", "json"],
    )
    .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let sample = self_signed(KeyType::EcP256, "/CN=x-sample", None);
    let b64: String = sample.pem.lines().filter(|l| !l.starts_with("-----")).collect();
    std::fs::write(
        w.join("sample.xml"),
        format!("<certificates><certificate><pem>{b64}</pem></certificate></certificates>"),
    )
    .unwrap();
    let mapped = certport(
        &server,
        w,
        &[
            "profiles",
            "map",
            &xml_profile,
            "--sample",
            "sample.xml",
            "--map",
            "device_identifier=subject.common_name",
        ],
    );
    assert_eq!(mapped.code, 0, "{}", mapped.stderr);
    std::fs::write(
        w.join("x.pem"),
        format!(
            "{}{}",
            self_signed(KeyType::EcP384, "/CN=x-1", None).pem,
            self_signed(KeyType::EcP256, "/CN=x-2", None).pem
        ),
    )
    .unwrap();
    let xml = certport(
        &server,
        w,
        &["import-certificates", "--profile", &xml_profile, "x.pem"],
    );
    xml.expect(0, "COMPLETED SUCCESS — 2 certificates, 0 failed");

    // Larger than a request body may be (6 MB): the command goes through an upload URL.
    // Random text around the PEM block keeps the zip from compressing below that.
    let mut noise = vec![0u8; 7 * 1024 * 1024];
    rand_bytes(&mut noise);
    let noise: String = noise
        .chunks(48)
        .map(|chunk| format!("{}\n", hex_encode(chunk)))
        .collect();
    std::fs::write(
        w.join("big.pem"),
        format!("{noise}{}", self_signed(KeyType::EcP256, "/CN=m-big", None).pem),
    )
    .unwrap();
    let big = certport(
        &server,
        w,
        &["import-certificates", "--profile", &profile, "big.pem"],
    );
    big.expect(0, "COMPLETED SUCCESS — 1 certificate, 0 failed");
    let job_id = big.job_id();
    let job = certport(&server, w, &["jobs", "get", &job_id, "--output", "json"]).json();
    assert!(job["original_size"].as_u64().unwrap() > 6 * 1024 * 1024, "{job}");

    // A wrong key is refused with the service's message.
    let refused = Command::new(env!("CARGO_BIN_EXE_certport"))
        .args([
            "profiles",
            "get",
            &profile,
            "--endpoint",
            &server.base,
            "--api-key",
            "cpk_wrong",
        ])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("answered 401"));
}

#[test]
fn keystores_sealed_locally_in_batches_with_a_table_per_item() {
    let data_dir = tempfile::tempdir().unwrap();
    let (server, _) = start_server(data_dir.path());
    let credentials: Value =
        serde_json::from_slice(&std::fs::read(data_dir.path().join("credentials.json")).unwrap()).unwrap();
    let edge = credentials["edge_instance_id"].as_str().unwrap();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();

    let root = corpus("trusted-root.pem");
    let added = certport(&server, w, &["trusted-ca", "add", root.to_str().unwrap()]);
    assert_eq!(added.code, 0, "{}", added.stderr);
    assert!(added.stdout.contains("certport test root"), "{}", added.stdout);
    let listed = certport(&server, w, &["trusted-ca", "list", "--output", "json"]);
    assert_eq!(
        listed.json()["trustedCaCertificates"].as_array().unwrap().len(),
        1
    );

    std::fs::write(w.join("password"), "changeit\n").unwrap();
    let good = corpus("openssl3-default-p256-chain.p12");
    let mismatch = corpus("cryptography-mismatch-p256.p12");
    let other_password = corpus("openssl3-nonascii-p256-chain.p12");
    let run = certport(
        &server,
        w,
        &[
            "import-keystores",
            "--edge-instance",
            edge,
            "--password-file",
            "password",
            good.to_str().unwrap(),
            mismatch.to_str().unwrap(),
            other_password.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    let rows: Vec<&str> = run.stdout.lines().filter(|l| l.contains(".p12")).collect();
    assert_eq!(rows.len(), 3, "{}", run.stdout);
    assert!(
        rows[0].contains("openssl3-default-p256-chain.p12") && rows[0].contains("IMPORTED"),
        "{}",
        run.stdout
    );
    assert!(rows[1].contains("KEY_MISMATCH"), "{}", run.stdout);
    assert!(rows[2].contains("WRONG_PASSWORD"), "{}", run.stdout);
    let job_id = run.job_id();

    // 101 files: two batches (API B takes at most 100); all already present, so exit 0.
    let many: Vec<String> = (0..101)
        .map(|i| {
            let path = w.join(format!("copy-{i}.p12"));
            std::fs::copy(&good, &path).unwrap();
            path.to_string_lossy().into_owned()
        })
        .collect();
    let mut args = vec![
        "import-keystores",
        "--edge-instance",
        edge,
        "--password-file",
        "password",
        "--output",
        "json",
    ];
    args.extend(many.iter().map(String::as_str));
    let batched = certport(&server, w, &args);
    assert_eq!(batched.code, 0, "{}", batched.stderr);
    let jobs = batched.json();
    let jobs = jobs.as_array().unwrap();
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0]["results"].as_array().unwrap().len(), 100);
    assert_eq!(jobs[1]["results"][0]["status"], "SKIPPED");

    // Through an upload URL on request.
    let via_url = certport(
        &server,
        w,
        &[
            "import-keystores",
            "--edge-instance",
            edge,
            "--password-file",
            "password",
            "--upload",
            "url",
            good.to_str().unwrap(),
        ],
    );
    assert_eq!(via_url.code, 0, "{}{}", via_url.stdout, via_url.stderr);
    assert!(via_url.stdout.contains("SKIPPED"), "{}", via_url.stdout);

    // `jobs get` finds keystore jobs too.
    let read = certport(&server, w, &["jobs", "get", &job_id]);
    assert_eq!(read.code, 3, "{}", read.stderr);
    assert!(
        read.stdout.contains("item 2") && read.stdout.contains("KEY_MISMATCH"),
        "{}",
        read.stdout
    );

    let unknown = certport(
        &server,
        w,
        &[
            "import-keystores",
            "--edge-instance",
            "nope",
            "--password-file",
            "password",
            good.to_str().unwrap(),
        ],
    );
    assert_eq!(unknown.code, 1);
    assert!(
        unknown.stderr.contains(edge),
        "names the edge instances there are: {}",
        unknown.stderr
    );
}

fn rand_bytes(buf: &mut [u8]) {
    // xorshift: incompressible enough for deflate, no extra dependency.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for b in buf {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
