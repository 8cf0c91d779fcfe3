//! Limits come from the environment, as on Lambda: set low, they are enforced on the
//! running server; set to nonsense, the server refuses to start and names the variable.
// Test code: a failed step should stop the run that took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

use support::start_server_with;

mod support;

#[test]
fn limits_set_in_the_environment_are_enforced() {
    let data_dir = tempfile::tempdir().unwrap();
    let (server, _) = start_server_with(
        data_dir.path(),
        &[],
        &[("CERTPORT_PKCS12_MAX_ITERATIONS", "1000")],
    );
    let credentials: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data_dir.path().join("credentials.json")).unwrap()).unwrap();
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/keystores");
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("password"), "changeit").unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_certport"))
            .args(args)
            .args(["--endpoint", &server.base, "--api-key", &server.api_key])
            .current_dir(work.path())
            .output()
            .unwrap()
    };
    let root = corpus.join("trusted-root.pem");
    assert!(run(&["trusted-ca", "add", root.to_str().unwrap()])
        .status
        .success());
    // OpenSSL 3's default is 2048 iterations: over this server's limit of 1000.
    let keystore = corpus.join("openssl3-default-p256-chain.p12");
    let imported = run(&[
        "import-keystores",
        "--edge-instance",
        credentials["edge_instance_id"].as_str().unwrap(),
        "--password-file",
        "password",
        keystore.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&imported.stdout);
    assert_eq!(imported.status.code(), Some(4), "{stdout}");
    assert!(stdout.contains("TOO_MANY_ITERATIONS"), "{stdout}");
}

#[test]
fn a_nonsense_limit_stops_the_server_with_its_name() {
    let data_dir = tempfile::tempdir().unwrap();
    let output = support::serve_command(data_dir.path())
        .env("CERTPORT_ZIP_MAX_ENTRIES", "lots")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("CERTPORT_ZIP_MAX_ENTRIES"), "{stderr}");
}
