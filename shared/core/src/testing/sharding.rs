//! An upload whose repeats and clashes cross its files (so its shards, at one file or
//! a few a shard), and the inventory an earlier import left: the same job result is
//! expected whether the upload runs in one go or in shards, on every storage.

use super::certs::{self_signed, KeyType};
use super::zip_of;
use crate::domain::FailureReason;

/// Shards of at least this many certificates cut the upload into several (its files
/// hold two each).
pub const SHARD_CERTIFICATES: u64 = 3;

pub struct ShardingScenario {
    /// A zip to import first: the certificates the upload then clashes with.
    pub earlier: Vec<u8>,
    /// Five files of two certificates.
    pub upload: Vec<u8>,
}

/// The upload's total, and its failures in order as (file, index, reason).
pub const EXPECTED_TOTAL: u64 = 10;
pub const EXPECTED_FAILURES: [(&str, u32, FailureReason); 5] = [
    // Already in the inventory: the store refuses it.
    ("b.pem", 0, FailureReason::Duplicate),
    // a.pem #0 again, in another shard: the plan catches it.
    ("c.pem", 0, FailureReason::Duplicate),
    // Another certificate for a device the earlier import made: the store refuses it.
    ("c.pem", 1, FailureReason::DeviceIdentifierConflict),
    ("d.pem", 0, FailureReason::MalformedPem),
    // Another certificate for a.pem #1's device, in another shard: the plan catches it.
    ("d.pem", 1, FailureReason::DeviceIdentifierConflict),
];

pub fn sharding_scenario() -> ShardingScenario {
    let cert = |cn: &str| self_signed(KeyType::EcP256, &format!("/CN={cn}"), None).pem;
    let (earlier, held_device) = (cert("shard-earlier"), cert("shard-held"));
    let (a, b) = (cert("shard-a"), cert("shard-b"));
    let malformed = "-----BEGIN CERTIFICATE-----\n!!not base64!!\n-----END CERTIFICATE-----\n";
    let files = [
        ("a.pem", format!("{a}{b}")),
        ("b.pem", format!("{earlier}{}", cert("shard-c"))),
        ("c.pem", format!("{a}{}", cert("shard-held"))),
        ("d.pem", format!("{malformed}{}", cert("shard-b"))),
        ("e.pem", format!("{}{}", cert("shard-d"), cert("shard-e"))),
    ];
    let files: Vec<(&str, &[u8])> = files.iter().map(|(n, c)| (*n, c.as_bytes())).collect();
    let earlier_zip = format!("{earlier}{held_device}");
    ShardingScenario {
        earlier: zip_of(&[("earlier.pem", earlier_zip.as_bytes())]),
        upload: zip_of(&files),
    }
}
