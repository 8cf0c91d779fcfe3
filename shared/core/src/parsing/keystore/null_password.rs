//! Keystores protected with the NULL password: older tools derive the keys of their PBES1
//! bags (and the MAC key) from a zero-length password, where newer ones use an empty
//! BMPString (two zero bytes). `p12-keystore` only knows the latter, so these files are
//! read here: safes and shrouded keys decrypted with the NULL password.

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockCipherDecrypt, BlockModeDecrypt, KeyInit, KeyIvInit};
use cms::content_info::ContentInfo;
use cms::encrypted_data::EncryptedData;
use der::asn1::OctetString;
use der::{Decode, Encode};
use pkcs12::kdf::{derive_key, Pkcs12KeyType};
use pkcs12::pfx::Pfx;
use pkcs12::safe_bag::SafeContents;
use zeroize::Zeroizing;

use super::pkcs12::{KeystoreContents, RawEncryptedKeyInfo};
use super::KeystoreError;

const DATA: &str = "1.2.840.113549.1.7.1";
const ENCRYPTED_DATA: &str = "1.2.840.113549.1.7.6";
const PBE_3DES: &str = "1.2.840.113549.1.12.1.3";
const PBE_RC2_40: &str = "1.2.840.113549.1.12.1.6";
const KEY_BAG: &str = "1.2.840.113549.1.12.10.1.1";
const SHROUDED_KEY_BAG: &str = "1.2.840.113549.1.12.10.1.2";
const CERT_BAG: &str = "1.2.840.113549.1.12.10.1.3";
const X509_CERTIFICATE: &str = "1.2.840.113549.1.9.22.1";

#[derive(der::Sequence)]
struct Pbes1Params {
    salt: OctetString,
    iterations: i32,
}

#[derive(der::Sequence)]
struct CertBag {
    cert_id: der::asn1::ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    cert_value: OctetString,
}

fn wrong_password() -> KeystoreError {
    KeystoreError::WrongPassword
}

/// Decrypts PBES1 (PBE-SHA1-3DES or PBE-SHA1-RC2-40) content with the NULL password.
fn decrypt(
    algorithm: &cms::cert::x509::spki::AlgorithmIdentifierOwned,
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, KeystoreError> {
    let params = algorithm
        .parameters
        .as_ref()
        .ok_or_else(|| KeystoreError::malformed("PBE parameters", "absent"))?
        .decode_as::<Pbes1Params>()
        .map_err(|e| KeystoreError::malformed("PBE parameters", e))?;
    let salt = params.salt.as_bytes();
    let derive = |kind, length| derive_key::<sha1::Sha1>(&[], salt, kind, params.iterations, length);
    fn cbc<T: BlockCipherDecrypt + KeyInit>(
        key: &[u8],
        iv: &[u8],
        data: &[u8],
    ) -> Result<Vec<u8>, KeystoreError> {
        cbc::Decryptor::<T>::new_from_slices(key, iv)
            .map_err(|_| wrong_password())?
            .decrypt_padded_vec::<Pkcs7>(data)
            .map_err(|_| wrong_password())
    }
    let plain = match algorithm.oid.to_string().as_str() {
        PBE_3DES => cbc::<des::TdesEde3>(
            &derive(Pkcs12KeyType::EncryptionKey, 24),
            &derive(Pkcs12KeyType::Iv, 8),
            data,
        )?,
        PBE_RC2_40 => cbc::<rc2::Rc2>(
            &derive(Pkcs12KeyType::EncryptionKey, 5),
            &derive(Pkcs12KeyType::Iv, 8),
            data,
        )?,
        // Other schemes derive from the password's bytes: no NULL variant to try.
        _ => return Err(wrong_password()),
    };
    Ok(Zeroizing::new(plain))
}

/// The keys and certificates of `pfx`, every encrypted part opened with the NULL password.
pub(super) fn open_with_null_password(pfx: &Pfx) -> Result<KeystoreContents, KeystoreError> {
    let malformed = |e: der::Error| KeystoreError::malformed("PKCS#12 file", e);
    let safes_der =
        OctetString::from_der(&pfx.auth_safe.content.to_der().map_err(malformed)?).map_err(malformed)?;
    let safes = Vec::<ContentInfo>::from_der(safes_der.as_bytes()).map_err(malformed)?;
    let mut contents = KeystoreContents {
        private_keys: Vec::new(),
        certificates: Vec::new(),
    };
    for safe in &safes {
        let content = safe.content.to_der().map_err(malformed)?;
        let bags_der: Zeroizing<Vec<u8>> = match safe.content_type.to_string().as_str() {
            DATA => Zeroizing::new(
                OctetString::from_der(&content)
                    .map_err(malformed)?
                    .as_bytes()
                    .to_vec(),
            ),
            ENCRYPTED_DATA => {
                let encrypted = EncryptedData::from_der(&content).map_err(malformed)?;
                let info = &encrypted.enc_content_info;
                let ciphertext = info
                    .encrypted_content
                    .as_ref()
                    .map(|c| c.as_bytes())
                    .unwrap_or_default();
                decrypt(&info.content_enc_alg, ciphertext)?
            }
            _ => return Err(wrong_password()),
        };
        // Garbage after a wrong key does not parse: that is a wrong password, not damage.
        let bags = SafeContents::from_der(&bags_der).map_err(|_| wrong_password())?;
        for bag in bags {
            match bag.bag_id.to_string().as_str() {
                KEY_BAG => contents.private_keys.push(Zeroizing::new(bag.bag_value.clone())),
                SHROUDED_KEY_BAG => {
                    let info = der::asn1::ContextSpecific::<RawEncryptedKeyInfo>::from_der(&bag.bag_value)
                        .map_err(|e| KeystoreError::malformed("PKCS#12 key bag", e))?
                        .value;
                    let pkcs8 = decrypt(&info.algorithm, info.data.as_bytes())?;
                    contents.private_keys.push(pkcs8);
                }
                CERT_BAG => {
                    let cert = der::asn1::ContextSpecific::<CertBag>::from_der(&bag.bag_value)
                        .map_err(|e| KeystoreError::malformed("PKCS#12 certificate bag", e))?
                        .value;
                    if cert.cert_id.to_string() == X509_CERTIFICATE {
                        contents.certificates.push(cert.cert_value.as_bytes().to_vec());
                    }
                }
                _ => {}
            }
        }
    }
    Ok(contents)
}
