//! `certport serve` runs the same sweep as the scheduled function: a job whose upload
//! never arrives ends FAILED once its deadline has passed.

use std::time::{Duration, Instant};

use crate::support::start_server_with;
use serde_json::{json, Value};

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

/// A job whose upload was stored but not processed when `serve` stopped (here: put in
/// place while it was down, as a crash after the store would leave it) finishes once it
/// starts again.
#[tokio::test]
async fn a_job_left_open_with_its_upload_stored_finishes_after_a_restart() {
    use certport_core::ports::{JobStore, ObjectStore};
    use certport_embedded::{FsObjectStore, SqliteStore};

    let data_dir = tempfile::tempdir().unwrap();
    let client = certport_tests::http_client();
    let (server, _) = crate::support::start_server(data_dir.path());
    let profile = server.mapped_pem_profile(&client).await;
    let pems: String = ["/CN=resumed-1", "/CN=resumed-2"]
        .iter()
        .map(|cn| {
            certport_core::testing::certs::self_signed(
                certport_core::testing::certs::KeyType::EcP256,
                cn,
                None,
            )
            .pem
        })
        .collect();
    let zip = certport_core::testing::zip_of(&[("devices.pem", pems.as_bytes())]);
    let created = server
        .upload_url(&client, &profile, "devices.zip", zip.len() as u64)
        .await;
    let job_id = created["id"].as_str().unwrap().to_string();
    drop(server);

    let credentials: Value =
        serde_json::from_slice(&std::fs::read(data_dir.path().join("credentials.json")).unwrap()).unwrap();
    let tenant = credentials["tenant_id"].as_str().unwrap();
    let store = SqliteStore::open(&data_dir.path().join("records.db")).unwrap();
    let job = store.get_job(tenant, &job_id).await.unwrap().unwrap();
    let objects = FsObjectStore::open(data_dir.path().join("objects")).unwrap();
    objects.put(&job.object_key, zip.into()).await.unwrap();
    drop((store, objects));

    let (server, _) = crate::support::start_server(data_dir.path());
    let job = server.finished_job(&client, &job_id).await;
    assert_eq!(
        (job["status"].as_str(), job["total_certificates"].as_u64()),
        (Some("COMPLETED"), Some(2)),
        "{job}"
    );
}
