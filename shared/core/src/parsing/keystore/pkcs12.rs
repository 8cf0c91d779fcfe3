//! PKCS#12 through `p12-keystore` (MAC-checked, pure Rust), with a pre-scan of our own
//! that names unsupported algorithms and refuses costly KDF parameters before any work.

use cms::cert::x509::spki::AlgorithmIdentifierOwned;
use cms::content_info::ContentInfo;
use cms::encrypted_data::EncryptedData;
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use hmac::{KeyInit, Mac};
use p12_keystore::error::Error as P12Error;
use p12_keystore::Pkcs12Archive;
use pkcs12::kdf::{derive_key, Pkcs12KeyType};
use pkcs12::pfx::Pfx;
use pkcs12::safe_bag::SafeContents;
use pkcs12::MacData;
use zeroize::Zeroizing;

use super::KeystoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pkcs12Limits {
    pub max_bytes: usize,
    /// For the MAC and every PBKDF2/PKCS#12 KDF; OpenSSL 3 uses 2048, keytool 10000.
    pub max_iterations: u64,
    /// Safes, and keys plus certificates: a key with its chain needs a handful.
    pub max_entries: usize,
}

impl Default for Pkcs12Limits {
    fn default() -> Self {
        Pkcs12Limits {
            max_bytes: 1024 * 1024,
            max_iterations: 600_000,
            max_entries: 64,
        }
    }
}

/// What an archive holds: PKCS#8 keys (DER) and certificates (DER), in file order.
pub struct KeystoreContents {
    pub private_keys: Vec<Zeroizing<Vec<u8>>>,
    pub certificates: Vec<Vec<u8>>,
}

const PBES2: &str = "1.2.840.113549.1.5.13";
const PBKDF2: &str = "1.2.840.113549.1.5.12";
const SCRYPT: &str = "1.3.6.1.4.1.11591.4.11";
const PKCS12_PBE_3DES: &str = "1.2.840.113549.1.12.1.3";
const PKCS12_PBE_RC2_40: &str = "1.2.840.113549.1.12.1.6";
const SHROUDED_KEY_BAG: &str = "1.2.840.113549.1.12.10.1.2";
const DATA: &str = "1.2.840.113549.1.7.1";
const ENCRYPTED_DATA: &str = "1.2.840.113549.1.7.6";
const HMAC_PRFS: [&str; 5] = [
    "1.2.840.113549.2.7",
    "1.2.840.113549.2.8",
    "1.2.840.113549.2.9",
    "1.2.840.113549.2.10",
    "1.2.840.113549.2.11",
];
const CBC_CIPHERS: [&str; 4] = [
    "2.16.840.1.101.3.4.1.2",
    "2.16.840.1.101.3.4.1.22",
    "2.16.840.1.101.3.4.1.42",
    "1.2.840.113549.3.7",
];

#[derive(der::Sequence)]
struct Pbes2Params {
    kdf: AlgorithmIdentifierOwned,
    scheme: AlgorithmIdentifierOwned,
}

#[derive(der::Sequence)]
struct Pbkdf2Params {
    _salt: OctetString,
    iterations: u64,
    #[asn1(optional = "true")]
    _key_length: Option<u32>,
    #[asn1(optional = "true")]
    prf: Option<AlgorithmIdentifierOwned>,
}

/// EncryptedPrivateKeyInfo with the algorithm left undecoded, so unknown OIDs can be named.
#[derive(der::Sequence)]
pub(super) struct RawEncryptedKeyInfo {
    pub algorithm: AlgorithmIdentifierOwned,
    pub data: OctetString,
}

impl RawEncryptedKeyInfo {
    /// Checks the algorithm and its iteration count.
    pub(super) fn check(&self, limits: &Pkcs12Limits) -> Result<(), KeystoreError> {
        let params = self
            .algorithm
            .parameters
            .as_ref()
            .map(|p| p.to_der())
            .transpose()
            .map_err(|e| KeystoreError::malformed("encrypted key", e))?;
        check_algorithm(self.algorithm.oid, params.as_deref(), limits)
    }
}

#[derive(der::Sequence)]
struct Pbes1Params {
    salt: OctetString,
    iterations: u64,
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
    prescan(&pfx, limits)?;
    let contents = match Pkcs12Archive::from_pkcs12(data, password) {
        Ok(archive) => contents_of(archive),
        Err(e) if password.is_empty() => open_with_null_password(pfx, e)?,
        Err(e) => return Err(classify(e)),
    };
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

fn contents_of(archive: Pkcs12Archive) -> KeystoreContents {
    KeystoreContents {
        private_keys: archive
            .keys
            .into_iter()
            .map(|bag| Zeroizing::new(bag.key.as_der().to_vec()))
            .collect(),
        certificates: archive
            .certs
            .into_iter()
            .map(|bag| bag.cert.as_der().to_vec())
            .collect(),
    }
}

/// "No password" is an empty BMPString (two zero bytes) to newer tools and the NULL
/// password (zero bytes) to older OpenSSL-based ones, for the MAC and for PBES1 bags
/// alike. When the empty BMPString did not open the file, the NULL password is tried:
/// its MAC must then match, and the bags are opened with it (or with the empty BMPString,
/// which some files mix with a NULL-password MAC).
fn open_with_null_password(mut pfx: Pfx, first: P12Error) -> Result<KeystoreContents, KeystoreError> {
    let content = pfx.auth_safe.content.value().to_vec();
    match pfx.mac_data.take() {
        Some(mac) if null_password_mac_matches(&mac, &content) => {}
        Some(_) => return Err(classify(first)),
        None => {}
    }
    let without_mac = pfx
        .to_der()
        .map_err(|e| KeystoreError::malformed("PKCS#12 file", e))?;
    match Pkcs12Archive::from_pkcs12(&without_mac, "") {
        Ok(archive) => Ok(contents_of(archive)),
        Err(_) => super::null_password::open_with_null_password(&pfx).map_err(|null| match null {
            KeystoreError::WrongPassword => classify(first),
            other => other,
        }),
    }
}

fn null_password_mac_matches(mac: &MacData, content: &[u8]) -> bool {
    macro_rules! check {
        ($digest:ty) => {{
            let key = derive_key::<$digest>(
                &[],
                mac.mac_salt.as_bytes(),
                Pkcs12KeyType::Mac,
                mac.iterations,
                <$digest as hmac::digest::OutputSizeUser>::output_size(),
            );
            match hmac::Hmac::<$digest>::new_from_slice(&key) {
                Ok(mut hmac) => {
                    hmac.update(content);
                    hmac.verify_slice(mac.mac.digest.as_bytes()).is_ok()
                }
                Err(_) => false,
            }
        }};
    }
    match mac.mac.algorithm.oid.to_string().as_str() {
        "1.3.14.3.2.26" => check!(sha1::Sha1),
        "2.16.840.1.101.3.4.2.1" => check!(sha2::Sha256),
        "2.16.840.1.101.3.4.2.2" => check!(sha2::Sha384),
        "2.16.840.1.101.3.4.2.3" => check!(sha2::Sha512),
        _ => false,
    }
}

fn classify(error: P12Error) -> KeystoreError {
    match error {
        P12Error::MacError(_) | P12Error::UnpadError => KeystoreError::WrongPassword,
        // PBES2 decryption with a wrong key fails on padding (files without a MAC).
        P12Error::Pkcs5Error(message) if message.contains("decryption failed") => {
            KeystoreError::WrongPassword
        }
        // Decrypting with a wrong password yields garbage that does not parse as DER.
        P12Error::DerError(e) => KeystoreError::Malformed {
            what: "PKCS#12 content (or the password is wrong)",
            detail: e.to_string(),
        },
        P12Error::UnsupportedEncryptionScheme | P12Error::UnsupportedMacAlgorithm => {
            KeystoreError::UnsupportedEncryption {
                oid: "unknown".into(),
                what: "PKCS#12 encryption or MAC",
            }
        }
        other => KeystoreError::malformed("PKCS#12 file", other),
    }
}

/// Checks every algorithm and iteration count visible without the password.
fn prescan(pfx: &Pfx, limits: &Pkcs12Limits) -> Result<(), KeystoreError> {
    if let Some(mac) = &pfx.mac_data {
        check_iterations(u64::try_from(mac.iterations).unwrap_or(u64::MAX), limits)?;
    }
    if pfx.auth_safe.content_type.to_string() != DATA {
        return Err(KeystoreError::UnsupportedEncryption {
            oid: pfx.auth_safe.content_type.to_string(),
            what: "PKCS#12 public-key integrity mode",
        });
    }
    let safes_der = OctetString::from_der(
        &pfx.auth_safe
            .content
            .to_der()
            .map_err(|e| KeystoreError::malformed("PKCS#12 file", e))?,
    )
    .map_err(|e| KeystoreError::malformed("PKCS#12 file", e))?;
    let safes = Vec::<ContentInfo>::from_der(safes_der.as_bytes())
        .map_err(|e| KeystoreError::malformed("PKCS#12 authenticated safe", e))?;
    if safes.len() > limits.max_entries {
        return Err(KeystoreError::TooManyEntries(limits.max_entries));
    }
    let mut visible_bags = 0usize;
    for safe in &safes {
        let content = safe
            .content
            .to_der()
            .map_err(|e| KeystoreError::malformed("PKCS#12 safe", e))?;
        match safe.content_type.to_string().as_str() {
            DATA => {
                let bags = OctetString::from_der(&content)
                    .and_then(|octets| SafeContents::from_der(octets.as_bytes()))
                    .map_err(|e| KeystoreError::malformed("PKCS#12 safe contents", e))?;
                visible_bags += bags.len();
                if visible_bags > limits.max_entries {
                    return Err(KeystoreError::TooManyEntries(limits.max_entries));
                }
                for bag in bags.iter().filter(|b| b.bag_id.to_string() == SHROUDED_KEY_BAG) {
                    // A shrouded key bag: [0] EncryptedPrivateKeyInfo { algorithm, data }.
                    der::asn1::ContextSpecific::<RawEncryptedKeyInfo>::from_der(&bag.bag_value)
                        .map_err(|e| KeystoreError::malformed("PKCS#12 key bag", e))?
                        .value
                        .check(limits)?;
                }
            }
            ENCRYPTED_DATA => {
                let encrypted = EncryptedData::from_der(&content)
                    .map_err(|e| KeystoreError::malformed("PKCS#12 encrypted safe", e))?;
                let algorithm = &encrypted.enc_content_info.content_enc_alg;
                let params = algorithm
                    .parameters
                    .as_ref()
                    .map(|p| p.to_der())
                    .transpose()
                    .map_err(|e| KeystoreError::malformed("PKCS#12 encrypted safe", e))?;
                check_algorithm(algorithm.oid, params.as_deref(), limits)?;
            }
            other => {
                return Err(KeystoreError::UnsupportedEncryption {
                    oid: other.to_string(),
                    what: "PKCS#12 safe content type",
                })
            }
        }
    }
    Ok(())
}

fn check_algorithm(
    oid: ObjectIdentifier,
    params: Option<&[u8]>,
    limits: &Pkcs12Limits,
) -> Result<(), KeystoreError> {
    let oid = oid.to_string();
    let params = params.ok_or_else(|| KeystoreError::malformed("encryption parameters", "absent"))?;
    match oid.as_str() {
        PKCS12_PBE_3DES | PKCS12_PBE_RC2_40 => {
            let p =
                Pbes1Params::from_der(params).map_err(|e| KeystoreError::malformed("PBE parameters", e))?;
            check_iterations(p.iterations, limits)
        }
        PBES2 => {
            let p =
                Pbes2Params::from_der(params).map_err(|e| KeystoreError::malformed("PBES2 parameters", e))?;
            let scheme = p.scheme.oid.to_string();
            if !CBC_CIPHERS.contains(&scheme.as_str()) {
                return Err(KeystoreError::UnsupportedEncryption {
                    oid: scheme,
                    what: "PBES2 cipher",
                });
            }
            match p.kdf.oid.to_string().as_str() {
                PBKDF2 => {
                    let kdf_params = p
                        .kdf
                        .parameters
                        .as_ref()
                        .ok_or_else(|| KeystoreError::malformed("PBKDF2 parameters", "absent"))?
                        .decode_as::<Pbkdf2Params>()
                        .map_err(|e| KeystoreError::malformed("PBKDF2 parameters", e))?;
                    if let Some(prf) = &kdf_params.prf {
                        let prf = prf.oid.to_string();
                        if !HMAC_PRFS.contains(&prf.as_str()) {
                            return Err(KeystoreError::UnsupportedEncryption {
                                oid: prf,
                                what: "PBKDF2 pseudo-random function",
                            });
                        }
                    }
                    check_iterations(kdf_params.iterations, limits)
                }
                // p12-keystore bounds scrypt's memory and parallelism itself.
                SCRYPT => Ok(()),
                other => Err(KeystoreError::UnsupportedEncryption {
                    oid: other.to_string(),
                    what: "PBES2 key derivation",
                }),
            }
        }
        _ => Err(KeystoreError::UnsupportedEncryption {
            oid,
            what: "PKCS#12 encryption scheme",
        }),
    }
}

fn check_iterations(found: u64, limits: &Pkcs12Limits) -> Result<(), KeystoreError> {
    if found > limits.max_iterations {
        return Err(KeystoreError::TooManyIterations {
            found,
            max: limits.max_iterations,
        });
    }
    Ok(())
}
