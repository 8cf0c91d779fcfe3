//! A proxy in front of moto that answers some AWS calls with the errors real AWS gives
//! under load or misconfiguration, so the real adapters and the SDK's retries are tested
//! over the wire: throttling, 503s, unprocessed batch items, access denied. Whatever its
//! rule, it refuses what AWS refuses and moto does not (`aws_limits`): every moto test
//! goes through one (`moto::endpoint`).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::response::Response;
use sha2::{Digest, Sha256};

/// One AWS call as the proxy saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub service: Service,
    /// DynamoDB and KMS: the operation (`BatchWriteItem`); S3: the HTTP method.
    pub operation: String,
    /// The SDK's attempt number for this call (1 for the first try).
    pub attempt: u32,
    pub answered_with: Option<Fault>,
    /// DynamoDB: the items a batch or transaction names (1 for single-item calls); else 1.
    pub items: usize,
    /// DynamoDB: write units the call's items would cost on AWS, from their size in the
    /// request (an upper bound: the JSON encoding is larger than DynamoDB's own count).
    pub write_units: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    S3,
    DynamoDb,
    Kms,
    Sqs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// ThrottlingException (DynamoDB, KMS) or 503 SlowDown (S3).
    Throttled,
    /// BatchWriteItem / BatchGetItem answered with every item unprocessed, not forwarded.
    Unprocessed,
    /// AccessDenied: what a missing IAM permission gives; retrying cannot help.
    Denied,
    /// Past one of AWS's limits (`aws_limits`): AWS's validation error.
    OverLimit,
}

/// Decides, per call, whether to answer it with a fault instead of forwarding it.
pub type Rule = Box<dyn Fn(&Call) -> Option<Fault> + Send + Sync>;

struct Shared {
    upstream: String,
    client: reqwest::Client,
    rule: Rule,
    calls: Mutex<Vec<Call>>,
    /// Batch bodies already answered `Unprocessed`: their resend goes through.
    unprocessed_once: Mutex<HashSet<[u8; 32]>>,
}

pub struct FlakyAws {
    pub endpoint: String,
    shared: Arc<Shared>,
}

impl FlakyAws {
    /// Starts the proxy on a free loopback port, forwarding to `upstream` what `rule` spares.
    pub async fn start(upstream: &str, rule: Rule) -> FlakyAws {
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_string(),
            client: crate::http_client(),
            rule,
            calls: Mutex::new(Vec::new()),
            unprocessed_once: Mutex::new(HashSet::new()),
        });
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind proxy");
        let endpoint = format!("http://{}", listener.local_addr().expect("proxy address"));
        let app = axum::Router::new().fallback(forward).with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        FlakyAws { endpoint, shared }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared.calls.lock().expect("calls").clone()
    }

    /// An SDK configuration like the functions', pointed at this proxy.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        crate::moto::sdk_config(&self.endpoint).await
    }
}

/// The first attempt of every call fails with a throttling error; its retry goes through.
/// Batch writes and reads also come back unprocessed once, so our own backoff loop runs.
pub fn throttle_first_attempts() -> Rule {
    Box::new(
        |call| match (call.service, call.operation.as_str(), call.attempt) {
            (Service::DynamoDb, "BatchWriteItem" | "BatchGetItem", 1) => Some(Fault::Unprocessed),
            (_, _, 1) => Some(Fault::Throttled),
            _ => None,
        },
    )
}

async fn forward(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let (service, operation) = match target.split_once('.') {
        Some(("DynamoDB_20120810", op)) => (Service::DynamoDb, op.to_string()),
        Some(("TrentService", op)) => (Service::Kms, op.to_string()),
        Some(("AmazonSQS", op)) => (Service::Sqs, op.to_string()),
        _ => (Service::S3, parts.method.to_string()),
    };
    let attempt = parts
        .headers
        .get("amz-sdk-request")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("attempt="))
        .and_then(|v| v.split(';').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let (items, write_units) = match service {
        Service::DynamoDb => dynamodb_writes(&operation, &body),
        _ => (1, 0.0),
    };
    let mut call = Call {
        service,
        operation,
        attempt,
        answered_with: None,
        items,
        write_units,
    };
    if let Some(refusal) = crate::aws_limits::check(call.service, &call.operation, &body) {
        call.answered_with = Some(Fault::OverLimit);
        shared.calls.lock().expect("calls").push(call.clone());
        return refusal_response(call.service, &refusal);
    }
    let fault = match (shared.rule)(&call) {
        Some(Fault::Unprocessed) => {
            // The resend holds the same items, though maybe not in the same JSON order.
            let canonical = serde_json::from_slice::<serde_json::Value>(&body)
                .map(|v| v.to_string())
                .unwrap_or_default();
            let digest: [u8; 32] = Sha256::digest(canonical.as_bytes()).into();
            shared
                .unprocessed_once
                .lock()
                .expect("seen batches")
                .insert(digest)
                .then_some(Fault::Unprocessed)
        }
        other => other,
    };
    call.answered_with = fault;
    shared.calls.lock().expect("calls").push(call.clone());
    match fault {
        Some(fault) => fault_response(&call, fault, &body),
        None => pass_through(&shared, parts, body).await,
    }
}

async fn pass_through(shared: &Shared, parts: http::request::Parts, body: bytes::Bytes) -> Response {
    let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut request = shared
        .client
        .request(parts.method.clone(), format!("{}{path}", shared.upstream))
        .body(body);
    for (name, value) in &parts.headers {
        if name != http::header::HOST && name != http::header::CONTENT_LENGTH {
            request = request.header(name, value);
        }
    }
    let upstream = request.send().await.expect("moto answers");
    let mut response = Response::builder().status(upstream.status());
    // A HEAD answer's length is the object's size, not its (empty) body's.
    let head = parts.method == http::Method::HEAD;
    for (name, value) in upstream.headers() {
        if name != http::header::TRANSFER_ENCODING && (head || name != http::header::CONTENT_LENGTH) {
            response = response.header(name, value);
        }
    }
    let bytes = upstream.bytes().await.expect("moto body");
    response.body(Body::from(bytes)).expect("response")
}

/// Items named and write units of a DynamoDB request: a unit per KB of each written
/// item (rounded up), twice that in a transaction; reads, condition checks and deletes
/// of nothing cost none here.
fn dynamodb_writes(operation: &str, body: &[u8]) -> (usize, f64) {
    let request: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let units = |written: &serde_json::Value| (written.to_string().len() as f64 / 1024.0).ceil();
    match operation {
        "TransactWriteItems" => {
            let actions = request["TransactItems"].as_array().cloned().unwrap_or_default();
            let units: f64 = actions
                .iter()
                .map(|a| {
                    if let Some(put) = a.get("Put") {
                        2.0 * units(&put["Item"])
                    } else if let Some(update) = a.get("Update") {
                        2.0 * units(&serde_json::json!([
                            update["Key"],
                            update["ExpressionAttributeValues"]
                        ]))
                    } else {
                        0.0
                    }
                })
                .sum();
            (actions.len(), units)
        }
        "BatchWriteItem" => {
            let requests: Vec<serde_json::Value> = request["RequestItems"]
                .as_object()
                .into_iter()
                .flat_map(|tables| tables.values())
                .filter_map(|r| r.as_array())
                .flatten()
                .cloned()
                .collect();
            let units = requests
                .iter()
                .map(|r| units(&r["PutRequest"]["Item"]).max(1.0))
                .sum();
            (requests.len(), units)
        }
        "PutItem" => (1, units(&request["Item"])),
        "UpdateItem" => (
            1,
            units(&serde_json::json!([
                request["Key"],
                request["ExpressionAttributeValues"]
            ])),
        ),
        "BatchGetItem" => {
            let keys = request["RequestItems"]
                .as_object()
                .into_iter()
                .flat_map(|tables| tables.values())
                .map(|t| t["Keys"].as_array().map_or(0, Vec::len))
                .sum();
            (keys, 0.0)
        }
        _ => (1, 0.0),
    }
}

fn fault_response(call: &Call, fault: Fault, request_body: &[u8]) -> Response {
    let (status, content_type, body) = match (call.service, fault) {
        (Service::S3, Fault::Throttled) => (503, "application/xml", s3_error("SlowDown")),
        (Service::S3, _) => (403, "application/xml", s3_error("AccessDenied")),
        (Service::DynamoDb, Fault::Unprocessed) => (
            200,
            "application/x-amz-json-1.0",
            unprocessed(&call.operation, request_body),
        ),
        (Service::DynamoDb, fault) => (
            400,
            "application/x-amz-json-1.0",
            json_error(&format!("com.amazonaws.dynamodb.v20120810#{}", json_code(fault))),
        ),
        (Service::Kms | Service::Sqs, fault) => {
            (400, "application/x-amz-json-1.1", json_error(json_code(fault)))
        }
    };
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .expect("fault response")
}

/// AWS's validation error for a call past one of its limits.
fn refusal_response(service: Service, refusal: &crate::aws_limits::Refusal) -> Response {
    let (code, content_type) = match service {
        Service::DynamoDb => (
            format!("com.amazon.coral.validate#{}", refusal.code),
            "application/x-amz-json-1.0",
        ),
        _ => (
            format!("com.amazonaws.sqs#{}", refusal.code),
            "application/x-amz-json-1.0",
        ),
    };
    Response::builder()
        .status(400)
        .header(http::header::CONTENT_TYPE, content_type)
        .body(Body::from(
            serde_json::json!({"__type": code, "message": refusal.message}).to_string(),
        ))
        .expect("refusal response")
}

fn json_code(fault: Fault) -> &'static str {
    match fault {
        Fault::Denied => "AccessDeniedException",
        _ => "ThrottlingException",
    }
}

fn json_error(code: &str) -> String {
    serde_json::json!({"__type": code, "message": "injected by the test proxy"}).to_string()
}

fn s3_error(code: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>injected by the test proxy</Message></Error>")
}

/// A batch answer that leaves every requested item for the caller to resend.
fn unprocessed(operation: &str, request_body: &[u8]) -> String {
    let request: serde_json::Value = serde_json::from_slice(request_body).unwrap_or_default();
    let items = request["RequestItems"].clone();
    match operation {
        "BatchGetItem" => serde_json::json!({"Responses": {}, "UnprocessedKeys": items}),
        _ => serde_json::json!({"UnprocessedItems": items}),
    }
    .to_string()
}
