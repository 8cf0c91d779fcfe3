//! What AWS refuses and moto accepts, checked by the test proxy on every call before it
//! forwards it, and answered with AWS's own error: so a green suite means AWS would take
//! the same calls. DynamoDB's item, key and request sizes, SQS's message size; Lambda's
//! payload size is checked where the tests hand events to the functions (`lambda_payload`).

use serde_json::{Map, Value};

use crate::flaky_aws::Service;
use crate::moto::{TABLE_INDEXES, TABLE_KEY};

/// AWS's answer to a call it refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

pub const ITEM_BYTES: usize = 400 * 1024;
pub const PARTITION_KEY_BYTES: usize = 2048;
pub const SORT_KEY_BYTES: usize = 1024;
pub const TRANSACTION_ACTIONS: usize = 100;
pub const TRANSACTION_BYTES: usize = 4 * 1024 * 1024;
pub const BATCH_WRITE_ITEMS: usize = 25;
pub const BATCH_WRITE_BYTES: usize = 16 * 1024 * 1024;
pub const BATCH_GET_KEYS: usize = 100;
pub const SQS_MESSAGE_BYTES: usize = 256 * 1024;
/// A synchronous invocation's request or response: 6 MB.
pub const LAMBDA_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;

fn refuse(code: &'static str, message: String) -> Option<Refusal> {
    Some(Refusal { code, message })
}

/// What AWS would refuse of this call, if anything.
pub fn check(service: Service, operation: &str, body: &[u8]) -> Option<Refusal> {
    let request: Value = serde_json::from_slice(body).unwrap_or_default();
    match (service, operation) {
        (Service::DynamoDb, "PutItem") => put(&request["Item"]),
        (Service::DynamoDb, "UpdateItem") => update(&request),
        (Service::DynamoDb, "TransactWriteItems") => transaction(&request),
        (Service::DynamoDb, "BatchWriteItem") => batch_write(&request),
        (Service::DynamoDb, "BatchGetItem") => {
            let keys: usize = request["RequestItems"]
                .as_object()
                .into_iter()
                .flat_map(|tables| tables.values())
                .map(|t| t["Keys"].as_array().map_or(0, Vec::len))
                .sum();
            (keys > BATCH_GET_KEYS).then(|| Refusal {
                code: "ValidationException",
                message: format!(
                    "Too many items requested for the BatchGetItem call ({keys}; at most {BATCH_GET_KEYS})"
                ),
            })
        }
        (Service::Sqs, "SendMessage") => {
            sqs_message(request["MessageBody"].as_str().unwrap_or_default().len())
        }
        (Service::Sqs, "SendMessageBatch") => {
            let entries = request["Entries"].as_array().cloned().unwrap_or_default();
            let total = entries
                .iter()
                .map(|e| e["MessageBody"].as_str().map_or(0, str::len))
                .sum();
            sqs_message(total)
        }
        _ => None,
    }
}

fn sqs_message(bytes: usize) -> Option<Refusal> {
    (bytes > SQS_MESSAGE_BYTES).then(|| Refusal {
        code: "InvalidParameterValue",
        message: format!(
            "One or more parameters are invalid. Reason: Message must be shorter than {SQS_MESSAGE_BYTES} bytes ({bytes})."
        ),
    })
}

/// DynamoDB's size of an attribute value (its documented rules: strings and binaries by
/// their bytes, numbers by about half their digits, containers with 3 bytes of overhead and 1 per element).
fn value_size(value: &Value) -> usize {
    let Some((kind, inner)) = value.as_object().and_then(|o| o.iter().next()) else {
        return 0;
    };
    let number = |n: &Value| n.as_str().map_or(0, |n| n.len().div_ceil(2) + 1);
    let binary = |b: &Value| b.as_str().map_or(0, |b| b.len() / 4 * 3);
    match kind.as_str() {
        "S" => inner.as_str().map_or(0, str::len),
        "N" => number(inner),
        "B" => binary(inner),
        "BOOL" | "NULL" => 1,
        "SS" => inner
            .as_array()
            .map_or(0, |a| a.iter().map(|s| s.as_str().map_or(0, str::len)).sum()),
        "NS" => inner.as_array().map_or(0, |a| a.iter().map(number).sum()),
        "BS" => inner.as_array().map_or(0, |a| a.iter().map(binary).sum()),
        "L" => {
            3 + inner
                .as_array()
                .map_or(0, |a| a.iter().map(|v| value_size(v) + 1).sum())
        }
        "M" => 3 + inner.as_object().map_or(0, item_size),
        _ => 0,
    }
}

pub fn item_size(item: &Map<String, Value>) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

/// The table's and every index's key attributes, with the most bytes each may hold.
fn key_limits() -> Vec<(&'static str, usize)> {
    let mut limits = vec![(TABLE_KEY.0, PARTITION_KEY_BYTES), (TABLE_KEY.1, SORT_KEY_BYTES)];
    for (_, hash, range, _) in TABLE_INDEXES {
        limits.push((hash, PARTITION_KEY_BYTES));
        limits.extend(range.map(|r| (r, SORT_KEY_BYTES)));
    }
    limits
}

/// Key attributes (table or index) among `attributes` that are too long.
fn keys(attributes: &[(String, Value)]) -> Option<Refusal> {
    for (name, value) in attributes {
        let Some((_, limit)) = key_limits().into_iter().find(|(n, _)| n == name) else {
            continue;
        };
        let size = value_size(value);
        if size > limit {
            let what = if limit == PARTITION_KEY_BYTES {
                "hash"
            } else {
                "range"
            };
            return refuse(
                "ValidationException",
                format!("One or more parameter values were invalid: Size of {what}key {name} ({size} bytes) has exceeded the maximum size limit of {limit} bytes"),
            );
        }
    }
    None
}

fn put(item: &Value) -> Option<Refusal> {
    let item = item.as_object()?;
    let size = item_size(item);
    if size > ITEM_BYTES {
        return refuse(
            "ValidationException",
            format!("Item size has exceeded the maximum allowed size ({size} bytes)"),
        );
    }
    keys(
        &item
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect::<Vec<_>>(),
    )
}

/// The attributes an UpdateItem sets (`SET name = :value`, names resolved), and its key.
fn update(request: &Value) -> Option<Refusal> {
    let mut attributes: Vec<(String, Value)> = request["Key"]
        .as_object()
        .map(|k| k.iter().map(|(n, v)| (n.clone(), v.clone())).collect())
        .unwrap_or_default();
    let names = &request["ExpressionAttributeNames"];
    let values = &request["ExpressionAttributeValues"];
    let expression = request["UpdateExpression"].as_str().unwrap_or_default();
    for assignment in expression.split([',', ' ']).collect::<Vec<_>>().windows(3) {
        if let [target, "=", value] = assignment {
            let name = names[*target].as_str().unwrap_or(target).to_string();
            if let Some(value) = values.get(*value) {
                attributes.push((name, value.clone()));
            }
        }
    }
    let written: usize = values.as_object().map_or(0, |v| v.values().map(value_size).sum());
    if written > ITEM_BYTES {
        return refuse(
            "ValidationException",
            format!("Item size to update has exceeded the maximum allowed size ({written} bytes)"),
        );
    }
    keys(&attributes)
}

fn transaction(request: &Value) -> Option<Refusal> {
    let actions = request["TransactItems"].as_array().cloned().unwrap_or_default();
    if actions.len() > TRANSACTION_ACTIONS {
        return refuse(
            "ValidationException",
            format!("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to {TRANSACTION_ACTIONS} ({})", actions.len()),
        );
    }
    let mut total = 0;
    for action in &actions {
        if let Some(put_action) = action.get("Put") {
            total += put_action["Item"].as_object().map_or(0, item_size);
            if let Some(refusal) = put(&put_action["Item"]) {
                return Some(refusal);
            }
        }
        if let Some(update_action) = action.get("Update") {
            total += update_action["ExpressionAttributeValues"]
                .as_object()
                .map_or(0, |v| v.values().map(value_size).sum());
            if let Some(refusal) = update(update_action) {
                return Some(refusal);
            }
        }
    }
    if total > TRANSACTION_BYTES {
        return refuse(
            "ValidationException",
            format!("Transaction request cannot include items whose aggregate size exceeds {TRANSACTION_BYTES} bytes ({total})"),
        );
    }
    None
}

fn batch_write(request: &Value) -> Option<Refusal> {
    let requests: Vec<Value> = request["RequestItems"]
        .as_object()
        .into_iter()
        .flat_map(|tables| tables.values())
        .filter_map(|r| r.as_array())
        .flatten()
        .cloned()
        .collect();
    if requests.len() > BATCH_WRITE_ITEMS {
        return refuse(
            "ValidationException",
            format!(
                "Too many items requested for the BatchWriteItem call ({}; at most {BATCH_WRITE_ITEMS})",
                requests.len()
            ),
        );
    }
    let puts: Vec<&Value> = requests.iter().map(|r| &r["PutRequest"]["Item"]).collect();
    let total: usize = puts.iter().filter_map(|i| i.as_object()).map(item_size).sum();
    if total > BATCH_WRITE_BYTES {
        return refuse(
            "ValidationException",
            format!("Item collection size limit: the request's items total {total} bytes, more than {BATCH_WRITE_BYTES}"),
        );
    }
    puts.into_iter().find_map(put)
}

/// Fails the test when a function's request or response would not fit Lambda's 6 MB
/// (API Gateway hands binary bodies over base64-encoded, so those count as such).
pub fn lambda_payload(what: &str, body: &[u8], base64_encoded: bool) {
    let bytes = if base64_encoded {
        body.len().div_ceil(3) * 4
    } else {
        body.len()
    };
    assert!(
        bytes <= LAMBDA_PAYLOAD_BYTES,
        "{what} is {bytes} bytes as Lambda carries it, over its {LAMBDA_PAYLOAD_BYTES}-byte payload limit"
    );
}
