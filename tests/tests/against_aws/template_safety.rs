//! What `template.yaml` must keep, since the stack holds a vault: keys and records outlive
//! the stack (and the table its deletion by mistake), and the HTTP API logs access (never
//! bodies) and throttles. Who may do what is in `template_policies`.

use certport_tests::fixtures::template_resource as resource;

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
fn the_read_function_has_no_kms_at_all() {
    assert!(!resource("InventoryReadsFunction").contains("kms:"));
}

#[test]
fn the_table_cannot_be_deleted_without_turning_its_protection_off_first() {
    assert!(resource("RecordsTable").contains("DeletionProtectionEnabled: true"));
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
