//! Limits on what one request, upload or job may hold or take, with safe defaults; each
//! can be set through the environment (Lambda function configuration, or `certport serve`).

use std::time::Duration;

use crate::domain::search::SearchLimits;
use crate::domain::WorkQuota;
use crate::parsing::keystore::Pkcs12Limits;
use crate::parsing::ZipLimits;

use crate::domain::MAX_BATCH_ITEMS;

/// Limits on what one request or upload may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    pub zip: ZipLimits,
    /// Certificates one upload may hold.
    pub max_certificates: u64,
    /// DER size of one certificate.
    pub max_certificate_bytes: usize,
    /// Devices handed to the inventory per `insert_devices` call.
    pub device_batch_size: usize,
    pub pkcs12: Pkcs12Limits,
    /// Keystore items opened at once (KDFs are CPU-bound; one per core is enough).
    pub keystore_workers: usize,
    /// Largest file accepted through an upload URL.
    pub max_upload_bytes: u64,
    /// How long an upload URL stays valid.
    pub upload_url_ttl: std::time::Duration,
    /// How long an unfinished job may go without progress before the sweeper fails it.
    pub job_deadline: std::time::Duration,
    /// What a certificate search expression may hold.
    pub search: SearchLimits,
    /// Stored uploads from this size on are split into shards, where a shard queue is
    /// configured (AWS); smaller ones are one run.
    pub shard_upload_bytes: u64,
    /// Certificates a shard aims at: whole files are added to a shard until it holds
    /// at least this many.
    pub shard_certificates: u64,
    /// Failures a job's status lists (the rest are paged through the failures route).
    pub status_failures: usize,
    /// CA certificates a tenant may trust (their list is answered whole).
    pub max_trusted_cas: usize,
    /// Unfinished work one tenant may hold, so one cannot take every processor.
    pub work_quota: WorkQuota,
    /// PBKDF2 (and PKCS#12 MAC) iterations of a private-key export.
    pub export_iterations: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // API Gateway and Lambda cap synchronous payloads at 6 MB.
            max_body_bytes: 6 * 1024 * 1024,
            zip: ZipLimits::default(),
            // A 1 GiB zip holds about 1.8 million (on AWS, split into shards of `shard_certificates`).
            max_certificates: 2_000_000,
            max_certificate_bytes: 64 * 1024,
            device_batch_size: 1000,
            pkcs12: Pkcs12Limits::default(),
            keystore_workers: std::thread::available_parallelism().map_or(2, usize::from),
            max_upload_bytes: 1024 * 1024 * 1024,
            upload_url_ttl: std::time::Duration::from_secs(15 * 60),
            // Past the processors' retries (their events expire after an hour) and upload URLs.
            job_deadline: std::time::Duration::from_secs(2 * 60 * 60),
            search: SearchLimits::default(),
            // About 120,000 certificates: half a minute in one run.
            shard_upload_bytes: 64 * 1024 * 1024,
            // About 25 s of writes at DynamoDB's pace (docs/scaling.md).
            shard_certificates: 100_000,
            // About 30 KB of answer, whatever the job's size.
            status_failures: 100,
            max_trusted_cas: 1000,
            // Below the processors' reserved concurrency (template.yaml), so a few
            // tenants at their limit still leave room for the others.
            work_quota: WorkQuota {
                max_open_jobs: 20,
                max_keystore_items: 500,
            },
            export_iterations: crate::crypto::DEFAULT_EXPORT_ITERATIONS,
        }
    }
}

/// A limit set in the environment to something unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable {name} must be a whole number above 0 ({what})")]
pub struct LimitError {
    pub name: &'static str,
    pub what: &'static str,
}

/// The largest certificate a store keeps: with its record it must fit one DynamoDB item
/// (400 KB, the DER base64-encoded in it).
pub const MAX_STORABLE_CERTIFICATE_BYTES: u64 = 256 * 1024;

type Setter = fn(&mut Limits, u64);

/// Every limit's environment variable, what it limits, and how it is set.
pub const LIMIT_VARIABLES: &[(&str, &str, Setter)] = &[
    (
        "CERTPORT_SEARCH_MAX_DEPTH",
        "nesting depth of a search expression",
        |l, v| l.search.max_depth = v as usize,
    ),
    (
        "CERTPORT_SEARCH_MAX_OPERANDS",
        "operands of a search expression",
        |l, v| l.search.max_operands = v as usize,
    ),
    (
        "CERTPORT_SEARCH_MAX_VALUE_BYTES",
        "bytes of one search value",
        |l, v| l.search.max_value_bytes = v as usize,
    ),
    (
        "CERTPORT_MAX_BODY_BYTES",
        "largest request body, bytes",
        |l, v| l.max_body_bytes = v as usize,
    ),
    (
        "CERTPORT_MAX_UPLOAD_BYTES",
        "largest file through an upload URL, bytes",
        |l, v| l.max_upload_bytes = v,
    ),
    (
        "CERTPORT_UPLOAD_URL_TTL_SECS",
        "seconds an upload URL stays valid",
        |l, v| l.upload_url_ttl = Duration::from_secs(v),
    ),
    ("CERTPORT_ZIP_MAX_ENTRIES", "entries in a zip", |l, v| {
        l.zip.max_entries = v as usize
    }),
    (
        "CERTPORT_ZIP_MAX_ENTRY_BYTES",
        "uncompressed size of one zip entry, bytes",
        |l, v| l.zip.max_entry_size = v,
    ),
    (
        "CERTPORT_ZIP_MAX_TOTAL_BYTES",
        "uncompressed size of a whole zip, bytes",
        |l, v| l.zip.max_total_size = v,
    ),
    (
        "CERTPORT_MAX_CERTIFICATES",
        "certificates in one upload",
        |l, v| l.max_certificates = v,
    ),
    (
        "CERTPORT_MAX_CERTIFICATE_BYTES",
        "DER size of one certificate, bytes",
        |l, v| l.max_certificate_bytes = v as usize,
    ),
    (
        "CERTPORT_DEVICE_BATCH_SIZE",
        "devices written per store call",
        |l, v| l.device_batch_size = v as usize,
    ),
    (
        "CERTPORT_PKCS12_MAX_BYTES",
        "size of one keystore or key item, bytes",
        |l, v| l.pkcs12.max_bytes = v as usize,
    ),
    (
        "CERTPORT_PKCS12_MAX_ITERATIONS",
        "KDF or MAC iterations a keystore may ask for",
        |l, v| l.pkcs12.max_iterations = v,
    ),
    (
        "CERTPORT_PKCS12_MAX_KDF_WORK",
        "KDF iterations of all a keystore item's derivations together",
        |l, v| l.pkcs12.max_kdf_work = v,
    ),
    (
        "CERTPORT_PKCS12_MAX_SCRYPT_MEMORY",
        "memory one scrypt derivation may need, bytes",
        |l, v| l.pkcs12.max_scrypt_memory = v,
    ),
    (
        "CERTPORT_PKCS12_MAX_ENTRIES",
        "safes and bags in one keystore",
        |l, v| l.pkcs12.max_entries = v as usize,
    ),
    (
        "CERTPORT_KEYSTORE_WORKERS",
        "keystore items opened at once",
        |l, v| l.keystore_workers = v as usize,
    ),
    (
        "CERTPORT_STATUS_MAX_FAILURES",
        "failures a job's status lists (the rest are paged)",
        |l, v| l.status_failures = v as usize,
    ),
    (
        "CERTPORT_MAX_TRUSTED_CAS",
        "CA certificates a tenant may trust",
        |l, v| l.max_trusted_cas = v as usize,
    ),
    (
        "CERTPORT_MAX_OPEN_JOBS",
        "unfinished import jobs one tenant may have",
        |l, v| l.work_quota.max_open_jobs = v.min(u32::MAX.into()) as u32,
    ),
    (
        "CERTPORT_MAX_KEYSTORE_ITEMS_IN_FLIGHT",
        "keystore items one tenant may have in unfinished jobs",
        |l, v| l.work_quota.max_keystore_items = v.min(u32::MAX.into()) as u32,
    ),
    (
        "CERTPORT_JOB_DEADLINE_SECS",
        "seconds an unfinished job may go without progress before it is failed",
        |l, v| l.job_deadline = Duration::from_secs(v),
    ),
    (
        "CERTPORT_SHARD_UPLOAD_BYTES",
        "size from which a stored upload is split into shards, bytes",
        |l, v| l.shard_upload_bytes = v,
    ),
    (
        "CERTPORT_SHARD_CERTIFICATES",
        "certificates a shard aims at",
        |l, v| l.shard_certificates = v,
    ),
    (
        "CERTPORT_EXPORT_KDF_ITERATIONS",
        "PBKDF2 iterations of a private-key export",
        |l, v| l.export_iterations = v.min(u32::MAX.into()) as u32,
    ),
];

/// Fewer would be weaker than exports ever were; Java's keytool refuses more.
const EXPORT_ITERATIONS_RANGE: std::ops::RangeInclusive<u32> = 10_000..=5_000_000;

impl Limits {
    /// The defaults, with every variable of `LIMIT_VARIABLES` that `lookup` finds applied.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Limits, LimitError> {
        let mut limits = Limits::default();
        for (name, what, set) in LIMIT_VARIABLES {
            let Some(value) = lookup(name) else {
                continue;
            };
            let value: u64 = value
                .trim()
                .parse()
                .ok()
                .filter(|v| *v > 0)
                .ok_or(LimitError { name, what })?;
            set(&mut limits, value);
        }
        if limits.max_certificate_bytes as u64 > MAX_STORABLE_CERTIFICATE_BYTES {
            return Err(LimitError {
                name: "CERTPORT_MAX_CERTIFICATE_BYTES",
                what: "and at most 262144: a certificate must fit one DynamoDB item with its record",
            });
        }
        if !EXPORT_ITERATIONS_RANGE.contains(&limits.export_iterations) {
            return Err(LimitError {
                name: "CERTPORT_EXPORT_KDF_ITERATIONS",
                what: "from 10000 to 5000000: fewer is weaker than OWASP allows, more is past what keytool opens",
            });
        }
        if (limits.work_quota.max_keystore_items as usize) < MAX_BATCH_ITEMS {
            return Err(LimitError {
                name: "CERTPORT_MAX_KEYSTORE_ITEMS_IN_FLIGHT",
                what: "and at least 100: one keystore batch may hold that many",
            });
        }
        Ok(limits)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<Limits, LimitError> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Limits::from_env(|name| vars.get(name).cloned())
    }

    #[test]
    fn variables_override_defaults_and_bad_values_are_named() {
        assert_eq!(from(&[]).unwrap(), Limits::default());
        let limits = from(&[
            ("CERTPORT_ZIP_MAX_ENTRIES", "5"),
            ("CERTPORT_PKCS12_MAX_ITERATIONS", " 1000 "),
            ("CERTPORT_JOB_DEADLINE_SECS", "60"),
        ])
        .unwrap();
        assert_eq!(limits.zip.max_entries, 5);
        assert_eq!(limits.pkcs12.max_iterations, 1000);
        assert_eq!(limits.job_deadline, Duration::from_secs(60));
        assert_eq!(limits.max_body_bytes, Limits::default().max_body_bytes);
        for bad in ["0", "-3", "lots", ""] {
            let error = from(&[("CERTPORT_ZIP_MAX_TOTAL_BYTES", bad)]).unwrap_err();
            assert_eq!(error.name, "CERTPORT_ZIP_MAX_TOTAL_BYTES");
        }
    }

    #[test]
    fn a_keystore_item_quota_below_one_batch_is_refused() {
        let error = from(&[("CERTPORT_MAX_KEYSTORE_ITEMS_IN_FLIGHT", "99")]).unwrap_err();
        assert_eq!(error.name, "CERTPORT_MAX_KEYSTORE_ITEMS_IN_FLIGHT");
        let limits = from(&[("CERTPORT_MAX_KEYSTORE_ITEMS_IN_FLIGHT", "100")]).unwrap();
        assert_eq!(limits.work_quota.max_keystore_items, 100);
    }

    #[test]
    fn export_iterations_below_the_old_floor_or_past_keytool_are_refused() {
        assert_eq!(Limits::default().export_iterations, 600_000);
        for bad in ["9999", "5000001"] {
            let error = from(&[("CERTPORT_EXPORT_KDF_ITERATIONS", bad)]).unwrap_err();
            assert_eq!(error.name, "CERTPORT_EXPORT_KDF_ITERATIONS");
        }
        let limits = from(&[("CERTPORT_EXPORT_KDF_ITERATIONS", "1000000")]).unwrap();
        assert_eq!(limits.export_iterations, 1_000_000);
    }
}
