//! The port contract suites, run against DynamoDB, S3 and KMS over the wire (moto server).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use certport_aws::{DynamoStore, KmsKeyService, S3ObjectStore};
use certport_core::domain::CertificateRecord;
use certport_core::ports::decode_record;
use certport_core::testing::{concurrent_contracts, contracts};
use certport_tests::moto::Stack;

mod dynamodb {
    use super::*;

    certport_core::store_contract_tests!({
        let stack = Stack::create().await;
        DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), &stack.table)
    });
}

#[tokio::test]
async fn s3_object_store_passes_the_contract() {
    let stack = Stack::create().await;
    contracts::object_store_contract(&S3ObjectStore::new(stack.s3(), &stack.bucket)).await;
}

#[tokio::test]
async fn kms_key_service_passes_the_contract() {
    let stack = Stack::create().await;
    let keys = KmsKeyService::new(aws_sdk_kms::Client::new(&stack.sdk), &stack.kms_key_id);
    contracts::key_service_contract(&keys).await;
}

fn text<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> &'a str {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map_or("", String::as_str)
}

/// After racing inserts, every certificate claimed by a device names a device that holds
/// that certificate, and every device has its claim: nothing was half-written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_device_inserts_leave_no_orphan_certificate_claims() {
    let stack = Stack::create().await;
    let client = aws_sdk_dynamodb::Client::new(&stack.sdk);
    let store = DynamoStore::new(client.clone(), &stack.table);
    concurrent_contracts::concurrent_overlapping_device_inserts_insert_each_device_once(&store).await;
    concurrent_contracts::concurrent_jobs_with_one_identifier_make_one_device(&store).await;

    let items = client
        .scan()
        .table_name(&stack.table)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let devices: HashMap<&str, &str> = items
        .iter()
        .filter(|i| text(i, "sk") == "DEVICE")
        .map(|i| (text(i, "pk"), text(i, "fingerprint_sha256")))
        .collect();
    let claims: Vec<_> = items
        .iter()
        .filter(|i| text(i, "sk") == "CERTIFICATE" && !text(i, "device_job_id").is_empty())
        .collect();
    assert_eq!(claims.len(), devices.len(), "one claimed certificate per device");
    for claim in claims {
        let record: CertificateRecord = decode_record(text(claim, "doc")).unwrap();
        let device_pk = format!("DEVICE#{}#{}", record.tenant_id, text(claim, "device_identifier"));
        let fingerprint = record.fingerprint_sha256.as_str();
        assert_eq!(devices.get(device_pk.as_str()), Some(&fingerprint), "{device_pk}");
    }
}
