//! PKCS#12: the limits an item is held to, and opening an archive (`pfx`: our own walk,
//! every key derivation paid for before it runs) into keys and certificates.

use der::Decode;
use pkcs12::pfx::Pfx;
use zeroize::Zeroizing;

use super::KeystoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pkcs12Limits {
    pub max_bytes: usize,
    /// For the MAC and every PBKDF2/PKCS#12 KDF; OpenSSL 3 uses 2048, keytool 10000.
    pub max_iterations: u64,
    /// All the key derivations of one item together: iterations (scrypt: `N·r·p`).
    pub max_kdf_work: u64,
    /// Memory one scrypt derivation may need (`128·r·N`).
    pub max_scrypt_memory: u64,
    /// Safes, and bags (keys, certificates, anything else), in one keystore: a key with
    /// its chain needs a handful.
    pub max_entries: usize,
}

impl Default for Pkcs12Limits {
    fn default() -> Self {
        Pkcs12Limits {
            max_bytes: 1024 * 1024,
            max_iterations: 600_000,
            // A MAC, a certificate safe and a key at the per-derivation limit (how OpenSSL
            // with `-iter 600000`, and certport's own exports, write them): about a second
            // and a half of one core.
            max_kdf_work: 1_800_000,
            // OpenSSL 3's scrypt default (N = 2^14, r = 8) needs 16 MiB.
            max_scrypt_memory: 64 * 1024 * 1024,
            max_entries: 64,
        }
    }
}

/// What an archive holds: PKCS#8 keys (DER) and certificates (DER), in file order.
pub struct KeystoreContents {
    pub private_keys: Vec<Zeroizing<Vec<u8>>>,
    pub certificates: Vec<Vec<u8>>,
}

/// Opens a PKCS#12 archive with `password` (already unsealed).
pub fn open_pkcs12(
    data: &[u8],
    password: &str,
    limits: &Pkcs12Limits,
) -> Result<KeystoreContents, KeystoreError> {
    if data.len() > limits.max_bytes {
        return Err(KeystoreError::TooLarge(limits.max_bytes));
    }
    let pfx = Pfx::from_der(data).map_err(|e| KeystoreError::malformed("PKCS#12 file", e))?;
    if pfx.version != pkcs12::pfx::Version::V3 {
        return Err(KeystoreError::malformed("PKCS#12 file", "not version 3"));
    }
    let contents = super::pfx::open(&pfx, password, limits)?;
    if contents.private_keys.len() + contents.certificates.len() > limits.max_entries {
        return Err(KeystoreError::TooManyEntries(limits.max_entries));
    }
    if contents.private_keys.is_empty() && contents.certificates.is_empty() {
        // What a wrong password looks like on files without MAC and with unencrypted-looking bags.
        return Err(KeystoreError::NoPrivateKey);
    }
    // Every certificate must be DER, as OpenSSL and Python `cryptography` require: the
    // lenient X.509 parser would otherwise let a damaged one through, unused and unseen.
    let count = contents.certificates.len();
    for (n, der) in contents.certificates.iter().enumerate() {
        if let Err(e) = cms::cert::x509::Certificate::from_der(der) {
            if !is_time_out_of_range(&e) {
                return Err(KeystoreError::Malformed {
                    what: "certificate of the keystore",
                    detail: format!("certificate {} of {count}: {e}", n + 1),
                });
            }
        }
    }
    Ok(contents)
}

/// The strict decoder represents times from 1970 only; a valid UTCTime from 1950 to 1969
/// (old test suites and CAs have them) is not damage.
fn is_time_out_of_range(error: &der::Error) -> bool {
    match error.kind() {
        der::ErrorKind::DateTime => true,
        der::ErrorKind::Value { tag } => matches!(tag, der::Tag::UtcTime | der::Tag::GeneralizedTime),
        _ => false,
    }
}
