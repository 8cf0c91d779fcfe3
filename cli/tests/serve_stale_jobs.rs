//! `certport serve` runs the same sweep as the scheduled function: a job whose upload
//! never arrives ends FAILED once its deadline has passed.
// Test code: a failed step should stop the run that took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::start_server_with;

mod support;

#[tokio::test]
async fn a_job_whose_upload_never_arrives_fails_after_the_deadline() {
    let data_dir = tempfile::tempdir().unwrap();
    let (server, _) = start_server_with(data_dir.path(), &["--job-deadline-secs", "2"], &[]);
    let credentials: Value =
        serde_json::from_slice(&std::fs::read(data_dir.path().join("credentials.json")).unwrap()).unwrap();
    let client = certport_tests::http_client();

    let created: Value = client
        .post(server.url("/outagedetection/v1/certificates/imports/upload-url"))
        .header("tppl-api-key", &server.api_key)
        .json(&json!({
            "edgeInstanceId": credentials["edge_instance_id"],
            "encryptionKeyId": credentials["encryption_key_id"],
            "size": 100
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = format!(
        "/outagedetection/v1/certificates/imports/{}",
        created["id"].as_str().unwrap()
    );
    let read = || async {
        client
            .get(server.url(&path))
            .header("tppl-api-key", &server.api_key)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    assert_eq!(read().await["status"], "PROCESSING");
    // The deadline only guards a hang; the sweep runs every second here.
    let give_up = Instant::now() + Duration::from_secs(60);
    loop {
        let job = read().await;
        if job["status"] == "FAILED" {
            break;
        }
        assert!(Instant::now() < give_up, "still not failed: {job}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
