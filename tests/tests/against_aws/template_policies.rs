//! Who may do what, as `template.yaml` grants it, read the way CloudFormation reads it
//! (cfn-lint's loader, pinned in the test virtualenv): each function writes only the
//! partitions of the records it owns and holds no action it does not use, no role can
//! write an API key, and the KMS key policies name every role that may use a key, for
//! what; the account administers the keys but cannot use them.

use std::collections::{BTreeMap, BTreeSet};

use certport_tests::fixtures::repo_root;
use certport_tests::python::run_json;
use serde_json::{json, Value};

fn template() -> Value {
    const LOAD: &str = r#"
import json, sys
from cfnlint.decode import cfn_yaml
print(json.dumps(cfn_yaml.load(json.load(sys.stdin)["path"]), default=str))
"#;
    let path = repo_root().join("template.yaml");
    run_json(LOAD, &json!({"path": path}))
}

/// A value that may be one string or a list of them.
fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::String(s) => vec![s.clone()],
        other => vec![other.to_string()],
    }
}

fn functions(template: &Value) -> Vec<(String, Value)> {
    let resources = template["Resources"].as_object().unwrap();
    resources
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(name, r)| (name.clone(), r["Properties"]["Policies"].clone()))
        .collect()
}

fn statements(policies: &Value) -> Vec<Value> {
    let documents = policies.as_array().cloned().unwrap_or_default();
    documents
        .iter()
        .flat_map(|d| d["Statement"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// DynamoDB actions on the table (or its indexes), each with the partitions a write is
/// held to (`dynamodb:LeadingKeys`); none for reads.
type TableAccess = BTreeMap<String, Vec<String>>;

fn table_access(policies: &Value) -> TableAccess {
    let mut access = TableAccess::new();
    for statement in statements(policies) {
        if !statement["Resource"].to_string().contains("RecordsTable") {
            continue;
        }
        let leading = &statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"];
        for action in strings(&statement["Action"]) {
            let partitions = access.entry(action.replace("dynamodb:", "")).or_default();
            partitions.extend(strings(leading).into_iter().filter(|p| p != "null"));
        }
    }
    access
}

/// An action on the table, and the partitions it is held to (none: a read).
type Grant = (&'static str, &'static [&'static str]);

/// What each function may do to the table: reads, and writes by partition.
const TABLE: &[(&str, &[Grant])] = &[
    (
        "EnrollmentProfilesFunction",
        &[("GetItem", &[]), ("PutItem", &["TENANT#*"])],
    ),
    (
        "CertificateImportUploadFunction",
        &[
            ("GetItem", &[]),
            ("PutItem", &["TENANT#*"]),
            ("UpdateItem", &["TENANT#*"]),
        ],
    ),
    (
        "CertificateImportStatusFunction",
        &[("GetItem", &[]), ("Query", &[])],
    ),
    (
        "CertificateImportProcessorFunction",
        &[
            ("BatchWriteItem", &["CERTJOB#*"]),
            ("GetItem", &[]),
            ("PutItem", &["TENANT#*", "DEVICE#*", "CERTJOB#*"]),
            ("Query", &[]),
            ("UpdateItem", &["TENANT#*", "CERTIFICATE#*"]),
        ],
    ),
    (
        "InventoryReadsFunction",
        &[("BatchGetItem", &[]), ("GetItem", &[]), ("Query", &[])],
    ),
    (
        "CertificateExportFunction",
        &[("GetItem", &[]), ("PutItem", &["AUDIT#*"]), ("Query", &[])],
    ),
    (
        "KeystoreAdminFunction",
        &[
            ("GetItem", &[]),
            ("PutItem", &["TENANT#*", "TRUSTEDCA#*"]),
            ("Query", &[]),
        ],
    ),
    (
        "KeystoreImportUploadFunction",
        &[
            ("GetItem", &[]),
            ("PutItem", &["TENANT#*"]),
            ("UpdateItem", &["TENANT#*"]),
        ],
    ),
    (
        "KeystoreImportStatusFunction",
        &[("GetItem", &[]), ("Query", &[])],
    ),
    (
        "KeystoreImportProcessorFunction",
        &[
            ("BatchWriteItem", &["KSJOB#*"]),
            ("GetItem", &[]),
            ("PutItem", &["TENANT#*"]),
            ("Query", &[]),
            ("UpdateItem", &["TENANT#*", "CERTIFICATE#*"]),
        ],
    ),
    (
        "JobSweeperFunction",
        &[
            ("GetItem", &[]),
            ("PutItem", &["TENANT#*"]),
            ("Query", &[]),
            ("UpdateItem", &["TENANT#*"]),
        ],
    ),
    (
        "ProcessorFailuresFunction",
        &[
            ("GetItem", &[]),
            ("PutItem", &["TENANT#*"]),
            ("UpdateItem", &["TENANT#*"]),
        ],
    ),
];

#[test]
fn each_function_holds_only_the_table_actions_it_uses_writing_only_its_own_partitions() {
    let template = template();
    let found: BTreeMap<String, TableAccess> = functions(&template)
        .into_iter()
        .map(|(name, policies)| (name, table_access(&policies)))
        .collect();
    let expected: BTreeMap<String, TableAccess> = TABLE
        .iter()
        .map(|(name, access)| {
            let access = access
                .iter()
                .map(|(action, keys)| (action.to_string(), keys.iter().map(|k| k.to_string()).collect()))
                .collect();
            (name.to_string(), access)
        })
        .collect();
    assert_eq!(found, expected);
}

/// `pattern` (`PREFIX*`, as IAM's StringLike reads it here) admits `partition`.
fn admits(pattern: &str, partition: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => partition.starts_with(prefix),
        None => pattern == partition,
    }
}

#[test]
fn no_function_may_write_an_api_key_or_the_schema_version() {
    let template = template();
    for (name, policies) in functions(&template) {
        for (action, partitions) in table_access(&policies) {
            for partition in ["APIKEY#0a1b", "APIKEYS#tenant", "SCHEMA"] {
                let writes =
                    ["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"].contains(&action.as_str());
                assert!(
                    !writes || !partitions.iter().any(|p| admits(p, partition)),
                    "{name} may {action} {partition}"
                );
            }
        }
    }
}

/// A key's grants: (roles or `root`, actions, the condition's key and value).
fn grants(template: &Value, key: &str) -> Vec<(BTreeSet<String>, Vec<String>, String)> {
    let policy = &template["Resources"][key]["Properties"]["KeyPolicy"];
    statements(&json!([policy]))
        .into_iter()
        .map(|s| {
            let principals = match &s["Principal"]["AWS"] {
                Value::Array(items) => items.iter().map(principal).collect(),
                one => BTreeSet::from([principal(one)]),
            };
            (
                principals,
                strings(&s["Action"]),
                s["Condition"]["StringEquals"].to_string(),
            )
        })
        .collect()
}

/// A principal as the template names it: a role by its logical id, or `root`.
fn principal(value: &Value) -> String {
    match value.get("Fn::GetAtt") {
        Some(attribute) => attribute[0].as_str().unwrap_or_default().to_string(),
        None if value.to_string().contains(":root") => "root".into(),
        None => value.to_string(),
    }
}

/// The roles that may do `action` on `key` under `purpose` (certport's encryption context).
fn who_may(template: &Value, key: &str, action: &str, purpose: &str) -> BTreeSet<String> {
    let condition = format!("\"kms:EncryptionContext:certport:purpose\":\"{purpose}\"");
    grants(template, key)
        .into_iter()
        .filter(|(_, actions, cond)| actions.iter().any(|a| a == action) && cond.contains(&condition))
        .flat_map(|(principals, _, _)| principals)
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

#[test]
fn the_key_policies_name_who_may_open_a_private_key_or_a_dek() {
    let template = template();
    assert_eq!(
        who_may(&template, "DataKey", "kms:Decrypt", "private-key"),
        set(&["CertificateExportFunctionRole"])
    );
    assert_eq!(
        who_may(&template, "DataKey", "kms:GenerateDataKey", "private-key"),
        set(&["KeystoreImportProcessorFunctionRole"])
    );
    assert_eq!(
        who_may(&template, "DekKey", "kms:Decrypt", "dek"),
        set(&[
            "CertificateExportFunctionRole",
            "KeystoreImportProcessorFunctionRole"
        ])
    );
    assert_eq!(who_may(&template, "DekKey", "kms:Encrypt", "dek"), set(&["root"]));
}

#[test]
fn the_account_administers_the_keys_and_uses_them_only_through_their_conditions() {
    let template = template();
    for key in ["DataKey", "DekKey"] {
        for (principals, actions, condition) in grants(&template, key) {
            let uses: Vec<&String> = actions
                .iter()
                .filter(|a| {
                    ["kms:*", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"].contains(&a.as_str())
                })
                .collect();
            if principals.contains("root") {
                assert!(uses.is_empty(), "{key}: the account may {uses:?}");
            }
            // Every use is bound to a purpose or to S3's encryption of the bucket.
            if !uses.is_empty()
                || actions
                    .iter()
                    .any(|a| a.starts_with("kms:Encrypt") || a.starts_with("kms:Generate"))
            {
                assert!(
                    condition.contains("certport:purpose") || condition.contains("kms:ViaService"),
                    "{key}: {actions:?} for {principals:?} without a condition"
                );
            }
        }
    }
    for (name, policies) in functions(&template) {
        assert!(
            !policies.to_string().contains("kms:"),
            "{name}: KMS is granted by the key policies alone"
        );
    }
}

/// Without `s3:ListBucket`, S3 answers a missing object 403, and the job would say storage
/// refused it instead of saying the upload is gone.
#[test]
fn every_function_that_reads_stored_objects_may_tell_a_missing_one() {
    let template = template();
    for (name, policies) in functions(&template) {
        let grants = statements(&policies);
        let reads = grants
            .iter()
            .any(|s| strings(&s["Action"]).iter().any(|a| a == "s3:GetObject"));
        let lists = grants
            .iter()
            .any(|s| strings(&s["Action"]).iter().any(|a| a == "s3:ListBucket"));
        assert_eq!(
            reads, lists,
            "{name}: reads objects {reads}, may list the bucket {lists}"
        );
    }
}
