//! The test proxy every moto test goes through refuses what AWS refuses and moto does
//! not, with AWS's error: each rule fires here, and the call just within it goes through.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, Put, PutRequest, TransactWriteItem, WriteRequest};
use aws_sdk_dynamodb::Client;
use certport_tests::aws_limits::{self, lambda_payload};
use certport_tests::moto::Stack;

fn text(bytes: usize) -> AttributeValue {
    AttributeValue::S("x".repeat(bytes))
}

/// An item of about `bytes`, its keys `pk`/`sk` as given.
fn item(pk: &str, sk: &str, bytes: usize) -> std::collections::HashMap<String, AttributeValue> {
    [
        ("pk".to_string(), AttributeValue::S(pk.into())),
        ("sk".to_string(), AttributeValue::S(sk.into())),
        ("doc".to_string(), text(bytes)),
    ]
    .into()
}

/// The error code AWS (here: the proxy) answered, or `None` when the call went through.
fn refused<E: ProvideErrorMetadata, R>(
    outcome: Result<R, aws_sdk_dynamodb::error::SdkError<E>>,
) -> Option<String> {
    outcome.err().map(|e| e.code().unwrap_or("?").to_string())
}

async fn table() -> (Stack, Client) {
    let stack = Stack::create().await;
    let client = Client::new(&stack.sdk);
    (stack, client)
}

#[tokio::test]
async fn an_item_over_400_kb_is_refused() {
    let (stack, db) = table().await;
    let put = |bytes| {
        db.put_item()
            .table_name(&stack.table)
            .set_item(Some(item("a", "b", bytes)))
            .send()
    };
    assert_eq!(refused(put(390 * 1024).await), None);
    assert_eq!(
        refused(put(aws_limits::ITEM_BYTES).await).as_deref(),
        Some("ValidationException")
    );
}

#[tokio::test]
async fn keys_over_their_sizes_are_refused_on_the_table_and_its_indexes() {
    let (stack, db) = table().await;
    let long = |n| "k".repeat(n);
    let cases = [
        (item(&long(2048), "b", 10), None),
        (item(&long(2049), "b", 10), Some("ValidationException")),
        (item("a", &long(1025), 10), Some("ValidationException")),
    ];
    for (item, expected) in cases {
        let outcome = db
            .put_item()
            .table_name(&stack.table)
            .set_item(Some(item))
            .send()
            .await;
        assert_eq!(refused(outcome).as_deref(), expected);
    }
    // An index's sort key, set by an update.
    let outcome = db
        .update_item()
        .table_name(&stack.table)
        .key("pk", AttributeValue::S("a".into()))
        .key("sk", AttributeValue::S("c".into()))
        .update_expression("SET list_pk = :p, list_sk = :s")
        .expression_attribute_values(":p", AttributeValue::S("p".into()))
        .expression_attribute_values(":s", text(1025))
        .send()
        .await;
    assert_eq!(refused(outcome).as_deref(), Some("ValidationException"));
}

fn put(table: &str, n: usize, bytes: usize) -> TransactWriteItem {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item("t", &format!("{n}"), bytes)))
        .build()
        .unwrap();
    TransactWriteItem::builder().put(put).build()
}

#[tokio::test]
async fn a_transaction_over_100_actions_or_4_mb_is_refused() {
    let (stack, db) = table().await;
    let transact =
        |items: Vec<TransactWriteItem>| db.transact_write_items().set_transact_items(Some(items)).send();
    let many: Vec<_> = (0..101).map(|n| put(&stack.table, n, 10)).collect();
    assert_eq!(
        refused(transact(many).await).as_deref(),
        Some("ValidationException")
    );
    let large: Vec<_> = (0..11).map(|n| put(&stack.table, n, 390 * 1024)).collect();
    assert_eq!(
        refused(transact(large).await).as_deref(),
        Some("ValidationException")
    );
    let fine: Vec<_> = (0..100).map(|n| put(&stack.table, n, 10)).collect();
    assert_eq!(refused(transact(fine).await), None);
}

#[tokio::test]
async fn a_batch_write_over_25_items_or_16_mb_is_refused() {
    let (stack, db) = table().await;
    let batch = |count: usize, bytes: usize| {
        let writes: Vec<WriteRequest> = (0..count)
            .map(|n| {
                let put = PutRequest::builder()
                    .set_item(Some(item("b", &format!("{n}"), bytes)))
                    .build()
                    .unwrap();
                WriteRequest::builder().put_request(put).build()
            })
            .collect();
        db.batch_write_item().request_items(&stack.table, writes).send()
    };
    assert_eq!(
        refused(batch(26, 10).await).as_deref(),
        Some("ValidationException")
    );
    assert_eq!(
        refused(batch(25, 700 * 1024).await).as_deref(),
        Some("ValidationException")
    );
    assert_eq!(refused(batch(25, 10).await), None);
}

#[tokio::test]
async fn a_batch_get_over_100_keys_is_refused() {
    let (stack, db) = table().await;
    let get = |count: usize| {
        let keys: Vec<_> = (0..count)
            .map(|n| {
                [
                    ("pk".to_string(), AttributeValue::S("g".into())),
                    ("sk".to_string(), AttributeValue::S(n.to_string())),
                ]
                .into()
            })
            .collect();
        let wanted = aws_sdk_dynamodb::types::KeysAndAttributes::builder()
            .set_keys(Some(keys))
            .build()
            .unwrap();
        db.batch_get_item().request_items(&stack.table, wanted).send()
    };
    assert_eq!(refused(get(101).await).as_deref(), Some("ValidationException"));
    assert_eq!(refused(get(100).await), None);
}

#[tokio::test]
async fn an_sqs_message_over_256_kb_is_refused() {
    let stack = Stack::create().await;
    let sqs = aws_sdk_sqs::Client::new(&stack.sdk);
    let send = |bytes: usize| {
        sqs.send_message()
            .queue_url(&stack.shard_queue_url)
            .message_body("x".repeat(bytes))
            .send()
    };
    assert!(send(aws_limits::SQS_MESSAGE_BYTES).await.is_ok());
    assert!(send(aws_limits::SQS_MESSAGE_BYTES + 1).await.is_err());
}

#[test]
fn a_lambda_payload_over_6_mb_fails_the_test_counting_base64() {
    lambda_payload("a body", &vec![0; 4_500_000], true);
    // 4.8 MB of file is 6.4 MB once API Gateway has base64-encoded it.
    let over = std::panic::catch_unwind(|| lambda_payload("a body", &vec![0; 4_800_000], true));
    assert!(over.is_err());
    lambda_payload("an answer", &vec![0; 6_000_000], false);
}

/// Past a device's limits, a certificate fails alone, the same on every store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_too_long_fails_its_certificate_alone_on_dynamodb_and_on_sqlite() {
    use certport_core::testing::scenarios::a_field_too_long_fails_its_certificate_alone;
    let stack = Stack::create().await;
    a_field_too_long_fails_its_certificate_alone(&stack.function_config().deps(&stack.sdk)).await;
    let dir = tempfile::tempdir().unwrap();
    let embedded = certport_tests::embedded::embedded_deps(dir.path(), certport_core::app::Limits::default());
    a_field_too_long_fails_its_certificate_alone(&embedded).await;
}
