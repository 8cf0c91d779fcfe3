//! The hostile keystore corpus (`tests/fixtures/keystores/hostile.json`, made by
//! `scripts/make-keystore-fixtures`) as API B batch items, for every place a batch runs.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use certport_core::crypto::seal_to;
use serde_json::{json, Value};

use crate::fixtures::repo_root;

/// One hostile item: what to send, the reason code it must fail with, what it is.
pub struct HostileItem {
    pub item: Value,
    pub expected: String,
    pub note: String,
}

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(repo_root().join("tests/fixtures/keystores").join(name)).unwrap()
}

fn text(name: &Value) -> String {
    String::from_utf8(corpus(name.as_str().unwrap())).unwrap()
}

/// Every hostile item, passwords and keys sealed to the DEK whose public key is `dek`.
pub fn hostile_items(dek: &[u8; 32]) -> Vec<HostileItem> {
    let manifest: Value = serde_json::from_slice(&corpus("hostile.json")).unwrap();
    let seal = |secret: &[u8]| B64.encode(seal_to(dek, secret));
    manifest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            let password = seal(case["password"].as_str().unwrap_or_default().as_bytes());
            let item = if let Some(file) = case["pkcs12"].as_str() {
                json!({"pkcs12Keystore": B64.encode(corpus(file)), "dekEncryptedPassword": password})
            } else if let Some(key) = case.get("encrypted_key") {
                json!({"certificate": text(&case["certificate"]), "passwordEncryptedPrivateKey": text(key),
                       "dekEncryptedPassword": password})
            } else {
                json!({"certificate": text(&case["certificate"]),
                       "dekEncryptedPrivateKey": seal(text(&case["sealed_key"]).as_bytes())})
            };
            HostileItem {
                item,
                expected: case["expected"].as_str().unwrap().to_string(),
                note: case["note"].as_str().unwrap().to_string(),
            }
        })
        .collect()
}

/// The items of a finished job whose outcome is not the expected one, said in words.
pub fn mismatches(cases: &[HostileItem], results: &[Value]) -> Vec<String> {
    cases
        .iter()
        .zip(results)
        .filter(|(case, result)| {
            let got = match result["status"].as_str() {
                Some("FAILED") => result["reasonCode"].as_str().unwrap_or("?"),
                other => other.unwrap_or("?"),
            };
            got != case.expected
        })
        .map(|(case, result)| format!("{}: expected {}, got {result}", case.note, case.expected))
        .collect()
}
