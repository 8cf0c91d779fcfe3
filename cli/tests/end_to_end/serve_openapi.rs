//! `openapi.yaml` is the contract of the running server: `certport serve` serves it, and
//! schemathesis (generated valid and invalid requests on every route, stateful sequences
//! through the document's links) finds no undocumented status, content type, header or
//! body, and never a 5xx.

use std::process::Command;

use crate::support::start_server;
use certport_tests::python::test_python;

#[tokio::test]
async fn the_running_server_conforms_to_its_openapi_document() {
    let data_dir = tempfile::tempdir().unwrap();
    let (server, _) = start_server(data_dir.path());

    let response = certport_tests::http_client()
        .get(server.url("/openapi.yaml"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/yaml");
    let served = response.text().await.unwrap();
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml")).unwrap();
    assert_eq!(served, checked_in);

    // Schemathesis keeps its example database in the working directory: a scratch one.
    let scratch = tempfile::tempdir().unwrap();
    let output = Command::new(test_python())
        .args(["-m", "schemathesis.cli", "run"])
        .arg(server.url("/openapi.yaml"))
        .args(["--url", &server.base])
        .args(["-H", &format!("x-api-key: {}", server.api_key)])
        // Every check but one: "schema-valid data must be accepted" cannot hold where
        // validity is semantic (a PEM that parses, a sealed box that opens, a profile that
        // has its mapping); those requests answer a documented 400 instead.
        .args(["--checks", "all", "--exclude-checks", "positive_data_acceptance"])
        .args(["--max-examples", "60", "--seed", "20261122", "--no-color"])
        .args(["--request-timeout", "30"])
        .current_dir(scratch.path())
        .output()
        .expect("run schemathesis from the test virtualenv (scripts/test installs it)");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Operations' own ids (six spaces in); links name operations further in.
    let operations = checked_in
        .lines()
        .filter(|l| l.starts_with("      operationId:"))
        .count();
    assert!(
        report.contains(&format!("Tested: {operations}")),
        "all {operations} operations were tested:\n{report}"
    );
}
