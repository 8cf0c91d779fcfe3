//! Every object key, in one place. Processors learn tenant and job from the key of the
//! S3 event, and each prefix has its own notification:
//!
//! - `certificate-import/<tenant>/<job>/<original file name>`: a certificate import zip;
//! - `keystore-import/<tenant>/<job>.json`: a keystore import batch;
//! - `private-keys/<tenant>/<certificate sha256>.json`: an envelope-encrypted private key;
//! - `certificate-import-plans/<tenant>/<job>.skip`: what the plan of a sharded upload
//!   settled (no notification).

pub const CERTIFICATE_IMPORT_PREFIX: &str = "certificate-import/";
pub const KEYSTORE_IMPORT_PREFIX: &str = "keystore-import/";
pub const PRIVATE_KEY_PREFIX: &str = "private-keys/";
pub const SHARD_PLAN_PREFIX: &str = "certificate-import-plans/";

/// The certificates a sharded upload's plan settled, for its shards to skip.
pub fn shard_skip_key(tenant_id: &str, job_id: &str) -> String {
    format!("{SHARD_PLAN_PREFIX}{tenant_id}/{job_id}.skip")
}

pub fn certificate_import_key(tenant_id: &str, job_id: &str, original_file_name: &str) -> String {
    // Keep the user's name recognisable but never a path; S3 accepts any UTF-8.
    let name: String = original_file_name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .take(200)
        .collect();
    let name = if name.is_empty() || name == "." || name == ".." {
        "upload.zip".to_string()
    } else {
        name
    };
    format!("{CERTIFICATE_IMPORT_PREFIX}{tenant_id}/{job_id}/{name}")
}

/// (tenant id, job id) of a certificate import key.
pub fn parse_certificate_import_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix(CERTIFICATE_IMPORT_PREFIX)?;
    let mut parts = rest.splitn(3, '/');
    let tenant = parts.next().filter(|s| !s.is_empty())?;
    let job = parts.next().filter(|s| !s.is_empty())?;
    parts.next().filter(|s| !s.is_empty())?;
    Some((tenant, job))
}

pub fn keystore_import_key(tenant_id: &str, job_id: &str) -> String {
    format!("{KEYSTORE_IMPORT_PREFIX}{tenant_id}/{job_id}.json")
}

/// (tenant id, job id) of a keystore import key.
pub fn parse_keystore_import_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix(KEYSTORE_IMPORT_PREFIX)?.strip_suffix(".json")?;
    let (tenant, job) = rest.split_once('/')?;
    (!tenant.is_empty() && !job.is_empty() && !job.contains('/')).then_some((tenant, job))
}

/// Where the private key of a certificate is kept, envelope-encrypted.
pub fn private_key_key(tenant_id: &str, fingerprint_sha256: &str) -> String {
    format!("{PRIVATE_KEY_PREFIX}{tenant_id}/{fingerprint_sha256}.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_never_nest_paths() {
        let key = certificate_import_key("t1", "j1", "../my certs+1/x.zip");
        assert_eq!(key, "certificate-import/t1/j1/.._my certs+1_x.zip");
        assert_eq!(parse_certificate_import_key(&key), Some(("t1", "j1")));
        assert_eq!(
            certificate_import_key("t", "j", ".."),
            "certificate-import/t/j/upload.zip"
        );
        assert_eq!(parse_certificate_import_key("certificate-import/t1/j1"), None);
        assert_eq!(parse_certificate_import_key("other/t1/j1/x.zip"), None);
        let key = keystore_import_key("t1", "j1");
        assert_eq!(parse_keystore_import_key(&key), Some(("t1", "j1")));
        assert_eq!(parse_keystore_import_key("keystore-import/t1/a/b.json"), None);
        assert_eq!(parse_keystore_import_key("certificate-import/t1/j1.json"), None);
        assert_eq!(private_key_key("t1", "ab"), "private-keys/t1/ab.json");
    }
}
