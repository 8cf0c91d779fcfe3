//! The port contract suites, run against DynamoDB, S3 and KMS over the wire (moto server).

use certport_aws::{DynamoRecordStore, KmsKeyService, S3ObjectStore};
use certport_core::testing::contracts;
use certport_tests::moto::Stack;

#[tokio::test]
async fn dynamodb_record_store_passes_the_contract() {
    let stack = Stack::create().await;
    let store = DynamoRecordStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), &stack.table);
    contracts::record_store_contract(&store).await;
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

#[tokio::test]
async fn dynamodb_keystore_store_passes_the_contract() {
    let stack = Stack::create().await;
    let store = DynamoRecordStore::new(aws_sdk_dynamodb::Client::new(&stack.sdk), &stack.table);
    certport_core::testing::keystore_contract::keystore_store_contract(&store).await;
}
