//! What `template.yaml` must keep, since the stack holds a vault: keys and records outlive
//! the stack, only the export function may decrypt a stored private key, and the HTTP
//! API logs access (never bodies) and throttles.

use certport_tests::fixtures::{template_resource as resource, template_resources as resources};

#[test]
fn deleting_or_replacing_the_stack_keeps_the_table_the_bucket_and_both_keys() {
    for name in ["RecordsTable", "UploadBucket", "DataKey", "DekKey"] {
        let text = resource(name);
        assert!(
            text.contains("DeletionPolicy: Retain") && text.contains("UpdateReplacePolicy: Retain"),
            "{name}"
        );
    }
}

#[test]
fn only_the_export_function_may_decrypt_a_stored_private_key() {
    let decrypting: Vec<String> = resources()
        .into_iter()
        .filter(|(_, text)| {
            text.contains("Type: AWS::Serverless::Function")
                && text.contains("kms:EncryptionContext:certport:purpose: private-key")
        })
        .filter(|(_, text)| {
            // The statement naming the private-key purpose grants Decrypt (not only GenerateDataKey).
            text.split("- Sid: ").any(|statement| {
                statement.contains("purpose: private-key") && statement.contains("Action: kms:Decrypt")
            })
        })
        .map(|(name, _)| name)
        .collect();
    assert_eq!(decrypting, ["CertificateExportFunction"]);
    assert!(
        !resource("InventoryReadsFunction").contains("kms:"),
        "the read function has no KMS at all"
    );
}

#[test]
fn the_http_api_logs_access_as_json_without_bodies_and_throttles_every_route() {
    let api = resource("HttpApi");
    assert!(
        api.contains("AccessLogSettings:") && api.contains("\"requestId\""),
        "{api}"
    );
    let format = api.split("Format:").nth(1).unwrap();
    assert!(
        !format.to_lowercase().contains("body"),
        "no request or response body in the access log: {format}"
    );
    assert!(api.contains("ThrottlingRateLimit: !Ref ThrottlingRateLimit"));
    assert!(api.contains("ThrottlingBurstLimit: !Ref ThrottlingBurstLimit"));
}

#[test]
fn the_processors_have_reserved_concurrency_so_imports_cannot_take_the_accounts() {
    for (function, parameter) in [
        (
            "CertificateImportProcessorFunction",
            "CertificateProcessorConcurrency",
        ),
        ("KeystoreImportProcessorFunction", "KeystoreProcessorConcurrency"),
    ] {
        let text = resource(function);
        assert!(
            text.contains(&format!("ReservedConcurrentExecutions: !Ref {parameter}")),
            "{function}: {text}"
        );
    }
}

/// A number a resource sets, as `name: 123`.
fn setting(text: &str, name: &str) -> u64 {
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in {text}"));
    line.split(':').nth(1).unwrap().trim().parse().unwrap()
}

#[test]
fn a_failed_shard_alone_is_delivered_again_within_minutes() {
    let processor = resource("CertificateImportProcessorFunction");
    assert!(
        processor.contains("FunctionResponseTypes: [ReportBatchItemFailures]"),
        "{processor}"
    );
    let timeout = setting(&processor, "Timeout");
    let visibility = setting(&resource("CertificateShards"), "VisibilityTimeout");
    assert!(
        (timeout..=timeout + 120).contains(&visibility),
        "visibility {visibility} s for a {timeout} s function"
    );
}
