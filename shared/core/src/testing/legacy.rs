//! Documents as the version before the one-record inventory stored them, for the tests
//! that upgrade old data (SQLite at open, DynamoDB with `certport admin upgrade-table`).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sha2::{Digest, Sha256};

/// An old device holding `der`, imported by job `j1` on 2026-01-01: (SHA-256, document).
pub fn device_doc(tenant: &str, identifier: &str, der: &[u8]) -> (String, String) {
    let (certificate, fingerprint) = (B64.encode(der), hex::encode(Sha256::digest(der)));
    let doc = format!(
        r#"{{"tenant_id":"{tenant}","device_identifier":"{identifier}","fingerprint_sha256":"{fingerprint}",
        "certificate":"{certificate}","fields":{{}},"profile_id":"p","job_id":"j1","created_at":"2026-01-01T00:00:00.000000Z"}}"#
    );
    (fingerprint, doc)
}

/// An old stored key of the certificate `der`, imported by job `j2` on 2026-01-02 (before
/// keys recorded their DEK).
pub fn stored_key_doc(tenant: &str, der: &[u8]) -> String {
    let (certificate, fingerprint) = (B64.encode(der), hex::encode(Sha256::digest(der)));
    format!(
        r#"{{"tenant_id":"{tenant}","fingerprint_sha256":"{fingerprint}","fingerprint_sha1":"AB","subject":"CN=x",
        "key_algorithm":"EC","chain":["{certificate}"],"private_key_object":"k","job_id":"j2","ordinal":0,
        "imported_at":"2026-01-02T00:00:00.000000Z"}}"#
    )
}
