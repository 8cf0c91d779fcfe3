//! Every key of the single table, in one place: each record's partition and sort key,
//! and the key attributes of the indexes (the layout is in this module's parent).

use std::collections::HashMap;

use certport_core::domain::JobKind;

use super::{s, Item};

/// An item's primary key.
pub(crate) fn key(pk: String, sk: impl Into<String>) -> Item {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

pub(crate) fn schema_key() -> Item {
    key("SCHEMA".into(), "VERSION")
}

/// The partition of a tenant's own records (tenant, profiles, edge instances, DEKs,
/// trusted-CA guards, jobs, open work).
pub(crate) fn tenant_pk(tenant_id: &str) -> String {
    format!("TENANT#{tenant_id}")
}

pub(crate) fn tenant_key(tenant_id: &str) -> Item {
    key(tenant_pk(tenant_id), "TENANT")
}

pub(crate) const API_KEY_PREFIX: &str = "APIKEY#";

/// An API key found by the hash of the key presented.
pub(crate) fn api_key_key(hash: &str) -> Item {
    key(format!("{API_KEY_PREFIX}{hash}"), "APIKEY")
}

/// A tenant's API keys by id (their listing); written with `api_key_key`, atomically.
/// A partition of their own, so that no function's role, which may write its tenant's
/// records, can write one.
pub(crate) fn api_key_listing_pk(tenant_id: &str) -> String {
    format!("APIKEYS#{tenant_id}")
}

pub(crate) const API_KEY_LISTING_PREFIX: &str = "APIKEYID#";

pub(crate) fn api_key_listing_key(tenant_id: &str, id: &str) -> Item {
    key(
        api_key_listing_pk(tenant_id),
        format!("{API_KEY_LISTING_PREFIX}{id}"),
    )
}

pub(crate) fn profile_key(tenant_id: &str, id: &str) -> Item {
    key(tenant_pk(tenant_id), format!("PROFILE#{id}"))
}

/// Edge instances in creation order (their listing); `edge_key` finds one by id.
pub(crate) const EDGE_LISTING_PREFIX: &str = "EDGE#";

pub(crate) fn edge_listing_key(tenant_id: &str, created_at: &str, id: &str) -> Item {
    key(
        tenant_pk(tenant_id),
        format!("{EDGE_LISTING_PREFIX}{created_at}#{id}"),
    )
}

pub(crate) fn edge_key(tenant_id: &str, id: &str) -> Item {
    key(tenant_pk(tenant_id), format!("EDGEID#{id}"))
}

pub(crate) fn dek_key(tenant_id: &str, id: &str) -> Item {
    key(tenant_pk(tenant_id), format!("DEK#{id}"))
}

/// What makes a trusted CA unique per tenant (by fingerprint).
pub(crate) fn trusted_ca_guard_key(tenant_id: &str, fingerprint: &str) -> Item {
    key(tenant_pk(tenant_id), format!("TRUSTEDCA#{fingerprint}"))
}

/// A tenant's trusted CAs in the order they were added.
pub(crate) fn trusted_ca_listing_pk(tenant_id: &str) -> String {
    format!("TRUSTEDCA#{tenant_id}")
}

pub(crate) const TRUSTED_CA_LISTING_PREFIX: &str = "CA#";

pub(crate) fn trusted_ca_listing_key(tenant_id: &str, created_at: &str, fingerprint: &str) -> Item {
    key(
        trusted_ca_listing_pk(tenant_id),
        format!("{TRUSTED_CA_LISTING_PREFIX}{created_at}#{fingerprint}"),
    )
}

const JOB_PREFIX: &str = "JOB#";

pub(crate) fn job_key(tenant_id: &str, id: &str) -> Item {
    key(tenant_pk(tenant_id), format!("{JOB_PREFIX}{id}"))
}

/// The tenant and job id of a job's primary key.
pub(crate) fn job_of(pk: &str, sk: &str) -> Option<(String, String)> {
    let tenant = pk.strip_prefix("TENANT#")?;
    let id = sk.strip_prefix(JOB_PREFIX)?;
    Some((tenant.to_string(), id.to_string()))
}

/// `open_pk`: the partition of the `open-jobs` index for jobs of `kind`.
pub(crate) fn open_jobs_pk(kind: JobKind) -> String {
    let kind = match kind {
        JobKind::CertificateImport => "CERTJOB",
        JobKind::KeystoreImport => "KSJOB",
    };
    format!("OPEN#{kind}")
}

/// `open_sk`: open jobs by last activity.
pub(crate) fn open_jobs_sk(active_at: &str, tenant_id: &str, id: &str) -> String {
    format!("{active_at}#{tenant_id}#{id}")
}

pub(crate) fn open_work_key(tenant_id: &str) -> Item {
    key(tenant_pk(tenant_id), "OPENWORK")
}

/// The partition of a certificate job's failures and shard reports.
pub(crate) fn certificate_job_pk(tenant_id: &str, job_id: &str) -> String {
    format!("CERTJOB#{tenant_id}#{job_id}")
}

pub(crate) const FAILURE_PREFIX: &str = "FAILURE#";

pub(crate) fn failure_sk(ordinal: u64) -> String {
    format!("{FAILURE_PREFIX}{ordinal:010}")
}

pub(crate) const SHARD_PREFIX: &str = "SHARD#";

pub(crate) fn shard_report_key(tenant_id: &str, job_id: &str, shard: u32) -> Item {
    key(
        certificate_job_pk(tenant_id, job_id),
        format!("{SHARD_PREFIX}{shard:06}"),
    )
}

/// The partition of a keystore job's item results.
pub(crate) fn keystore_job_pk(tenant_id: &str, job_id: &str) -> String {
    format!("KSJOB#{tenant_id}#{job_id}")
}

pub(crate) const ITEM_PREFIX: &str = "ITEM#";

pub(crate) fn item_result_key(tenant_id: &str, job_id: &str, ordinal: u32) -> Item {
    key(
        keystore_job_pk(tenant_id, job_id),
        format!("{ITEM_PREFIX}{ordinal:06}"),
    )
}

pub(crate) fn device_key(tenant_id: &str, identifier: &str) -> Item {
    key(format!("DEVICE#{tenant_id}#{identifier}"), "DEVICE")
}

pub(crate) fn certificate_key(tenant_id: &str, id: &str) -> Item {
    key(format!("CERTIFICATE#{tenant_id}#{id}"), "CERTIFICATE")
}

/// `lookup_pk` of a device: by its id.
pub(crate) fn device_lookup(tenant_id: &str, id: &str) -> String {
    format!("DEVICEID#{tenant_id}#{id}")
}

/// `lookup_pk` of a certificate: by its SHA-1.
pub(crate) fn sha1_lookup(tenant_id: &str, sha1: &str) -> String {
    format!("SHA1#{tenant_id}#{sha1}")
}

/// `serial_pk` of a certificate.
pub(crate) fn serial_lookup(tenant_id: &str, serial: &str) -> String {
    format!("SERIAL#{tenant_id}#{serial}")
}

/// A tenant's listings (`list_pk`), spread over `LISTING_SHARDS` partitions by the first
/// hex digit of the id, so a large import does not write one index partition hot.
pub(crate) const LISTING_SHARDS: u32 = 8;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Listing {
    Certificates,
    Devices,
}

pub(crate) fn listing_shard_pk(listing: Listing, tenant_id: &str, shard: u32) -> String {
    let kind = match listing {
        Listing::Certificates => "CERTIFICATES",
        Listing::Devices => "DEVICES",
    };
    format!("{kind}#{tenant_id}#{shard}")
}

/// The listing partition of the record with this (hex UUID) id.
pub(crate) fn listing_pk(listing: Listing, tenant_id: &str, id: &str) -> String {
    let shard = id.chars().next().and_then(|c| c.to_digit(16)).unwrap_or(0) % LISTING_SHARDS;
    listing_shard_pk(listing, tenant_id, shard)
}

pub(crate) fn audit_pk(tenant_id: &str) -> String {
    format!("AUDIT#{tenant_id}")
}
