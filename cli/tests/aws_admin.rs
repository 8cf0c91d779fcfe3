//! `certport admin` against DynamoDB and KMS on moto: the real binary, its JSON output,
//! and what it stored.
// Test code: a failed step should stop the run that took it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use certport_core::app::{authenticate, dek_context};
use certport_core::crypto::DekKeyPair;
use certport_tests::moto::Stack;
use serde_json::Value;

fn admin(stack: &Stack, args: &[&str]) -> (bool, Value, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_certport"))
        .arg("admin")
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
