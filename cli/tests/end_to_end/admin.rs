//! `certport admin`: against DynamoDB and KMS on moto, and against a running `serve`'s
//! data directory. The real binary, its JSON output, and what it stored.

use std::process::Command;

use crate::support::{local_admin, start_server};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use certport_core::app::{authenticate, dek_context};
use certport_core::crypto::DekKeyPair;
use certport_tests::moto::Stack;
use serde_json::Value;

fn admin(stack: &Stack, args: &[&str]) -> (bool, Value, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_certport"))
        .args(["admin", "--output", "json"])
        .args(args)
        .envs(stack.function_environment())
        .output()
        .expect("run certport admin");
    (
        output.status.success(),
        serde_json::from_slice(&output.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_tenant_prints_an_api_key_that_authenticates() {
    let stack = Stack::create().await;
    let deps = stack.function_config().deps(&stack.sdk);
    let (ok, tenant, stderr) = admin(&stack, &["create-tenant", "--name", "acme"]);
    assert!(ok, "{stderr}");
    let caller = authenticate(deps.tenants.as_ref(), tenant["api_key"].as_str())
        .await
        .expect("the printed API key authenticates");
    assert_eq!(
        (caller.tenant.id.as_str(), caller.tenant.name.as_str()),
        (tenant["tenant_id"].as_str().unwrap(), "acme")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_edge_instance_stores_it_with_a_dek_only_kms_opens_in_its_context() {
    let stack = Stack::create().await;
    let deps = stack.function_config().deps(&stack.sdk);
    let (_, tenant, _) = admin(&stack, &["create-tenant", "--name", "acme"]);
    let tenant_id = tenant["tenant_id"].as_str().unwrap();
    let (ok, edge, stderr) = admin(
        &stack,
        &["create-edge-instance", "--tenant", tenant_id, "--name", "edge-1"],
    );
    assert!(ok, "{stderr}");
    let (edge_id, key_id) = (
        edge["edge_instance_id"].as_str().unwrap(),
        edge["encryption_key_id"].as_str().unwrap(),
    );
    let stored = deps
        .tenants
        .get_edge_instance(tenant_id, edge_id)
        .await
        .unwrap()
        .expect("edge instance stored");
    assert_eq!(
        (stored.name.as_str(), stored.encryption_key_id.as_str()),
        ("edge-1", key_id)
    );
    // The DEK's private key is stored only wrapped, and is the secret of the printed public key.
    let dek = deps
        .tenants
        .get_encryption_key(tenant_id, key_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(edge["public_key"], dek.public_key.as_str());
    let wrapped = B64.decode(&dek.wrapped_private_key).unwrap();
    let secret = deps
        .keys
        .dek
        .decrypt(&wrapped, &dek_context(tenant_id, key_id))
        .await
        .unwrap();
    let pair = DekKeyPair::from_secret(secret.as_slice().try_into().unwrap());
    assert_eq!(B64.encode(pair.public), dek.public_key);
    let elsewhere = dek_context("another-tenant", key_id);
    assert!(deps.keys.dek.decrypt(&wrapped, &elsewhere).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_mistakes_are_explained_not_panics() {
    let stack = Stack::create().await;
    let (ok, _, stderr) = admin(
        &stack,
        &[
            "create-edge-instance",
            "--tenant",
            "no-such-tenant",
            "--name",
            "x",
        ],
    );
    assert!(!ok);
    assert!(stderr.contains("no tenant no-such-tenant"), "{stderr}");
    let output = Command::new(env!("CARGO_BIN_EXE_certport"))
        .args(["admin", "create-tenant", "--name", "x"])
        .env_remove("CERTPORT_TABLE")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--table"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_table_stamps_the_schema_version_the_functions_check_at_cold_start() {
    let stack = Stack::create().await;
    let store =
        certport_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), stack.table.clone());
    for run in 0..2 {
        let (ok, report, stderr) = admin(&stack, &["upgrade-table"]);
        assert!(ok, "{stderr}");
        let from = if run == 0 {
            Value::Null
        } else {
            Value::from(certport_aws::SCHEMA_VERSION)
        };
        assert_eq!(
            (report["from"].clone(), report["to"].as_u64()),
            (from, Some(certport_aws::SCHEMA_VERSION.into())),
            "{report}"
        );
    }
    store.check_schema().await.unwrap();
    // A table from a newer build, or one older than this build knows, is refused.
    for (version, says) in [("99", "deploy the functions"), ("0", "upgrade-table")] {
        aws_sdk_dynamodb::Client::new(&stack.sdk)
            .update_item()
            .table_name(&stack.table)
            .key("pk", aws_sdk_dynamodb::types::AttributeValue::S("SCHEMA".into()))
            .key("sk", aws_sdk_dynamodb::types::AttributeValue::S("VERSION".into()))
            .update_expression("SET version = :v")
            .expression_attribute_values(":v", aws_sdk_dynamodb::types::AttributeValue::N(version.into()))
            .send()
            .await
            .unwrap();
        let refused = store.check_schema().await.unwrap_err();
        assert!(refused.message.contains(says), "{refused}");
    }
}

#[tokio::test]
async fn on_a_running_serves_data_directory_it_adds_a_tenant_keys_and_an_edge_instance_that_serve_answers_for(
) {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start_server(dir.path());
    let tenant = local_admin(dir.path(), &["create-tenant", "--name", "second"]);
    let tenant_id = tenant["tenant_id"].as_str().unwrap();
    let key = local_admin(
        dir.path(),
        &[
            "api-keys", "create", "--tenant", tenant_id, "--name", "ci", "--scopes", "import",
        ],
    );
    let edge = local_admin(
        dir.path(),
        &["create-edge-instance", "--tenant", tenant_id, "--name", "edge-2"],
    );
    let client = certport_tests::http_client();
    for api_key in [&tenant["api_key"], &key["api_key"]] {
        let (status, edges) = server
            .call_with_key(&client, api_key.as_str().unwrap(), "/v1/edgeinstances")
            .await;
        assert_eq!(status, 200, "{edges}");
        assert_eq!(
            edges["edgeInstances"][0]["id"], edge["edge_instance_id"],
            "{edges}"
        );
        assert_eq!(edges["edgeInstances"].as_array().unwrap().len(), 1);
    }
    // The first tenant's key does not see the second tenant's edge instance.
    let (_, first) = server
        .call_with_key(&client, &server.api_key, "/v1/edgeinstances")
        .await;
    assert!(!first
        .to_string()
        .contains(edge["edge_instance_id"].as_str().unwrap()));
}

#[test]
fn without_a_table_or_a_data_directory_it_says_where_it_looked() {
    let empty = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_certport"))
        .args(["admin", "create-tenant", "--name", "x", "--data-dir"])
        .arg(empty.path())
        .env_remove("CERTPORT_TABLE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("certport serve") && stderr.contains("--table"),
        "{stderr}"
    );
}

/// An API key as a table at schema version 1 held it: one item, found by hash, no scopes.
async fn put_version_1_key(stack: &Stack, tenant_id: &str) -> certport_core::domain::ApiKey {
    use aws_sdk_dynamodb::types::AttributeValue::{N, S};
    let key = certport_core::domain::ApiKey::generate();
    let doc =
        serde_json::json!({"id": "legacy", "hash": key.hash().0, "tenant_id": tenant_id, "name": "old"});
    let dynamodb = aws_sdk_dynamodb::Client::new(&stack.sdk);
    let items = [
        [
            ("pk", S(format!("APIKEY#{}", key.hash().0))),
            ("sk", S("APIKEY".into())),
            ("doc", S(doc.to_string())),
        ],
        [
            ("pk", S("SCHEMA".into())),
            ("sk", S("VERSION".into())),
            ("version", N("1".into())),
        ],
    ];
    for item in items {
        let item = item.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        dynamodb
            .put_item()
            .table_name(&stack.table)
            .set_item(Some(item))
            .send()
            .await
            .unwrap();
    }
    key
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrading_a_version_1_table_lists_its_keys_which_keep_every_scope() {
    let stack = Stack::create().await;
    let deps = stack.function_config().deps(&stack.sdk);
    let (_, tenant, _) = admin(&stack, &["create-tenant", "--name", "acme"]);
    let tenant_id = tenant["tenant_id"].as_str().unwrap();
    let old = put_version_1_key(&stack, tenant_id).await;
    let (ok, report, stderr) = admin(&stack, &["upgrade-table"]);
    assert!(ok, "{stderr}");
    assert_eq!(
        (
            report["from"].as_u64(),
            report["applied"].as_array().unwrap().len()
        ),
        (Some(1), 1)
    );
    let (_, listed, _) = admin(&stack, &["api-keys", "list", "--tenant", tenant_id]);
    let legacy = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == "legacy")
        .cloned();
    let legacy = legacy.expect("the old key is listed");
    assert_eq!(
        legacy["scopes"],
        serde_json::json!(["import", "read", "export", "manage", "admin"])
    );
    let caller = authenticate(deps.tenants.as_ref(), Some(old.expose()))
        .await
        .unwrap();
    assert_eq!(caller.scopes, certport_core::domain::Scope::all());
    let (ok, _, stderr) = admin(
        &stack,
        &["api-keys", "revoke", "--tenant", tenant_id, "--id", "legacy"],
    );
    assert!(ok, "{stderr}");
    assert!(authenticate(deps.tenants.as_ref(), Some(old.expose()))
        .await
        .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_on_aws_are_made_with_scopes_rotated_and_revoked() {
    let stack = Stack::create().await;
    let deps = stack.function_config().deps(&stack.sdk);
    let (_, tenant, _) = admin(&stack, &["create-tenant", "--name", "acme"]);
    let tenant_id = tenant["tenant_id"].as_str().unwrap();
    let args = [
        "api-keys",
        "create",
        "--tenant",
        tenant_id,
        "--name",
        "ci",
        "--scopes",
        "import,read",
    ];
    let (ok, made, stderr) = admin(&stack, &args);
    assert!(ok, "{stderr}");
    assert_eq!(made["scopes"], serde_json::json!(["import", "read"]));
    let id = made["id"].as_str().unwrap();
    let (_, rotated, _) = admin(&stack, &["api-keys", "rotate", "--tenant", tenant_id, "--id", id]);
    let authenticated = |key: &Value| {
        let key = key["api_key"].as_str().unwrap().to_string();
        let tenants = deps.tenants.clone();
        async move { authenticate(tenants.as_ref(), Some(&key)).await.is_ok() }
    };
    assert!(!authenticated(&made).await, "the rotated key is refused");
    assert!(authenticated(&rotated).await, "its replacement works");
    let new_id = rotated["id"].as_str().unwrap();
    let (ok, _, _) = admin(
        &stack,
        &["api-keys", "revoke", "--tenant", tenant_id, "--id", new_id],
    );
    assert!(ok);
    assert!(!authenticated(&rotated).await, "the revoked key is refused");
    let (ok, _, stderr) = admin(
        &stack,
        &["api-keys", "revoke", "--tenant", tenant_id, "--id", new_id],
    );
    assert!(!ok && stderr.contains("was revoked at"), "{stderr}");
}
