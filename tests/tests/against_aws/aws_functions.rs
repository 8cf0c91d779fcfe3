//! The real Lambda handlers with the AWS adapters, against S3 and DynamoDB on moto:
//! API Gateway events from `events/` in, the S3 event S3 would send to the processor.

use base64::Engine;
use certport_core::app::{
    create_api_key, create_tenant_with_key, dek_context, keystore_import_key, revoke_api_key, Deps,
};
use certport_core::domain::{JobState, Scope, WorkQuota};
use certport_core::testing::certs::{self_signed, KeyType};
use certport_core::testing::zip_of;
use certport_tests::fixtures::{self, http_request, http_request_with_body, multipart, s3_event};
use certport_tests::moto::Stack;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;

const BOUNDARY: &str = "testBoundary42";

/// A function's answer as JSON, held to Lambda's payload limit as API Gateway would carry it.
fn body_json(response: &lambda_http::Response<lambda_http::Body>) -> Value {
    let binary = matches!(response.body(), lambda_http::Body::Binary(_));
    certport_tests::aws_limits::lambda_payload("a function's answer", response.body().as_ref(), binary);
    serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null)
}

async fn process(deps: &Deps, key: &str) -> Value {
    let event = LambdaEvent::new(s3_event(key).into(), Context::default());
    certificate_import_processor::event_handler::function_handler(deps, event)
        .await
        .expect("processor succeeds")
}

async fn status(deps: &Deps, api_key: &str, job_id: &str) -> (u16, Value) {
    let request = http_request(
        "certificate-import-status.json",
        &[(fixtures::API_KEY, api_key), (fixtures::JOB, job_id)],
    );
    let response = certificate_import_status::http_handler::function_handler(deps, request)
        .await
        .unwrap();
    (response.status().as_u16(), body_json(&response))
}

async fn upload(deps: &Deps, api_key: &str, profile_id: &str, zip: &[u8]) -> (u16, Value) {
    let response = upload_response(deps, api_key, profile_id, zip).await;
    (response.status().as_u16(), body_json(&response))
}

async fn upload_response(
    deps: &Deps,
    api_key: &str,
    profile_id: &str,
    zip: &[u8],
) -> lambda_http::Response<lambda_http::Body> {
    let body = multipart(BOUNDARY, &[("file", Some("devices batch+1.zip"), zip)]);
    let request = http_request_with_body(
        "certificate-import-upload.json",
        &[(fixtures::API_KEY, api_key), (fixtures::PROFILE, profile_id)],
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        &body,
    );
    certificate_import_upload::http_handler::function_handler(deps, request)
        .await
        .unwrap()
}

/// One open job at a time, whatever the keystore items.
const ONE_OPEN_JOB: WorkQuota = WorkQuota {
    max_open_jobs: 1,
    max_keystore_items: 100,
};

/// A refusal for being at the tenant's quota: 429 with `Retry-After`, and its body.
fn told_to_retry(response: &lambda_http::Response<lambda_http::Body>) -> Value {
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "10");
    body_json(response)
}

/// The key the upload stored its zip under, as listed by S3.
async fn stored_key(stack: &Stack, tenant: &str, job: &str) -> String {
    let listed = stack
        .s3()
        .list_objects_v2()
        .bucket(&stack.bucket)
        .prefix(format!("certificate-import/{tenant}/{job}/"))
        .send()
        .await
        .unwrap();
    let objects = listed.contents.unwrap_or_default();
    assert_eq!(objects.len(), 1, "one stored upload per job");
    objects[0].key.clone().unwrap()
}

/// A tenant on a fresh moto stack, with a profile created and mapped through the
/// enrollment-profiles function.
struct CertificateFlow {
    stack: Stack,
    deps: Deps,
    tenant_id: String,
    key: String,
    profile_id: String,
}

impl CertificateFlow {
    async fn set_up() -> CertificateFlow {
        let stack = Stack::create().await;
        let deps = stack.function_config().deps(&stack.sdk);
        let created = create_tenant_with_key(deps.tenants.as_ref(), "aws e2e")
            .await
            .unwrap();
        let (tenant_id, key) = (created.tenant.id.clone(), created.api_key.expose().to_string());
        let request = http_request("enrollment-profile-create.json", &[(fixtures::API_KEY, &key)]);
        let response = enrollment_profiles::http_handler::function_handler(&deps, request)
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let profile_id = body_json(&response)["id"].as_str().unwrap().to_string();
        let request = http_request(
            "enrollment-profile-source-fields-mapping.json",
            &[(fixtures::API_KEY, &key), (fixtures::PROFILE, &profile_id)],
        );
        let response = enrollment_profiles::http_handler::function_handler(&deps, request)
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{:?}", body_json(&response));
        assert_eq!(
            body_json(&response)["mapped_fields"]["device_identifier"],
            "fixture-sample"
        );
        CertificateFlow {
            stack,
            deps,
            tenant_id,
            key,
            profile_id,
        }
    }

    /// Three good certificates (`aws-dev-1` to `-3`, in Oslo) and a malformed one.
    fn zip() -> Vec<u8> {
        let certs: Vec<_> = (1..=3)
            .map(|i| self_signed(KeyType::EcP256, &format!("/CN=aws-dev-{i}/L=Oslo"), None))
            .collect();
        let bundle = format!("{}{}junk between\r\n{}", certs[0].pem, certs[1].pem, certs[2].pem);
        let bad = b"-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n";
        zip_of(&[("bundle.pem", bundle.as_bytes()), ("bad.pem", bad)])
    }

    /// Uploads `zip` through the upload function: the job id and the stored object's key.
    async fn upload(&self, zip: &[u8]) -> (String, String) {
        let (code, job) = upload(&self.deps, &self.key, &self.profile_id, zip).await;
        assert_eq!(code, 200, "{job}");
        let job_id = job["id"].as_str().unwrap().to_string();
        let object_key = stored_key(&self.stack, &self.tenant_id, &job_id).await;
        (job_id, object_key)
    }

    /// Uploads and processes `zip`: the job id, its key and the finished job.
    async fn import(&self, zip: &[u8]) -> (String, String, Value) {
        let (job_id, object_key) = self.upload(zip).await;
        let outcome = process(&self.deps, &object_key).await;
        assert_eq!(outcome["outcomes"][0]["outcome"], "COMPLETED", "{outcome}");
        let (_, done) = status(&self.deps, &self.key, &job_id).await;
        (job_id, object_key, done)
    }
}

fn status_failures(job: &Value) -> Vec<Value> {
    serde_json::from_str(job["status_message"].as_str().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_is_answered_only_by_its_own_function() {
    let flow = CertificateFlow::set_up().await;
    let request = http_request(
        "enrollment-profile-get.json",
        &[
            (fixtures::API_KEY, &flow.key),
            (fixtures::PROFILE, &flow.profile_id),
        ],
    );
    let response = certificate_import_status::http_handler::function_handler(&flow.deps, request)
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_is_pending_at_once_and_its_s3_event_completes_it() {
    let flow = CertificateFlow::set_up().await;
    let (code, job) = upload(&flow.deps, &flow.key, &flow.profile_id, &CertificateFlow::zip()).await;
    assert_eq!(code, 200, "{job}");
    assert_eq!(
        (
            job["status"].as_str(),
            job["enrollment_context"]["ip_address"].as_str()
        ),
        (Some("PENDING"), Some("203.0.113.7"))
    );
    let job_id = job["id"].as_str().unwrap();
    let (code, pending) = status(&flow.deps, &flow.key, job_id).await;
    assert_eq!((code, pending["status"].as_str()), (200, Some("PENDING")));
    // The processor, on the event S3 sends for the stored object (URL-encoded key).
    let object_key = stored_key(&flow.stack, &flow.tenant_id, job_id).await;
    assert!(object_key.ends_with("/devices batch+1.zip"), "{object_key}");
    let outcome = process(&flow.deps, &object_key).await;
    assert_eq!(outcome["outcomes"][0]["outcome"], "COMPLETED", "{outcome}");
    let (_, done) = status(&flow.deps, &flow.key, job_id).await;
    assert_eq!(
        (done["status"].as_str(), done["result"].as_str()),
        (Some("COMPLETED"), Some("PARTIAL_SUCCESS"))
    );
    assert_eq!(
        (
            done["total_certificates"].as_u64(),
            done["failed_certificates"].as_u64()
        ),
        (Some(4), Some(1))
    );
    let failures = status_failures(&done);
    assert_eq!(failures.len(), 1);
    assert_eq!(
        (failures[0]["reason"].as_str(), failures[0]["file_name"].as_str()),
        (Some("MALFORMED_CERTIFICATE"), Some("bad.pem"))
    );
    let device = flow
        .deps
        .inventory
        .get_device(&flow.tenant_id, "aws-dev-2")
        .await
        .unwrap()
        .expect("device stored");
    assert_eq!(device.fields.get("site").map(String::as_str), Some("Oslo"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_s3_event_again_changes_nothing() {
    let flow = CertificateFlow::set_up().await;
    let (job_id, object_key, done) = flow.import(&CertificateFlow::zip()).await;
    let again = process(&flow.deps, &object_key).await;
    assert_eq!(again["outcomes"][0]["outcome"], "ALREADY_FINISHED");
    assert_eq!(status(&flow.deps, &flow.key, &job_id).await.1, done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_zip_again_makes_every_good_certificate_a_duplicate() {
    let flow = CertificateFlow::set_up().await;
    let zip = CertificateFlow::zip();
    flow.import(&zip).await;
    let (_, _, second) = flow.import(&zip).await;
    assert_eq!(second["failed_certificates"], 4);
    let duplicates = status_failures(&second)
        .iter()
        .filter(|f| f["reason"] == "DUPLICATE")
        .count();
    assert_eq!(duplicates, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenant_or_an_unknown_key_sees_nothing() {
    let flow = CertificateFlow::set_up().await;
    let zip = CertificateFlow::zip();
    let (job_id, _) = flow.upload(&zip).await;
    let other = create_tenant_with_key(flow.deps.tenants.as_ref(), "other")
        .await
        .unwrap();
    let (code, body) = status(&flow.deps, other.api_key.expose(), &job_id).await;
    assert_eq!(code, 404, "{body}");
    let (code, _) = upload(&flow.deps, other.api_key.expose(), &flow.profile_id, &zip).await;
    assert_eq!(code, 404);
    let (code, body) = status(&flow.deps, "cpk_not_a_key", &job_id).await;
    assert_eq!(
        (code, body["errors"][0]["code"].as_str()),
        (401, Some("unauthorized"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_function_holds_a_key_to_its_scopes_and_refuses_it_once_revoked() {
    let flow = CertificateFlow::set_up().await;
    let zip = CertificateFlow::zip();
    let (job_id, _) = flow.upload(&zip).await;
    let tenants = flow.deps.tenants.as_ref();
    let key_with = |scope: Scope| create_api_key(tenants, &flow.tenant_id, "test", [scope].into());
    let reader = key_with(Scope::Read).await.unwrap();
    let (code, body) = upload(&flow.deps, reader.api_key.expose(), &flow.profile_id, &zip).await;
    assert_eq!(
        (code, body["errors"][0]["code"].as_str()),
        (403, Some("forbidden"))
    );
    let (code, body) = status(&flow.deps, reader.api_key.expose(), &job_id).await;
    assert!(code == 403 && body.to_string().contains("`import`"), "{body}");
    let importer = key_with(Scope::Import).await.unwrap();
    let (code, _) = status(&flow.deps, importer.api_key.expose(), &job_id).await;
    assert_eq!(code, 200);
    revoke_api_key(tenants, &flow.tenant_id, &importer.record.id)
        .await
        .unwrap();
    let (code, _) = status(&flow.deps, importer.api_key.expose(), &job_id).await;
    assert_eq!(code, 401, "refused from the next request on");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processor_records_permanent_failures_and_ignores_foreign_keys() {
    let stack = Stack::create().await;
    let deps = stack.function_config().deps(&stack.sdk);
    fixtures::seed(&deps).await;

    // The fixture event's own (URL-encoded) key reaches the seeded job.
    let event: certport_aws::certificate_processor::CertificateProcessorEvent =
        serde_json::from_str(&fixtures::event_text("certificate-import-processor.json")).unwrap();
    let outcome = certificate_import_processor::event_handler::function_handler(
        &deps,
        LambdaEvent::new(event, Context::default()),
    )
    .await
    .unwrap();
    // The job maps with the mapping it was created with, whatever the profile holds now.
    assert_eq!(outcome["outcomes"][0]["outcome"], "COMPLETED", "{outcome}");
    let job = deps
        .jobs
        .get_job(fixtures::TENANT, fixtures::JOB)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((job.state, job.failed), (JobState::Completed, 0));

    // Not a zip: FAILED with the reason, not an error for Lambda to retry.
    let mut broken = job.clone();
    broken.id = uuid::Uuid::new_v4().to_string();
    (broken.state, broken.processed) = (JobState::Open, 0);
    broken.object_key = format!("certificate-import/{}/{}/broken.zip", fixtures::TENANT, broken.id);
    deps.jobs.create_job(&broken, WorkQuota::UNLIMITED).await.unwrap();
    deps.objects
        .put(&broken.object_key, bytes::Bytes::from_static(b"not a zip"))
        .await
        .unwrap();
    let outcome = process(&deps, &broken.object_key).await;
    assert_eq!(outcome["outcomes"][0]["outcome"], "FAILED");
    let (code, body) = status(&deps, fixtures::API_KEY, &broken.id).await;
    assert_eq!(code, 200);
    assert_eq!(
        (body["status"].as_str(), body["result"].as_str()),
        (Some("FAILED"), Some("FAILURE"))
    );
    let messages: Vec<Value> = serde_json::from_str(body["status_message"].as_str().unwrap()).unwrap();
    assert_eq!(messages[0]["reason"], "UNREADABLE_UPLOAD");

    // Keys that are not ours, or name no job, are acknowledged and ignored.
    for key in ["other-prefix/x.zip", "certificate-import/nobody/nothing/x.zip"] {
        assert_eq!(process(&deps, key).await["outcomes"][0]["outcome"], "IGNORED");
    }
}

/// Status and JSON body of an HTTP handler's response.
async fn answered(
    response: impl std::future::Future<
        Output = Result<lambda_http::Response<lambda_http::Body>, lambda_http::Error>,
    >,
) -> (u16, Value) {
    let response = response.await.unwrap();
    (response.status().as_u16(), body_json(&response))
}

async fn admin(deps: &Deps, request: lambda_http::Request) -> (u16, Value) {
    answered(keystore_admin::http_handler::function_handler(deps, request)).await
}

async fn keystore_upload(deps: &Deps, request: lambda_http::Request) -> (u16, Value) {
    answered(keystore_import_upload::http_handler::function_handler(
        deps, request,
    ))
    .await
}

async fn keystore_status(deps: &Deps, request: lambda_http::Request) -> (u16, Value) {
    answered(keystore_import_status::http_handler::function_handler(
        deps, request,
    ))
    .await
}

async fn keystore_process(deps: &Deps, event: aws_lambda_events::event::s3::S3Event) -> Value {
    keystore_import_processor::event_handler::function_handler(
        deps,
        LambdaEvent::new(event, Context::default()),
    )
    .await
    .expect("keystore processor succeeds")
}

/// A fresh moto stack with the fixture tenant, edge instance, DEK, trusted root and
/// keystore job seeded.
async fn seeded_stack() -> (Stack, Deps) {
    let stack = Stack::create().await;
    let deps = stack.function_config().deps(&stack.sdk);
    fixtures::seed(&deps).await;
    fixtures::seed_keystores(&deps).await;
    (stack, deps)
}

/// The keystore job `job_id` through the status function.
async fn keystore_job(deps: &Deps, job_id: &str) -> (u16, Value) {
    let request = http_request("keystore-import-status.json", &[(fixtures::KEYSTORE_JOB, job_id)]);
    keystore_status(deps, request).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_function_serves_edge_instances_the_dek_and_trusted_cas() {
    let (_stack, deps) = seeded_stack().await;
    let (code, edges) = admin(&deps, http_request("edge-instances-list.json", &[])).await;
    assert_eq!(code, 200, "{edges}");
    assert_eq!(edges["edgeInstances"][0]["id"], fixtures::EDGE);
    let (code, key) = admin(&deps, http_request("edge-encryption-key-get.json", &[])).await;
    assert_eq!(code, 200, "{key}");
    let public = base64::engine::general_purpose::STANDARD
        .decode(key["key"].as_str().unwrap())
        .unwrap();
    assert_eq!(public, fixtures::fixture_dek().public);
    let (code, added) = admin(&deps, http_request("trusted-ca-add.json", &[])).await;
    assert_eq!(code, 201, "{added}");
    let (code, again) = admin(&deps, http_request("trusted-ca-add.json", &[])).await;
    assert_eq!(
        (code, again["errors"][0]["code"].as_i64()),
        (409, Some(10409)),
        "{again}"
    );
    let (_, cas) = admin(&deps, http_request("trusted-ca-list.json", &[])).await;
    assert_eq!(cas["trustedCaCertificates"].as_array().unwrap().len(), 2, "{cas}");
    // A route belongs to one function only.
    let (code, _) = admin(&deps, http_request("keystore-import-status.json", &[])).await;
    assert_eq!(code, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fixture_s3_event_imports_the_seeded_batch() {
    let (_stack, deps) = seeded_stack().await;
    let event = serde_json::from_str(&fixtures::event_text("keystore-import-processor.json")).unwrap();
    let outcome = keystore_process(&deps, event).await;
    assert_eq!(outcome["outcomes"][0]["outcome"], "COMPLETED", "{outcome}");
    let (code, done) = keystore_status(&deps, http_request("keystore-import-status.json", &[])).await;
    assert_eq!(code, 200);
    assert_eq!(
        (done["status"].as_str(), done["results"][0]["status"].as_str()),
        (Some("COMPLETED"), Some("IMPORTED")),
        "{done}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_batch_is_stored_processing_and_a_key_already_held_is_skipped() {
    let (stack, deps) = seeded_stack().await;
    let event = serde_json::from_str(&fixtures::event_text("keystore-import-processor.json")).unwrap();
    keystore_process(&deps, event).await;
    let (_, first) = keystore_status(&deps, http_request("keystore-import-status.json", &[])).await;
    let (code, job) = keystore_upload(&deps, http_request("keystore-import-upload.json", &[])).await;
    assert_eq!(code, 201, "{job}");
    let job_id = job["id"].as_str().unwrap();
    let (code, pending) = keystore_job(&deps, job_id).await;
    assert_eq!((code, pending["status"].as_str()), (200, Some("PROCESSING")));
    assert_eq!(pending["results"][0]["status"], "PROCESSING");
    let key = keystore_import_key(fixtures::TENANT, job_id);
    let stored = stack
        .s3()
        .head_object()
        .bucket(&stack.bucket)
        .key(&key)
        .send()
        .await;
    assert!(stored.is_ok(), "the batch is stored under {key}");
    let outcome = keystore_process(&deps, s3_event(&key)).await;
    assert_eq!(outcome["outcomes"][0]["outcome"], "COMPLETED", "{outcome}");
    let (_, second) = keystore_job(&deps, job_id).await;
    assert_eq!(second["results"][0]["status"], "SKIPPED", "{second}");
    assert_eq!(
        second["results"][0]["fingerprint"],
        first["results"][0]["fingerprint"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_at_its_open_job_limit_gets_429_until_its_job_ends() {
    let mut flow = CertificateFlow::set_up().await;
    flow.deps.limits.work_quota = ONE_OPEN_JOB;
    let (_, object_key) = flow.upload(&CertificateFlow::zip()).await;
    let response = upload_response(&flow.deps, &flow.key, &flow.profile_id, &CertificateFlow::zip()).await;
    let refused = told_to_retry(&response);
    assert_eq!(refused["errors"][0]["code"], "too_many_requests", "{refused}");
    process(&flow.deps, &object_key).await;
    flow.upload(&CertificateFlow::zip()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keystore_batch_past_the_tenants_open_jobs_gets_429_in_api_b_shape() {
    // The seeded certificate and keystore jobs are open.
    let (_stack, mut deps) = seeded_stack().await;
    deps.limits.work_quota = WorkQuota {
        max_open_jobs: 2,
        ..ONE_OPEN_JOB
    };
    let request = http_request("keystore-import-upload.json", &[]);
    let response = keystore_import_upload::http_handler::function_handler(&deps, request)
        .await
        .unwrap();
    let refused = told_to_retry(&response);
    assert_eq!(refused["errors"][0]["code"], 10429, "{refused}");
    let event = serde_json::from_str(&fixtures::event_text("keystore-import-processor.json")).unwrap();
    keystore_process(&deps, event).await;
    let (code, job) = keystore_upload(&deps, http_request("keystore-import-upload.json", &[])).await;
    assert_eq!(code, 201, "{job}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_processor_leaves_the_other_kinds_uploads_alone() {
    let (_stack, deps) = seeded_stack().await;
    let keystore_key = keystore_import_key(fixtures::TENANT, fixtures::KEYSTORE_JOB);
    assert_eq!(
        process(&deps, &keystore_key).await["outcomes"][0]["outcome"],
        "IGNORED"
    );
    let cert_key = format!("certificate-import/{}/{}/x.zip", fixtures::TENANT, fixtures::JOB);
    let outcome = keystore_process(&deps, s3_event(&cert_key)).await;
    assert_eq!(outcome["outcomes"][0]["outcome"], "IGNORED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dek_private_key_opens_through_kms_only_with_its_own_context() {
    let (_stack, deps) = seeded_stack().await;
    let dek = deps
        .tenants
        .get_encryption_key(fixtures::TENANT, fixtures::DEK_ID)
        .await
        .unwrap()
        .unwrap();
    let wrapped = base64::engine::general_purpose::STANDARD
        .decode(&dek.wrapped_private_key)
        .unwrap();
    let context = dek_context(fixtures::TENANT, fixtures::DEK_ID);
    let secret = deps.keys.dek.decrypt(&wrapped, &context).await.unwrap();
    assert_eq!(secret.as_slice(), fixtures::fixture_dek().secret.as_slice());
    for (tenant, key_id) in [
        ("another-tenant", fixtures::DEK_ID),
        (fixtures::TENANT, "another-key"),
    ] {
        let opened = deps
            .keys
            .dek
            .decrypt(&wrapped, &dek_context(tenant, key_id))
            .await;
        assert!(opened.is_err(), "context {tenant}/{key_id} must not open the DEK");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenant_gets_404_for_the_dek_the_job_and_uploads_to_the_edge_instance() {
    let (_stack, deps) = seeded_stack().await;
    let other = create_tenant_with_key(deps.tenants.as_ref(), "other")
        .await
        .unwrap();
    let as_other = [(fixtures::API_KEY, other.api_key.expose())];
    let (code, _) = admin(&deps, http_request("edge-encryption-key-get.json", &as_other)).await;
    assert_eq!(code, 404);
    let (code, _) = keystore_status(&deps, http_request("keystore-import-status.json", &as_other)).await;
    assert_eq!(code, 404);
    let (code, body) = keystore_upload(&deps, http_request("keystore-import-upload.json", &as_other)).await;
    assert_eq!(code, 404, "{body}");
}

/// PUTs `body` to an upload URL as a client would: the URL and the headers it came with.
async fn put_to_upload_url(upload: &Value, body: Vec<u8>) -> u16 {
    let mut request = certport_tests::http_client()
        .put(upload["url"].as_str().unwrap())
        .body(body);
    for (name, value) in upload["headers"].as_object().unwrap() {
        request = request.header(name.as_str(), value.as_str().unwrap());
    }
    request.send().await.unwrap().status().as_u16()
}

/// The body of an upload-URL request to the keystore upload function, as `api_key`.
fn keystore_upload_url_request(api_key: &str, size: usize) -> lambda_http::Request {
    let body = serde_json::json!({"edgeInstanceId": fixtures::EDGE, "encryptionKeyId": fixtures::DEK_ID, "size": size});
    http_request_with_body(
        "keystore-import-upload.json",
        &[
            ("certificates/imports\"", "certificates/imports/upload-url\""),
            (fixtures::API_KEY, api_key),
        ],
        "application/json",
        body.to_string().as_bytes(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zip_put_to_a_presigned_s3_url_is_processed_like_any_upload() {
    let (stack, deps) = seeded_stack().await;
    let create = http_request("enrollment-profile-create.json", &[]);
    let (_, profile) = answered(enrollment_profiles::http_handler::function_handler(&deps, create)).await;
    let profile = profile["id"].as_str().unwrap().to_string();
    let map = http_request(
        "enrollment-profile-source-fields-mapping.json",
        &[(fixtures::PROFILE, &profile)],
    );
    assert_eq!(
        answered(enrollment_profiles::http_handler::function_handler(&deps, map))
            .await
            .0,
        200
    );
    let certs: String = (1..=3)
        .map(|i| self_signed(KeyType::EcP256, &format!("/CN=big-{i}"), None).pem)
        .collect();
    let zip = zip_of(&[("big.pem", certs.as_bytes())]);
    let request = http_request_with_body(
        "certificate-import-upload.json",
        &[(
            &format!("certificate-import/{}\"", fixtures::PROFILE),
            &format!("certificate-import/{profile}/upload-url\""),
        )],
        "application/json",
        serde_json::json!({"file_name": "big batch.zip", "size": zip.len()})
            .to_string()
            .as_bytes(),
    );
    let (code, job) = answered(certificate_import_upload::http_handler::function_handler(
        &deps, request,
    ))
    .await;
    assert_eq!((code, job["status"].as_str()), (200, Some("PENDING")), "{job}");
    let upload = &job["upload"];
    assert!(
        upload["url"].as_str().unwrap().contains("X-Amz-Signature"),
        "{upload}"
    );
    assert_eq!(upload["headers"]["content-type"], "application/zip", "{upload}");
    assert_eq!(put_to_upload_url(upload, zip.clone()).await, 200);
    assert_eq!(
        put_to_upload_url(upload, zip.clone()).await,
        412,
        "the URL takes one upload (If-None-Match: * is signed into it)"
    );
    // moto checks no signature; S3 refuses a PUT without every signed header.
    let signed = upload["url"]
        .as_str()
        .unwrap()
        .split("X-Amz-SignedHeaders=")
        .nth(1);
    assert!(
        signed.is_some_and(|h| h.split('&').next().unwrap().contains("if-none-match")),
        "{upload}"
    );
    // The object S3 now holds starts the processor as any upload does.
    let job_id = job["id"].as_str().unwrap();
    let object_key = stored_key(&stack, fixtures::TENANT, job_id).await;
    assert!(object_key.ends_with("/big batch.zip"));
    let outcome = process(&deps, &object_key).await;
    assert_eq!(outcome["outcomes"][0]["outcome"], "COMPLETED", "{outcome}");
    let (_, done) = status(&deps, fixtures::API_KEY, job_id).await;
    assert_eq!(
        (done["result"].as_str(), done["total_certificates"].as_u64()),
        (Some("SUCCESS"), Some(3)),
        "{done}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keystore_batch_put_to_a_presigned_s3_url_is_counted_when_it_arrives() {
    let (_stack, deps) = seeded_stack().await;
    let batch = fixtures::event_body("keystore-import-upload.json");
    let (code, created) =
        keystore_upload(&deps, keystore_upload_url_request(fixtures::API_KEY, batch.len())).await;
    assert_eq!(code, 201, "{created}");
    let job_id = created["id"].as_str().unwrap();
    assert_eq!(put_to_upload_url(&created["upload"], batch).await, 200);
    let outcome = keystore_process(&deps, s3_event(&keystore_import_key(fixtures::TENANT, job_id))).await;
    assert_eq!(outcome["outcomes"][0]["outcome"], "COMPLETED", "{outcome}");
    let (_, done) = keystore_job(&deps, job_id).await;
    assert_eq!(done["results"].as_array().unwrap().len(), 1, "{done}");
    assert_eq!(done["results"][0]["status"], "IMPORTED", "{done}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_upload_url_is_issued_for_another_tenants_edge_instance() {
    let (_stack, deps) = seeded_stack().await;
    let other = create_tenant_with_key(deps.tenants.as_ref(), "other")
        .await
        .unwrap();
    let request = keystore_upload_url_request(other.api_key.expose(), 10);
    assert_eq!(keystore_upload(&deps, request).await.0, 404);
}

async fn sweep(deps: &Deps, event: Value) -> Value {
    let event = LambdaEvent::new(event, Context::default());
    job_sweeper::event_handler::function_handler(deps, event)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweeper_fails_stale_jobs_of_both_kinds_with_a_reason_once() {
    let (_stack, deps) = seeded_stack().await;
    // The seeded jobs were created days ago and never processed: stale. A fresh one is not.
    let mut fresh = deps
        .jobs
        .get_job(fixtures::TENANT, fixtures::JOB)
        .await
        .unwrap()
        .unwrap();
    fresh.id = uuid::Uuid::new_v4().to_string();
    fresh.created_at = certport_core::domain::format_timestamp(chrono::Utc::now());
    fresh.active_at = fresh.created_at.clone();
    deps.jobs.create_job(&fresh, WorkQuota::UNLIMITED).await.unwrap();

    let swept = sweep(
        &deps,
        serde_json::from_str(&fixtures::event_text("job-sweeper.json")).unwrap(),
    )
    .await;
    let mut failed: Vec<&str> = swept["failed_jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    failed.sort();
    assert_eq!(failed, vec![fixtures::JOB, fixtures::KEYSTORE_JOB], "{swept}");
    let (_, job) = status(&deps, fixtures::API_KEY, fixtures::JOB).await;
    assert_eq!(
        (job["status"].as_str(), job["result"].as_str()),
        (Some("FAILED"), Some("FAILURE"))
    );
    assert!(
        job["status_message"].as_str().unwrap().contains("NOT_PROCESSED"),
        "{job}"
    );
    let (_, keystore_job) = keystore_status(&deps, http_request("keystore-import-status.json", &[])).await;
    assert_eq!(keystore_job["status"], "FAILED", "{keystore_job}");
    let item = &keystore_job["results"][0];
    assert_eq!(item["reasonCode"], "JOB_FAILED", "{keystore_job}");
    assert!(item["reason"]
        .as_str()
        .unwrap()
        .contains("made no progress for 120 minutes"));
    // Swept again: nothing left to do.
    assert_eq!(
        sweep(&deps, Value::Null).await["failed_jobs"],
        serde_json::json!([])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_processors_failure_queue_fails_the_job_of_the_upload_it_names() {
    let (_stack, deps) = seeded_stack().await;
    let mut event: Value = serde_json::from_str(&fixtures::event_text("processor-failures.json")).unwrap();
    let mut record: Value = serde_json::from_str(event["Records"][0]["body"].as_str().unwrap()).unwrap();
    let object_key = format!(
        "certificate-import/{}/{}/{}",
        fixtures::TENANT,
        fixtures::JOB,
        fixtures::UPLOAD_NAME
    );
    record["requestPayload"] = serde_json::to_value(s3_event(&object_key)).unwrap();
    event["Records"][0]["body"] = Value::from(record.to_string());
    let event = LambdaEvent::new(serde_json::from_value(event).unwrap(), Context::default());
    let outcome = processor_failures::event_handler::function_handler(&deps, event)
        .await
        .unwrap();
    assert_eq!(outcome["outcomes"][0]["outcome"], "FAILED", "{outcome}");
    let (_, job) = status(&deps, fixtures::API_KEY, fixtures::JOB).await;
    assert_eq!(job["status"], "FAILED");
    assert!(
        job["status_message"]
            .as_str()
            .unwrap()
            .contains("after every retry"),
        "{job}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_a_batch_of_shards_only_the_one_that_met_a_transient_error_is_delivered_again() {
    let (_stack, deps) = seeded_stack().await;
    // Job writes fail for now (as when the table throttles past the SDK's retries).
    let failing = Deps {
        jobs: std::sync::Arc::new(certport_core::testing::faults::JobWritesFault::writer_dies_after(
            deps.jobs.clone(),
            0,
        )),
        ..deps.clone()
    };
    let mut event: aws_lambda_events::event::sqs::SqsEvent =
        serde_json::from_str(&fixtures::event_text("certificate-import-shard.json")).unwrap();
    let mut other = event.records[0].clone();
    other.message_id = Some("a-job-that-is-gone".into());
    other.body = event.records[0]
        .body
        .as_deref()
        .map(|b| b.replace(fixtures::JOB, "44444444-4444-4444-8444-444444444444"));
    event.records.push(other);
    let event = LambdaEvent::new(event.into(), Context::default());
    let response = certificate_import_processor::event_handler::function_handler(&failing, event)
        .await
        .expect("the invocation itself succeeds");
    assert_eq!(
        response["batchItemFailures"],
        serde_json::json!([{"itemIdentifier": "fixture-message"}])
    );
    assert_eq!(response["outcomes"][0]["outcome"], "IGNORED", "{response}");
}
