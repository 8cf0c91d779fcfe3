//! PKCS#12 read by our own walk of the archive, so that every key derivation it asks for
//! is counted against the item's budget (`kdf::KdfBudget`) before it runs: the MAC, each
//! encrypted safe, each shrouded key. What nobody imports is never decrypted: secret
//! bags, CRL bags, nested safes. Bags are counted, in encrypted safes too, before any of
//! them is opened.
//!
//! An empty password is tried as the empty BMPString (newer tools) and, when that does
//! not open the file, as the NULL password older OpenSSL-based tools used, for the MAC and
//! for PBES1 bags alike (some files mix the two); each try is paid for.

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockCipherDecrypt, BlockModeDecrypt, KeyInit, KeyIvInit};
use cms::cert::x509::spki::AlgorithmIdentifierOwned;
use cms::content_info::ContentInfo;
use cms::encrypted_data::EncryptedData;
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use hmac::Mac;
use pkcs12::kdf::{derive_key, Pkcs12KeyType};
use pkcs12::pfx::Pfx;
use pkcs12::safe_bag::SafeContents;
use pkcs12::MacData;
use zeroize::Zeroizing;

use super::kdf::{pbes2_decrypt, KdfBudget};
use super::{KeystoreContents, KeystoreError, Pkcs12Limits};

const DATA: &str = "1.2.840.113549.1.7.1";
const ENCRYPTED_DATA: &str = "1.2.840.113549.1.7.6";
const PBES2: &str = "1.2.840.113549.1.5.13";
const PBE_3DES: &str = "1.2.840.113549.1.12.1.3";
const PBE_RC2_40: &str = "1.2.840.113549.1.12.1.6";
const KEY_BAG: &str = "1.2.840.113549.1.12.10.1.1";
const SHROUDED_KEY_BAG: &str = "1.2.840.113549.1.12.10.1.2";
const CERT_BAG: &str = "1.2.840.113549.1.12.10.1.3";
const X509_CERTIFICATE: &str = "1.2.840.113549.1.9.22.1";

/// The password in the forms the schemes derive from: PBES2 from its UTF-8 bytes, the
/// PKCS#12 KDF (MAC, PBES1) from a BMPString with a terminating zero, or nothing at all
/// (the NULL password).
#[derive(Clone)]
struct Password {
    utf8: Zeroizing<Vec<u8>>,
    pkcs12: Zeroizing<Vec<u8>>,
}

impl Password {
    fn new(password: &str) -> Password {
        let mut bmp = Zeroizing::new(Vec::with_capacity(password.len() * 2 + 2));
        for unit in password.encode_utf16() {
            bmp.extend_from_slice(&unit.to_be_bytes());
        }
        bmp.extend_from_slice(&[0, 0]);
        Password {
            utf8: Zeroizing::new(password.as_bytes().to_vec()),
            pkcs12: bmp,
        }
    }

    fn null() -> Password {
        Password {
            utf8: Zeroizing::new(Vec::new()),
            pkcs12: Zeroizing::new(Vec::new()),
        }
    }
}

#[derive(der::Sequence)]
struct Pbes1Params {
    salt: OctetString,
    iterations: u64,
}

#[derive(der::Sequence)]
struct EncryptedKeyInfo {
    algorithm: AlgorithmIdentifierOwned,
    data: OctetString,
}

#[derive(der::Sequence)]
struct CertBag {
    cert_id: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    cert_value: OctetString,
}

fn malformed(what: &'static str) -> impl Fn(der::Error) -> KeystoreError {
    move |e| KeystoreError::malformed(what, e)
}

/// The keys and certificates of `pfx`, opened with `password` within `limits`.
pub(super) fn open(
    pfx: &Pfx,
    password: &str,
    limits: &Pkcs12Limits,
) -> Result<KeystoreContents, KeystoreError> {
    if pfx.auth_safe.content_type.to_string() != DATA {
        return Err(KeystoreError::UnsupportedEncryption {
            oid: pfx.auth_safe.content_type.to_string(),
            what: "PKCS#12 public-key integrity mode",
        });
    }
    let content = OctetString::from_der(
        &pfx.auth_safe
            .content
            .to_der()
            .map_err(malformed("PKCS#12 file"))?,
    )
    .map_err(malformed("PKCS#12 file"))?;
    let safes =
        Vec::<ContentInfo>::from_der(content.as_bytes()).map_err(malformed("PKCS#12 authenticated safe"))?;
    if safes.len() > limits.max_entries {
        return Err(KeystoreError::TooManyEntries(limits.max_entries));
    }
    let mut budget = KdfBudget::new(limits);
    let mut tries = vec![Password::new(password)];
    if password.is_empty() {
        tries.push(Password::null());
    }
    if let Some(mac) = &pfx.mac_data {
        // The password the MAC was made with goes first for the bags too.
        let mut matched = None;
        for (i, candidate) in tries.iter().enumerate() {
            if mac_matches(mac, &candidate.pkcs12, content.as_bytes(), &mut budget)? {
                matched = Some(i);
                break;
            }
        }
        let first = matched.ok_or(KeystoreError::WrongPassword)?;
        tries.swap(0, first);
    }
    let mut reader = Reader {
        limits,
        budget,
        password_confirmed: pfx.mac_data.is_some(),
        tries,
        bags: 0,
        contents: KeystoreContents {
            private_keys: Vec::new(),
            certificates: Vec::new(),
        },
    };
    for safe in &safes {
        reader.safe(safe)?;
    }
    Ok(reader.contents)
}

struct Reader<'a> {
    limits: &'a Pkcs12Limits,
    budget: KdfBudget,
    /// The MAC verified with the password: content it does not open is damaged.
    password_confirmed: bool,
    /// The password forms to try, the one that worked last first.
    tries: Vec<Password>,
    bags: usize,
    contents: KeystoreContents,
}

impl Reader<'_> {
    fn safe(&mut self, safe: &ContentInfo) -> Result<(), KeystoreError> {
        let content = safe.content.to_der().map_err(malformed("PKCS#12 safe"))?;
        let bags: Zeroizing<Vec<u8>> = match safe.content_type.to_string().as_str() {
            DATA => Zeroizing::new(
                OctetString::from_der(&content)
                    .map_err(malformed("PKCS#12 safe contents"))?
                    .as_bytes()
                    .to_vec(),
            ),
            ENCRYPTED_DATA => {
                let encrypted =
                    EncryptedData::from_der(&content).map_err(malformed("PKCS#12 encrypted safe"))?;
                let info = &encrypted.enc_content_info;
                let Some(ciphertext) = info.encrypted_content.as_ref() else {
                    return Ok(());
                };
                // A wrong key can decrypt to garbage with valid padding: it must then parse.
                self.decrypt(&info.content_enc_alg, ciphertext.as_bytes(), |plain| {
                    SafeContents::from_der(plain).is_ok()
                })?
            }
            other => {
                return Err(KeystoreError::UnsupportedEncryption {
                    oid: other.to_string(),
                    what: "PKCS#12 safe content type",
                })
            }
        };
        let bags = SafeContents::from_der(&bags).map_err(malformed("PKCS#12 safe contents"))?;
        self.bags += bags.len();
        if self.bags > self.limits.max_entries {
            return Err(KeystoreError::TooManyEntries(self.limits.max_entries));
        }
        for bag in &bags {
            match bag.bag_id.to_string().as_str() {
                KEY_BAG => {
                    // [0] EXPLICIT PrivateKeyInfo, in the clear.
                    let key = der::asn1::ContextSpecific::<der::Any>::from_der(&bag.bag_value)
                        .and_then(|wrapped| wrapped.value.to_der())
                        .map_err(malformed("PKCS#12 key bag"))?;
                    self.contents.private_keys.push(Zeroizing::new(key));
                }
                SHROUDED_KEY_BAG => {
                    let info = der::asn1::ContextSpecific::<EncryptedKeyInfo>::from_der(&bag.bag_value)
                        .map_err(malformed("PKCS#12 key bag"))?
                        .value;
                    let key = self.decrypt(&info.algorithm, info.data.as_bytes(), |plain| {
                        pkcs8::PrivateKeyInfoRef::from_der(plain).is_ok()
                    })?;
                    self.contents.private_keys.push(key);
                }
                CERT_BAG => {
                    let bag = der::asn1::ContextSpecific::<CertBag>::from_der(&bag.bag_value)
                        .map_err(malformed("PKCS#12 certificate bag"))?
                        .value;
                    if bag.cert_id.to_string() != X509_CERTIFICATE {
                        return Err(KeystoreError::malformed(
                            "PKCS#12 certificate bag",
                            format!("{} is not an X.509 certificate type", bag.cert_id),
                        ));
                    }
                    self.contents
                        .certificates
                        .push(bag.cert_value.as_bytes().to_vec());
                }
                // Secrets, CRLs and nested safes: nothing the inventory holds, never opened.
                _ => {}
            }
        }
        Ok(())
    }

    /// Decrypts with the first password form that gives `plausible` plaintext (each try
    /// paid for); a wrong password when none does.
    fn decrypt(
        &mut self,
        algorithm: &AlgorithmIdentifierOwned,
        data: &[u8],
        plausible: impl Fn(&[u8]) -> bool,
    ) -> Result<Zeroizing<Vec<u8>>, KeystoreError> {
        for i in 0..self.tries.len() {
            let password = self.tries[i].clone();
            match decrypt_with(algorithm, data, &password, &mut self.budget) {
                Ok(plain) if plausible(&plain) => {
                    self.tries.swap(0, i);
                    return Ok(plain);
                }
                Ok(_) | Err(KeystoreError::WrongPassword) => continue,
                Err(other) => return Err(other),
            }
        }
        Err(if self.password_confirmed {
            KeystoreError::malformed(
                "PKCS#12 encrypted content",
                "it does not open with the password its MAC verifies",
            )
        } else {
            KeystoreError::WrongPassword
        })
    }
}

/// PBES2 (from the password's UTF-8) or PBES1 with the PKCS#12 KDF (3DES, RC2-40).
fn decrypt_with(
    algorithm: &AlgorithmIdentifierOwned,
    data: &[u8],
    password: &Password,
    budget: &mut KdfBudget,
) -> Result<Zeroizing<Vec<u8>>, KeystoreError> {
    let oid = algorithm.oid.to_string();
    if oid == PBES2 {
        return pbes2_decrypt(algorithm, &password.utf8, data, budget);
    }
    let (key_length, rc2) = match oid.as_str() {
        PBE_3DES => (24, false),
        PBE_RC2_40 => (5, true),
        _ => {
            return Err(KeystoreError::UnsupportedEncryption {
                oid,
                what: "PKCS#12 encryption scheme",
            })
        }
    };
    let params = algorithm
        .parameters
        .as_ref()
        .ok_or_else(|| KeystoreError::malformed("PBE parameters", "absent"))?
        .decode_as::<Pbes1Params>()
        .map_err(malformed("PBE parameters"))?;
    // The key and the IV are two derivations of `iterations` each.
    budget.iterations(params.iterations)?;
    budget.iterations(params.iterations)?;
    let rounds = i32::try_from(params.iterations).map_err(|_| KeystoreError::TooManyIterations {
        found: params.iterations,
        max: i32::MAX as u64,
    })?;
    let salt = params.salt.as_bytes();
    let derive = |kind, length| {
        Zeroizing::new(derive_key::<sha1::Sha1>(
            &password.pkcs12,
            salt,
            kind,
            rounds,
            length,
        ))
    };
    let (key, iv) = (
        derive(Pkcs12KeyType::EncryptionKey, key_length),
        derive(Pkcs12KeyType::Iv, 8),
    );
    fn cbc<T: BlockCipherDecrypt + KeyInit>(
        key: &[u8],
        iv: &[u8],
        data: &[u8],
    ) -> Result<Vec<u8>, KeystoreError> {
        cbc::Decryptor::<T>::new_from_slices(key, iv)
            .map_err(|_| KeystoreError::WrongPassword)?
            .decrypt_padded_vec::<Pkcs7>(data)
            .map_err(|_| KeystoreError::WrongPassword)
    }
    let plain = if rc2 {
        cbc::<rc2::Rc2>(&key, &iv, data)?
    } else {
        cbc::<des::TdesEde3>(&key, &iv, data)?
    };
    Ok(Zeroizing::new(plain))
}

/// Whether the MAC verifies with `password` (PKCS#12 KDF form); the derivation is paid for.
fn mac_matches(
    mac: &MacData,
    password: &[u8],
    content: &[u8],
    budget: &mut KdfBudget,
) -> Result<bool, KeystoreError> {
    let iterations = u64::try_from(mac.iterations).unwrap_or(u64::MAX);
    macro_rules! check {
        ($digest:ty) => {{
            budget.iterations(iterations)?;
            let key = Zeroizing::new(derive_key::<$digest>(
                password,
                mac.mac_salt.as_bytes(),
                Pkcs12KeyType::Mac,
                mac.iterations,
                <$digest as hmac::digest::OutputSizeUser>::output_size(),
            ));
            match <hmac::Hmac<$digest> as hmac::KeyInit>::new_from_slice(&key) {
                Ok(mut hmac) => {
                    hmac.update(content);
                    hmac.verify_slice(mac.mac.digest.as_bytes()).is_ok()
                }
                Err(_) => false,
            }
        }};
    }
    Ok(match mac.mac.algorithm.oid.to_string().as_str() {
        "1.3.14.3.2.26" => check!(sha1::Sha1),
        "2.16.840.1.101.3.4.2.4" => check!(sha2::Sha224),
        "2.16.840.1.101.3.4.2.1" => check!(sha2::Sha256),
        "2.16.840.1.101.3.4.2.2" => check!(sha2::Sha384),
        "2.16.840.1.101.3.4.2.3" => check!(sha2::Sha512),
        "2.16.840.1.101.3.4.2.5" => check!(sha2::Sha512_224),
        "2.16.840.1.101.3.4.2.6" => check!(sha2::Sha512_256),
        other => {
            return Err(KeystoreError::UnsupportedEncryption {
                oid: other.to_string(),
                what: "PKCS#12 MAC digest",
            })
        }
    })
}
