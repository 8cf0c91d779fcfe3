//! Limits come from the environment, as on Lambda: set low, they are enforced on the
//! running server; set to nonsense, the server refuses to start and names the variable.
//! A tenant at its quota of unfinished work is told when to come back.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{start_server_with, Server};
use certport_core::testing::certs::{self_signed, KeyType};
use serde_json::{json, Value};

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
    let output = crate::support::serve_command(data_dir.path())
        .env("CERTPORT_ZIP_MAX_ENTRIES", "lots")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("CERTPORT_ZIP_MAX_ENTRIES"), "{stderr}");
}

const KEYSTORE_IMPORTS: &str = "/outagedetection/v1/certificates/imports";

/// A refusal for being at the quota: `Retry-After` and the body in the API's error shape.
async fn told_to_retry(response: reqwest::Response) -> Value {
    let (status, retry_after) = (response.status(), response.headers().get("retry-after").cloned());
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 429, "{body}");
    assert_eq!(retry_after.unwrap(), "10");
    body
}

/// Polls a keystore job until it leaves PROCESSING; the deadline only guards a hang.
async fn finished_keystore_job(server: &Server, client: &reqwest::Client, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    let path = format!("{KEYSTORE_IMPORTS}/{id}");
    while server.call(client, reqwest::Method::GET, &path, None).await.1["status"] == "PROCESSING" {
        assert!(Instant::now() < deadline, "keystore job {id} still processing");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_tenant_at_its_quota_is_told_to_retry_after_in_each_apis_shape() {
    let data_dir = tempfile::tempdir().unwrap();
    let quota = [
        ("CERTPORT_MAX_OPEN_JOBS", "2"),
        ("CERTPORT_MAX_KEYSTORE_ITEMS_IN_FLIGHT", "100"),
    ];
    let (server, _) = start_server_with(data_dir.path(), &[], &quota);
    let credentials: Value =
        serde_json::from_slice(&std::fs::read(data_dir.path().join("credentials.json")).unwrap()).unwrap();
    let client = certport_tests::http_client();
    let (edge, key) = (
        &credentials["edge_instance_id"],
        &credentials["encryption_key_id"],
    );
    let item = json!({"pkcs12Keystore": "AAEC", "dekEncryptedPassword": "AAEC"});
    let batch = json!({"edgeInstanceId": edge, "encryptionKeyId": key, "importInformation": [item]});
    let batch_bytes = serde_json::to_vec(&batch).unwrap();

    // A batch coming through an upload URL holds a whole batch's items until it arrives.
    let (status, pending) = server
        .call(
            &client,
            reqwest::Method::POST,
            &format!("{KEYSTORE_IMPORTS}/upload-url"),
            Some(json!({"edgeInstanceId": edge, "encryptionKeyId": key, "size": batch_bytes.len()})),
        )
        .await;
    assert_eq!(status, 201, "{pending}");
    let send = || {
        client
            .post(server.url(KEYSTORE_IMPORTS))
            .header("tppl-api-key", &server.api_key)
            .json(&batch)
            .send()
    };
    let refused = told_to_retry(send().await.unwrap()).await;
    assert_eq!(refused["errors"][0]["code"], 10429, "{refused}");

    // A certificate upload URL's job takes the last open place; an upload is then refused.
    let profile = server.mapped_pem_profile(&client).await;
    let waiting = server.upload_url(&client, &profile, "later.zip", 100).await;
    assert!(waiting["id"].is_string(), "{waiting}");
    let device = self_signed(KeyType::EcP256, "/CN=meter-a", None).pem;
    let zip = certport_core::testing::zip_of(&[("a.pem", device.as_bytes())]);
    let refused = told_to_retry(server.upload_zip(&client, &profile, zip, &server.api_key).await).await;
    assert_eq!(refused["errors"][0]["code"], "too_many_requests", "{refused}");

    // Once the batch has arrived and its job has ended, there is room again.
    let put = client
        .put(pending["upload"]["url"].as_str().unwrap())
        .header("content-type", "application/json")
        .header("if-none-match", "*")
        .body(batch_bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    finished_keystore_job(&server, &client, pending["id"].as_str().unwrap()).await;
    assert_eq!(send().await.unwrap().status(), 201);
}
