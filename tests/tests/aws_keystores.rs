//! Keystore import on the AWS adapters over the wire (moto): DEK wrapped by KMS,
//! the batch in S3, results in DynamoDB, the private key envelope-encrypted with a KMS data key.
// Test code: a failed step should stop the run that took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bytes::Bytes;
use certport_core::app::{
    create_edge_instance, create_tenant_with_key, keystore_import_key, private_key_aad, private_key_context,
    process_keystore_import, Deps, ProcessOutcome,
};
use certport_core::crypto::{open_envelope, seal_to, Envelope};
use certport_core::http::handle;
use certport_core::parsing::keystore::PrivateKey;
use certport_tests::fixtures::repo_root;
use certport_tests::moto::Stack;
use serde_json::{json, Value};

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(repo_root().join("tests/fixtures/keystores").join(name)).unwrap()
}

async fn call(deps: &Deps, api_key: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("tppl-api-key", api_key)
        .header("content-type", "application/json")
        .body(body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string())))
        .unwrap();
    let response = handle(deps, |_| true, request, None).await;
    let status = response.status().as_u16();
    (
        status,
        serde_json::from_slice(response.body()).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn keystore_import_runs_on_s3_dynamodb_and_kms() {
    let stack = Stack::create().await;
    let deps = stack.function_config().deps(&stack.sdk);
    let created = create_tenant_with_key(deps.tenants.as_ref(), "aws keystores")
        .await
        .unwrap();
    let (tenant_id, api_key) = (created.tenant.id.clone(), created.api_key.expose().to_string());
    let (edge, dek) = create_edge_instance(deps.tenants.as_ref(), deps.keys.dek.as_ref(), &tenant_id, "edge")
        .await
        .unwrap();

    let (status, ca) = call(
        &deps,
        &api_key,
        "POST",
        "/v1/trustedcacertificates",
        Some(json!({"certificate": String::from_utf8(corpus("trusted-root.pem")).unwrap()})),
    )
    .await;
    assert_eq!(status, 201, "{ca}");

    let public: [u8; 32] = B64.decode(&dek.public_key).unwrap().try_into().unwrap();
    let right = B64.encode(seal_to(&public, b"changeit"));
    let wrong = B64.encode(seal_to(&public, b"not-it"));
    let p12 = B64.encode(corpus("openssl3-default-p384-chain.p12"));
    let batch = json!({
        "edgeInstanceId": edge.id,
        "encryptionKeyId": dek.id,
        "importInformation": [
            {"pkcs12Keystore": p12, "dekEncryptedPassword": right},
            {"pkcs12Keystore": p12, "dekEncryptedPassword": wrong},
        ]
    });
    let (status, job) = call(
        &deps,
        &api_key,
        "POST",
        "/outagedetection/v1/certificates/imports",
        Some(batch),
    )
    .await;
    assert_eq!(status, 201, "{job}");
    let job_id = job["id"].as_str().unwrap().to_string();
    let status_path = format!("/outagedetection/v1/certificates/imports/{job_id}");
    let (_, pending) = call(&deps, &api_key, "GET", &status_path, None).await;
    assert_eq!(pending["status"], "PROCESSING");
    assert_eq!(pending["results"].as_array().unwrap().len(), 2);
    assert_eq!(pending["results"][1]["status"], "PROCESSING");

    let key = keystore_import_key(&tenant_id, &job_id);
    let outcome = process_keystore_import(&deps, &key).await.unwrap();
    assert!(
        matches!(
            outcome,
            ProcessOutcome::Completed {
                total: 2,
                failed: 1,
                ..
            }
        ),
        "{outcome:?}"
    );
    let (_, done) = call(&deps, &api_key, "GET", &status_path, None).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(done["results"][0]["status"], "IMPORTED", "{done}");
    assert_eq!(done["results"][1]["reasonCode"], "WRONG_PASSWORD", "{done}");

    // Re-delivery changes nothing.
    let again = process_keystore_import(&deps, &key).await.unwrap();
    assert!(matches!(again, ProcessOutcome::AlreadyFinished { .. }));
    assert_eq!(call(&deps, &api_key, "GET", &status_path, None).await.1, done);

    // The stored key opens only through KMS with its context, and is the certificate's key.
    let leaf = B64
        .decode(done["results"][0]["certificateBytes"].as_str().unwrap())
        .unwrap();
    let fingerprint = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&leaf))
    };
    let record = deps
        .inventory
        .get_stored_key(&tenant_id, &fingerprint)
        .await
        .unwrap()
        .unwrap();
    let stored = deps
        .objects
        .get(&record.private_key_object)
        .await
        .unwrap()
        .unwrap();
    let envelope: Envelope = serde_json::from_slice(&stored).unwrap();
    let data_key = deps
        .keys
        .data
        .decrypt(
            &envelope.wrapped_data_key().unwrap(),
            &private_key_context(&tenant_id, &fingerprint),
        )
        .await
        .unwrap();
    let pkcs8 = open_envelope(
        &data_key,
        &envelope,
        private_key_aad(&tenant_id, &fingerprint).as_bytes(),
    )
    .unwrap();
    let secrets: Vec<Vec<u8>> = vec![
        pkcs8.to_vec(),
        B64.encode(&pkcs8).into_bytes(),
        b"changeit".to_vec(),
        b"PRIVATE KEY".to_vec(),
    ];
    assert!(PrivateKey::from_pkcs8(pkcs8).unwrap().matches(&leaf));

    // At rest, nowhere in the bucket or the table: the key (DER or base64), or the password.
    let mut stored: Vec<(String, Vec<u8>)> = Vec::new();
    let listed = stack
        .s3()
        .list_objects_v2()
        .bucket(&stack.bucket)
        .send()
        .await
        .unwrap();
    for object in listed.contents.unwrap_or_default() {
        let key = object.key.unwrap();
        let body = stack
            .s3()
            .get_object()
            .bucket(&stack.bucket)
            .key(&key)
            .send()
            .await
            .unwrap();
        stored.push((key, body.body.collect().await.unwrap().into_bytes().to_vec()));
    }
    let scanned = aws_sdk_dynamodb::Client::new(&stack.sdk)
        .scan()
        .table_name(&stack.table)
        .send()
        .await
        .unwrap();
    for item in scanned.items.unwrap_or_default() {
        stored.push((format!("{:?}", item.get("pk")), format!("{item:?}").into_bytes()));
    }
    assert!(stored.len() > 5, "objects and items were read");
    for (place, bytes) in &stored {
        for secret in &secrets {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_slice()),
                "{place} holds a secret in the clear"
            );
        }
    }
    assert!(deps
        .keys
        .data
        .decrypt(
            &envelope.wrapped_data_key().unwrap(),
            &private_key_context("other-tenant", &fingerprint)
        )
        .await
        .is_err());
}
