//! Keystore import on the AWS adapters over the wire (moto): DEK wrapped by KMS,
//! the batch in S3, results in DynamoDB, the private key envelope-encrypted with a KMS data key.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bytes::Bytes;
use certport_core::app::{
    create_edge_instance, create_tenant_with_key, keystore_import_key, private_key_aad, private_key_context,
    process_keystore_import, Deps, ProcessOutcome,
};
use certport_core::crypto::{open_envelope, seal_to, Envelope};
use certport_core::http::router;
use certport_core::parsing::keystore::PrivateKey;
use certport_tests::fixtures::repo_root;
use certport_tests::moto::Stack;
use serde_json::{json, Value};
use tower::ServiceExt;

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(repo_root().join("tests/fixtures/keystores").join(name)).unwrap()
}

async fn call(deps: &Deps, api_key: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("tppl-api-key", api_key)
        .header("content-type", "application/json")
        .body(axum::body::Body::from(
            body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string())),
        ))
        .unwrap();
    let response = router(deps.clone(), |_| true).oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// A tenant on a fresh moto stack with an edge instance (DEK wrapped by KMS) and the
/// corpus root trusted, and a batch of the same P-384 keystore with the right and a
/// wrong password uploaded: still PROCESSING.
struct Imported {
    stack: Stack,
    deps: Deps,
    tenant_id: String,
    api_key: String,
    job_id: String,
}

impl Imported {
    async fn uploaded() -> Imported {
        let stack = Stack::create().await;
        let deps = stack.function_config().deps(&stack.sdk);
        let created = create_tenant_with_key(deps.tenants.as_ref(), "aws keystores")
            .await
            .unwrap();
        let (tenant_id, api_key) = (created.tenant.id.clone(), created.api_key.expose().to_string());
        let tenants = deps.tenants.as_ref();
        let (edge, dek) = create_edge_instance(tenants, deps.keys.dek.as_ref(), &tenant_id, "edge")
            .await
            .unwrap();
        let root = json!({"certificate": String::from_utf8(corpus("trusted-root.pem")).unwrap()});
        let (status, ca) = call(&deps, &api_key, "POST", "/v1/trustedcacertificates", Some(root)).await;
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
        let imports = "/outagedetection/v1/certificates/imports";
        let (status, job) = call(&deps, &api_key, "POST", imports, Some(batch)).await;
        assert_eq!(status, 201, "{job}");
        let job_id = job["id"].as_str().unwrap().to_string();
        Imported {
            stack,
            deps,
            tenant_id,
            api_key,
            job_id,
        }
    }

    async fn processed() -> Imported {
        let imported = Imported::uploaded().await;
        let outcome = process_keystore_import(&imported.deps, &imported.object_key())
            .await
            .unwrap();
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
        imported
    }

    fn object_key(&self) -> String {
        keystore_import_key(&self.tenant_id, &self.job_id)
    }

    async fn status(&self) -> Value {
        let path = format!("/outagedetection/v1/certificates/imports/{}", self.job_id);
        call(&self.deps, &self.api_key, "GET", &path, None).await.1
    }

    /// The imported leaf, and its SHA-256 (the inventory's key).
    async fn leaf(&self) -> (Vec<u8>, String) {
        let done = self.status().await;
        let leaf = B64
            .decode(done["results"][0]["certificateBytes"].as_str().unwrap())
            .unwrap();
        let fingerprint = {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(&leaf))
        };
        (leaf, fingerprint)
    }

    /// The stored envelope of the imported private key.
    async fn envelope(&self, fingerprint: &str) -> Envelope {
        let record = self
            .deps
            .inventory
            .get_stored_key(&self.tenant_id, fingerprint)
            .await
            .unwrap()
            .unwrap();
        let stored = self
            .deps
            .objects
            .get(&record.private_key_object)
            .await
            .unwrap()
            .unwrap();
        serde_json::from_slice(&stored).unwrap()
    }
}

#[tokio::test]
async fn an_uploaded_batch_reads_processing_with_one_result_per_item() {
    let imported = Imported::uploaded().await;
    let pending = imported.status().await;
    assert_eq!(pending["status"], "PROCESSING");
    assert_eq!(pending["results"].as_array().unwrap().len(), 2);
    assert_eq!(pending["results"][1]["status"], "PROCESSING");
}

#[tokio::test]
async fn the_processor_imports_each_item_or_says_why_not_and_once_only() {
    let imported = Imported::processed().await;
    let done = imported.status().await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(done["results"][0]["status"], "IMPORTED", "{done}");
    assert_eq!(done["results"][1]["reasonCode"], "WRONG_PASSWORD", "{done}");
    // Re-delivery changes nothing.
    let again = process_keystore_import(&imported.deps, &imported.object_key())
        .await
        .unwrap();
    assert!(matches!(again, ProcessOutcome::AlreadyFinished { .. }));
    assert_eq!(imported.status().await, done);
}

#[tokio::test]
async fn the_stored_key_opens_through_kms_only_with_its_context_and_is_the_certificates() {
    let imported = Imported::processed().await;
    let (tenant_id, keys) = (&imported.tenant_id, &imported.deps.keys);
    let (leaf, fingerprint) = imported.leaf().await;
    let envelope = imported.envelope(&fingerprint).await;
    let wrapped = envelope.wrapped_data_key().unwrap();
    let data_key = keys
        .data
        .decrypt(&wrapped, &private_key_context(tenant_id, &fingerprint))
        .await
        .unwrap();
    let aad = private_key_aad(tenant_id, &fingerprint);
    let pkcs8 = open_envelope(&data_key, &envelope, aad.as_bytes()).unwrap();
    assert!(PrivateKey::from_pkcs8(pkcs8).unwrap().matches(&leaf));
    let elsewhere = private_key_context("other-tenant", &fingerprint);
    assert!(keys.data.decrypt(&wrapped, &elsewhere).await.is_err());
}

/// Every object in the bucket and every item in the table, each with where it is.
async fn everything_stored(stack: &Stack) -> Vec<(String, Vec<u8>)> {
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
    let dynamodb = aws_sdk_dynamodb::Client::new(&stack.sdk);
    let scanned = dynamodb.scan().table_name(&stack.table).send().await.unwrap();
    for item in scanned.items.unwrap_or_default() {
        stored.push((format!("{:?}", item.get("pk")), format!("{item:?}").into_bytes()));
    }
    stored
}

#[tokio::test]
async fn neither_the_key_nor_the_password_is_in_the_clear_in_s3_or_dynamodb() {
    let imported = Imported::processed().await;
    let (tenant_id, keys) = (&imported.tenant_id, &imported.deps.keys);
    let (_, fingerprint) = imported.leaf().await;
    let envelope = imported.envelope(&fingerprint).await;
    let context = private_key_context(tenant_id, &fingerprint);
    let data_key = keys
        .data
        .decrypt(&envelope.wrapped_data_key().unwrap(), &context)
        .await
        .unwrap();
    let aad = private_key_aad(tenant_id, &fingerprint);
    let pkcs8 = open_envelope(&data_key, &envelope, aad.as_bytes()).unwrap();
    let secrets = [
        pkcs8.to_vec(),
        B64.encode(&pkcs8).into_bytes(),
        b"changeit".to_vec(),
        b"PRIVATE KEY".to_vec(),
    ];
    let stored = everything_stored(&imported.stack).await;
    assert!(stored.len() > 5, "objects and items were read");
    for (place, bytes) in &stored {
        for secret in &secrets {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_slice()),
                "{place} holds a secret in the clear"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_items_fail_alone_with_their_reasons_through_the_processor() {
    let stack = Stack::create().await;
    let deps = stack.function_config().deps(&stack.sdk);
    let created = create_tenant_with_key(deps.tenants.as_ref(), "hostile")
        .await
        .unwrap();
    let (tenant_id, api_key) = (created.tenant.id.clone(), created.api_key.expose().to_string());
    let (edge, dek) = create_edge_instance(deps.tenants.as_ref(), deps.keys.dek.as_ref(), &tenant_id, "edge")
        .await
        .unwrap();
    let public: [u8; 32] = B64.decode(&dek.public_key).unwrap().try_into().unwrap();
    let cases = certport_tests::hostile_keystores::hostile_items(&public);
    let items: Vec<Value> = cases.iter().map(|c| c.item.clone()).collect();
    let batch = json!({"edgeInstanceId": edge.id, "encryptionKeyId": dek.id, "importInformation": items});
    let imports = "/outagedetection/v1/certificates/imports";
    let (status, job) = call(&deps, &api_key, "POST", imports, Some(batch)).await;
    assert_eq!(status, 201, "{job}");
    let job_id = job["id"].as_str().unwrap();
    let outcome = process_keystore_import(&deps, &keystore_import_key(&tenant_id, job_id))
        .await
        .unwrap();
    assert!(matches!(outcome, ProcessOutcome::Completed { .. }), "{outcome:?}");
    let (_, done) = call(&deps, &api_key, "GET", &format!("{imports}/{job_id}"), None).await;
    let wrong = certport_tests::hostile_keystores::mismatches(&cases, done["results"].as_array().unwrap());
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
