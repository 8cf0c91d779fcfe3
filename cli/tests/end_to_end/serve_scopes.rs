//! Scoped, revocable API keys on `certport serve`: keys made, revoked and rotated with
//! `certport admin api-keys` on its data directory while it runs, and the server holding
//! each key to its scopes in the error shape of the route's API.

use std::path::Path;

use crate::support::{local_admin, start_server, Server};
use certport_core::testing::certs::{self_signed, KeyType};
use certport_core::testing::zip_of;
use reqwest::Method;
use serde_json::{json, Value};

/// A new key of the server's tenant with `scopes`: its id and the key.
fn key_with(server_dir: &Path, tenant: &str, scopes: &str) -> (String, String) {
    let args = [
        "api-keys", "create", "--tenant", tenant, "--name", "test", "--scopes", scopes,
    ];
    let made = local_admin(server_dir, &args);
    assert_eq!(
        made["scopes"].as_array().unwrap().len(),
        scopes.split(',').count(),
        "{made}"
    );
    (
        made["id"].as_str().unwrap().into(),
        made["api_key"].as_str().unwrap().into(),
    )
}

async fn call(server: &Server, key: &str, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = certport_tests::http_client()
        .request(method, server.url(path))
        .header("x-api-key", key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

/// The tenant of the server's own key (which has every scope).
async fn tenant_of(server: &Server) -> String {
    let (_, edges) = call(server, &server.api_key, Method::GET, "/v1/edgeinstances", None).await;
    edges["edgeInstances"][0]["companyId"]
        .as_str()
        .unwrap()
        .to_string()
}

const SEARCH: &str = "/outagedetection/v1/certificatesearch";

#[tokio::test]
async fn an_import_only_key_imports_but_cannot_read_export_or_manage() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start_server(dir.path());
    let client = certport_tests::http_client();
    let profile = server.mapped_pem_profile(&client).await;
    let (key_id, key) = key_with(dir.path(), &tenant_of(&server).await, "import");
    let cert = self_signed(KeyType::EcP256, "/CN=meter-1", None);
    let zip = zip_of(&[("meter-1.pem", cert.pem.as_bytes())]);
    let uploaded = server.upload_zip(&client, &profile, zip, &key).await;
    assert_eq!(uploaded.status(), 200, "the import key imports");

    let (status, refused) = call(&server, &key, Method::POST, SEARCH, Some(json!({}))).await;
    assert_eq!(
        (status, refused["errors"][0]["code"].as_i64()),
        (403, Some(10403))
    );
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("`read`"),
        "{refused}"
    );
    let export = format!("/outagedetection/v1/certificates/{key_id}/keystore");
    let (status, refused) = call(&server, &key, Method::POST, &export, Some(json!({}))).await;
    assert_eq!(status, 403);
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("`export`"),
        "{refused}"
    );
    let new_profile = json!({"name": "x", "enrollment_method": "CERTIFICATE_IMPORT"});
    let profiles = "/iot/api/v1/enrollment-profile";
    let (status, refused) = call(&server, &key, Method::POST, profiles, Some(new_profile)).await;
    assert_eq!(
        (status, &refused["errors"][0]["code"]),
        (403, &json!("forbidden"))
    );
}

#[tokio::test]
async fn an_export_refused_for_its_scope_is_an_audit_event_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start_server(dir.path());
    let (key_id, key) = key_with(dir.path(), &tenant_of(&server).await, "read");
    let export = "/outagedetection/v1/certificates/some-certificate/keystore";
    let (status, _) = call(&server, &key, Method::POST, export, Some(json!({}))).await;
    assert_eq!(status, 403);
    let (_, trail) = call(&server, &server.api_key, Method::GET, "/v1/auditevents", None).await;
    let refusal = &trail["auditEvents"][0];
    assert_eq!(refusal["action"], "PRIVATE_KEY_EXPORT_REFUSED", "{trail}");
    assert_eq!(
        (refusal["apiKeyId"].as_str(), refusal["certificateId"].as_str()),
        (Some(key_id.as_str()), Some("some-certificate"))
    );
    let (status, _) = call(&server, &key, Method::GET, "/v1/auditevents", None).await;
    assert_eq!(status, 403, "the audit trail needs the admin scope");
}

#[tokio::test]
async fn a_read_key_reads_but_cannot_import() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start_server(dir.path());
    let client = certport_tests::http_client();
    let profile = server.mapped_pem_profile(&client).await;
    let (_, key) = key_with(dir.path(), &tenant_of(&server).await, "read");
    let (status, found) = call(&server, &key, Method::POST, SEARCH, Some(json!({}))).await;
    assert_eq!(status, 200, "{found}");
    let zip = zip_of(&[(
        "a.pem",
        self_signed(KeyType::EcP256, "/CN=a", None).pem.as_bytes(),
    )]);
    let uploaded = server.upload_zip(&client, &profile, zip, &key).await;
    assert_eq!(uploaded.status(), 403);
}

#[tokio::test]
async fn a_revoked_key_is_refused_from_its_next_request() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start_server(dir.path());
    let tenant = tenant_of(&server).await;
    let (id, key) = key_with(dir.path(), &tenant, "read");
    let (status, _) = call(&server, &key, Method::POST, SEARCH, Some(json!({}))).await;
    assert_eq!(status, 200);
    let revoked = local_admin(
        dir.path(),
        &["api-keys", "revoke", "--tenant", &tenant, "--id", &id],
    );
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    let (status, _) = call(&server, &key, Method::POST, SEARCH, Some(json!({}))).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_rotated_key_is_refused_and_its_replacement_keeps_its_scopes() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start_server(dir.path());
    let tenant = tenant_of(&server).await;
    let (id, old) = key_with(dir.path(), &tenant, "read,import");
    let new = local_admin(
        dir.path(),
        &["api-keys", "rotate", "--tenant", &tenant, "--id", &id],
    );
    assert_eq!(new["scopes"], json!(["import", "read"]));
    let new_key = new["api_key"].as_str().unwrap();
    assert_eq!(
        call(&server, &old, Method::POST, SEARCH, Some(json!({}))).await.0,
        401
    );
    assert_eq!(
        call(&server, new_key, Method::POST, SEARCH, Some(json!({})))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn the_key_list_shows_scopes_and_revocations_never_keys_and_every_change_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start_server(dir.path());
    let tenant = tenant_of(&server).await;
    let (id, key) = key_with(dir.path(), &tenant, "export");
    local_admin(
        dir.path(),
        &["api-keys", "revoke", "--tenant", &tenant, "--id", &id],
    );
    let listed = local_admin(dir.path(), &["api-keys", "list", "--tenant", &tenant]);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2, "the first key and this one: {listed:?}");
    assert_eq!(listed[1]["scopes"], json!(["export"]));
    assert!(listed[1]["revoked_at"].is_string());
    assert!(listed.iter().all(|k| k.get("api_key").is_none()));
    assert!(!serde_json::to_string(listed).unwrap().contains(&key[4..]));
    let (_, trail) = call(&server, &server.api_key, Method::GET, "/v1/auditevents", None).await;
    let actions: Vec<&str> = trail["auditEvents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["API_KEY_REVOKED", "API_KEY_CREATED", "API_KEY_CREATED"]);
    assert_eq!(trail["auditEvents"][0]["subjectApiKeyId"], json!(id));
}

#[tokio::test]
async fn rotating_serves_own_key_puts_the_new_one_where_the_client_commands_read_it() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start_server(dir.path());
    let tenant = tenant_of(&server).await;
    let listed = local_admin(dir.path(), &["api-keys", "list", "--tenant", &tenant]);
    let first = listed[0]["id"].as_str().unwrap();
    let rotated = local_admin(
        dir.path(),
        &["api-keys", "rotate", "--tenant", &tenant, "--id", first],
    );
    let credentials: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("credentials.json")).unwrap()).unwrap();
    assert_eq!(credentials["api_key"], rotated["api_key"]);
    let new_key = credentials["api_key"].as_str().unwrap();
    assert_eq!(
        call(&server, new_key, Method::POST, SEARCH, Some(json!({})))
            .await
            .0,
        200
    );
    assert_eq!(
        call(&server, &server.api_key, Method::POST, SEARCH, Some(json!({})))
            .await
            .0,
        401
    );
}
